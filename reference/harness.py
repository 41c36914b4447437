"""Check anyone's backprop, in their own layout, and shrink a failure to the smallest network.

    from backproof.reference.harness import check_backprop, assert_backprop

    def my_backprop(weights, biases, x, y):   # returns (dweights, dbiases), one entry per layer
        ...

    report = check_backprop(my_backprop, activation="sigmoid", loss="half_sse", reduction="sum")
    print(report)                  # pass, or the smallest failing network and what is wrong
    assert_backprop(my_backprop)   # the same, raising AssertionError with that text

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
The gradients come back in the same layout and dtype (float64) as the parameters given.

Networks are drawn by hypothesis from the architecture strategy (reference/strategies.py: depth
0–4, widths 1–8, batch 1–6, relu layers kept off their kinks), every gradient is compared with the
autograd oracle (and with the symbolic oracle when the network has at most SYMBOLIC_MAX_PARAMS
parameters), and a failure is shrunk to the smallest network and batch that still fails.
"""
from __future__ import annotations

import inspect
import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from backproof.manual.activations import ACTIVATIONS, Activation
from backproof.manual.checks import check_int, check_seed
from backproof.manual.losses import LOSSES, REDUCTIONS
from backproof.manual.network import Network

from .autograd import autograd_gradients, gradient_magnitudes
from .compare import describe_value, relative_error, structural_problem
from .strategies import Case, cases
from .symbolic import symbolic_gradients
from .tolerances import rtol_exact

LAYOUTS = ("rows", "columns")
WEIGHT_SHAPES = ("out_in", "in_out")
BIASES = ("separate", "augmented", "none")
SYMBOLIC_MAX_PARAMS = 40


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
    oracle: str
    problem: str              # "" for a wrong value, else what was wrong (shape, dtype, NaN, exception)
    weights: list = field(repr=False, default_factory=list)
    biases: list = field(repr=False, default_factory=list)
    x: np.ndarray | None = field(repr=False, default=None)
    y: np.ndarray | None = field(repr=False, default=None)

    def __str__(self) -> str:
        net = (f"sizes={self.sizes} activations={self.activations} loss={self.loss} "
               f"reduction={self.reduction} batch={self.batch}")
        if self.problem:
            return f"{net}\n  {self.parameter}: {self.problem}"
        return (f"{net}\n  {self.parameter} at index {self.index}: given {self.given:.17g}, "
                f"expected {self.expected:.17g} ({self.oracle})")


@dataclass
class Report:
    ok: bool
    examples: int
    settings: dict
    counterexample: Counterexample | None = None
    tolerance: float = rtol_exact(np.float64)

    def __str__(self) -> str:
        what = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        if self.ok:
            return f"backprop OK: agrees with the oracles on {self.examples} generated networks ({what})"
        return (f"backprop WRONG ({what}); smallest failing network found:\n{self.counterexample}\n"
                f"  (relative tolerance {self.tolerance:.3g}; the inputs are in report.counterexample)")


def check_backprop(backprop: Callable, *, activation: str | Sequence[str] = "sigmoid", loss: str = "half_sse",
                   reduction: str = "sum", layout: str = "rows", weight_shape: str = "out_in",
                   bias: str = "separate", max_examples: int = 200, seed: int | None = None) -> Report:
    """Run `backprop(weights, biases, x, y) -> (dweights, dbiases)` on up to `max_examples`
    generated networks; return a Report (`.ok`, `str()`, `.counterexample`)."""
    _check_arguments(backprop, activation, loss, reduction, layout, weight_shape, bias, max_examples, seed)
    layers = list(activation) if not isinstance(activation, str) else None
    one = [activation] if isinstance(activation, str) else None
    strategy = cases(dtypes=("float64",), losses=(loss,), reductions=(reduction,), layers=layers,
                     hidden=one or ("sigmoid",), outputs=one or ("sigmoid",), biases=bias != "none",
                     max_depth=0 if activation == "softmax" else 4)  # softmax is output-only
    user = _Layout(layout, weight_shape, bias)
    settings_used = dict(activation=activation, loss=loss, reduction=reduction, layout=layout,
                         weight_shape=weight_shape, bias=bias)
    count = 0

    def fails(case: Case) -> bool:
        nonlocal count
        count += 1
        return _check_one(backprop, case, user) is not None

    from hypothesis import Phase, find, settings
    from hypothesis.errors import NoSuchExample
    try:  # every phase, shrinking included, whatever the active profile says
        case = find(strategy, fails, settings=settings(max_examples=int(max_examples), database=None, deadline=None,
                                                       phases=tuple(Phase)),
                    random=random.Random(int(seed)) if seed is not None else None)
    except NoSuchExample:
        return Report(True, count, settings_used)
    return Report(False, count, settings_used, _check_one(backprop, case, user))


def assert_backprop(backprop: Callable, **kwargs) -> Report:
    """`check_backprop` that raises AssertionError with the report's text when the backprop is wrong."""
    __tracebackhide__ = True
    report = check_backprop(backprop, **kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report


# ----------------------------------------------------------------------------- one case

def _check_one(backprop: Callable, case: Case, user: "_Layout") -> Counterexample | None:
    net, x, y = case.net, case.x, case.y
    weights, biases = user.params(net.W, net.b)
    ux, uy = user.batch(x), user.batch(y)

    def counterexample(parameter, oracle="", problem="", index=None, expected=None, given=None):
        return Counterexample(net.sizes, [str(f) for f in net.activations], net.loss.name, net.reduction,
                              len(x), parameter, index, expected, given, oracle, problem,
                              [w.copy() for w in weights], [v.copy() for v in biases], ux.copy(), uy.copy())

    try:
        result = backprop([w.copy() for w in weights], [v.copy() for v in biases], ux.copy(), uy.copy())
    except Exception as exc:
        return counterexample("backprop", problem=f"raised {type(exc).__name__}: {exc}")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return counterexample("backprop", problem=f"expected a pair (dweights, dbiases), got {_kind(result)}")
    given = {"dweights": result[0], "dbiases": result[1]}

    oracles = [("autograd", autograd_gradients(net, x, y))]
    if case.n_params <= SYMBOLIC_MAX_PARAMS:
        oracles.append(("symbolic", symbolic_gradients(net, x, y)))
    mags = gradient_magnitudes(net, x, y)
    scales = dict(zip(("dweights", "dbiases"), user.params(mags.dW, mags.db)))
    tol = rtol_exact(np.float64)
    for oracle, ref in oracles:
        expected = dict(zip(("dweights", "dbiases"), user.params(ref.dW, ref.db)))
        for name in ("dweights", "dbiases"):
            got, want = given[name], expected[name]
            if not isinstance(got, (list, tuple)) or len(got) != len(want):
                return counterexample(name, oracle, f"expected a list of {len(want)} arrays"
                                      f"{' (empty: bias=' + repr(user.bias) + ')' if not want else ''}, "
                                      f"got {_kind(got)}")
            for i, (g, r, m) in enumerate(zip(got, want, scales[name])):
                problem = structural_problem(g, r, np.float64)
                if problem:
                    return counterexample(f"{name}[{i}]", oracle, problem)
                err, idx = relative_error(g, r, m)
                if not err <= tol:
                    return counterexample(f"{name}[{i}]", oracle, "", idx, float(r[idx]), float(g[idx]))
    return None


class _Layout:
    """Converts parameters (and gradients, which share their layout) to the user's layout."""

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


_kind = describe_value


def _check_arguments(backprop, activation, loss, reduction, layout, weight_shape, bias, max_examples, seed):
    if not callable(backprop):
        raise TypeError(f"backprop: expected a callable backprop(weights, biases, x, y), got {_kind(backprop)}")
    try:
        inspect.signature(backprop).bind(None, None, None, None)
    except TypeError as exc:
        raise TypeError(f"backprop: expected a callable taking (weights, biases, x, y): {exc}") from None
    except ValueError:  # no signature available (some builtins): let the call itself tell
        pass
    for name, value, allowed in (("layout", layout, LAYOUTS), ("weight_shape", weight_shape, WEIGHT_SHAPES),
                                 ("bias", bias, BIASES), ("reduction", reduction, REDUCTIONS),
                                 ("loss", loss, tuple(LOSSES))):
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {list(allowed)}, got {value!r}")
    names = [activation] if isinstance(activation, str) else activation
    if not isinstance(names, (list, tuple)) or not names:
        raise TypeError(f"activation: expected a name or a list of names (one per layer), got {_kind(activation)}")
    for i, a in enumerate(names):
        if not isinstance(a, Activation) and a not in ACTIVATIONS:
            raise ValueError(f"activation[{i}]: unknown activation {a!r}; expected one of {sorted(ACTIVATIONS)}")
    # the loss/activation pairing and softmax placement, as manual/ checks them (raises ValueError)
    acts = list(names) if not isinstance(activation, str) else [activation] * (1 if activation == "softmax" else 2)
    Network([np.zeros((1, 1))] * len(acts), [np.zeros(1)] * len(acts), acts, loss=loss, reduction=reduction)
    check_int("max_examples", max_examples, low=1)
    check_seed("seed", seed)
