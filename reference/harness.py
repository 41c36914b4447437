"""Check anyone's backprop, as they wrote it, and shrink a failure to the smallest network that shows it.

    from backproof.reference.harness import check_backprop, assert_backprop

    report = check_backprop(my_backprop, activation="relu", output="softmax", loss="softmax_ce",
                            reduction="mean", targets="labels")
    print(report)                  # pass, or the smallest failing network, what is wrong and why
    assert_backprop(my_backprop)   # the same, raising BackpropMismatch (an AssertionError) with that text

What can be checked, with no adapter (reference/styles.py has the details):
  * a function backprop(weights, biases, x, y) returning the gradients as a pair of lists (either
    order, either direction), a flat sequence, or a dict; or backprop(params, x, y) with params
    a dict {"W1": ..., "b1": ...} (params="dict");
  * a model class (Nielsen's Network(sizes), a layer-object model, a two-layer class): the harness
    builds it for each network, sets its parameters where it keeps them and calls its backprop
    (or backward, gradients) method; the gradients come back from the method or are read from it;
  * one example per call (per_example=True, or recognised when the batch does not fit): called once
    per example, the gradients summed (reduction "sum") or averaged ("mean").
Whatever is not stated (the order and direction of the gradients, per-example calls, a model's
layout) is recognised once, on a probe network whose widths and batch all differ, and stated in
the report.

Networks: `activation` for every layer, or `activation` for the hidden layers and `output` for the
last, at any drawn depth, or a list with one per layer (which fixes the depth); a name, a
backproof.manual Activation (leaky_relu(0.2)), or your own function on torch tensors. `loss` a name
(half_sse, sse, mse, bce, softmax_ce) or your own (a, y) -> cost per example; `targets` "one-hot"
(default), "soft" or "labels" (integer class indices) for softmax_ce; an L2 term (l2/2)·Σ‖W‖² with
`l2` (and the biases' with `l2_biases`).

Each network's gradients are judged entry by entry against float64 autograd with autograd's own
rounding accounted for and the certified oracle deciding in between (reference.compare.judge).
With dtype="float32" the function also runs on the same network in float64, where its logic is
judged at float64's power; the float32 run is judged for its dtype and its precision, with the
sound float32 bound. A network whose every reference gradient is exactly zero checks nothing: it is
counted apart, never as a pass. A failure is shrunk to a smaller network that fails the same way
(a shape error stays a shape error, a factor of 2 a factor of 2), keeping the widths and the batch
apart so that layouts stay tellable; every wrong tensor is listed, the one nearest the output, where
errors start, first, and a neighbouring convention the gradients fit is named (reference/diagnosis.py).
"""
from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from backproof.manual.activations import ACTIVATIONS, Activation, get_activation
from backproof.manual.checks import check_dtype, check_int, check_real, check_seed
from backproof.manual.losses import LOSSES, REDUCTIONS, Loss, get_loss
from backproof.manual.network import Gradients, Network

from .autograd import autograd_gradients, gradient_magnitudes
from .compare import MEASURE, Mismatch, describe_value, judge, structural_problem
from .diagnosis import diagnose
from .records import (UNKNOWN_FUNCTION_BOUND, UserActivation, UserLoss, activation_record, loss_record,
                      user_activation, user_loss)
from .strategies import Case, Limits, NearKink, RandomChooser, Structure, draw_structure, fill, widened
from .styles import (BIASES, LAYOUTS, TARGETS, WEIGHT_SHAPES, Layout, Model, Returns, Unrecognized,
                     layout_from_shapes, recognize, recognize_model)

PRINT_INPUTS_UP_TO = 60       # numbers: a counterexample this small is printed in full
SHRINK_SEEDS = 3              # value draws tried for each smaller network
STATUSES = ("pass", "fail", "nothing checked")
# Frames in these folders are not the user's: an exception is located at the last frame outside them.
OURS = tuple(str(Path(m.__file__).resolve().parent) for m in (np,)) + (str(Path(__file__).resolve().parent),)


# ----------------------------------------------------------------------------- the report

@dataclass
class Wrong:
    """One wrong tensor, in the user's terms: its name and the worst entry."""

    parameter: str
    index: tuple | None
    given: float
    expected: float
    error: float              # in compare.MEASURE (> 1 fails)
    allowed: float

    def __str__(self) -> str:
        ratio = f"×{self.given / self.expected:.6g}, " if self.expected else ""
        rel = f"relative error {abs(self.given - self.expected) / abs(self.expected):.3g}" if self.expected else \
            f"absolute error {abs(self.given - self.expected):.3g}"
        return (f"{self.parameter} at {self.index}: given {self.given:.17g}, expected {self.expected:.17g} "
                f"({ratio}{rel}; error {self.error:.3g} > 1)")


@dataclass
class Counterexample:
    """The smallest failing case found, in the user's layout, with what was wrong."""

    sizes: list[int]
    activations: list[str]
    loss: str
    reduction: str
    batch: int
    dtype: str
    wrong: list[Wrong] = field(default_factory=list)   # wrong tensors, the one nearest the output first
    problem: str = ""        # not a wrong value: a shape, a dtype, a non-finite value, an exception
    parameter: str = ""      # where the problem is (the root's name for wrong values)
    raised_at: str = ""      # file:line in the user's code where an exception was raised
    diagnosis: str = ""      # a neighbouring convention the given gradients fit
    kind: str = ""           # what kind of failure: kept while shrinking
    oracle: str = ""         # what decided
    run_in: str = ""         # "float64" where a float32 check judged the logic in float64
    l2: float = 0.0
    weights: list = field(repr=False, default_factory=list)
    biases: list = field(repr=False, default_factory=list)
    x: np.ndarray | None = field(repr=False, default=None)
    y: np.ndarray | None = field(repr=False, default=None)

    @property
    def root(self) -> Wrong | None:
        return self.wrong[0] if self.wrong else None

    @property
    def index(self):
        return self.root.index if self.root else None

    @property
    def given(self):
        return self.root.given if self.root else None

    @property
    def expected(self):
        return self.root.expected if self.root else None

    def received(self) -> str:
        """The shapes the user's function was called with."""
        shapes = lambda arrays: "[" + ", ".join(str(np.shape(a)) for a in arrays) + "]"  # noqa: E731
        return (f"weights {shapes(self.weights)}, biases {shapes(self.biases)}, "
                f"x {np.shape(self.x)}, y {np.shape(self.y)}")

    def __str__(self) -> str:
        l2 = f" l2={self.l2:g}" if self.l2 else ""
        lines = [f"sizes={self.sizes} activations={self.activations} loss={self.loss} reduction={self.reduction}"
                 f"{l2} batch={self.batch} dtype={self.dtype}",
                 f"  your function received: {self.received()}"]
        if self.problem:
            lines.append(f"  {self.parameter}: {self.problem}")
            if self.raised_at:
                lines.append(f"  raised at {self.raised_at}")
        else:
            run = f" (run in float64: the logic)" if self.run_in == "float64" else ""
            lines.append(f"  wrong{run}, nearest the output first (errors flow towards the input, so the first is "
                         "where to look):")
            lines.extend(f"    {w}" for w in self.wrong)
            lines.append(f"  error in {MEASURE}; decided by {self.oracle}")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        arrays = [*self.weights, *self.biases, np.asarray(self.x), np.asarray(self.y)]
        if sum(np.size(a) for a in arrays) <= PRINT_INPUTS_UP_TO:
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
    recognised: list = field(default_factory=list)   # conventions recognised rather than stated

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        what = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        seen = "".join(f"\n  recognised: {r}" for r in self.recognised)
        skipped = f"; {self.nothing_checked} more had all-zero gradients and checked nothing" \
            if self.nothing_checked else ""
        if self.status == "pass":
            return (f"backprop OK: agrees with the oracles on {self.examples} generated networks{skipped} "
                    f"({what}, seed={self.seed}){seen}")
        if self.status == "nothing checked":
            return (f"NOTHING CHECKED: every one of the {self.nothing_checked} generated networks had all-zero "
                    f"reference gradients ({what}, seed={self.seed}); widen what is drawn{seen}")
        return (f"backprop WRONG ({what}); smallest failing network found:\n{self.counterexample}{seen}\n"
                f"  reproduce: check_backprop(..., seed={self.seed}) with the same settings")


class BackpropMismatch(AssertionError):
    """Raised by assert_backprop; `.report` holds the Report (and its counterexample's inputs)."""

    def __init__(self, report: Report):
        super().__init__(str(report))
        self.report = report


# ----------------------------------------------------------------------------- the entry points

def check_backprop(backprop: Callable, *, activation="sigmoid", output=None, loss="half_sse", reduction: str = "sum",
                   targets: str | None = None, l2: float = 0.0, l2_biases: bool = False,
                   layout: str | None = None, weight_shape: str | None = None, bias: str | None = None,
                   params: str = "lists", per_example: bool | None = None, returns: Returns | None = None,
                   method: str | None = None, dtype="float64",
                   depth: tuple[int, int] = Limits.depth, width: tuple[int, int] = Limits.width,
                   batch: tuple[int, int] = Limits.batch, input_scale: float = Limits.input_scale,
                   max_z: float = Limits.max_z, max_examples: int = 200, seed: int | None = None) -> Report:
    """Check `backprop` on up to `max_examples` generated networks; return a Report (`.ok`, `.status`,
    `str()`, `.counterexample`). See the module docstring for what `backprop` may be."""
    spec = _Spec.build(backprop, activation, output, loss, reduction, targets, l2, l2_biases, layout, weight_shape,
                       bias, params, per_example, returns, method, dtype)
    limits = Limits(depth, width, batch, input_scale, max_z)
    max_examples = check_int("max_examples", max_examples, low=1)
    seed = int(np.random.SeedSequence().entropy % 2 ** 32) if check_seed("seed", seed) is None else int(seed)
    failure = spec.probe(limits, seed)
    settings = spec.settings(limits)
    if failure is not None:
        small = _shrink(spec, spec.probe_case[0], spec.probe_case[1], limits, failure)
        return Report("fail", 1, 0, seed, settings, small, spec.recognised)
    rng = np.random.default_rng(seed)
    checked = vacuous = 0
    for _ in range(max_examples):
        structure = draw_structure(RandomChooser(rng), limits, **spec.choices)
        value_seed = int(rng.integers(2 ** 32))
        case = _fill(structure, value_seed, limits, spec)
        if case is None:
            continue
        verdict = spec.check(case)
        if verdict == "nothing checked":
            vacuous += 1
            continue
        checked += 1
        if verdict is not None:
            small = _shrink(spec, structure, value_seed, limits, verdict)
            return Report("fail", checked, vacuous, seed, settings, small, spec.recognised)
    return Report("pass" if checked else "nothing checked", checked, vacuous, seed, settings,
                  recognised=spec.recognised)


def assert_backprop(backprop: Callable, **kwargs) -> Report:
    """`check_backprop` that raises BackpropMismatch (an AssertionError carrying `.report`) unless it passes."""
    __tracebackhide__ = True
    report = check_backprop(backprop, **kwargs)
    if not report.ok:
        raise BackpropMismatch(report)
    return report


# ----------------------------------------------------------------------------- the settings

@dataclass
class _Spec:
    """Everything check_backprop was told, or recognised, about the code under test."""

    backprop: Callable
    acts: list                     # one per layer (fixed depth), or [hidden, output]
    fixed: bool                    # acts is one per layer
    loss: Loss
    reduction: str
    targets: str
    l2: float
    l2_biases: bool
    layout: Layout
    stated_layout: bool
    params: str
    per_example: bool | None
    returns: Returns | None
    method: str | None
    dtype: str
    model: Model | None = None
    float64_logic: bool = False
    probe_case: tuple = ()         # (structure, value seed) of the probe network
    probe_sizes: list = field(default_factory=list)
    recognised: list = field(default_factory=list)

    @classmethod
    def build(cls, backprop, activation, output, loss, reduction, targets, l2, l2_biases, layout, weight_shape,
              bias, params, per_example, returns, method, dtype) -> "_Spec":
        if not callable(backprop):
            raise TypeError(f"backprop: expected a function backprop(weights, biases, x, y) or a model class, "
                            f"got {describe_value(backprop)}")
        model = inspect.isclass(backprop)
        if not model:
            wanted = (None, None, None) if params == "dict" else (None, None, None, None)
            try:
                inspect.signature(backprop).bind(*wanted)
            except TypeError as exc:
                raise TypeError(f"backprop: expected a callable taking ({'params, x, y' if params == 'dict' else 'weights, biases, x, y'}): "
                                f"{exc}") from None
            except ValueError:  # no signature available (some builtins): let the call itself tell
                pass
        for name, value, allowed in (("layout", layout, LAYOUTS), ("weight_shape", weight_shape, WEIGHT_SHAPES),
                                     ("bias", bias, BIASES), ("reduction", reduction, REDUCTIONS),
                                     ("params", params, ("lists", "dict")), ("targets", targets, TARGETS)):
            if value is not None and value not in allowed:
                raise ValueError(f"{name}: expected one of {list(allowed)}, got {value!r}")
        if returns is not None and not isinstance(returns, Returns):
            raise TypeError(f"returns: expected a backproof.reference.styles.Returns, got {describe_value(returns)}")
        if per_example not in (None, True, False):
            raise TypeError(f"per_example: expected True, False or None (recognised), got {per_example!r}")
        if method is not None and not model:
            raise ValueError("method: only a model class has methods to call; a function is called itself")
        loss = _loss(loss)
        acts, fixed = _activations(activation, output)
        target_domain = loss_record(loss).targets
        if targets is not None and target_domain != "simplex":
            raise ValueError(f"targets: {loss.name}'s targets are {target_domain} values, not classes; "
                             "targets= applies to softmax_ce")
        targets = targets or ("one-hot" if target_domain == "simplex" else "one-hot")
        if layout == "vector" and per_example is False:
            raise ValueError("layout: 'vector' is one example as 1-D arrays; it needs per_example=True (or None)")
        # the pairing of loss and output and softmax's place, as manual/ checks them (raises ValueError)
        Network([np.zeros((1, 1))] * len(acts), [np.zeros(1)] * len(acts), acts, loss=loss, reduction=reduction,
                l2=l2, l2_biases=l2_biases)
        dtype = str(check_dtype("dtype", dtype))
        stated = layout is not None or weight_shape is not None or bias is not None
        lay = Layout(layout or "rows", weight_shape or "out_in", bias or "separate", labels=targets == "labels")
        return cls(backprop, acts, fixed, loss, reduction, targets, float(check_real("l2", l2, low=0)), l2_biases,
                   lay, stated, params, True if layout == "vector" else per_example, returns, method, dtype)

    @property
    def choices(self) -> dict:
        return dict(losses=(self.loss,), reductions=(self.reduction,), dtypes=(self.dtype,),
                    layers=self.acts if self.fixed else None, hidden=self.acts[:1], outputs=self.acts[-1:],
                    parameters="given", targets="soft" if self.targets == "soft" else "one-hot",
                    l2s=(self.l2,), l2_biases=(self.l2_biases,))

    def settings(self, limits: Limits) -> dict:
        if self.fixed:
            activation = [str(f) for f in self.acts] if len(self.acts) > 1 else str(self.acts[0])
        else:
            activation = str(self.acts[0]) if self.acts[0] == self.acts[1] else \
                {"hidden": str(self.acts[0]), "output": str(self.acts[1])}
        out = dict(activation=activation, loss=self.loss.name, reduction=self.reduction)
        if loss_record(self.loss).targets == "simplex":
            out["targets"] = self.targets
        if self.l2:
            out.update(l2=self.l2, l2_biases=self.l2_biases)
        out.update(layout=self.layout.layout, weight_shape=self.layout.weight_shape, bias=self.layout.bias,
                   dtype=self.dtype)
        if limits != Limits():
            out["limits"] = limits
        if any(isinstance(f, UserActivation) for f in self.acts) or isinstance(self.loss, UserLoss):
            out["bound"] = UNKNOWN_FUNCTION_BOUND
        return out

    # -- recognition, on a probe network whose shapes all differ

    def probe(self, limits: Limits, seed: int) -> Counterexample | None:
        """Recognise what was not stated, on a network whose widths and batch differ; a failure there
        (the code raises, or returns something of no recognisable shape) is the report."""
        structure = _probe_structure(self, limits)
        case = None
        for s in range(50):
            case = _fill(structure, seed + s, limits, self)
            if case is not None:
                self.probe_case, self.probe_sizes = (structure, seed + s), case.net.sizes
                break
        if case is None:
            raise ValueError("no probe network could be drawn off relu's kinks; widen the limits")
        if inspect.isclass(self.backprop):
            try:
                self.model, weights, biases = recognize_model(self.backprop, case.net.sizes, self.method)
            except Unrecognized as e:
                return _problem(case, self, "model", str(e))
            except Exception as exc:  # noqa: BLE001 - the user's constructor
                return _problem(case, self, "model", f"building {self.backprop.__name__}({case.net.sizes}) raised "
                                f"{type(exc).__name__}: {exc}", _user_frame(exc))
            if not self.stated_layout:
                found = layout_from_shapes(weights, biases, case.net.sizes)
                self.layout = replace(found, labels=self.layout.labels)
                self.recognised.append(f"{self.backprop.__name__}: parameters as {self.model.params} "
                                       f"({self.layout}), method {self.model.method}()")
        attempts = [self.per_example] if self.per_example is not None else [False, True]
        seen, fallback = None, None
        for per_example in attempts:
            if per_example is False and self.layout.layout == "vector":
                continue
            trial = replace(self, per_example=per_example)
            try:
                result = _run(trial, case, np.dtype(self.dtype))
            except _Raised as e:
                seen = seen or _problem(case, self, "backprop", e.message, e.where)
                continue
            except Unrecognized as e:
                seen = seen or _problem(case, self, "returned", str(e))
                continue
            fits = result.returns is None or result.returns.fits and _shapes_fit(result, self.layout, case)
            if not fits:   # a batch that does not fit may be one example per call: try that first
                fallback = fallback or (per_example, result)
                continue
            self._take(per_example, result, len(attempts) > 1, True)
            break
        else:
            if fallback is None:
                return seen
            self._take(*fallback, False, False)
        if self.dtype == "float32":   # does it take float64 too? then the logic is judged there
            try:
                _run(self, case, np.dtype(np.float64))
                self.float64_logic = True
            except (_Raised, Unrecognized):
                self.recognised.append("did not take float64 arrays: the logic is judged in float32 only")
        return None

    def _take(self, per_example: bool, result: "_Result", recognised_per_example: bool, fits: bool) -> None:
        self.per_example, self.returns = per_example, result.returns
        if per_example and recognised_per_example:
            self.recognised.append("called once per example (the batch did not fit)")
        if result.returns is not None and result.returns.form != "attributes":
            if fits:
                self.recognised.append(f"returns {result.returns}")
            else:
                other = _fitting(result, self)
                self.recognised.append(f"returns taken as {result.returns}: " + (
                    f"the shapes do not fit it; they fit {other}: leave `returns` out to have that recognised"
                    if other else "no convention fits the shapes"))

    def layout_sizes(self, weights: list) -> list:
        """The widths [n_0, ..., n_L] of a network from the user's weights (to build a model of them)."""
        out_in = self.layout.weight_shape == "out_in"
        extra = 1 if self.layout.bias in ("augmented", "augmented_first") else 0
        sizes = [(w.shape[1] if out_in else w.shape[0]) - extra for w in weights[:1]]
        return sizes + [w.shape[0] if out_in else w.shape[1] for w in weights]

    # -- one network

    def check(self, case: Case) -> Counterexample | str | None:
        """None when the backprop agrees with the oracles on `case`, "nothing checked" when every
        reference gradient is exactly zero (and the backprop's are too), else the Counterexample."""
        found = self._check_in(case, np.dtype(self.dtype))
        if found is None and self.float64_logic:
            found = self._check_in(widened(case), np.dtype(np.float64))
            if isinstance(found, Counterexample):
                found.run_in, found.dtype = "float64", "float32"
        return found

    def _check_in(self, case: Case, dtype: np.dtype):
        net, x, y = case.net, case.x, case.y
        try:
            result = _run(self, case, dtype)
        except _Raised as e:
            return _problem(case, self, "backprop", e.message, e.where)
        except Unrecognized as e:
            return _problem(case, self, "returned", str(e))
        weights_shapes, biases_shapes = self.layout.shapes(net.sizes)
        for name, got, shapes in (("dweights", result.dweights, weights_shapes), ("dbiases", result.dbiases, biases_shapes)):
            if len(got) != len(shapes):
                empty = f" (empty: bias={self.layout.bias!r})" if not shapes else ""
                return _problem(case, self, name, f"expected a list of {len(shapes)} arrays{empty}, got {describe_value(got)}",
                                kind="shape")
            for i, (g, shape) in enumerate(zip(got, shapes)):
                problem = structural_problem(g, tuple(shape), dtype)
                if problem:
                    hint = _shape_hint(g, shape, name, i, weights_shapes, biases_shapes, len(x))
                    kind = next(k for k in ("shape", "dtype", "non-finite", "array") if k in problem)
                    return _problem(case, self, f"{name}[{i}]", problem + hint, kind=kind)
        dW, db = self.layout.to_canonical(result.dweights, result.dbiases, net.sizes)
        reference = autograd_gradients(net, x, y)
        quantities = ("dW", "db") if self.layout.bias != "none" else ("dW",)
        if _checks_nothing(reference, dW, db, quantities):
            return "nothing checked"
        magnitudes = gradient_magnitudes(net, x, y, reference)
        verdict = judge(net, x, y, Gradients(None, [], dW, db), quantities=quantities, reference=reference,
                        magnitudes=magnitudes)
        if verdict.ok:
            return None
        return self._wrong(case, verdict.mismatches, dW, db, magnitudes, quantities)

    def _wrong(self, case: Case, mismatches: list, dW, db, magnitudes, quantities) -> Counterexample:
        values = [m for m in mismatches if not m.problem]
        if len(values) < len(mismatches):
            m = next(m for m in mismatches if m.problem)
            return _problem(case, self, self.layout.name_of(m.quantity, m.layer, None, case.net.sizes)[0], m.problem)
        values.sort(key=lambda m: (-m.layer, m.quantity))      # nearest the output first
        wrong: dict[str, Wrong] = {}       # one per tensor of the user's (dW and db of a layer may be one)
        for m in values:
            name, index = self.layout.name_of(m.quantity, m.layer, m.index, case.net.sizes)
            if name not in wrong or m.error > wrong[name].error:
                wrong[name] = Wrong(name, index, m.got, m.expected, m.error, m.allowed)
        wrong = list(wrong.values())
        found = diagnose(case.net, case.x, case.y, dW, db, magnitudes, quantities,
                         tensors=[(m.quantity, m.layer) for m in values])
        ce = _counterexample(case, self)
        ce.wrong, ce.oracle, ce.parameter = wrong, values[0].decided_by or values[0].oracle, wrong[0].parameter
        ce.diagnosis, ce.kind = (found.message, found.key) if found else ("", "values")
        return ce


# ----------------------------------------------------------------------------- running the user's code

@dataclass
class _Result:
    dweights: list
    dbiases: list
    returns: Returns | None
    raw: object = None           # what the (last) call returned


class _Raised(Exception):
    def __init__(self, message: str, where: str):
        super().__init__(message)
        self.message, self.where = message, where


def _run(spec: _Spec, case: Case, dtype: np.dtype) -> _Result:
    """Call the user's code on the case (in `dtype`), as it wants to be called, and take its gradients."""
    net = case.net
    weights, biases = spec.layout.params([Wl.astype(dtype) for Wl in net.W], [bl.astype(dtype) for bl in net.b])
    n = len(case.x)
    examples = [slice(i, i + 1) for i in range(n)] if spec.per_example else [slice(0, n)]
    total_w = total_b = None
    returns = spec.returns
    for rows in examples:
        x, y = spec.layout.data(case.x[rows].astype(dtype)), spec.layout.targets(case.y[rows].astype(dtype))
        try:
            result, obj = _call(spec, weights, biases, x, y)
        except Exception as exc:  # noqa: BLE001 - a broken backprop is a finding, not a crash
            raise _Raised(f"raised {type(exc).__name__}: {exc}", _user_frame(exc)) from None
        with_biases = spec.layout.bias in ("separate", "row")
        if result is None and spec.model is not None:
            returns = Returns("attributes")
            dweights, dbiases = spec.model.attributes(obj, len(net.W), with_biases)
        else:
            if returns is None or returns.form == "attributes":
                returns = recognize(result, spec.layout, net.sizes)
            dweights, dbiases = returns.extract(result, len(net.W), with_biases)
        dweights, dbiases = list(dweights), list(dbiases)
        if total_w is None:
            total_w, total_b = dweights, dbiases
        elif all(isinstance(g, np.ndarray) for g in dweights + dbiases + total_w + total_b) and \
                [g.shape for g in dweights + dbiases] == [g.shape for g in total_w + total_b]:
            total_w = [t + g for t, g in zip(total_w, dweights)]
            total_b = [t + g for t, g in zip(total_b, dbiases)]
        else:
            total_w, total_b = dweights, dbiases   # the shape check reports it
            break
    if spec.per_example and net.reduction == "mean":
        total_w = [(g / dtype.type(n)).astype(dtype) if isinstance(g, np.ndarray) else g for g in total_w]
        total_b = [(g / dtype.type(n)).astype(dtype) if isinstance(g, np.ndarray) else g for g in total_b]
    return _Result(total_w, total_b, returns, result)


def _call(spec: _Spec, weights: list, biases: list, x, y):
    copies = [w.copy() for w in weights], [v.copy() for v in biases]
    if spec.model is not None:
        obj = spec.model.build(spec.layout_sizes(weights))
        spec.model.set(obj, *copies)
        return spec.model.call(obj, x, y), obj
    if spec.params == "dict":
        params = {f"W{i}": w for i, w in enumerate(copies[0], start=1)}
        params.update({f"b{i}": v for i, v in enumerate(copies[1], start=1)})
        return spec.backprop(params, x, y), None
    return spec.backprop(*copies, x, y), None


def _fitting(result: "_Result", spec: "_Spec") -> Returns | None:
    """Another convention under which the probe's result has the right shapes, if any."""
    raw = getattr(result, "raw", None)
    if raw is None:
        return None
    try:
        found = recognize(raw, spec.layout, spec.probe_sizes)
    except Unrecognized:
        return None
    return found if found.fits else None


def _shapes_fit(result: _Result, layout: Layout, case: Case) -> bool:
    weights, biases = layout.shapes(case.net.sizes)
    return [np.shape(g) for g in result.dweights] == weights and [np.shape(g) for g in result.dbiases] == biases


def _user_frame(exc: BaseException) -> str:
    """file:line and the line of the innermost frame of the traceback outside backproof."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(OURS)]
    if not frames:
        return ""
    f = frames[-1]
    return f"{f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")


def _shape_hint(g, shape: tuple, name: str, i: int, weights: list, biases: list, batch: int) -> str:
    """What a wrong shape most likely means, in the user's terms."""
    got = np.shape(g)
    if name == "dbiases" and batch in got and batch not in shape and max(shape) not in got:
        return (f" (the batch's length, {batch}: summed over the layer's units instead of over the examples? "
                "∂C/∂b sums delta over the batch)")
    if got == tuple(reversed(shape)) and len(shape) == 2:
        return " (the transpose: weight_shape='in_out' is (n_(l-1), n_l), 'out_in' (n_l, n_(l-1)))"
    if name == "dbiases" and got in weights:
        return " (a weight's shape: are the weights and biases swapped?)"
    if name == "dweights" and got in biases:
        return " (a bias's shape: are the weights and biases swapped?)"
    if name == "dbiases" and len(got) == 1 and len(shape) == 2 or name == "dbiases" and len(got) == 2 and len(shape) == 1:
        return " (the biases' layout: bias='row' is (1, n), 'separate' (n,) in rows and (n, 1) in columns)"
    return ""


def _problem(case: Case, spec: _Spec, parameter: str, problem: str, where: str = "", kind: str = "") -> Counterexample:
    ce = _counterexample(case, spec)
    ce.parameter, ce.problem, ce.raised_at = parameter, problem, where
    ce.kind = kind or ("raised" if problem.startswith("raised") else parameter)
    return ce


def _counterexample(case: Case, spec: _Spec) -> Counterexample:
    net = case.net
    weights, biases = spec.layout.params(net.W, net.b)
    x = spec.layout.data(case.x) if spec.layout.layout != "vector" else case.x[0]
    y = spec.layout.targets(case.y) if spec.layout.layout != "vector" else spec.layout.targets(case.y[:1])
    return Counterexample(net.sizes, [str(f) for f in net.activations], net.loss.name, net.reduction, len(case.x),
                          str(net.dtype), l2=net.l2, weights=weights, biases=biases, x=x, y=y)


def _checks_nothing(reference: Gradients, dW: list, db: list, quantities) -> bool:
    """Every reference gradient is exactly zero, and so is every given one: nothing was checked."""
    given = {"dW": dW, "db": db}
    return all(not np.any(t) for q in quantities for t in getattr(reference, q)) and \
        all(not np.any(t) for q in quantities for t in given[q])


# ----------------------------------------------------------------------------- drawing and shrinking

def _fill(structure: Structure, value_seed: int, limits: Limits, spec: _Spec) -> Case | None:
    try:
        return fill(structure, np.random.default_rng(value_seed), limits, biases=spec.layout.bias != "none")
    except NearKink:
        return None


def _probe_structure(spec: _Spec, limits: Limits) -> Structure:
    """A network within the limits whose widths and batch all differ (and are not 1 where that can
    be helped), so that no two gradient shapes coincide."""
    lo, hi = limits.depth
    depth = len(spec.acts) - 1 if spec.fixed else min(max(lo, 1), hi)
    wlo, whi = limits.width
    widths = list(range(max(wlo, 2), whi + 1)) or [wlo]
    least = activation_record(spec.acts[-1]).min_width
    sizes = [widths[i % len(widths)] for i in range(depth + 2)]
    sizes[-1] = max(sizes[-1], least)
    blo, bhi = limits.batch
    batch = next((m for m in range(max(blo, 2), bhi + 1) if m not in sizes), blo)
    acts = spec.acts if spec.fixed else [spec.acts[0]] * depth + [spec.acts[-1]]
    return Structure(tuple(sizes), tuple(acts), spec.loss, spec.reduction, batch, spec.dtype,
                     "soft" if spec.targets == "soft" else "one-hot", spec.l2, spec.l2_biases)


def _shrink(spec: _Spec, structure: Structure, value_seed: int, limits: Limits, failure: Counterexample) -> Counterexample:
    """Greedy: move to the first one-step-smaller network that fails the same way (each tried with the
    failing values' seed and SHRINK_SEEDS − 1 others) until none does. A step that would make two
    widths, or a width and the batch, equal is taken only if they were equal already."""
    improved = True
    while improved:
        improved = False
        for smaller in _smaller(structure, limits, spec.fixed):
            if _coincidences(smaller) > _coincidences(structure):
                continue
            for s in [value_seed] + [value_seed * 7919 + k for k in range(1, SHRINK_SEEDS)]:
                case = _fill(smaller, s % 2 ** 32, limits, spec)
                found = None if case is None else spec.check(case)
                if isinstance(found, Counterexample) and found.kind == failure.kind:
                    structure, value_seed, failure, improved = smaller, s % 2 ** 32, found, True
                    break
            if improved:
                break
    return failure


def _coincidences(s: Structure) -> int:
    values = list(s.sizes) + [s.batch]
    return len(values) - len(set(values))


def _smaller(s: Structure, limits: Limits, fixed_depth: bool):
    """Networks one step smaller than `s`: a hidden layer fewer, then a unit fewer in one layer
    (or straight to the least width), then an example fewer (or straight to the least batch)."""
    if not fixed_depth and s.depth > limits.depth[0]:
        for i in range(1, len(s.sizes) - 1):  # drop hidden layer i
            yield replace(s, sizes=s.sizes[:i] + s.sizes[i + 1:], activations=s.activations[:i - 1] + s.activations[i:])
    for i, n in enumerate(s.sizes):
        least = max(limits.width[0], activation_record(s.activations[-1]).min_width) \
            if i == len(s.sizes) - 1 else limits.width[0]
        for m in sorted({least, n - 1}):
            if least <= m < n:
                yield replace(s, sizes=s.sizes[:i] + (m,) + s.sizes[i + 1:])
    for m in sorted({limits.batch[0], s.batch - 1}):
        if limits.batch[0] <= m < s.batch:
            yield replace(s, batch=m)


# ----------------------------------------------------------------------------- arguments

def _loss(loss) -> Loss:
    if isinstance(loss, Loss):
        return loss
    if callable(loss):
        return user_loss(loss)
    if isinstance(loss, str) and loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)} or a function (a, y) -> cost per example "
                         f"on torch tensors, got {loss!r}")
    return get_loss(loss)


def _activation(a, argname: str) -> Activation:
    if callable(a) and not isinstance(a, Activation):
        return user_activation(a)
    if isinstance(a, str) and a not in ACTIVATIONS:
        raise ValueError(f"{argname}: unknown activation {a!r}; expected one of {sorted(ACTIVATIONS)} "
                         "or a function on torch tensors")
    return get_activation(a, argname=argname)


def _activations(activation, output) -> tuple[list, bool]:
    """([one per layer], True) for a list; else ([hidden, output], False), drawn at any depth."""
    single = isinstance(activation, (str, Activation)) or callable(activation)
    if not single:
        if not isinstance(activation, (list, tuple)) or not activation:
            raise TypeError(f"activation: expected a name, a function on torch tensors, or a list of them (one per "
                            f"layer), got {describe_value(activation)}")
        if output is not None:
            raise ValueError("output: with one activation per layer in a list, the last one is the output's")
        return [_activation(a, f"activation[{i}]") for i, a in enumerate(activation)], True
    hidden = _activation(activation, "activation")
    last = _activation(output, "output") if output is not None else hidden
    if not activation_record(hidden).hidden:
        if output is not None:
            raise ValueError(f"activation: {hidden} is only for the output layer; give the hidden layers' "
                             "activation here and the output's as output=")
        return [hidden], True   # softmax alone: one layer
    return [hidden, last], False
