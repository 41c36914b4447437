"""Every tolerance backproof uses, derived once per dtype and per oracle. Nothing else sets one.

Error measure (reference/compare.py), entry by entry: for a tensor g checked against a reference r,
the entry's error is |g_i − r_i| / allowed_i with allowed_i = rtol · max(M_i, |r_i|, tiny), and
≤ 1 passes; before the tolerance divides it,
    max_i |g_i − r_i| / max(M_i, |r_i|, tiny)
where M is the first-order running error bound of r (reference.autograd.gradient_magnitudes): for
each entry, the size of the terms it is made of, forward and backward, each product's bound taken
as M(u)·|v| + |u|·M(v). An entry whose terms cancel to nearly nothing (a − y near a fit,
Σ_k (a_k − y_k) = 0 through a softmax, z = W·a + b ≈ 0) is judged by the rounding its terms allow;
every other entry by its own size. The bound includes f' computed from a = f(z) (tanh' = 1 − a²),
the textbook way and torch's. `tiny` is the smallest normal number of the dtype computed in.

Autograd and the symbolic oracle. The reference is computed in float64 (or exactly) from the very
values the code under test was given, so the error is that code's own rounding: each term of M
rounds once per operation on its path, and a sum of k terms rounds up to k times (k ≤ 16 for the
default draws: widths ≤ 10 plus the bias, batch ≤ 16) plus the activation's few roundings, over
at most 5 layers, so there
    rtol = 2^6 · eps(dtype):   float64 1.4e-14,   float32 7.6e-6.
Beyond that region the worst-case rounding grows with the longest sum on a path (a z[l] sums
n_{l-1} products and a bias, BP2 sums n_{l+1}, BP3 and BP4 sum the batch) and with the number of
layers it passes through, both linearly, so the tolerance grows with them (`path_factor`):
    rtol = 2^6 · eps(dtype) · max(1, longest sum / 16) · max(1, layers / 5),
e.g. 32× at width 512, 2× at depth 10: the check stays sound at any size, and at the default sizes it
is what was measured.
Measured against the certified exact value (benchmarks/catch_rate.py, docs/measurements.json:
1,000 networks per dtype of the harness's default draws, depth ≤ 4, widths ≤ 10, batch ≤ 16, |z|
to 12): the worst error of a correct backprop (manual/'s and a textbook one, f' from a) was
3.25·eps·M in float64 and 3.09·eps·M in float32, and float64 autograd's own 0.48·eps·M: the
constant is above the worst case by a factor of 19.
Float64 autograd is not exact: reference.compare.judge allows its own rtol_exact(float64) on top,
and the certified oracle arbitrates a disagreement in between, on a network of any size.

Power (the same measurement): one gradient tensor × (1 + 1e-9) is caught in 99.1% of float64
networks; × (1 + 1e-3) in 72.4% of float32 networks, with no false alarm. A float32 gradient of a
saturated deep network can itself be off by more than 1e-3 of its own size and still be right to
its bound, so no sound constant catches them all (with 16 in place of 64, 86.1%).

Central finite differences with step h = eps^(1/3)·max(1, |θ|) have rounding error ≈ eps·|C|/h
= eps^(2/3)·|C| and truncation error h²·|C'''|/6. The rounding part is bounded on the scale of
the cost and the gradient; the truncation part is not assumed but measured for each entry
(reference/finite_diff.py: |D(2h) − D(h)| / 3) and allowed twice over:
    |g_fd − g| ≤ 2^6 · eps^(2/3) · (1 + |C| + ‖g‖_∞) + 2 · truncation estimate
    (the rounding part: float64 2.3e-9·(…), float32 1.5e-3·(…))
"""
from __future__ import annotations

import mpmath
import numpy as np

_ROUNDINGS_ON_PATH = 2 ** 6  # sums of ≤ 16 terms in ≤ 5 layers, forward and backward, and activations
MEASURED_LONGEST_SUM, MEASURED_LAYERS = 16, 5   # the region where _ROUNDINGS_ON_PATH was measured
_FD_CONSTANT = 2 ** 6        # C''' and the cost's own rounding, relative to the scale below


def eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def path_factor(sizes, batch: int) -> float:
    """How much longer than in the measured region (sums of ≤ 16 terms, ≤ 5 layers) the rounding
    paths of a network of these widths and batch are: max(1, longest sum / 16) · max(1, layers / 5)."""
    longest = max(max(sizes) + 1, batch)
    return max(1.0, longest / MEASURED_LONGEST_SUM) * max(1.0, (len(sizes) - 1) / MEASURED_LAYERS)


def rtol_exact(dtype, sizes=None, batch: int = 1) -> float:
    """Relative tolerance against an exact or float64 oracle (autograd, symbolic, certified), for a
    network of these widths and batch (None: the measured region)."""
    return _ROUNDINGS_ON_PATH * eps(dtype) * (1.0 if sizes is None else path_factor(sizes, batch))


def tie_tolerance(want: np.ndarray) -> np.ndarray:
    """Allowed |manual − equation| where the derivation checker runs a manual/ function on its own
    inputs (checker/ties.py). The equation's value is exact (50 digits); manual/ computes in
    float64 from those inputs rounded to float64, so its error is rtol_exact(float64) (64
    roundings) of the sizes of the terms it combined. The floor 1 beside |want| keeps a value that
    cancels to near 0 from demanding more than its terms' rounding; it assumes terms of order 1 or
    of the size of the result, which holds for every tie of the shipped documents at every size and
    point (a term far larger would show as a false tie failure, not a silent pass)."""
    return rtol_exact(np.float64) * (1 + np.abs(want))


def fd_step(dtype) -> float:
    """Central-difference step (before scaling by max(1, |θ|)): eps^(1/3) balances the two errors."""
    return eps(dtype) ** (1 / 3)


def fd_atol(dtype, cost: float, grad_scale: float) -> float:
    """Absolute tolerance of a central-difference derivative of a cost of size |cost|."""
    return _FD_CONSTANT * eps(dtype) ** (2 / 3) * (1 + abs(cost) + grad_scale)


TINY = np.finfo(np.float64).tiny


def rtol_tf32(sizes=None, batch: int = 1) -> float:
    """CUDA float32 products with TF32 on: each product's inputs are rounded to TF32's 10-bit
    mantissa (unit roundoff 2^-11) and accumulated in float32, so one product is off by about
    2·2^-11 of the size of its terms (M), however long the sum. The longest path of a generated
    network has at most 3·5 + 1 = 16 products (forward, BP2 and BP4 of five layers), so
    16 · 2 · 2^-11 = 2^-6 (more in proportion for a deeper network), plus float32's own rtol."""
    products_on_path, per_product = 2 ** 4, 2 * 2.0 ** -11
    more_layers = 1.0 if sizes is None else max(1.0, (len(sizes) - 1) / MEASURED_LAYERS)
    return products_on_path * per_product * more_layers + rtol_exact(np.float32, sizes, batch)


# The derivation checker evaluates both sides of an equation with mpmath at D = 50 significant
# digits (reference.exact.DIGITS); a true equation's sides then differ by rounding of about 10^-48
# of their size. Half the digits is the margin: sides that differ by more than 10^(25-D) of the
# larger are different numbers. The comparison is relative, so sides far below 1 (a saturated
# sigmoid's derivative, 10^-30) are still told apart; below 10^(10-D) both count as zero (the
# rounding left where a true side cancels to 0 from terms of size up to 10^8).
# A margin alone would let a false claim whose sides differ by less pass ((1 + 10^-30) t = t,
# sigma(60) = 1): sides that agree within the margin but not to rounding (closer than
# 10^(CHECKER_ROUNDING - D) of the larger) are evaluated again at CHECKER_CONFIRM_DIGITS, where
# an identity's residual shrinks with the precision and a true difference does not. So the verdict
# is the one any higher precision gives, for every difference above 10^(8-50) of the sides.
CHECKER_MARGIN, CHECKER_FLOOR_DIGITS, CHECKER_ROUNDING = 25, 10, 8
CHECKER_CONFIRM_DIGITS = 150


def checker_tolerance(digits: int) -> tuple:
    """(relative residual, floor) two sides may differ by at `digits` significant digits."""
    return mpmath.mpf(10) ** (CHECKER_MARGIN - digits), mpmath.mpf(10) ** (CHECKER_FLOOR_DIGITS - digits)


CHECKER_RESIDUAL, CHECKER_FLOOR = checker_tolerance(50)
