"""Check anyone's backprop, in their own layout, and shrink a failure to the smallest network.

    from backproof.reference.harness import check_backprop, assert_backprop

    def my_backprop(weights, biases, x, y):   # returns (dweights, dbiases), one entry per layer
        ...

    report = check_backprop(my_backprop, activation="sigmoid", loss="half_sse", reduction="sum")
    print(report)                  # pass, or the smallest failing network and what is wrong
    assert_backprop(my_backprop)   # the same, raising BackpropMismatch (an AssertionError) with that text

Layouts:
  layout        "rows":    x is (n, in),  y is (n, out)   (examples in rows, like torch)
                "columns": x is (in, n),  y is (out, n)   (examples in columns, as in source 002)
  weight_shape  "out_in":  W[l] is (n_l, n_{l-1})          (like torch.nn.Linear)
                "in_out":  W[l] is (n_{l-1}, n_l)          (as in sources 001 and 004)
  bias          "separate":  biases[l] is (n_l,) with layout "rows", (n_l, 1) with "columns"
                "augmented": each layer's input gets a constant 1 appended as its LAST entry; its
                             weight is the last column ("out_in") or last row ("in_out") of W[l];
                             biases is an empty list, and so must dbiases be
                "none":      no biases at all; biases and dbiases are empty lists
The gradients come back in the same layout and dtype (`dtype`, float64 by default) as the
parameters given.

What is drawn (reference/strategies.py, `Limits`) is stated and can be widened: `depth` hidden
layers (default 0–4), `width` of every layer (1–10), `batch` (1–16), inputs in ±`input_scale` (1)
and each layer's largest pre-activation drawn up to `max_z` (12; weights at most max_z / 2),
so sigmoid and tanh saturate.
leaky_relu by name has torch's slope 0.01; pass `leaky_relu(0.2)` for another.

The search is a seeded NumPy stream, so the same `seed` gives the same networks from any caller
(`seed=None` draws one and the report prints it). Each network's dW and db are judged entry by
entry against float64 autograd with autograd's own rounding accounted for, and the exact symbolic
oracle decides a near-tolerance disagreement (reference.compare.judge). A network whose every
reference gradient is exactly zero checks nothing: it is counted apart, never as a pass. A failure
is shrunk until no network one step smaller (a hidden layer fewer, a unit fewer, an example fewer)
fails.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from backproof.manual.activations import ACTIVATIONS, Activation, get_activation
from backproof.manual.checks import check_dtype, check_int, check_seed
from backproof.manual.losses import LOSSES, REDUCTIONS, Loss, get_loss
from backproof.manual.network import Gradients, Network

from .autograd import autograd_gradients
from .compare import MEASURE, Mismatch, describe_value, judge, structural_problem
from .records import (UNKNOWN_FUNCTION_BOUND, UserActivation, UserLoss, activation_record, user_activation,
                      user_loss)
from .strategies import Case, Limits, NearKink, RandomChooser, Structure, draw_structure, fill

LAYOUTS = ("rows", "columns")
WEIGHT_SHAPES = ("out_in", "in_out")
BIASES = ("separate", "augmented", "none")
PRINT_INPUTS_UP_TO = 60       # numbers: a counterexample this small is printed in full
SHRINK_SEEDS = 3              # value draws tried for each smaller network
STATUSES = ("pass", "fail", "nothing checked")


@dataclass
class Counterexample:
    """The smallest failing case found, in the user's layout, with what was wrong."""

    sizes: list[int]
    activations: list[str]
    loss: str
    reduction: str
    batch: int
    parameter: str            # e.g. "dweights[1]" (0-based, as in the user's lists)
    index: tuple | None
    expected: float | None
    given: float | None
    oracle: str               # which oracle decided
    problem: str              # "" for a wrong value, else what was wrong (shape, dtype, NaN, exception)
    error: float = np.inf     # the entry's error in compare.MEASURE (> 1 fails)
    allowed: float = 0.0      # the largest |given − expected| allowed at that entry
    weights: list = field(repr=False, default_factory=list)
    biases: list = field(repr=False, default_factory=list)
    x: np.ndarray | None = field(repr=False, default=None)
    y: np.ndarray | None = field(repr=False, default=None)

    def received(self) -> str:
        """The shapes the user's function was called with."""
        shapes = lambda arrays: "[" + ", ".join(str(a.shape) for a in arrays) + "]"  # noqa: E731
        return (f"weights {shapes(self.weights)}, biases {shapes(self.biases)}, "
                f"x {self.x.shape}, y {self.y.shape}")

    def __str__(self) -> str:
        lines = [f"sizes={self.sizes} activations={self.activations} loss={self.loss} "
                 f"reduction={self.reduction} batch={self.batch}",
                 f"  your function received: {self.received()}"]
        if self.problem:
            lines.append(f"  {self.parameter}: {self.problem}")
        else:
            lines.append(f"  {self.parameter} at index {self.index}: given {self.given:.17g}, "
                         f"expected {self.expected:.17g}")
            lines.append(f"  error {self.error:.3g} > 1 in {MEASURE} (allowed {self.allowed:.3g}; "
                         f"decided by {self.oracle})")
        arrays = [*self.weights, *self.biases, self.x, self.y]
        if sum(a.size for a in arrays) <= PRINT_INPUTS_UP_TO:
            with np.printoptions(precision=17, floatmode="maxprec", linewidth=100):
                named = [(f"weights[{i}]", w) for i, w in enumerate(self.weights)]
                named += [(f"biases[{i}]", v) for i, v in enumerate(self.biases)] + [("x", self.x), ("y", self.y)]
                for name, a in named:
                    lines.append(f"  {name} = " + repr(a).replace("\n", "\n  " + " " * (len(name) + 3)))
        return "\n".join(lines)


@dataclass
class Report:
    status: str                      # one of STATUSES
    examples: int                    # networks on which something was checked
    nothing_checked: int             # networks whose every reference gradient was exactly zero
    seed: int
    settings: dict
    counterexample: Counterexample | None = None

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        what = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        skipped = f"; {self.nothing_checked} more had all-zero gradients and checked nothing" \
            if self.nothing_checked else ""
        if self.status == "pass":
            return (f"backprop OK: agrees with the oracles on {self.examples} generated networks{skipped} "
                    f"({what}, seed={self.seed})")
        if self.status == "nothing checked":
            return (f"NOTHING CHECKED: every one of the {self.nothing_checked} generated networks had all-zero "
                    f"reference gradients ({what}, seed={self.seed}); widen what is drawn")
        return (f"backprop WRONG ({what}); smallest failing network found:\n{self.counterexample}\n"
                f"  reproduce: check_backprop(..., seed={self.seed}) with the same settings")


class BackpropMismatch(AssertionError):
    """Raised by assert_backprop; `.report` holds the Report (and its counterexample's inputs)."""

    def __init__(self, report: Report):
        super().__init__(str(report))
        self.report = report


def check_backprop(backprop: Callable, *, activation: str | Activation | Sequence = "sigmoid",
                   loss: str = "half_sse", reduction: str = "sum", layout: str = "rows",
                   weight_shape: str = "out_in", bias: str = "separate", dtype="float64",
                   depth: tuple[int, int] = Limits.depth, width: tuple[int, int] = Limits.width,
                   batch: tuple[int, int] = Limits.batch, input_scale: float = Limits.input_scale,
                   max_z: float = Limits.max_z, max_examples: int = 200, seed: int | None = None) -> Report:
    """Run `backprop(weights, biases, x, y) -> (dweights, dbiases)` on up to `max_examples`
    generated networks; return a Report (`.ok`, `.status`, `str()`, `.counterexample`).
    `activation` is one name or Activation for every layer, or a list with one per layer."""
    acts, loss = _check_arguments(backprop, activation, loss, reduction, layout, weight_shape, bias)
    dtype = str(check_dtype("dtype", dtype))
    limits = Limits(depth, width, batch, input_scale, max_z)
    max_examples = check_int("max_examples", max_examples, low=1)
    seed = int(np.random.SeedSequence().entropy % 2 ** 32) if check_seed("seed", seed) is None else int(seed)
    user = _Layout(layout, weight_shape, bias)
    choices = dict(losses=(loss,), reductions=(reduction,), dtypes=(dtype,),
                   layers=acts if len(acts) > 1 or not activation_record(acts[0]).hidden else None,
                   hidden=acts, outputs=acts)
    settings = dict(activation=[str(f) for f in acts] if len(acts) > 1 else str(acts[0]), loss=loss.name,
                    reduction=reduction, layout=layout, weight_shape=weight_shape, bias=bias, dtype=dtype)
    if any(isinstance(f, UserActivation) for f in acts) or isinstance(loss, UserLoss):
        settings["bound"] = UNKNOWN_FUNCTION_BOUND
    if limits != Limits():
        settings["limits"] = limits
    rng = np.random.default_rng(seed)
    checked = vacuous = 0
    for _ in range(max_examples):
        structure = draw_structure(RandomChooser(rng), limits, **choices)
        value_seed = int(rng.integers(2 ** 32))
        case = _fill(structure, value_seed, limits, bias)
        if case is None:
            continue
        verdict = check_one(backprop, case, user)
        if verdict == "nothing checked":
            vacuous += 1
            continue
        checked += 1
        if verdict is not None:
            small = _shrink(backprop, user, structure, value_seed, limits, bias, fixed_depth=choices["layers"] is not None)
            return Report("fail", checked, vacuous, seed, settings, small)
    return Report("pass" if checked else "nothing checked", checked, vacuous, seed, settings)


def assert_backprop(backprop: Callable, **kwargs) -> Report:
    """`check_backprop` that raises BackpropMismatch (an AssertionError carrying `.report`) unless it passes."""
    __tracebackhide__ = True
    report = check_backprop(backprop, **kwargs)
    if not report.ok:
        raise BackpropMismatch(report)
    return report


# ----------------------------------------------------------------------------- one case

def check_one(backprop: Callable, case: Case, user: "_Layout") -> Counterexample | str | None:
    """None when `backprop` agrees with the oracles on `case`, "nothing checked" when every reference
    gradient is exactly zero (and the backprop's are too), else the Counterexample."""
    net, x, y = case.net, case.x, case.y
    weights, biases = user.params(net.W, net.b)
    ux, uy = user.batch(x), user.batch(y)

    def counterexample(parameter, problem="", mismatch: Mismatch | None = None, index=None):
        m = mismatch or Mismatch("", "", None, None, None, None)
        return Counterexample(net.sizes, [str(f) for f in net.activations], net.loss.name, net.reduction,
                              len(x), parameter, index, m.expected, m.got, m.decided_by or m.oracle, problem,
                              m.error, m.allowed,
                              [w.copy() for w in weights], [v.copy() for v in biases], ux.copy(), uy.copy())

    try:
        result = backprop([w.copy() for w in weights], [v.copy() for v in biases], ux.copy(), uy.copy())
    except Exception as exc:
        return counterexample("backprop", f"raised {type(exc).__name__}: {exc}")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return counterexample("backprop", f"expected a pair (dweights, dbiases), got {describe_value(result)}")
    reference = autograd_gradients(net, x, y)
    want = dict(zip(("dweights", "dbiases"), user.params(reference.dW, reference.db)))
    for name, got in zip(("dweights", "dbiases"), result):
        if not isinstance(got, (list, tuple)) or len(got) != len(want[name]):
            empty = f" (empty: bias={user.bias!r})" if not want[name] else ""
            return counterexample(name, f"expected a list of {len(want[name])} arrays{empty}, got {describe_value(got)}")
        for i, (g, r) in enumerate(zip(got, want[name])):
            problem = structural_problem(g, r, net.dtype)
            if problem:
                return counterexample(f"{name}[{i}]", problem)
    dW, db = user.to_canonical(*result, net)
    quantities = ("dW", "db") if user.bias != "none" else ("dW",)
    if all(not np.any(getattr(reference, q)[l]) for q in quantities for l in range(len(net.W))) \
            and all(not np.any(g) for q in quantities for g in (dW if q == "dW" else db)):
        return "nothing checked"
    verdict = judge(net, x, y, Gradients(None, [], dW, db), quantities=quantities, reference=reference)
    if verdict.ok:
        return None
    m = verdict.mismatches[0]
    parameter, index = user.name_of(m.quantity, m.layer, m.index, net)
    return counterexample(parameter, m.problem, m, index)


def _fill(structure: Structure, value_seed: int, limits: Limits, bias: str) -> Case | None:
    try:
        return fill(structure, np.random.default_rng(value_seed), limits, biases=bias != "none")
    except NearKink:
        return None


def _shrink(backprop, user, structure: Structure, value_seed: int, limits: Limits, bias: str,
            fixed_depth: bool) -> Counterexample:
    """Greedy: move to the first one-step-smaller network that still fails (each tried with the
    failing values' seed and SHRINK_SEEDS − 1 others) until none does."""
    failure = check_one(backprop, _fill(structure, value_seed, limits, bias), user)
    improved = True
    while improved:
        improved = False
        for smaller in _smaller(structure, limits, fixed_depth):
            for s in [value_seed] + [value_seed * 7919 + k for k in range(1, SHRINK_SEEDS)]:
                case = _fill(smaller, s % 2 ** 32, limits, bias)
                found = None if case is None else check_one(backprop, case, user)
                if isinstance(found, Counterexample):
                    structure, value_seed, failure, improved = smaller, s % 2 ** 32, found, True
                    break
            if improved:
                break
    return failure


def _smaller(s: Structure, limits: Limits, fixed_depth: bool):
    """Networks one step smaller than `s`: a hidden layer fewer, then a unit fewer in one layer
    (or straight to the least width), then an example fewer (or straight to the least batch)."""
    if not fixed_depth and s.depth > limits.depth[0]:
        for i in range(1, len(s.sizes) - 1):  # drop hidden layer i
            yield Structure(s.sizes[:i] + s.sizes[i + 1:], s.activations[:i - 1] + s.activations[i:],
                            s.loss, s.reduction, s.batch, s.dtype)
    for i, n in enumerate(s.sizes):
        least = max(limits.width[0], activation_record(s.activations[-1]).min_width) \
            if i == len(s.sizes) - 1 else limits.width[0]
        for m in sorted({least, n - 1}):
            if least <= m < n:
                yield Structure(s.sizes[:i] + (m,) + s.sizes[i + 1:], s.activations, s.loss, s.reduction,
                                s.batch, s.dtype)
    for m in sorted({limits.batch[0], s.batch - 1}):
        if limits.batch[0] <= m < s.batch:
            yield Structure(s.sizes, s.activations, s.loss, s.reduction, m, s.dtype)


class _Layout:
    """Converts parameters and gradients between the canonical layout and the user's."""

    def __init__(self, layout: str, weight_shape: str, bias: str):
        self.layout, self.weight_shape, self.bias = layout, weight_shape, bias

    def batch(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a.T) if self.layout == "columns" else a.copy()

    def params(self, W: list, b: list) -> tuple[list, list]:
        if self.bias == "augmented":
            W = [np.hstack([Wl, bl[:, None]]) for Wl, bl in zip(W, b)]  # the constant-1 input is last
        weights = [np.ascontiguousarray(Wl.T) if self.weight_shape == "in_out" else Wl.copy() for Wl in W]
        if self.bias != "separate":
            return weights, []
        return weights, [bl.reshape(-1, 1).copy() if self.layout == "columns" else bl.copy() for bl in b]

    def to_canonical(self, dweights: list, dbiases: list, net: Network) -> tuple[list, list]:
        """The user's (already shape-checked) gradients as dW[l] (n_l, n_{l-1}) and db[l] (n_l,)."""
        dW = [g.T if self.weight_shape == "in_out" else g for g in dweights]
        if self.bias == "augmented":
            return [g[:, :-1] for g in dW], [g[:, -1] for g in dW]
        if self.bias == "none":
            return dW, [np.zeros_like(bl) for bl in net.b]
        return dW, [v.reshape(-1) for v in dbiases]

    def name_of(self, quantity: str, layer: int | None, index: tuple | None, net: Network) -> tuple[str, tuple | None]:
        """The user's name and index for entry `index` of dW[layer] or db[layer]."""
        i = layer - 1
        if index is None:
            return f"d{'weights' if quantity == 'dW' else 'biases'}[{i}]", None
        if quantity == "db" and self.bias == "separate":
            return f"dbiases[{i}]", (index[0], 0) if self.layout == "columns" else index
        j, k = (index[0], net.W[i].shape[1]) if quantity == "db" else index  # augmented: the last column
        return f"dweights[{i}]", (k, j) if self.weight_shape == "in_out" else (j, k)


def _check_arguments(backprop, activation, loss, reduction, layout, weight_shape, bias) -> tuple[list, Loss]:
    """The arguments checked by name; returns the activations as Activation objects and the Loss
    (a function on torch tensors becomes one with its own record: reference/records.py)."""
    if not callable(backprop):
        raise TypeError(f"backprop: expected a callable backprop(weights, biases, x, y), got {describe_value(backprop)}")
    try:
        inspect.signature(backprop).bind(None, None, None, None)
    except TypeError as exc:
        raise TypeError(f"backprop: expected a callable taking (weights, biases, x, y): {exc}") from None
    except ValueError:  # no signature available (some builtins): let the call itself tell
        pass
    for name, value, allowed in (("layout", layout, LAYOUTS), ("weight_shape", weight_shape, WEIGHT_SHAPES),
                                 ("bias", bias, BIASES), ("reduction", reduction, REDUCTIONS)):
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {list(allowed)}, got {value!r}")
    if callable(loss) and not isinstance(loss, Loss):
        loss = user_loss(loss)
    elif isinstance(loss, str) and loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)} or a function (a, y) -> cost per example "
                         f"on torch tensors, got {loss!r}")
    loss = get_loss(loss)
    names = [activation] if isinstance(activation, (str, Activation)) or callable(activation) else activation
    if not isinstance(names, (list, tuple)) or not names:
        raise TypeError(f"activation: expected a name, a function on torch tensors, or a list of them (one per "
                        f"layer), got {describe_value(activation)}")
    acts = []
    for i, a in enumerate(names):
        if callable(a) and not isinstance(a, Activation):
            acts.append(user_activation(a))
            continue
        if isinstance(a, str) and a not in ACTIVATIONS:
            raise ValueError(f"activation[{i}]: unknown activation {a!r}; expected one of {sorted(ACTIVATIONS)} "
                             "or a function on torch tensors")
        acts.append(get_activation(a, argname=f"activation[{i}]"))
    # the loss/activation pairing and softmax placement, as manual/ checks them (raises ValueError)
    pairing = acts if len(acts) > 1 or not activation_record(acts[0]).hidden else acts * 2
    Network([np.zeros((1, 1))] * len(pairing), [np.zeros(1)] * len(pairing), pairing, loss=loss, reduction=reduction)
    return acts, loss
