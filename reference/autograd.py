"""The PyTorch autograd oracle: the same network rebuilt in torch from the same parameters.

It shares no code with manual/'s backward pass: the forward pass is written with torch's own
functions (torch.sigmoid, F.softplus, F.binary_cross_entropy_with_logits, F.log_softmax …) and
torch differentiates it. Every z[l] keeps its gradient (`retain_grad`), so ∂C/∂z[l] = delta[l]
is checked for every layer, not only the final parameter gradients.

Default: float64 on the CPU. `dtype`/`device` choose others (CUDA tensors when a GPU is present).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from backproof.manual.activations import Activation
from backproof.manual.network import Gradients, Network

_TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
    "softplus": F.softplus,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_activation(act: Activation, z: torch.Tensor) -> torch.Tensor:
    if act.name == "leaky_relu":
        return F.leaky_relu(z, negative_slope=act.slope)
    return _TORCH_ACTIVATIONS[act.name](z)


def torch_per_example_loss(name: str, z: torch.Tensor, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """C_n for each example, written with torch's own loss functions."""
    if name == "half_sse":
        return 0.5 * F.mse_loss(a, y, reduction="none").sum(dim=1)
    if name == "mse":
        return F.mse_loss(a, y, reduction="none").mean(dim=1)
    if name == "bce":
        return F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
    if name == "softmax_ce":
        return -(y * F.log_softmax(z, dim=1)).sum(dim=1)
    raise ValueError(f"loss: no torch version of {name!r}")


def autograd_gradients(net: Network, x: np.ndarray, y: np.ndarray, *, dtype=torch.float64,
                       device: str | torch.device = "cpu") -> Gradients:
    """C, delta[l] = ∂C/∂z[l], ∂C/∂W[l] and ∂C/∂b[l] from torch autograd, as float64 NumPy arrays."""
    def tensor(arr, grad=False):
        return torch.tensor(np.asarray(arr, dtype=np.float64), dtype=dtype, device=device, requires_grad=grad)

    W = [tensor(Wl, grad=True) for Wl in net.W]
    b = [tensor(bl, grad=True) for bl in net.b]
    a, zs = tensor(x), []
    for Wl, bl, act in zip(W, b, net.activations):
        z = F.linear(a, Wl, bl)  # a @ W.T + b, as torch.nn.Linear computes it
        z.retain_grad()
        zs.append(z)
        a = torch_activation(act, z)
    per_example = torch_per_example_loss(net.loss.name, zs[-1], a, tensor(y))
    cost = per_example.sum() if net.reduction == "sum" else per_example.mean()
    cost.backward()

    def numpy(t):
        return t.detach().to("cpu", torch.float64).numpy()

    return Gradients(loss=np.float64(cost.item()), delta=[numpy(z.grad) for z in zs],
                     dW=[numpy(Wl.grad) for Wl in W], db=[numpy(bl.grad) for bl in b])


def gradient_magnitudes(net: Network, x: np.ndarray, y: np.ndarray, reference: Gradients | None = None) -> Gradients:
    """A first-order running error bound of every entry of every backward quantity: the rounding
    error of entry i is at most about (roundings on its path)·eps·M_i,
    however much its terms cancel (δ[L] = a − y near a fit; Σ_k (a_k − y_k) = 0 through a softmax;
    z = W·a + b cancelling to nearly 0). Each quantity's bound M is propagated with the value it
    multiplies, as for a product u·v: M(u·v) = M(u)·|v| + |u|·M(v), never M(u)·M(v).
    Forward:
        Zm[l] = A[l-1] @ |W[l]|.T + |b[l]|          (the bound of z[l])
        A[l]  = |a[l]| + |f'(z[l])| ⊙ Zm[l]          (of a[l]; A[0] = |x|)
                softmax: |a| ⊙ (1 + Zm + Σ_k a_k Zm_k)   (da_i = a_i (dz_i − Σ_k a_k dz_k))
        F[l]  = |f'(z[l])| + |f''(z[l])| ⊙ Zm[l]     (of f'(z[l]), moved by z[l]'s error)
                + |∂f'/∂a| ⊙ A[l]                    (f' computed from a[l], the textbook way:
                                                      1 − a² for tanh, a(1 − a) for the sigmoid,
                                                      1 − e^(−a) for softplus; torch does the same)
    Backward, with g = ∂C_n/∂a[L] = c·(a − y) (c = 1 for ½·SSE, 2/K for MSE), G = c·(A[L] + |y|)
    its bound, and s = ∂C/∂C_n:
        M_delta[L] = s·(A[L] + |y|)                        fused pair (δ = s(a − y))
                   = s·(G ⊙ |f'| + |g| ⊙ F[L])             elementwise f
                   = s·(Σ_i G_i |J_ij| + Σ_i |g_i| ΔJ_ij)   softmax, J_ij = a_i(1[i=j] − a_j), ΔJ its bound
        M_delta[l] = (M_delta[l+1] @ |W[l+1]|) ⊙ |f'(z[l])| + (|delta[l+1]| @ |W[l+1]|) ⊙ F[l]
        M_db[l] = Σ_n M_delta[l]_n,   M_dW[l] = M_delta[l].T @ |a[l-1]| + |delta[l]|.T @ A[l-1]
        M_loss = Σ |∂C/∂a[L]| ⊙ (A[L] + |y|) + Σ |∂C/∂z[L]| ⊙ Zm[L] + s·Σ_n (|C_n| + Σ_k |y ⊙ z[L]|)
                 (the loss as a function of a[L] for squared errors, of z[L] for the cross-entropies)
    a, z, delta, f' and f'' come from torch in float64 (f' and f'' by autograd of f), not from manual/;
    `reference` is autograd_gradients(net, x, y) when the caller already has it (its deltas are used).
    """
    A, absa = [np.abs(np.asarray(x, np.float64))], [np.abs(np.asarray(x, np.float64))]
    a = torch.tensor(np.asarray(x, np.float64))
    Fs, D1s, Zm = [], [], None
    for Wl, bl, act in zip(net.W, net.b, net.activations):
        W64, b64 = torch.tensor(Wl, dtype=torch.float64), torch.tensor(bl, dtype=torch.float64)
        z = _leaf_linear(a, W64, b64)
        out = torch_activation(act, z)
        Zm = A[-1] @ np.abs(W64.numpy()).T + np.abs(b64.numpy())
        a = out.detach()
        absa.append(np.abs(a.numpy()))
        if act.elementwise:
            d1, d2 = _first_and_second_derivative(out, z)
            A.append(absa[-1] + d1 * Zm)
            Fs.append(d1 + d2 * Zm + _prime_from_output(act.name, a.numpy()) * A[-1])
            D1s.append(d1)
        else:
            A.append(absa[-1] * (1 + Zm + (absa[-1] * Zm).sum(axis=1, keepdims=True)))
            Fs.append(None)
            D1s.append(None)
    s = 1.0 if net.reduction == "sum" else 1.0 / len(x)
    yabs = np.abs(np.asarray(y, np.float64))
    if net.loss.fused_with is not None:
        top = s * (A[-1] + yabs)
    else:
        c = 2 / yabs.shape[1] if net.loss.name == "mse" else 1.0
        G, g = c * (A[-1] + yabs), c * np.abs(a.numpy() - np.asarray(y, np.float64))
        if net.activations[-1].elementwise:
            top = s * (G * D1s[-1] + g * Fs[-1])
        else:
            p, dp = absa[-1], A[-1] - absa[-1]
            exact_J = G * p + p * (G * p).sum(axis=1, keepdims=True)
            moved_J = g * dp + p * (g * dp).sum(axis=1, keepdims=True) + dp * (g * p).sum(axis=1, keepdims=True)
            top = s * (exact_J + moved_J)
    reference = autograd_gradients(net, x, y) if reference is None else reference
    values = [np.abs(d) for d in reference.delta]
    deltas = [top]
    for l in range(len(net.W) - 1, 0, -1):
        Wabs = np.abs(np.asarray(net.W[l], np.float64))
        deltas.insert(0, (deltas[0] @ Wabs) * D1s[l - 1] + (values[l] @ Wabs) * Fs[l - 1])
    return Gradients(loss=_loss_magnitude(net, z, a, y, A[-1], Zm, s), delta=deltas,
                     dW=[M.T @ ap + d.T @ Ap for M, d, ap, Ap in zip(deltas, values, absa[:-1], A[:-1])],
                     db=[M.sum(axis=0) for M in deltas])


def _loss_magnitude(net: Network, z: torch.Tensor, a: torch.Tensor, y, A_L, Zm_L, s: float) -> float:
    zL = z.detach().clone().requires_grad_(True)
    aL = a.detach().clone().requires_grad_(True)
    yt = torch.tensor(np.asarray(y, np.float64))
    per_example = torch_per_example_loss(net.loss.name, zL, aL, yt)
    ga, gz = torch.autograd.grad(per_example.sum() * s, (aL, zL), allow_unused=True)
    total = s * float((per_example.detach().abs().sum() + (yt * zL.detach()).abs().sum()).item())
    if ga is not None:
        total += float((ga.abs().numpy() * (A_L + np.abs(yt.numpy()))).sum())
    if gz is not None:
        total += float((gz.abs().numpy() * Zm_L).sum())
    return total


def _prime_from_output(name: str, a: np.ndarray) -> np.ndarray | float:
    """|∂f'/∂a| for an f' written in terms of a = f(z): how much a's own rounding moves it.
    In saturation this dominates: tanh at z = 10 has f' = 8e-9, but 1 − a² computed from a
    rounded a is off by about 2·eps, in float64 autograd as in a textbook backprop."""
    if name == "tanh":
        return 2 * np.abs(a)            # f' = 1 − a²
    if name == "sigmoid":
        return np.abs(1 - 2 * a)        # f' = a(1 − a)
    if name == "softplus":
        return np.exp(-a)               # f' = σ(z) = 1 − e^(−a)
    return 0.0                          # identity, relu, leaky_relu: f' does not depend on a


def _leaf_linear(a: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """z = a @ W.T + b as a fresh leaf, so f' and f'' can be taken with respect to it."""
    return F.linear(a, W, b).detach().requires_grad_(True)


def _first_and_second_derivative(out: torch.Tensor, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """|f'(z)| and |f''(z)| elementwise, by autograd (double backward) of torch's own f."""
    (d1,) = torch.autograd.grad(out.sum(), z, create_graph=True)
    d2 = None
    if d1.requires_grad:
        (d2,) = torch.autograd.grad(d1.sum(), z, allow_unused=True)
    d2 = torch.zeros_like(z) if d2 is None else d2
    return d1.detach().abs().numpy(), d2.detach().abs().numpy()
