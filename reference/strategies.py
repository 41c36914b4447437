"""Random networks with inputs and targets: the one architecture strategy, used everywhere.

`build_case(chooser, ...)` makes every random choice through a small `Chooser` interface, so the
same construction backs the hypothesis strategy `cases()` (tests; hypothesis shrinks a failure
to the smallest network, batch and values) and `random_case(rng)` (the `backproof` sweep).

Two properties hold by construction, not by luck:
  * |z| ≤ Z_MAX + 1 in every layer: the weights are scaled so |a[l-1] @ W[l].T| ≤ Z_MAX and
    |b| ≤ 1, which keeps sigmoid/tanh/softmax out of saturation, where float64 autograd's own
    σ(1 − σ) and 1 − tanh² lose digits;
  * no kinks: in relu and leaky_relu layers each unit's bias puts z = 0 in the middle of a gap
    at least 2·KINK_MARGIN wide between that unit's pre-bias values over the batch (or below or
    above all of them), so |z| ≥ KINK_MARGIN for every example.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from backproof.manual.activations import ACTIVATIONS, Activation, leaky_relu
from backproof.manual.network import Network

Z_MAX = 3.0
KINK_MARGIN = 0.1
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "softplus")
OUTPUT_ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax",)
LOSS_NAMES = ("half_sse", "mse", "bce", "softmax_ce")
DTYPES = ("float64", "float32")


class NearKink(ValueError):
    """A bias-free relu-family layer has some z within KINK_MARGIN of its kink."""


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...
    def reals(self, lo: float, hi: float, shape: tuple) -> np.ndarray: ...
    def choice(self, options: Sequence): ...


@dataclass
class Case:
    """One network (parameters included), a batch x and its targets y."""

    net: Network
    x: np.ndarray
    y: np.ndarray
    notes: dict = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        return sum(Wl.size + bl.size for Wl, bl in zip(self.net.W, self.net.b))

    def describe(self) -> str:
        acts = ", ".join(str(f) for f in self.net.activations)
        return (f"sizes={self.net.sizes} activations=[{acts}] loss={self.net.loss} "
                f"reduction={self.net.reduction} batch={len(self.x)} dtype={self.net.dtype}")


def build_case(c: Chooser, *, max_depth: int = 4, max_width: int = 8, max_batch: int = 6,
               losses: Sequence[str] = LOSS_NAMES, reductions: Sequence[str] = ("sum", "mean"),
               dtypes: Sequence[str] = DTYPES, hidden: Sequence[str] = HIDDEN_ACTIVATIONS,
               outputs: Sequence[str] = OUTPUT_ACTIVATIONS, layers: Sequence | None = None,
               biases: bool = True) -> Case:
    """Depth (hidden layers) 0..max_depth, widths 1..max_width, batch 1..max_batch.

    `layers` fixes one activation per layer (and so the depth); `biases=False` makes every b[l]
    zero, for networks without biases. Without a bias to move, z = 0 cannot be kept away from a
    relu kink by construction, so such a case raises `NearKink` (hypothesis then rejects it).
    """
    depth = c.integer(0, max_depth) if layers is None else len(layers) - 1
    loss = c.choice(losses)
    sizes = [c.integer(1, max_width) for _ in range(depth + 1)]
    sizes.append(c.integer(2 if loss == "softmax_ce" else 1, max_width))
    n = c.integer(1, max_batch)
    reduction, dtype = c.choice(reductions), np.dtype(c.choice(dtypes))
    output = {"bce": "sigmoid", "softmax_ce": "softmax"}.get(loss) or c.choice(outputs)
    if layers is None:
        acts = [_activation(c, c.choice(hidden)) for _ in range(depth)] + [_activation(c, output)]
    else:
        acts = [f if isinstance(f, Activation) else _activation(c, f) for f in layers]

    x = c.reals(-1, 1, (n, sizes[0]))
    a, W, b = x, [], []
    for (k, m), f in zip(zip(sizes, sizes[1:]), acts):
        Wl = c.reals(-1, 1, (m, k))
        pre = a @ Wl.T
        top = np.abs(pre).max()
        if top > Z_MAX:
            Wl, pre = Wl * (Z_MAX / top), pre * (Z_MAX / top)
        if not biases:
            bl = np.zeros(m)
            if f.has_kink and np.abs(pre).min() < KINK_MARGIN:
                raise NearKink(f"layer {len(W) + 1}: |z| < {KINK_MARGIN} in a {f} layer without biases")
        else:
            bl = _bias_off_kinks(c, pre) if f.has_kink else c.reals(-1, 1, (m,))
        W.append(Wl.astype(dtype))
        b.append(bl.astype(dtype))
        a = f.f(pre + bl)
    y = _targets(c, loss, (n, sizes[-1]))
    net = Network(W, b, acts, loss=loss, reduction=reduction)
    return Case(net, x.astype(dtype), y.astype(dtype))


def _activation(c: Chooser, name: str):
    if name == "leaky_relu":
        return leaky_relu(float(c.choice((0.01, 0.1, 0.3))))
    return ACTIVATIONS[name]


def _bias_off_kinks(c: Chooser, pre: np.ndarray) -> np.ndarray:
    """For each unit j, a bias b_j with |pre[:, j] + b_j| ≥ KINK_MARGIN for every example."""
    b = np.empty(pre.shape[1])
    for j in range(pre.shape[1]):
        v = np.sort(pre[:, j])
        # where z = 0 may go: below all values (all active), inside a wide gap, above all (all off)
        cuts = [v[0] - KINK_MARGIN]
        cuts += [(lo + hi) / 2 for lo, hi in zip(v, v[1:]) if hi - lo >= 2 * KINK_MARGIN]
        cuts.append(v[-1] + KINK_MARGIN)
        b[j] = -c.choice(cuts)
    return b


def _targets(c: Chooser, loss: str, shape: tuple) -> np.ndarray:
    if loss == "bce":
        return c.reals(0, 1, shape)
    if loss == "softmax_ce":
        if c.choice(("one-hot", "distribution")) == "one-hot":
            return np.eye(shape[1])[[c.integer(0, shape[1] - 1) for _ in range(shape[0])]]
        w = c.reals(0.01, 1, shape)
        return w / w.sum(axis=1, keepdims=True)
    return c.reals(-1, 1, shape)


# ----------------------------------------------------------------------------- the two choosers

class RandomChooser:
    """Choices from a seeded NumPy generator (reproducible sweeps)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def integer(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def reals(self, lo, hi, shape):
        return self.rng.uniform(lo, hi, shape)

    def choice(self, options):
        return options[int(self.rng.integers(len(options)))]


def random_case(rng: np.random.Generator, **limits) -> Case:
    for _ in range(1000):
        try:
            return build_case(RandomChooser(rng), **limits)
        except NearKink:
            continue
    raise ValueError("random_case: no bias-free case kept its relu layers off their kinks in 1000 tries")


def cases(**limits):
    """Hypothesis strategy for `Case`s (same keyword limits as `build_case`)."""
    from hypothesis import assume
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    class HypothesisChooser:
        def __init__(self, draw):
            self.draw = draw

        def integer(self, lo, hi):
            return self.draw(st.integers(lo, hi))

        def reals(self, lo, hi, shape):
            return self.draw(arrays(np.float64, shape, elements=st.floats(lo, hi, allow_subnormal=False)))

        def choice(self, options):
            return self.draw(st.sampled_from(list(options)))

    def build(draw):
        try:
            return build_case(HypothesisChooser(draw), **limits)
        except NearKink:
            assume(False)

    return st.composite(build)()
