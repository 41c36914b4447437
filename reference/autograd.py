"""The PyTorch autograd oracle: the same network rebuilt in torch from the same parameters.

It shares no code with manual/'s backward pass: the forward pass is each activation's and loss's
torch form (reference/records.py: torch.sigmoid, F.softplus, F.binary_cross_entropy_with_logits,
F.log_softmax …) and torch differentiates it. Every z[l] keeps its gradient (`retain_grad`), so
∂C/∂z[l] = delta[l] is checked for every layer, not only the final parameter gradients.

Default: float64 on the CPU. `dtype`/`device` choose others (CUDA tensors when a GPU is present).
"""
from __future__ import annotations

import numpy as np
import torch

from backproof.manual.activations import Activation
from backproof.manual.losses import Loss
from backproof.manual.network import Gradients, Network

from .records import activation_record, loss_record
from .tolerances import rtol_exact


def torch_activation(act: Activation, z: torch.Tensor) -> torch.Tensor:
    """a = f(z) with the activation's torch form."""
    record = activation_record(act)
    return record.torch(z, *record.params(act))


def torch_per_example_loss(loss: Loss, z: torch.Tensor, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """C_n for each example, with the loss's torch form."""
    return loss_record(loss).torch(z, a, y)


def reduce(per_example: torch.Tensor, reduction: str) -> torch.Tensor:
    return per_example.sum() if reduction == "sum" else per_example.mean()


def autograd_gradients(net: Network, x: np.ndarray, y: np.ndarray, *, dtype=torch.float64,
                       device: str | torch.device = "cpu") -> Gradients:
    """C, delta[l] = ∂C/∂z[l], ∂C/∂W[l] and ∂C/∂b[l] from torch autograd, as float64 NumPy arrays."""
    return autograd_pass(net, x, y, dtype=dtype, device=device)[0]


def autograd_pass(net: Network, x: np.ndarray, y: np.ndarray, *, dtype=torch.float64,
                  device: str | torch.device = "cpu") -> tuple[Gradients, list[np.ndarray]]:
    """`autograd_gradients`, and the forward pass's a[l-1], the input of each layer l (index l-1),
    as float64 NumPy arrays (what magnitude_floor needs)."""
    def tensor(arr, grad=False):
        return torch.tensor(np.asarray(arr, dtype=np.float64), dtype=dtype, device=device, requires_grad=grad)

    W = [tensor(Wl, grad=True) for Wl in net.W]
    b = [tensor(bl, grad=True) for bl in net.b]
    a, zs, inputs = tensor(x), [], []
    for Wl, bl, act in zip(W, b, net.activations):
        inputs.append(a)
        z = torch.nn.functional.linear(a, Wl, bl)  # a @ W.T + b, as torch.nn.Linear computes it
        z.retain_grad()
        zs.append(z)
        a = torch_activation(act, z)
    cost = reduce(torch_per_example_loss(net.loss, zs[-1], a, tensor(y)), net.reduction)
    if net.l2:   # (λ/2)·Σ‖W‖² (and the biases'), differentiated by torch like the rest
        cost = cost + net.l2 / 2 * sum((p * p).sum() for p in W + (b if net.l2_biases else []))
    cost.backward()

    def numpy(t):
        return t.detach().to("cpu", torch.float64).numpy()

    return (Gradients(cost=np.float64(cost.item()), delta=[numpy(z.grad) for z in zs],
                      dW=[numpy(Wl.grad) for Wl in W], db=[numpy(bl.grad) for bl in b]),
            [numpy(a) for a in inputs])


def magnitude_floor(reference: Gradients, inputs: list) -> Gradients:
    """A floor under `gradient_magnitudes`' bound M, from autograd's deltas and the inputs a[l-1] of
    its own forward pass (`autograd_pass`): M_delta[l] ≥ |delta[l]|, M_dW[l] ≥ |delta[l]|.T @ |a[l-1]|,
    M_db[l] ≥ Σ_n |delta[l]_n| (each of the bound's products has the value's own magnitude as one of
    its terms; tests/harness/test_harness.py (test_the_floor_lies_under_the_bound...) holds it on
    random networks). Cheap: a backward whose every entry is within rtol of this floor passes
    whatever M is (compare.passes_at_its_own_size)."""
    delta = [np.abs(d) for d in reference.delta]
    return Gradients(0.0, delta, [d.T @ np.abs(a) for d, a in zip(delta, inputs)], [d.sum(axis=0) for d in delta])


def gradient_magnitudes(net: Network, x: np.ndarray, y: np.ndarray, reference: Gradients | None = None) -> Gradients:
    """A first-order running error bound of every entry of every backward quantity: the rounding
    error of entry i is at most about (roundings on its path)·eps·M_i, however much its terms cancel
    (δ[L] = a − y near a fit; Σ_k (a_k − y_k) = 0 through a softmax; z = W·a + b cancelling to nearly 0).
    Each quantity's bound M is propagated with the value it multiplies, as for a product u·v:
    M(u·v) = M(u)·|v| + |u|·M(v), never M(u)·M(v). Every term is derived from the records' torch
    forms by autograd, so a function backproof does not ship (a user's swish) gets the same bound.
    Forward:
        Zm[l] = A[l-1] @ |W[l]|.T + |b[l]|          (the bound of z[l])
        A[l]  = |a[l]| + |f'(z[l])| ⊙ Zm[l]          (of a[l]; A[0] = |x|; a row function such as
                                                      softmax gives its own, `row_bounds`)
        F[l]  = |f'(z[l])| + |f''(z[l])| ⊙ Zm[l]     (of f'(z[l]), moved by z[l]'s error)
                + |∂f'/∂a| ⊙ A[l]                    (where the record says textbooks compute f' from
                                                      a = f(z): 1 − a² for tanh, a(1 − a) for the
                                                      sigmoid, 1 − e^(−a) for softplus; torch does too)
    Backward, with g = ∂C_n/∂a[L] (or, for a loss computed from a paired output's logits, the
    δ = ∂C_n/∂z[L] the pair is written as, a − y) and s = ∂C/∂C_n:
        G = |g| + |∂g/∂a| @ A[L] + |∂g/∂y| @ |y|          (g's bound: its inputs' bounds, moved)
        M_delta[L] = s·G                                    fused pair
                   = s·(G ⊙ |f'| + |g| ⊙ F[L])             elementwise f
                   = s·(the row function's bound of J.T @ g)   softmax
        M_delta[l] = (M_delta[l+1] @ |W[l+1]|) ⊙ |f'(z[l])| + |delta[l+1] @ W[l+1]| ⊙ F[l]
                     (the product's rule: u = delta[l+1] @ W[l+1] has the terms M_delta[l+1] @ |W[l+1]|
                     and the value |u|), with |f'|, |delta| and |u| float64 autograd's values, each
                     plus rtol(float64)·its own bound
        M_db[l] = Σ_n M_delta[l]_n,   M_dW[l] = M_delta[l].T @ |a[l-1]| + |delta[l]|.T @ A[l-1]
        M_cost = Σ |∂C/∂a[L]| ⊙ (A[L] + |y|) + Σ |∂C/∂z[L]| ⊙ Zm[L] + s·Σ_n (|C_n| + Σ_k |y ⊙ z[L]|)
    a, z, delta, f' and f'' come from torch in float64 (f' and f'' by autograd of f), not from manual/;
    `reference` is autograd_gradients(net, x, y) when the caller already has it (its deltas are used).
    """
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a = torch.from_numpy(x64)
    zs, outs = [], []     # each z a leaf of its own: f', f'' and the rest are taken layer by layer
    for Wl, bl, act in zip(net.W, net.b, net.activations):
        z = torch.nn.functional.linear(a, torch.from_numpy(np.asarray(Wl, np.float64)),
                                       torch.from_numpy(np.asarray(bl, np.float64))).requires_grad_(True)
        zs.append(z)
        outs.append(torch_activation(act, z))
        a = outs[-1].detach()
    records = [activation_record(act) for act in net.activations]
    primes = _derivatives(zs, outs, records)
    A, absa = [np.abs(x64)], [np.abs(x64)]
    Fs, D1s, Zm = [], [], None
    for Wl, bl, out, record, derivatives in zip(net.W, net.b, outs, records, primes):
        Zm = A[-1] @ np.abs(np.asarray(Wl, np.float64)).T + np.abs(np.asarray(bl, np.float64))
        absa.append(np.abs(out.detach().numpy()))
        if derivatives is None:   # a row function (softmax): its own bound
            A.append(record.row_bounds[0](absa[-1], Zm))
            Fs.append(None)
            D1s.append(None)
            continue
        d1, d2, sensitivity = derivatives
        A.append(absa[-1] + d1 * Zm)
        Fs.append(d1 + d2 * Zm + sensitivity * A[-1])
        D1s.append(d1)
    z = zs[-1]
    s = 1.0 if net.reduction == "sum" else 1.0 / len(x64)
    g, G = _loss_gradient_bound(net.loss, z.detach(), a, y64, A[-1])
    if loss_record(net.loss).fused_delta is not None:
        top = s * G
    elif net.activations[-1].elementwise:
        top = s * (G * D1s[-1] + np.abs(g) * Fs[-1])
    else:
        p = absa[-1]
        top = s * activation_record(net.activations[-1]).row_bounds[1](np.abs(g), G, p, A[-1] - p)
    reference = autograd_gradients(net, x, y) if reference is None else reference
    # |f'| and |delta| are float64 autograd's values, which have rounding too: tanh' = 1 − a² is 0
    # where a rounds to 1, though the true f' is 1e-20 (and a backprop that computes it gets 1e-42
    # further down). Each is taken as |value| + own·(its bound), own = float64's rtol.
    own = rtol_exact(np.float64)
    deltas, values = [top], [None] * len(net.W)
    values[-1] = np.abs(reference.delta[-1]) + own * top
    for l in range(len(net.W) - 1, 0, -1):
        W64 = np.asarray(net.W[l], np.float64)
        Mu = deltas[0] @ np.abs(W64)                                  # u = delta[l+1] @ W[l+1]: its terms
        u = np.abs(reference.delta[l] @ W64) + own * Mu                # and its value
        deltas.insert(0, Mu * (D1s[l - 1] + own * Fs[l - 1]) + u * Fs[l - 1])
        values[l - 1] = np.abs(reference.delta[l - 1]) + own * deltas[0]
    dW = [M.T @ ap + d.T @ Ap for M, d, ap, Ap in zip(deltas, values, absa[:-1], A[:-1])]
    db = [M.sum(axis=0) for M in deltas]
    cost = _cost_magnitude(net, z, a, y64, A[-1], Zm, s)
    if net.l2:   # λ·W is one more term of ∂C/∂W (λ·b of ∂C/∂b), (λ/2)·ΣW² more of C
        l2 = net.l2
        dW = [M + l2 * np.abs(np.asarray(Wl, np.float64)) for M, Wl in zip(dW, net.W)]
        if net.l2_biases:
            db = [M + l2 * np.abs(np.asarray(bl, np.float64)) for M, bl in zip(db, net.b)]
        cost += l2 * sum(float((np.asarray(p, np.float64) ** 2).sum()) for p in net.W + (net.b if net.l2_biases else []))
    return Gradients(cost=cost, delta=deltas, dW=dW, db=db)


def _loss_gradient_bound(loss: Loss, z: torch.Tensor, a: torch.Tensor, y: np.ndarray,
                         A_L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g, G): g = ∂C_n/∂a[L] per example (or the fused pair's δ = ∂C_n/∂z[L] as it is written), and
    its bound G = |g| + |∂g/∂a| @ A[L] + |∂g/∂y| @ |y|, the Jacobians by autograd, per example (one
    pass for a separable loss, whose Jacobians are diagonal; one per output unit otherwise)."""
    record = loss_record(loss)
    a = a.detach().clone().requires_grad_(True)
    yt = torch.from_numpy(y).clone().requires_grad_(True)
    if record.fused_delta is not None:
        g = record.fused_delta(a, yt)
    else:
        (g,) = torch.autograd.grad(record.torch(z, a, yt).sum(), a, create_graph=True)
    absy = np.abs(y)
    if record.separable:
        da, dy = torch.autograd.grad(g.sum(), (a, yt), allow_unused=True)
        G = _abs(da) * A_L + _abs(dy) * absy
    else:
        G = np.zeros(g.shape)
        for k in range(g.shape[1]):
            da, dy = torch.autograd.grad(g[:, k].sum(), (a, yt), retain_graph=True, allow_unused=True)
            G[:, k] = (_abs(da) * A_L + _abs(dy) * absy).sum(axis=1)
    g = g.detach().numpy()
    return g, np.abs(g) + G


def _abs(t: torch.Tensor | None):
    return 0.0 if t is None else t.detach().abs().numpy()


def _cost_magnitude(net: Network, z: torch.Tensor, a: torch.Tensor, y: np.ndarray, A_L, Zm_L, s: float) -> float:
    zL = z.detach().clone().requires_grad_(True)
    aL = a.detach().clone().requires_grad_(True)
    yt = torch.from_numpy(y)
    per_example = torch_per_example_loss(net.loss, zL, aL, yt)
    ga, gz = torch.autograd.grad(per_example.sum() * s, (aL, zL), allow_unused=True)
    total = s * float((per_example.detach().abs().sum() + (yt * zL.detach()).abs().sum()).item())
    if ga is not None:
        total += float((ga.abs().numpy() * (A_L + np.abs(y))).sum())
    if gz is not None:
        total += float((gz.abs().numpy() * Zm_L).sum())
    return total


def _derivatives(zs: list, outs: list, records: list) -> list:
    """For each elementwise layer (None for a row function): |f'(z)|, |f''(z)| (autograd, double
    backward, of the record's torch form) and |∂f'/∂a|, f' written in terms of a = f(z) as textbooks
    do (the record's prime_from_output): how much a's own rounding moves it. In saturation this last
    dominates: tanh at z = 10 has f' = 8e-9, but 1 − a² computed from a rounded a is off by about
    2·eps, in float64 autograd as in a textbook backprop; it is 0 where a shipped f' is not written
    from a. For a function backproof does not ship, how torch or a user computes f' is unknown:
    1 + 2|a| covers the common ways (1 − a² for tanh, a(1 − a) for the sigmoid, a + 1 for expm1,
    whose derivative torch computes from its output). Every layer's derivatives are taken in one
    autograd call of each order."""
    layers = [l for l, r in enumerate(records) if r.elementwise]
    if not layers:
        return [None] * len(records)
    d1 = dict(zip(layers, torch.autograd.grad([outs[l].sum() for l in layers], [zs[l] for l in layers],
                                              create_graph=True)))
    second = [l for l in layers if d1[l].requires_grad]
    d2 = dict(zip(second, torch.autograd.grad([d1[l].sum() for l in second], [zs[l] for l in second],
                                              allow_unused=True))) if second else {}
    textbook = [l for l in layers if records[l].shipped and records[l].prime_from_output is not None]
    at = {l: outs[l].detach().clone().requires_grad_(True) for l in textbook}
    slopes = dict(zip(textbook, torch.autograd.grad([records[l].prime_from_output(at[l], torch).sum()
                                                     for l in textbook], [at[l] for l in textbook]))) \
        if textbook else {}
    out = [None] * len(records)
    for l in layers:
        second_derivative = d2.get(l)
        if records[l].shipped:
            sensitivity = slopes[l].abs().numpy() if l in slopes else 0.0
        else:
            sensitivity = 1 + 2 * np.abs(outs[l].detach().numpy())
        out[l] = (d1[l].detach().abs().numpy(),
                  np.zeros(zs[l].shape) if second_derivative is None else second_derivative.detach().abs().numpy(),
                  sensitivity)
    return out
