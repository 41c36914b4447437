"""Layers and depths for a proof for every width (checker/general.py): the configurations that
together cover every layer l and depth L a claim allows, and the decision of a comparison between
two layers in one of them.

A configuration writes l = l_0 or l_0 + 1 + p, and L = l + g for each small gap g or the next one
plus q, with p, q ≥ 0 symbols. Layers are then linear in p and q, so whether two are equal, or one
is below the other, is decided by their difference's coefficients, or said to depend on p and q.
"""
from __future__ import annotations

import functools

import sympy as sp

from .document import layer_bound
from .errors import Unsupported

P = sp.Symbol("_p")   # l = l_0 + p (p ≥ 0); no document name starts with _
Q = sp.Symbol("_q")   # L = l + g_0 + q (q ≥ 0)


def _expr(x):
    return sp.Integer(x) if isinstance(x, int) else x


@functools.lru_cache(maxsize=4096)
def decide(e, op: str) -> bool | None:
    """Whether `e op 0` holds, for e linear in p, q ≥ 0 (a layer difference): True or False when
    that is the same for every p, q; None when it depends on them (or e is not such an expression)."""
    e = sp.expand(_expr(e))
    if e.free_symbols - {P, Q} or not e.is_polynomial(P, Q) or sp.Poly(e, P, Q).total_degree() > 1:
        return None
    cp, cq, c0 = e.coeff(P), e.coeff(Q), e.subs({P: 0, Q: 0})
    up, down = cp >= 0 and cq >= 0, cp <= 0 and cq <= 0     # e only grows / only shrinks from c0
    at_least = True if up and c0 >= 0 else False if down and c0 < 0 else None
    above = True if up and c0 > 0 else False if down and c0 <= 0 else None
    if op == ">=":
        return at_least
    if op == ">":
        return above
    if op == "<":
        return None if at_least is None else not at_least
    if op == "<=":
        return None if above is None else not above
    zero = cp == cq == c0 == 0
    equal = True if zero else False if above or at_least is False else None
    return equal if op == "==" else None if equal is None else not equal


def always(a, op: str, b, ranges: dict) -> bool | None:
    """Whether `a op b` holds for every p, q ≥ 0 and every value of the indices in `ranges` (each
    from 1 to its size): True, False, or None when that depends on them. An index (with a number
    as its coefficient) is replaced by its least and greatest values: k ≤ n_l holds for k up to
    n_l, and k = n_l + 1 never does."""
    e = sp.expand(_expr(a) - _expr(b))
    low = high = e
    for s in e.free_symbols & set(ranges):
        c = e.coeff(s)
        if not c.is_Number:
            return None
        least, most = (sp.Integer(1), ranges[s]) if c > 0 else (ranges[s], sp.Integer(1))
        low, high = sp.expand(low.xreplace({s: least})), sp.expand(high.xreplace({s: most}))
    if op in ("<", "<="):
        holds = always(a, {"<": ">=", "<=": ">"}[op], b, ranges)
        return None if holds is None else not holds
    if op == ">=":
        return True if decide(low, ">=") else False if decide(high, "<") else None
    if op == ">":
        return True if decide(low, ">") else False if decide(high, "<=") else None
    equal = True if decide(low, "==") and decide(high, "==") else \
        False if decide(low, ">") or decide(high, "<") else None
    return equal if op == "==" else None if equal is None else not equal


def offset(node, var) -> int | None:
    """c where the layer node is var + c."""
    if node is None:
        return None
    if node.kind == "index" and node.name == var:
        return 0
    if node.kind in ("add", "sub") and node.left.kind == "index" and node.left.name == var \
            and node.right.kind == "num":
        c = int(node.right.value)
        return c if node.kind == "add" else -c
    return None


def relative(node) -> tuple | None:
    """(base, c) where the layer node is base + c: base an index's name, "L", or None for a number
    (h^3: (None, 3); a^{l-1}: ("l", -1); z^L: ("L", 0)); None for anything else."""
    if node is None:
        return None
    if node.kind == "num":
        return None, int(node.value)
    if node.kind == "index":
        return node.name, 0
    if node.kind == "L":
        return "L", 0
    if node.kind in ("add", "sub") and node.right.kind == "num" and node.left.kind in ("index", "L"):
        base, _ = relative(node.left)
        c = int(node.right.value)
        return base, c if node.kind == "add" else -c
    return None


def layer_offset(own, read) -> int | None:
    """How far the layer `read` is from a definition's own layer `own` (−1: the layer below), when
    that is the same at every layer and depth (both l + c, both L − c, or both numbers); else None."""
    a, b = relative(own), relative(read)
    if a is None or b is None or a[0] != b[0]:
        return None
    return b[1] - a[1]


def configurations(model, layered: list, var, conds) -> list:
    """[(l, L, phi)] that together cover every layer l and depth L the claim allows, each with its
    layers decidable: l = l_0 or l_0 + 1 + p; L − l = each small gap, or the next one + q. phi is
    the claim's top layer T where the rest of the network (above T + 1) is left arbitrary."""
    Ls = sp.Symbol("L")
    lsym = sp.Symbol("l")
    l_offsets, L_offsets, constants = [], [], []
    lo, gap, least_L = None, 0, 1   # lo: the least l every atom allows (0 where a^l, w^{l+1} allow it)
    for n in layered:
        fam = model.families[n.family]
        off = offset(n.layer, var) if var else None
        loF, hiF = (_expr(layer_bound(v, Ls)) for v in fam.layers)
        if off is not None:
            l_offsets.append(off)
            if not loF.is_Integer:
                raise Unsupported(f"{fam.name}'s layers start at {loF}")
            lo = int(loF) - off if lo is None else max(lo, int(loF) - off)
            gap = max(gap, int(sp.expand(Ls - hiF)) + off)
        elif n.layer.kind == "L" or (n.layer.kind in ("add", "sub") and n.layer.left.kind == "L"
                                     and n.layer.right.kind == "num"):
            c = 0 if n.layer.kind == "L" else int(n.layer.right.value) * (1 if n.layer.kind == "add" else -1)
            L_offsets.append(c)
            if loF.is_Integer:
                least_L = max(least_L, int(loF) - c)
        elif n.layer.kind == "num":
            constants.append(int(n.layer.value))
            least_L = max(least_L, int(n.layer.value))
        else:
            raise Unsupported("a layer that is not l + c, L − c or a number")
    if var is None and not constants and not L_offsets:   # no layer at all: the output layer's vectors
        return [(None, 1 + Q, None)]
    if var is None:
        if L_offsets:
            low = max([least_L] + [k - c + 1 for k in constants for c in L_offsets])
            return [(None, sp.Integer(L), None) for L in range(least_L, low)] + [(None, low + Q, None)]
        top = max(constants)
        return [(None, sp.Integer(top), None), (None, top + 1 + Q, sp.Integer(top))]
    for c in conds:
        for a, op, b in zip(c.sides, c.ops, c.sides[1:]):
            e = _linear(b, var, lsym, Ls) - _linear(a, var, lsym, Ls)   # b − a
            e = {"<": e - 1, "<=": e, ">": -e - 1, ">=": -e}.get(op)
            if e is None:
                raise Unsupported("a layer condition with = or ≠")
            al, aL, c0 = e.coeff(lsym), e.coeff(Ls), e.subs({lsym: 0, Ls: 0})
            if (al, aL) == (-1, 1):
                gap = max(gap, int(-c0))
            elif (al, aL) == (1, 0):
                lo = max(lo, int(-c0))
            else:
                raise Unsupported("a layer condition other than l ≥ k or l ≤ L − k")
    c_max = max(l_offsets)
    big = max([gap, c_max + 1] + [a - b + 1 for a in l_offsets for b in L_offsets])
    configs = []
    for l_value in (sp.Integer(lo), lo + 1 + P):
        for g in list(range(gap, big)) + [big + Q]:
            beyond = not isinstance(g, int) or g > c_max   # the claim's top layer is below L
            phi = sp.expand(l_value + c_max) if beyond and not L_offsets else None
            if decide(l_value + g - 1, ">=") is not False:   # no network has depth 0
                configs.append((l_value, sp.expand(l_value + g), phi))
    return configs


def _linear(node, var, lsym, Ls):
    k = node.kind
    if k == "num":
        return sp.Integer(int(node.value))
    if k == "index" and node.name == var:
        return lsym
    if k == "L":
        return Ls
    if k in ("add", "sub"):
        a, b = _linear(node.left, var, lsym, Ls), _linear(node.right, var, lsym, Ls)
        return a + b if k == "add" else a - b
    if k == "neg":
        return -_linear(node.arg, var, lsym, Ls)
    raise Unsupported("a layer condition other than l ≥ k or l ≤ L − k")
