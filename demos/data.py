"""Data: the logic-gate truth tables, scikit-learn's bundled digits, and a real MNIST IDX loader.

Every loader returns float64 inputs in rows and one-hot (or 0/1) targets in rows, the layout
`Network` takes. MNIST is read from files the user provides (it is not downloaded here):
train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
each raw or gzipped (.gz).
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

TRUTH_TABLES = {  # inputs in rows, one target column
    "xor": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([[0], [1], [1], [0]], float)),
    "nand": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([[1], [1], [1], [0]], float)),
    "not": (np.array([[0], [1]], float), np.array([[1], [0]], float)),
}


def truth_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name not in TRUTH_TABLES:
        raise ValueError(f"name: expected one of {sorted(TRUTH_TABLES)}, got {name!r}")
    x, y = TRUTH_TABLES[name]
    return x.copy(), y.copy()


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels: expected a 1-D array of integers in 0..{classes - 1}")
    out = np.zeros((labels.size, classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def load_digits(seed: int = 0, test_fraction: float = 0.25):
    """scikit-learn's bundled 8×8 digits (1797 images, no download): pixels scaled to [0, 1],
    one-hot targets, split by a seeded shuffle into (x_train, y_train, x_test, y_test)."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    from sklearn.datasets import load_digits as _load
    bunch = _load()
    x, labels = bunch.data / 16.0, bunch.target
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], one_hot(labels[train], 10), x[test], one_hot(labels[test], 10)


# ----------------------------------------------------------------------------- IDX (MNIST)

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
               "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


class IDXError(ValueError):
    """A file that is not a valid IDX file, with the reason."""


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (raw, or gzip by its magic bytes): 2 zero bytes, a type byte, the number of
    dimensions, each dimension as a big-endian uint32, then the data. Everything is validated."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # zlib.error: a corrupt deflate body
            raise IDXError(f"{path}: a corrupt gzip file ({e})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise IDXError(f"{path}: not an IDX file (the magic number must start with two zero bytes)")
    kind, ndim = raw[2], raw[3]
    if kind not in IDX_TYPES:
        raise IDXError(f"{path}: unknown IDX data type 0x{kind:02x}")
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise IDXError(f"{path}: IDX header with {ndim} dimensions is truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[kind])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != expected:
        raise IDXError(f"{path}: header says dimensions {dims} ({expected} bytes of data) but the file "
                       f"has {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def load_mnist(directory: str | Path):
    """(x_train, y_train, x_test, y_test) from the four MNIST IDX files in `directory`: 28×28 images
    flattened to 784 pixels in [0, 1], one-hot labels."""
    directory = Path(directory)
    arrays = {}
    for key, name in MNIST_FILES.items():
        found = [p for p in (directory / name, directory / (name + ".gz")) if p.is_file()]
        if not found:
            raise FileNotFoundError(
                f"MNIST: {directory} has no {name} (or {name}.gz); expected the four files "
                f"{', '.join(MNIST_FILES.values())} (raw or .gz) from the MNIST distribution")
        arrays[key] = read_idx(found[0])
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise IDXError(f"MNIST {part}: expected images with 3 dimensions and labels with 1, got "
                           f"{images.shape} and {labels.shape}")
        if len(images) != len(labels):
            raise IDXError(f"MNIST {part}: {len(images)} images but {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise IDXError(f"MNIST {part}: a label is {int(labels.max())}; expected 0..9")
    def prep(images):
        return images.reshape(len(images), -1).astype(np.float64) / 255.0
    return (prep(arrays["train_images"]), one_hot(arrays["train_labels"], 10),
            prep(arrays["test_images"]), one_hot(arrays["test_labels"], 10))


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool = False) -> None:
    """Write an IDX file (used by the tests to make small MNIST-shaped files)."""
    array = np.asarray(array)
    codes = {np.dtype(v).str: k for k, v in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder(">").str if array.dtype.itemsize > 1 else array.dtype.str)
    if code is None:
        raise TypeError(f"array: no IDX type for dtype {array.dtype}")
    big = array.astype(np.dtype(IDX_TYPES[code]))
    data = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape) + big.tobytes()
    Path(path).write_bytes(gzip.compress(data) if compress else data)
