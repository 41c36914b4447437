"""Checking: each equation of a document is a definition, a claim (evaluated on every size and
point, then given a proof attempt), an erratum that must fail, or unchecked with a reason; ties run
the manual/ function an equation names. `check_document` checks one document (checker/run.py checks
many); see the package docstring for the modules it draws on and derivations/README.md for the format.

No document text is ever passed to eval, exec or sympify: the only way in is the lark grammar.

Why over 400 lines: one equation's whole path (its rows resolved, evaluated on every size, an
erratum's search for its failure, the proof attempt, the tie to manual/) reads top to bottom in the
one class, each step a short method; split, a reader would follow one equation across files.
"""
from __future__ import annotations

import functools
import itertools
import math
import time
from dataclasses import dataclass

import mpmath
import sympy as sp

from backproof.reference.tolerances import CHECKER_CONFIRM_DIGITS as CONFIRM_DIGITS

from . import ties
from .against import against_sizes, document_numbers
from .document import DEFINING, ERRATA, Marked, coincidence, read_document
from .errors import Budget, DocumentError, Located, Location, OutOfRange, OverBudget, ShapeError
from .evaluate import DIGITS, Definition, Instance, World
from .grammar import LatexError, Node, parse
from .meaning import Resolver, free_indices, free_refs
from .general import prove_every_size
from .prove import Prover
from .results import DocReport, Failure, Outcome, describe, differ, one_line, settled, show_assign

# Every equation's parse, index enumeration and evaluation share one budget of steps (IR nodes
# evaluated, entries touched by matrix operations, index values tried): deterministic, so a
# verdict never depends on the machine or its load, and bounded, so no document can hang the
# checker. The largest equation of the shipped documents takes 47,669 steps (source-001.md:120).
EQUATION_STEPS = 500_000
# and the whole document's, summed over its equations and the second line's sizes (checker/against.py; the
# largest shipped document, batch-and-bias.md, takes 843,887)
DOCUMENT_STEPS = 5_000_000


def over_budget() -> str:
    return (f"over the budget of {EQUATION_STEPS:,} evaluation steps for one equation "
            "(use smaller sizes or fewer free indices, or split it)")


# ----------------------------------------------------------------------------- checking

def check_document(path, *, prove: bool = True, seed: int | None = None) -> DocReport:
    start = time.monotonic()
    try:
        report = Checker(str(path), prove, seed).run()
    except DocumentError as e:
        report = DocReport(str(path), error=str(e))
    report.seconds = time.monotonic() - start
    return report


@dataclass
class Row:
    """One row of a displayed equation, resolved: a definition (of `family`), a claim (its sides and
    conditions, to be evaluated), or unchecked (it parsed; it need not mean anything)."""

    text: str
    pos: tuple                        # (line, column) of the row within the equation
    definition: Definition | None = None
    family: str | None = None         # what the definition defines
    sides: tuple = ()
    conditions: tuple = ()


class Checker:
    """One document: its model and equations read, every row resolved, and the worlds (one per size
    and point) the claims are evaluated in, all built here; `run` checks them in order."""

    def __init__(self, path: str, prove: bool, seed: int | None = None):
        self.path, self.prove = path, prove
        self.report = DocReport(path)
        self.model, equations = read_document(path)
        if seed is not None:
            self.model.seed = seed
        self.parsed: list[tuple[Marked, list[Row] | None]] = []
        for eq in equations:
            try:
                self.parsed.append((eq, self._resolve(eq)))
            except (LatexError, Located) as e:
                pos = (e.line, e.column) if isinstance(e, LatexError) else e.pos
                self.report.outcomes.append(Outcome(eq.where(path, pos), one_line(eq.text), "ERROR", e.message))
                self.parsed.append((eq, None))
        defined = {row.family for _, rows in self.parsed for row in rows or () if row.family is not None}
        self.defined = defined
        # every integer the document's equations write: the second line's sizes avoid and try them
        self.numbers = document_numbers(
            [n for _, rows in self.parsed for row in rows or () for n in (
                (row.definition.lhs, row.definition.rhs, *row.definition.conditions) if row.definition
                else (*row.sides, *row.conditions))])
        self.budget = Budget(EQUATION_STEPS)
        sizes = len(self.model.sizes)
        self.instances = [[World(self.model, Instance(n, m), p, defined, self.budget, index=p * sizes + s)
                           for p in range(self.model.points)]
                          for s, (n, m) in enumerate(zip(self.model.sizes, self.model.batch))]
        # proofs: the first size's first world, or, where a function is declared `any`, a world of
        # the first size in which it is an undefined function
        self.proof_world = (World(self.model, Instance(self.model.sizes[0], self.model.batch[0]), 0, defined,
                                  self.budget, undefined=True)
                            if "any" in self.model.functions.values() else self.instances[0][0])
        # the second line behind a proof for every width (checker/against.py): one point per size
        self.against = [World(self.model, Instance(n, m), 0, defined, self.budget, index=k) for k, (n, m) in
                        enumerate(against_sizes(self.numbers, any(b is not None for b in self.model.batch)))]
        self.deferred: list = []     # (outcome, definition) of ties run once every definition is in
        self.prover = Prover()

    def run(self) -> DocReport:
        report = self.report
        same = coincidence(self.model)
        if same and not self.model.fixed:
            report.error = (f"{(self.model.sizes_at or Location(self.path)).at_line()}: no size has the depth, widths and batch pairwise "
                            f"distinct and at least 3 ({same}), so an equation that writes one for another would "
                            "pass: add a size such as [4, 5, 6, 7] with batch 8, or declare `fixed: true` in "
                            "checker: if the document is about this one network only")
        broken = None   # a definition that does not parse: what it defines would be drawn at random
        for eq, rows in self.parsed:
            if self.budget.total > DOCUMENT_STEPS:
                report.error = (f"{eq.where(self.path).at_line()}: the document is over its budget of "
                                f"{DOCUMENT_STEPS:,} evaluation steps (all its equations together) here; "
                                "split it into several documents")
                break
            if rows is None:
                if any(k in eq.markers for k in DEFINING) and broken is None:
                    broken = eq.where(self.path)
                continue
            for row in rows:
                self.budget.reset()
                where = eq.where(self.path, row.pos)
                if broken is not None:
                    report.outcomes.append(Outcome(where, row.text, "ERROR", f"not checked: the definition "
                                                   f"at {broken} does not parse"))
                    continue
                try:
                    outcome = self._check(eq, row, where)
                except OverBudget:
                    outcome = Outcome(where, row.text, "ERROR", over_budget())
                except Located as e:
                    outcome = Outcome(eq.where(self.path, e.pos), row.text, "ERROR", e.message)
                report.outcomes.append(outcome)
        self.prover.finish()
        for outcome, d in self.deferred:
            self.budget.reset()
            try:
                problem = self._tie(outcome.tie, (d.lhs, d.rhs), d.conditions)
            except (Located, OverBudget) as e:
                problem = e.message if isinstance(e, Located) else over_budget()
            if problem:
                outcome.status, outcome.detail = "FAIL", problem
        checked = sum(o.status in ("proved", "checked", "FAIL") for o in report.outcomes)  # FAIL: checked, false
        if checked == 0 and report.error is None:
            report.error = f"{Location(self.path).at_line()}: no equation was checked (every document needs at least one claim)"
        return report

    # ---------------------------------------------------------------- reading one equation
    def _resolve(self, eq: Marked) -> list[Row]:
        """One Row for each row of the equation."""
        equation = parse(eq.text)
        rows = []
        for chain in equation.chains:
            text = chain_text(eq.text, chain)
            if any(k in eq.markers for k in DEFINING):
                family, definition = self._definition(chain)
                rows.append(Row(text, chain.pos, definition, family))
                continue
            if "unchecked" in eq.markers:  # it must parse, but it need not mean anything
                rows.append(Row(text, chain.pos))
                continue
            r = Resolver(self.model)
            sides = tuple(r(s) for s in chain.sides)
            rows.append(Row(text, chain.pos, sides=sides, conditions=self._conditions(r, chain, sides)))
        return rows

    @staticmethod
    def _conditions(r: Resolver, chain, sides) -> tuple:
        """The chain's conditions, each of which must restrict an index free in the equation (one
        that restricts nothing, like `L = 7`, would be silently ignored)."""
        free = set().union(*(free_indices(s) for s in sides))
        conds = tuple(r(c) for c in chain.conditions)
        for c in conds:
            if not free_indices(c) & free:
                raise Located("a condition must restrict an index that is free in the equation; this one "
                              "restricts none (the sizes are set in the front matter)", c.pos)
        return conds

    def _definition(self, chain) -> tuple[str, Definition]:
        if len(chain.sides) != 2:
            raise Located("a definition is one `symbol = expression`", chain.pos)
        lhs, rhs = chain.sides
        if lhs.kind == "call" and self.model.functions.get(lhs.args[0]) == "defined":
            fname, primes, arg = lhs.args
            if primes or arg.kind != "paren" or arg.args[0].kind != "name":
                raise Located(f"define a function as {fname}(t) = ..., with one parameter", lhs.pos)
            param = arg.args[0].args[0]
            body = Resolver(self.model, frozenset({param}))(rhs)
            if chain.conditions:
                raise Located("a function definition takes no condition", chain.conditions[0].pos)
            return fname, Definition(fname, lhs, body, (), 0, param)
        r = Resolver(self.model)
        left = r(lhs)
        if left.kind == "label":
            fam = self.model.families[left.family]
            return fam.name, Definition(fam.name, left, r(rhs), (), 0)
        if left.kind != "atom":
            raise Located("a definition's left side is a declared symbol with index letters, "
                           "like z^l_j, a^0_j or C (or a function declared `defined`, like \\sigma(t))", lhs.pos)
        fam = self.model.families[left.family]
        for node in ((left.layer,) if left.layer is not None else ()) + left.subs:
            if node.kind not in ("index", "num", "L"):
                raise Located("on a definition's left side, each index is a letter or a constant", node.pos)
        conds = self._conditions(r, chain, (left,))
        free = free_indices(r(rhs)) | set().union(*(free_indices(c) for c in conds))
        lhs_vars = free_indices(left)
        if free - lhs_vars:
            raise Located(f"index {sorted(free - lhs_vars)[0]} is free on the right side but not on the left",
                           rhs.pos)
        return fam.name, Definition(fam.name, left, r(rhs), conds, 0)

    # ---------------------------------------------------------------- one row
    def _check(self, eq: Marked, row: Row, where: Location) -> Outcome:
        text = row.text
        if row.definition is not None:
            return self._add_definition(eq, row.definition, text, where)
        sides, conds = row.sides, row.conditions
        if "unchecked" in eq.markers:
            return Outcome(where, text, "unchecked", eq.markers["unchecked"])
        if len(sides) < 2:
            raise Located("an equation needs `=`")
        erratum = next((k for k in ERRATA if k in eq.markers), None)
        failure, evaluated = self._verify(sides, conds, {"wrong": "value", "ill-formed": "undefined"}.get(erratum))
        if erratum:
            return self._erratum(erratum, eq.markers[erratum], failure, where, text)
        if failure is not None:
            return Outcome(where, text, "FAIL", describe(failure))
        tie = eq.markers.get("implements")
        if tie:
            problem = self._tie(tie, sides, conds, evaluated)
            if problem:
                return Outcome(where, text, "FAIL", problem, tie)
        outcome = Outcome(where, text, "checked", "", tie, len(evaluated))
        if self.prove:
            proof_sides = self._proof_sides(sides, conds, evaluated)
            outcome.scope = _scope(sides, proof_sides)
            general = None if outcome.scope == "every size" else functools.partial(
                prove_every_size, self.model, list(self.proof_world.definitions), self.proof_world.functions,
                sides, conds)
            failure = None
            if general is not None:
                outcome.against, failure = self._against(sides, conds)
            self.prover.attempt(outcome, proof_sides, general,
                                None if failure is None else (describe(failure), not self.model.fixed))
        return outcome

    def _against(self, sides, conds) -> tuple[tuple, Failure | None]:
        """The second line behind a proof for every width and depth, independent of the prover:
        the claim evaluated at one point of each size of checker/against.py (worlds kept for the
        whole document, so what one claim derives the next reuses). Returns (the sizes it was
        evaluated at, the first failure by value or None). A size where the claim or a definition
        it uses does not exist, or that is over the equation's budget, is skipped."""
        done = []
        for w in self.against:
            self.budget.reset()
            try:
                failure, evaluated = self._verify(sides, conds, instances=[[w]], spread=True)
            except (Located, OverBudget):
                continue
            if failure is not None and failure.values is not None:
                return tuple(done + [str(w.inst)]), failure
            if evaluated and failure is None:
                done.append(str(w.inst))
        return tuple(done), None

    def _proof_sides(self, sides, conds, evaluated: list) -> list:
        """[(world, side expressions)] for every index value of the first size, in the world of
        proofs: those already evaluated where that is the first world, else evaluated there now."""
        w = self.proof_world
        if not w.undefined:
            return [(world, exprs) for world, _, exprs in evaluated if world is w]
        return [(w, _one_by_one_as_scalar([w.ev(s, assign) for s in sides]))
                for assign in self._assignments(w, sides, conds)]

    @staticmethod
    def _erratum(kind: str, why: str, failure: Failure | None, where: Location, text: str) -> Outcome:
        """`wrong` must be false by value somewhere (an index out of range or shapes that do not fit
        are not its counterexample); `ill-formed` must be undefined somewhere, in just that way."""
        undefined = failure is not None and failure.values is None
        if failure is None:
            return Outcome(where, text, "FAIL", f"marked {kind}, but it holds at every point checked "
                                                f"(the erratum says: {why})")
        if kind == "wrong" and undefined:
            return Outcome(where, text, "FAIL", "marked wrong, but it is never false by value; where it fails "
                                                "it is undefined, so mark it ill-formed if that is the "
                                                f"erratum: {failure.message}")
        if kind == "ill-formed" and not undefined:
            return Outcome(where, text, "FAIL", "marked ill-formed, but it is defined and false by value: "
                                                f"mark it wrong\n{describe(failure)}")
        return Outcome(where, text, "expected-wrong", f"{why}\n" + describe(failure))

    def _add_definition(self, eq, d: Definition, text, where) -> Outcome:
        earlier = self._replaced(d)
        if earlier is not None and "redefinition" not in eq.markers:
            raise Located(f"this defines {d.family} again where the definition at line {earlier.line} "
                          "already does, and would replace it from here on: mark it `<!-- check: redefinition -->` "
                          "if that is meant, or write it as a claim (no marker) to have it checked", d.lhs.pos)
        if earlier is None and "redefinition" in eq.markers:
            raise Located(f"marked redefinition, but no earlier definition of {d.family} covers what this one "
                          "defines: mark it `definition`", d.lhs.pos)
        d.order = len(self.instances[0][0].definitions)
        d.line = where.line
        worlds = list({id(w): w for ws in self.instances for w in ws + [self.proof_world]}.values()) + self.against
        for w in worlds:
            w.add(d, replaces=earlier is not None)
        if d.param is not None:   # its body, built now in every world: a circular one is an error here,
            for w in worlds:      # and a chain of functions, each defined through the last, is never deep
                w.function(d.family, 0, d.lhs.pos)
        if d.param is None and d.lhs.kind == "atom":  # evaluate every entry it defines once
            w = self.instances[0][0]
            for assign in self._assignments(w, (d.lhs,), d.conditions):
                try:
                    w.ev(d.rhs, assign)
                except OutOfRange as e:
                    raise Located(f"{e.message} (at {show_assign(assign)})", e.pos) from None
                try:  # a definition that closes a loop (K = C after C = K + t) is the error's place
                    defined = w.ev(d.lhs, assign)
                    for a in (defined if isinstance(defined, sp.MatrixBase) else [defined]):   # a^0 = x: each entry
                        w.definition_of(a)
                except OutOfRange:
                    pass  # it uses a symbol defined further on: resolved when a claim needs it
        outcome = Outcome(where, text, "definition", "", eq.markers.get("implements"))
        if outcome.tie:  # run once every definition is in (a forward-pass tie needs the later ones)
            self.deferred.append((outcome, d))
        return outcome

    def _replaced(self, d: Definition) -> Definition | None:
        """The earliest definition in force that `d` overlaps (defines an entry of, at some size)."""
        for worlds in self.instances:
            w = worlds[0]
            for p in w.definitions:
                if p.family != d.family:
                    continue
                if d.param is not None or d.lhs.kind == "label" and p.lhs.label == d.lhs.label:
                    return p
                if d.lhs.kind != "atom" or p.lhs.kind != "atom":
                    continue
                try:
                    assignments = self._assignments(w, (d.lhs,), d.conditions)
                except Located:
                    continue
                for assign in assignments:
                    layer = w.ival(d.lhs.layer, assign) if d.lhs.layer is not None else None
                    if w.binds(p, layer, tuple(w.ival(s, assign) for s in d.lhs.subs)):
                        return p
        return None

    def _assignments(self, w: World, sides, conds) -> list[dict]:
        """Every value of the free indices that the first side allows and the conditions keep."""
        free = set().union(*(free_indices(s) for s in sides), *(free_indices(c) for c in conds))
        if not free:
            return [{}]
        refs = [n for n in free_refs(sides[0])]
        layer_vars = {n.layer.name for n in refs if n.layer is not None and n.layer.kind == "index"}
        fixed = {v for n in refs for s in ((n.layer,) if n.layer is not None else ()) + n.subs
                 for v in free_indices(s)}
        if free - fixed:
            raise Located(f"index {sorted(free - fixed)[0]} is free but the left side does not say its range")
        top = max(w.inst.n + [w.inst.m or 0]) + 1
        names = sorted(free)
        candidates = [range(0, w.inst.L + 1) if v in layer_vars else range(1, top + 1) for v in names]
        w.spend(math.prod(map(len, candidates)))
        out = []
        for values in itertools.product(*candidates):
            assign = dict(zip(names, values))
            try:
                if not all(w.holds(c, assign) for c in conds):
                    continue
                for n in refs:
                    fam = self.model.families[n.family]
                    layer = w.ival(n.layer, assign) if n.layer is not None else None
                    w.check_range(fam, layer, tuple(w.ival(s, assign) for s in n.subs), n.pos)
            except OutOfRange:
                continue
            out.append(assign)
        if not out:
            raise Located(f"no value of the indices {', '.join(names)} is allowed ({w.inst})")
        return out

    def _verify(self, sides, conds, want: str | None = None, instances=None,
                spread: bool = False) -> tuple[Failure | None, list]:
        """(a failure or None, every (world, assignment, side expressions) evaluated), so the
        proof attempt and the tie reuse the expressions instead of building them again. A claim
        stops at its first failure. An erratum searches for the kind of failure its marker names
        (want="value": sides that differ; want="undefined": an index out of range or shapes that
        do not fit) and returns another kind only when that one is found nowhere. A difference at
        DIGITS is confirmed at CONFIRM_DIGITS (cancellation can make an identity look false at 50
        digits); a point where a side has no value at all (1/0, ln 0, at every precision tried) is
        skipped, and a claim with no value at half of its points or more is an error. With `spread`,
        every layer index takes all its values and every other index its first and last
        (the second line's sizes are many: the spread keeps their cost near that of one size)."""
        evaluated, other, undefined = [], None, []
        for worlds in self.instances if instances is None else instances:
            assignments = self._assignments(worlds[0], sides, conds)
            for assign in _spread(assignments, sides) if spread else assignments:
                for w in worlds:
                    try:
                        exprs = [w.ev(s, assign) for s in sides]
                    except (OutOfRange, ShapeError) as e:
                        failure = Failure(e.message, w, assign)
                        if want != "value":
                            return failure, evaluated
                        other = other or failure
                        continue
                    exprs = _one_by_one_as_scalar(exprs)
                    try:
                        values = [w.value(e) for e in exprs]
                    except Located as e:   # no value here even at more digits (1/0, ln 0): the other points decide
                        undefined.append(e)
                        continue
                    evaluated.append((w, assign, exprs))
                    for i in range(1, len(values)):
                        pair, problem = [values[0], values[i]], differ(values[0], values[i])
                        if problem is None and not settled(*pair):   # within the margin, not to rounding
                            pair, problem = _at_more_digits(w, exprs, i)
                            if problem:
                                problem += (f"; at {CONFIRM_DIGITS} digits too (not rounding: an identity's "
                                            "residual shrinks with the precision)")
                        elif problem:   # cancellation at 50 digits (1 − σ(107) keeps 3 of them) looks the same
                            try:
                                again, still = _at_more_digits(w, exprs, i)
                            except Located:
                                again, still = pair, problem
                            if still is None or _shrank(pair, again):   # an identity's residual shrinks
                                problem = None
                            else:
                                pair, problem = again, still
                        if problem:
                            failure = Failure(f"side 1 and side {i + 1} differ: {problem}", w, assign,
                                              pair, [exprs[0], exprs[i]])
                            if want != "undefined":
                                return failure, evaluated
                            other = other or failure
                            break
        if undefined and len(undefined) >= len(evaluated) and other is None:   # at most points: an error
            raise Located(f"{undefined[0].message} (at {len(undefined)} of the {len(undefined) + len(evaluated)} "
                          "points; a claim is checked where it has a value, so at most of them it needs one)",
                          undefined[0].pos)
        if other is None and evaluated and want != "undefined" and not spread:
            other = self._residual_shrinks(evaluated[0])
        return other, evaluated

    @staticmethod
    def _residual_shrinks(first) -> Failure | None:
        """Sides that agree to rounding at DIGITS digits may still differ below it (ln 4 against
        2 ln 2 + 10^-60): evaluated again at CONFIRM_DIGITS, an identity's residual shrinks with the
        precision and a false claim's does not. Once per claim, at its first point: a difference
        hidden below 50 digits there is hidden by a constant or a factor, not by the point."""
        w, assign, exprs = first
        for i in range(1, len(exprs)):
            pair, problem = _at_more_digits(w, exprs, i)
            if problem:
                return Failure(f"side 1 and side {i + 1} differ: {problem}; at {DIGITS} digits they agreed to "
                               f"rounding, at {CONFIRM_DIGITS} they do not (an identity's residual shrinks with "
                               "the precision)", w, assign, pair, [exprs[0], exprs[i]])
        return None

    def _tie(self, target: str, sides, conds, evaluated: list | None = None) -> str | None:
        """Run the manual/ function the equation names on every evaluated instance and compare it
        with the equation's last side. A function that raises is a failure, not a crash."""
        try:
            fn = ties.resolve(target)
        except (LookupError, ImportError, AttributeError) as e:
            return str(e)
        if evaluated is None:  # a definition: nothing was evaluated for it yet
            evaluated = [(w, assign, [w.ev(sides[-1], assign)]) for worlds in self.instances
                         for assign in self._assignments(worlds[0], sides, conds) for w in worlds]
        applied = 0
        for w, assign, exprs in evaluated:
            want = w.value(exprs[-1])
            try:
                got = fn(ties.View(w), dict(assign))
            except ties.NotApplicable:
                continue
            except Exception as e:  # noqa: BLE001 - whatever the function does wrong is reported
                return (f"{target} raised {type(e).__name__}: {e} at {w.inst}, {show_assign(assign)}, "
                        f"point {w.point + 1}")
            applied += 1
            problem = ties.disagreement(got, want, pick(w, sides[0], assign))
            if problem:
                return (f"{target} disagrees with the equation at {w.inst}, "
                        f"{show_assign(assign)}, point {w.point + 1}: {problem}")
        if not applied:
            return f"{target} applies at no size, point and index of this document: nothing was compared"
        return None


def _spread(assignments: list[dict], sides) -> list[dict]:
    """The assignments where each index that is not a layer takes its least or greatest value (of
    those it takes), and each layer index any of its values."""
    layers = {n.layer.name for s in sides for n in s.walk()
              if n.kind == "atom" and n.layer is not None and n.layer.kind == "index"}
    kept = {}
    for name in assignments[0]:
        values = sorted({a[name] for a in assignments})
        kept[name] = set(values) if name in layers else {values[0], values[-1]}
    return [a for a in assignments if all(a[k] in kept[k] for k in a)]


def _shrank(low: list, high: list) -> bool:
    """The residual of a pair at DIGITS fell, at CONFIRM_DIGITS, by at least half the digits added:
    rounding (cancellation) made it, as an identity's does; a false claim's stays where it was."""
    def gap(pair):   # the largest difference of two numbers or two matrices (lists of rows)
        a, b = pair
        if isinstance(a, list):
            return max((abs(u - v) for ra, rb in zip(a, b) for u, v in zip(ra, rb)), default=mpmath.mpf(0))
        return abs(a - b)
    before, after = gap(low), gap(high)
    return after == 0 or after <= before * mpmath.mpf(10) ** (-(CONFIRM_DIGITS - DIGITS) // 2)


def _at_more_digits(w: World, exprs: list, i: int) -> tuple[list, str | None]:
    """Side 1 and side i + 1 at CONFIRM_DIGITS digits, and what tells them apart there (or None)."""
    pair = [w.value(exprs[0], CONFIRM_DIGITS), w.value(exprs[i], CONFIRM_DIGITS)]
    return pair, differ(*pair, digits=CONFIRM_DIGITS)


# IR kinds whose value depends on the size: an index, L, m, n_l, 1_m, a sum over a range.
_SIZED = frozenset({"index", "L", "m", "width", "ones", "sum"})


def _scope(sides, proof_sides: list) -> str:
    """What a proof of these sides covers: every size when neither the sides nor any definition
    they use (followed to the end) reads a size, a layer or a subscript (σ′ = σ(1 − σ); not
    `n_0 t = 3 t`, nor a scalar C defined by a sum); else only the size of the world of proofs
    (BP1–BP4 at [2, 3, 2]: the other sizes are evaluated, not proved)."""
    w = proof_sides[0][0] if proof_sides else None
    if w is None:
        return ""
    sized = f"at {w.inst}"
    seen, stack = set(), list(sides)
    while stack:
        node = stack.pop()
        for n in node.walk():
            if n.kind in _SIZED or (n.kind == "atom" and (n.layer is not None or n.subs)):
                return sized
            name = n.family if n.kind in ("atom", "label") else n.name if n.kind == "call" else None
            if name is not None and name not in seen:   # a definition's conditions restrict an index:
                seen.add(name)                          # its atom has subscripts, found above
                stack.extend(d.rhs for d in w.definitions if d.family == name)
    return "every size"


def _one_by_one_as_scalar(exprs: list) -> list:
    """Where a side is a scalar, a 1×1 matrix side (δ^T δ) is its one entry."""
    if all(isinstance(e, sp.MatrixBase) for e in exprs):
        return exprs
    return [e[0, 0] if isinstance(e, sp.MatrixBase) and e.shape == (1, 1) else e for e in exprs]


def pick(w: World, lhs: Node, assign: dict) -> tuple:
    """The subscripts (not the layer) that name the entry the left side is: z^l_j → (j,),
    ∂C/∂w^l_{jk} → (j, k), ∂a_j/∂z_k → (j, k)."""
    nodes = [lhs.of, lhs.wrt] if lhs.kind == "deriv" else [lhs]
    return tuple(w.ival(s, assign) for n in nodes if n.kind == "atom" for s in n.subs)


def chain_text(source: str, chain) -> str:
    return one_line(source) if chain.pos == (1, 1) or "\\\\" not in source else \
        one_line(source.split("\n")[chain.pos[0] - 1] if "\n" in source else source)
