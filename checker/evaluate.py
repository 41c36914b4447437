"""Evaluation: one instance of a document's model (its sizes) at one random point, where every IR
node gets a value — a SymPy expression in the atoms (w[2,1,3], z[1,2], ...) or a matrix of them —
with the definitions in force. Inputs are exact rationals drawn in their domain; values are computed
with mpmath at 50 digits; ∂A/∂B is the derivative along the definitions (the chain rule over atoms).

Why over 400 lines: one class, World, holds an instance's atoms, definitions, values and derivatives,
which share its caches (definitions in force, arrays, derivatives, full expansions); split across
modules they would have to be passed around together.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from mpmath import libmp
import sympy as sp

from backproof.reference.exact import DIGITS, Evaluator, Redirect, raw

from .document import SLOT, Family, Model, layer_bound
from .functions import ANY, concrete
from .derivatives import chain_step
from .errors import Budget, Located, OutOfRange, ShapeError, shown
from .grammar import Node
from .meaning import range_sources

BUILTIN_FUNCTIONS = {"exp": sp.exp, "ln": sp.log, "log": sp.log, "tanh": sp.tanh}
# Exact arithmetic is bounded so that no document can make it hang: an integer power's exponent
# (10^{10^{10}} would be an exact integer of ten billion digits) and an exact number's size.
MAX_EXPONENT = 64
MAX_DIGITS = 1000   # of an exact number's size, and of the precision a value is tried at
# Definitions that reach others through a function's body or a derivative are followed by recursion:
# bounded, so that a document meets a located error long before Python's recursion limit.
MAX_DEFINITION_DEPTH = 40



# ----------------------------------------------------------------------------- evaluation

@dataclass
class Definition:
    """`lhs = rhs` introducing `family` (or a function), in force from `order` on."""

    family: str
    lhs: Node              # atom IR (or call IR for a function)
    rhs: Node
    conditions: tuple
    order: int
    param: str | None = None   # for a function definition: its parameter's name
    line: int = 0              # the document line it is on, once added


@dataclass
class Instance:
    n: list       # n_0 .. n_L
    m: int | None

    @property
    def L(self) -> int:
        return len(self.n) - 1

    def __str__(self) -> str:
        return f"n = {self.n}" + (f", m = {self.m}" if self.m else "")


class _Numeric(Evaluator):
    """Exact evaluation (reference/exact.py) where an atom's value is its input value or its
    definition's value, through the evaluator's public hook: a defined atom, and a case chosen
    by its condition, redirect to the expression whose value they take, so the branch not taken
    is never evaluated (ln t where t < 0 would have no value)."""

    def __init__(self, world: "World", digits: int = DIGITS):
        super().__init__({}, digits)
        self.world = world

    def children(self, e) -> tuple:
        if e in self.world.registry:
            return ()
        if isinstance(e, sp.Piecewise):  # the conditions' sides first; the chosen value after
            return tuple(side for _, cond in e.args if cond != sp.true for side in (cond.lhs, cond.rhs))
        if isinstance(e, (sp.Abs, sp.sign, sp.Max, sp.Min, sp.re)):
            return e.args
        if isinstance(e, sp.im):   # every input is real: SymPy writes |e^-t| as e^(-re(t))
            return ()
        return super().children(e)

    def combine(self, e, values: list):
        if e in self.world.registry:
            if self.world.is_input(e):
                return raw(self.world.input_value(e), self.prec)
            return Redirect(self.world.definition_of(e))
        if isinstance(e, sp.Piecewise):
            sides = iter(values)
            for value, cond in e.args:
                if cond == sp.true or _HOLDS[type(cond)](next(sides), next(sides)):
                    return Redirect(value)
            raise ValueError(f"no case of {e} holds")
        if isinstance(e, sp.Abs):
            return libmp.mpf_abs(values[0])
        if isinstance(e, sp.re):
            return values[0]
        if isinstance(e, sp.im):
            return libmp.fzero
        if isinstance(e, sp.sign):
            return libmp.from_int(libmp.mpf_sign(values[0]))
        if isinstance(e, (sp.Max, sp.Min)):
            pick = libmp.mpf_gt if isinstance(e, sp.Max) else libmp.mpf_lt
            best = values[0]
            for a in values[1:]:
                best = a if pick(a, best) else best
            return best
        return super().combine(e, values)


_HOLDS = {sp.StrictLessThan: libmp.mpf_lt, sp.LessThan: libmp.mpf_le, sp.StrictGreaterThan: libmp.mpf_gt,
          sp.GreaterThan: libmp.mpf_ge, sp.Eq: libmp.mpf_eq, sp.Ne: lambda x, y: not libmp.mpf_eq(x, y)}


class World:
    """One instance (sizes) at one random point, with the definitions in force. `index` numbers the
    document's worlds (point by point, the sizes taking turns): a function declared `any` takes, in
    world k, the (k + i)-th of functions.ANY (i its place among the `any` functions), so the worlds
    together try every one, and each size several. With `undefined=True` an `any` function is an undefined SymPy function instead
    (the world of proofs: no value is ever drawn in it)."""

    def __init__(self, model: Model, instance: Instance, point: int, defined: set, budget: Budget,
                 index: int | None = None, undefined: bool = False):
        self.model, self.inst, self.point = model, instance, point
        self.defined_families = defined       # families with a definition somewhere in the document
        self.definitions: list[Definition] = []
        self._family_definitions: dict[str, list[Definition]] = {}   # the same, by family
        k = point if index is None else index
        names = list(ANY)
        self.functions = {name: ("undefined" if undefined else names[(k + i) % len(names)]) if kind == "any"
                          else kind for i, (name, kind) in enumerate(sorted(model.functions.items()))}
        self.undefined = undefined
        self.registry: dict = {}              # atom -> (family, layer, indices)
        self._atom_of: dict = {}              # (family name, layer, indices) -> atom, once made
        self._slot_ranges: dict = {}          # (family name, slot, layer) -> its range here
        self._sub_arrays: dict = {}           # (family name, layer, first indices) -> their array of atoms
        self.inputs: dict = {}                # atom -> exact value, a Fraction (never cleared)
        self.budget = budget                  # the evaluation steps left for this equation, shared
        self._resolving: dict = {}            # atoms whose definitions are being evaluated now, in order
        self._opening: list = []              # functions whose bodies are being built now
        self._nested = 0                      # definitions being evaluated inside one another
        self._diffs: dict = {}                # (e, u) -> d e / d u: pure, so kept across definitions
        self.reset()

    def reset(self):
        """Forget everything derived from definitions (a new definition may replace an old one)."""
        self._defs, self._arrays, self._dd, self._full, self._partial = {}, {}, {}, {}, {}
        self.numeric = {}                     # digits -> _Numeric: DIGITS, and more where they are needed

    def add(self, d: Definition, replaces: bool = False):
        """Put d in force. What was derived so far stays valid unless d replaces an earlier
        definition (a definition that overlaps none is a located error, checker/check.py), so a
        document's definitions cost linear, not quadratic, time in their number."""
        self.definitions.append(d)
        self._family_definitions.setdefault(d.family, []).append(d)
        if replaces:
            self.reset()

    def spend(self, steps: int) -> None:
        """Count work against the equation's budget: a deterministic bound, not a clock."""
        self.budget.spend(steps)

    # ---------------------------------------------------------------- atoms
    def atom(self, fam: Family, layer, idx: tuple, pos):
        key = (fam.name, layer, tuple(idx))
        a = self._atom_of.get(key)
        if a is not None:   # its range was checked when it was made (the range is the instance's)
            return a
        if fam.labels is None:
            self.check_range(fam, layer, idx, pos)
        if fam.labels is not None:
            a = sp.Symbol(f"{fam.name}_{idx[0]}")
        elif fam.layers is None and not fam.slots:
            a = sp.Symbol(fam.name)
        else:
            a = sp.Symbol(f"{fam.name}[{','.join(map(str, ((layer,) if fam.layers else ()) + tuple(idx)))}]")
        self.registry.setdefault(a, (fam, layer, tuple(idx)))
        self._atom_of[key] = a
        return a

    def layer_range(self, fam: Family) -> range:
        lo, hi = (layer_bound(v, self.inst.L) for v in fam.layers)
        return range(lo, hi + 1)

    def slot_range(self, fam: Family, slot: int, layer) -> range:
        key = (fam.name, slot, layer)
        r = self._slot_ranges.get(key)
        if r is None:
            r = self._slot_ranges[key] = self._slot_range(fam, slot, layer)
        return r

    def _slot_range(self, fam: Family, slot: int, layer) -> range:
        m = SLOT.match(fam.slots[slot])
        which, off, extra = m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)
        if which is None:
            if self.inst.m is None:
                raise Located(f"{fam.name} has a batch subscript but checker.batch gives no batch size")
            size = self.inst.m
        else:
            at = layer if which == "l" else self.inst.L if which == "L" else int(which)
            at += off
            if not 0 <= at <= self.inst.L:
                raise OutOfRange(f"{fam.name}: layer {at} has no width (layers are 0..{self.inst.L})")
            size = self.inst.n[at]
        return range(1, size + extra + 1)

    def check_range(self, fam: Family, layer, idx, pos):
        if fam.layers is not None and layer not in self.layer_range(fam):
            r = self.layer_range(fam)
            raise OutOfRange(f"{show_atom(fam, layer, idx)} does not exist: layer {layer} is outside "
                             f"{r.start}..{r.stop - 1} for {self.inst}", pos)
        for s, v in enumerate(idx):
            r = self.slot_range(fam, s, layer)
            if v not in r:
                raise OutOfRange(f"{show_atom(fam, layer, idx)} does not exist: subscript {s + 1} is {v}, "
                                 f"outside 1..{r.stop - 1} for {self.inst}", pos)

    def is_input(self, a) -> bool:
        return self.registry[a][0].name not in self.defined_families

    def input_value(self, a):
        if a not in self.inputs:
            fam, layer, idx = self.registry[a]
            seed = f"{self.model.seed}|{self.inst}|{self.point}|"
            if fam.domain == "simplex":
                group = idx[:-1]
                size = self.slot_range(fam, len(idx) - 1, layer).stop - 1
                rng = random.Random(seed + f"{fam.name}|{layer}|{group}")
                weights = [Fraction(rng.randint(1, 99)) for _ in range(size)]
                for k, wk in enumerate(weights, 1):
                    other = self.atom(fam, layer, group + (k,), (1, 1))
                    self.inputs[other] = wk / sum(weights)
            else:
                self.inputs[a] = Fraction(_draw(fam.domain, random.Random(seed + str(a)), self.point,
                                                f"{self.model.seed}|{a}"))
        return self.inputs[a]

    # ---------------------------------------------------------------- definitions
    def definition_of(self, a):
        """a's value in terms of other atoms. Every defined atom it uses is resolved first (depth
        first, with an explicit stack: a chain of any length), so a definition that uses itself
        (C = C + 1, or C = K with K = C) is a located error here."""
        if a in self._defs:
            return self._defs[a]
        todo, found, depth = [(a, None)], {}, len(self._resolving)
        try:
            while todo:
                s, uses = todo[-1]
                if uses is None:
                    self._enter(s)
                    value = found[s] = self._nest(self._define, s)
                    uses = iter([u for u in (_free(value) if isinstance(value, sp.Basic) else ())
                                 if u in self.registry and not self.is_input(u)])
                    todo[-1] = (s, uses)
                u = next(uses, None)
                if u is None:
                    self._defs[s] = found.pop(s)
                    self._resolving.popitem()
                    todo.pop()
                elif u not in self._defs:
                    todo.append((u, None))
        finally:   # an atom not defined yet (OutOfRange) may be caught above: leave no path behind
            while len(self._resolving) > depth:
                self._resolving.popitem()
        return self._defs[a]

    def _enter(self, a) -> None:
        if a in self._resolving:
            path = list(self._resolving)
            loop = " → ".join(map(str, path[path.index(a):] + [a]))
            raise Located(f"circular definitions: {shown(loop)}")
        self._resolving[a] = None

    def _nest(self, fn, *args):
        """fn(*args), counted as one level of definitions evaluated inside one another."""
        if self._nested >= MAX_DEFINITION_DEPTH:
            raise Located(f"definitions used inside one another more than {MAX_DEFINITION_DEPTH} deep "
                          "(a function defined through another, a derivative of a defined symbol inside a "
                          "definition...): the checker bounds the depth")
        self._nested += 1
        try:
            return fn(*args)
        finally:
            self._nested -= 1

    def _define(self, a):
        fam, layer, idx = self.registry[a]
        for d in reversed(self._family_definitions.get(fam.name, ())):
            if d.lhs.kind == "label":
                if d.lhs.label != idx[0]:
                    continue
                value = self.ev(d.rhs, {})
            elif (env := self._bind(d, layer, idx)) is None:
                continue
            elif len(d.lhs.subs) == len(idx):
                value = self.ev(d.rhs, env)
            else:  # an array definition: the entry at the remaining subscripts
                key = (d.order, tuple(sorted(env.items())))
                if key not in self._arrays:
                    self._arrays[key] = self.ev(d.rhs, env)
                arr = self._arrays[key]
                rest = idx[len(d.lhs.subs):]
                value = arr[rest[0] - 1, rest[1] - 1] if len(rest) == 2 else \
                    arr[rest[0] - 1, 0] if arr.shape[1] == 1 else arr[0, rest[0] - 1]
            if isinstance(value, sp.MatrixBase):
                raise Located(f"the definition at line {d.lhs.pos[0]} gives a matrix for one entry", d.lhs.pos)
            return value
        raise OutOfRange(f"no definition covers {show_atom(fam, layer, idx)} ({self.inst}); "
                         f"{fam.name} is defined in this document, so it is not an input")

    def binds(self, d: Definition, layer, idx) -> bool:
        """Whether definition d defines the entry (layer, idx) (a prefix of idx for an array one)."""
        return self._bind(d, layer, idx) is not None

    def _bind(self, d: Definition, layer, idx) -> dict | None:
        lhs_layer, lhs_subs = d.lhs.layer, d.lhs.subs
        env: dict = {}
        pairs = ([(lhs_layer, layer)] if lhs_layer is not None else []) + list(zip(lhs_subs, idx))
        for node, value in pairs:
            if node.kind == "index":
                if env.get(node.name, value) != value:
                    return None
                env[node.name] = value
            elif self.ival(node, {}) != value:
                return None
        if not all(self.holds(c, env) for c in d.conditions):
            return None
        return env

    def holds(self, cond: Node, env: dict) -> bool:
        sides, ops = cond.sides, cond.ops
        vals = [self.ival(s, env) for s in sides]
        return all({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
                    "!=": a != b}[op]
                   for a, op, b in zip(vals, ops, vals[1:]))

    # ---------------------------------------------------------------- integer expressions
    def ival(self, n: Node, env: dict) -> int:
        k = n.kind
        if k == "num":
            if n.value.denominator != 1:
                raise Located("an index must be an integer", n.pos)
            return int(n.value)
        if k == "index":
            if n.name not in env:
                raise Located(f"index {n.name} has no value here", n.pos)
            return env[n.name]
        if k == "L":
            return self.inst.L
        if k == "m":
            if self.inst.m is None:
                raise Located("m (the batch size) is used but checker.batch is not given", n.pos)
            return self.inst.m
        if k == "width":
            at = self.ival(n.layer, env)
            if not 0 <= at <= self.inst.L:
                raise OutOfRange(f"n_{at} does not exist: layers are 0..{self.inst.L} ({self.inst})", n.pos)
            return self.inst.n[at]
        if k in ("add", "sub", "mul"):
            a, b = self.ival(n.left, env), self.ival(n.right, env)
            return a + b if k == "add" else a - b if k == "sub" else a * b
        if k == "neg":
            return -self.ival(n.arg, env)
        raise Located("not an index expression (indices, L, m, n_l, integers, + - ·)", n.pos)

    # ---------------------------------------------------------------- values
    def ev(self, n: Node, env: dict, params: dict | None = None):
        """The IR node's value: a SymPy expression in atoms, or an ImmutableMatrix of them."""
        self.spend(1)
        k, a = n.kind, n.args
        if k == "num":
            return sp.Rational(a[0].numerator, a[0].denominator)
        if k in ("index", "L", "m", "width"):
            return sp.Integer(self.ival(n, env))
        if k == "param":
            return params[a[0]]
        if k == "label":
            return self.atom(self.model.families[a[0]], None, (a[1],), n.pos)
        if k == "atom":
            return self.atom_value(n, env)
        if k == "ones":
            return sp.ImmutableMatrix.ones(self.ival(a[0], env), 1)
        if k == "exp":
            return _elementwise(sp.exp, self.ev(a[0], env, params))
        if k == "neg":
            return -self.ev(a[0], env, params)
        if k in ("add", "sub", "mul", "hadamard", "div", "pow"):
            x, y = self.ev(a[0], env, params), self.ev(a[1], env, params)
            self.spend(_cost(k, x, y))
            return _binary(k, x, y, n.pos)
        if k == "transpose":
            x = self.ev(a[0], env, params)
            if not isinstance(x, sp.MatrixBase):
                raise Located("^T of a scalar: transpose a vector or a matrix", n.pos)
            return x.T
        if k == "call":
            return self._call(n, env, params)
        if k in ("abs", "norm", "max", "min", "cases"):
            return self._piecewise(n, env, params)
        if k == "sum":
            return self._sum(n, env, params)
        if k == "deriv":
            return self._derivative(n, env, params)
        raise Located(f"cannot evaluate {k}", n.pos)  # pragma: no cover - every IR kind is above

    def atom_value(self, n: Node, env: dict):
        name, layer_node, subs = n.family, n.layer, n.subs
        fam = self.model.families[name]
        layer = self.ival(layer_node, env) if layer_node is not None else None
        idx = tuple(self.ival(s, env) for s in subs)
        rest = len(fam.slots) - len(idx)
        if rest == 0:
            return self.atom(fam, layer, idx, n.pos)
        key = (name, layer, idx)
        if key not in self._sub_arrays:   # made once: its entries are atoms, the same each time
            self._sub_arrays[key] = self._sub_array(fam, layer, idx, rest, n)
        return self._sub_arrays[key]

    def _sub_array(self, fam: Family, layer, idx: tuple, rest: int, n: Node):
        """The row, column or matrix of atoms that fam's first subscripts idx leave free."""
        self.check_range(fam, layer, idx, n.pos)
        ranges = [self.slot_range(fam, s, layer) for s in range(len(idx), len(fam.slots))]
        if rest == 1:
            col = [self.atom(fam, layer, idx + (v,), n.pos) for v in ranges[0]]
            return sp.ImmutableMatrix(1, len(col), col) if idx else sp.ImmutableMatrix(len(col), 1, col)
        if rest == 2:
            return sp.ImmutableMatrix([[self.atom(fam, layer, idx + (r, c), n.pos) for c in ranges[1]]
                                       for r in ranges[0]])
        raise Located(f"{fam.name} with {len(idx)} subscripts is a {rest}-dimensional array; give more", n.pos)

    def _piecewise(self, n: Node, env, params):
        """|x| (elementwise), ‖v‖ (Euclidean, of a vector or matrix), max/min of two scalars, and
        cases: the first branch whose condition holds (at the point), else the `otherwise` one."""
        k = n.kind
        if k == "abs":
            return _elementwise(sp.Abs, self.ev(n.arg, env, params))
        if k == "norm":
            x = self.ev(n.arg, env, params)
            return sp.sqrt(sum(e ** 2 for e in x)) if isinstance(x, sp.MatrixBase) else sp.Abs(x)
        if k in ("max", "min"):
            a, b = self.ev(n.left, env, params), self.ev(n.right, env, params)
            if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
                raise Located(f"\\{k} of a vector or matrix: write it for one entry", n.pos)
            return (sp.Max if k == "max" else sp.Min)(a, b)
        pieces = []
        branches = n.branches
        for value, cond in zip(branches[::2], branches[1::2]):
            v = self.ev(value, env, params)
            if isinstance(v, sp.MatrixBase):
                raise Located("a case's value is a matrix: write cases for one entry", value.pos)
            if cond is None:
                pieces.append((v, True))
                continue
            left, right = self.ev(cond.left, env, params), self.ev(cond.right, env, params)
            relation = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan,
                        ">=": sp.GreaterThan, "==": sp.Eq, "!=": sp.Ne}[cond.op]
            pieces.append((v, relation(left, right)))
        return sp.Piecewise(*pieces)

    def _call(self, n: Node, env, params):
        fname, primes, arg_node = n.name, n.primes, n.arg
        arg = self.ev(arg_node, env, params)
        if fname in BUILTIN_FUNCTIONS:
            return _elementwise(BUILTIN_FUNCTIONS[fname], arg)
        t, body = self.function(fname, primes, n.pos)
        if self.functions[fname] == "undefined":   # subs keeps f'(t) a derivative at v: Subs(...)
            return _elementwise(lambda v: body.subs(t, v), arg)
        return _elementwise(lambda v: body.xreplace({t: v}), arg)

    def function(self, fname: str, primes: int, pos):
        """(t, the function's body in t differentiated `primes` times), cached until a new definition."""
        key = ("fn", fname, primes)
        if key not in self._arrays:
            if primes:
                t, body = self.function(fname, primes - 1, pos)
                self._arrays[key] = t, self.diff(body, t)
                return self._arrays[key]
            if fname in self._opening:
                loop = " → ".join(self._opening[self._opening.index(fname):] + [fname])
                raise Located(f"circular definitions: {shown(loop)}", pos)
            self._opening.append(fname)
            try:
                self._arrays[key] = self._nest(self._body, fname, pos)
            finally:
                if fname in self._opening:
                    self._opening.remove(fname)
        return self._arrays[key]

    def _body(self, fname: str, pos) -> tuple:
        t = sp.Dummy("t")
        if self.functions[fname] == "defined":
            d = next(reversed(self._family_definitions.get(fname, [])), None)
            if d is None:
                raise Located(f"{fname} is used before its definition", pos)
            return t, self.ev(d.rhs, {}, {d.param: t})
        if self.functions[fname] == "undefined":
            return t, sp.Function(fname)(t)
        kind = self.functions[fname]   # one of `any`'s six, or an activation of the records named directly
        return t, ANY[kind](t) if kind in ANY else concrete(kind, t)

    def _sum(self, n: Node, env, params):
        var, lo, hi, body = n.var, n.lo, n.hi, n.body
        if lo is not None:
            values = range(self.ival(lo, env), self.ival(hi, env) + 1)
        else:
            values = self._infer_range(var, body, env, n.pos)
        terms = [self.ev(body, {**env, var: v}, params) for v in values]
        if not terms:
            return sp.Integer(0)
        total = terms[0]
        for t in terms[1:]:
            total = _binary("add", total, t, n.pos)
        return total

    def _infer_range(self, var: str, body: Node, env: dict, pos) -> range:
        for node, s in range_sources(body, var):
            fam = self.model.families[node.family]
            if s is None:
                return self.layer_range(fam)
            try:
                layer = self.ival(node.layer, env) if node.layer is not None else None
            except Located:
                continue  # the layer depends on an index not bound yet
            return self.slot_range(fam, s, layer)
        raise Located(f"cannot tell the range of {var} from the sum's terms: write "
                       f"\\sum_{{{var}=1}}^{{...}}", pos)

    # ---------------------------------------------------------------- derivatives
    def _derivative(self, n: Node, env, params):
        of_node, wrt_node = n.of, n.wrt
        if wrt_node.kind == "param":
            raise Located("differentiate a defined function with a prime: f'(t)", n.pos)
        of = self.ev(of_node, env, params)
        wrt = self.ev(wrt_node, env, params)
        if isinstance(wrt, sp.MatrixBase):
            if isinstance(of, sp.MatrixBase):
                raise Located("the derivative of a matrix with respect to a matrix is not in the dialect", n.pos)
            return wrt.applyfunc(lambda t: self.d(of, t))
        if wrt not in self.registry:
            raise Located("differentiate with respect to a single symbol", wrt_node.pos)
        return _elementwise(lambda e: self.d(e, wrt), of)

    def diff(self, e, u):
        """d e / d u (_diff_rule), each distinct pair once, its work counted against the budget:
        a derivative of a derivative grows without bound (30 nested ones would take hours), and
        the budget, not a clock, is what stops it. The work of one rule is about its node's
        arguments, squared for a product (the product rule builds one product per factor)."""
        key = (e, u)
        done = self._diffs.get(key)
        if done is None:
            k = len(e.args)
            self.spend(1 + (k * k if e.is_Mul else k))
            done = self._diffs[key] = _diff_rule(e, u, self.diff)
        return done

    def d(self, expr, t):
        """d expr / d t along the definitions, t's own definition cut (the chain rule over atoms)."""
        if not isinstance(expr, sp.Basic) or expr.is_Number:
            return sp.Integer(0)
        return self._gradient(expr).get(t, sp.Integer(0))

    def _gradient(self, expr) -> dict:
        """{atom: d expr / d atom} for every atom expr depends on, in one reverse sweep over the
        definitions (adjoints, as backpropagation itself does): each definition is differentiated
        once per use, so ∂C/∂w^l for every entry costs about one pass, not one pass per entry. An
        atom's adjoint sums the paths through it, so reading it is the derivative with the
        atom's own definition cut."""
        if expr in self._dd:
            return self._dd[expr]
        terms = {s: [self.diff(expr, s)] for s in _free(expr) if s in self.registry}
        adjoint = {}
        for s in self._parents_first(list(terms)):
            # parents first: every path into s has added its term by now, so one Add sums them
            a = adjoint[s] = sp.Add(*terms.pop(s, ()))
            if a == 0:
                continue
            for u, partial in self._partials(s):
                self.spend(1)
                # unevaluated: SymPy's canonical product of two large factors was most of the
                # checker's time, and the Add below, the values and the proofs read it the same
                terms.setdefault(u, []).append(a if partial == 1 else sp.Mul(a, partial, evaluate=False))
        for u, pending in terms.items():  # inputs: nothing to pass on
            adjoint[u] = sp.Add(*pending)
        self._dd[expr] = adjoint
        return adjoint

    def _partials(self, s) -> list:
        """[(u, ∂ definition(s) / ∂u)] for each atom u that s's definition uses directly."""
        if s not in self._partial:
            definition = self.definition_of(s)
            self._partial[s] = [(u, self.diff(definition, u)) for u in _free(definition)
                                if u in self.registry]
        return self._partial[s]

    def _parents_first(self, roots: list) -> list:
        """The defined atoms reachable from roots, each before every atom its definition uses."""
        done, order = set(), []
        for root in roots:
            stack = [(root, False)]
            while stack:
                s, expanded = stack.pop()
                if expanded:
                    order.append(s)
                    continue
                if s in done or self.is_input(s):
                    continue
                done.add(s)
                stack.append((s, True))
                stack.extend((u, False) for u in _free(self.definition_of(s))
                             if u in self.registry and u not in done)
        return order[::-1]

    def full(self, expr):
        """expr with every defined atom replaced by its definition, all the way down to the inputs
        (each definition expanded once, those it uses first: no recursion, a chain of any length)."""
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(self.full)
        for s in reversed(self._parents_first([u for u in _free(expr) if u in self.registry])):
            if s not in self._full:
                self._full[s] = self._expanded(self.definition_of(s))
        return self._expanded(expr)

    def _expanded(self, expr):
        subs = {s: self._full[s] for s in _free(expr) if s in self.registry and not self.is_input(s)}
        if not subs:
            return expr
        # xreplace would also replace a symbol a derivative is taken with respect to
        return expr.subs(subs, simultaneous=True) if self.undefined else expr.xreplace(subs)

    def value(self, expr, digits: int = DIGITS):
        """The mpmath value at `digits` significant digits (a matrix becomes a list of rows). A value
        that is not a finite real number there is tried again at more digits (1 − σ(300) is 0 at 50
        digits, and its logarithm no number); one that has none at MAX_DIGITS either (1/0, ln of a
        negative number) is a located error, not a crash."""
        if isinstance(expr, sp.MatrixBase):
            return [[self._real(e, digits) for e in row] for row in expr.tolist()]
        return self._real(expr, digits)

    def evaluator(self, digits: int) -> "_Numeric":
        if digits not in self.numeric:
            self.numeric[digits] = _Numeric(self, digits)
        return self.numeric[digits]

    def _real(self, e, digits: int):
        """Tried again at more digits only where rounding can be the cause: a division by a zero,
        an infinite or undefined result (log of a 0 that cancelled). An overflow or a value of no
        kind (a symbol with no value) is final at once: more digits would only take longer."""
        for more in (d for d in (digits, 4 * digits, MAX_DIGITS) if d >= digits):
            try:
                v = self.evaluator(more)(e)
            except (ValueError, ZeroDivisionError):
                v = None
            except (TypeError, OverflowError):
                break
            if isinstance(v, mpmath.mpf) and mpmath.isfinite(v):
                return v
            self.spend(more)   # work, against the equation's budget
        raise Located(f"a side has no finite real value here ({sp.sstr(e)[:60]}): "
                      f"division by zero, ln or a root of a negative number, or an overflow, at {MAX_DIGITS} digits too")

    def inputs_of(self, expr) -> dict:
        """Every input atom the expression depends on, with its value."""
        seen, stack, found = set(), list(_atoms(expr, self.registry)), {}
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            if self.is_input(s):
                found[s] = self.input_value(s)
            else:
                stack.extend(_atoms(self.definition_of(s), self.registry))
        return found


@functools.lru_cache(maxsize=1 << 16)
def _free(e) -> frozenset:
    """e.free_symbols, remembered, and built from its arguments' remembered sets: SymPy walks
    the whole tree on each call, which for a derivative of a derivative (subexpressions shared
    many times over) is exponentially more than the distinct subexpressions."""
    if e.is_Symbol:
        return frozenset((e,))
    if not e.args or isinstance(e, _BINDS):
        return frozenset(e.free_symbols)
    return frozenset().union(*map(_free, e.args))


# expressions whose free symbols are not their arguments' (they bind a variable)
_BINDS = (sp.Lambda, sp.Subs, sp.Derivative, sp.Sum, sp.Product, sp.Integral)


def _diff_rule(e, u, d):
    """d e / d u for the expressions the checker builds, one step of the chain rule at a time from
    the one derivative table (checker/derivatives.py); anything else goes to sympy.diff. d is the
    derivative of a part (World.diff: remembered and counted)."""
    if e == u:
        return sp.Integer(1)
    if e.is_Atom or u not in _free(e):
        return sp.Integer(0)
    step = chain_step(e, lambda part: d(part, u))
    return sp.diff(e, u) if step is None else step


FAR_EVERY = 3   # every third point of a size draws its real and positive inputs far from 1


def _draw(domain: str, rng: random.Random, point: int, name: str) -> float:
    """One input value. A real one has magnitude 2^u for u uniform in [-2, 2] (from 1/4 to 4, so
    claims true only near 1 fail), except at every third point (point % 3 == 2), where u is uniform
    in [3, 6] (from 8 to 64, so a claim that clips or saturates beyond 4 fails), and a sign that
    alternates between points (each input is negative at one of any two consecutive points, so
    claims true only for t >= 0 fail); unit is in (0.05, 0.95), positive is 2^u as a real one."""
    if domain == "unit":
        return rng.uniform(0.05, 0.95)
    magnitude = 2.0 ** (rng.uniform(3, 6) if point % FAR_EVERY == FAR_EVERY - 1 else rng.uniform(-2, 2))
    if domain == "positive":
        return magnitude
    first = random.Random(name).random() < 0.5
    return magnitude if first == (point % 2 == 0) else -magnitude


def _atoms(expr, registry) -> list:
    exprs = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    return [s for e in exprs if isinstance(e, sp.Basic) for s in _free(e) if s in registry]


def _elementwise(fn, x):
    return x.applyfunc(fn) if isinstance(x, sp.MatrixBase) else fn(x)


def _binary(kind: str, x, y, pos):
    mx, my = isinstance(x, sp.MatrixBase), isinstance(y, sp.MatrixBase)
    if kind in ("add", "sub", "hadamard"):
        if mx != my or (mx and x.shape != y.shape):
            raise ShapeError(f"{'+' if kind == 'add' else '-' if kind == 'sub' else '⊙'} of shapes "
                           f"{_shape(x)} and {_shape(y)}: nothing is broadcast", pos)
        if kind == "hadamard":
            return x.multiply_elementwise(y) if mx else x * y
        return x + y if kind == "add" else x - y
    if kind == "mul":
        if mx and my and x.shape[1] != y.shape[0]:
            raise ShapeError(f"matrix product of shapes {_shape(x)} and {_shape(y)}", pos)
        return x * y
    if kind == "div":
        if my:
            raise Located("division by a matrix", pos)
        return x / y
    if mx or my:
        raise Located("a power of a matrix (did you mean ^T?)", pos)
    if y.is_Integer and abs(y) > MAX_EXPONENT:
        raise Located(f"the exponent {_short(y)} is beyond the bound of {MAX_EXPONENT} on integer powers", pos)
    if x.is_Rational and y.is_Rational and abs(y) * max(len(str(abs(x.p))), len(str(x.q))) > MAX_DIGITS:
        raise Located(f"{_short(x)}^{_short(y)} has more than {MAX_DIGITS} digits", pos)
    r = x ** y
    if isinstance(r, sp.Pow) and r.exp.is_Integer and abs(r.exp) > MAX_EXPONENT:  # (t^40)^2 = t^80
        raise Located(f"the power {_short(r)} is beyond the bound of {MAX_EXPONENT} on integer powers", pos)
    return r


def _short(x) -> str:
    text = sp.sstr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _cost(kind: str, x, y) -> int:
    """Evaluation steps of one binary operation: entries touched (a matrix product's inner loop)."""
    mx, my = isinstance(x, sp.MatrixBase), isinstance(y, sp.MatrixBase)
    if kind == "mul" and mx and my:
        return x.rows * x.cols * y.cols
    return x.rows * x.cols if mx else y.rows * y.cols if my else 1


def _shape(x) -> str:
    return f"{x.shape[0]}×{x.shape[1]}" if isinstance(x, sp.MatrixBase) else "scalar"


def show_atom(fam: Family, layer, idx) -> str:
    sup = f"^{layer}" if layer is not None else ""
    sub = f"_{{{','.join(map(str, idx))}}}" if idx else ""
    return f"{fam.name}{sup}{sub}"
