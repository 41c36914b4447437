"""Running a user's backprop as it wants to be run (a function, per example, a model object; in the
network's dtype) and taking its gradients out of what it returns; locating an exception in the
user's code and saying what a wrong shape most likely means."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backproof.reference.strategies import Case
from .styles import Layout, Returns, Unrecognized, is_number, recognize

# Frames in these folders are not the user's: an exception is located at the last frame outside them.
OURS = tuple(str(Path(m.__file__).resolve().parent) for m in (np,)) + (str(Path(__file__).resolve().parent),)


@dataclass
class Result:
    dweights: list
    dbiases: list
    returns: Returns | None
    raw: object = None           # what the (last) call returned
    step_error: tuple | None = None   # (weights, biases): bounds on gradients read from a step, summed


class Raised(Exception):
    def __init__(self, message: str, where: str):
        super().__init__(message)
        self.message, self.where = message, where


def run(spec, case: Case, dtype: np.dtype) -> Result:
    """Call the user's code on the case (in `dtype`), as it wants to be called, and take its gradients."""
    net = case.net
    weights, biases = spec.layout.params([Wl.astype(dtype) for Wl in net.W], [bl.astype(dtype) for bl in net.b])
    n = len(case.x)
    examples = [slice(i, i + 1) for i in range(n)] if spec.per_example else [slice(0, n)]
    total_w = total_b = None
    errors = None
    returns = spec.returns
    for rows in examples:
        x, y = spec.layout.data(case.x[rows].astype(dtype)), spec.layout.targets(case.y[rows].astype(dtype))
        try:
            result, obj = call(spec, weights, biases, x, y)
        except Exception as exc:  # noqa: BLE001 - a broken backprop is a finding, not a crash
            raise Raised(f"raised {type(exc).__name__}: {exc}", user_frame(exc)) from None
        with_biases = spec.layout.bias in ("separate", "row")
        if spec.model is not None and (result is None or is_number(result)):   # nothing, or only the loss
            try:
                dweights, dbiases = spec.model.attributes(obj, len(net.W), with_biases)
                returns = Returns("attributes")
            except Unrecognized:     # applied in place: read from the step the harness drove
                (dweights, dbiases), bounds = spec.model.stepped(obj, weights, biases)
                returns = Returns("step")
                errors = bounds if errors is None else tuple([e + f for e, f in zip(es, fs)]
                                                             for es, fs in zip(errors, bounds))
        else:
            if returns is None or returns.form in ("attributes", "step"):
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
    if errors is not None and spec.per_example and net.reduction == "mean":
        errors = tuple([e / n for e in es] for es in errors)
    return Result(total_w, total_b, returns, result, errors)


def call(spec, weights: list, biases: list, x, y):
    copies = [w.copy() for w in weights], [v.copy() for v in biases]
    if spec.model is not None:
        obj = spec.model.build(spec.layout_sizes(weights))
        spec.model.set(obj, *copies)
        return spec.model.call(obj, x, y), obj
    if spec.params == "dict":
        params = {f"W{i}": w for i, w in enumerate(copies[0], start=1)}
        params.update({f"b{i}": v for i, v in enumerate(copies[1], start=1)})
        return spec.backprop(params, x, y, **spec.method_kwargs), None
    return spec.backprop(*copies, x, y, **spec.method_kwargs), None


def fitting(result: "Result", spec) -> Returns | None:
    """Another convention under which the probe's result has the right shapes, if any."""
    raw = getattr(result, "raw", None)
    if raw is None:
        return None
    try:
        found = recognize(raw, spec.layout, spec.probe_sizes)
    except Unrecognized:
        return None
    return found if found.fits else None


def shapes_fit(result: Result, layout: Layout, case: Case) -> bool:
    weights, biases = layout.shapes(case.net.sizes)
    return [np.shape(g) for g in result.dweights] == weights and [np.shape(g) for g in result.dbiases] == biases


def user_frame(exc: BaseException) -> str:
    """file:line and the line of the innermost frame of the traceback outside backproof."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(OURS)]
    if not frames:
        return ""
    f = frames[-1]
    return f"{f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")


def shape_hint(g, shape: tuple, name: str, i: int, weights: list, biases: list, batch: int) -> str:
    """What a wrong shape most likely means, in the user's terms."""
    got = np.shape(g)
    if name == "dbiases" and batch in got and batch not in shape and max(shape) not in got:
        return (f" (the batch's length, {batch}: summed over the layer's units instead of over the examples? "
                "∂C/∂b sums delta over the batch)")
    if got == tuple(reversed(shape)) and len(shape) == 2:
        return " (the transpose: weight_shape='in_out' is (n_(l-1), n_l), 'out_in' (n_l, n_(l-1)))"
    if name == "dbiases" and {len(got), len(shape)} == {1, 2} and np.prod(got) == np.prod(shape):
        # the bias's own numbers in another layout; checked before the weights, whose shape an (n, 1)
        # bias has whenever the layer below is one unit wide
        return " (the biases' layout: bias='row' is (1, n), 'separate' (n,) in rows and (n, 1) in columns)"
    if name == "dbiases" and got in weights:
        return " (a weight's shape: are the weights and biases swapped?)"
    if name == "dweights" and got in biases:
        return " (a bias's shape: are the weights and biases swapped?)"
    return ""
