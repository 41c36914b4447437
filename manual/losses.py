"""Losses C_n(a, y) for one example n, and their gradients with respect to the output a = a[L].

The batch reduction is never implicit: C = Σ_n C_n (`"sum"`) or C = (1/n) Σ_n C_n (`"mean"`);
`reduction_scale` gives the factor (1 or 1/n) that BP1 multiplies into δ[L].

Cross-entropies are computed from the logits z = z[L] and only with their own output
activation (BCE with sigmoid, softmax-CE with softmax); there δ[L] = a − y (times the
reduction scale) and log(a) is never formed, so nothing overflows or takes log(0).
Derivations: derivations/ (losses, and why δ[L] = a − y for those two pairs).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import softplus

REDUCTIONS = ("sum", "mean")


def half_sse(z, a, y):
    """C_n = ½ Σ_k (a_k − y_k)²  (the sources' cost)."""
    return 0.5 * ((a - y) ** 2).sum(axis=1)


def half_sse_grad(a, y):
    """∂C_n/∂a_k = a_k − y_k."""
    return a - y


def sse(z, a, y):
    """C_n = Σ_k (a_k − y_k)²  (the squared error without the ½)."""
    return ((a - y) ** 2).sum(axis=1)


def sse_grad(a, y):
    """∂C_n/∂a_k = 2 (a_k − y_k)."""
    return 2 * (a - y)


def mse(z, a, y):
    """C_n = (1/K) Σ_k (a_k − y_k)², K output units."""
    return ((a - y) ** 2).mean(axis=1)


def mse_grad(a, y):
    """∂C_n/∂a_k = 2 (a_k − y_k) / K."""
    return 2 * (a - y) / a.shape[1]


def bce_from_logits(z, a, y):
    """C_n = −Σ_k [y log σ(z) + (1 − y) log(1 − σ(z))] = Σ_k [softplus(z_k) − y_k z_k]."""
    return (softplus(z) - y * z).sum(axis=1)


def softmax_ce_from_logits(z, a, y):
    """C_n = −Σ_k y_k log softmax(z)_k = Σ_k y_k (logsumexp(z) − z_k)."""
    m = z.max(axis=1, keepdims=True)
    logsumexp = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return (y * (logsumexp - z)).sum(axis=1)


@dataclass(frozen=True)
class Loss:
    """A loss: C_n from (z, a, y), and either ∂C_n/∂a (`grad_a`) or the output activation whose
    pairing gives δ = a − y (`fused_with`), the only activation it accepts. `targets` is the domain
    of y: "real", "unit" (each in [0, 1]) or "simplex" (each row a distribution: one-hot or soft)."""

    name: str
    per_example: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    grad_a: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    fused_with: str | None = None
    targets: str = "real"

    def __str__(self) -> str:
        return self.name


LOSSES: dict[str, Loss] = {
    "half_sse": Loss("half_sse", half_sse, grad_a=half_sse_grad),
    "sse": Loss("sse", sse, grad_a=sse_grad),
    "mse": Loss("mse", mse, grad_a=mse_grad),
    "bce": Loss("bce", bce_from_logits, fused_with="sigmoid", targets="unit"),
    "softmax_ce": Loss("softmax_ce", softmax_ce_from_logits, fused_with="softmax", targets="simplex"),
}


def get_loss(spec: str | Loss, *, argname: str = "loss") -> Loss:
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{argname}: expected a loss name, got {type(spec).__name__}")
    if spec not in LOSSES:
        raise ValueError(f"{argname}: unknown loss {spec!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[spec]


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected 'sum' or 'mean' (it is always explicit), got {reduction!r}")
    return reduction


def reduction_scale(reduction: str, n: int, dtype) -> np.generic:
    """∂C/∂C_n: 1 for "sum", 1/n for "mean", in the parameters' dtype."""
    return np.dtype(dtype).type(1 if reduction == "sum" else 1 / n)


def reduce(per_example: np.ndarray, reduction: str) -> np.generic:
    """C = Σ_n C_n or (1/n) Σ_n C_n."""
    return per_example.sum() if reduction == "sum" else per_example.mean()
