"""Exact evaluation: expression trees (SymEngine or SymPy) evaluated at DIGITS = 50 significant digits
(or as many as asked) with mpmath's own arithmetic (libmp) on raw numbers: mpmath's precision and
rounding, without an object per operation. Used by the symbolic oracle (reference/symbolic.py) and
the derivation checker (checker/evaluate.py).

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


def to_mpf(v, digits: int = DIGITS) -> mpmath.mpf:
    """A number (a Fraction, an int, a SymPy or SymEngine rational, a float) as an mpf of `digits`
    significant digits, exactly where it is a binary fraction that fits."""
    return mpmath.mp.make_mpf(raw(v, libmp.dps_to_prec(digits)))


def raw(v, prec: int = PREC) -> tuple:
    """mpmath's raw form of a number (an mpf, a raw tuple already, or a rational: a Fraction, an int,
    a SymPy or SymEngine rational), a rational rounded to `prec` bits."""
    if isinstance(v, tuple):
        return v
    if isinstance(v, mpmath.mpf):
        return v._mpf_
    f = v if isinstance(v, Fraction) else Fraction(str(v))
    return libmp.from_rational(f.numerator, f.denominator, prec, RND)


@dataclass(frozen=True)
class Redirect:
    """combine's answer "my value is that expression's"."""

    target: object


def _mul(args, prec):
    v = args[0]
    for a in args[1:]:
        v = libmp.mpf_mul(v, a, prec, RND)
    return v


def _pow(e, args, prec):
    base, power = args
    if e.args[1].is_Integer:
        return libmp.mpf_pow_int(base, int(e.args[1]), prec, RND)
    with mpmath.workprec(prec):
        v = mpmath.power(mpmath.mp.make_mpf(base), mpmath.mp.make_mpf(power))
    if not isinstance(v, mpmath.mpf):
        raise ValueError(f"{e} is not real here")   # (-1)^(1/2)
    return v._mpf_


RULES: dict[str, Callable] = {   # node type name -> (node, children's raw values, bits) -> raw value
    "Add": lambda e, v, prec: libmp.mpf_sum(v, prec, RND),
    "Mul": lambda e, v, prec: _mul(v, prec),
    "Pow": _pow,
    "exp": lambda e, v, prec: libmp.mpf_exp(v[0], prec, RND),
    "log": lambda e, v, prec: libmp.mpf_log(v[0], prec, RND),
    "tanh": lambda e, v, prec: libmp.mpf_tanh(v[0], prec, RND),
}
_LEAVES = {"Exp1": lambda prec: libmp.mpf_e(prec, RND)}


class Evaluator:
    """Values at `digits` significant digits (DIGITS unless said): calling it gives an mpmath.mpf,
    `raw_value(e)` mpmath's raw tuple."""

    def __init__(self, values: dict, digits: int = DIGITS):
        self.digits, self.prec = digits, libmp.dps_to_prec(digits)
        self.memo: dict = {k: raw(v, self.prec) for k, v in values.items()}   # the point's values, then every node

    def add_values(self, pairs) -> None:
        """More symbols' values."""
        self.memo.update((k, raw(v, self.prec)) for k, v in pairs)

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
            return RULES[name](e, values, self.prec)
        if name in _LEAVES:
            return _LEAVES[name](self.prec)
        return raw(e, self.prec)   # a number

    # -- the walk
    def raw_value(self, root):
        """The raw value of `root`, walking depth first with an explicit stack. `expanding` holds the
        nodes whose children are being evaluated: the chain of ancestors of the stack's top, so a
        node that needs one of them depends on itself. A node of a type in RULES is combined here
        directly (the symbolic oracle's expressions are nothing else); any other goes through the
        hook."""
        memo = self.memo
        value = memo.get(root)
        if value is not None:
            return value
        rules, children, combine, prec = _RULES_BY_TYPE, self.children, self.combine, self.prec
        stack, expanding = [[root, None, None]], set()
        get = memo.get
        while stack:
            top = stack[-1]
            e, kids, rule = top
            if e in memo:
                stack.pop()
                continue
            if kids is None:   # first visit: the children known already, and those to evaluate first
                rule = rules.get(type(e))
                kids = e.args if rule is not None else tuple(children(e))
                top[1], top[2] = kids, rule
                values = [get(c) for c in kids]
                if None in values:
                    expanding.add(e)
                    for c, v in zip(kids, values):
                        if v is None:
                            if c in expanding:
                                raise ValueError(f"exact evaluator: {_short(c)} depends on itself")
                            stack.append([c, None, None])
                    if len(stack) > MAX_NODES_ON_STACK:
                        raise ValueError(f"exact evaluator: an expression nested deeper than "
                                         f"{MAX_NODES_ON_STACK:,} nodes")
                    continue
            else:
                values = [memo[c] for c in kids]
            v = rule(e, values, prec) if rule is not None else combine(e, values)
            if type(v) is Redirect:
                target = v.target
                if target not in memo:
                    if target in expanding or target is e:
                        raise ValueError(f"exact evaluator: {_short(target)} depends on itself")
                    expanding.add(e)
                    stack.append([target, None, None])
                    continue
                v = memo[target]
            memo[e] = v
            expanding.discard(e)
            stack.pop()
        return memo[root]


class _ByType(dict):
    """RULES keyed by node type (SymPy's or SymEngine's class), filled on first sight of a type."""

    def get(self, kind, default=None):
        if kind not in self:
            self[kind] = RULES.get(kind.__name__)
        return dict.get(self, kind)


_RULES_BY_TYPE = _ByType()


def _short(e) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."
