"""Proofs for every width and depth: a claim translated with symbolic sizes, and shown to hold for all.

The widths n_l and the batch m are SymPy symbols, a free index is a symbol that ranges over its
slot, and Σ_k is a sum up to a symbolic width. The layer l and the depth L are symbolic too, in a
few configurations that together cover every l and L the claim allows (checker/layers.py: l = 1,
or l ≥ 2; and L − l each small value, or more): in each one, any two layers the proof meets are
either the same or provably different, else the proof stops.

Depth. A claim about layer l whose layers all lie below L (BP2: l and l + 1) is proved with the rest
of the network left arbitrary: C depends on the layers up to T = l + 1 only through the next
layer's weighted inputs z^{T+1}, C = Φ(z^{T+1}), and ∂C/∂z^{T+1}_k is an unknown G_k, a symbol, so
the proof holds for any layers above (that is the chain-rule step the documents state). Where T = L
instead (the claim at the last layer), C's own definition is used.

Derivatives are taken by the chain rule along the definitions (∂C/∂z^l_j with z^l_j's own
definition cut, as in checker/evaluate.py), with a Kronecker delta for two entries of one array;
a delta against a summation index is resolved where the index ranges over the same width. Two
sides are equal when their difference, in the normal form of checker/sums.py, cancels: a test
that can fail to see an identity, never invent one. Anything outside what this module knows
raises Unsupported, and the claim keeps its proof at one size (checker/prove.py).

Why over 400 lines: one class, General, holds a configuration's symbols, the definitions in force
and the derivatives along them, which share its caches and its budget (as World does for one size
in checker/evaluate.py); the translation of each IR kind, the definitions' binding at symbolic
layers and the chain rule read top to bottom in it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .document import SLOT, layer_bound
from .evaluate import BUILTIN_FUNCTIONS
from .functions import CONCRETE, concrete
from .layers import P, Q, always, configurations, decide, layer_offset as _layer_offset
from .derivatives import chain_step
from .errors import Unsupported
from .rules import RULES
from .sums import GENERAL_STEPS, fresh, left_over, same, spend, split_size

__all__ = ["GENERAL_STEPS", "P", "Q", "Proof", "Unsupported", "decide", "prove_every_size"]

M = sp.Symbol("m")   # the batch size


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




class General:
    """One claim in one configuration: `layer` gives l (or None) and `L`; `phi` is the layer T
    whose next layer's weighted inputs the rest of the network is a function of (None: C's own
    definition)."""

    def __init__(self, model, definitions: list, functions: dict, l_value, L_value, phi, budget: list):
        self.model, self.functions = model, functions
        self.defs = [d for d in definitions]
        self.L, self.phi = L_value, phi
        self.budget = budget              # [steps left], shared by the claim's configurations
        self.layers: dict = {}            # family -> {canonical layer expr}
        self.bases: dict = {}             # IndexedBase/Symbol name -> (family, layer)
        self.ranges: dict = {}            # free index symbol -> its range's size
        self.memo: dict = {}
        self.unequal: dict = {}           # δ(j, k) -> 0 where the claim says j ≠ k
        self.used_phi = False
        self.used_simplex = False         # a proof that used Σ_k y_k = 1 says so
        self.defined = {d.family for d in definitions}
        self.rules = {"configurations"}   # the named rules (checker/rules.py) this proof applied
        self._frontier_found = None       # the frontier, or the reason there is none (computed once)
        self._forward: dict = {}          # family -> whether it is forward (computed once)

    def spend(self, k: int = 1) -> None:
        spend(self.budget, k)

    def use(self, rule: str) -> None:
        assert rule in RULES, rule
        self.rules.add(rule)

    def refuse(self, rule: str, why: str):
        """The rule's side condition does not hold, or cannot be established: no proof for every
        width (the claim keeps its proof at one size, with this reason)."""
        return Unsupported(f"rule {rule} does not apply: {why}")

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
                raise self.refuse("configurations", f"cannot tell {fam.name}^{{{layer}}} from {fam.name}^{{{other}}}")
        lo, hi = (_expr(layer_bound(v, self.L)) for v in fam.layers)
        if not decide(layer - lo, ">=") or not decide(hi - layer, ">="):
            raise self.refuse("configurations", f"{fam.name}^{{{layer}}} may be outside its layers "
                                                f"{fam.layers[0]}..{fam.layers[1]}")
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
            raise Unsupported(f"{a[0]}_{{{a[1]}}} is a symbol with a label: it names one unit of one network")
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
            return sp.sqrt(self.sum_of(lambda r: self.sum_of(lambda c: x.entry(r, c) ** 2, x.cols), x.rows))
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
            if tx != ty or (tx and not (same(x.rows, y.rows) and same(x.cols, y.cols))):
                raise Unsupported("shapes that do not match")
            op = {"add": sp.Add, "sub": lambda u, v: u - v, "hadamard": sp.Mul}[k]
            if not tx:
                return op(x, y)
            return Tensor(x.rows, x.cols, lambda r, c: op(x.entry(r, c), y.entry(r, c)))
        if k == "mul":
            if tx and ty:
                if not same(x.cols, y.rows):
                    raise Unsupported("a matrix product of shapes that do not match")

                def entry(r, c):
                    if same(x.cols, 1):   # an outer product
                        return x.entry(r, 1) * y.entry(1, c)
                    return self.sum_of(lambda i: x.entry(r, i) * y.entry(i, c), x.cols)
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
        if kind == "undefined":   # f' is a function of its own, as the chain rule in _d writes it
            return _each(sp.Function(name + "'" * primes), arg)
        t = sp.Dummy("t")
        if name in BUILTIN_FUNCTIONS:
            body = BUILTIN_FUNCTIONS[name](t)
        elif kind in CONCRETE:
            body = concrete(kind, t)
        elif kind == "defined":
            d = next((d for d in reversed(self.defs) if d.family == name), None)
            if d is None:
                raise Unsupported(f"{name} has no definition")
            body = self.ev(d.rhs, {}, {d.param: t})
        else:
            raise Unsupported(f"the function {name} ({kind})")
        for _ in range(primes):
            body = sp.diff(body, t)
        return _each(lambda v: body.xreplace({t: v}), arg)

    def _sum(self, n, env, params):
        var, lo, hi, body = n.var, n.lo, n.hi, n.body
        if lo is not None:
            if self.ival(lo, env) != 1:
                raise Unsupported("a sum that does not start at 1")
            size = self.ival(hi, env)
        else:
            size = self._infer_size(var, body, env)
        return self.sum_of(lambda i: self.ev(body, {**env, var: i}, params), size)

    def sum_of(self, fn, size):
        """Σ_{i=1}^{size} fn(i), i a new index that ranges over 1..size. A size n + c (the bias
        column of w̃: n_{l-1} + 1) is split into Σ_{i=1}^{n} fn(i) + fn(n + 1) + ... + fn(n + c), so a
        definition that holds for k ≤ n, and another for k = n + 1, each applies to its part."""
        i, (base, extra) = fresh(), split_size(size)
        self.ranges[i] = base
        if extra:
            self.use("bias-column")
        parts = [fn(i)] + [fn(base + t) for t in range(1, extra + 1)]
        if isinstance(parts[0], Tensor):
            first = parts[0]
            return Tensor(first.rows, first.cols, lambda r, c: sp.Add(
                sp.Sum(first.entry(r, c), (i, 1, base)), *(p.entry(r, c) for p in parts[1:])))
        return sp.Add(sp.Sum(parts[0], (i, 1, base)), *parts[1:])

    def _infer_size(self, var, body, env):
        from .meaning import range_sources
        for node, s in range_sources(body, var):
            if s is None:
                raise Unsupported("a sum over layers")
            try:
                layer = self.ival(node.layer, env) if node.layer is not None else None
            except Unsupported:
                continue  # the layer depends on an index not bound yet
            return self.slot_size(self.model.families[node.family], s, layer)
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
            self.use("definition")
            if len(d.lhs.subs) == len(idx):
                return self.ev(d.rhs, env)
            value = self.ev(d.rhs, env)
            rest = idx[len(d.lhs.subs):]
            if not isinstance(value, Tensor) or len(rest) not in (1, 2):
                raise Unsupported("an array definition")
            return value.entry(*rest) if len(rest) == 2 else \
                value.entry(rest[0], 1) if same(value.cols, 1) else value.entry(1, rest[0])
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
            equal = always(self.ival(node, env), "==", value, self.ranges)
            if equal is None:
                return None, False
            if not equal:
                return None, True
        for cond in d.conditions:
            vals = [self.ival(s, env) for s in cond.sides]
            for a, op, b in zip(vals, cond.ops, vals[1:]):
                holds = always(a, op, b, self.ranges)
                if holds is None:
                    return None, False
                if not holds:
                    return None, True
        return env, True

    # ---------------------------------------------------------------- side conditions
    def reads(self, node):
        """Every IR node a definition's right side reads, with each defined function's body read
        where it is called (transitively): pen(t) = t + λ (a^{L-3}_1)^2 makes C = pen(...) read
        a^{L-3}. A side condition checked on fewer nodes than these would be checked on a part."""
        stack, opened = [node], set()
        while stack:
            for n in stack.pop().walk():
                yield n
                if n.kind == "call" and self.functions.get(n.name) == "defined" and n.name not in opened:
                    opened.add(n.name)
                    stack.extend(d.rhs for d in self.defs if d.family == n.name and d.param is not None)

    def forward(self, name: str, seen=None) -> bool:
        """A family is forward when none of its definitions, functions inlined and the unlayered
        symbols they read followed, holds a derivative: a node of the network, computed from the
        layers below. δ^l = ∂C/∂z^l is not (it reads everything above its layer)."""
        if seen is None and name in self._forward:
            return self._forward[name]
        top, seen = seen is None, set() if seen is None else seen
        if name in seen:
            return True
        seen.add(name)
        answer = not any(n.kind == "deriv" or n.kind == "atom" and n.family in self.defined
                         and not self.forward(n.family, seen)
                         for d in self.defs if d.family == name for n in self.reads(d.rhs))
        if top:
            self._forward[name] = answer
        return answer

    def below_is_independent(self, name: str) -> bool:
        """The rule lower-layer, for an entry of the family `name` at a layer below the variable's:
        its side condition checked (name is forward: its caller's test; every layered definition
        reads its own layer or the one below: the frontier's), then the rule applied."""
        try:
            self.frontier
        except Unsupported as why:
            raise self.refuse("lower-layer", str(why)) from None
        self.use("lower-layer")
        return True

    @property
    def frontier(self) -> list:
        """The families whose definition reads the layer below (z, from a^{l-1}): what C depends on
        the lower layers through. The side condition of the rules lower-layer and chain-rule-step:
        every definition of a layered family, at a variable layer (z^l), a fixed one (h^3) or the
        last (h^L), reads only its own layer or the one below, with defined functions inlined."""
        if self._frontier_found is None:
            try:
                self._frontier_found = self._find_frontier()
            except Unsupported as e:
                self._frontier_found = e
        if isinstance(self._frontier_found, Unsupported):
            raise self._frontier_found
        return self._frontier_found

    def _find_frontier(self) -> list:
        found = []
        for d in self.defs:
            fam = self.model.families.get(d.family)
            if fam is None or fam.layers is None or d.lhs.kind != "atom" or d.param is not None:
                continue
            if any(n.kind == "deriv" for n in self.reads(d.rhs)) or not self.forward(d.family):
                continue   # δ^l = ∂C/∂z^l: a view of the network, not a node of it
            for n in self.reads(d.rhs):
                if n.kind == "atom" and self.model.families[n.family].layers is not None:
                    off = _layer_offset(d.lhs.layer, n.layer)
                    if off not in (0, -1):
                        at = "" if d.lhs.layer.kind == "index" else " at a fixed layer"
                        raise Unsupported(f"the definition of {d.family}{at} at line {d.line} reads "
                                          f"{n.family} " + ("at another layer" if off is None else
                                                             f"{-off} layers below its own"))
                    if off == -1 and d.family not in found:
                        found.append(d.family)
                elif n.kind == "atom" and n.family in self.defined and \
                        self.model.families[n.family].layers is None:
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
        step = chain_step(e, lambda part: self.d(part, x),
                          undefined=lambda f, v: sp.Function(f.__name__ + "'")(v))
        if step is None:
            raise Unsupported(f"a derivative of {type(e).__name__}")
        return step

    def _d_atom(self, e, x):
        fam, layer = self.family_of(e)
        if fam is None:   # an index, a width, a summation index
            return sp.Integer(0)
        xfam, xlayer = self.family_of(x)
        if isinstance(fam, _Rest):
            raise Unsupported("a derivative of the rest of the network")
        if (fam.name, layer) == (xfam.name, xlayer):
            if isinstance(e, sp.Symbol):
                return sp.Integer(1)
            self.use("kronecker")
            return sp.Mul(*(sp.KroneckerDelta(a, b) for a, b in zip(e.indices, x.indices)))
        if fam.name not in self.defined:
            return sp.Integer(0)
        if fam.layers is not None and xfam.layers is not None and self.forward(fam.name):
            below = decide(layer - xlayer, "<")
            if below is None:
                raise Unsupported(f"cannot tell whether {e} depends on {x}")
            if below and self.below_is_independent(fam.name):
                return sp.Integer(0)
        if fam.layers is None and self.phi is not None and xfam.layers is not None:
            return self._through_rest(e, x)
        value = self.definition(e)
        if value is None:
            raise Unsupported(f"which definition gives {e} here")
        if isinstance(value, Tensor):
            raise Unsupported("a matrix where an entry was expected")
        return self.d(value, x)

    def _through_rest(self, c, x):
        """∂c/∂x = Σ_k G_k ∂z^{T+1}_k/∂x, c = Φ(z^{T+1}) with Φ arbitrary and G_k = ∂Φ/∂z^{T+1}_k (c is
        C, or another scalar defined on the output, each with its own G):
        sound where C's definition reads the network at its last layer only (checked here), so that
        it reaches the layers up to T through z^{T+1} alone."""
        try:
            self._reads_last_layer_only(c)
            frontier = self.frontier
        except Unsupported as why:
            raise self.refuse("chain-rule-step", str(why)) from None
        self.use("chain-rule-step")
        self.used_phi = True
        top = sp.expand(self.phi + 1)
        total = sp.Integer(0)
        for name in frontier:
            fam = self.model.families[name]
            g = f"∂{sp.sstr(c)}/∂{fam.name}^{{{sp.sstr(top)}}}"   # its own for each scalar: C's is not E's
            self.bases[g] = (_Rest(), None)

            def over(idx, fam=fam, g=g):   # Σ over the slots still open, then G[idx] ∂z^{T+1}[idx]/∂x
                if len(idx) < len(fam.slots):
                    return self.sum_of(lambda i: over(idx + (i,)), self.slot_size(fam, len(idx), top))
                rest = sp.IndexedBase(g)[idx] if idx else sp.Symbol(g)
                return rest * self.d(self.atom(fam, top, idx), x)
            total += over(())
        return total

    def _reads_last_layer_only(self, c) -> None:
        """C (or another scalar defined on the output) reads layered symbols at layer L only: in its
        definitions, in the bodies of the functions they call, and in the unlayered symbols they
        read, followed to the end. (What a symbol read at L reads in turn is the frontier's
        condition: its own layer or the one below.)"""
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
                for n in self.reads(d.rhs):
                    if n.kind == "deriv":
                        raise Unsupported(f"{name} is defined by a derivative")
                    if n.kind != "atom":
                        continue
                    f = self.model.families[n.family]
                    if f.layers is not None and n.layer.kind != "L":
                        raise Unsupported(f"{name} reads {n.family} at a layer other than L"
                                          + (f" (inside a function it calls, line {d.line})" if
                                             not any(n is m for m in d.rhs.walk()) else ""))
                    if f.layers is None and n.family in self.defined:
                        todo.append(n.family)

    def simplex_sums(self, term) -> tuple:
        """A term Σ_k y_k · (the rest, free of k), where y is declared `domain: simplex` and k runs over
        its whole last subscript, is the rest alone: the document draws y with Σ_k y_k = 1, so a claim
        about it may use that (softmax with cross-entropy, δ = a − y, does)."""
        c, bound, factor = term
        for i, size in bound:
            users = [f for f in sp.Mul.make_args(factor) if f.has(i)]
            if len(users) != 1 or not isinstance(users[0], sp.Indexed) or users[0].indices[-1] != i \
                    or users[0].indices[:-1] and any(x.has(i) for x in users[0].indices[:-1]):
                continue
            fam, layer = self.family_of(users[0])
            if fam is None or getattr(fam, "domain", "") != "simplex" or \
                    not same(size, self.slot_size(fam, len(fam.slots) - 1, layer)):
                continue
            if fam.name in self.defined:   # its domain is declared, not shown: its definition decides
                continue
            self.used_simplex = True
            rest = sp.Mul(*(f for f in sp.Mul.make_args(factor) if f is not users[0]))
            return self.simplex_sums((c, tuple(b for b in bound if b[0] != i), rest))
        return term

    # ---------------------------------------------------------------- expansion for comparison
    def expanded(self, e, floor):
        """e with each defined entry at a layer ≥ floor replaced by its definition, where that is
        certain (else kept: a symbol is independent of the others, so a proof with it is sound)."""
        for _ in range(8):
            subs = {}
            for a in e.atoms(sp.Indexed, sp.Symbol):
                fam, layer = self.family_of(a)
                if fam is None or isinstance(fam, _Rest) or fam.name not in self.defined:
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
    """The family of G = ∂C/∂z^{T+1}: never defined, never differentiated (its name and layers
    answer the questions asked of every family)."""
    name = "∂C"
    layers = None


def _each(fn, x):
    return Tensor(x.rows, x.cols, lambda r, c: fn(x.entry(r, c))) if isinstance(x, Tensor) else fn(x)


def _expr(x):
    return sp.Integer(x) if isinstance(x, int) else x


# -------------------------------------------------------------------- one claim, every configuration
@dataclass(frozen=True)
class Proof:
    """A proof for every width and depth: what it relies on, in words ("" when nothing beyond the
    definitions), and the named rules it applied (checker/rules.py), in the order of RULES."""
    note: str
    rules: tuple


def prove_every_size(model, definitions: list, functions: dict, sides: tuple, conds: tuple) -> Proof:
    """Prove the claim sides[0] = sides[1] = ... for every width, batch size, layer and depth.
    Returns the Proof; raises Unsupported with the reason where it cannot (a rule whose side
    condition does not hold, or a difference that does not cancel), in the reader's letters (p, q,
    i7; not _p)."""
    try:
        return _prove_every_size(model, definitions, functions, sides, conds)
    except Unsupported as e:
        raise Unsupported(re.sub(r"\b_([pqika])(\d*)\b", r"\1\2", str(e))) from None


def _prove_every_size(model, definitions, functions, sides, conds) -> Proof:
    from .meaning import free_indices, free_refs
    from .rules import ordered
    budget = [GENERAL_STEPS]
    used: set = {"cancellation"}
    layered = [n for s in sides for n in s.walk() if n.kind == "atom" and n.layer is not None]
    free = set().union(*(free_indices(s) for s in sides), *(free_indices(c) for c in conds))
    layer_vars = {n.layer.name for n in layered if n.layer.kind == "index"} | \
                 {n.layer.left.name for n in layered if n.layer.kind in ("add", "sub") and n.layer.left.kind == "index"}
    layer_vars &= free
    if len(layer_vars) > 1:
        raise Unsupported("two layer indices")
    var = next(iter(layer_vars), None)
    relies, proved, simplex = "", 0, False
    on_layer = tuple(c for c in conds if not free_indices(c) - layer_vars)   # l < L; the rest restrict subscripts
    todo = [(config, {}) for config in configurations(model, layered, var, on_layer)]
    while todo:   # each configuration, and within it each case of an index split at a bias column
        (l_value, L_value, phi), fixed = todo.pop(0)
        g = General(model, definitions, functions, l_value, L_value, phi, budget)
        env = {var: l_value} if var else {}
        sizes = {}
        for n in free_refs(sides[0]):
            fam = model.families[n.family]
            layer = g.ival(n.layer, env) if n.layer is not None else None
            for s, sub in enumerate(n.subs):
                if sub.kind == "index" and sub.name != var:
                    sizes.setdefault(sub.name, g.slot_size(fam, s, layer))
        if free - layer_vars - set(sizes):
            raise Unsupported("an index whose range the left side does not give")
        cases = _cases(sizes, fixed)
        if cases:
            used.add("bias-column")
            todo[:0] = [((l_value, L_value, phi), case) for case in cases]
            continue
        for name, size in sizes.items():
            env[name] = fixed.get(name) if fixed.get(name) is not None else sp.Symbol(name)
            if fixed.get(name) is None:
                g.ranges[env[name]] = split_size(size)[0]
        holds = []
        for c in conds:
            vals = [g.ival(s, env) for s in c.sides]
            for a, op, b in zip(vals, c.ops, vals[1:]):
                holds.append(always(a, op, b, g.ranges))
                if holds[-1] is None and op == "!=" and a.is_Symbol and b.is_Symbol:
                    g.unequal[sp.KroneckerDelta(a, b)] = sp.Integer(0)   # j ≠ k: their delta is 0
                    holds[-1] = True
        if False in holds:   # a case the claim is not made for (k = n + 1 where it says k ≤ n)
            continue
        if None in holds:
            raise Unsupported("a condition this configuration does not decide")
        values = [g.ev(s, env) for s in sides]
        if any(isinstance(v, Tensor) for v in values) and not all(isinstance(v, Tensor) for v in values):
            values = [v.entry(1, 1) if isinstance(v, Tensor) and same(v.rows, 1) and same(v.cols, 1) else v
                      for v in values]
        if all(isinstance(v, Tensor) for v in values):
            for i, v in enumerate(values[1:], 2):
                if not (same(v.rows, values[0].rows) and same(v.cols, values[0].cols)):
                    raise Unsupported(f"side 1 is {sp.sstr(values[0].rows)}×{sp.sstr(values[0].cols)} and side {i} "
                                      f"{sp.sstr(v.rows)}×{sp.sstr(v.cols)}, for some widths")
            shape = {" row": values[0].rows, " column": values[0].cols}
            cases = _cases(shape, fixed)
            if cases:
                used.add("bias-column")
                todo[:0] = [((l_value, L_value, phi), case) for case in cases]
                continue
            at = []
            for name, size in shape.items():
                at.append(fixed.get(name) if fixed.get(name) is not None else fresh())
                if fixed.get(name) is None:
                    g.ranges[at[-1]] = split_size(size)[0]
            values = [v.entry(*at) for v in values]
        if any(isinstance(v, Tensor) for v in values):
            raise Unsupported("a matrix side against a scalar one")
        floor = min((sp.expand(g.ival(n.layer, env)) for n in layered),
                    key=lambda e: sp.expand(e).subs({P: 0, Q: 0}), default=sp.Integer(0))
        for i, v in enumerate(values[1:], 2):
            diff = values[0] - v
            left = _left_over(g, diff, floor, budget)
            if left:
                where = f"l = {sp.sstr(l_value)}, " if var else ""
                left = left if len(left) <= 160 else left[:159] + "…"
                raise Unsupported(f"side 1 minus side {i} leaves {left} at {where}L = {sp.sstr(L_value)} (p, q ≥ 0), "
                                  "which does not cancel symbolically")
            simplex = simplex or g.used_simplex
        proved += 1
        used |= g.rules
        if g.used_phi:
            relies = f"{'/'.join(g.frontier)}^{{{_layer_text(phi + 1 - (l_value or 0), var)}}}"
    if not proved:   # every case excluded by the claim's conditions: nothing was shown
        raise Unsupported("no value of the indices satisfies the conditions")
    notes = ([f"below the last layer, C is taken as any function of {relies}; the layers above are "
              "arbitrary: the chain-rule step"] if relies else []) + \
        (["it uses Σ_k y_k = 1 for the symbols drawn from a simplex"] if simplex else [])
    return Proof("; ".join(notes), ordered(used | ({"simplex"} if simplex else set())))


def _cases(sizes: dict, fixed: dict) -> list:
    """Where an index ranges over n + c (the bias column) and is not split yet: its cases, the index
    up to n (None) and each of n + 1 .. n + c, added to `fixed`. [] when nothing is left to split."""
    for name, size in sizes.items():
        base, extra = split_size(size)
        if extra and name not in fixed:
            return [{**fixed, name: value} for value in [None] + [base + t for t in range(1, extra + 1)]]
    return []


def _layer_text(e, var) -> str:
    """A configuration's layer, l_value + c, in the claim's words: l+2 (or 2 with no l)."""
    c = int(sp.expand(e).subs({P: 0, Q: 0})) if var else int(e)
    return f"{var}{c:+d}" if var and c else var if var else str(c)


def _left_over(g: General, diff, floor, budget) -> str:
    """"" when diff is 0, else what is left of it. Tried as it is, then with the derivative-defined
    symbols (δ) replaced by their definitions, then with every certain definition at the claim's
    layers or above replaced, then at the layer below them too. What is shown is left at the
    second stage: in the document's own symbols (a^L, z^L, f'), with the δs worked out."""
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

    last, shown = None, ""
    for n, e in enumerate(stages()):
        e = e.xreplace(g.unequal)
        if e != last:
            g.used_simplex = False   # afterwards: whether the stage that cancelled used Σ_k y_k = 1
            left = left_over(e, g.ranges, budget, reduce=g.simplex_sums)
            if not left:
                return ""
            shown = shown if n > 1 else left
        last = e
    g.used_simplex = False
    return shown if left_over(last, g.ranges, budget, thorough=True, reduce=g.simplex_sums) else ""
