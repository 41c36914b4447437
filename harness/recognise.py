"""Recognition: what the caller did not state about the code under test (its layout, per-example
calls, how its gradients come back, a model's parameters, its dtype), found once on a probe network
whose widths and batch all differ, so that no two shapes coincide. Every convention not stated is
probed before a backprop is called WRONG; each stated argument fixes only itself."""
from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np

from backproof.reference.strategies import Case, Limits

from .calling import Raised, Result, fitting, run, shapes_fit, user_frame
from .models import STEP, layout_from_shapes, recognize_model
from .report import Counterexample
from .shrink import fill_case, probe_structure
from .styles import KEY, LAYOUTS, WEIGHT_SHAPES, Layout, Unrecognized

PROBED_BIASES = ("separate", "row")   # bias shapes tried when not stated (docs/harness.md)


def recognise(spec, limits: Limits, seed: int) -> Counterexample | None:
    """Recognise what was not stated, on a network whose widths and batch differ; a failure there
    (the code raises, or returns something of no recognisable shape) is the report."""
    structure = probe_structure(spec, limits)
    case = None
    for s in range(50):
        case = fill_case(structure, seed + s, limits, spec)
        if case is not None:
            spec.probe_case, spec.probe_sizes = (structure, seed + s), case.net.sizes
            break
    if case is None:
        raise ValueError("no probe network could be drawn off relu's kinks; widen the limits")
    found = None
    if inspect.isclass(spec.backprop):
        try:
            spec.model, weights, biases = recognize_model(spec.backprop, case.net.sizes, spec.method,
                                                          spec.method_kwargs, spec.init_kwargs)
        except Unrecognized as e:
            return problem_report(case, spec, "model", str(e))
        except Exception as exc:  # noqa: BLE001 - the user's constructor
            return problem_report(case, spec, "model", f"building {spec.backprop.__name__}({case.net.sizes}) "
                                  f"raised {type(exc).__name__}: {exc}", user_frame(exc))
        found = layout_from_shapes(weights, biases, case.net.sizes)
        spec.recognised.append(f"{spec.backprop.__name__}: parameters as {spec.model.params}, "
                               f"method {spec.model.method}()")
    layouts = layout_candidates(spec, found)
    attempts = [spec.per_example] if spec.per_example is not None else [False, True]
    dtype = np.dtype(spec.dtype)
    first_problem, fallback, wrong, tried = None, None, None, 0
    for lay in layouts:
        for per_example in attempts:
            if per_example is False and lay.layout == "vector":
                continue
            trial = replace(spec, layout=lay, per_example=per_example)
            tried += 1
            try:
                result = run(trial, case, dtype)
            except Raised as e:
                first_problem = first_problem or (lay, per_example, "backprop", e.message, e.where)
                continue
            except Unrecognized as e:
                first_problem = first_problem or (lay, per_example, "returned", str(e), "")
                continue
            fits = result.returns is None or result.returns.fits and shapes_fit(result, lay, case)
            if not fits:   # a batch that does not fit may be one example per call: try that next
                fallback = fallback or (lay, per_example, result)
                continue
            # the shapes fit: judged on the probe where another convention is left to try, so that
            # a convention that merely runs is never taken over one whose values are right
            if len(layouts) == 1 or replace(trial, returns=result.returns).check_in(case, dtype) in (None, "nothing checked"):
                _take(spec, lay, per_example, result, len(attempts) > 1, True)
                return _float64_logic(spec, case)
            wrong = wrong or (lay, per_example, result)
            break
    if wrong is not None:
        _take(spec, *wrong, len(attempts) > 1, True)
    elif fallback is not None:
        _take(spec, *fallback, False, False)
    else:
        if first_problem is None:
            return None
        # reported under the most likely convention (the first tried), which the shrinker keeps
        spec.layout, spec.per_example = first_problem[0], first_problem[1]
        if len(layouts) > 1:
            spec.recognised.append(f"no convention fits: the same under each of the {tried - 1} other "
                                   f"conventions tried ({unstated_names(spec)} not stated, each value was "
                                   f"tried); shown with the first")
        return problem_report(case, spec, *first_problem[2:])
    return _float64_logic(spec, case)


def layout_candidates(spec, found: Layout | None) -> list[Layout]:
    """The layouts to probe, most likely first: each field the caller stated is fixed, a model's
    parameters fix the weights' and biases' shapes, every other field takes each of its values
    (the biases' shapes (n,) and (1, n), and (n, 1) with the examples in columns; a bias folded
    into the weights, or none, changes what the function is given, and is stated)."""
    first = found or spec.layout
    options = {"layout": (first.layout,) + tuple(v for v in LAYOUTS if v != first.layout),
               "weight_shape": (first.weight_shape,) if found else WEIGHT_SHAPES,
               "bias": (first.bias,) if found else PROBED_BIASES}
    for name, value in spec.stated.items():
        options[name] = (value,)
    if found is not None and "layout" not in spec.stated and found.layout == "columns":
        options["layout"] = ("columns",)   # a model's (n, 1) biases say the examples are in columns
    return [Layout(l, w, b, labels=spec.layout.labels)
            for l in options["layout"] for w in options["weight_shape"] for b in options["bias"]]

def unstated_names(spec) -> str:
    return ", ".join(f"{n}=" for n in ("layout", "weight_shape", "bias") if n not in spec.stated)

def _float64_logic(spec, case: Case) -> None:
    """float32: does the function take float64 too, and answer in float64? Then its logic is
    judged there as well; a function that casts to float32 whatever it is given is judged in
    float32 only, and the report says why."""
    if spec.dtype != "float32":
        return None
    try:
        result = run(spec, case, np.dtype(np.float64))
    except (Raised, Unrecognized):
        spec.recognised.append("did not take float64 arrays: the logic is judged in float32 only")
        return None
    if all(getattr(g, "dtype", None) == np.float64 for g in result.dweights + result.dbiases):
        spec.float64_logic = True
    else:
        spec.recognised.append("answers in float32 whatever it is given: the float64 logic run was skipped, "
                               "the logic is judged in float32 only")
    return None

def returned_keys(result: Result) -> dict:
    """{("w" or "b", layer index from 0): the key} of gradients returned in a dict ({"dW1": ...}),
    so that the report names each as the code does; {} for other forms."""
    raw, returns = result.raw, result.returns
    if returns is None or returns.form != "dict":
        return {}
    if returns.with_loss and isinstance(raw, (tuple, list)) and len(raw) == 2:
        raw = raw[1]
    found = {}
    for key in raw if isinstance(raw, dict) else ():
        m = KEY.match(str(key))
        if m:
            found[("w" if m.group(1).lower().startswith("w") else "b", int(m.group(2)))] = str(key)
    base = min((k for _, k in found), default=0)
    return {(kind, k - base): key for (kind, k), key in found.items()}


def _take(spec, layout: Layout, per_example: bool, result: Result, recognised_per_example: bool,
          fits: bool) -> None:
    if layout != spec.layout or spec.model is not None:
        unstated = [f"{n}={getattr(layout, n)!r}" for n in ("layout", "weight_shape", "bias") if n not in spec.stated]
        if unstated:
            spec.recognised.append(", ".join(unstated))
    spec.layout, spec.per_example, spec.returns = layout, per_example, result.returns
    spec.returned_keys = returned_keys(result)
    if per_example and recognised_per_example:
        spec.recognised.append("called once per example (the batch did not fit)")
    if result.returns is not None and result.returns.form == "step":
        spec.recognised.append(f"{spec.model.method}() applies the gradients in place: each is read from the "
                               f"change of its parameter after one step with learning rate {STEP:g}, set as "
                               f"{spec.model.steps}")
    elif result.returns is not None and result.returns.form != "attributes":
        if fits:
            spec.recognised.append(f"returns {result.returns}")
        else:
            other = fitting(result, spec)
            spec.recognised.append(f"returns taken as {result.returns}: " + (
                f"the shapes do not fit it; they fit {other}: leave `returns` out to have that recognised"
                if other else "no convention fits the shapes"))


def problem_report(case: Case, spec, parameter: str, problem: str, where: str = "", kind: str = "") -> Counterexample:
    ce = counterexample_of(case, spec)
    kind = kind or ("raised" if problem.startswith("raised") else parameter)
    parameter = spec.own_name(parameter)
    ce.parameter, ce.problem, ce.raised_at = parameter, problem, where
    ce.kind = kind
    return ce


def counterexample_of(case: Case, spec) -> Counterexample:
    net = case.net
    weights, biases = spec.layout.params(net.W, net.b)
    x = spec.layout.data(case.x) if spec.layout.layout != "vector" else case.x[0]
    y = spec.layout.targets(case.y) if spec.layout.layout != "vector" else spec.layout.targets(case.y[:1])
    return Counterexample(net.sizes, [str(f) for f in net.activations], net.loss.name, net.reduction, len(case.x),
                          str(net.dtype), l2=net.l2, weights=weights, biases=biases, x=x, y=y)
