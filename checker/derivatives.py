"""One derivative table for the derivation checker: the evaluation at a size (checker/evaluate.py)
and the proof for every width (checker/general.py) take each step of the chain rule through a
compound expression here, and differ only in what they do at an atom (a value drawn or defined at
one size; an entry of a symbolic array, followed through its definition).

Each rule is the textbook one, built with SymPy's constructors and not sympy.diff, whose assumption
queries made differentiation most of a document's checking time."""
from __future__ import annotations

from typing import Callable

import sympy as sp


def chain_step(e, d: Callable, undefined: Callable | None = None):
    """∂e/∂u for a compound e, with d(part) = ∂part/∂u for its parts: sums, products, powers, exp,
    log, tanh, finite sums, |x|, max/min (one-sided at a tie, never drawn exactly) and cases; an
    undefined function f(v) as undefined(f, v) · ∂v/∂u where `undefined` is given. None for any
    other kind (the caller decides: sympy.diff at one size, no proof for every width)."""
    args = e.args
    if e.is_Add:
        return sp.Add(*(d(a) for a in args))
    if e.is_Mul:
        terms = []
        for i, a in enumerate(args):
            da = d(a)
            if da != 0:
                terms.append(sp.Mul(*args[:i], da, *args[i + 1:]))
        return sp.Add(*terms)
    if e.is_Pow:
        base, power = args
        dp = d(power)
        if dp == 0:
            return power * base ** (power - 1) * d(base)
        return e * (dp * sp.log(base) + power * d(base) / base)
    if isinstance(e, sp.exp):
        return e * d(args[0])
    if isinstance(e, sp.log):
        return d(args[0]) / args[0]
    if isinstance(e, sp.tanh):
        return (1 - e ** 2) * d(args[0])
    if isinstance(e, sp.Sum):   # the limits are sizes, never the variable
        return sp.Sum(d(args[0]), *args[1:])
    if isinstance(e, sp.Abs):
        return sp.sign(args[0]) * d(args[0])
    if isinstance(e, (sp.Max, sp.Min)) and len(args) == 2:
        a, b = args
        return sp.Piecewise((d(a), a > b if isinstance(e, sp.Max) else a < b), (d(b), True))
    if isinstance(e, sp.Piecewise):
        return sp.Piecewise(*((d(value), cond) for value, cond in args))
    if undefined is not None and isinstance(e, sp.core.function.AppliedUndef) and len(args) == 1:
        return undefined(e.func, args[0]) * d(args[0])
    return None
