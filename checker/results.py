"""Output: how a failure is described (the point, the inputs, both sides) and the text and JSON
reports of a run."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mpmath

from backproof.reference.exact import DIGITS, to_mpf
from backproof.reference.tolerances import CHECKER_ROUNDING, checker_tolerance

from .errors import MAX_MESSAGE, Location, shown

if TYPE_CHECKING:
    from .evaluate import World

# what a proof with symbolic widths, batch, layer and depth covers (checker/general.py)
EVERY_WIDTH = "every width and depth"
STATUSES = ("definition", "proved", "checked", "expected-wrong", "unchecked", "FAIL", "ERROR")
# What each status is called wherever a person reads it (the text report, the HTML pages); the JSON
# keeps the status keys above and adds these as "label".
LABELS = {"definition": "definition", "proved": "proved", "checked": "evaluated", "expected-wrong": "erratum",
          "unchecked": "unchecked", "FAIL": "FAIL", "ERROR": "ERROR"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 claim', '2 claims' ('1 erratum', '3 errata' with many='errata')."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def counts_text(c: dict, ties: int | None = None) -> str:
    """The counts of one document or a run, in the same words everywhere."""
    return (f"{plural(c['proved'] + c['checked'], 'claim')} checked ({c['proved']} proved, {c['checked']} "
            f"evaluated only), {plural(c['expected-wrong'], 'erratum', 'errata')} shown wrong, "
            f"{c['unchecked']} unchecked, {plural(c['definition'], 'definition')}"
            + ("" if ties is None else f", {ties} tied to manual/"))


@dataclass
class Outcome:
    where: Location     # the file, line and column of the equation (or of its error)
    equation: str       # as written
    status: str         # one of STATUSES
    detail: str = ""    # the counterexample, the reason or the error
    tie: str | None = None
    evaluations: int = 0    # (size, point, index values) at which a claim was evaluated
    scope: str = ""         # what a proof covers: "every size", EVERY_WIDTH or "at n = [2, 3, 2]"
    note: str = ""          # what a proof relies on, or why it is not one for every width
    rules: tuple = ()       # the named rules a proof for every width applied (checker/rules.py)
    against: tuple = ()     # the sizes such a proof was also evaluated at (checker/against.py)

    @property
    def proof_scope(self) -> str:
        """"proved for every size", "proved at n = [...]" or "evaluated" (not proved)."""
        if self.status != "proved":
            return "evaluated" if self.status == "checked" else ""
        return f"proved for {self.scope}" if self.scope.startswith("every") else f"proved {self.scope}".rstrip()

    @property
    def ok(self) -> bool:
        return self.status not in ("FAIL", "ERROR")


@dataclass
class DocReport:
    path: str
    outcomes: list = field(default_factory=list)
    error: str | None = None
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    refused: bool = False   # not read at all (a link out of the folder named): no page shows its text

    @property
    def counts(self) -> dict:
        return {s: sum(o.status == s for o in self.outcomes) for s in STATUSES}

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.ok for o in self.outcomes)


@dataclass
class Failure:
    message: str
    world: World | None = None
    assign: dict | None = None
    values: list | None = None
    exprs: list | None = None


def describe(f: Failure) -> str:
    """The failure, the point it happened at, every input it depends on, and both sides."""
    lines = [f.message]
    if f.world is not None:
        w = f.world
        fn = ", ".join(f"{k} = {v}" for k, v in sorted(w.functions.items())    # the instances of `any`
                       if w.model.functions.get(k) == "any")
        lines.append(f"at {w.inst}" + (f", {show_assign(f.assign)}" if f.assign else "") +
                     f", point {w.point + 1}" + (f" ({fn})" if fn else ""))
    if f.values is not None:
        inputs = {}
        for e in f.exprs:
            inputs.update(f.world.inputs_of(e))
        shown = ", ".join(f"{show_sym(s)} = {mpmath.nstr(to_mpf(v), 12)}"
                          for s, v in sorted(inputs.items(), key=lambda kv: str(kv[0])))
        lines.append(f"inputs: {shown}" if shown else "inputs: none")
        n = 20 if isinstance(f.values[0], list) or isinstance(f.values[1], list) else \
            max(20, _digits_to_tell(f.values[0], f.values[1]))
        lines.append(f"left side  = {show_value(f.values[0], n)}")
        lines.append(f"right side = {show_value(f.values[1], n)}")
    return "\n".join(lines)


def differ(a, b, digits: int = DIGITS) -> str | None:
    """What tells two side values (scalars, or lists of rows) apart at `digits` digits, or None."""
    if isinstance(a, list) != isinstance(b, list):
        return f"one is a matrix ({vshape(a)}) and the other {vshape(b)}"
    if isinstance(a, list):
        if vshape(a) != vshape(b):
            return f"shapes {vshape(a)} and {vshape(b)}"
        for r, (ra, rb) in enumerate(zip(a, b)):
            for c, (x, y) in enumerate(zip(ra, rb)):
                if _apart(x, y, digits):
                    return f"entry ({r + 1}, {c + 1}): {mpmath.nstr(x, 15)} against {mpmath.nstr(y, 15)}"
        return None
    if _apart(a, b, digits):
        n = _digits_to_tell(a, b)
        return f"{mpmath.nstr(a, n)} against {mpmath.nstr(b, n)} (residual {mpmath.nstr(abs(a - b), 3)})"
    return None


def _digits_to_tell(a, b) -> int:
    """Significant digits that show two close numbers apart (15 at least, 60 at most)."""
    scale, gap = max(abs(a), abs(b)), abs(a - b)
    if gap == 0 or scale == 0:
        return 15
    return int(min(60, max(15, mpmath.ceil(mpmath.log10(scale / gap)) + 4)))


def settled(a, b, digits: int = DIGITS) -> bool:
    """Sides that agree to rounding at `digits` digits (within 10^(CHECKER_ROUNDING - digits) of the
    larger, entry by entry): no higher precision could tell them apart by more than the margin.
    Sides that agree only within the margin are evaluated again at more digits (checker/check.py)."""
    pairs = zip(sum(a, []), sum(b, [])) if isinstance(a, list) else [(a, b)]
    bound = mpmath.mpf(10) ** (CHECKER_ROUNDING - digits)
    return all(abs(x - y) <= bound * max(abs(x), abs(y)) for x, y in pairs)


def _apart(x, y, digits: int) -> bool:
    """Different numbers: apart by more than the relative margin of the larger, and by more than the floor."""
    residual, floor = checker_tolerance(digits)
    return abs(x - y) > residual * max(abs(x), abs(y)) + floor


def vshape(v) -> str:
    return f"{len(v)}×{len(v[0])}" if isinstance(v, list) else "a scalar"


def show_value(v, digits: int = 20) -> str:
    if isinstance(v, list):
        return "[" + "; ".join(", ".join(mpmath.nstr(x, 15) for x in row) for row in v) + "]"
    return mpmath.nstr(v, digits)


def show_sym(s) -> str:
    return str(s)


def show_assign(assign: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(assign.items())) or "no free indices"


def one_line(text: str, limit: int = 200) -> str:
    """The equation on one line, cut at `limit` characters (a hostile one can be any length)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ----------------------------------------------------------------------------- output

MAX_DETAIL_LINES = 40


def capped(text: str | None) -> str | None:
    """A detail or error as it is shown anywhere (text, JSON, HTML): each line printable and at most
    2 × MAX_MESSAGE characters, at most MAX_DETAIL_LINES lines (a document's own text can be any size)."""
    if text is None:
        return None
    lines = text.splitlines()
    out = [shown(line, 2 * MAX_MESSAGE) for line in lines[:MAX_DETAIL_LINES]]
    if len(lines) > MAX_DETAIL_LINES:
        out.append(f"… ({len(lines) - MAX_DETAIL_LINES} more lines)")
    return "\n".join(out)


def render(reports: list[DocReport], *, verbose: bool = False) -> str:
    """The human-readable report: failures in full, one summary line per document."""
    lines = []
    for r in reports:
        if r.error:
            lines.append(f"ERROR {capped(r.error)}")
        lines.extend(f"WARNING {capped(w)}" for w in r.warnings)
        for o in r.outcomes:
            if not o.ok or verbose:
                label = LABELS[o.status]
                lines.append(f"{label if not o.ok else f'{label:<11}'} {o.where}: {shown(o.equation)}")
                lines.extend("    " + d for d in capped(o.detail).splitlines())
                if o.status == "proved" and o.scope:
                    lines.append(f"    {o.proof_scope}" + (f" ({o.note})" if o.note else ""))
                    if o.rules:
                        lines.append(f"    rules: {', '.join(o.rules)}; also evaluated at "
                                     f"{plural(len(o.against), 'size')} chosen against the proof"
                                     + (f" ({against_text(o.against)})" if o.against else ""))
                elif o.status == "checked" and o.note:
                    lines.append(f"    {o.note}")
        c = r.counts
        errors = c["ERROR"] + (r.error is not None)   # counted as the total line counts them
        lines.append(f"{shown(r.path)}: {counts_text(c, sum(o.tie is not None for o in r.outcomes))}, "
                     f"{c['FAIL']} failed, {plural(errors, 'error')}" + ("" if r.ok else "  FAILED"))
    lines.append(total_line(reports))
    return "\n".join(lines)


def against_text(sizes) -> str:
    """The sizes of the second line, short: 'n = [3, 4], ..., n = [1, 2, 3, 1, 2, 3, 1]' (the first and last)."""
    sizes = list(sizes)
    return ", ".join(sizes) if len(sizes) <= 2 else f"{sizes[0]}, ..., {sizes[-1]}"


def total_line(reports: list[DocReport]) -> str:
    """One line for the whole run (no time in it: the same documents and seed print the same)."""
    total = {k: sum(r.counts[k] for r in reports) for k in STATUSES}
    errors = total["ERROR"] + sum(r.error is not None for r in reports)
    return (f"total: {plural(len(reports), 'document')}, {counts_text(total)}, {total['FAIL']} failed, "
            f"{plural(errors, 'error')}"
            + (f", {plural(sum(len(r.warnings) for r in reports), 'warning')}" if any(r.warnings for r in reports)
               else "")
            + ("" if all(r.ok for r in reports) else "  FAILED"))


def as_json(reports: list[DocReport]) -> dict:
    return {"ok": all(r.ok for r in reports),
            "documents": [{"path": r.path, "ok": r.ok, "error": capped(r.error),
                           "warnings": [capped(w) for w in r.warnings],
                           "counts": r.counts,
                           "equations": [{"where": str(o.where), "line": o.where.line, "column": o.where.column,
                                          "equation": o.equation, "status": o.status, "label": LABELS[o.status],
                                          "detail": capped(o.detail), "implements": o.tie, "evaluations": o.evaluations,
                                          "proof_scope": o.proof_scope, "proof_note": o.note,
                                          "proof_rules": list(o.rules), "proof_evaluated_at": list(o.against)}
                                         for o in r.outcomes]}
                          for r in reports]}
