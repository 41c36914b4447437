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

from manual.activations import Activation
from manual.network import Gradients, Network

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


def gradient_magnitudes(net: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The sizes of the terms each backward quantity sums: its rounding error is proportional to them.

    A sum Σ t computed in floating point is off by at most about (#terms)·eps·Σ|t|, however much the
    terms cancel (δ[L] = a − y near a fit; a softmax layer, whose Σ_k (a_k − y_k) is exactly 0), so
    errors are measured against these magnitudes, not against the possibly tiny result:
        M_delta[L] = s·(|a[L]| + |y|) ⊙ |f_L'(z[L])|   (the factor is 1 for a fused pair and softmax,
                                                       whose Jacobian entries are at most 1)
        M_delta[l] = (M_delta[l+1] @ |W[l+1]|) ⊙ |f_l'(z[l])|
        M_db[l]    = Σ_n M_delta[l]_n,     M_dW[l] = M_delta[l].T @ |a[l-1]|
    a, z and f'(z) come from torch in float64 (f' by autograd of f), not from manual/.
    """
    a = [torch.tensor(np.asarray(x, np.float64))]
    fprime = []
    for Wl, bl, act in zip(net.W, net.b, net.activations):
        z = F.linear(a[-1], torch.tensor(Wl, dtype=torch.float64), torch.tensor(bl, dtype=torch.float64))
        z.requires_grad_(True)
        out = torch_activation(act, z)
        d = torch.autograd.grad(out.sum(), z)[0] if act.elementwise else torch.ones_like(z)
        a.append(out.detach())
        fprime.append(d.abs().numpy())
    a = [t.numpy() for t in a]
    s = 1.0 if net.reduction == "sum" else 1.0 / len(x)
    top = fprime[-1] if net.loss.fused_with is None else 1.0
    deltas = [s * (np.abs(a[-1]) + np.abs(np.asarray(y, np.float64))) * top]
    for l in range(len(net.W) - 1, 0, -1):
        deltas.insert(0, (deltas[0] @ np.abs(np.asarray(net.W[l], np.float64))) * fprime[l - 1])
    return Gradients(loss=None, delta=deltas, dW=[d.T @ np.abs(ap) for d, ap in zip(deltas, a[:-1])],
                     db=[d.sum(axis=0) for d in deltas])
