"""Check anyone's backprop, as they wrote it, and shrink a failure to the smallest network that shows it.

    from backproof.harness import check_backprop, assert_backprop

    report = check_backprop(my_backprop, activation="relu", output="softmax", loss="softmax_ce",
                            reduction="mean", targets="labels")
    print(report)                  # pass, or the smallest failing network, what is wrong and why
    assert_backprop(my_backprop)   # the same, raising BackpropMismatch (an AssertionError) with that text

What can be checked, with no adapter (harness/styles.py has the details):
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
errors start, first, and a neighbouring convention the gradients fit is named (harness/diagnosis.py).
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from backproof.manual.checks import check_dtype, check_int, check_real, check_seed, describe_value
from backproof.manual.losses import REDUCTIONS, Loss
from backproof.manual.network import Gradients, Network
from backproof.reference.autograd import autograd_pass, gradient_magnitudes
from backproof.reference.compare import checks_nothing, judge, passes_at_its_own_size, structural_problem
from backproof.reference.records import (UNKNOWN_FUNCTION_BOUND, UserActivation, UserLoss, loss_record,
                                         resolve_activations, resolve_loss)
from backproof.reference.strategies import Case, Limits, RandomChooser, draw_structure, widened
from backproof.reference.tolerances import rtol_exact

from .calling import Raised, run, shape_hint
from .diagnosis import diagnose, diagnose_layers, kind_of
from .models import Model
from .recognise import counterexample_of, problem_report, recognise
from .report import STATUSES, BackpropMismatch, Counterexample, Report, Wrong  # noqa: F401 (STATUSES: the public name)
from .shrink import fill_case, shrink
from .styles import BIASES, LAYOUTS, TARGETS, WEIGHT_SHAPES, Layout, Returns, Unrecognized


# ----------------------------------------------------------------------------- the entry points

def check_backprop(backprop: Callable, *, activation="sigmoid", output=None, loss="half_sse", reduction: str = "sum",
                   targets: str | None = None, l2: float = 0.0, l2_biases: bool = False,
                   layout: str | None = None, weight_shape: str | None = None, bias: str | None = None,
                   params: str = "lists", per_example: bool | None = None, returns: Returns | None = None,
                   method: str | None = None, method_kwargs: dict | None = None, init_kwargs: dict | None = None,
                   dtype="float64",
                   depth: tuple[int, int] = Limits.depth, width: tuple[int, int] = Limits.width,
                   batch: tuple[int, int] = Limits.batch, input_scale: float = Limits.input_scale,
                   max_z: float = Limits.max_z, max_examples: int = 200, seed: int | None = None) -> Report:
    """Check `backprop` on up to `max_examples` generated networks; return a Report (`.ok`, `.status`,
    `str()`, `.counterexample`). See the module docstring for what `backprop` may be."""
    spec = _Spec.build(backprop, activation, output, loss, reduction, targets, l2, l2_biases, layout, weight_shape,
                       bias, params, per_example, returns, method, dtype, method_kwargs, init_kwargs)
    limits = Limits(depth, width, batch, input_scale, max_z)
    max_examples = check_int("max_examples", max_examples, low=1)
    seed = int(np.random.SeedSequence().entropy % 2 ** 32) if check_seed("seed", seed) is None else int(seed)
    failure = recognise(spec, limits, seed)
    settings = spec.settings(limits)
    if failure is not None:
        small = shrink(spec, spec.probe_case[0], spec.probe_case[1], limits, failure)
        return Report("fail", 1, 0, seed, settings, small, spec.recognised)
    rng = np.random.default_rng(seed)
    checked = vacuous = 0
    for _ in range(max_examples):
        structure = draw_structure(RandomChooser(rng), limits, **spec.choices)
        value_seed = int(rng.integers(2 ** 32))
        case = fill_case(structure, value_seed, limits, spec)
        if case is None:
            continue
        verdict = spec.check(case)
        if verdict == "nothing checked":
            vacuous += 1
            continue
        checked += 1
        if verdict is not None:
            small = shrink(spec, structure, value_seed, limits, verdict)
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
    stated: dict                   # the layout's fields the caller stated: each fixes only itself
    params: str
    per_example: bool | None
    returns: Returns | None
    method: str | None
    dtype: str
    method_kwargs: dict = field(default_factory=dict)
    init_kwargs: dict = field(default_factory=dict)
    returned_keys: dict = field(default_factory=dict)   # the keys of gradients returned in a dict
    model: Model | None = None
    float64_logic: bool = False
    probe_case: tuple = ()         # (structure, value seed) of the probe network
    probe_sizes: list = field(default_factory=list)
    recognised: list = field(default_factory=list)

    @classmethod
    def build(cls, backprop, activation, output, loss, reduction, targets, l2, l2_biases, layout, weight_shape,
              bias, params, per_example, returns, method, dtype, method_kwargs=None, init_kwargs=None) -> "_Spec":
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
            raise TypeError(f"returns: expected a backproof.harness.styles.Returns, got {describe_value(returns)}")
        if per_example not in (None, True, False):
            raise TypeError(f"per_example: expected True, False or None (recognised), got {per_example!r}")
        if method is not None and not model:
            raise ValueError("method: only a model class has methods to call; a function is called itself")
        for name, value in (("method_kwargs", method_kwargs), ("init_kwargs", init_kwargs)):
            if value is not None and not (isinstance(value, dict) and all(isinstance(k, str) for k in value)):
                raise TypeError(f"{name}: expected a dict of keyword arguments, got {describe_value(value)}")
        if init_kwargs and not model:
            raise ValueError("init_kwargs: only a model class is constructed; a function is called itself")
        loss = resolve_loss(loss)
        acts, fixed = resolve_activations(activation, output)
        target_domain = loss_record(loss).targets
        if targets in ("one-hot", "soft") and target_domain != "simplex":
            raise ValueError(f"targets: {loss.name}'s targets are {target_domain} values, not distributions; "
                             "targets='one-hot' or 'soft' applies to a loss on a simplex (softmax_ce); "
                             "targets='labels' to any loss (the code turns class indices into one-hot rows)")
        targets = targets or "one-hot"
        if layout == "vector" and per_example is False:
            raise ValueError("layout: 'vector' is one example as 1-D arrays; it needs per_example=True (or None)")
        # the pairing of loss and output and softmax's place, as manual/ checks them (raises ValueError)
        Network([np.zeros((1, 1))] * len(acts), [np.zeros(1)] * len(acts), acts, loss=loss, reduction=reduction,
                l2=l2, l2_biases=l2_biases)
        dtype = str(check_dtype("dtype", dtype))
        stated = {k: v for k, v in (("layout", layout), ("weight_shape", weight_shape), ("bias", bias)) if v is not None}
        lay = Layout(layout or "rows", weight_shape or "out_in", bias or "separate", labels=targets == "labels")
        return cls(backprop, acts, fixed, loss, reduction, targets, float(check_real("l2", l2, low=0)), l2_biases,
                   lay, stated, params, True if layout == "vector" else per_example, returns, method, dtype,
                   dict(method_kwargs or {}), dict(init_kwargs or {}))

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
        found = self.check_in(case, np.dtype(self.dtype))
        if found is None and self.float64_logic:
            found = self.check_in(widened(case), np.dtype(np.float64))
            if isinstance(found, Counterexample):
                found.run_in, found.dtype = "float64", "float32"
        return found

    def check_in(self, case: Case, dtype: np.dtype):
        net, x, y = case.net, case.x, case.y
        try:
            result = run(self, case, dtype)
        except Raised as e:
            return problem_report(case, self, "backprop", e.message, e.where)
        except Unrecognized as e:
            return problem_report(case, self, "returned", str(e))
        weights_shapes, biases_shapes = self.layout.shapes(net.sizes)
        first, kinds = None, set()
        for name, got, shapes in (("dweights", result.dweights, weights_shapes), ("dbiases", result.dbiases, biases_shapes)):
            if len(got) != len(shapes):
                empty = f" (empty: bias={self.layout.bias!r})" if not shapes else ""
                return problem_report(case, self, name, f"expected a list of {len(shapes)} arrays{empty}, got {describe_value(got)}",
                                kind="shape")
            for i, (g, shape) in enumerate(zip(got, shapes)):
                problem = structural_problem(g, tuple(shape), dtype)
                if problem:
                    hint = shape_hint(g, shape, name, i, weights_shapes, biases_shapes, len(x))
                    kind = next(k for k in ("shape", "dtype", "non-finite", "array") if k in problem)
                    if name == "dweights" and np.shape(g) == tuple(shape)[::-1]:
                        kind = "transposed"   # the kind a square layer's transpose is diagnosed as: the
                        # shrinker keeps a failure's kind, and must be free to reach square layers
                    kinds.add(kind)
                    first = first or problem_report(case, self, f"{name}[{i}]", problem + hint, kind=kind)
        if first is not None:
            found = self._values_behind_shapes(case, result) if kinds <= {"shape", "transposed"} else None
            if found is not None:   # the mistakes named (a transpose, a bias summed to one number, and
                # those beside them) are the failure's kind, as when the same mistakes keep the shapes
                first.diagnosis, first.kind = found.message, kind_of(found.kinds)
            return first
        dW, db = self.layout.to_canonical(result.dweights, result.dbiases, net.sizes)
        reference, inputs = autograd_pass(net, x, y)
        quantities = ("dW", "db") if self.layout.bias != "none" else ("dW",)
        if checks_nothing(reference, dW, db, quantities):
            return "nothing checked"
        given = Gradients(None, [], dW, db)
        if result.step_error is None and passes_at_its_own_size(net, x, given, reference, inputs, quantities):
            return None        # within rtol of each entry's own size: judge would pass it (no bound needed)
        magnitudes = gradient_magnitudes(net, x, y, reference)
        if result.step_error is not None:   # read from a step: its own rounding is part of the bound
            magnitudes = self._with_step_error(net, len(x), magnitudes, result.step_error)
        verdict = judge(net, x, y, given, quantities=quantities, reference=reference, magnitudes=magnitudes)
        if verdict.ok:
            return None
        return self._wrong(case, verdict.mismatches, dW, db, magnitudes, quantities)

    def _values_behind_shapes(self, case: Case, result):
        """Where some tensors have the wrong shape, the mistakes the layer walk finds in all of them
        (harness/layers.py reads a bias summed to one number or a transposed ∂C/∂W as such), so that a
        shape error does not hide the mistakes beside it: a Diagnosis, or None where it finds none or
        the layout keeps the biases inside W (their columns cannot be told apart then)."""
        if self.layout.bias not in ("separate", "row", "none"):
            return None
        net, x, y = case.net, case.x, case.y
        try:
            dW, db = self.layout.to_canonical(result.dweights, result.dbiases, net.sizes)
            dW, db = [np.asarray(d, np.float64) for d in dW], [np.asarray(d, np.float64) for d in db]
        except (ValueError, TypeError, AttributeError):
            return None
        quantities = ("dW", "db") if self.layout.bias != "none" else ("dW",)
        found = diagnose_layers(net, x, y, dW, db, gradient_magnitudes(net, x, y), quantities,
                                name=lambda q, l: self.own_name(self.layout.name_of(q, l, None, net.sizes)[0]))
        return found

    def own_name(self, name: str) -> str:
        """A gradient's name in the code's own terms where the code names it: the key it came back
        under ("dW1", "grad_b2"), "dW1" for a model's .W1 or params["W1"], "d(layers[0].weights)";
        else as the harness calls it,
        "dweights[0]" (the i-th of the weights list the function was given)."""
        found = re.fullmatch(r"d(weights|biases)\[(\d+)\](.*)", name)
        if found is None:
            return name
        i, which = int(found.group(2)), 0 if found.group(1) == "weights" else 1
        key = self.returned_keys.get(("w" if which == 0 else "b", i))
        if key is not None:          # returned in a dict: the dict's own key
            return key + found.group(3)
        if self.model is not None:
            names = self.model.names_of(i + 1)
        elif self.params == "dict":
            names = [(f"W{k}", f"b{k}") for k in range(1, i + 2)]
        else:
            return name
        own = names[i][which]
        simple = re.fullmatch(r"[A-Za-z_]\w*(\[\d+\])?", own)
        return ("d" + own if simple else f"d({own})") + found.group(3)

    def _with_step_error(self, net, batch: int, magnitudes: Gradients, error: tuple) -> Gradients:
        """The entries' bounds, each raised by the error of reading its gradient from a step over
        the dtype's rtol, so that the allowed difference (rtol · bound) grows by that error exactly."""
        rtol = rtol_exact(net.dtype, net.sizes, batch)
        ew, eb = self.layout.to_canonical(*error, net.sizes)
        return Gradients(magnitudes.cost, magnitudes.delta, [m + e / rtol for m, e in zip(magnitudes.dW, ew)],
                         [m + e / rtol for m, e in zip(magnitudes.db, eb)])

    def _wrong(self, case: Case, mismatches: list, dW, db, magnitudes, quantities) -> Counterexample:
        values = [m for m in mismatches if not m.problem]
        if len(values) < len(mismatches):
            m = next(m for m in mismatches if m.problem)
            return problem_report(case, self, self.own_name(self.layout.name_of(m.quantity, m.layer, None, case.net.sizes)[0]),
                            m.problem)
        values.sort(key=lambda m: (-m.layer, m.quantity))      # nearest the output first
        wrong: dict[str, Wrong] = {}       # one per tensor of the user's (dW and db of a layer may be one)
        for m in values:
            name, index = self.layout.name_of(m.quantity, m.layer, m.index, case.net.sizes)
            name = self.own_name(name)
            if name not in wrong or m.error > wrong[name].error:
                wrong[name] = Wrong(name, index, m.got, m.expected, m.error, m.allowed)
        wrong = list(wrong.values())
        found = diagnose(case.net, case.x, case.y, dW, db, magnitudes, quantities,
                         tensors=[(m.quantity, m.layer) for m in values],
                         bias_column=self.layout.bias in ("augmented", "augmented_first"),
                         name=lambda q, l: self.own_name(self.layout.name_of(q, l, None, case.net.sizes)[0]))
        ce = counterexample_of(case, self)
        ce.wrong, ce.oracle = wrong, values[0].decided_by or values[0].oracle
        ce.parameter = found.root if found and found.root else wrong[0].parameter
        ce.diagnosis, ce.kind = (found.message, kind_of(found.kinds)) if found else ("", "values")
        return ce
