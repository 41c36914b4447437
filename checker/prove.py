"""Proof attempts: a claim that held at every point is given to SymPy, in a forked child process
with a deterministic operation budget and a CPU-time safety net, while the checker goes on."""
from __future__ import annotations

import multiprocessing
import os

import sympy as sp

from .against import MAX_DEPTH
from .errors import Unsupported
from .parallel import start
from .results import EVERY_WIDTH, Outcome

# A proof is attempted only on differences of at most PROOF_MAX_OPS operations (sympy.count_ops,
# definitions substituted): a deterministic budget, so the same document, seed and version give the
# same verdicts on any machine under any load. Measured on the shipped documents: every difference
# up to 332 operations simplified in ≤ 2.1 s of CPU time; none from 431 to 917 did in 4 s.
PROOF_MAX_OPS = 400
PROOF_CPU_SECONDS = 60             # safety net (CPU time, not wall clock: load does not move it)
PROOF_MEMORY = 2 << 30             # bytes a proof child may add to what it inherits (a safety net too)


class Prover:
    """Proof attempts for one document, up to one child process per CPU at a time."""

    def __init__(self):
        self.proofs: list = []   # (outcome, child, pipe) of the attempts running

    def attempt(self, outcome: Outcome, sides: list, general=None, against=None) -> None:
        """Try to prove the claim exactly: `sides` holds, for every index value on the first size,
        (the world, its sides' expressions), evaluated in the world of proofs, where a function
        declared `any` is an undefined SymPy function (checker/evaluate.py), so a proof holds for
        every differentiable function. Each side minus the first must be 0. Each difference is
        first expanded with the defined symbols kept as independent atoms (sound: zero for all atom
        values is zero at theirs); then, with every definition substituted and if within the
        deterministic PROOF_MAX_OPS budget, shown to be 0 by `_is_zero` (a common denominator,
        expand, or sympy.simplify). The whole attempt runs in a forked child process limited to
        PROOF_CPU_SECONDS of CPU time, so no proof can hang the checker; up to one child per CPU
        runs while the checker goes on with the next equations. `general`, where given, is tried
        first in the child: a proof for every width and depth (checker/general.py) that returns a
        Proof or raises Unsupported with the reason it does not apply. `against` is what the second
        line behind such a proof found (the claim evaluated at the sizes of checker/against.py, in
        the checker, independently of the prover), a failure described, or None: where the proof
        holds and the evaluation fails, the claim is a checker error, never proved."""
        entries = []
        for world, exprs in sides:
            for i, e in enumerate(exprs[1:], 2):
                diff = exprs[0] - e
                entries.extend((world, d, i) for d in (diff if isinstance(diff, sp.MatrixBase) else [diff]))
        entries = [(w, e, i) for w, e, i in entries if e != 0]
        if not entries and general is None:
            outcome.status = "proved"
            return
        if not hasattr(os, "fork"):
            outcome.detail = "not proved: proofs need os.fork"
            return
        while len(self.proofs) >= (os.cpu_count() or 1):
            _settle(self.proofs.pop(0))
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_prove, args=(entries, send, general), daemon=True)
        start(child)
        send.close()
        self.proofs.append((outcome, child, receive, against))

    def finish(self) -> None:
        """Wait for every attempt still running and record its result."""
        while self.proofs:
            _settle(self.proofs.pop(0))


def _settle(proof) -> None:
    outcome, child, receive, against = proof
    try:
        answer, reason = receive.recv()
    except (EOFError, OSError):   # the child was killed (its CPU or memory limit): that claim only
        answer, reason = None, None
    child.join()
    receive.close()
    if isinstance(answer, tuple) and answer[0] == "general":
        proof = answer[1]
        if against is not None:   # (the failure described, whether it fails an unproved claim too)
            outcome.status = "ERROR"
            outcome.detail = (f"checker error: the general proof and the evaluation at {outcome.against[-1]} "
                              f"disagree (the proof used the rules {', '.join(proof.rules)}; the evaluation "
                              "is independent of it, so a side condition of a rule was not checked well "
                              f"enough: please report it)\n{against[0]}")
            return
        outcome.status, outcome.scope, outcome.note, outcome.rules = "proved", EVERY_WIDTH, proof.note, proof.rules
        return
    if against is not None and against[1]:   # false at a size the document's own sizes did not show
        outcome.status = "FAIL"
        outcome.detail = (f"it holds at the document's sizes but not at {outcome.against[-1]}, one of the sizes "
                          f"chosen against coincidences (checker/against.py: depths 1 to {MAX_DEPTH}, widths 1 and 2, "
                          f"none equal to a number the document writes)\n{against[0]}")
        return
    if reason:
        outcome.note = f"not proved for every width: {reason}"
    if answer == "proved":
        outcome.status = "proved"
    elif answer is None:
        outcome.detail = (f"not proved (limit): the attempt ended at its limit of {PROOF_CPU_SECONDS} s of "
                          f"CPU time or {PROOF_MEMORY >> 30} GiB of memory")
    elif isinstance(answer, tuple):   # ("nonzero", the difference): decided exactly, false
        outcome.status = "FAIL"
        outcome.detail = (f"the sides differ exactly: side 1 minus side {answer[1]} is {answer[2]} at "
                          f"{answer[3]}, a rational function of the inputs that is not identically 0, so "
                          "the claim is false almost everywhere (though its sides agree to rounding at "
                          "the points drawn)")
    elif answer != "unproved":
        outcome.detail = f"not proved: {answer} operations exceed the proof budget of {PROOF_MAX_OPS}"
    if outcome.status == "checked":   # evaluated only: the note always says why there is no proof
        if outcome.detail.startswith("not proved"):   # the reason moves from the detail to the note
            why, outcome.detail = outcome.detail, ""
        else:
            why = ("not proved: SymPy did not reduce side 1 minus side 2 to 0 at the first size (|x|, max, "
                   "min and cases are beyond it; an identity it misses is still evaluated at every size and point)")
        outcome.note = "; ".join(x for x in (why, outcome.note) if x)


def _address_space() -> int:
    """The bytes of address space this process has now (what a forked child inherits)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _short(e, limit: int = 200) -> str:
    text = sp.sstr(e)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _is_zero(e) -> bool:
    """e is identically 0, by the first test that shows it: over a common denominator with the
    numerator expanded (sound: a zero numerator is zero wherever e is defined); expanded; where
    tanh meets exp (σ(t) = (1 + tanh(t/2))/2), the same in exponentials; or sympy.simplify. The
    first is cheap on the sigmoid's rational functions of exp, where expand splits every exp of a
    sum (measured on source-001.md:93, 16 differences: 0.11 s against 4.1 s for expand, which does
    not reach 0, and 0.8 s for simplify)."""
    if sp.expand(sp.numer(sp.together(e))) == 0 or sp.expand(e) == 0:
        return True
    if e.has(sp.tanh) and sp.expand(sp.numer(sp.together(e.rewrite(sp.exp)))) == 0:
        return True
    return sp.simplify(e) == 0


def _nonzero(w, e) -> bool:
    """e, a difference with every definition substituted, is certainly not identically 0: a rational
    function of inputs drawn from open sets (real, unit, positive: not a simplex's entries, which are
    tied by their sum) whose numerator expands to a nonzero polynomial, so it is nonzero almost
    everywhere in the domain. Sound, and decidable; anything else is left to evaluation."""
    syms = e.free_symbols
    if not all(s in w.registry and w.is_input(s) and w.registry[s][0].domain != "simplex" for s in syms):
        return False
    if not _rational_over_q(e):
        return False
    return sp.expand(sp.numer(sp.together(e))) != 0


def _rational_over_q(e) -> bool:
    """e is built from rational numbers and symbols by +, ×, and integer powers only: then a
    numerator that expands to nonzero is a nonzero polynomial. A constant such as tanh(30) or
    exp(60) is not allowed as a coefficient: SymPy does not know tanh(30) = (e^60 − 1)/(e^60 + 1),
    so tanh(30) − 1 + 2σ(−60) would look nonzero though it is 0."""
    stack = [e]
    while stack:
        x = stack.pop()
        if x.is_Symbol or x.is_Rational:
            continue
        if x.is_Add or x.is_Mul or (x.is_Pow and x.exp.is_Integer):
            stack.extend(x.args)
            continue
        return False
    return True


def _prove(entries, send, general=None) -> None:
    """In the forked child: send ("general", the Proof) when the claim is proved for every width
    and depth. Else, with the reason that proof did not apply: "proved" when every difference is
    0; ("nonzero", side, the difference, the sizes) when one is decided exactly to be nonzero;
    "unproved" when SymPy does not reduce one to 0 (or raises: a proof attempt never prints a
    traceback); or the operation count of one beyond the budget (then nothing is tried)."""
    import resource

    from .parallel import quiet_on_interrupt
    quiet_on_interrupt()
    resource.setrlimit(resource.RLIMIT_CPU, (PROOF_CPU_SECONDS, PROOF_CPU_SECONDS + 1))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + PROOF_MEMORY,) * 2)
    except (ValueError, OSError):   # no such limit here: the CPU limit still bounds the attempt
        pass
    reason = None
    if general is not None:
        try:
            proof = general()
        except Unsupported as e:
            reason = str(e)
        except MemoryError:
            reason = "out of memory"
        except Exception as e:  # noqa: BLE001 - a failed attempt is "not proved", never a crash
            reason = f"{type(e).__name__} in the symbolic proof"
        else:
            send.send((("general", proof), None))
            send.close()
            os._exit(0)
    try:
        full = [(w, w.full(e), i) for w, e, i in entries if sp.expand(e) != 0]
        ops = max((sp.count_ops(e) for _, e, _ in full), default=0)
        if ops > PROOF_MAX_OPS:
            answer = ops
        else:
            answer = "proved"
            for w, e, i in full:
                if _nonzero(w, e):
                    answer = ("nonzero", i, _short(sp.factor(e)), str(w.inst))
                    break
                if not _is_zero(e):
                    answer = "unproved"
    except MemoryError:
        answer = None
    except Exception:  # noqa: BLE001 - SymPy failing to simplify is "not proved", not a crash
        answer = "unproved"
    send.send((answer, reason))
    send.close()
    os._exit(0)
