"""A fully connected network of any depth and widths, with backpropagation written by hand.

Notation (the same in derivations/, reference/ and tests/):
    layers l = 1..L; W[l] has shape (n_l, n_{l-1}) like torch.nn.Linear; b[l] has shape (n_l,);
    a batch of n examples in rows;
        a[0] = x,   z[l] = a[l-1] @ W[l].T + b[l],   a[l] = f_l(z[l]),
        C = Σ_n C_n  or  (1/n) Σ_n C_n  (the reduction is always explicit),
        delta[l] = ∂C/∂z[l].
    The four backpropagation equations:
        BP1  delta[L] = ∂C/∂a[L] ⊙ f_L'(z[L])           (full Jacobian for softmax)
        BP2  delta[l] = (delta[l+1] @ W[l+1]) ⊙ f_l'(z[l])
        BP3  ∂C/∂b[l] = Σ_n delta[l]_n
        BP4  ∂C/∂W[l] = delta[l].T @ a[l-1]              (Σ_n of outer products)
    An optional L2 term (λ/2)·Σ_l ‖W[l]‖² in C (and (λ/2)·Σ_l ‖b[l]‖² with `l2_biases`) adds
    λ·W[l] to BP4 (and λ·b[l] to BP3); delta is unchanged.

Indexing in the code: Python lists are 0-based, so W, b, z, delta and the gradients hold layer l
at index l-1, while `a` holds a[0] = x at index 0 and so layer l at index l.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from .activations import Activation, get_activation
from .checks import (check_dtype, check_finite_result, check_float_array, check_real, check_seed, check_sizes,
                     check_targets)
from .losses import Loss, check_reduction, get_loss, reduce, reduction_scale


# ----------------------------------------------------------------------------- the equations

def linear(a_prev, W, b):
    """z[l] = a[l-1] @ W[l].T + b[l]."""
    z = a_prev @ W.T
    z += b
    return z


def bp1_output_error(z, a, y, act: Activation, loss: Loss, scale):
    """BP1: delta[L] = ∂C/∂z[L].

    Fused pairs (sigmoid + BCE, softmax + softmax-CE): delta[L] = scale · (a − y).
    Elementwise f: delta[L] = scale · ∂C_n/∂a ⊙ f'(z).
    Softmax:       delta[L]_n = J_n.T @ (scale · ∂C_n/∂a_n), J_n[i, j] = ∂a_i/∂z_j (full Jacobian).
    `scale` is ∂C/∂C_n: 1 for a sum over the batch, 1/n for a mean.
    """
    if loss.fused_with is not None:
        delta = a - y
        delta *= scale
        return delta
    grad_a = scale * loss.grad_a(a, y)
    if act.elementwise:
        return grad_a * act.prime(z)
    return np.einsum("nij,ni->nj", act.jacobian(z), grad_a)


def bp2_hidden_error(delta_next, W_next, z, act: Activation):
    """BP2: delta[l] = (delta[l+1] @ W[l+1]) ⊙ f_l'(z[l])  (hidden layers are elementwise)."""
    delta = delta_next @ W_next
    delta *= act.prime(z)
    return delta


def bp3_bias_grad(delta):
    """BP3: ∂C/∂b[l] = Σ_n delta[l]_n (the reduction scale is already inside delta)."""
    return delta.sum(axis=0)


def bp4_weight_grad(delta, a_prev):
    """BP4: ∂C/∂W[l] = delta[l].T @ a[l-1] = Σ_n outer(delta[l]_n, a[l-1]_n), shape (n_l, n_{l-1})."""
    return delta.T @ a_prev


def l2_grad(param, l2):
    """∂/∂θ of the L2 term (λ/2)·‖θ‖²: λ·θ, added to BP4 (and BP3 when the biases are included)."""
    return l2 * param


def l2_cost(net: "Network"):
    """The L2 term (λ/2)·(Σ_l ‖W[l]‖² + Σ_l ‖b[l]‖² where the biases are included)."""
    params = net.W + (net.b if net.l2_biases else [])
    return net.dtype.type(net.l2 / 2) * sum((p * p).sum() for p in params)


# ----------------------------------------------------------------------------- the two passes

@dataclass(frozen=True)
class Forward:
    """Everything the forward pass computed: z[l] at z[l-1], a[l] at a[l] (a[0] = x), and the network
    that computed it (backward() refuses the Forward of another network)."""

    z: list[np.ndarray]
    a: list[np.ndarray]
    net: "Network"


@dataclass(frozen=True)
class Gradients:
    """The cost C (None where it was not computed), ∂C/∂z[l] (delta), ∂C/∂W[l] (dW) and ∂C/∂b[l]
    (db), with layer l at index l-1."""

    cost: np.generic | None
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]


def feedforward(net: "Network", x: np.ndarray) -> Forward:
    """The forward pass on an already checked x: a[0] = x, z[l] = a[l-1] @ W[l].T + b[l], a[l] = f_l(z[l]).
    An overflow raises FloatingPointError naming the first z[l] that is not finite."""
    z, a = [], [x]
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, by layer, instead
        for l, (Wl, bl, f) in enumerate(zip(net.W, net.b, net.activations), start=1):
            z.append(linear(a[-1], Wl, bl))
            check_finite_result(f"z[{l}]", z[-1])
            a.append(f.f(z[-1]))
    return Forward(z, a, net)


def cost(net: "Network", cache: Forward, y: np.ndarray) -> np.generic:
    """C = Σ_n C_n or (1/n) Σ_n C_n for the batch the cache was computed from."""
    with np.errstate(over="ignore", invalid="ignore"):
        C = reduce(net.loss.per_example(cache.z[-1], cache.a[-1], y), net.reduction)
        if net.l2:
            C = C + l2_cost(net)
    check_finite_result("C", C)
    return C


def backpropagate_errors(net: "Network", cache: Forward, y: np.ndarray) -> list[np.ndarray]:
    """delta[l] = ∂C/∂z[l] for every layer, layer l at index l-1: BP1 for delta[L], then BP2 down to
    delta[1]. Not checked for finiteness here (`backpropagate` names the first that is not finite)."""
    L = len(net.W)
    W, f, z, a = [None, *net.W], [None, *net.activations], [None, *cache.z], cache.a
    scale = reduction_scale(net.reduction, y.shape[0], net.dtype)
    delta = [None] * (L + 1)
    with np.errstate(over="ignore", invalid="ignore"):  # reported by the caller, by layer, instead
        delta[L] = bp1_output_error(z[L], a[L], y, f[L], net.loss, scale)
        for l in range(L - 1, 0, -1):
            delta[l] = bp2_hidden_error(delta[l + 1], W[l + 1], z[l], f[l])
    return delta[1:]


def backpropagate(net: "Network", cache: Forward, y: np.ndarray) -> Gradients:
    """The backward pass on an already checked y: BP1 for delta[L], BP2 down to delta[1], then BP3
    and BP4 for every layer. Lists are padded at index 0 here so that layer l sits at index l, as in
    the equations; the Gradients hold layer l at l-1 (and no cost: `Network.gradients` adds it).
    An overflow raises FloatingPointError naming a delta[l], ∂C/∂W[l] or ∂C/∂b[l] that is not
    finite (the first of layer 1's three, then layer 2's, ...)."""
    L = len(net.W)
    W, a = [None, *net.W], cache.a
    delta, dW, db = [None, *backpropagate_errors(net, cache, y)], [None] * (L + 1), [None] * (L + 1)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, by layer, instead
        for l in range(1, L + 1):
            dW[l] = bp4_weight_grad(delta[l], a[l - 1])
            db[l] = bp3_bias_grad(delta[l])
            if net.l2:
                dW[l] += l2_grad(W[l], net.dtype.type(net.l2))
                if net.l2_biases:
                    db[l] += l2_grad(net.b[l - 1], net.dtype.type(net.l2))
    for l in range(1, L + 1):  # delta finite does not make dW, db finite (a sum may overflow)
        for name, arr in ((f"delta[{l}]", delta[l]), (f"dC/dW[{l}]", dW[l]), (f"dC/db[{l}]", db[l])):
            check_finite_result(name, arr)
    return Gradients(cost=None, delta=delta[1:], dW=dW[1:], db=db[1:])


# ----------------------------------------------------------------------------- the network

class Network:
    """Parameters W[l], b[l], one activation per layer, a loss and an explicit batch reduction."""

    def __init__(self, W: Sequence[np.ndarray], b: Sequence[np.ndarray],
                 activations: str | Activation | Sequence[str | Activation],
                 *, loss: str | Loss, reduction: str, l2: float = 0.0, l2_biases: bool = False):
        if not isinstance(W, (list, tuple)) or not isinstance(b, (list, tuple)):
            raise TypeError("W, b: expected lists with one array per layer")
        if len(W) == 0 or len(W) != len(b):
            raise ValueError(f"W, b: expected one weight and one bias per layer (L >= 1), "
                             f"got {len(W)} weights and {len(b)} biases")
        dtype = check_float_array("W[1]", W[0], (None, None)).dtype  # every other array must match it
        for l, (Wl, bl) in enumerate(zip(W, b), start=1):
            fan_in = W[l - 2].shape[0] if l > 1 else None
            check_float_array(f"W[{l}]", Wl, (None, fan_in), dtype)
            check_float_array(f"b[{l}]", bl, (Wl.shape[0],), dtype)
        self.W, self.b = list(W), list(b)
        self.activations = _check_activations(activations, len(W))
        self.loss = get_loss(loss)
        self.reduction = check_reduction(reduction)
        self.l2 = check_real("l2", l2, low=0)
        if not isinstance(l2_biases, bool):
            raise TypeError(f"l2_biases: expected True or False, got {type(l2_biases).__name__}")
        self.l2_biases = l2_biases
        _check_pairing(self.activations, self.loss)

    @classmethod
    def init(cls, sizes: Sequence[int], activations, *, loss: str | Loss, reduction: str,
             seed: int | None = 0, dtype=np.float64, l2: float = 0.0, l2_biases: bool = False) -> "Network":
        """Random parameters: W[l] ~ N(0, 1/n_{l-1}) (variance kept through the layers), b[l] = 0.
        `seed` defaults to 0, so a call without one gives the same network every time."""
        sizes = check_sizes(sizes)
        dtype = check_dtype("dtype", dtype)
        rng = np.random.default_rng(check_seed("seed", seed))
        W = [(rng.standard_normal((m, k)) / np.sqrt(k)).astype(dtype) for k, m in zip(sizes, sizes[1:])]
        b = [np.zeros(m, dtype) for m in sizes[1:]]
        return cls(W, b, activations, loss=loss, reduction=reduction, l2=l2, l2_biases=l2_biases)

    @property
    def sizes(self) -> list[int]:
        return [self.W[0].shape[1]] + [Wl.shape[0] for Wl in self.W]

    @property
    def dtype(self) -> np.dtype:
        return self.W[0].dtype

    def __repr__(self) -> str:
        acts = ", ".join(str(f) for f in self.activations)
        l2 = f", l2={self.l2:g}" + (", l2_biases=True" if self.l2_biases else "") if self.l2 else ""
        return (f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss}, "
                f"reduction={self.reduction}{l2}, dtype={self.dtype})")

    # -- checked entry points

    def check_x(self, x) -> np.ndarray:
        return check_float_array("x", x, (None, self.sizes[0]), self.dtype)

    def check_xy(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        x = self.check_x(x)
        return x, self.check_y(y, x.shape[0])

    def check_y(self, y, n: int) -> np.ndarray:
        y = check_float_array("y", y, (n, self.sizes[-1]), self.dtype)
        check_targets(self.loss, y)
        return y

    def forward(self, x) -> Forward:
        """The forward pass: a[0] = x, then z[l] = a[l-1] @ W[l].T + b[l] and a[l] = f_l(z[l]).
        x is copied, so a later change to the caller's array cannot change the gradients."""
        return feedforward(self, self.check_x(x).copy())

    def cost(self, x, y) -> np.generic:
        """C for the batch (x, y), with the network's reduction."""
        x, y = self.check_xy(x, y)
        return cost(self, feedforward(self, x), y)

    def backward(self, cache: Forward, y) -> Gradients:
        """The backward pass from this network's forward pass: C, every delta[l] (BP1, BP2),
        ∂C/∂b[l] (BP3) and ∂C/∂W[l] (BP4)."""
        if not isinstance(cache, Forward):
            raise TypeError(f"cache: expected the Forward that forward() returned, got {type(cache).__name__}")
        if cache.net is not self:
            raise ValueError(f"cache: computed by another network ({cache.net!r}); pass the cache that "
                             "this network's forward() returned")
        y = self.check_y(y, cache.a[0].shape[0])  # x was checked by forward()
        return replace(backpropagate(self, cache, y), cost=cost(self, cache, y))

    def gradients(self, x, y) -> Gradients:
        """One forward and one backward pass: C, every delta[l], ∂C/∂W[l] and ∂C/∂b[l]."""
        x, y = self.check_xy(x, y)
        cache = feedforward(self, x)
        return replace(backpropagate(self, cache, y), cost=cost(self, cache, y))


def _check_activations(activations, L: int) -> list[Activation]:
    if isinstance(activations, (str, Activation)):
        activations = [activations] * L
    if not isinstance(activations, (list, tuple)):
        raise TypeError(f"activations: expected a name or a list of {L} names, got {type(activations).__name__}")
    if len(activations) != L:
        raise ValueError(f"activations: expected one per layer ({L}), got {len(activations)}")
    acts = [get_activation(f, argname=f"activations[{i}]") for i, f in enumerate(activations)]
    for i, f in enumerate(acts[:-1]):
        if not f.elementwise:
            raise ValueError(f"activations[{i}]: {f} is only supported on the output layer "
                             f"(layer {L}), not on hidden layer {i + 1}")
    return acts


def _check_pairing(acts: list[Activation], loss: Loss) -> None:
    if loss.fused_with is not None and acts[-1].name != loss.fused_with:
        raise ValueError(f"loss: {loss.name} is computed from the logits of a {loss.fused_with} output layer; "
                         f"the output activation is {acts[-1]} (use activation {loss.fused_with!r} "
                         "on the last layer, or a squared-error loss)")
