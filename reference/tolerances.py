"""Every tolerance backproof uses, derived once per dtype and per oracle. Nothing else sets one.

Error measure (reference/compare.py): for a tensor g checked against a reference r,
    error = max_i |g_i − r_i| / max(‖M‖_∞, ‖r‖_∞, tiny)
where M is the running error bound of r (reference.autograd.gradient_magnitudes): the size of the
terms r is made of, forward and backward, so that a result that cancels to nearly nothing (a − y
near a fit, Σ_k (a_k − y_k) = 0 through a softmax, z = W·a + b ≈ 0) is judged by the rounding its
terms allow, and `tiny` is the smallest normal number of the dtype computed in (below it, gradual
underflow leaves no relative accuracy).

Autograd and the symbolic oracle. The reference is computed in float64 (or exactly) from the very
values the code under test was given, so the error is that code's own rounding, at most about
(number of roundings on the longest path) · eps · M. The path has sums of at most 8 terms (width)
or 6 (batch) in up to five layers, forward and backward, and a few roundings per activation:
about 2^6, so
    rtol = 2^6 · eps(dtype):   float64 1.4e-14,   float32 7.6e-6.
Measured (2000 seeded random networks per dtype, depth ≤ 4, widths ≤ 8): the worst error was
2.0·eps·M in float64 and 1.1·eps·M in float32, a 30-fold margin.

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

_ROUNDINGS_ON_PATH = 2 ** 6  # sums of ≤ 8 terms in ≤ 5 layers, forward and backward, and activations
_FD_CONSTANT = 2 ** 6        # C''' and the cost's own rounding, relative to the scale below


def eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def rtol_exact(dtype) -> float:
    """Relative tolerance against an exact or float64 oracle (autograd, symbolic)."""
    return _ROUNDINGS_ON_PATH * eps(dtype)


def fd_step(dtype) -> float:
    """Central-difference step (before scaling by max(1, |θ|)): eps^(1/3) balances the two errors."""
    return eps(dtype) ** (1 / 3)


def fd_atol(dtype, cost: float, grad_scale: float) -> float:
    """Absolute tolerance of a central-difference derivative of a cost of size |cost|."""
    return _FD_CONSTANT * eps(dtype) ** (2 / 3) * (1 + abs(cost) + grad_scale)


TINY = np.finfo(np.float64).tiny


def rtol_tf32() -> float:
    """CUDA float32 products with TF32 on: each product's inputs are rounded to TF32's 10-bit
    mantissa (unit roundoff 2^-11) and accumulated in float32, so one product is off by about
    2·2^-11 of the size of its terms (M), however long the sum. The longest path of a generated
    network has at most 3·5 + 1 = 16 products (forward, BP2 and BP4 of five layers), so
    16 · 2 · 2^-11 = 2^-6, plus float32's own rtol."""
    products_on_path, per_product = 2 ** 4, 2 * 2.0 ** -11
    return products_on_path * per_product + rtol_exact(np.float32)


# The derivation checker evaluates both sides of an equation with mpmath at 50 significant digits
# (reference.symbolic.DIGITS); a true equation's sides then differ by rounding of about 10^-48 of
# their size. Half the digits is the margin: sides that differ by more than 10^-25 · (1 + their
# size) are different numbers.
CHECKER_RESIDUAL = mpmath.mpf(10) ** -25
