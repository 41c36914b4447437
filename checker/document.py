"""The document format: Markdown with a YAML front matter (the model) and `$$` equations with markers.

`read_document(path)` returns the model and the displayed equations, each with its file line and
column and its markers; anything malformed is a `DocumentError` at its file:line. The format is
described in derivations/README.md.
"""
from __future__ import annotations

import errno

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .errors import DocumentError, Location
from .files import Refused, read_bytes
from .functions import ANY, CONCRETE

BUILTIN_FUNCTIONS = ("exp", "ln", "log", "tanh")       # functions every document may call
DOMAINS = ("real", "unit", "positive", "simplex")
RESERVED = {"L", "n", "m", "e", "T", "top"}
MARKERS = ("definition", "redefinition", "wrong", "ill-formed", "unchecked", "implements")
DEFINING = ("definition", "redefinition")   # redefinition: replaces an earlier definition where they overlap
MAX_DOCUMENT = 1_000_000  # bytes: the largest shipped document has 8,192
MAX_FRONT_MATTER = 20_000   # characters: the model is a few lines; no alias or anchor is read either
ERRATA = ("wrong", "ill-formed")   # wrong: false by value somewhere; ill-formed: undefined at some size


# ----------------------------------------------------------------------------- the model

@dataclass
class Family:
    """A declared symbol: `w: {layers: 1..L, sub: [n(l), n(l-1)]}` or `eta: {domain: positive}`."""

    name: str
    layers: tuple | None = None      # (low, high) as strings over L, e.g. ("1", "L")
    slots: tuple = ()                # each "n(l)", "n(l-1)", "n(L)", "n(0)", "m", optionally "+1"
    labels: tuple | None = None      # out_{h1}: the subscript is part of the name
    domain: str = "real"


MAX_SIZE = 12     # widths and batch (exact evaluation is cubic in them); depth at most MAX_SIZE too
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
    fixed: bool = False  # about one fixed network: sizes that coincide are its own, not a blind spot
    sizes_at: Location | None = None   # where the sizes are declared (the batch, if only it is)


def read_model(front: dict | None, where: Location, source: str = "", first_line: int = 2) -> Model:
    """The front matter's `checker:` mapping, validated key by key. `source` is the front matter's
    text (from file line `first_line`): an error about one key is located at that key's line."""
    def at(key: str) -> Location:
        match = re.search(rf"(?m)^[ \t]*{re.escape(str(key))}[ \t]*:", source)
        return Location(where.path, first_line + source.count("\n", 0, match.start())) if match else where

    if not isinstance(front, dict) or not isinstance(front.get("checker"), dict):
        raise DocumentError(where, "front matter must have a `checker:` mapping (see derivations/README.md)")
    spec = dict(front["checker"])
    known = {"sizes", "batch", "points", "seed", "indices", "symbols", "functions", "fixed"}
    if set(spec) - known:
        raise DocumentError(at(sorted(set(spec) - known)[0]), f"unknown checker keys {sorted(set(spec) - known)}; expected {sorted(known)}")
    sizes = spec.get("sizes", [[2, 3, 2], [3, 2, 4, 2]])
    if (not isinstance(sizes, list) or not sizes or
            not all(isinstance(s, list) and 2 <= len(s) <= MAX_SIZE + 1 and
                    all(type(v) is int and 1 <= v <= MAX_SIZE for v in s) for s in sizes)):
        raise DocumentError(at("sizes"), f"checker.sizes: expected a list of layer-size lists [n_0, ..., n_L] "
                                   f"with 1 <= n_l <= {MAX_SIZE} and L <= {MAX_SIZE}, got {sizes!r}")
    batch = spec.get("batch", [None] * len(sizes))
    if not isinstance(batch, list) or len(batch) != len(sizes) or \
            not all(b is None or (type(b) is int and 1 <= b <= MAX_SIZE) for b in batch):
        raise DocumentError(at("batch"), f"checker.batch: expected one batch size in 1..{MAX_SIZE} per entry of "
                                   f"sizes, got {batch!r}")
    points, seed = spec.get("points", 3), spec.get("seed", 0)
    if type(points) is not int or not 1 <= points <= 20:
        raise DocumentError(at("points"), f"checker.points: expected an integer in 1..20, got {points!r}")
    if type(seed) is not int:
        raise DocumentError(at("seed"), f"checker.seed: expected an integer, got {seed!r}")
    fixed = spec.get("fixed", False)
    if type(fixed) is not bool:
        raise DocumentError(at("fixed"), f"checker.fixed: expected true or false, got {fixed!r}")
    indices = spec.get("indices", ["i", "j", "k", "l"])
    if not isinstance(indices, list) or not all(isinstance(i, str) and len(i) == 1 for i in indices):
        raise DocumentError(at("indices"), f"checker.indices: expected single letters, got {indices!r}")
    families = {}
    for name, decl in (spec.get("symbols") or {}).items():
        families[str(name)] = _family(str(name), decl or {}, at(name))
    functions = {}
    for name, kind in (spec.get("functions") or {}).items():
        if kind not in ("any", "defined", *CONCRETE):
            raise DocumentError(at(name), f"checker.functions.{name}: expected any, defined or one of "
                                       f"{sorted(CONCRETE)}, got {kind!r}")
        functions[str(name)] = kind
    if "any" in functions.values() and points * len(sizes) < len(ANY):
        raise DocumentError(at("points"), f"checker.points: a function declared `any` is instantiated as "
                                   f"{', '.join(ANY)} in turn, one per size and point, so sizes × points must be "
                                   f"at least {len(ANY)}, got {len(sizes)} × {points}")
    for name in list(families) + list(functions):
        if name in RESERVED or name in indices or name in BUILTIN_FUNCTIONS:
            raise DocumentError(at(name), f"symbol {name!r} is reserved (L, n, m, e, T, the index letters "
                                       f"and exp/ln/log/tanh have fixed meanings)")
    both = set(families) & set(functions)
    if both:
        raise DocumentError(at(sorted(both)[0]), f"{sorted(both)} declared both as symbols and as functions")
    return Model(sizes, batch, points, seed, tuple(indices), families, functions, fixed,
                 at("sizes") if "sizes" in spec else at("batch") if "batch" in spec else at("checker"))


def layer_bound(text: str, L: int) -> int:
    """One end of a declared layer range ("1", "L", "L-1") at depth L."""
    m = re.match(r"^(\d+|L)(?:-(\d+))?$", text)
    return (L if m.group(1) == "L" else int(m.group(1))) - int(m.group(2) or 0)


def coincidence(model: Model) -> str | None:
    """None when some size has the depth L, every width n_l and the batch m that the symbols use
    pairwise distinct and each at least 3; otherwise what coincides at the first size. Where two of
    them are equal, an equation that writes one for the other (a^1 for a^{L-1}, 1/n_L for 1/m,
    a factor 2 for n_L) is true at that size and passes."""
    slots = [(fam, SLOT.match(slot)) for fam in model.families.values() for slot in fam.slots]
    uses_depth = any(fam.layers for fam in model.families.values())
    problems = []
    for n, m in zip(model.sizes, model.batch):
        L = len(n) - 1
        used = {"L": L} if uses_depth else {}
        for fam, match in slots:
            which, off = match.group(1), int(match.group(2) or 0)
            if which is None:
                if m is not None:
                    used["m"] = m
                continue
            if which == "l":
                lo, hi = (layer_bound(v, L) for v in fam.layers)
                layers = range(lo + off, hi + off + 1)
            else:
                layers = [(L if which == "L" else int(which)) + off]
            used.update({f"n_{k}": n[k] for k in layers if 0 <= k <= L})
        small = [k for k, v in used.items() if v < 3]
        same = ["".join(f"{k} = " for k in used if used[k] == v) + str(v)
                for v in sorted(set(used.values())) if list(used.values()).count(v) > 1]
        if not small and not same:
            return None
        problems.append(f"at n = {n}" + (f", m = {m}" if m else "") + ": " + "; ".join(
            same + ([", ".join(small) + " below 3"] if small else [])))
    if not problems:
        return None
    return problems[0] + (" (and a coincidence at every other size)" if len(problems) > 1 else "")


def _family(name: str, decl: dict, where: Location) -> Family:
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

    def where(self, path: str, pos=(1, 1)) -> Location:
        """The file location of position `pos` (line, column within the equation)."""
        line = self.line + pos[0] - 1
        col = (self.column + pos[1] - 1) if pos[0] == 1 else pos[1]
        return Location(path, line, col)


def _read_whole(tokens, text: str, path: str) -> None:
    """Markdown stops reading a block nested deeper than its limit (MARKDOWN.options.maxNesting
    levels of lists and quotes) and says nothing: the lines below it would never be checked. A
    document whose parse reached that depth is a located error, at the deepest block read."""
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MARKDOWN.options.maxNesting - 1:   # it stopped there
        line = next((t.map[0] + 1 for t in reversed(tokens[:tokens.index(deepest) + 1]) if t.map), 1)
        raise DocumentError(Location(path, line), "nested too deeply to be read (more than "
                            f"{MARKDOWN.options.maxNesting - 2} levels of lists or quotes): what is nested "
                            "below this line would never be checked")


MARKDOWN = (MarkdownIt("commonmark").use(front_matter_plugin)
       .use(dollarmath_plugin, double_inline=True).use(amsmath_plugin))


def read_text(path: str | Path) -> str:
    """A document's text as the checker and its pages read it: through the one door
    (checker/files.py), UTF-8 without a byte-order mark, every line ending (CRLF, a lone CR) made
    \n as Markdown reads them, so a line number means the same to the checker and to a reader; a
    NUL byte is an error at its own line and column. Else DocumentError."""
    path = str(path)
    try:
        raw = read_bytes(path, MAX_DOCUMENT)
    except Refused as e:
        raise DocumentError(Location(path, 1), e.strerror + ("; a document is a few pages (split it)"
                                                             if e.errno == errno.EFBIG else "")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[:e.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line, column = before.count(b"\n") + 1, len(before) - (before.rfind(b"\n") + 1) + 1
        raise DocumentError(Location(path, line, column), f"not UTF-8 text (byte 0x{raw[e.start]:02x} at "
                                                          f"offset {e.start}): a document is Markdown",
                            whole_line=False) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    nul = text.find("\x00")
    if nul >= 0:
        line, column = text.count("\n", 0, nul) + 1, nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise DocumentError(Location(path, line, column), "a NUL byte: a document is text", whole_line=False)
    return text


def read_document(path: str | Path) -> tuple[Model, list[Marked]]:
    """Parse a document into its model and its displayed equations, or raise DocumentError."""
    path = str(path)
    text = read_text(path)
    tokens = MARKDOWN.parse(text)
    _read_whole(tokens, text, path)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    front, front_source, front_line = None, "", 1
    equations: list[Marked] = []
    pending: tuple[dict, int] | None = None
    for tok in tokens:
        if tok.type == "front_matter":
            front = read_front_matter(tok.content, Location(path, tok.map[0] + 2))
            front_source, front_line = tok.content, tok.map[0] + 2
            continue
        if tok.type == "html_block" and tok.content.lstrip().startswith("<!-- check:"):
            if pending is not None:
                raise DocumentError(Location(path, pending[1]), "a check: marker is not followed by an equation")
            pending = (_markers(tok.content, Location(path, tok.map[0] + 1)), tok.map[0] + 1)
            continue
        if tok.type in ("math_block", "math_block_label", "amsmath") or (tok.type == "fence" and
                                                                          tok.info.strip().lower() == "math"):
            # a ```math block is read like $$: GitHub shows it as an equation
            start = line_starts[tok.map[0]]
            body = tok.content.strip()
            if not body:
                raise DocumentError(Location(path, tok.map[0] + 1), "an empty equation")
            offset = text.find(body, start)
            line = text.count("\n", 0, offset) + 1
            column = offset - line_starts[line - 1] + 1
            equations.append(Marked(body, line, column, pending[0] if pending else {}))
            pending = None
            continue
        if pending is not None and tok.type not in ("paragraph_close",):
            raise DocumentError(Location(path, pending[1]), "a check: marker must come right before its $$ equation")
        if tok.type == "inline":
            line = tok.map[0] + 1
            source = text[line_starts[tok.map[0]]:line_starts[tok.map[1]] if tok.map[1] < len(line_starts) else None]
            bracket = re.search(r"(?m)^[ \t]*(\\\[|\\begin\{(?:equation|align|gather|multline)\*?\})", source)
            if bracket:   # a display the checker would not read: never a silent pass
                at = line + source.count("\n", 0, bracket.start())
                raise DocumentError(Location(path, at), f"{bracket.group(1)} starts a display the checker does not "
                                                        "read: write the equation between $$ lines (or in a ```math "
                                                        "block), so that it is checked")
            for child in tok.children or []:
                if child.type == "math_inline_double":
                    raise DocumentError(Location(path, line), "a $$ equation inside a paragraph: put $$ on "
                                                         "lines of their own, with a blank line before")
                if child.type == "text" and "$$" in child.content:
                    raise DocumentError(Location(path, line), "unbalanced $$: this one is never closed")
                line += child.type in ("softbreak", "hardbreak")
    if pending is not None:
        raise DocumentError(Location(path, pending[1]), "a check: marker at the end of the document")
    return read_model(front, Location(path, 1), front_source, front_line), equations


def read_front_matter(content: str, where: Location):
    """The YAML front matter, with no anchor or alias (an alias bomb would expand to gigabytes) and at
    most MAX_FRONT_MATTER characters."""
    if len(content) > MAX_FRONT_MATTER:
        raise DocumentError(where, f"front matter of {len(content):,} characters; at most {MAX_FRONT_MATTER:,}")
    try:
        for event in yaml.parse(content, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise DocumentError(Location(where.path, where.line + event.start_mark.line),
                                    "front matter: YAML anchors and aliases (& and *) are not read; write the "
                                    "values out")
        return yaml.safe_load(content)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise DocumentError(Location(where.path, where.line + (mark.line if mark else 0)),
                            f"front matter is not valid YAML: {getattr(e, 'problem', None) or e}") from None


def _markers(comment: str, where: Location) -> dict:
    body = comment.strip()[len("<!-- check:"):]
    if not body.rstrip().endswith("-->"):
        raise DocumentError(where, "a check: marker must be one comment `<!-- check: ... -->`")
    found = {}
    for part in re.split(r";\s*(?=(?:%s)\b)" % "|".join(MARKERS), body.rstrip()[:-3]):
        word, _, rest = part.strip().partition(" ")
        reason = rest.strip().lstrip("—-:").strip()
        if word not in MARKERS:
            raise DocumentError(where, f"unknown marker {word!r}; expected one of {MARKERS}")
        if word in ("wrong", "ill-formed", "unchecked", "implements") and not reason:
            raise DocumentError(where, f"marker {word!r} needs " +
                                ("a manual/ function name" if word == "implements" else "a reason"))
        found[word] = reason
    kinds = [k for k in (*DEFINING, *ERRATA, "unchecked") if k in found]
    if len(kinds) > 1:
        raise DocumentError(where, f"an equation is one of definition, redefinition, wrong, ill-formed or unchecked, "
                                   f"not {' and '.join(kinds)}")
    return found


def work_estimate(path) -> int:
    """About how long a document takes, for the order of a parallel run (it never changes a
    report): equations × points × Σ over its sizes of (weights × batch). On the shipped documents it
    orders them as their measured times do."""
    try:
        model, equations = read_document(path)
    except (DocumentError, OSError):
        return 0   # it fails at once
    weights = sum(sum(a * b for a, b in zip(n, n[1:])) * (m or 1) for n, m in zip(model.sizes, model.batch))
    return len(equations) * model.points * weights
