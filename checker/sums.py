"""The normal form in which a proof for every width compares two sides (checker/general.py).

An expression becomes a list of terms c · Σ_{i_1..i_k} (product): every sum pulled out to the
front, every product of sums multiplied out, each summation index fresh. A Kronecker delta against
a summation index is summed out where the other index ranges over the same width. Then the indices
of each term are renamed in the order that reads first, so that two terms that differ only in their
indices' names and order are the same; terms over the same ranges are added, and what is left must
be 0. A test that may miss an identity, never invent one: every step is an equality.
"""
from __future__ import annotations

import itertools

import sympy as sp

from .errors import Unsupported
from .layers import always

GENERAL_STEPS = 200_000        # deterministic work bound of one claim's proof (all configurations)
MAX_POWER = 4                  # (Σ ...)^k is multiplied out only for k up to this
VANISH_OPS = 400               # a summand left over is simplified only up to this many operations


def spend(budget: list, k: int = 1) -> None:
    """Count k steps against [steps left]: a bound on work that no machine or load moves."""
    budget[0] -= k
    if budget[0] < 0:
        raise Unsupported(f"the proof for every width is over its budget of {GENERAL_STEPS:,} steps")


_COUNT = itertools.count()


def fresh():
    """A new summation index (symbols carry no assumptions: SymPy spends most of its time
    deducing them, and no rule here uses them)."""
    return sp.Symbol(f"_i{next(_COUNT)}")


def same(a, b) -> bool:
    return sp.expand(a - b) == 0


def split_size(size) -> tuple:
    """(n, c) for a size n + c with c a positive integer (n_{l-1} + 1: the bias column), else (size, 0)."""
    c = sp.expand(size).as_coeff_Add()[0]
    if c.is_Integer and c > 0 and not sp.expand(size - c).is_Number:
        return sp.expand(size - c), int(c)
    return size, 0


def terms(e, budget: list) -> list:
    """e as a list of (coefficient, ((index, size), ...), factor): e = Σ coefficient · Σ_indices
    factor, every sum pulled out, every product of sums multiplied out, each sum's index fresh."""
    spend(budget)
    if e.is_Add:
        return [t for a in e.args for t in terms(a, budget)]
    if e.is_Mul:
        out = [(sp.Integer(1), (), sp.Integer(1))]
        for a in e.args:
            out = [(c1 * c2, b1 + b2, f1 * f2) for c1, b1, f1 in out for c2, b2, f2 in terms(a, budget)]
            spend(budget, len(out))
        return out
    if isinstance(e, sp.Sum):
        body, bound = e.args[0], []
        for i, _, hi in e.args[1:]:   # innermost first
            j = sp.Integer(1) if hi == 1 else fresh()
            body = body.xreplace({i: j})
            if hi != 1:
                bound.insert(0, (j, hi))
        return [(c, tuple(bound) + b, f) for c, b, f in terms(body, budget)]
    if e.is_Pow and e.exp.is_Integer and 1 < e.exp <= MAX_POWER and (e.base.is_Add or e.base.has(sp.Sum)):
        return terms(sp.Mul(*([e.base] * int(e.exp)), evaluate=False), budget)
    if e.is_Number:
        return [(e, (), sp.Integer(1))]
    return [(sp.Integer(1), (), _alpha(e))]


def _alpha(e):
    """Sums inside e (inside a function, a root) with their indices named by their depth, so two
    copies of one sum read the same."""
    def walk(x, depth):
        if isinstance(x, sp.Sum):
            body, limits = x.args[0], []
            for i, lo, hi in x.args[1:]:
                j = sp.Symbol(f"_a{depth}")
                body, depth = body.xreplace({i: j}), depth + 1
                limits.append((j, lo, hi))
            return sp.Sum(walk(body, depth), *limits)
        if not x.args or not x.has(sp.Sum):
            return x
        return x.func(*(walk(a, depth) for a in x.args))
    return walk(e, 0)


def resolve_deltas(term, ranges: dict):
    """A term with each δ(i, j) against a summation index i summed out, where j (a free index, or
    another summation index) ranges over the same width as i; a term with a δ(i, j) whose i and j
    can never be equal (k ≤ n against n + 1) is 0."""
    c, bound, factor = term
    sizes = dict(bound)
    every = {**ranges, **sizes}
    for delta in (f for f in sp.Mul.make_args(factor) if isinstance(f, sp.KroneckerDelta)):
        if always(delta.args[0], "!=", delta.args[1], every):
            return c, bound, sp.Integer(0)
    changed = True
    while changed:
        changed = False
        for delta in (f for f in sp.Mul.make_args(factor) if isinstance(f, sp.KroneckerDelta)):
            a, b = delta.args
            for i, j in ((a, b), (b, a)):
                if i in sizes and (sizes.get(j) is not None or j in ranges) \
                        and same(sizes[i], sizes.get(j, ranges.get(j))):
                    factor = factor.xreplace({delta: sp.Integer(1)}).xreplace({i: j})
                    del sizes[i]
                    changed = True
                    break
            if changed:
                break
    return c, tuple((i, n) for i, n in bound if i in sizes), factor


def fold(term) -> tuple:
    """A term Σ_k F(k) · (the rest, free of k) whose rest holds the same sum Σ_k F(k) as a factor
    (a power of it: softmax's Σ_k e^{z_k} in a denominator) is that sum times the rest, so the
    two can cancel: Σ_k e^{z_k} e^{z_j} / S² = e^{z_j} / S."""
    c, bound, factor = term
    for k, size in bound:
        args = sp.Mul.make_args(factor)
        inner = sp.Mul(*(f for f in args if f.has(k)))
        whole = _alpha(sp.Sum(inner, (k, 1, size)))
        if any(f == whole or (f.is_Pow and f.base == whole) for f in args if not f.has(k)):
            rest = sp.Mul(*(f for f in args if not f.has(k)))
            return fold((c, tuple(b for b in bound if b[0] != k), rest * whole))
    return term


def canonical(term) -> tuple:
    """(coefficient, sizes, summand): the summation indices renamed _k0, _k1, ... in the order that
    reads first, so two terms that differ only in their indices' names and order are the same."""
    c, bound, factor = term
    coeff, rest = factor.as_coeff_Mul()
    best = None
    for order in itertools.permutations(bound):
        names = {i: sp.Symbol(f"_k{n}") for n, (i, _) in enumerate(order)}
        renamed = rest.xreplace(names)
        key = (tuple(sp.sstr(s) for _, s in order), sp.sstr(renamed))
        if best is None or key < best[0]:
            best = key, renamed
        if len(bound) > 5:
            break
    return c * coeff, best[0][0], best[1]


def is_zero(e, ranges: dict, budget: list, thorough: bool = False) -> bool:
    """e is identically 0 (what is left of it: `left_over`)."""
    return left_over(e, ranges, budget, thorough) == ""


def left_over(e, ranges: dict, budget: list, thorough: bool = False, reduce=None) -> str:
    """"" when e is identically 0: its terms, summed over the same index ranges, have summands
    that cancel (as written; `thorough`: or by sympy's rational simplification of what is left).
    Sound: every group's summand is 0 for every value of its indices, so its sum is 0. Otherwise
    what does not cancel, as text: Σ_{k0≤n} (summand) for each range that keeps a term. `reduce`,
    where given, rewrites each term first (a simplex's Σ_k y_k = 1)."""
    groups: dict = {}
    e = _alpha(e)   # two copies of one sum become one object, so S / S cancels as it is built
    small = not e.has(sp.Sum) and sp.count_ops(e) <= VANISH_OPS * 5   # sympy.expand is not on our budget
    for t in terms(sp.expand(e) if small else e, budget):
        t = resolve_deltas(t, ranges)
        t = reduce(t) if reduce else t
        t = fold(t)
        if t[2] == 0 or t[0] == 0:
            continue
        c, sizes, summand = canonical(t)
        group = groups.setdefault(sizes, {})
        group[summand] = group.get(summand, 0) + c
    shown = []
    for sizes, group in groups.items():
        left = sp.Add(*(c * f for f, c in group.items() if c != 0))
        if left != 0 and not (thorough and _vanishes(left)):
            sums = "".join(f"Σ_{{k{n}≤{s}}} " for n, s in enumerate(sizes))
            shown.append(sums + (f"({sp.sstr(left)})" if sums else sp.sstr(left)))
    return " + ".join(shown).replace("_k", "k")


def _vanishes(e) -> bool:
    """e is 0 over a common denominator, or by sympy.simplify where e holds no sum (its
    sum_simplify is where SymPy's Sum bugs are: it raises on some)."""
    if sp.count_ops(e) > VANISH_OPS:
        return False
    return sp.expand(sp.numer(sp.together(e))) == 0 or (not e.has(sp.Sum) and sp.simplify(e) == 0)
