"""The one comparison: a backward pass's output against an oracle's, entry by entry, in one measure.

Every oracle gives, for each entry i, a reference value r_i and the largest difference it allows
there, allowed_i; the error of a given value g_i is

    error_i = |g_i − r_i| / allowed_i            (≤ 1 passes; MEASURE says it in words)

Against autograd, the symbolic and the certified oracle allowed_i = rtol · max(M_i, |r_i|, tiny),
M being the entry's running error bound (reference/tolerances.py); against finite differences it is
the difference's own tolerance, rounding plus twice its measured truncation error. A failure names
the network, the layer, the quantity (delta, dW, db or the cost), the worst entry's index, both
values, the plain relative error and the ratio of the two, the error in that measure, the oracle
and what decided the verdict — never a whole matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from backproof.manual.checks import describe_value
from backproof.manual.network import Gradients, Network

from .autograd import autograd_gradients, gradient_magnitudes, magnitude_floor
from .certified import certified_gradients
from .finite_diff import finite_difference_gradients
from .strategies import Case
from .symbolic import symbolic_gradients
from .tolerances import TINY, fd_atol, rtol_exact

Backward = Callable[[Network, np.ndarray, np.ndarray], Gradients]
MEASURE = "|given − expected| / allowed"
QUANTITIES = ("delta", "dW", "db")


def manual_backward(net: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The backward pass under test by default: manual/'s own."""
    return net.gradients(x, y)


@dataclass
class Mismatch:
    """One entry (or one tensor, when `problem` says what is wrong other than a value) that fails."""

    oracle: str                # whose value `expected` is
    quantity: str              # "cost", "delta", "dW", "db", or "call" (the backward pass raised)
    layer: int | None          # l = 1..L (None for the cost and a call)
    index: tuple | None        # the worst entry (None when the problem is the shape, dtype …)
    got: float | None
    expected: float | None
    allowed: float = 0.0       # the largest |got − expected| allowed at that entry
    decided_by: str = ""       # what settled the verdict, when more than the oracle's own tolerance
    problem: str = ""          # not a wrong value: a shape, a dtype, a non-finite value, an exception

    @property
    def error(self) -> float:
        """The one measure, |got − expected| / allowed: > 1 fails (inf for a problem)."""
        if self.problem or self.got is None:
            return float("inf")
        diff = abs(self.got - self.expected)
        return diff / self.allowed if self.allowed > 0 else (0.0 if diff == 0 else float("inf"))

    @property
    def relative(self) -> float | None:
        """|got − expected| / |expected| (None where expected is 0 or there is no value)."""
        if self.got is None or not self.expected:
            return None
        return abs(self.got - self.expected) / abs(self.expected)

    @property
    def ratio(self) -> float | None:
        """got / expected (None where expected is 0 or there is no value)."""
        return None if self.got is None or not self.expected else self.got / self.expected

    @property
    def where(self) -> str:
        return self.quantity if self.layer is None else f"{self.quantity}[{self.layer}]"

    def __str__(self) -> str:
        if self.problem:
            return f"{self.oracle}: {self.where}: {self.problem}"
        idx = "" if self.index is None else f" at index {self.index}"
        plain = "" if self.relative is None else f"relative error {self.relative:.3g}, given/expected {self.ratio:.6g}; "
        decided = f"; decided by {self.decided_by}" if self.decided_by else ""
        return (f"{self.oracle}: {self.where}{idx}: got {self.got:.17g}, expected {self.expected:.17g} "
                f"({plain}error {self.error:.3g} > 1 in {MEASURE}, allowed {self.allowed:.3g}{decided})")


@dataclass
class OracleResult:
    """How far one backward pass is from one oracle: the worst error per layer (in MEASURE), and
    what failed. `decided_by` says what settled the verdict when the oracle's own tolerance did not."""

    oracle: str
    layer_errors: list[float]          # max over delta, dW, db of layer l, at index l-1
    cost_error: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    decided_by: str = ""
    note: str = ""                     # what was not checked, where not everything was

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def max_error(self) -> float:
        return max([self.cost_error, *self.layer_errors])


def allowed_by_bound(expected: Gradients, magnitudes: Gradients | None, rtol: float, tiny: float = TINY,
                     quantities=QUANTITIES) -> dict:
    """{quantity: per-entry allowed arrays (cost: a number)}: rtol · max(M_i, |r_i|, tiny). Per entry:
    an entry whose terms cancel to a tiny result is judged by the rounding its terms allow, every
    other entry by its own size, never by the largest bound in the tensor. `tiny` is the smallest
    normal number of the dtype computed in: below it no value carries a relative accuracy. Without
    `magnitudes` the scale is ‖expected‖_∞ of the tensor."""
    out = {}
    for q in quantities:
        refs = getattr(expected, q)
        mags = getattr(magnitudes, q) if magnitudes is not None else [None] * len(refs)
        out[q] = [rtol * _scale(r, m, tiny) for r, m in zip(refs, mags)]
    if expected.cost is not None:
        out["cost"] = float(rtol * _scale(expected.cost, None if magnitudes is None else magnitudes.cost, tiny))
    return out


def _scale(r, m, tiny: float) -> np.ndarray:
    """max(M_i, |r_i|, tiny) per entry, or ‖r‖_∞ (at least tiny) everywhere without M."""
    r = np.abs(np.asarray(r, np.float64))
    if m is None:
        return np.full(r.shape, max(float(r.max()) if r.size else 0.0, tiny))
    return np.maximum(np.maximum(np.asarray(m, np.float64), r), tiny)


def compare(oracle: str, net: Network, got: Gradients, expected: Gradients, allowed: dict,
            quantities=QUANTITIES, decided_by: str = "") -> OracleResult:
    """Every entry of every quantity of every layer of `got` against `expected`, with `allowed` from
    allowed_by_bound (or the finite-difference tolerances): the error in MEASURE per layer, and a
    Mismatch for the worst entry of each tensor that fails, or for a tensor that is not even an array
    of the right shape, dtype and finiteness."""
    L = len(net.W)
    result = OracleResult(oracle, [0.0] * L, decided_by=decided_by)
    if got.cost is not None and "cost" in allowed:  # a user's backward may return gradients only
        m = Mismatch(oracle, "cost", None, None, float(got.cost), float(expected.cost), allowed["cost"], decided_by)
        result.cost_error = m.error
        if not m.error <= 1:
            result.mismatches.append(m)
    for q in quantities:
        given, ref = getattr(got, q), getattr(expected, q)
        if not isinstance(given, (list, tuple)) or len(given) != L:
            result.mismatches.append(Mismatch(oracle, q, None, None, None, None, decided_by=decided_by,
                                              problem=f"expected a list of {L} arrays, one per layer, got "
                                                      f"{describe_value(given)}"))
            result.layer_errors = [np.inf] * L
            continue
        for l, (g, r, a) in enumerate(zip(given, ref, allowed[q]), start=1):
            problem = structural_problem(g, r, net.dtype)
            if problem:
                result.mismatches.append(Mismatch(oracle, q, l, None, None, None, decided_by=decided_by,
                                                  problem=problem))
                result.layer_errors[l - 1] = np.inf
                continue
            if g.size == 0:
                continue
            if not np.isfinite(a).all():   # the oracle's own fault, never a pass
                result.mismatches.append(Mismatch(oracle, q, l, None, None, None, decided_by=decided_by,
                                                  problem="the oracle's error bound is not finite here"))
                result.layer_errors[l - 1] = np.inf
                continue
            with np.errstate(over="ignore", invalid="ignore"):   # inf/nan errors are mismatches below
                errors = np.abs(np.asarray(g, np.float64) - r) / a
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(errors)), errors.shape))
            result.layer_errors[l - 1] = max(result.layer_errors[l - 1], float(errors[idx]))
            if not errors[idx] <= 1:
                result.mismatches.append(Mismatch(oracle, q, l, idx, float(g[idx]), float(r[idx]), float(a[idx]),
                                                  decided_by))
    return result


def compare_by_bound(oracle: str, net: Network, batch: int, got: Gradients, expected: Gradients,
                     magnitudes: Gradients | None, quantities=QUANTITIES, rtol: float | None = None,
                     computed_in=None) -> OracleResult:
    """`compare` with allowed_by_bound: rtol (default rtol_exact of the network's dtype at its sizes and
    this batch) times each entry's bound; `computed_in` is the dtype whose smallest normal number is
    the floor (default the network's)."""
    rtol = rtol_exact(net.dtype, net.sizes, batch) if rtol is None else rtol
    tiny = float(np.finfo(computed_in or net.dtype).tiny)
    return compare(oracle, net, got, expected, allowed_by_bound(expected, magnitudes, rtol, tiny, quantities),
                   quantities)


def relative_error(got: np.ndarray, expected: np.ndarray, magnitude=None, tiny=TINY) -> tuple[float, tuple]:
    """max_i |got_i − expected_i| / max(M_i, |expected_i|, tiny) and the worst index i: the measure
    above before the tolerance rtol divides it (what reference/power.py reports in units of eps)."""
    errors = np.abs(np.asarray(got, np.float64) - np.asarray(expected, np.float64)) / _scale(expected, magnitude, tiny)
    if errors.size == 0:
        return 0.0, ()
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(errors)), errors.shape))
    return float(errors[worst]), worst


def judge(net: Network, x, y, got: Gradients, *, quantities=QUANTITIES, magnitudes=None,
          reference: Gradients | None = None) -> OracleResult:
    """The verdict on `got` against float64 autograd, with autograd's own rounding accounted for.

    Autograd is itself off by up to rtol(float64) of each entry's bound (its tanh' is 1 − a² too).
    One comparison gives every entry's error against autograd with rtol(dtype) allowed: ≤ 1 passes;
    beyond (rtol(dtype) + rtol(float64)) / rtol(dtype) fails (by the triangle inequality it is
    beyond rtol(dtype) from the exact value too); in between, the certified oracle decides, on a
    network of any size (`.decided_by` says so): the exact value lies within its proven radius of
    its midpoint, and that radius is taken off what is allowed. Only where no exact form exists
    (your own activation or loss) does an entry pass with autograd's own error allowed instead, and
    `.decided_by` says that too."""
    reference = autograd_gradients(net, x, y) if reference is None else reference
    magnitudes = gradient_magnitudes(net, x, y, reference) if magnitudes is None else magnitudes
    sizes, n = net.sizes, len(x)
    rtol = rtol_exact(net.dtype, sizes, n)
    band = (rtol + rtol_exact(np.float64, sizes, n)) / rtol
    allowed = allowed_by_bound(reference, magnitudes, rtol, float(np.finfo(net.dtype).tiny), quantities)
    result = compare("autograd", net, got, reference, allowed, quantities)
    if result.ok:
        return result
    beyond = [m for m in result.mismatches if not m.error <= band]
    if beyond:
        for m in beyond:
            m.decided_by = "autograd: beyond its own rounding too"
        result.mismatches, result.decided_by = beyond, "autograd: beyond its own rounding too"
        return result
    if _has_exact_forms(net):
        mid, rad = certified_gradients(net, x, y)
        return compare("certified", net, got, mid, _less_radius(allowed, rad), quantities,
                       decided_by="certified (exact within a proven radius), arbitrating within autograd's "
                                  "own rounding")
    result.mismatches = []
    result.decided_by = "autograd, its own rounding allowed (no exact oracle for this network)"
    return result


def passes_at_its_own_size(net: Network, x, got: Gradients, reference: Gradients, inputs: list,
                           quantities=QUANTITIES) -> bool:
    """Every entry of `got` within rtol·max(F, |expected|, tiny) of autograd's, F = magnitude_floor
    ≤ M (`reference`, `inputs` from `autograd_pass`): `judge` allows rtol·max(M, |expected|, tiny),
    so this passes `judge` too, without M computed (its costly part). False says nothing: judge it."""
    rtol, tiny, floor = rtol_exact(net.dtype, net.sizes, len(x)), float(np.finfo(net.dtype).tiny), magnitude_floor(reference, inputs)
    if not all(len(getattr(got, q)) == len(net.W) for q in quantities):
        return False
    with np.errstate(over="ignore", invalid="ignore"):   # nan and inf compare False: judge them
        for q in quantities:
            for g, r, f in zip(getattr(got, q), getattr(reference, q), getattr(floor, q)):
                allowed = rtol * np.maximum(np.maximum(f, np.abs(r)), tiny)
                if np.shape(g) != r.shape or not (np.abs(np.asarray(g, np.float64) - r) <= allowed).all():
                    return False
    return True


def _has_exact_forms(net: Network) -> bool:
    from .records import activation_record, loss_record
    return all(activation_record(f).exact is not None or activation_record(f).kink_slopes is not None
               for f in net.activations) and loss_record(net.loss).exact is not None


def compare_certified(net: Network, x, y, got: Gradients, magnitudes: Gradients,
                      quantities=QUANTITIES) -> OracleResult:
    """`got` against the certified oracle: rtol(dtype) of each entry's bound allowed, less the
    midpoint's proven radius (so a pass holds for the exact value itself)."""
    mid, rad = certified_gradients(net, x, y)
    rtol = rtol_exact(net.dtype, net.sizes, len(x))
    allowed = allowed_by_bound(mid, magnitudes, rtol, float(np.finfo(net.dtype).tiny), quantities)
    return compare("certified", net, got, mid, _less_radius(allowed, rad), quantities)


def _less_radius(allowed: dict, rad: Gradients) -> dict:
    """What is allowed against a certified midpoint: the allowance less the midpoint's proven radius,
    so that whatever passes is within the allowance of the exact value itself."""
    return {q: (max(a - float(rad.cost), 0.0) if q == "cost" else
                [np.maximum(t - r, 0.0) for t, r in zip(a, getattr(rad, q))]) for q, a in allowed.items()}


# Finite differences cost two to six forward passes per entry: beyond this many entries in one tensor,
# a fixed sample of this many is differenced (the result says how many of how many).
FD_MAX_ENTRIES = 200


def compare_to_finite_differences(net: Network, x, y, got: Gradients,
                                  max_entries: int | None = FD_MAX_ENTRIES, magnitudes: Gradients | None = None) -> OracleResult:
    """dW and db against central differences (the exact derivative, within their own error): allowed_i
    is that error (fd_atol in float64, plus twice entry i's measured truncation) plus the rounding the
    backward may make in its dtype, rtol·M_i as `judge` allows (a deep float32 one is up to 0.4% off
    where its sums cancel). Entries not differenced (over `max_entries`) are not compared: `.note`."""
    fd = finite_difference_gradients(net, x, y, max_entries)
    cost = float(got.cost) if got.cost is not None else float(net.cost(x, y))
    magnitudes = gradient_magnitudes(net, x, y) if magnitudes is None else magnitudes
    rtol = rtol_exact(net.dtype, net.sizes, len(x))
    expected, allowed = {}, {}
    for q in ("dW", "db"):
        refs, masks = getattr(fd, q), getattr(fd, q + "_checked")
        given = getattr(got, q) if isinstance(getattr(got, q), (list, tuple)) else []
        given = list(given) + [None] * (len(refs) - len(given))
        # where an entry was not differenced the given value stands for the expected one: error 0
        # (a tensor of the wrong shape or type is reported as such by `compare`)
        expected[q] = [np.where(m, r, g) if isinstance(g, np.ndarray) and g.shape == r.shape else r
                       for r, m, g in zip(refs, masks, given)]
        allowed[q] = [np.where(m, fd_atol(np.float64, cost, float(np.nanmax(np.abs(r)))) + 2 * t + rtol * M, 1.0)
                      for r, t, m, M in zip(refs, getattr(fd, q + "_truncation"), masks, getattr(magnitudes, q))]
    result = compare("finite_differences", net, Gradients(None, [], got.dW, got.db),
                     Gradients(None, [], expected["dW"], expected["db"]), allowed, ("dW", "db"))
    done, total = fd.entries
    if done < total:
        result.note = f"differenced {done:,} of {total:,} entries (at most {max_entries} per tensor)"
    return result


@dataclass
class CaseReport:
    case: Case
    results: list[OracleResult]
    nothing_checked: bool = False    # every reference dW and db is exactly 0 (and so is the backward's)

    @property
    def ok(self) -> bool:
        """No oracle disagrees. A case can be ok and still have checked nothing: see `verdict`."""
        return all(r.ok for r in self.results)

    @property
    def verdict(self) -> str:
        """"pass", "fail" or "nothing checked" (every reference gradient 0: never counted as a pass)."""
        return "fail" if not self.ok else "nothing checked" if self.nothing_checked else "pass"

    def failure_message(self) -> str:
        lines = [f"backward pass disagrees with the oracles on {self.case.describe()}"]
        lines += [f"  {m}" for r in self.results for m in r.mismatches]
        return "\n".join(lines)


ORACLES = ("autograd", "finite_differences", "symbolic", "certified")


def check_case(case: Case, backward: Backward = manual_backward, *,
               oracles=("autograd", "finite_differences")) -> CaseReport:
    """Run `backward` on the case and compare it with each named oracle (see ORACLES)."""
    unknown = set(oracles) - set(ORACLES)
    if unknown:
        raise ValueError(f"oracles: unknown {sorted(unknown)}; expected names from {ORACLES}")
    net, x, y = case.net, case.x, case.y
    try:
        got = backward(net, x, y)
    except Exception as exc:  # a broken backward is a finding, not a crash of the checker
        err = Mismatch("backward", "call", None, None, None, None, problem=f"raised {type(exc).__name__}: {exc}")
        return CaseReport(case, [OracleResult("backward", [np.inf] * len(net.W), np.inf, [err])])
    results = []
    reference = autograd_gradients(net, x, y)
    magnitudes = gradient_magnitudes(net, x, y, reference)
    if "autograd" in oracles:
        results.append(judge(net, x, y, got, magnitudes=magnitudes, reference=reference))
    if "symbolic" in oracles:
        results.append(compare_by_bound("symbolic", net, len(x), got, symbolic_gradients(net, x, y), magnitudes))
    if "certified" in oracles:
        results.append(compare_certified(net, x, y, got, magnitudes))
    if "finite_differences" in oracles:
        results.append(compare_to_finite_differences(net, x, y, got, magnitudes=magnitudes))
    report = CaseReport(case, results)
    report.nothing_checked = report.ok and checks_nothing(reference, got.dW, got.db)
    return report


def checks_nothing(reference: Gradients, dW: list, db: list, quantities=("dW", "db")) -> bool:
    """Every reference gradient is exactly zero, and so is every given one: nothing was checked (a
    dead relu layer, say). Never a pass: counted apart."""
    given = {"dW": dW, "db": db}
    return all(not np.any(t) for q in quantities for t in getattr(reference, q)) and \
        all(not np.any(t) for q in quantities for t in given[q])


def assert_case(case: Case, backward: Backward = manual_backward, **kw) -> CaseReport:
    """`check_case` that raises AssertionError on a disagreement (a case that checked nothing is
    returned as such, with `.nothing_checked` set: a sweep counts those apart)."""
    report = check_case(case, backward, **kw)
    assert report.ok, report.failure_message()
    return report


def structural_problem(g, r: np.ndarray | tuple, dtype) -> str:
    """What is wrong with `g` other than its values (type, shape, dtype, non-finite), or "". `r` is
    the oracle's array, or only the shape expected (when its value is not known yet)."""
    shape = r if isinstance(r, tuple) else r.shape
    if not isinstance(g, np.ndarray):
        return f"expected a numpy array of shape {shape} and dtype {np.dtype(dtype)}, got {describe_value(g)}"
    if g.shape != shape:
        return f"expected shape {shape}, got {g.shape}"
    if g.dtype != dtype:
        return f"expected dtype {np.dtype(dtype)} (the parameters' dtype), got {g.dtype}"
    if not np.isfinite(g).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        oracle = "" if isinstance(r, tuple) else f" (the oracle's value is {r[bad]:.17g})"
        return f"non-finite value {g[bad]} at index {bad}{oracle}"
    if not isinstance(r, tuple) and not np.isfinite(r).all():
        return "the oracle's value is not finite"
    return ""

