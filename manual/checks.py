"""Input validation: a bad argument raises TypeError/ValueError naming it and what was expected.

Nothing is broadcast, reshaped or cast here: an array is accepted as it is or rejected.
"""
from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_float_array(name: str, arr, shape: tuple, dtype=None) -> np.ndarray:
    """`arr` must be a finite float32/float64 ndarray of exactly `shape` (None = any size ≥ 1),
    and of `dtype` when one is given."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray of shape {_fmt(shape)}, got {type(arr).__name__}")
    if arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected dtype float32 or float64, got {arr.dtype} (convert it yourself; "
                        f"nothing is cast silently)")
    if dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {np.dtype(dtype)} to match the parameters, got {arr.dtype}")
    if arr.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, arr.shape)):
        hint = ""
        if arr.ndim == 1 and len(shape) == 2:
            hint = " (a batch is 2-D with examples in rows: use arr.reshape(-1, 1) for one unit)"
        raise ValueError(f"{name}: expected shape {_fmt(shape)}, got {arr.shape}{hint}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array of shape {_fmt(shape)}, got {arr.shape}")
    if not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: expected finite values, got {arr[bad]} at index {bad}")
    return arr


def check_sizes(sizes) -> list[int]:
    """Layer widths [n_0, n_1, ..., n_L], L ≥ 1, each an int ≥ 1."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes: expected a list of layer widths, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least 2 widths (input and output), got {list(sizes)}")
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"sizes[{i}]: expected an int width, got {n!r}")
        if n < 1:
            raise ValueError(f"sizes[{i}]: expected a width >= 1, got {n}")
    return [int(n) for n in sizes]


def check_targets(loss_name: str, y: np.ndarray) -> None:
    """BCE targets lie in [0, 1]; softmax-CE targets are rows of a probability distribution, each
    summing to 1 within 4·k·eps (k terms: normalising and summing a row rounds about k times)."""
    if loss_name == "bce" and ((y < 0).any() or (y > 1).any()):
        raise ValueError("y: binary cross-entropy expects targets in [0, 1], "
                         f"got values in [{y.min()}, {y.max()}]")
    if loss_name == "softmax_ce":
        if (y < 0).any():
            raise ValueError(f"y: softmax cross-entropy expects non-negative targets, got min {y.min()}")
        row_sums = y.sum(axis=1)
        tol = 4 * y.shape[1] * np.finfo(y.dtype).eps
        worst = int(np.argmax(np.abs(row_sums - 1)))
        if abs(row_sums[worst] - 1) > tol:
            raise ValueError("y: softmax cross-entropy expects each row to be one-hot or a distribution "
                             f"summing to 1, row {worst} sums to {row_sums[worst]}")


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
