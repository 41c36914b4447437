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
    if type(arr) is not np.ndarray:  # np.matrix turns * into a matrix product; a masked array hides entries
        raise TypeError(f"{name}: expected a plain numpy.ndarray, got the subclass {type(arr).__name__} "
                        f"(convert it yourself, e.g. np.asarray({name}))")
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


def check_finite_result(name: str, arr) -> None:
    """A value the passes computed must be finite: FloatingPointError naming it and the first bad entry
    (an overflow from inputs, weights or a learning rate too large for the dtype), not NumPy's warning.

    On a large array the test is one sum first: inf and nan propagate through any sum, so a finite
    sum means every entry is finite (no temporary array); only a sum that is not finite (a bad entry,
    or finite entries whose sum overflows) is looked at entry by entry."""
    a = np.asarray(arr)
    if a.size > FAST_FINITE and a.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(a.sum()):
                return
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0]) if a.ndim else ()
        at = f" at index {bad}" if bad else ""
        raise FloatingPointError(f"{name}: not finite ({a[bad]}{at}); the inputs, weights or "
                                 f"learning rate are too large for {a.dtype}")


FAST_FINITE = 4096   # entries above which the sum is tried first


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """An int (Python or NumPy, not bool) in [low, high]: TypeError for another type, ValueError
    for a value outside the range. Returns it as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int{_range(low, high)}, got {_show(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name}: expected an int{_range(low, high)}, got {value!r}")
    return int(value)


def check_real(name: str, value, *, low: float | None = None, high: float | None = None,
               open_low: bool = False) -> float:
    """A finite real (Python or NumPy int or float, not bool) in [low, high] (or (low, high] with
    `open_low`): TypeError for another type, ValueError otherwise. Returns it as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {_show(value)}")
    v = float(value)
    below = low is not None and (v <= low if open_low else v < low)
    if not np.isfinite(v) or below or (high is not None and v > high):
        lo = "" if low is None else f" {'>' if open_low else '>='} {low:g}"
        hi = "" if high is None else f"{' and' if lo else ''} <= {high:g}"
        raise ValueError(f"{name}: expected a finite number{lo}{hi}, got {value!r}")
    return v


def check_dtype(name: str, dtype) -> np.dtype:
    """float32 or float64, given as a NumPy dtype, type or name."""
    try:
        d = np.dtype(dtype)
    except (TypeError, ValueError):  # what NumPy raises for a spec it cannot read
        d = None
    if d is None or d not in FLOAT_DTYPES:  # careful: np.dtype("float64") == None is True
        raise TypeError(f"{name}: expected float32 or float64, got {dtype!r}" if d is None else
                        f"{name}: expected float32 or float64, got {d}")
    return d


def check_seed(name: str, seed) -> int | None:
    """A seed: None (fresh entropy) or an int >= 0, as NumPy's generators take it."""
    return None if seed is None else check_int(name, seed, low=0)


def check_sizes(sizes) -> list[int]:
    """Layer widths [n_0, n_1, ..., n_L], L ≥ 1, each an int ≥ 1."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes: expected a list of layer widths, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least 2 widths (input and output), got {list(sizes)}")
    return [check_int(f"sizes[{i}]", n, low=1) for i, n in enumerate(sizes)]


def check_targets(loss, y: np.ndarray) -> None:
    """y must lie in the loss's target domain (`loss.targets`): "unit", each in [0, 1]; "simplex",
    rows of a probability distribution, each summing to 1 within 4·k·eps (k terms: normalising and
    summing a row rounds about k times); "real", anything finite."""
    if loss.targets == "unit" and ((y < 0).any() or (y > 1).any()):
        raise ValueError(f"y: {loss.name} expects targets in [0, 1], got values in [{y.min()}, {y.max()}]")
    if loss.targets == "simplex":
        if (y < 0).any():
            raise ValueError(f"y: {loss.name} expects non-negative targets, got min {y.min()}")
        row_sums = y.sum(axis=1)
        tol = 4 * y.shape[1] * np.finfo(y.dtype).eps
        worst = int(np.argmax(np.abs(row_sums - 1)))
        if abs(row_sums[worst] - 1) > tol:
            raise ValueError(f"y: {loss.name} expects each row to be one-hot or a distribution "
                             f"summing to 1, row {worst} sums to {row_sums[worst]}")


def describe_value(v) -> str:
    """A value's kind in a message: "ndarray of shape (3, 2)", "list of length 4", "NoneType"."""
    if isinstance(v, np.ndarray):
        return f"ndarray of shape {v.shape}"
    return f"{type(v).__name__} of length {len(v)}" if hasattr(v, "__len__") else type(v).__name__


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}"
    return f" >= {low}" if low is not None else f" <= {high}" if high is not None else ""


def _show(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
