"""Proofs for every width and depth: a claim translated with symbolic sizes, and shown to hold for all.

The widths n_l and the batch m are SymPy integer symbols, a free index is a symbol that ranges over
its slot, and Σ_k is a sum up to a symbolic width. The layer l and the depth L are symbolic too,
in a few configurations that together cover every l and L the claim allows (l = 1, or l ≥ 2; and
L − l each small value, or more): in each one, any two layers the proof meets are either the same
or provably different.

Depth. A claim about layer l whose layers all lie below L (BP2: l and l + 1) is proved with the rest
of the network left arbitrary: C depends on the layers up to T = l + 1 only through the next
layer's weighted inputs z^{T+1}, C = Φ(z^{T+1}), and ∂C/∂z^{T+1}_k is an unknown G_k, a symbol, so
the proof holds for any layers above (that is the chain-rule step the documents state). Where T = L
instead (the claim at the last layer), C's own definition is used.

Derivatives are taken by the chain rule along the definitions (∂C/∂z^l_j with z^l_j's own
definition cut, as in checker/evaluate.py), with a Kronecker delta for two entries of one array;
a delta against a summation index is resolved where the index ranges over the same width. Two
sides are equal when their difference, expanded into terms Σ… c·(product), has every canonical
term (summation indices renamed in their best order) cancel: a test that can fail to see an
identity, never invent one. Anything outside what this module knows raises Unsupported, and the
claim keeps its proof at one size.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .document import SLOT, layer_bound
from .functions import CONCRETE, concrete

GENERAL_STEPS = 200_000        # deterministic work bound of one claim's proof (all configurations)
DEBUG = False
MAX_POWER = 4                  # (Σ ...)^k is multiplied out only for k up to this
P = sp.Symbol("p")   # l = l_0 + p, p ≥ 0 (symbols carry no assumptions: SymPy
#                                  spends most of its time deducing them, and no rule here uses them)
Q = sp.Symbol("q")   # L = l + g_0 + q
M = sp.Symbol("m")


class Unsupported(Exception):
    """This claim (or document) is outside what a proof for every width handles: the reason."""


@dataclass
class Tensor:
    """A matrix of symbolic shape: (rows, cols) and its entry at (r, c)."""
    rows: sp.Expr
    cols: sp.Expr
    entry: Callable

    @property
    def T(self) -> "Tensor":
        return Tensor(self.cols, self.rows, lambda r, c: self.entry(c, r))


def width(layer) -> sp.Symbol:
    return sp.Symbol(f"n_{{{sp.sstr(sp.expand(layer))}}}")


@functools.lru_cache(maxsize=4096)
def decide(e, op: str) -> bool | None:
    """Whether `e op 0` holds, for e linear in p, q ≥ 0 (a layer difference): True or False when
    that is the same for every p, q; None when it depends on them (or e is not such an expression)."""
    e = sp.expand(sp.sympify(e))
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


class General:
    """One claim in one configuration: `layer` gives l (or None) and `L`; `phi` is the layer T
    whose next layer's weighted inputs the rest of the network is a function of (None: C's own
    definition)."""

    def __init__(self, model, definitions: list, functions: dict, l_value, L_value, phi, budget: list):
        self.model, self.functions = model, functions
        self.defs = [d for d in definitions]
        self.l, self.L, self.phi = l_value, L_value, phi
        self.budget = budget              # [steps left], shared by the claim's configurations
        self.layers: dict = {}            # family -> {canonical layer expr}
        self.bases: dict = {}             # IndexedBase/Symbol name -> (family, layer)
        self.ranges: dict = {}            # free index symbol -> its range's size
        self.memo: dict = {}
        self.used_phi = False
        self.defined = {d.family for d in definitions}
        self.frontier = self._frontier()

    def spend(self, k: int = 1) -> None:
        self.budget[0] -= k
        if self.budget[0] < 0:
            raise Unsupported(f"the proof for every width is over its budget of {GENERAL_STEPS:,} steps")

    # ---------------------------------------------------------------- atoms and sizes
    def slot_size(self, fam, slot: int, layer):
        m = SLOT.match(fam.slots[slot])
        which, off, extra = m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)
        if which is None:
            return M + extra
        at = layer if which == "l" else self.L if which == "L" else sp.Integer(int(which))
        return width(at + off) + extra

    def atom(self, fam, layer, idx: tuple):
        """The symbol of one entry: w^{l+1}[k, j] is IndexedBase('w^{l+1}')[k, j]."""
        if fam.labels is not None:
            raise Unsupported("a labelled symbol")
        name = fam.name
        if fam.layers is not None:
            layer = sp.expand(layer)
            self._check_layer(fam, layer)
            name = f"{fam.name}^{{{sp.sstr(layer)}}}"
        self.bases[name] = (fam, layer)
        if not fam.slots:
            return sp.Symbol(name)
        return sp.IndexedBase(name)[tuple(idx)]

    def _check_layer(self, fam, layer) -> None:
        """Every two layers of a family are the same or provably different in this configuration
        (else two names could be one array); and the layer is inside the family's range."""
        seen = self.layers.setdefault(fam.name, set())
        if layer in seen:
            return
        for other in seen:
            if decide(layer - other, "!=") is not True:
                raise Unsupported(f"cannot tell {fam.name}^{{{layer}}} from {fam.name}^{{{other}}}")
        lo, hi = (sp.sympify(layer_bound(v, self.L)) for v in fam.layers)
        if not decide(layer - lo, ">=") or not decide(hi - layer, ">="):
            raise Unsupported(f"{fam.name}^{{{layer}}} may be outside its layers {fam.layers}")
        seen.add(layer)

    def family_of(self, e):
        """(family, layer) of an entry's symbol; (None, None) for anything else (an index, a width,
        the name of an array)."""
        name = e.base.name if isinstance(e, sp.Indexed) else e.name if isinstance(e, sp.Symbol) else None
        fam, layer = self.bases.get(name, (None, None))
        if fam is not None and isinstance(e, sp.Symbol) and getattr(fam, "slots", ()):
            return None, None
        return fam, layer

    # ---------------------------------------------------------------- translation
    def ival(self, n, env):
        k = n.kind
        if k == "num":
            if n.value.denominator != 1:
                raise Unsupported("a fractional index")
            return sp.Integer(int(n.value))
        if k == "index":
            if n.name not in env:
                raise Unsupported(f"index {n.name} has no value")
            return env[n.name]
        if k == "L":
            return self.L
        if k == "m":
            return M
        if k == "width":
            return width(self.ival(n.layer, env))
        if k in ("add", "sub", "mul"):
            a, b = self.ival(n.left, env), self.ival(n.right, env)
            return a + b if k == "add" else a - b if k == "sub" else a * b
        if k == "neg":
            return -self.ival(n.arg, env)
        raise Unsupported(f"an index expression of kind {k}")

    def ev(self, n, env, params=None):
        self.spend()
        k, a = n.kind, n.args
        if k == "num":
            return sp.Rational(a[0].numerator, a[0].denominator)
        if k in ("index", "L", "m", "width"):
            return self.ival(n, env)
        if k == "param":
            return params[a[0]]
        if k == "atom":
            return self.atom_value(n, env)
        if k == "label":
            raise Unsupported("a symbol with a label (out_{h1}) names one unit of one network")
        if k == "ones":
            return Tensor(self.ival(a[0], env), sp.Integer(1), lambda r, c: sp.Integer(1))
        if k == "exp":
            return _each(sp.exp, self.ev(a[0], env, params))
        if k == "neg":
            return _each(lambda v: -v, self.ev(a[0], env, params))
        if k in ("add", "sub", "mul", "hadamard", "div", "pow"):
            return self._binary(k, self.ev(a[0], env, params), self.ev(a[1], env, params))
        if k == "transpose":
            x = self.ev(a[0], env, params)
            if not isinstance(x, Tensor):
                raise Unsupported("^T of a scalar")
            return x.T
        if k == "call":
            return self._call(n, env, params)
        if k == "norm":
            x = self.ev(n.arg, env, params)
            if not isinstance(x, Tensor):
                raise Unsupported("the norm of a scalar")
            r, c = _dummy(), _dummy()
            return sp.sqrt(sp.Sum(sp.Sum(x.entry(r, c) ** 2, (c, 1, x.cols)), (r, 1, x.rows)))
        if k == "sum":
            return self._sum(n, env, params)
        if k == "deriv":
            return self._derivative(n, env, params)
        raise Unsupported(f"{k} (|x|, max, min and cases are proved at one size only)")

    def atom_value(self, n, env):
        fam = self.model.families[n.family]
        layer = self.ival(n.layer, env) if n.layer is not None else None
        idx = tuple(self.ival(s, env) for s in n.subs)
        rest = len(fam.slots) - len(idx)
        if rest == 0:
            return self.atom(fam, layer, idx)
        sizes = [self.slot_size(fam, s, layer) for s in range(len(idx), len(fam.slots))]
        if rest == 1 and idx:
            return Tensor(sp.Integer(1), sizes[0], lambda r, c: self.atom(fam, layer, idx + (c,)))
        if rest == 1:
            return Tensor(sizes[0], sp.Integer(1), lambda r, c: self.atom(fam, layer, idx + (r,)))
        if rest == 2:
            return Tensor(sizes[0], sizes[1], lambda r, c: self.atom(fam, layer, idx + (r, c)))
        raise Unsupported("an array of more than two dimensions")

    def _binary(self, k, x, y):
        tx, ty = isinstance(x, Tensor), isinstance(y, Tensor)
        if k in ("add", "sub", "hadamard"):
            if tx != ty or (tx and not (_same(x.rows, y.rows) and _same(x.cols, y.cols))):
                raise Unsupported("shapes that do not match")
            op = {"add": sp.Add, "sub": lambda u, v: u - v, "hadamard": sp.Mul}[k]
            if not tx:
                return op(x, y)
            return Tensor(x.rows, x.cols, lambda r, c: op(x.entry(r, c), y.entry(r, c)))
        if k == "mul":
            if tx and ty:
                if not _same(x.cols, y.rows):
                    raise Unsupported("a matrix product of shapes that do not match")

                def entry(r, c):
                    if _same(x.cols, 1):   # an outer product
                        return x.entry(r, 1) * y.entry(1, c)
                    i = _dummy()
                    return sp.Sum(x.entry(r, i) * y.entry(i, c), (i, 1, x.cols))
                return Tensor(x.rows, y.cols, entry)
            if tx or ty:
                t, s = (x, y) if tx else (y, x)
                return Tensor(t.rows, t.cols, lambda r, c: s * t.entry(r, c))
            return x * y
        if tx or ty:
            if k == "div" and tx and not ty:
                return Tensor(x.rows, x.cols, lambda r, c: x.entry(r, c) / y)
            raise Unsupported(f"{k} of a matrix")
        return x / y if k == "div" else x ** y

    def _call(self, n, env, params):
        arg = self.ev(n.arg, env, params)
        name, primes = n.name, n.primes
        kind = self.functions.get(name)
        if name in ("exp", "ln", "log", "tanh"):
            fn = {"exp": sp.exp, "ln": sp.log, "log": sp.log, "tanh": sp.tanh}[name]
        elif kind == "undefined":
            fn = sp.Function(name + "'" * primes)
            return _each(fn, arg)
        elif kind in CONCRETE:
            fn = lambda v: concrete(kind, v)   # noqa: E731
        elif kind == "defined":
            d = next((d for d in reversed(self.defs) if d.family == name), None)
            if d is None:
                raise Unsupported(f"{name} has no definition")
            t = sp.Dummy("t")
            body = self.ev(d.rhs, {}, {d.param: t})
            for _ in range(primes):
                body = sp.diff(body, t)
            return _each(lambda v: body.xreplace({t: v}), arg)
        else:
            raise Unsupported(f"the function {name} ({kind})")
        if primes:
            t = sp.Dummy("t")
            body = fn(t)
            for _ in range(primes):
                body = sp.diff(body, t)
            return _each(lambda v: body.xreplace({t: v}), arg)
        return _each(fn, arg)

    def _sum(self, n, env, params):
        var, lo, hi, body = n.var, n.lo, n.hi, n.body
        if lo is not None:
            if self.ival(lo, env) != 1:
                raise Unsupported("a sum that does not start at 1")
            size = self.ival(hi, env)
        else:
            size = self._infer_size(var, body, env)
        i = _dummy()
        value = self.ev(body, {**env, var: i}, params)
        if isinstance(value, Tensor):
            return Tensor(value.rows, value.cols, lambda r, c: sp.Sum(value.entry(r, c), (i, 1, size)))
        return sp.Sum(value, (i, 1, size))

    def _infer_size(self, var, body, env):
        from .meaning import in_order
        for node in in_order(body, var):
            if node.kind != "atom":
                continue
            fam = self.model.families[node.family]
            if node.layer is not None and node.layer.kind == "index" and node.layer.name == var:
                raise Unsupported("a sum over layers")
            for s, sub in enumerate(node.subs):
                if sub.kind == "index" and sub.name == var:
                    layer = self.ival(node.layer, env) if node.layer is not None else None
                    return self.slot_size(fam, s, layer)
        raise Unsupported(f"the range of {var}")

    def _derivative(self, n, env, params):
        of = self.ev(n.of, env, params)
        wrt = self.ev(n.wrt, env, params)
        if isinstance(wrt, Tensor):
            if isinstance(of, Tensor):
                raise Unsupported("a derivative of a matrix by a matrix")
            return Tensor(wrt.rows, wrt.cols, lambda r, c: self.d(of, wrt.entry(r, c)))
        if isinstance(of, Tensor):
            return Tensor(of.rows, of.cols, lambda r, c: self.d(of.entry(r, c), wrt))
        return self.d(of, wrt)

    # ---------------------------------------------------------------- definitions
    def definition(self, e):
        """The value of a defined entry from the definition in force that defines it here, or None
        where none does for certain (a^{l-1}: a^0 = x or a^l = f(z^l), depending on l)."""
        fam, layer = self.family_of(e)
        idx = tuple(e.indices) if isinstance(e, sp.Indexed) else ()
        for d in reversed(self.defs):
            if d.family != fam.name or d.lhs.kind != "atom":
                continue
            env, certain = self._bind(d, layer, idx)
            if env is None and certain:
                continue
            if env is None:
                return None
            if len(d.lhs.subs) == len(idx):
                return self.ev(d.rhs, env)
            value = self.ev(d.rhs, env)
            rest = idx[len(d.lhs.subs):]
            if not isinstance(value, Tensor) or len(rest) not in (1, 2):
                raise Unsupported("an array definition")
            return value.entry(*rest) if len(rest) == 2 else \
                value.entry(rest[0], 1) if _same(value.cols, 1) else value.entry(1, rest[0])
        return None

    def _bind(self, d, layer, idx) -> tuple:
        """(env, True) when d defines this entry; (None, True) when it certainly does not; (None,
        False) when that depends on values this configuration leaves open."""
        env: dict = {}
        pairs = ([(d.lhs.layer, layer)] if d.lhs.layer is not None else []) + list(zip(d.lhs.subs, idx))
        for node, value in pairs:
            if node.kind == "index" and node.name not in env:
                env[node.name] = value
                continue
            same = decide(self.ival(node, env) - value, "==")
            if same is None and not (value.free_symbols - {P, Q}):
                return None, False
            if same is None:
                raise Unsupported("a definition of a single entry, at a symbolic index")
            if not same:
                return None, True
        for cond in d.conditions:
            vals = [self.ival(s, env) for s in cond.sides]
            for a, op, b in zip(vals, cond.ops, vals[1:]):
                holds = decide(a - b, op)
                if holds is None:
                    if sp.sympify(a - b).free_symbols - {P, Q}:
                        raise Unsupported("a definition whose condition restricts a subscript")
                    return None, False
                if not holds:
                    return None, True
        return env, True

    def _frontier(self) -> list:
        """The families whose definition at a layer reads the layer below (z, from a^{l-1}): what
        C depends on the lower layers through. Every definition of a layered family must read its
        own layer or the one below only, so that nothing skips the frontier."""
        found = []
        for d in self.defs:
            fam = self.model.families.get(d.family)
            if fam is None or fam.layers is None or d.lhs.kind != "atom" or d.param is not None:
                continue
            if d.lhs.layer.kind != "index":   # a^0 = x: it may read a fixed layer at or below its own
                for n in d.rhs.walk():
                    if n.kind == "atom" and self.model.families[n.family].layers is not None and not (
                            d.lhs.layer.kind == "num" and n.layer.kind == "num" and n.layer.value <= d.lhs.layer.value):
                        raise Unsupported(f"the definition of {d.family} at line {d.line} reads another layer")
                continue
            var = d.lhs.layer.name
            if any(n.kind == "deriv" for n in d.rhs.walk()):
                continue   # δ^l = ∂C/∂z^l: a view of the network, not a node of it
            for n in d.rhs.walk():
                if n.kind == "atom" and self.model.families[n.family].layers is not None:
                    off = _offset(n.layer, var)
                    if off not in (0, -1):
                        raise Unsupported(f"the definition of {d.family} reads a layer at offset {off}")
                    if off == -1 and d.family not in found:
                        found.append(d.family)
                elif n.kind == "atom" and n.family in self.defined:
                    raise Unsupported(f"the definition of {d.family} reads {n.family}, defined and without layers")
        return found

    # ---------------------------------------------------------------- derivatives
    def d(self, e, x):
        """∂e/∂x along the definitions, x's own definition cut."""
        if not isinstance(x, (sp.Indexed, sp.Symbol)) or self.family_of(x)[0] is None:
            raise Unsupported("a derivative with respect to something other than one symbol")
        key = (e, x)
        if key not in self.memo:
            self.spend()
            self.memo[key] = self._d(e, x)
        return self.memo[key]

    def _d(self, e, x):
        if e.is_Number or isinstance(e, sp.KroneckerDelta):
            return sp.Integer(0)
        if isinstance(e, (sp.Indexed, sp.Symbol)):
            return self._d_atom(e, x)
        if e.is_Add:
            return sp.Add(*(self.d(a, x) for a in e.args))
        if e.is_Mul:
            return sp.Add(*(sp.Mul(*e.args[:i], self.d(a, x), *e.args[i + 1:]) for i, a in enumerate(e.args)))
        if e.is_Pow:
            base, power = e.args
            if power.is_Number:
                return power * base ** (power - 1) * self.d(base, x)
            return e * (self.d(power, x) * sp.log(base) + power * self.d(base, x) / base)
        if isinstance(e, sp.Sum):
            return sp.Sum(self.d(e.args[0], x), *e.args[1:])
        if isinstance(e, sp.exp):
            return e * self.d(e.args[0], x)
        if isinstance(e, sp.log):
            return self.d(e.args[0], x) / e.args[0]
        if isinstance(e, sp.tanh):
            return (1 - e ** 2) * self.d(e.args[0], x)
        if isinstance(e, sp.core.function.AppliedUndef) and len(e.args) == 1:
            return sp.Function(e.func.__name__ + "'")(e.args[0]) * self.d(e.args[0], x)
        raise Unsupported(f"a derivative of {type(e).__name__}")

    def _d_atom(self, e, x):
        fam, layer = self.family_of(e)
        if fam is None:   # an index, a width, a summation index
            return sp.Integer(0)
        xfam, xlayer = self.family_of(x)
        if fam.name == "∂C" or fam.name.startswith("∂"):
            raise Unsupported("a derivative of the rest of the network")
        if (fam.name, layer) == (xfam.name, xlayer):
            if isinstance(e, sp.Symbol):
                return sp.Integer(1)
            return sp.Mul(*(sp.KroneckerDelta(a, b) for a, b in zip(e.indices, x.indices)))
        if fam.name not in self.defined:
            return sp.Integer(0)
        if fam.layers is not None and xfam.layers is not None:
            below = decide(layer - xlayer, "<")
            if below is None:
                raise Unsupported(f"cannot tell whether {e} depends on {x}")
            if below:
                return sp.Integer(0)   # a lower layer: definitions read their layer or the one below
        if fam.layers is None and self.phi is not None and xfam.layers is not None:
            return self._through_rest(e, x)
        value = self.definition(e)
        if value is None:
            raise Unsupported(f"which definition gives {e} here")
        if isinstance(value, Tensor):
            raise Unsupported("a matrix where an entry was expected")
        return self.d(value, x)

    def _through_rest(self, c, x):
        """∂C/∂x = Σ_k G_k ∂z^{T+1}_k/∂x, C = Φ(z^{T+1}) with Φ arbitrary and G_k = ∂Φ/∂z^{T+1}_k:
        sound where C's definition reads the network at its last layer only (checked here), so that
        it reaches the layers up to T through z^{T+1} alone."""
        self._reads_last_layer_only(c)
        self.used_phi = True
        top = sp.expand(self.phi + 1)
        total = sp.Integer(0)
        for name in self.frontier:
            fam = self.model.families[name]
            idx = tuple(_dummy() for _ in fam.slots)
            entry = self.atom(fam, top, idx)
            g = sp.IndexedBase(f"∂C/∂{fam.name}^{{{sp.sstr(top)}}}")[idx] if idx else \
                sp.Symbol(f"∂C/∂{fam.name}^{{{sp.sstr(top)}}}")
            self.bases[g.base.name if idx else g.name] = (_Rest(), None)
            term = g * self.d(entry, x)
            for s, i in reversed(list(enumerate(idx))):
                term = sp.Sum(term, (i, 1, self.slot_size(fam, s, top)))
            total += term
        return total

    def _reads_last_layer_only(self, c) -> None:
        fam = self.family_of(c)[0]
        todo, seen = [fam.name], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for d in self.defs:
                if d.family != name:
                    continue
                for n in d.rhs.walk():
                    if n.kind == "deriv":
                        raise Unsupported(f"{name} is defined by a derivative")
                    if n.kind != "atom":
                        continue
                    f = self.model.families[n.family]
                    if f.layers is not None and n.layer.kind != "L":
                        raise Unsupported(f"{name} reads {n.family} at a layer other than L")
                    if f.layers is None and n.family in self.defined:
                        todo.append(n.family)

    # ---------------------------------------------------------------- expansion for comparison
    def expanded(self, e, floor):
        """e with each defined entry at a layer ≥ floor replaced by its definition, where that is
        certain (else kept: a symbol is independent of the others, so a proof with it is sound)."""
        for _ in range(8):
            subs = {}
            for a in e.atoms(sp.Indexed, sp.Symbol):
                fam, layer = self.family_of(a)
                if fam is None or fam.name not in self.defined or fam.name.startswith("∂"):
                    continue
                if fam.layers is None and self.phi is not None or \
                        fam.layers is not None and not decide(layer - floor, ">="):
                    continue
                value = self.definition(a)
                if value is not None and not isinstance(value, Tensor):
                    subs[a] = value
            if not subs:
                return e
            self.spend(len(subs))
            e = e.xreplace(subs)
        return e


class _Rest:
    """The family of G = ∂C/∂z^{T+1}: never defined, never differentiated."""
    name = "∂C"
    layers = None


def _offset(node, var) -> int | None:
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


_COUNT = itertools.count()


def _dummy():
    return sp.Symbol(f"_i{next(_COUNT)}")


def _each(fn, x):
    return Tensor(x.rows, x.cols, lambda r, c: fn(x.entry(r, c))) if isinstance(x, Tensor) else fn(x)


def _same(a, b) -> bool:
    return sp.expand(a - b) == 0


# -------------------------------------------------------------------- the normal form
def terms(e, budget: list) -> list:
    """e as a list of (coefficient, ((index, size), ...), factor): e = Σ coefficient · Σ_indices
    factor, every sum pulled out, every product of sums multiplied out, each sum's index fresh."""
    budget[0] -= 1
    if budget[0] < 0:
        raise Unsupported(f"the proof for every width is over its budget of {GENERAL_STEPS:,} steps")
    if e.is_Add:
        return [t for a in e.args for t in terms(a, budget)]
    if e.is_Mul:
        out = [(sp.Integer(1), (), sp.Integer(1))]
        for a in e.args:
            out = [(c1 * c2, b1 + b2, f1 * f2) for c1, b1, f1 in out for c2, b2, f2 in terms(a, budget)]
            budget[0] -= len(out)
        return out
    if isinstance(e, sp.Sum):
        body, bound = e.args[0], []
        for i, _, hi in e.args[1:]:   # innermost first
            j = sp.Integer(1) if hi == 1 else _dummy()
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
    another summation index) ranges over the same width as i."""
    c, bound, factor = term
    sizes = dict(bound)
    changed = True
    while changed:
        changed = False
        for delta in (f for f in sp.Mul.make_args(factor) if isinstance(f, sp.KroneckerDelta)):
            a, b = delta.args
            for i, j in ((a, b), (b, a)):
                if i in sizes and (sizes.get(j) is not None or j in ranges) \
                        and _same(sizes[i], sizes.get(j, ranges.get(j))):
                    factor = factor.xreplace({delta: sp.Integer(1)}).xreplace({i: j})
                    del sizes[i]
                    changed = True
                    break
            if changed:
                break
    return c, tuple((i, n) for i, n in bound if i in sizes), factor


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


VANISH_OPS = 400   # a summand left over is simplified only up to this many operations (deterministic)


def is_zero(e, ranges: dict, budget: list, thorough: bool = False) -> bool:
    """e is identically 0: its terms, summed over the same index ranges, have summands that cancel
    (as written; `thorough`: or by sympy's rational simplification of what is left). Sound: every
    group's summand is 0 for every value of its indices, so its sum is 0."""
    groups: dict = {}
    for t in terms(sp.expand(e) if not e.has(sp.Sum) else e, budget):
        t = resolve_deltas(t, ranges)
        if t[2] == 0 or t[0] == 0:
            continue
        c, sizes, summand = canonical(t)
        group = groups.setdefault(sizes, {})
        group[summand] = group.get(summand, 0) + c
    for group in groups.values():
        left = sp.Add(*(c * f for f, c in group.items() if c != 0))
        if left != 0 and not (thorough and _vanishes(left)):
            return False
    return True


def _vanishes(e) -> bool:
    if e.has(sp.Sum) or sp.count_ops(e) > VANISH_OPS:   # sympy's sum_simplify is where its Sum bugs are
        return False
    return sp.expand(sp.numer(sp.together(e))) == 0 or sp.simplify(e) == 0


# -------------------------------------------------------------------- one claim, every configuration
def prove_every_size(model, definitions: list, functions: dict, sides: tuple, conds: tuple) -> str:
    """Prove the claim sides[0] = sides[1] = ... for every width, batch size, layer and depth.
    Returns a note ("" or what the proof relies on); raises Unsupported with the reason where it
    cannot, or where a difference does not cancel."""
    from .meaning import free_indices, free_refs
    budget = [GENERAL_STEPS]
    layered = [n for s in sides for n in s.walk() if n.kind == "atom" and n.layer is not None]
    free = set().union(*(free_indices(s) for s in sides), *(free_indices(c) for c in conds))
    layer_vars = {n.layer.name for n in layered if n.layer.kind == "index"} | \
                 {n.layer.left.name for n in layered if n.layer.kind in ("add", "sub") and n.layer.left.kind == "index"}
    layer_vars &= free
    if len(layer_vars) > 1:
        raise Unsupported("two layer indices")
    var = next(iter(layer_vars), None)
    relies = False
    for l_value, L_value, phi in _configurations(model, layered, var, conds):
        g = General(model, definitions, functions, l_value, L_value, phi, budget)
        env = {var: l_value} if var else {}
        for name in sorted(free - layer_vars):
            env[name] = sp.Symbol(name)
        for n in free_refs(sides[0]):
            fam = model.families[n.family]
            layer = g.ival(n.layer, env) if n.layer is not None else None
            for s, sub in enumerate(n.subs):
                if sub.kind == "index" and sub.name in env and sub.name != var:
                    g.ranges.setdefault(env[sub.name], g.slot_size(fam, s, layer))
        if any(env[name] not in g.ranges for name in free - layer_vars):
            raise Unsupported("an index whose range the left side does not give")
        for c in conds:
            if free_indices(c) - layer_vars:
                raise Unsupported("a condition on a subscript")
            vals = [g.ival(s, env) for s in c.sides]
            for a, op, b in zip(vals, c.ops, vals[1:]):
                if not decide(a - b, op):
                    raise Unsupported("a condition this configuration does not decide")
        values = [g.ev(s, env) for s in sides]
        if any(isinstance(v, Tensor) for v in values) and not all(isinstance(v, Tensor) for v in values):
            values = [v.entry(1, 1) if isinstance(v, Tensor) and _same(v.rows, 1) and _same(v.cols, 1) else v
                      for v in values]
        if all(isinstance(v, Tensor) for v in values):
            r, c = _dummy(), _dummy()
            g.ranges[r], g.ranges[c] = values[0].rows, values[0].cols
            for v in values[1:]:
                if not (_same(v.rows, values[0].rows) and _same(v.cols, values[0].cols)):
                    raise Unsupported("sides of different shapes")
            values = [v.entry(r, c) for v in values]
        if any(isinstance(v, Tensor) for v in values):
            raise Unsupported("a matrix side against a scalar one")
        floor = min((sp.expand(g.ival(n.layer, env)) for n in layered),
                    key=lambda e: sp.expand(e).subs({P: 0, Q: 0}), default=sp.Integer(0))
        for i, v in enumerate(values[1:], 2):
            diff = values[0] - v
            if not _cancels(g, diff, floor, budget):
                if DEBUG:
                    print("DIFF", diff, "\nEXPANDED", g.expanded(diff, floor))
                where = f"l = {sp.sstr(l_value)}, " if var else ""
                raise Unsupported(f"side 1 minus side {i} does not cancel symbolically at {where}"
                                  f"L = {sp.sstr(L_value)} (p, q ≥ 0)")
        relies = relies or g.used_phi
    return ("layers above the claim's are an arbitrary function of the next layer's weighted inputs"
            if relies else "")


def _cancels(g: General, diff, floor, budget) -> bool:
    """diff is 0: as it is, then with the derivative-defined symbols (δ) replaced by their
    definitions, then with every certain definition at the claim's layers or above replaced, then
    at the layer below them too."""
    def stages():
        yield diff
        views = {d.family for d in g.defs if any(n.kind == "deriv" for n in d.rhs.walk())}
        subs = {a: v for a in diff.atoms(sp.Indexed, sp.Symbol)
                if (g.family_of(a)[0] is not None and g.family_of(a)[0].name in views)
                for v in [g.definition(a)] if v is not None and not isinstance(v, Tensor)}
        e = diff.xreplace(subs)
        yield e
        e = g.expanded(e, floor)
        yield e
        yield g.expanded(e, floor - 1)   # a^{l-1} too: a^0 = x, read by ∂C/∂w^1

    last = None
    for e in stages():
        if e != last and is_zero(e, g.ranges, budget):
            return True
        last = e
    return is_zero(last, g.ranges, budget, thorough=True)


def _configurations(model, layered: list, var, conds) -> list:
    """[(l, L, phi)] that together cover every layer l and depth L the claim allows, each with its
    layers decidable: l = l_0 or l_0 + 1 + p; L − l = each small gap, or the next one + q. phi is
    the claim's top layer T where the rest of the network (above T + 1) is left arbitrary."""
    Ls = sp.Symbol("L")
    lsym = sp.Symbol("l")
    l_offsets, L_offsets, constants = [], [], []
    lo, gap, least_L = 1, 0, 1
    for n in layered:
        fam = model.families[n.family]
        off = _offset(n.layer, var) if var else None
        loF, hiF = (sp.sympify(layer_bound(v, Ls)) for v in fam.layers)
        if off is not None:
            l_offsets.append(off)
            if not loF.is_Integer:
                raise Unsupported(f"{fam.name}'s layers start at {loF}")
            lo = max(lo, int(loF) - off)
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
        top = max(constants)
        if L_offsets:
            low = max([least_L] + [k - c + 1 for k in constants for c in L_offsets])
            return [(None, sp.Integer(L), None) for L in range(least_L, low)] + [(None, low + Q, None)]
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
