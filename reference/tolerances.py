"""Every tolerance backproof uses, derived once per dtype and per oracle. Nothing else sets one.

Error measure (reference/compare.py): for a tensor g checked against a reference r,
    error = max_i |g_i − r_i| / max(‖r‖_∞, tiny)
that is, the worst element's error relative to the size of that layer's reference tensor.

Autograd (and every exact oracle). The reference is computed in float64 from the very values the
manual code was given, so the error is the manual code's own rounding. Backpropagation through
the generated networks (depth ≤ 4 hidden layers, widths ≤ 8, |z| ≤ 4 by construction) rounds
about (L + 1)·(width + 4) ≈ 60 times along its longest path (dot products, activation, the
products of BP2). We allow 2^6 = 64 times that for the growth of those errors through up to
five layers, so
    rtol = 2^12 · eps(dtype):   float64 9.1e-13 (within the project's 1e-10),   float32 4.9e-4.

Central finite differences with step h = eps^(1/3)·max(1, |θ|) have rounding error ≈ eps·|C|/h
= eps^(2/3)·|C| and truncation error h²·|C'''|/6. The rounding part is bounded on the scale of
the cost and the gradient; the truncation part is not assumed but measured for each entry
(reference/finite_diff.py: |D(2h) − D(h)| / 3) and allowed twice over:
    |g_fd − g| ≤ 2^6 · eps^(2/3) · (1 + |C| + ‖g‖_∞) + 2 · truncation estimate
    (the rounding part: float64 2.3e-9·(…), float32 1.5e-3·(…))
"""
from __future__ import annotations

import numpy as np

_ROUNDINGS_ON_PATH = 2 ** 6  # ≈ (L + 1)(width + 4) for the generated networks
_GROWTH = 2 ** 6             # amplification of those roundings through the layers
_FD_CONSTANT = 2 ** 6        # C''' and the cost's own rounding, relative to the scale below


def eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def rtol_exact(dtype) -> float:
    """Relative tolerance against an exact or float64 oracle (autograd, symbolic)."""
    return _ROUNDINGS_ON_PATH * _GROWTH * eps(dtype)


def fd_step(dtype) -> float:
    """Central-difference step (before scaling by max(1, |θ|)): eps^(1/3) balances the two errors."""
    return eps(dtype) ** (1 / 3)


def fd_atol(dtype, cost: float, grad_scale: float) -> float:
    """Absolute tolerance of a central-difference derivative of a cost of size |cost|."""
    return _FD_CONSTANT * eps(dtype) ** (2 / 3) * (1 + abs(cost) + grad_scale)


TINY = np.finfo(np.float64).tiny
