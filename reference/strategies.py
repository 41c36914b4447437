"""Random networks with inputs and targets: the one architecture strategy, used everywhere.

A case is drawn in two steps, so that a failure can be shrunk and reproduced exactly:
  * its `Structure` (depth, widths, batch, activations, loss, reduction, dtype), drawn through a
    small `Chooser` interface: hypothesis shrinks these choices (tests, `cases()`), the harness
    and the `backproof` sweep draw them from a seeded NumPy generator (`random_case`);
  * its values (x, W[l], b[l], y), drawn by `fill(structure, rng)` from a NumPy generator seeded by
    one integer. Values drawn that way are generic from the very first example (hypothesis's
    simplest float array is all zeros: x = 0 and W = 0 check nothing).

What is drawn is stated and widenable (`Limits`): depth 0–4 hidden layers, widths 1–10, batch
1–16, |x| ≤ 1, and each layer's largest pre-activation |a[l-1] @ W[l].T| is drawn in
[0.5, max_z] (default 12; less where that would need a weight above max_z / 2), so sigmoid and
tanh layers reach well into saturation.

Two properties hold by construction, not by luck:
  * softmax is never over one unit (its gradient is identically zero);
  * no kinks: in relu and leaky_relu layers each unit's bias puts z = 0 in the middle of a gap
    at least 2·KINK_MARGIN wide between that unit's pre-bias values over the batch (or below or
    above all of them), so |z| ≥ KINK_MARGIN for every example.
The names drawn, the output each loss is computed with, the domain of its targets, the least
width of an output activation and the values drawn for an activation's parameters all come from
the records (reference/records.py). A parametrized activation (leaky_relu) named in a draw gets
one of its record's `drawn` values, which manual/'s Network carries, so the code under test is
told it; the harness passes `Activation`s (the name alone means torch's default slope, 0.01), so
a user's backprop is never given a parameter behind its back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from backproof.manual.activations import Activation
from backproof.manual.checks import check_int, check_real
from backproof.manual.losses import Loss, get_loss
from backproof.manual.network import Network

from .records import ACTIVATIONS, LOSSES, activation_record, loss_record

KINK_MARGIN = 0.1
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Limits:
    """What is drawn; every range is inclusive. Widen it to search further."""

    depth: tuple[int, int] = (0, 4)      # hidden layers
    width: tuple[int, int] = (1, 10)     # every layer, input and output included
    batch: tuple[int, int] = (1, 16)
    input_scale: float = 1.0             # x uniform in [-input_scale, input_scale]
    max_z: float = 12.0                  # each layer's largest |a[l-1] @ W[l].T| lies in [0.5, max_z]

    def __post_init__(self):
        for name, lo_min in (("depth", 0), ("width", 1), ("batch", 1)):
            pair = getattr(self, name)
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeError(f"{name}: expected a pair (low, high), got {pair!r}")
            lo = check_int(f"{name}[0]", pair[0], low=lo_min)
            check_int(f"{name}[1]", pair[1], low=lo)
        check_real("input_scale", self.input_scale, low=0, open_low=True)
        check_real("max_z", self.max_z, low=0.5, high=80)  # exp(80) is still finite in float32


class NearKink(ValueError):
    """A bias-free relu-family layer has some z within KINK_MARGIN of its kink."""


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...
    def choice(self, options: Sequence): ...
    def value_seed(self) -> int: ...


@dataclass(frozen=True)
class Structure:
    """Everything about a case except its values."""

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    loss: str | Loss
    reduction: str
    batch: int
    dtype: str
    targets: str = "both"      # for a loss whose targets are a simplex: "one-hot", "soft" or "both"
    l2: float = 0.0            # an L2 term (l2/2)·Σ‖W‖² in the cost (and the biases' with l2_biases)
    l2_biases: bool = False

    @property
    def depth(self) -> int:
        return len(self.sizes) - 2


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


def hidden_activations() -> tuple[str, ...]:
    """The records' activations a hidden layer may draw, read when drawn (a record added at run time
    is drawn too)."""
    return tuple(name for name, r in ACTIVATIONS.items() if r.hidden)


def draw_structure(c: Chooser, limits: Limits = Limits(), *, losses: Sequence | None = None,
                   reductions: Sequence[str] = ("sum", "mean"), dtypes: Sequence[str] = DTYPES,
                   hidden: Sequence | None = None, outputs: Sequence | None = None,
                   layers: Sequence | None = None, parameters: str = "drawn", targets: str = "both",
                   l2s: Sequence[float] = (0.0,), l2_biases: Sequence[bool] = (False,)) -> Structure:
    """Depth, widths, batch, activations (names or `Activation`s), loss (a name or a `Loss`),
    reduction and dtype, and the L2 term. `hidden` and `outputs` are what the hidden layers and the
    output layer draw from (a loss computed from an output's logits takes that output); `layers` fixes
    one activation per layer, and so the depth. Left out, the losses, hidden and output activations
    are every record's (reference/records.py), read now. With `parameters="drawn"` (the default) a parametrized
    activation given by name gets one of its record's drawn values; with "given", its default
    (harness: the caller names the parameters). A choice among one option draws nothing, so adding a
    setting leaves every other draw of a seed as it was."""
    losses = tuple(LOSSES) if losses is None else losses
    hidden = hidden_activations() if hidden is None else hidden
    outputs = tuple(ACTIVATIONS) if outputs is None else outputs
    depth = c.integer(*limits.depth) if layers is None else len(layers) - 1
    loss = c.choice(losses)
    paired = loss_record(_loss_of(loss)).output
    output = paired or c.choice(outputs)
    if layers is None:
        acts = [_activation(c, c.choice(hidden), parameters) for _ in range(depth)]
        acts.append(_activation(c, output, parameters))
    else:
        acts = [_activation(c, f, parameters) for f in layers]
    lo, hi = limits.width
    sizes = [c.integer(lo, hi) for _ in range(depth + 1)]
    least = activation_record(acts[-1]).min_width  # softmax needs two units, even where the limit says one
    sizes.append(c.integer(max(lo, least), max(hi, least)))
    n = c.integer(*limits.batch)
    reduction, dtype = c.choice(reductions), str(np.dtype(c.choice(dtypes)))
    l2 = float(_one_of(c, l2s))
    return Structure(tuple(sizes), tuple(acts), loss, reduction, n, dtype, targets, l2,
                     bool(_one_of(c, l2_biases)) if l2 else False)


def _one_of(c: Chooser, options: Sequence):
    return options[0] if len(options) == 1 else c.choice(options)


def fill(structure: Structure, rng: np.random.Generator, limits: Limits = Limits(), *,
         biases: bool = True) -> Case:
    """The values of a case: x, then layer by layer W[l] scaled so that the largest pre-activation
    |a[l-1] @ W[l].T| is a draw from [0.5, max_z] (less where that would need |W| > max_z / 2), b[l] (off the kinks in relu-family layers; zero
    with `biases=False`), and targets y that suit the loss. Raises NearKink where no bias can keep
    a relu layer off its kink."""
    sizes, acts, n, dtype = structure.sizes, structure.activations, structure.batch, np.dtype(structure.dtype)
    x = rng.uniform(-limits.input_scale, limits.input_scale, (n, sizes[0]))
    a, W, b = x, [], []
    for (k, m), f in zip(zip(sizes, sizes[1:]), acts):
        Wl = rng.uniform(-1, 1, (m, k))
        pre = a @ Wl.T
        top = np.abs(pre).max()
        if top > 0:  # scaled to the drawn |z|, but no weight beyond max_z / 2 (after an almost dead
            # leaky_relu layer reaching |z| = 12 would take weights of 100, which float32 cannot difference)
            scale = min(rng.uniform(0.5, limits.max_z) / top, limits.max_z / 2 / np.abs(Wl).max())
            Wl, pre = Wl * scale, pre * scale
        if not biases:
            bl = np.zeros(m)
            if f.kink and np.abs(pre).min() < KINK_MARGIN:
                raise NearKink(f"layer {len(W) + 1}: |z| < {KINK_MARGIN} in a {f} layer without biases")
        else:
            bl = _bias_off_kinks(rng, pre) if f.kink else rng.uniform(-1, 1, m)
        W.append(Wl.astype(dtype))
        b.append(bl.astype(dtype))
        a = f.f(pre + bl)
    y = _targets(rng, loss_record(_loss_of(structure.loss)).targets, (n, sizes[-1]), structure.targets)
    net = Network(W, b, list(acts), loss=structure.loss, reduction=structure.reduction, l2=structure.l2,
                  l2_biases=structure.l2_biases)
    return Case(net, x.astype(dtype), y.astype(dtype))


def widened(case: Case) -> Case:
    """The same network and batch in float64: the float32 values exactly, except targets on a simplex,
    renormalised (a float32 row's sum misses 1 by 1e-8, far more than a float64 row may)."""
    net = case.net
    wide = Network([Wl.astype(np.float64) for Wl in net.W], [bl.astype(np.float64) for bl in net.b], net.activations,
                   loss=net.loss, reduction=net.reduction, l2=net.l2, l2_biases=net.l2_biases)
    y = case.y.astype(np.float64)
    if loss_record(net.loss).targets == "simplex":
        y /= y.sum(axis=1, keepdims=True)
    return Case(wide, case.x.astype(np.float64), y)


def build_case(c: Chooser, limits: Limits = Limits(), *, biases: bool = True, **choices) -> Case:
    """A structure drawn through `c`, then its values from the seed `c` gives."""
    structure = draw_structure(c, limits, **choices)
    return fill(structure, np.random.default_rng(c.value_seed()), limits, biases=biases)


def _activation(c: Chooser, f, parameters: str) -> Activation:
    if isinstance(f, Activation):
        return f
    record = ACTIVATIONS[f]
    if parameters == "drawn" and record.drawn:
        return record.activation(c.choice(record.drawn))
    return record.activation()


def _loss_of(spec) -> Loss:
    """A loss name or a Loss object (a user's), as the Loss the records know."""
    return get_loss(spec)


def _bias_off_kinks(rng: np.random.Generator, pre: np.ndarray) -> np.ndarray:
    """For each unit j, a bias b_j with |pre[:, j] + b_j| ≥ KINK_MARGIN for every example."""
    b = np.empty(pre.shape[1])
    for j in range(pre.shape[1]):
        v = np.sort(pre[:, j])
        # where z = 0 may go: below all values (all active), inside a wide gap, above all (all off)
        cuts = [v[0] - KINK_MARGIN]
        cuts += [(lo + hi) / 2 for lo, hi in zip(v, v[1:]) if hi - lo >= 2 * KINK_MARGIN]
        cuts.append(v[-1] + KINK_MARGIN)
        b[j] = -cuts[int(rng.integers(len(cuts)))]
    return b


TARGET_KINDS = ("both", "one-hot", "soft")


def _targets(rng: np.random.Generator, domain: str, shape: tuple, kind: str = "both") -> np.ndarray:
    """Targets in the loss's domain: "unit" uniform in [0, 1]; "real" uniform in [-1, 1]; "simplex"
    one-hot rows or soft distributions, as `kind` says ("both": each half the time)."""
    if domain == "unit":
        return rng.uniform(0, 1, shape)
    if domain == "simplex":
        one_hot = rng.integers(2) == 0   # drawn whatever the kind, so a seed draws the same values
        if kind == "one-hot" or (kind == "both" and one_hot):
            return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
        w = rng.uniform(0.01, 1, shape)
        return w / w.sum(axis=1, keepdims=True)
    return rng.uniform(-1, 1, shape)


# ----------------------------------------------------------------------------- the two choosers

class RandomChooser:
    """Choices from a seeded NumPy generator (the harness and the sweep: the same seed gives the
    same cases from any caller, on any machine).

    A choice among options is made by name, not by position (rendezvous hashing): one draw k from
    the generator, then the option whose name hashes highest with k. Adding an option (a new record)
    changes a seed's choice only where the new option wins, and never what is drawn after it; the
    options' order does not matter."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def integer(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def choice(self, options):
        options = list(options)
        if not options:
            raise ValueError("choice: no options to choose from")
        key = int(self.rng.integers(2 ** 63))
        names = [option_name(o) for o in options]
        if len(set(names)) != len(names):
            raise ValueError(f"choice: the options' names must differ, got {names}")
        return options[max(range(len(options)), key=lambda i: _rank(key, names[i]))]

    def value_seed(self):
        return int(self.rng.integers(2 ** 32))


def option_name(option) -> str:
    """The name an option is chosen by: a record's or `Activation`'s or `Loss`'s name (with its
    parameters), a dtype's name, or the value's repr."""
    if isinstance(option, str):
        return option
    if isinstance(option, (Activation, Loss)):
        return str(option)
    if isinstance(option, np.dtype) or (isinstance(option, type) and issubclass(option, np.generic)):
        return np.dtype(option).name
    return repr(option)


def _rank(key: int, name: str) -> int:
    digest = hashlib.blake2b(f"{key}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def random_case(rng: np.random.Generator, limits: Limits = Limits(), **choices) -> Case:
    """One case drawn from `rng` (a relu layer without biases that lands on its kink is redrawn)."""
    for _ in range(1000):
        try:
            return build_case(RandomChooser(rng), limits, **choices)
        except NearKink:
            continue
    raise ValueError("random_case: no bias-free case kept its relu layers off their kinks in 1000 tries")


def cases(limits: Limits = Limits(), **choices):
    """Hypothesis strategy for `Case`s: hypothesis draws (and shrinks) the structure and the seed of
    the values. Keywords as `draw_structure`, plus `biases`."""
    from hypothesis import assume
    from hypothesis import strategies as st

    class HypothesisChooser:
        def __init__(self, draw):
            self.draw = draw

        def integer(self, lo, hi):
            return self.draw(st.integers(lo, hi))

        def choice(self, options):
            return self.draw(st.sampled_from(list(options)))

        def value_seed(self):
            return self.draw(st.integers(0, 2 ** 32 - 1))

    def build(draw):
        try:
            return build_case(HypothesisChooser(draw), limits, **choices)
        except NearKink:
            assume(False)

    return st.composite(build)()
