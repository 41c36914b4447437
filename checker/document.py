"""The document format: Markdown with a YAML front matter (the model) and `$$` equations with markers.

`read_document(path)` returns the model and the displayed equations, each with its file line and
column and its markers; anything malformed is a `DocumentError` at its file:line. The format is
described in derivations/README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .errors import DocumentError

BUILTIN_FUNCTIONS = ("exp", "ln", "log", "tanh")       # functions every document may call
CONCRETE = ("sigmoid", "tanh", "softplus", "identity")   # what a declared function may be named as
DOMAINS = ("real", "unit", "positive", "simplex")
RESERVED = {"L", "n", "m", "e", "T", "top"}
MARKERS = ("definition", "wrong", "unchecked", "implements")


# ----------------------------------------------------------------------------- the model

@dataclass
class Family:
    """A declared symbol: `w: {layers: 1..L, sub: [n(l), n(l-1)]}` or `eta: {domain: positive}`."""

    name: str
    layers: tuple | None = None      # (low, high) as strings over L, e.g. ("1", "L")
    slots: tuple = ()                # each "n(l)", "n(l-1)", "n(L)", "n(0)", "m", optionally "+1"
    labels: tuple | None = None      # out_{h1}: the subscript is part of the name
    domain: str = "real"


SLOT = re.compile(r"^(?:n\((l|L|\d+)([+-]\d+)?\)|m)([+-]\d+)?$")
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
    if not isinstance(slots, list) or not all(isinstance(s, str) and SLOT.match(s.replace(" ", "")) for s in slots):
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
