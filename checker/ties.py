"""Documents ↔ code: run the manual/ function an equation names and compare it with the equation.

`<!-- check: implements manual.network.bp2_hidden_error -->` before an equation makes the checker
call `bp2_hidden_error` (imported as backproof.manual.network.bp2_hidden_error, so a renamed function fails) on the
equation's own random instances, with the arrays of the document's symbols, and compare the result
with the equation's right side. A bracket picks a loss where the function needs one:
`manual.network.bp1_output_error[softmax_ce]`.

Each adapter below is the one place that knows how a document's symbols (z, a, w, b, y, delta, t)
map onto the function's arguments; a document that renames a symbol gets a clear error here.
"""
from __future__ import annotations

import importlib
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp

from backproof.reference.records import loss_record
from backproof.reference.tolerances import tie_tolerance

from .meaning import ir


class NotApplicable(Exception):
    """This instance or index is outside what the function computes (e.g. BP2 at l = L)."""


class View:
    """The numbers of one checker world, as float64 NumPy arrays in manual/'s layout (batch in rows)."""

    def __init__(self, world):
        self.w = world
        self.L = world.inst.L

    def array(self, name: str, layer: int | None = None) -> np.ndarray:
        """The family at `layer` with its declared subscripts as axes (float64)."""
        fam = self._family(name)
        node_atoms = self.w.atom_value(_atom_node(name, layer), {})
        if isinstance(node_atoms, sp.MatrixBase):
            vals = self.w.value(node_atoms)
            arr = np.array([[float(v) for v in row] for row in vals])
            arr = arr[:, 0] if len(fam.slots) == 1 else arr
        else:
            arr = np.array(float(self.w.value(node_atoms)))
        if not np.isfinite(arr).all():   # beyond float64's range: manual/ cannot be given these values
            raise NotApplicable()
        return arr

    def rows(self, name: str, layer: int | None = None) -> np.ndarray:
        """The family as a batch in rows: (m, n) with a batch subscript, (1, n) without one."""
        arr = self.array(name, layer)
        return arr if self.batched(name) else arr.reshape(1, -1)

    def like(self, name: str, result: np.ndarray) -> np.ndarray:
        """A result in manual/'s (batch, n) layout back in the document's layout for `name`."""
        return result if self.batched(name) else result[0]

    def batched(self, name: str) -> bool:
        return bool(self._family(name).slots) and self._family(name).slots[0].startswith("m")

    def scalar(self, name: str) -> float:
        return float(self.array(name))

    def activation(self, fname: str):
        """manual's activation that the document's function stands for in this world; NotApplicable
        where a function declared `any` stands for one that manual/ does not have (the cubic)."""
        from backproof.manual.activations import ACTIVATIONS, get_activation

        from .functions import ANY, same_activation
        impl = self.w.functions.get(fname)
        if impl in (None, "defined"):
            raise LookupError(f"function {fname} is not a named activation in this document")
        if self.w.model.functions.get(fname) == "any":
            impl = same_activation(impl) if impl in ANY else impl
            if impl not in ACTIVATIONS:
                raise NotApplicable()
        return get_activation(impl)

    def _family(self, name: str):
        fam = self.w.model.families.get(name)
        if fam is None:
            raise LookupError(f"the document has no symbol {name!r}, which this tie reads")
        return fam


def _atom_node(name, layer):
    return ir("atom", name, None if layer is None else ir("num", Fraction(layer)), ())


# ----------------------------------------------------------------------------- the adapters

def _loss(name: str):
    from backproof.manual.losses import get_loss
    return get_loss(name)


def _scale(v: View, reduction: str | None) -> float:
    if reduction == "mean":
        return 1.0 / v.w.inst.m
    return 1.0


def _linear(fn, v: View, at: dict, spec):
    l = at["l"]
    return v.like("z", fn(v.rows("a", l - 1), v.array("w", l), v.array("b", l)))


def _bp1(fn, v: View, at: dict, spec):
    from backproof.manual.activations import get_activation
    name, _, reduction = (spec or "half_sse").partition(",")
    loss = _loss(name)
    paired = loss_record(loss).output   # a loss computed from an output's logits names that output
    act = get_activation(paired) if paired else v.activation("f")
    L = v.L
    delta = fn(v.rows("z", L), v.rows("a", L), v.rows("y"), act, loss, _scale(v, reduction or None))
    return v.like("z", delta)


def _bp2(fn, v: View, at: dict, spec):
    l = at["l"]
    if l >= v.L:
        raise NotApplicable()
    return v.like("z", fn(v.rows("delta", l + 1), v.array("w", l + 1), v.rows("z", l), v.activation("f")))


def _bp3(fn, v: View, at: dict, spec):
    return fn(v.rows("delta", at["l"]))


def _bp4(fn, v: View, at: dict, spec):
    l = at["l"]
    return fn(v.rows("delta", l), v.rows("a", l - 1))


def _elementwise(fn, v: View, at: dict, spec):
    return fn(np.array([v.scalar("t")]))[0]


def _leaky(fn, v: View, at: dict, spec):
    """leaky_relu is a factory: build it with the document's slope alpha, run f or prime at t."""
    if spec not in ("f", "prime"):
        raise LookupError("name which part of leaky_relu: manual.activations.leaky_relu[f] or [prime]")
    act = fn(v.scalar("alpha"))
    return getattr(act, spec)(np.array([v.scalar("t")]))[0]


def _loss_grad(fn, v: View, at: dict, spec):
    return fn(v.rows("a", v.L), v.rows("y"))[0]


def _jacobian(fn, v: View, at: dict, spec):
    return fn(v.rows("z", v.L))[0]


# The adapters for functions with their own arguments. Any other function of manual/activations.py
# is an elementwise f or f' of t, and any other of manual/losses.py is a ∂C/∂a of (a, y): a new
# activation or loss needs no entry here.
ADAPTERS: dict[str, Callable] = {
    "backproof.manual.network.linear": _linear,
    "backproof.manual.network.bp1_output_error": _bp1,
    "backproof.manual.network.bp2_hidden_error": _bp2,
    "backproof.manual.network.bp3_bias_grad": _bp3,
    "backproof.manual.network.bp4_weight_grad": _bp4,
    "backproof.manual.activations.leaky_relu": _leaky,
    "backproof.manual.activations.softmax_jacobian": _jacobian,
}
BY_MODULE: dict[str, Callable] = {
    "backproof.manual.activations": _elementwise,
    "backproof.manual.losses": _loss_grad,
}


def resolve(target: str) -> Callable:
    """`module.function[spec]` → a callable (view, assignment) → array or number."""
    name, _, spec = target.partition("[")
    spec = spec.rstrip("]") or None
    name = "backproof." + name  # documents name the function by its place in the design: manual.network.x
    module, _, attr = name.rpartition(".")
    adapter = ADAPTERS.get(name) or BY_MODULE.get(module)
    if adapter is None:
        raise LookupError(f"no tie adapter for {name!r}; known: {', '.join(sorted(ADAPTERS))} and any "
                          f"function of {' or '.join(sorted(BY_MODULE))}")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn) or attr.startswith("_"):
        raise LookupError(f"{name} does not exist (renamed or removed from {module})")
    return lambda view, at: adapter(fn, view, at, spec)


def disagreement(got, want, pick: tuple = ()) -> str | None:
    """None when the function's float64 result matches the equation's value (mpmath)."""
    got = np.asarray(got, dtype=np.float64)
    if isinstance(want, list):
        want_arr = np.array([[float(x) for x in row] for row in want])
        if got.shape != want_arr.shape:
            if got.size == want_arr.size and 1 in want_arr.shape:  # a vector as a row or column
                got = got.reshape(want_arr.shape)
            else:
                return f"shape {got.shape} against the equation's {want_arr.shape}"
    else:
        want_arr = np.array(float(want))
        if pick:
            got = got[tuple(i - 1 for i in pick)]
        if got.shape != ():
            return f"the function gave shape {got.shape} where the equation has one number"
    tol = tie_tolerance(want_arr)
    bad = np.abs(got - want_arr) > tol
    if bad.any() or not np.isfinite(got).all():
        i = np.unravel_index(int(np.argmax(np.abs(got - want_arr) - tol)), got.shape) if got.shape else ()
        return (f"function {float(got[i]) if i != () else float(got)!r} against equation "
                f"{float(want_arr[i]) if i != () else float(want_arr)!r} (tolerance "
                f"{float(tol[i]) if i != () else float(tol):.2g})")
    return None

