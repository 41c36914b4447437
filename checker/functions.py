"""The functions a document may name: a declared function is `any`, `defined` in the document, or one
of the records' smooth activations (reference/records.py), each with its exact SymPy form.

A function declared `any` is a claim about every function. It is evaluated with concrete ones, each
world (size and point) taking one in turn, chosen so that no property holds for all of them by
accident: bounded and not (sigmoid, tanh against the rest), monotone and not (the cubic), positive
and not (tanh, the cubic and 3t/2 − tanh t + 1/2 take negative values), f' ≤ 1 and not (the cubic
and 3t/2 − tanh t + 1/2 reach f' > 1), odd and not, linear and not (identity). Each grows at most
polynomially, so a deep network's values stay within float64 and the ties can run on them. A proof
(checker/prove.py) uses an undefined function instead, so "proved" means for every differentiable f.
"""
from __future__ import annotations

from typing import Callable

import sympy as sp

from backproof.reference.records import ACTIVATIONS

# What a declared function may be named as: the records' smooth elementwise activations without
# parameters, each with its exact form.
CONCRETE = tuple(name for name, r in ACTIVATIONS.items()
                 if r.elementwise and r.exact is not None and not r.kink and not r.parameters)


def concrete(name: str, t):
    """A named activation of the records applied to t, as a SymPy expression."""
    return ACTIVATIONS[name].exact(sp, [t])[0]


# The functions `any` stands for: a fixed set, written here, never "every activation the project
# has": a record added to reference/records.py must not change which function a document's world
# takes, nor how many a document needs (`points` × sizes ≥ len(ANY)). Each is named by its formula
# (a document may name the records' activations directly: CONCRETE above).
ANY: dict[str, Callable] = {
    "1/(1 + e^-t)": lambda t: 1 / (1 + sp.exp(-t)),
    "tanh(t)": sp.tanh,
    "t": lambda t: t,
    "ln(1 + e^t)": lambda t: sp.log(1 + sp.exp(t)),
    "t^3/4 - t + 1/3": lambda t: t ** 3 / 4 - t + sp.Rational(1, 3),
    "3t/2 - tanh(t) + 1/2": lambda t: 3 * t / 2 - sp.tanh(t) + sp.Rational(1, 2),
}


_SAME: dict = {}


def same_activation(name: str) -> str | None:
    """The records' activation that one of `any`'s functions is, where one is (the ties run
    manual/'s code for it): found by value, each function against each smooth record at a few points
    at 40 digits, never by a table of names. None for the cubic and the others manual/ lacks."""
    if name not in _SAME:
        import mpmath
        t = sp.Symbol("t")
        mine = sp.lambdify(t, ANY[name](t), "mpmath")
        _SAME[name] = None
        with mpmath.workdps(40):
            for record in CONCRETE:
                theirs = sp.lambdify(t, concrete(record, t), "mpmath")
                if all(abs(mine(mpmath.mpf(v)) - theirs(mpmath.mpf(v))) < mpmath.mpf(10) ** -30
                       for v in ("-1.3", "0.4", "2.1", "-4.7")):
                    _SAME[name] = record
                    break
    return _SAME[name]
