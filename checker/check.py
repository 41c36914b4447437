"""The derivation checker: every displayed equation of a Markdown document is verified by program.

A document (see derivations/README.md for the full format) is Markdown that renders on GitHub:

* front matter declares its model: the sizes to instantiate, the symbols (which carry a layer
  superscript, which subscripts they take and their ranges, their domains) and the functions;
* each `$$ … $$` block is one equation. An HTML comment right before it may mark it:
  `<!-- check: definition -->`, `<!-- check: wrong — why -->`, `<!-- check: unchecked — why -->`,
  `<!-- check: implements manual.network.bp2_hidden_error -->` (markers combine with `;`).
  Every unmarked equation is a CLAIM: all sides of its `=` chain are equal.

Meaning. A definition introduces a symbol (`z^l_j = …`, `\\sigma(t) = …`); later definitions of the
same symbol replace earlier ones where they overlap. Symbols never defined are inputs: free
variables, drawn at random inside their domain. ∂A/∂B is the true derivative of A with respect to
B along the definitions (B's own definition cut, so B varies freely), computed by SymPy's `diff`
and the chain rule over the definitions. Index notation is instantiated: for each declared size
(depth ≥ 3 and unequal widths among them) every free index takes every value its first side
allows, every sum runs over its range, and each entry becomes one SymPy symbol, such as w[2,1,3].

Verification. Each claim is evaluated with mpmath at 50 digits at several seeded random points;
a residual beyond 10^-25 of the sides' size is a FAIL, printed with file:line, the equation, the
sizes and indices, every input's value and both sides' values. A claim that passes is also given
to `sympy.simplify` (under a time limit) on the first size and reported "proved" when the
difference simplifies to 0. A `wrong` equation must fail somewhere (its counterexample is printed);
an `unchecked` one must say why. `implements` runs the named manual/ function on the same points
and compares it with the equation. No document text is ever passed to eval, exec or sympify: the
only way in is the lark grammar in `latex.py`.
"""
from __future__ import annotations

import itertools
import random
import re
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mpmath
import sympy as sp
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .grammar import LatexError, Node, parse
from backproof.reference.symbolic import DIGITS, Evaluator

RESIDUAL = mpmath.mpf(10) ** -25   # relative: the sides agree to 25 of the 50 digits computed
PROOF_SECONDS = 0.5                # time limit of the sympy.simplify proof attempt, per equation
EQUATION_SECONDS = 20.0            # evaluation time limit per equation (issue 9: never a hang)
BUILTIN_FUNCTIONS = {"exp": sp.exp, "ln": sp.log, "log": sp.log, "tanh": sp.tanh}
ANY = ("sigmoid", "tanh", "softplus")  # what an activation declared `any` is instantiated as
CONCRETE = {"sigmoid": lambda t: 1 / (1 + sp.exp(-t)), "tanh": sp.tanh,
            "softplus": lambda t: sp.log(1 + sp.exp(t)), "identity": lambda t: t}
DOMAINS = ("real", "unit", "positive", "simplex")
RESERVED = {"L", "n", "m", "e", "T", "top"}
MARKERS = ("definition", "wrong", "unchecked", "implements")


class DocumentError(Exception):
    """Something wrong with a document itself (not a false claim): located, with a message."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


class _Located(Exception):
    """Raised inside an equation; `pos` is (line, column) within it."""

    def __init__(self, message: str, pos=(1, 1)):
        super().__init__(message)
        self.message, self.pos = message, pos


class OutOfRange(_Located):
    """An index outside its declared range (a FAIL of the claim, not a malformed document)."""


class ShapeError(_Located):
    """Operands whose shapes do not fit (a FAIL of the claim: as written it is not even defined)."""


class _Timeout(Exception):
    pass


# ----------------------------------------------------------------------------- the model

@dataclass
class Family:
    """A declared symbol: `w: {layers: 1..L, sub: [n(l), n(l-1)]}` or `eta: {domain: positive}`."""

    name: str
    layers: tuple | None = None      # (low, high) as strings over L, e.g. ("1", "L")
    slots: tuple = ()                # each "n(l)", "n(l-1)", "n(L)", "n(0)", "m", optionally "+1"
    labels: tuple | None = None      # out_{h1}: the subscript is part of the name
    domain: str = "real"


_SLOT = re.compile(r"^(?:n\((l|L|\d+)([+-]\d+)?\)|m)([+-]\d+)?$")
_RANGE = re.compile(r"^(\d+|L)(?:-(\d+))?\.\.(\d+|L)(?:-(\d+))?$")


@dataclass
class Model:
    sizes: list
    batch: list
    points: int
    seed: int
    indices: tuple
    families: dict
    functions: dict      # name -> "any" | "defined" | a CONCRETE name


def read_model(front: dict | None, where: str) -> Model:
    """The front matter's `checker:` mapping, validated key by key."""
    if not isinstance(front, dict) or not isinstance(front.get("checker"), dict):
        raise DocumentError(where, "front matter must have a `checker:` mapping (see derivations/README.md)")
    spec = dict(front["checker"])
    known = {"sizes", "batch", "points", "seed", "indices", "symbols", "functions"}
    if set(spec) - known:
        raise DocumentError(where, f"unknown checker keys {sorted(set(spec) - known)}; expected {sorted(known)}")
    sizes = spec.get("sizes", [[2, 3, 2], [3, 2, 4, 2]])
    if (not isinstance(sizes, list) or not sizes or
            not all(isinstance(s, list) and len(s) >= 2 and all(type(v) is int and v >= 1 for v in s)
                    for s in sizes)):
        raise DocumentError(where, f"checker.sizes: expected a list of layer-size lists [n_0, ..., n_L] "
                                   f"with every n_l >= 1, got {sizes!r}")
    batch = spec.get("batch", [None] * len(sizes))
    if not isinstance(batch, list) or len(batch) != len(sizes) or \
            not all(b is None or (type(b) is int and b >= 1) for b in batch):
        raise DocumentError(where, f"checker.batch: expected one batch size >= 1 per entry of sizes, got {batch!r}")
    points, seed = spec.get("points", 3), spec.get("seed", 0)
    if type(points) is not int or not 1 <= points <= 20:
        raise DocumentError(where, f"checker.points: expected an integer in 1..20, got {points!r}")
    if type(seed) is not int:
        raise DocumentError(where, f"checker.seed: expected an integer, got {seed!r}")
    indices = spec.get("indices", ["i", "j", "k", "l"])
    if not isinstance(indices, list) or not all(isinstance(i, str) and len(i) == 1 for i in indices):
        raise DocumentError(where, f"checker.indices: expected single letters, got {indices!r}")
    families = {}
    for name, decl in (spec.get("symbols") or {}).items():
        families[str(name)] = _family(str(name), decl or {}, where)
    functions = {}
    for name, kind in (spec.get("functions") or {}).items():
        if kind not in ("any", "defined", *CONCRETE):
            raise DocumentError(where, f"checker.functions.{name}: expected any, defined or one of "
                                       f"{sorted(CONCRETE)}, got {kind!r}")
        functions[str(name)] = kind
    for name in list(families) + list(functions):
        if name in RESERVED or name in indices or name in BUILTIN_FUNCTIONS:
            raise DocumentError(where, f"symbol {name!r} is reserved (L, n, m, e, T, the index letters "
                                       f"and exp/ln/log/tanh have fixed meanings)")
    both = set(families) & set(functions)
    if both:
        raise DocumentError(where, f"{sorted(both)} declared both as symbols and as functions")
    return Model(sizes, batch, points, seed, tuple(indices), families, functions)


def _family(name: str, decl: dict, where: str) -> Family:
    if not isinstance(decl, dict) or set(decl) - {"layers", "sub", "labels", "domain"}:
        raise DocumentError(where, f"symbol {name}: expected a mapping with keys layers, sub, labels, domain")
    layers = decl.get("layers")
    if layers is not None:
        if not isinstance(layers, str) or not _RANGE.match(layers.replace(" ", "")):
            raise DocumentError(where, f"symbol {name}: layers: expected a range like 1..L or 0..L-1, got {layers!r}")
        layers = tuple(layers.replace(" ", "").split(".."))
    slots = decl.get("sub", [])
    if not isinstance(slots, list) or not all(isinstance(s, str) and _SLOT.match(s.replace(" ", "")) for s in slots):
        raise DocumentError(where, f"symbol {name}: sub: expected a list of n(l), n(l-1), n(L), n(0), m "
                                   f"(optionally +1), got {slots!r}")
    labels = decl.get("labels")
    if labels is not None:
        if slots or layers or not isinstance(labels, list) or not labels:
            raise DocumentError(where, f"symbol {name}: labels: a non-empty list, and no layers or sub with it")
        labels = tuple(str(v) for v in labels)
    domain = decl.get("domain", "real")
    if domain not in DOMAINS:
        raise DocumentError(where, f"symbol {name}: domain: expected one of {DOMAINS}, got {domain!r}")
    return Family(name, layers, tuple(s.replace(" ", "") for s in slots), labels, domain)


# ----------------------------------------------------------------------------- the document

@dataclass
class Marked:
    """One displayed equation with its markers and where it is."""

    text: str
    line: int          # file line of the equation's first character (1-based)
    column: int
    markers: dict      # definition / wrong / unchecked / implements -> reason or target ("" if none)

    def where(self, path: str, pos=(1, 1)) -> str:
        line = self.line + pos[0] - 1
        col = (self.column + pos[1] - 1) if pos[0] == 1 else pos[1]
        return f"{path}:{line}:{col}"


_MD = (MarkdownIt("commonmark").use(front_matter_plugin)
       .use(dollarmath_plugin, double_inline=True).use(amsmath_plugin))


def read_document(path: str | Path) -> tuple[Model, list[Marked]]:
    """Parse a document into its model and its displayed equations, or raise DocumentError."""
    path = str(path)
    text = Path(path).read_text(encoding="utf-8")
    tokens = _MD.parse(text)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    front = None
    equations: list[Marked] = []
    pending: tuple[dict, int] | None = None
    for tok in tokens:
        if tok.type == "front_matter":
            try:
                front = yaml.safe_load(tok.content)
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = tok.map[0] + 2 + (mark.line if mark else 0)
                raise DocumentError(f"{path}:{line}", f"front matter is not valid YAML: {e}") from None
            continue
        if tok.type == "html_block" and tok.content.lstrip().startswith("<!-- check:"):
            if pending is not None:
                raise DocumentError(f"{path}:{pending[1]}", "a check: marker is not followed by an equation")
            pending = (_markers(tok.content, f"{path}:{tok.map[0] + 1}"), tok.map[0] + 1)
            continue
        if tok.type in ("math_block", "math_block_label", "amsmath"):
            start = line_starts[tok.map[0]]
            body = tok.content.strip()
            offset = text.find(body, start)
            line = text.count("\n", 0, offset) + 1
            column = offset - line_starts[line - 1] + 1
            equations.append(Marked(body, line, column, pending[0] if pending else {}))
            pending = None
            continue
        if pending is not None and tok.type not in ("paragraph_close",):
            raise DocumentError(f"{path}:{pending[1]}", "a check: marker must come right before its $$ equation")
        if tok.type == "inline":
            line = tok.map[0] + 1
            for child in tok.children or []:
                if child.type == "math_inline_double":
                    raise DocumentError(f"{path}:{line}", "a $$ equation inside a paragraph: put $$ on "
                                                         "lines of their own, with a blank line before")
                if child.type == "text" and "$$" in child.content:
                    raise DocumentError(f"{path}:{line}", "unbalanced $$: this one is never closed")
                line += child.type in ("softbreak", "hardbreak")
    if pending is not None:
        raise DocumentError(f"{path}:{pending[1]}", "a check: marker at the end of the document")
    return read_model(front, f"{path}:1"), equations


def _markers(comment: str, where: str) -> dict:
    body = comment.strip()[len("<!-- check:"):]
    if not body.rstrip().endswith("-->"):
        raise DocumentError(where, "a check: marker must be one comment `<!-- check: ... -->`")
    found = {}
    for part in re.split(r";\s*(?=(?:%s)\b)" % "|".join(MARKERS), body.rstrip()[:-3]):
        word, _, rest = part.strip().partition(" ")
        reason = rest.strip().lstrip("—-:").strip()
        if word not in MARKERS:
            raise DocumentError(where, f"unknown marker {word!r}; expected one of {MARKERS}")
        if word in ("wrong", "unchecked", "implements") and not reason:
            raise DocumentError(where, f"marker {word!r} needs " +
                                ("a manual/ function name" if word == "implements" else "a reason"))
        found[word] = reason
    if "definition" in found and ("wrong" in found or "unchecked" in found):
        raise DocumentError(where, "a definition cannot also be wrong or unchecked")
    if "wrong" in found and "unchecked" in found:
        raise DocumentError(where, "an equation is either wrong or unchecked, not both")
    return found


# ----------------------------------------------------------------------------- meaning: tree -> IR

def _ir(kind, *args, pos=(1, 1)) -> Node:
    return Node(kind, tuple(args), pos)


class Resolver:
    """Gives a parsed equation its meaning under the model. IR kinds: num, e, index, L, m, width,
    param, atom (family, layer, subs: fewer subs than slots is a sub-array), label, add, sub, neg,
    mul, hadamard, div, pow, transpose, exp, call (name, primes, arg), ones (size), sum (var, lo,
    hi, body), deriv (of, wrt), condition (sides, ops)."""

    def __init__(self, model: Model, params: frozenset = frozenset()):
        self.model, self.params = model, params

    def __call__(self, n: Node) -> Node:
        method = getattr(self, "_" + n.kind)
        return method(n)

    # leaves
    def _number(self, n):
        return _ir("num", Fraction(n.args[0]), pos=n.pos)

    def _ones(self, n):
        raise _Located("write \\mathbf{1}_m (a column of m ones) with its size as a subscript", n.pos)

    def _name(self, n):
        name = n.args[0]
        if name in self.params:
            return _ir("param", name, pos=n.pos)
        if name == "e":
            return _ir("exp", _ir("num", Fraction(1)), pos=n.pos)
        if name in ("L", "m"):
            return _ir(name, pos=n.pos)
        if name in self.model.indices:
            return _ir("index", name, pos=n.pos)
        fam = self.model.families.get(name)
        if fam is None:
            hint = (f" (a run of letters is one name: write `{' '.join(name)}` for a product)"
                    if len(name) > 1 and name.isalpha() else "")
            if name in self.model.functions or name in BUILTIN_FUNCTIONS:
                raise _Located(f"{name} is a function: call it as {name}(...)", n.pos)
            raise _Located(f"unknown symbol {name!r}: declare it in the front matter{hint}", n.pos)
        if fam.layers:
            raise _Located(f"{name} needs its layer as a superscript, like {name}^l", n.pos)
        if fam.labels:
            raise _Located(f"{name} needs one of its labels as a subscript: {', '.join(fam.labels)}", n.pos)
        return _ir("atom", name, None, (), pos=n.pos)

    # composites
    def _paren(self, n):
        return self(n.args[0])

    def _frac(self, n):
        return _ir("div", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _derivative(self, n):
        of, wrt = self(n.args[0]), self(n.args[1])
        if wrt.kind not in ("atom", "label", "param"):
            raise _Located("differentiate with respect to a symbol (∂/∂w^l_{jk}, ∂/∂z^l, ∂/∂t)", n.args[1].pos)
        return _ir("deriv", of, wrt, pos=n.pos)

    def _call(self, n):
        fname, primes, arg = n.args
        if fname in self.model.functions or fname in BUILTIN_FUNCTIONS:
            if primes and fname in BUILTIN_FUNCTIONS:
                raise _Located(f"write the derivative of {fname} out; primes go on declared functions", n.pos)
            return _ir("call", fname, primes, self(arg), pos=n.pos)
        if primes:
            raise _Located(f"{fname}' : only declared functions take a prime", n.pos)
        base = self(Node("name", (fname,), n.pos, fname))  # a symbol times a parenthesis
        return _ir("mul", base, self(arg), pos=n.pos)

    def _plus(self, n):
        return _ir("add", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _minus(self, n):
        return _ir("sub", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _neg(self, n):
        return _ir("neg", self(n.args[0]), pos=n.pos)

    def _times(self, n):
        return _ir("mul", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _hadamard(self, n):
        return _ir("hadamard", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _divide(self, n):
        return _ir("div", self(n.args[0]), self(n.args[1]), pos=n.pos)

    def _sum(self, n):
        var, lo, hi, body = n.args
        name = var.args[0]
        if name not in self.model.indices:
            raise _Located(f"sum index {name!r} is not one of the declared index letters "
                           f"{', '.join(self.model.indices)}", var.pos)
        return _ir("sum", name, self(lo) if lo else None, self(hi) if hi else None, self(body), pos=n.pos)

    def _condition(self, n):
        sides = tuple(self(a) for a in n.args if isinstance(a, Node))
        ops = tuple(a for a in n.args if isinstance(a, str))
        return _ir("condition", sides, ops, pos=n.pos)

    def _scripted(self, n):
        base, scripts = n.args
        subs = [s for s in scripts if s.kind == "sub"]
        sups = [s for s in scripts if s.kind == "sup"]
        if len(subs) > 1 or len(sups) > 1:
            raise _Located("a double subscript or superscript", n.pos)
        sub, sup = (subs[0] if subs else None), (sups[0] if sups else None)
        name = base.args[0] if base.kind == "name" else None
        if base.kind == "ones":
            if not sub or sup or len(sub.args) != 1:
                raise _Located("write \\mathbf{1}_m: a column of ones with its length as the subscript", n.pos)
            return _ir("ones", self(sub.args[0]), pos=n.pos)
        if name == "n" and base.kind == "name":
            if not sub or sup or len(sub.args) != 1:
                raise _Located("n_l is the width of layer l: write n_{l-1}, n_L", n.pos)
            return _ir("width", self(sub.args[0]), pos=n.pos)
        if name == "e" and base.kind == "name":
            if sub or not sup:
                raise _Located("e takes only a superscript: e^{x}", n.pos)
            return _ir("exp", self._one(sup), pos=n.pos)
        fam = self.model.families.get(name) if name and name not in self.params else None
        if fam is not None:
            if fam.labels is not None:
                label = re.sub(r"^_\{?|\}$|\s", "", sub.text) if sub else None
                if label not in fam.labels:
                    raise _Located(f"{name} takes one of the labels {', '.join(fam.labels)} as its subscript",
                                   n.pos)
                node = _ir("label", name, label, pos=n.pos)
                return self._power(node, sup) if sup else node
            layer = None
            if fam.layers:
                if sup is None:
                    raise _Located(f"{name} needs its layer as a superscript, like {name}^l", n.pos)
                layer, sup = self._one(sup), None
            index_nodes = self._indices(sub, fam) if sub else ()
            node = _ir("atom", name, layer, index_nodes, pos=n.pos)
            return self._power(node, sup) if sup else node
        if sub is not None:
            raise _Located(f"{base.text or name} takes no subscript (is it declared in the front matter?)"
                           if name else "a subscript on an expression", sub.pos)
        return self._power(self(base), sup)

    def _one(self, script):
        if len(script.args) != 1:
            raise _Located("one expression expected in this script", script.pos)
        return self(script.args[0])

    def _power(self, node, sup):
        inner = sup.args[0] if len(sup.args) == 1 else None
        if inner is not None and inner.kind == "name" and inner.args[0] in ("T", "top"):
            return _ir("transpose", node, pos=sup.pos)
        return _ir("pow", node, self._one(sup), pos=sup.pos)

    def _indices(self, sub, fam: Family) -> tuple:
        items = list(sub.args)
        raw = re.sub(r"^_\{?|\}$", "", sub.text)
        if len(items) == 1 and len(raw) > 1 and all(ch in self.model.indices or ch.isdigit() for ch in raw):
            # _{jk}, _{k1}: one index per character, as in w_{jk}
            line, col = items[0].pos
            items = [Node("number" if ch.isdigit() else "name", (ch,), (line, col + i), ch)
                     for i, ch in enumerate(raw)]
        if len(items) > len(fam.slots):
            raise _Located(f"{fam.name} takes {len(fam.slots)} subscript(s), got {len(items)}", sub.pos)
        return tuple(self(i) for i in items)



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
    """mpmath evaluation where an atom's value is its input value or its definition's value."""

    def __init__(self, world: "World"):
        super().__init__({})
        self.world = world

    def _eval(self, e):
        if e in self.world.registry:
            if e not in self.values:
                self.values[e] = (self.world.input_value(e) if self.world.is_input(e)
                                  else self._eval(self.world.definition_of(e)))
            return self.values[e]
        return super()._eval(e)


class World:
    """One instance (sizes) at one random point, with the definitions in force."""

    def __init__(self, model: Model, instance: Instance, point: int, defined: set, deadline: list):
        self.model, self.inst, self.point = model, instance, point
        self.defined_families = defined       # families with a definition somewhere in the document
        self.definitions: list[Definition] = []
        self.functions = {name: ANY[(point + i) % len(ANY)] if kind == "any" else kind
                          for i, (name, kind) in enumerate(sorted(model.functions.items()))}
        self.registry: dict = {}              # atom -> (family, layer, indices)
        self.inputs: dict = {}                # atom -> exact value (never cleared)
        self.deadline = deadline
        self.reset()

    def reset(self):
        """Forget everything derived from definitions (a new definition may replace an old one)."""
        self._defs, self._arrays, self._dd, self._full = {}, {}, {}, {}
        self.numeric = _Numeric(self)

    def add(self, d: Definition):
        self.definitions.append(d)
        self.reset()

    # ---------------------------------------------------------------- atoms
    def atom(self, fam: Family, layer, idx: tuple, pos):
        if fam.labels is None:
            self._check_range(fam, layer, idx, pos)
        if fam.labels is not None:
            a = sp.Symbol(f"{fam.name}_{idx[0]}")
        elif fam.layers is None and not fam.slots:
            a = sp.Symbol(fam.name)
        else:
            a = sp.Symbol(f"{fam.name}[{','.join(map(str, ((layer,) if fam.layers else ()) + tuple(idx)))}]")
        self.registry.setdefault(a, (fam, layer, tuple(idx)))
        return a

    def layer_range(self, fam: Family) -> range:
        lo, hi = (self._size_expr(v) for v in fam.layers)
        return range(lo, hi + 1)

    def slot_range(self, fam: Family, slot: int, layer) -> range:
        m = _SLOT.match(fam.slots[slot])
        which, off, extra = m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)
        if which is None:
            if self.inst.m is None:
                raise _Located(f"{fam.name} has a batch subscript but checker.batch gives no batch size")
            size = self.inst.m
        else:
            at = layer if which == "l" else self.inst.L if which == "L" else int(which)
            at += off
            if not 0 <= at <= self.inst.L:
                raise OutOfRange(f"{fam.name}: layer {at} has no width (layers are 0..{self.inst.L})")
            size = self.inst.n[at]
        return range(1, size + extra + 1)

    def _size_expr(self, text: str) -> int:
        m = re.match(r"^(\d+|L)(?:-(\d+))?$", text)
        base = self.inst.L if m.group(1) == "L" else int(m.group(1))
        return base - int(m.group(2) or 0)

    def _check_range(self, fam: Family, layer, idx, pos):
        if fam.layers is not None and layer not in self.layer_range(fam):
            r = self.layer_range(fam)
            raise OutOfRange(f"{_show_atom(fam, layer, idx)} does not exist: layer {layer} is outside "
                             f"{r.start}..{r.stop - 1} for {self.inst}", pos)
        for s, v in enumerate(idx):
            r = self.slot_range(fam, s, layer)
            if v not in r:
                raise OutOfRange(f"{_show_atom(fam, layer, idx)} does not exist: subscript {s + 1} is {v}, "
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
                    self.inputs[other] = _mp_fraction(wk / sum(weights))
            else:
                rng = random.Random(seed + str(a))
                lo, hi = {"real": (-1.5, 1.5), "unit": (0.05, 0.95), "positive": (0.2, 2.0)}[fam.domain]
                self.inputs[a] = _mp_fraction(Fraction(rng.uniform(lo, hi)))
        return self.inputs[a]

    # ---------------------------------------------------------------- definitions
    def definition_of(self, a):
        if a in self._defs:
            return self._defs[a]
        fam, layer, idx = self.registry[a]
        for d in reversed(self.definitions):
            if d.family != fam.name:
                continue
            if d.lhs.kind == "label":
                if d.lhs.args[1] != idx[0]:
                    continue
                value = self.ev(d.rhs, {})
            elif (env := self._bind(d, layer, idx)) is None:
                continue
            elif len(d.lhs.args[2]) == len(idx):
                value = self.ev(d.rhs, env)
            else:  # an array definition: the entry at the remaining subscripts
                key = (d.order, tuple(sorted(env.items())))
                if key not in self._arrays:
                    self._arrays[key] = self.ev(d.rhs, env)
                arr = self._arrays[key]
                rest = idx[len(d.lhs.args[2]):]
                value = arr[rest[0] - 1, rest[1] - 1] if len(rest) == 2 else \
                    arr[rest[0] - 1, 0] if arr.shape[1] == 1 else arr[0, rest[0] - 1]
            if isinstance(value, sp.MatrixBase):
                raise _Located(f"the definition at line {d.lhs.pos[0]} gives a matrix for one entry", d.lhs.pos)
            self._defs[a] = value
            return value
        raise OutOfRange(f"no definition covers {_show_atom(fam, layer, idx)} ({self.inst}); "
                         f"{fam.name} is defined in this document, so it is not an input")

    def _bind(self, d: Definition, layer, idx) -> dict | None:
        _, lhs_layer, lhs_subs = d.lhs.args
        env: dict = {}
        pairs = ([(lhs_layer, layer)] if lhs_layer is not None else []) + list(zip(lhs_subs, idx))
        for node, value in pairs:
            if node.kind == "index":
                if env.get(node.args[0], value) != value:
                    return None
                env[node.args[0]] = value
            elif self.ival(node, {}) != value:
                return None
        if not all(self.holds(c, env) for c in d.conditions):
            return None
        return env

    def holds(self, cond: Node, env: dict) -> bool:
        sides, ops = cond.args
        vals = [self.ival(s, env) for s in sides]
        return all({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
                    "!=": a != b}[op]
                   for a, op, b in zip(vals, ops, vals[1:]))

    # ---------------------------------------------------------------- integer expressions
    def ival(self, n: Node, env: dict) -> int:
        k = n.kind
        if k == "num":
            if n.args[0].denominator != 1:
                raise _Located("an index must be an integer", n.pos)
            return int(n.args[0])
        if k == "index":
            if n.args[0] not in env:
                raise _Located(f"index {n.args[0]} has no value here", n.pos)
            return env[n.args[0]]
        if k == "L":
            return self.inst.L
        if k == "m":
            if self.inst.m is None:
                raise _Located("m (the batch size) is used but checker.batch is not given", n.pos)
            return self.inst.m
        if k == "width":
            at = self.ival(n.args[0], env)
            if not 0 <= at <= self.inst.L:
                raise OutOfRange(f"n_{at} does not exist: layers are 0..{self.inst.L} ({self.inst})", n.pos)
            return self.inst.n[at]
        if k in ("add", "sub", "mul"):
            a, b = self.ival(n.args[0], env), self.ival(n.args[1], env)
            return a + b if k == "add" else a - b if k == "sub" else a * b
        if k == "neg":
            return -self.ival(n.args[0], env)
        raise _Located("not an index expression (indices, L, m, n_l, integers, + - ·)", n.pos)

    # ---------------------------------------------------------------- values
    def ev(self, n: Node, env: dict, params: dict | None = None):
        """The IR node's value: a SymPy expression in atoms, or an ImmutableMatrix of them."""
        if time.monotonic() > self.deadline[0]:
            raise _Timeout()
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
            return self._atom_value(n, env)
        if k == "ones":
            return sp.ImmutableMatrix.ones(self.ival(a[0], env), 1)
        if k == "exp":
            return _elementwise(sp.exp, self.ev(a[0], env, params))
        if k == "neg":
            return -self.ev(a[0], env, params)
        if k in ("add", "sub", "mul", "hadamard", "div", "pow"):
            x, y = self.ev(a[0], env, params), self.ev(a[1], env, params)
            return _binary(k, x, y, n.pos)
        if k == "transpose":
            x = self.ev(a[0], env, params)
            if not isinstance(x, sp.MatrixBase):
                raise _Located("^T of a scalar: transpose a vector or a matrix", n.pos)
            return x.T
        if k == "call":
            return self._call(n, env, params)
        if k == "sum":
            return self._sum(n, env, params)
        if k == "deriv":
            return self._derivative(n, env, params)
        raise _Located(f"cannot evaluate {k}", n.pos)  # pragma: no cover - every IR kind is above

    def _atom_value(self, n: Node, env: dict):
        name, layer_node, subs = n.args
        fam = self.model.families[name]
        layer = self.ival(layer_node, env) if layer_node is not None else None
        idx = tuple(self.ival(s, env) for s in subs)
        rest = len(fam.slots) - len(idx)
        if rest == 0:
            return self.atom(fam, layer, idx, n.pos)
        self._check_range(fam, layer, idx, n.pos)
        ranges = [self.slot_range(fam, s, layer) for s in range(len(idx), len(fam.slots))]
        if rest == 1:
            col = [self.atom(fam, layer, idx + (v,), n.pos) for v in ranges[0]]
            return sp.ImmutableMatrix(1, len(col), col) if idx else sp.ImmutableMatrix(len(col), 1, col)
        if rest == 2:
            return sp.ImmutableMatrix([[self.atom(fam, layer, idx + (r, c), n.pos) for c in ranges[1]]
                                       for r in ranges[0]])
        raise _Located(f"{name} with {len(idx)} subscripts is a {rest}-dimensional array; give more", n.pos)

    def _call(self, n: Node, env, params):
        fname, primes, arg_node = n.args
        arg = self.ev(arg_node, env, params)
        if fname in BUILTIN_FUNCTIONS:
            return _elementwise(BUILTIN_FUNCTIONS[fname], arg)
        t, body = self._function(fname, primes, n.pos)
        return _elementwise(lambda v: body.xreplace({t: v}), arg)

    def _function(self, fname: str, primes: int, pos):
        """(t, the function's body in t differentiated `primes` times), cached until a new definition."""
        key = ("fn", fname, primes)
        if key not in self._arrays:
            if primes:
                t, body = self._function(fname, primes - 1, pos)
                self._arrays[key] = t, sp.diff(body, t)
            else:
                t = sp.Dummy("t")
                if self.functions[fname] == "defined":
                    d = next((d for d in reversed(self.definitions) if d.family == fname), None)
                    if d is None:
                        raise _Located(f"{fname} is used before its definition", pos)
                    self._arrays[key] = t, self.ev(d.rhs, {}, {d.param: t})
                else:
                    self._arrays[key] = t, CONCRETE[self.functions[fname]](t)
        return self._arrays[key]

    def _sum(self, n: Node, env, params):
        var, lo, hi, body = n.args
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
        for node in _in_order(body, var):
            if node.kind != "atom":
                continue
            fam = self.model.families[node.args[0]]
            layer_node, subs = node.args[1], node.args[2]
            if layer_node is not None and layer_node.kind == "index" and layer_node.args[0] == var:
                return self.layer_range(fam)
            for s, sub in enumerate(subs):
                if sub.kind == "index" and sub.args[0] == var:
                    try:
                        layer = self.ival(layer_node, env) if layer_node is not None else None
                    except _Located:
                        continue  # the layer depends on an index not bound yet
                    return self.slot_range(fam, s, layer)
        raise _Located(f"cannot tell the range of {var} from the sum's terms: write "
                       f"\\sum_{{{var}=1}}^{{...}}", pos)

    # ---------------------------------------------------------------- derivatives
    def _derivative(self, n: Node, env, params):
        of_node, wrt_node = n.args
        if wrt_node.kind == "param":
            raise _Located("differentiate a defined function with a prime: f'(t)", n.pos)
        of = self.ev(of_node, env, params)
        wrt = self.ev(wrt_node, env, params)
        if isinstance(wrt, sp.MatrixBase):
            if isinstance(of, sp.MatrixBase):
                raise _Located("the derivative of a matrix with respect to a matrix is not in the dialect", n.pos)
            return wrt.applyfunc(lambda t: self.d(of, t))
        if wrt not in self.registry:
            raise _Located("differentiate with respect to a single symbol", wrt_node.pos)
        return _elementwise(lambda e: self.d(e, wrt), of)

    def d(self, expr, t):
        """d expr / d t along the definitions, t's own definition cut (the chain rule over atoms)."""
        if not isinstance(expr, sp.Basic) or expr.is_Number:
            return sp.Integer(0)
        total = sp.Integer(0)
        for s in expr.free_symbols:
            if s not in self.registry:
                continue
            ds = sp.Integer(1) if s == t else self._d_atom(s, t)
            if ds != 0:
                total += sp.diff(expr, s) * ds
        return total

    def _d_atom(self, s, t):
        key = (s, t)
        if key not in self._dd:
            self._dd[key] = sp.Integer(0) if self.is_input(s) else self.d(self.definition_of(s), t)
        return self._dd[key]

    def full(self, expr):
        """expr with every defined atom replaced by its definition, recursively (inputs only)."""
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(self.full)
        subs = {}
        for s in expr.free_symbols:
            if s in self.registry and not self.is_input(s):
                if s not in self._full:
                    self._full[s] = self.full(self.definition_of(s))
                subs[s] = self._full[s]
        return expr.xreplace(subs) if subs else expr

    def value(self, expr):
        """The mpmath value (a matrix becomes a list of rows)."""
        if isinstance(expr, sp.MatrixBase):
            return [[self.numeric(e) for e in expr.row(r)] for r in range(expr.rows)]
        return self.numeric(expr)

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


def _atoms(expr, registry) -> list:
    exprs = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    return [s for e in exprs if isinstance(e, sp.Basic) for s in e.free_symbols if s in registry]


def _in_order(n: Node, var: str):
    """The IR below n in reading order, not entering sums that rebind var."""
    yield n
    if n.kind == "sum" and n.args[0] == var:
        return
    for a in n.args:
        if isinstance(a, Node):
            yield from _in_order(a, var)
        elif isinstance(a, tuple):
            for b in a:
                if isinstance(b, Node):
                    yield from _in_order(b, var)


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
            raise _Located("division by a matrix", pos)
        return x / y
    if mx or my:
        raise _Located("a power of a matrix (did you mean ^T?)", pos)
    return x ** y


def _shape(x) -> str:
    return f"{x.shape[0]}×{x.shape[1]}" if isinstance(x, sp.MatrixBase) else "scalar"


def _mp_fraction(f: Fraction):
    with mpmath.workdps(DIGITS):
        return mpmath.mpf(f.numerator) / f.denominator


def _show_atom(fam: Family, layer, idx) -> str:
    sup = f"^{layer}" if layer is not None else ""
    sub = f"_{{{','.join(map(str, idx))}}}" if idx else ""
    return f"{fam.name}{sup}{sub}"


# ----------------------------------------------------------------------------- checking

STATUSES = ("definition", "proved", "checked", "expected-wrong", "unchecked", "FAIL", "ERROR")


@dataclass
class Outcome:
    where: str          # file:line:column
    equation: str       # as written
    status: str         # one of STATUSES
    detail: str = ""    # the counterexample, the reason or the error
    tie: str | None = None

    @property
    def ok(self) -> bool:
        return self.status not in ("FAIL", "ERROR")


@dataclass
class DocReport:
    path: str
    outcomes: list = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def counts(self) -> dict:
        return {s: sum(o.status == s for o in self.outcomes) for s in STATUSES}

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.ok for o in self.outcomes)


@dataclass
class _Failure:
    message: str
    world: World | None = None
    assign: dict | None = None
    values: list | None = None
    exprs: list | None = None


def check_documents(paths, *, prove: bool = True, seed: int | None = None, on_document=None) -> list[DocReport]:
    """Check every document (a directory means its *.md files except README.md); `seed` replaces
    each document's own seed (other random points, same verdicts)."""
    reports = []
    for path in expand_paths(paths):
        reports.append(check_document(path, prove=prove, seed=seed))
        if on_document:
            on_document(reports[-1])
    return reports


def expand_paths(paths) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.md") if q.name != "README.md"))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"paths: {p} does not exist")
    return out


def check_document(path, *, prove: bool = True, seed: int | None = None) -> DocReport:
    start = time.monotonic()
    report = DocReport(str(path))
    try:
        _Checker(str(path), prove, seed).run(report)
    except DocumentError as e:
        report.error = str(e)
    report.seconds = time.monotonic() - start
    return report


class _Checker:
    def __init__(self, path: str, prove: bool, seed: int | None = None):
        self.path, self.prove, self.seed = path, prove, seed

    def run(self, report: DocReport):
        self.model, equations = read_document(self.path)
        if self.seed is not None:
            self.model.seed = self.seed
        parsed = []
        for eq in equations:
            try:
                parsed.append((eq, self._resolve(eq)))
            except (LatexError, _Located) as e:
                pos = (e.line, e.column) if isinstance(e, LatexError) else e.pos
                report.outcomes.append(Outcome(eq.where(self.path, pos), _one_line(eq.text), "ERROR",
                                               e.message))
                parsed.append((eq, None))
        defined = {d[0] for _, rows in parsed if rows for d in rows if d[0] is not None}
        deadline = [0.0]
        self.instances = [[World(self.model, Instance(n, m), p, defined, deadline)
                           for p in range(self.model.points)]
                          for n, m in zip(self.model.sizes, self.model.batch)]
        self.deferred: list = []
        self.proofs: list = []   # proof attempts running in child processes
        for eq, rows in parsed:
            if rows is None:
                continue
            for family, chain, text, pos in rows:
                deadline[0] = time.monotonic() + EQUATION_SECONDS
                where = eq.where(self.path, pos)
                try:
                    outcome = self._check(eq, family, chain, text, where)
                except _Timeout:
                    outcome = Outcome(where, text, "ERROR", f"took longer than {EQUATION_SECONDS:g} s")
                except _Located as e:
                    outcome = Outcome(eq.where(self.path, e.pos), text, "ERROR", e.message)
                report.outcomes.append(outcome)
        while self.proofs:
            self._settle(self.proofs.pop(0))
        for outcome, d in self.deferred:
            deadline[0] = time.monotonic() + EQUATION_SECONDS
            try:
                problem = self._tie(outcome.tie, (d.lhs, d.rhs), d.conditions)
            except (_Located, _Timeout) as e:
                problem = getattr(e, "message", f"took longer than {EQUATION_SECONDS:g} s")
            if problem:
                outcome.status, outcome.detail = "FAIL", problem
        checked = sum(o.status in ("proved", "checked") for o in report.outcomes)
        if checked == 0 and report.error is None:
            report.error = f"{self.path}:1: no equation was checked (every document needs at least one claim)"

    # ---------------------------------------------------------------- reading one equation
    def _resolve(self, eq: Marked) -> list:
        """[(defined family or None, resolved chain, text, pos)] for each row of the equation."""
        equation = parse(eq.text)
        rows = []
        for chain in equation.chains:
            text = _chain_text(eq.text, chain)
            if "definition" in eq.markers:
                rows.append(self._definition(chain, text))
                continue
            if "unchecked" in eq.markers:  # it must parse, but it need not mean anything
                rows.append((None, ((), ()), text, chain.pos))
                continue
            r = Resolver(self.model)
            sides = tuple(r(s) for s in chain.sides)
            conds = tuple(r(c) for c in chain.conditions)
            rows.append((None, (sides, conds), text, chain.pos))
        return rows

    def _definition(self, chain, text):
        if len(chain.sides) != 2:
            raise _Located("a definition is one `symbol = expression`", chain.pos)
        lhs, rhs = chain.sides
        if lhs.kind == "call" and self.model.functions.get(lhs.args[0]) == "defined":
            fname, primes, arg = lhs.args
            if primes or arg.kind != "paren" or arg.args[0].kind != "name":
                raise _Located(f"define a function as {fname}(t) = ..., with one parameter", lhs.pos)
            param = arg.args[0].args[0]
            body = Resolver(self.model, frozenset({param}))(rhs)
            conds = tuple(Resolver(self.model)(c) for c in chain.conditions)
            return fname, Definition(fname, lhs, body, conds, 0, param), text, chain.pos
        r = Resolver(self.model)
        left = r(lhs)
        if left.kind == "label":
            fam = self.model.families[left.args[0]]
            return fam.name, Definition(fam.name, left, r(rhs), (), 0), text, chain.pos
        if left.kind != "atom":
            raise _Located("a definition's left side is a declared symbol with index letters, "
                           "like z^l_j, a^0_j or C (or a function declared `defined`, like \\sigma(t))", lhs.pos)
        fam = self.model.families[left.args[0]]
        for node in ((left.args[1],) if left.args[1] is not None else ()) + left.args[2]:
            if node.kind not in ("index", "num", "L"):
                raise _Located("on a definition's left side, each index is a letter or a constant", node.pos)
        conds = tuple(r(c) for c in chain.conditions)
        free = _free_indices(r(rhs)) | set().union(*(_free_indices(c) for c in conds))
        lhs_vars = _free_indices(left)
        if free - lhs_vars:
            raise _Located(f"index {sorted(free - lhs_vars)[0]} is free on the right side but not on the left",
                           rhs.pos)
        return fam.name, Definition(fam.name, left, r(rhs), conds, 0), text, chain.pos

    # ---------------------------------------------------------------- one row
    def _check(self, eq: Marked, family, chain, text, where) -> Outcome:
        if family is not None:
            return self._add_definition(eq, chain, text, where)
        sides, conds = chain
        if "unchecked" in eq.markers:
            return Outcome(where, text, "unchecked", eq.markers["unchecked"])
        if len(sides) < 2:
            raise _Located("an equation needs `=`")
        failure, evaluated = self._verify(sides, conds)
        if "wrong" in eq.markers:
            if failure is None:
                return Outcome(where, text, "FAIL", "marked wrong, but it holds at every point checked "
                                                    f"(the erratum says: {eq.markers['wrong']})")
            return Outcome(where, text, "expected-wrong",
                           f"{eq.markers['wrong']}\n" + self._describe(failure))
        if failure is not None:
            return Outcome(where, text, "FAIL", self._describe(failure))
        tie = eq.markers.get("implements")
        if tie:
            problem = self._tie(tie, sides, conds, evaluated)
            if problem:
                return Outcome(where, text, "FAIL", problem, tie)
        outcome = Outcome(where, text, "checked", "", tie)
        if self.prove:
            self._prove_later(outcome, evaluated)
        return outcome

    def _add_definition(self, eq, d: Definition, text, where) -> Outcome:
        d.order = sum(len(w[0].definitions) for w in self.instances[:1])
        for worlds in self.instances:
            for w in worlds:
                w.add(d)
        if d.param is None and d.lhs.kind == "atom":  # evaluate every entry it defines once
            w = self.instances[0][0]
            for assign in self._assignments(w, (d.lhs,), d.conditions):
                try:
                    w.ev(d.rhs, assign)
                except OutOfRange as e:
                    raise _Located(f"{e.message} (at {_show_assign(assign)})", e.pos) from None
        outcome = Outcome(where, text, "definition", "", eq.markers.get("implements"))
        if outcome.tie:  # run once every definition is in (a forward-pass tie needs the later ones)
            self.deferred.append((outcome, d))
        return outcome

    def _assignments(self, w: World, sides, conds) -> list[dict]:
        """Every value of the free indices that the first side allows and the conditions keep."""
        free = set().union(*(_free_indices(s) for s in sides), *(_free_indices(c) for c in conds))
        if not free:
            return [{}]
        refs = [n for n in _free_refs(sides[0])]
        layer_vars = {n.args[1].args[0] for n in refs if n.args[1] is not None and n.args[1].kind == "index"}
        fixed = {v for n in refs for s in ((n.args[1],) if n.args[1] is not None else ()) + n.args[2]
                 for v in _free_indices(s)}
        if free - fixed:
            raise _Located(f"index {sorted(free - fixed)[0]} is free but the left side does not say its range")
        top = max(w.inst.n + [w.inst.m or 0]) + 1
        names = sorted(free)
        candidates = [range(0, w.inst.L + 1) if v in layer_vars else range(1, top + 1) for v in names]
        out = []
        for values in itertools.product(*candidates):
            assign = dict(zip(names, values))
            try:
                if not all(w.holds(c, assign) for c in conds):
                    continue
                for n in refs:
                    fam = self.model.families[n.args[0]]
                    layer = w.ival(n.args[1], assign) if n.args[1] is not None else None
                    w._check_range(fam, layer, tuple(w.ival(s, assign) for s in n.args[2]), n.pos)
            except OutOfRange:
                continue
            out.append(assign)
        if not out:
            raise _Located(f"no value of the indices {', '.join(names)} is allowed ({w.inst})")
        return out

    def _verify(self, sides, conds) -> tuple[_Failure | None, list]:
        """(the first failure or None, every (world, assignment, side expressions) evaluated), so
        the proof attempt and the tie reuse the expressions instead of building them again."""
        evaluated = []
        for worlds in self.instances:
            for assign in self._assignments(worlds[0], sides, conds):
                for w in worlds:
                    try:
                        exprs = [w.ev(s, assign) for s in sides]
                    except (OutOfRange, ShapeError) as e:
                        return _Failure(e.message, w, assign), evaluated
                    evaluated.append((w, assign, exprs))
                    values = [w.value(e) for e in exprs]
                    for i in range(1, len(values)):
                        problem = _differ(values[0], values[i])
                        if problem:
                            return _Failure(f"side 1 and side {i + 1} differ: {problem}", w, assign,
                                            [values[0], values[i]], [exprs[0], exprs[i]]), evaluated
        return None, evaluated

    def _prove_later(self, outcome: Outcome, evaluated: list) -> None:
        """Try to prove the claim exactly: for every index value on the first size, each side minus
        the first is 0. Each difference is first expanded with the defined symbols kept as
        independent atoms (sound: zero for all atom values is zero at theirs), then, with every
        definition substituted, given to `sympy.simplify`. The attempt runs in a forked child
        process, killed PROOF_SECONDS after it starts, so no proof can hang the checker; up to
        one child per CPU runs while the checker goes on with the next equations."""
        w = self.instances[0][0]
        entries = []
        for world, _, exprs in evaluated:
            if world is w:
                for e in exprs[1:]:
                    diff = exprs[0] - e
                    entries.extend(list(diff) if isinstance(diff, sp.MatrixBase) else [diff])
        entries = [e for e in entries if e != 0]
        if not entries:
            outcome.status = "proved"
            return
        if not hasattr(os, "fork"):
            return
        while len(self.proofs) >= (os.cpu_count() or 1):
            self._settle(self.proofs.pop(0))
        child = multiprocessing.get_context("fork").Process(
            target=lambda: os._exit(0 if all(sp.expand(e) == 0 or sp.simplify(w.full(e)) == 0
                                             for e in entries) else 1), daemon=True)
        child.start()
        self.proofs.append((outcome, child, time.monotonic()))

    @staticmethod
    def _settle(proof) -> None:
        outcome, child, started = proof
        child.join(max(0.0, started + PROOF_SECONDS - time.monotonic()))
        if child.exitcode is None:
            child.kill()
            child.join()
        elif child.exitcode == 0:
            outcome.status = "proved"

    def _tie(self, target: str, sides, conds, evaluated: list | None = None) -> str | None:
        """Run the manual/ function the equation names on every evaluated instance and compare it
        with the equation's last side. A function that raises is a failure, not a crash."""
        from . import ties
        try:
            fn = ties.resolve(target)
        except (LookupError, ImportError, AttributeError) as e:
            return str(e)
        if evaluated is None:  # a definition: nothing was evaluated for it yet
            evaluated = [(w, assign, [w.ev(sides[-1], assign)]) for worlds in self.instances
                         for assign in self._assignments(worlds[0], sides, conds) for w in worlds]
        for w, assign, exprs in evaluated:
            want = w.value(exprs[-1])
            try:
                got = fn(ties.View(w), dict(assign))
            except ties.NotApplicable:
                continue
            except Exception as e:  # noqa: BLE001 - whatever the function does wrong is reported
                return (f"{target} raised {type(e).__name__}: {e} at {w.inst}, {_show_assign(assign)}, "
                        f"point {w.point + 1}")
            problem = ties.compare(got, want, _pick(w, sides[0], assign))
            if problem:
                return (f"{target} disagrees with the equation at {w.inst}, "
                        f"{_show_assign(assign)}, point {w.point + 1}: {problem}")
        return None

    def _describe(self, f: _Failure) -> str:
        lines = [f.message]
        if f.world is not None:
            w = f.world
            fn = ", ".join(f"{k} = {v}" for k, v in sorted(w.functions.items()))
            lines.append(f"at {w.inst}" + (f", {_show_assign(f.assign)}" if f.assign else "") +
                         f", point {w.point + 1}" + (f" ({fn})" if fn else ""))
        if f.values is not None:
            inputs = {}
            for e in f.exprs:
                inputs.update(f.world.inputs_of(e))
            shown = ", ".join(f"{_show_sym(s)} = {mpmath.nstr(v, 12)}"
                              for s, v in sorted(inputs.items(), key=lambda kv: str(kv[0])))
            lines.append(f"inputs: {shown}" if shown else "inputs: none")
            lines.append(f"left side  = {_show_value(f.values[0])}")
            lines.append(f"right side = {_show_value(f.values[1])}")
        return "\n".join(lines)


def _pick(w: World, lhs: Node, assign: dict) -> tuple:
    """The subscripts (not the layer) that name the entry the left side is: z^l_j → (j,),
    ∂C/∂w^l_{jk} → (j, k), ∂a_j/∂z_k → (j, k)."""
    nodes = [lhs.args[0], lhs.args[1]] if lhs.kind == "deriv" else [lhs]
    return tuple(w.ival(s, assign) for n in nodes if n.kind == "atom" for s in n.args[2])


def _differ(a, b) -> str | None:
    if isinstance(a, list) != isinstance(b, list):
        return f"one is a matrix ({_vshape(a)}) and the other {_vshape(b)}"
    if isinstance(a, list):
        if _vshape(a) != _vshape(b):
            return f"shapes {_vshape(a)} and {_vshape(b)}"
        for r, (ra, rb) in enumerate(zip(a, b)):
            for c, (x, y) in enumerate(zip(ra, rb)):
                if abs(x - y) > RESIDUAL * (1 + max(abs(x), abs(y))):
                    return f"entry ({r + 1}, {c + 1}): {mpmath.nstr(x, 15)} against {mpmath.nstr(y, 15)}"
        return None
    if abs(a - b) > RESIDUAL * (1 + max(abs(a), abs(b))):
        return f"{mpmath.nstr(a, 15)} against {mpmath.nstr(b, 15)} (residual {mpmath.nstr(abs(a - b), 3)})"
    return None


def _vshape(v) -> str:
    return f"{len(v)}×{len(v[0])}" if isinstance(v, list) else "a scalar"


def _show_value(v) -> str:
    if isinstance(v, list):
        return "[" + "; ".join(", ".join(mpmath.nstr(x, 15) for x in row) for row in v) + "]"
    return mpmath.nstr(v, 20)


def _show_sym(s) -> str:
    return str(s)


def _show_assign(assign: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(assign.items())) or "no free indices"


def _free_indices(n: Node, bound: frozenset = frozenset()) -> set:
    if n.kind == "index":
        return set() if n.args[0] in bound else {n.args[0]}
    if n.kind == "sum":
        var, lo, hi, body = n.args
        out = _free_indices(body, bound | {var})
        for lim in (lo, hi):
            if lim is not None:
                out |= _free_indices(lim, bound)
        return out
    out = set()
    for a in n.args:
        for b in (a if isinstance(a, tuple) else (a,)):
            if isinstance(b, Node):
                out |= _free_indices(b, bound)
    return out


def _free_refs(n: Node):
    """Atoms whose indices use no summation index (what fixes the free indices' ranges)."""
    if n.kind == "sum":
        return
    if n.kind == "atom":
        yield n
    for a in n.args:
        for b in (a if isinstance(a, tuple) else (a,)):
            if isinstance(b, Node):
                yield from _free_refs(b)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _chain_text(source: str, chain) -> str:
    return _one_line(source) if chain.pos == (1, 1) or "\\\\" not in source else \
        _one_line(source.split("\n")[chain.pos[0] - 1] if "\n" in source else source)


# ----------------------------------------------------------------------------- output

def render(reports: list[DocReport], *, verbose: bool = False) -> str:
    """The human-readable report: failures in full, one summary line per document."""
    lines = []
    for r in reports:
        if r.error:
            lines.append(f"ERROR {r.error}")
        for o in r.outcomes:
            if not o.ok:
                lines.append(f"{o.status} {o.where}: {o.equation}")
                lines.extend("    " + d for d in o.detail.splitlines())
            elif verbose or o.status == "expected-wrong":
                lines.append(f"{o.status:<14} {o.where}: {o.equation}")
                if o.status == "expected-wrong":
                    lines.extend("    " + d for d in o.detail.splitlines())
        c = r.counts
        lines.append(f"{r.path}: {c['checked'] + c['proved']} checked ({c['proved']} proved), "
                     f"{c['expected-wrong']} expected-wrong, {c['unchecked']} unchecked, "
                     f"{c['definition']} definitions, {sum(o.tie is not None for o in r.outcomes)} tied to "
                     f"manual/, {c['FAIL']} failed, {c['ERROR']} errors  [{r.seconds:.1f} s]"
                     + ("" if r.ok else "  FAILED"))
    return "\n".join(lines)


def as_json(reports: list[DocReport]) -> dict:
    return {"ok": all(r.ok for r in reports),
            "documents": [{"path": r.path, "ok": r.ok, "error": r.error, "seconds": round(r.seconds, 3),
                           "counts": r.counts,
                           "equations": [{"where": o.where, "equation": o.equation, "status": o.status,
                                          "detail": o.detail, "implements": o.tie} for o in r.outcomes]}
                          for r in reports]}
