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
