"""Activation functions f and their derivatives f', written by hand in NumPy.

Every function keeps the dtype of its input (float32 in, float32 out) and is
numerically stable: sigmoid, softplus and their derivatives are computed from
exp(-|z|), which never overflows.

An elementwise activation has a diagonal Jacobian, so BP1 and BP2 only need the
vector f'(z). Softmax couples the units of a layer; its Jacobian is a full matrix
per example (`softmax_jacobian`), and BP1 uses that matrix (see manual/network.py).
Derivations: derivations/ (activation derivatives).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .checks import check_real


def _one(z: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), worked in one array (no temporaries).

    Accurate to about one rounding wherever σ is a normal number: 1 + e^{-z} has no cancellation
    (e^{-z} > 0), and a reciprocal rounds once. Below z ≈ −709 (−88 in float32) e^{-z} overflows to
    inf and σ is 0, where the true value is below the dtype's smallest normal number.
    """
    a = np.negative(z)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)) = e^{-|z|} / (1 + e^{-|z|})² (σ' is even), accurate where σ saturates."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e + 1
    d *= d
    e /= d
    return e


def tanh(z):
    """tanh(z)."""
    return np.tanh(z)


def tanh_prime(z):
    """tanh'(z) = 1 − tanh²(z) = 4e^{-2|z|} / (1 + e^{-2|z|})², accurate where tanh saturates."""
    e = np.abs(z)  # two arrays, worked in place
    e *= -2
    np.exp(e, out=e)
    d = e + 1
    d *= d
    e *= 4
    e /= d
    return e


def relu(z):
    """relu(z) = max(z, 0)."""
    return np.maximum(z, 0)


def relu_prime(z):
    """relu'(z) = 1 for z > 0, 0 for z < 0 (undefined at 0; we use 0 there, as torch does)."""
    return (z > 0).astype(z.dtype)


def identity(z):
    """f(z) = z."""
    return z.copy()


def softplus(z):
    """softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}) (no overflow)."""
    t = np.abs(z)  # worked in place
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    t += np.maximum(z, 0)
    return t


def softmax(z):
    """softmax(z)_i = e^{z_i} / Σ_j e^{z_j} along each row, shifted by the row max."""
    e = z - z.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return e


def softmax_jacobian(z):
    """J[n, i, j] = ∂a_i/∂z_j = a_i (1[i = j] − a_j) for each example n; shape (n, k, k)."""
    a = softmax(z)
    eye = np.eye(z.shape[1], dtype=z.dtype)
    return a[:, :, None] * (eye[None, :, :] - a[:, None, :])


@dataclass(frozen=True)
class Activation:
    """One layer's activation: a name, f, and either f' (elementwise) or a Jacobian (softmax).

    `kink` is True where f' jumps at z = 0 (relu, leaky_relu: the gradient is not defined there);
    `slope` is leaky_relu's negative slope (its one parameter), None for an activation without one.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    prime: Callable[[np.ndarray], np.ndarray] | None = None
    jacobian: Callable[[np.ndarray], np.ndarray] | None = None
    kink: bool = False
    slope: float | None = None

    @property
    def elementwise(self) -> bool:
        return self.jacobian is None

    def __str__(self) -> str:
        return self.name if self.slope is None else f"{self.name}({self.slope:g})"


def leaky_relu(slope: float = 0.01) -> Activation:
    """leaky_relu(z) = z for z > 0, slope·z otherwise; derivative 1 or slope."""
    s = check_real("leaky_relu slope", slope)
    if not 0 <= s < 1:
        raise ValueError(f"leaky_relu slope: expected 0 <= slope < 1, got {slope!r}")

    def f(z):
        return np.where(z > 0, z, z * z.dtype.type(s))

    def prime(z):
        return np.where(z > 0, _one(z), z.dtype.type(s))

    return Activation("leaky_relu", f, prime=prime, kink=True, slope=s)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, prime=sigmoid_prime),
    "tanh": Activation("tanh", tanh, prime=tanh_prime),
    "relu": Activation("relu", relu, prime=relu_prime, kink=True),
    "leaky_relu": leaky_relu(),
    "identity": Activation("identity", identity, prime=_one),
    "softplus": Activation("softplus", softplus, prime=sigmoid),
    "softmax": Activation("softmax", softmax, jacobian=softmax_jacobian),
}


def get_activation(spec: str | Activation, *, argname: str = "activation") -> Activation:
    """Look an activation up by name, or pass an `Activation` (e.g. `leaky_relu(0.2)`) through."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"{argname}: expected an activation name or Activation, got {type(spec).__name__}")
    if spec not in ACTIVATIONS:
        raise ValueError(f"{argname}: unknown activation {spec!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[spec]
