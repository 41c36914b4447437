"""Exact evaluation: expression trees (SymEngine or SymPy) evaluated at DIGITS = 50 significant digits
with mpmath's own arithmetic (libmp) on raw numbers: mpmath's precision and rounding, without an
object per operation. Used by the symbolic oracle (reference/symbolic.py) and the derivation checker
(checker/evaluate.py).

One memo serves every call, so each distinct sub-expression (equal trees hash alike) is evaluated
once across all of them: common sub-expression elimination done while evaluating
(`symengine.cse` itself was measured far slower: 162 s against 0.8 s for the 484 gradients of
[8, 16, 16, 4] with batch 4).

The walk is iterative (an explicit stack, no Python recursion), so an expression of any depth is
evaluated or refused with a ValueError, never a RecursionError. The public hook for an evaluator
that knows more node types (the checker's defined symbols, cases, |x|, max) is a subclass that
overrides two methods:
    children(e)     the nodes whose values e needs first (default: e.args)
    combine(e, v)   e's raw value from `v`, its children's raw values in that order; or
                    `Redirect(other)`: e's value is other's (evaluated next, then copied): how a
                    defined symbol takes its definition's value, and how a branch is chosen
                    before it is evaluated (the branch not taken is never evaluated)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import mpmath
from mpmath import libmp

DIGITS = 50
PREC, RND = libmp.dps_to_prec(DIGITS), libmp.round_nearest
MAX_NODES_ON_STACK = 1_000_000   # an expression deeper than this is refused, not walked


def to_mpf(v) -> mpmath.mpf:
    """A number (a Fraction, an int, a SymPy or SymEngine rational, a float) as an mpf at DIGITS digits,
    exactly where it is a rational of at most DIGITS digits."""
    with mpmath.workdps(DIGITS):
        f = v if isinstance(v, Fraction) else Fraction(str(v))
        return mpmath.mpf(f.numerator) / f.denominator


def raw(v) -> tuple:
    """mpmath's raw form of a number (an mpf, a raw tuple already, or anything to_mpf reads)."""
    return v if isinstance(v, tuple) else v._mpf_ if isinstance(v, mpmath.mpf) else to_mpf(v)._mpf_


@dataclass(frozen=True)
class Redirect:
    """combine's answer "my value is that expression's"."""

    target: object


def _mul(args):
    v = args[0]
    for a in args[1:]:
        v = libmp.mpf_mul(v, a, PREC, RND)
    return v


def _pow(e, args):
    base, power = args
    if e.args[1].is_Integer:
        return libmp.mpf_pow_int(base, int(e.args[1]), PREC, RND)
    with mpmath.workdps(DIGITS):
        v = mpmath.power(mpmath.mp.make_mpf(base), mpmath.mp.make_mpf(power))
    if not isinstance(v, mpmath.mpf):
        raise ValueError(f"{e} is not real here")   # (-1)^(1/2)
    return v._mpf_


RULES: dict[str, Callable] = {   # node type name -> (node, children's raw values) -> raw value
    "Add": lambda e, v: libmp.mpf_sum(v, PREC, RND),
    "Mul": lambda e, v: _mul(v),
    "Pow": _pow,
    "exp": lambda e, v: libmp.mpf_exp(v[0], PREC, RND),
    "log": lambda e, v: libmp.mpf_log(v[0], PREC, RND),
    "tanh": lambda e, v: libmp.mpf_tanh(v[0], PREC, RND),
}
_LEAVES = {"Exp1": lambda: libmp.mpf_e(PREC, RND)}


class Evaluator:
    """Values at DIGITS digits: `ev(e)` gives an mpmath.mpf, `raw_value(e)` mpmath's raw tuple."""

    def __init__(self, values: dict):
        self.memo: dict = {k: raw(v) for k, v in values.items()}   # the point's values, then every node

    def add_values(self, pairs) -> None:
        """More symbols' values."""
        self.memo.update((k, raw(v)) for k, v in pairs)

    def __call__(self, e) -> mpmath.mpf:
        return mpmath.mp.make_mpf(self.raw_value(e))

    # -- the hook
    def children(self, e) -> tuple:
        name = type(e).__name__
        if name in RULES:
            return e.args
        if name in _LEAVES or e.is_Number:
            return ()
        raise TypeError(f"exact evaluator: no rule for {name} in {_short(e)}")

    def combine(self, e, values: list):
        name = type(e).__name__
        if name in RULES:
            return RULES[name](e, values)
        if name in _LEAVES:
            return _LEAVES[name]()
        return raw(e)   # a number

    # -- the walk
    def raw_value(self, root):
        """The raw value of `root`, walking depth first with an explicit stack. `expanding` holds the
        nodes whose children are being evaluated: the chain of ancestors of the stack's top, so a
        node that needs one of them depends on itself."""
        memo = self.memo
        stack, expanding = [[root, None]], set()
        while stack:
            top = stack[-1]
            e, kids = top
            if e in memo:
                stack.pop()
                continue
            if kids is None:
                kids = top[1] = tuple(self.children(e))
                expanding.add(e)
                pending = [c for c in kids if c not in memo]
                for c in pending:
                    if c in expanding:
                        raise ValueError(f"exact evaluator: {_short(c)} depends on itself")
                    stack.append([c, None])
                if len(stack) > MAX_NODES_ON_STACK:
                    raise ValueError(f"exact evaluator: an expression nested deeper than "
                                     f"{MAX_NODES_ON_STACK:,} nodes")
                if pending:
                    continue
            v = self.combine(e, [memo[c] for c in kids])
            if isinstance(v, Redirect):
                if v.target not in memo:
                    if v.target in expanding:
                        raise ValueError(f"exact evaluator: {_short(v.target)} depends on itself")
                    stack.append([v.target, None])
                    continue
                v = memo[v.target]
            memo[e] = v
            expanding.discard(e)
            stack.pop()
        return memo[root]


def _short(e) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."
