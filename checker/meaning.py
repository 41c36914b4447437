"""Meaning: the syntax tree of an equation, resolved under the document's model, becomes the
intermediate form (IR) that evaluation walks. Each IR kind has named fields (`IR_FIELDS`): an atom
is `family`, `layer`, `subs`; a sum is `var`, `lo`, `hi`, `body`; and so on.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .document import BUILTIN_FUNCTIONS, Family, Model
from .errors import Located
from .grammar import Node

IR_FIELDS = {
    "num": ("value",), "index": ("name",), "param": ("name",), "L": (), "m": (),
    "width": ("layer",), "ones": ("size",), "exp": ("arg",), "neg": ("arg",), "transpose": ("arg",),
    "atom": ("family", "layer", "subs"), "label": ("family", "label"),
    "add": ("left", "right"), "sub": ("left", "right"), "mul": ("left", "right"),
    "hadamard": ("left", "right"), "div": ("left", "right"), "pow": ("left", "right"),
    "call": ("name", "primes", "arg"), "sum": ("var", "lo", "hi", "body"), "deriv": ("of", "wrt"),
    "condition": ("sides", "ops"),
    "abs": ("arg",), "norm": ("arg",), "max": ("left", "right"), "min": ("left", "right"),
    "cases": ("branches",), "rcond": ("left", "right", "op"),
}


class IR(Node):
    """A resolved node: `kind`, `args` and `pos` as in the syntax tree, and its fields by name."""

    def __getattr__(self, name):
        at = _FIELD_AT.get((self.kind, name))
        if at is not None:
            return self.args[at]
        raise AttributeError(f"IR node {self.kind!r} has no field {name!r} "
                             f"(fields: {IR_FIELDS.get(self.kind, ())})")


_FIELD_AT = {(kind, name): i for kind, names in IR_FIELDS.items() for i, name in enumerate(names)}


def ir(kind, *args, pos=(1, 1)) -> IR:
    if len(args) != len(IR_FIELDS[kind]):
        raise TypeError(f"IR {kind}: expected {IR_FIELDS[kind]}, got {len(args)} arguments")
    return IR(kind, tuple(args), pos)


MAX_NUMBER_DIGITS = 30


class Resolver:
    """Gives a parsed equation its meaning under the model: each syntax node becomes an IR node of one
    of the kinds of IR_FIELDS (an atom with fewer subscripts than its slots is a sub-array)."""

    def __init__(self, model: Model, params: frozenset = frozenset()):
        self.model, self.params = model, params

    def __call__(self, n: Node) -> Node:
        method = getattr(self, "_" + n.kind)
        return method(n)

    # leaves
    def _number(self, n):
        digits = sum(ch.isdigit() for ch in n.args[0])
        if digits > MAX_NUMBER_DIGITS:
            raise Located(f"a number of {digits} digits: at most {MAX_NUMBER_DIGITS} (exact arithmetic is bounded)",
                          n.pos)
        return ir("num", Fraction(n.args[0]), pos=n.pos)

    def _ones(self, n):
        raise Located("write \\mathbf{1}_m (a column of m ones) with its size as a subscript", n.pos)

    def _name(self, n):
        name = n.args[0]
        if name in self.params:
            return ir("param", name, pos=n.pos)
        if name == "e":
            return ir("exp", ir("num", Fraction(1)), pos=n.pos)
        if name in ("L", "m"):
            return ir(name, pos=n.pos)
        if name in self.model.indices:
            return ir("index", name, pos=n.pos)
        fam = self.model.families.get(name)
        if fam is None:
            hint = (f" (a run of letters is one name: write `{' '.join(name)}` for a product)"
                    if len(name) > 1 and name.isalpha() else "")
            if name in self.model.functions or name in BUILTIN_FUNCTIONS:
                raise Located(f"{name} is a function: call it as {name}(...)", n.pos)
            raise Located(f"unknown symbol {name!r}: declare it in the front matter{hint}", n.pos)
        if fam.layers:
            raise Located(f"{name} needs its layer as a superscript, like {name}^l", n.pos)
        if fam.labels:
            raise Located(f"{name} needs one of its labels as a subscript: {', '.join(fam.labels)}", n.pos)
        return ir("atom", name, None, (), pos=n.pos)

    # composites
    def _paren(self, n):
        return self(n.args[0])

    def _sqrt(self, n):
        return ir("pow", self(n.args[0]), ir("num", Fraction(1, 2), pos=n.pos), pos=n.pos)

    def _abs(self, n):
        return ir("abs", self(n.args[0]), pos=n.pos)

    def _norm(self, n):
        return ir("norm", self(n.args[0]), pos=n.pos)

    def _max(self, n):  # and \min: the syntax tree's kind is the IR's
        return ir(n.kind, self(n.args[0]), self(n.args[1]), pos=n.pos)

    _min = _max

    def _cases(self, n):
        branches = []   # flat: value, condition, value, condition, ..., value, None (otherwise)
        for value, cond in (b.args for b in n.args[0]):
            branches += [self(value), None if cond is None else
                         ir("rcond", self(cond.args[0]), self(cond.args[1]), cond.args[2], pos=cond.pos)]
        return ir("cases", tuple(branches), pos=n.pos)

    def _frac(self, n):
        return ir("div", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _derivative(self, n):
        of, wrt = self(n.args[0]), self(n.args[1])
        if wrt.kind not in ("atom", "label", "param"):
            raise Located("differentiate with respect to a symbol (∂/∂w^l_{jk}, ∂/∂z^l, ∂/∂t)", n.args[1].pos)
        return ir("deriv", of, wrt, pos=n.pos)

    def _call(self, n):
        fname, primes, arg = n.args
        if fname in self.model.functions or fname in BUILTIN_FUNCTIONS:
            if primes and fname in BUILTIN_FUNCTIONS:
                raise Located(f"write the derivative of {fname} out; primes go on declared functions", n.pos)
            return ir("call", fname, primes, self(arg), pos=n.pos)
        if primes:
            raise Located(f"{fname}' : only declared functions take a prime", n.pos)
        base = self(Node("name", (fname,), n.pos, fname))  # a symbol times a parenthesis
        return ir("mul", base, self(arg), pos=n.pos)

    def _plus(self, n):
        return ir("add", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _minus(self, n):
        return ir("sub", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _neg(self, n):
        return ir("neg", self(n.args[0]), pos=n.pos)

    def _times(self, n):
        return ir("mul", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _hadamard(self, n):
        return ir("hadamard", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _divide(self, n):
        return ir("div", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _sum(self, n):
        var, lo, hi, body = n.args
        name = var.args[0]
        if name not in self.model.indices:
            raise Located(f"sum index {name!r} is not one of the declared index letters "
                           f"{', '.join(self.model.indices)}", var.pos)
        return ir("sum", name, self(lo) if lo else None, self(hi) if hi else None, self(body), pos=n.pos)

    def _condition(self, n):
        sides = tuple(self(a) for a in n.args if isinstance(a, Node))
        ops = tuple(a for a in n.args if isinstance(a, str))
        return ir("condition", sides, ops, pos=n.pos)

    def _scripted(self, n):
        base, scripts = n.args
        subs = [s for s in scripts if s.kind == "sub"]
        sups = [s for s in scripts if s.kind == "sup"]
        if len(subs) > 1 or len(sups) > 1:
            raise Located("a double subscript or superscript", n.pos)
        sub, sup = (subs[0] if subs else None), (sups[0] if sups else None)
        name = base.args[0] if base.kind == "name" else None
        if base.kind == "ones":
            if not sub or sup or len(sub.args) != 1:
                raise Located("write \\mathbf{1}_m: a column of ones with its length as the subscript", n.pos)
            return ir("ones", self(sub.args[0]), pos=n.pos)
        if name == "n" and base.kind == "name":
            if not sub or sup or len(sub.args) != 1:
                raise Located("n_l is the width of layer l: write n_{l-1}, n_L", n.pos)
            return ir("width", self(sub.args[0]), pos=n.pos)
        if name == "e" and base.kind == "name":
            if sub or not sup:
                raise Located("e takes only a superscript: e^{x}", n.pos)
            return ir("exp", self._one(sup), pos=n.pos)
        fam = self.model.families.get(name) if name and name not in self.params else None
        if fam is not None:
            if fam.labels is not None:
                label = re.sub(r"^_\{?|\}$|\s", "", sub.text) if sub else None
                if label not in fam.labels:
                    raise Located(f"{name} takes one of the labels {', '.join(fam.labels)} as its subscript",
                                   n.pos)
                node = ir("label", name, label, pos=n.pos)
                return self._power(node, sup) if sup else node
            layer = None
            if fam.layers:
                if sup is None:
                    raise Located(f"{name} needs its layer as a superscript, like {name}^l", n.pos)
                layer, sup = self._one(sup), None
            index_nodes = self._indices(sub, fam) if sub else ()
            node = ir("atom", name, layer, index_nodes, pos=n.pos)
            return self._power(node, sup) if sup else node
        if sub is not None:
            raise Located(f"{base.text or name} takes no subscript (is it declared in the front matter?)"
                           if name else "a subscript on an expression", sub.pos)
        return self._power(self(base), sup)

    def _one(self, script):
        if len(script.args) != 1:
            raise Located("one expression expected in this script", script.pos)
        return self(script.args[0])

    def _power(self, node, sup):
        inner = sup.args[0] if len(sup.args) == 1 else None
        if inner is not None and inner.kind == "name" and inner.args[0] in ("T", "top"):
            return ir("transpose", node, pos=sup.pos)
        return ir("pow", node, self._one(sup), pos=sup.pos)

    def _indices(self, sub, fam: Family) -> tuple:
        items = list(sub.args)
        raw = re.sub(r"^_\{?|\}$", "", sub.text)
        if len(items) == 1 and len(raw) > 1 and all(ch in self.model.indices or ch.isdigit() for ch in raw):
            # _{jk}, _{k1}: one index per character, as in w_{jk}
            line, col = items[0].pos
            items = [Node("number" if ch.isdigit() else "name", (ch,), (line, col + i), ch)
                     for i, ch in enumerate(raw)]
        if len(items) > len(fam.slots):
            raise Located(f"{fam.name} takes {len(fam.slots)} subscript(s), got {len(items)}", sub.pos)
        return tuple(self(i) for i in items)


def free_indices(n: Node, bound: frozenset = frozenset()) -> set:
    if n.kind == "index":
        return set() if n.args[0] in bound else {n.args[0]}
    if n.kind == "sum":
        var, lo, hi, body = n.var, n.lo, n.hi, n.body
        out = free_indices(body, bound | {var})
        for lim in (lo, hi):
            if lim is not None:
                out |= free_indices(lim, bound)
        return out
    out = set()
    for a in n.args:
        for b in (a if isinstance(a, tuple) else (a,)):
            if isinstance(b, Node):
                out |= free_indices(b, bound)
    return out


def free_refs(n: Node, bound: frozenset = frozenset()):
    """Atoms whose indices use no summation index (what fixes the free indices' ranges): a_j inside
    \\sum_k counts, w_{jk} there does not."""
    if n.kind == "sum":
        yield from free_refs(n.body, bound | {n.var})
        return
    if n.kind == "atom":
        if not free_indices(n) & bound:
            yield n
        return
    for a in n.args:
        for b in (a if isinstance(a, tuple) else (a,)):
            if isinstance(b, Node):
                yield from free_refs(b, bound)


def range_sources(body: Node, var: str):
    """Where the range of a sum's index can be read, in reading order: (atom, None) where var is
    the atom's layer, (atom, s) where it is the atom's subscript s (World and the proof for every
    width each turn one into a range)."""
    for node in in_order(body, var):
        if node.kind != "atom":
            continue
        if node.layer is not None and node.layer.kind == "index" and node.layer.name == var:
            yield node, None
            continue
        for s, sub in enumerate(node.subs):
            if sub.kind == "index" and sub.name == var:
                yield node, s


def in_order(n: Node, var: str):
    """The IR below n in reading order, not entering sums that rebind var."""
    yield n
    if n.kind == "sum" and n.args[0] == var:
        return
    for a in n.args:
        if isinstance(a, Node):
            yield from in_order(a, var)
        elif isinstance(a, tuple):
            for b in a:
                if isinstance(b, Node):
                    yield from in_order(b, var)
