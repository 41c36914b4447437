"""The one comparison helper: a backward pass's output against an oracle's, layer by layer.

A failure names the network, the layer, the quantity (delta, dW, db or the loss), the worst
element's index, both values, the error and the tolerance — never a whole matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from backproof.manual.network import Gradients, Network

from .autograd import autograd_gradients, gradient_magnitudes
from .finite_diff import finite_difference_gradients
from .strategies import Case
from .symbolic import symbolic_gradients
from .tolerances import TINY, fd_atol, rtol_exact

Backward = Callable[[Network, np.ndarray, np.ndarray], Gradients]


def manual_backward(net: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The backward pass under test by default: manual/'s own."""
    return net.gradients(x, y)


@dataclass
class Mismatch:
    oracle: str
    quantity: str          # "loss", "delta", "dW" or "db"
    layer: int | None      # l = 1..L (None for the loss)
    index: tuple | None    # the worst element (None when the problem is the shape, dtype …)
    got: float | None
    expected: float | None
    error: float
    tol: float
    problem: str = ""

    def __str__(self) -> str:
        where = self.quantity if self.layer is None else f"{self.quantity}[{self.layer}]"
        if self.problem:
            return f"{self.oracle}: {where}: {self.problem}"
        idx = "" if self.index is None else f" at index {self.index}"
        return (f"{self.oracle}: {where}{idx}: got {self.got:.17g}, expected {self.expected:.17g} "
                f"(error {self.error:.3g} > tolerance {self.tol:.3g})")


@dataclass
class OracleResult:
    """How far one backward pass is from one oracle: the worst error per layer, and what failed."""

    oracle: str
    layer_errors: list[float]          # max over delta, dW, db of layer l, at index l-1
    loss_error: float
    tol: float
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def max_error(self) -> float:
        return max([self.loss_error, *self.layer_errors])


def relative_error(got: np.ndarray, expected: np.ndarray, magnitude=None, tiny=TINY) -> tuple[float, tuple]:
    """max_i |got_i − expected_i| / max(M_i, |expected_i|, tiny), and the worst index i.

    Per entry: M_i is the running error bound of entry i (reference.autograd.gradient_magnitudes),
    the size of the terms it is made of, so that an entry whose terms cancel to a tiny result is
    judged by the rounding its terms allow, and every other entry by its own size — not by the
    largest bound in the tensor, which let a float32 error of 1e-3 hide behind a larger entry.
    Without `magnitude` the scale is ‖expected‖_∞ (a tensor-wide measure, for callers that have
    no bound). `tiny` is the smallest normal number of the dtype computed in: below it (gradual
    underflow) no value carries a relative accuracy, so a float32 result of 0 for a true 1e-47 is right.
    """
    got64 = np.asarray(got, np.float64)
    expected = np.asarray(expected, np.float64)
    if got64.size == 0:
        return 0.0, ()
    diff = np.abs(got64 - expected)
    if magnitude is None:
        scale = np.full(diff.shape, max(float(np.abs(expected).max()), tiny))
    else:
        scale = np.maximum(np.maximum(np.asarray(magnitude, np.float64), np.abs(expected)), tiny)
    ratio = diff / scale
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return float(ratio[worst]), tuple(int(i) for i in worst)


def compare_to(oracle: str, net: Network, got: Gradients, expected: Gradients,
               magnitudes: Gradients | None = None, quantities=("delta", "dW", "db"),
               tol: float | None = None, computed_in=None, oracle_tol: float = 0.0) -> OracleResult:
    """Check every quantity of every layer of `got` against `expected`, entry by entry, with the
    exact-oracle rtol of the network's dtype (or `tol`) plus `oracle_tol`, the oracle's own error
    bound in the same measure (0 for an exact oracle; rtol_exact(float64) for float64 autograd).
    `computed_in` is the dtype `got` was computed in (default: the network's); its smallest normal
    number is the floor below which values carry no relative accuracy."""
    tol = rtol_exact(net.dtype) if tol is None else tol
    allowed = tol + oracle_tol
    tiny = float(np.finfo(computed_in or net.dtype).tiny)
    L = len(net.W)
    result = OracleResult(oracle, [0.0] * L, 0.0, allowed)
    if got.loss is not None:  # a user's backward may return gradients only
        err, _ = relative_error(np.float64(got.loss), np.float64(expected.loss),
                                None if magnitudes is None else magnitudes.loss, tiny=tiny)
        result.loss_error = err
        if not err <= allowed:
            result.mismatches.append(Mismatch(oracle, "loss", None, None, float(got.loss),
                                              float(expected.loss), err, allowed))
    for q in quantities:
        given, ref = getattr(got, q), getattr(expected, q)
        if not isinstance(given, (list, tuple)) or len(given) != L:
            result.mismatches.append(Mismatch(oracle, q, None, None, None, None, np.inf, allowed,
                                              f"expected a list of {L} arrays, one per layer, got "
                                              f"{describe_value(given)}"))
            result.layer_errors = [np.inf] * L
            continue
        mags = getattr(magnitudes, q) if magnitudes is not None else [None] * L
        for l, (g, r, m) in enumerate(zip(given, ref, mags), start=1):
            problem = structural_problem(g, r, net.dtype)
            if problem:
                result.mismatches.append(Mismatch(oracle, q, l, None, None, None, np.inf, allowed, problem))
                result.layer_errors[l - 1] = np.inf
                continue
            err, idx = relative_error(g, r, m, tiny=tiny)
            result.layer_errors[l - 1] = max(result.layer_errors[l - 1], err)
            if not err <= allowed:
                result.mismatches.append(Mismatch(oracle, q, l, idx, float(g[idx]), float(r[idx]), err, allowed))
    return result


# The exact oracle arbitrates a near-tolerance disagreement with autograd on networks this small
# (the symbolic derivatives of 200 parameters take about a second; it is needed only rarely).
EXACT_ARBITRATION_MAX_PARAMS = 200


def judge(net: Network, x, y, got: Gradients, *, quantities=("delta", "dW", "db"), magnitudes=None,
          reference: Gradients | None = None, exact_max_params: int = EXACT_ARBITRATION_MAX_PARAMS) -> OracleResult:
    """The verdict on `got` against float64 autograd, with autograd's own rounding accounted for.

    Autograd is itself off by up to rtol_exact(float64) of each entry's bound (its tanh' is 1 − a²
    too). So a gradient within rtol(dtype) of autograd passes; one beyond rtol(dtype) + autograd's
    bound fails (by the triangle inequality it is beyond rtol(dtype) from the exact value too); in
    between, the exact symbolic oracle decides when the network has at most `exact_max_params`
    parameters, and otherwise the gradient passes with autograd's bound allowed. `.oracle` says
    which oracle decided."""
    reference = autograd_gradients(net, x, y) if reference is None else reference
    magnitudes = gradient_magnitudes(net, x, y, reference) if magnitudes is None else magnitudes
    own = rtol_exact(np.float64)
    strict = compare_to("autograd", net, got, reference, magnitudes, quantities)
    if strict.ok:
        return strict
    allowing = compare_to("autograd (its own error allowed)", net, got, reference, magnitudes, quantities,
                          oracle_tol=own)
    n_params = sum(Wl.size + bl.size for Wl, bl in zip(net.W, net.b))
    if not allowing.ok or n_params > exact_max_params:
        return allowing
    return compare_to("symbolic (exact, arbitrating)", net, got, symbolic_gradients(net, x, y), magnitudes,
                      quantities)


def compare_to_finite_differences(net: Network, x, y, got: Gradients) -> OracleResult:
    """Check dW and db against central differences: the dtype's rounding tolerance plus twice each
    entry's measured truncation error. Errors are reported as fractions of the tolerance."""
    fd = finite_difference_gradients(net, x, y)
    L = len(net.W)
    result = OracleResult("finite_differences", [0.0] * L, 0.0, 1.0)
    for q in ("dW", "db"):
        refs, truncations = getattr(fd, q), getattr(fd, q + "_truncation")
        for l, (g, r, t) in enumerate(zip(getattr(got, q), refs, truncations), start=1):
            problem = structural_problem(g, r, net.dtype)
            if problem:
                result.mismatches.append(Mismatch(result.oracle, q, l, None, None, None, np.inf, 0.0, problem))
                result.layer_errors[l - 1] = np.inf
                continue
            tol = fd_atol(net.dtype, float(got.loss), float(np.abs(r).max())) + 2 * t
            ratio = np.abs(np.asarray(g, np.float64) - r) / tol
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), ratio.shape))
            result.layer_errors[l - 1] = max(result.layer_errors[l - 1], float(ratio[idx]))
            if not ratio[idx] <= 1:
                result.mismatches.append(Mismatch(result.oracle, q, l, idx, float(g[idx]), float(r[idx]),
                                                  abs(float(g[idx]) - float(r[idx])), float(tol[idx])))
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


ORACLES = ("autograd", "finite_differences", "symbolic")


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
        err = Mismatch("backward", "call", None, None, None, None, np.inf, 0.0,
                       f"raised {type(exc).__name__}: {exc}")
        return CaseReport(case, [OracleResult("backward", [np.inf] * len(net.W), np.inf, 0.0, [err])])
    results = []
    reference = autograd_gradients(net, x, y)
    magnitudes = gradient_magnitudes(net, x, y, reference) if {"autograd", "symbolic"} & set(oracles) else None
    if "autograd" in oracles:
        results.append(judge(net, x, y, got, magnitudes=magnitudes, reference=reference))
    if "symbolic" in oracles:
        results.append(compare_to("symbolic", net, got, symbolic_gradients(net, x, y), magnitudes))
    if "finite_differences" in oracles:
        results.append(compare_to_finite_differences(net, x, y, got))
    report = CaseReport(case, results)
    report.nothing_checked = report.ok and not any(np.any(g) for g in [*reference.dW, *reference.db])
    return report


def assert_case(case: Case, backward: Backward = manual_backward, **kw) -> CaseReport:
    """`check_case` that raises AssertionError on a disagreement (a case that checked nothing is
    returned as such, with `.nothing_checked` set: a sweep counts those apart)."""
    report = check_case(case, backward, **kw)
    assert report.ok, report.failure_message()
    return report


def structural_problem(g, r: np.ndarray, dtype) -> str:
    """What is wrong with `g` other than its values (type, shape, dtype, non-finite), or ""."""
    if not isinstance(g, np.ndarray):
        return f"expected a numpy array of shape {r.shape} and dtype {np.dtype(dtype)}, got {describe_value(g)}"
    if g.shape != r.shape:
        return f"expected shape {r.shape}, got {g.shape}"
    if g.dtype != dtype:
        return f"expected dtype {np.dtype(dtype)} (the parameters' dtype), got {g.dtype}"
    if not np.isfinite(g).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        return f"non-finite value {g[bad]} at index {bad} (the oracle's value is {r[bad]:.17g})"
    if not np.isfinite(r).all():
        return "the oracle's value is not finite"
    return ""


def describe_value(v) -> str:
    if isinstance(v, np.ndarray):
        return f"ndarray of shape {v.shape}"
    return f"{type(v).__name__} of length {len(v)}" if hasattr(v, "__len__") else type(v).__name__
