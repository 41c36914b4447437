"""How a user's backprop is written: the layout its parameters and data come in, how it is called, and
how its gradients come out. The harness (harness/check.py) converts everything to the canonical
layout (W[l] (n_l, n_{l-1}), b[l] (n_l,), examples in rows) and back.

    Layout      the data ("rows", "columns", or "vector": one example as 1-D arrays), the weights'
                shape ("out_in" like torch, "in_out"), and the biases ("separate", "row" (1, n),
                "augmented" / "augmented_first": a constant-1 input last / first, "none")
    Returns     what the function returns: a pair of lists, weights or biases first, each list input
                layer or output layer first; a flat sequence (dW1, db1, dW2, ... or dW1, dW2, ..., db1,
                ...); a dict ({"dW1": ..., "db1": ...}, "W1"/"b1", 0- or 1-based); or nothing, the
                gradients then being attributes of a model object
    (a model class, the harness builds for each network, is harness/models.py's)

Anything not stated is recognised once, on a probe network whose widths and batch all differ (so that
no two shapes coincide), and stated in the report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

LAYOUTS = ("rows", "columns", "vector")
WEIGHT_SHAPES = ("out_in", "in_out")
BIASES = ("separate", "row", "augmented", "augmented_first", "none")
TARGETS = ("one-hot", "soft", "labels")


class Unrecognized(ValueError):
    """The user's code or its result fits none of the conventions; the message says what was seen."""


# ----------------------------------------------------------------------------- layout

@dataclass(frozen=True)
class Layout:
    layout: str = "rows"
    weight_shape: str = "out_in"
    bias: str = "separate"
    labels: bool = False          # y given as integer class indices instead of one-hot rows

    def __str__(self) -> str:
        return f"layout={self.layout!r}, weight_shape={self.weight_shape!r}, bias={self.bias!r}"

    def data(self, a: np.ndarray) -> np.ndarray:
        """A batch (examples in rows) as the user takes it."""
        if self.layout == "columns":
            return np.ascontiguousarray(a.T)
        if self.layout == "vector":
            return a[0].copy()
        return a.copy()

    def targets(self, y: np.ndarray):
        """y as the user takes it: rows of values, or each example's class index."""
        if self.labels:
            labels = np.argmax(y, axis=1).astype(np.int64)
            return int(labels[0]) if self.layout == "vector" else labels
        return self.data(y)

    def params(self, W: list, b: list) -> tuple[list, list]:
        """The canonical W[l], b[l] as the user's weights and biases."""
        if self.bias in ("augmented", "augmented_first"):
            W = [np.hstack([Wl, bl[:, None]] if self.bias == "augmented" else [bl[:, None], Wl]) for Wl, bl in zip(W, b)]
        weights = [np.ascontiguousarray(Wl.T) if self.weight_shape == "in_out" else Wl.copy() for Wl in W]
        if self.bias != "separate" and self.bias != "row":
            return weights, []
        return weights, [self.bias_shape(bl) for bl in b]

    def bias_shape(self, bl: np.ndarray) -> np.ndarray:
        if self.bias == "row":
            return bl.reshape(1, -1).copy()
        return bl.reshape(-1, 1).copy() if self.layout == "columns" else bl.copy()

    def shapes(self, sizes: list) -> tuple[list, list]:
        """The shapes the user's dweights and dbiases have, for a network of these widths."""
        W = [np.empty((m, k)) for k, m in zip(sizes, sizes[1:])]
        b = [np.empty(m) for m in sizes[1:]]
        weights, biases = self.params(W, b)
        return [w.shape for w in weights], [v.shape for v in biases]

    def to_canonical(self, dweights: list, dbiases: list, sizes: list) -> tuple[list, list]:
        """The user's (already shape-checked) gradients as dW[l] (n_l, n_{l-1}) and db[l] (n_l,)."""
        dW = [g.T if self.weight_shape == "in_out" else g for g in dweights]
        if self.bias == "augmented":
            return [g[:, :-1] for g in dW], [g[:, -1] for g in dW]
        if self.bias == "augmented_first":
            return [g[:, 1:] for g in dW], [g[:, 0] for g in dW]
        if self.bias == "none":
            return dW, [np.zeros(m, dtype=dW[0].dtype) for m in sizes[1:]]
        return dW, [v.reshape(-1) for v in dbiases]

    def name_of(self, quantity: str, layer: int, index: tuple | None, sizes: list) -> tuple[str, tuple | None]:
        """The user's name and index for entry `index` of dW[layer] or db[layer] (layer 1..L)."""
        i = layer - 1
        if index is None:
            return f"d{'weights' if quantity == 'dW' else 'biases'}[{i}]", None
        if quantity == "db" and self.bias in ("separate", "row"):
            if self.bias == "row":
                return f"dbiases[{i}]", (0, index[0])
            return f"dbiases[{i}]", (index[0], 0) if self.layout == "columns" else index
        if quantity == "db":
            j, k = index[0], (sizes[i] if self.bias == "augmented" else 0)
        else:
            j, k = index[0], index[1] + (1 if self.bias == "augmented_first" else 0)
        return f"dweights[{i}]", (k, j) if self.weight_shape == "in_out" else (j, k)


# ----------------------------------------------------------------------------- what comes back

@dataclass(frozen=True)
class Returns:
    """How the gradients come back: form "pair", "flat", "dict" or "attributes"; for a pair, which
    list is first; for every form, whether layers run from the input or from the output."""

    form: str = "pair"
    weights_first: bool = True
    input_first: bool = True
    grouped: bool = False             # flat: dW1, dW2, ..., db1, db2, ... (else dW1, db1, dW2, ...)
    fits: bool = True                 # False: taken for its structure, the shapes did not tell
    with_loss: bool = False           # (loss, gradients): a number first, then the gradients as above

    def __str__(self) -> str:
        if self.with_loss:
            return f"(loss, gradients), the gradients as {replace(self, with_loss=False)}"
        direction = "input layer first" if self.input_first else "output layer first"
        if self.form == "pair":
            return f"({'dweights, dbiases' if self.weights_first else 'dbiases, dweights'}), each list {direction}"
        if self.form == "flat":
            return ("dW1, dW2, ..., db1, db2, ..." if self.grouped else "dW1, db1, dW2, db2, ...") + f", {direction}"
        if self.form == "step":
            return "gradients applied in place, read from the step the harness drove"
        return f"a {self.form} of gradients" if self.form == "dict" else "gradients left as attributes of the model"

    def extract(self, result, n_layers: int, with_biases: bool) -> tuple[list, list]:
        """(dweights, dbiases), input layer first, from what the function returned; Unrecognized if
        it is not of this form."""
        if self.with_loss:
            if not (isinstance(result, (tuple, list)) and len(result) == 2 and is_number(result[0])):
                raise Unrecognized(f"expected (loss, gradients), got {_describe(result)}")
            result = result[1]
        if self.form == "pair":
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise Unrecognized(f"expected a pair (dweights, dbiases), got {_describe(result)}")
            first, second = result
            dweights, dbiases = (first, second) if self.weights_first else (second, first)
            for name, v in (("dweights", dweights), ("dbiases", dbiases)):
                if not isinstance(v, (list, tuple)):
                    raise Unrecognized(f"expected {name} as a list with one array per layer, got {_describe(v)}")
            return self._direct(list(dweights)), self._direct(list(dbiases))
        if self.form == "flat":
            items = list(result) if isinstance(result, (tuple, list)) else None
            per = 2 if with_biases else 1
            if items is None or len(items) != per * n_layers or not all(isinstance(v, np.ndarray) for v in items):
                raise Unrecognized(f"expected {per * n_layers} arrays (dW and db of each of {n_layers} layers), "
                                   f"got {_describe(result)}")
            if not with_biases:
                return self._direct(items), []
            if self.grouped:
                return self._direct(items[:n_layers]), self._direct(items[n_layers:])
            return self._direct(items[0::2]), self._direct(items[1::2])
        if self.form == "dict":
            if not isinstance(result, dict):
                raise Unrecognized(f"expected a dict of gradients, got {_describe(result)}")
            return from_dict(result, n_layers, with_biases, self.input_first)
        raise Unrecognized("the gradients are read from the model's attributes or from its step")

    def _direct(self, items: list) -> list:
        return items if self.input_first else items[::-1]


CANDIDATES = (Returns("pair", True, True), Returns("pair", False, True), Returns("pair", True, False),
              Returns("pair", False, False), Returns("flat", grouped=False), Returns("flat", grouped=True),
              Returns("flat", input_first=False), Returns("flat", grouped=True, input_first=False),
              Returns("dict"))
CANDIDATES += tuple(replace(c, with_loss=True) for c in CANDIDATES)
KEY = re.compile(r"^(?:d|grad_?|nabla_?)?(w|weights?|b|bias(?:es)?)_?(\d+)$", re.IGNORECASE)


def from_dict(d: dict, n_layers: int, with_biases: bool, input_first: bool) -> tuple[list, list]:
    """{"dW1": ..., "db1": ...} (or W1/b1, weights_1, grad_W1, 0- or 1-based) as lists, input first."""
    found = {}
    for key, value in d.items():
        m = KEY.match(str(key))
        if m:
            found[("w" if m.group(1).lower().startswith("w") else "b", int(m.group(2)))] = value
    numbers = sorted({k for _, k in found})
    if not numbers or numbers != list(range(numbers[0], numbers[0] + n_layers)):
        raise Unrecognized(f"expected keys like dW1..dW{n_layers} and db1..db{n_layers} (or W0, b0, ...), "
                           f"got {sorted(map(str, d))[:8]}")
    first = numbers[0]
    weights = [found.get(("w", first + i)) for i in range(n_layers)]
    biases = [found.get(("b", first + i)) for i in range(n_layers)] if with_biases else []
    if any(v is None for v in weights + biases):
        raise Unrecognized(f"a layer's weight or bias gradient is missing from the dict's keys {sorted(map(str, d))[:8]}")
    return (weights, biases) if input_first else (weights[::-1], biases[::-1])


def recognize(result, layout: Layout, sizes: list, stated: Returns | None = None) -> Returns:
    """The first convention under which `result` has exactly the shapes expected for `sizes` (a probe
    network whose shapes all differ); the stated one if given (checked the same way). Where none fits
    but the result has a convention's structure, that one (the first, or the stated) is returned with
    `fits=False`: the shapes are then reported tensor by tensor, which says more than "no fit"."""
    weights, biases = layout.shapes(sizes)
    with_biases = bool(biases)
    fits = []
    for candidate in ([stated] if stated else CANDIDATES):
        try:
            dweights, dbiases = candidate.extract(result, len(weights), with_biases)
        except Unrecognized:
            continue
        if _shapes(dweights) == weights and _shapes(dbiases) == biases:
            fits.append(candidate)
    if len(fits) >= 1:
        return fits[0]
    for candidate in ([stated] if stated else CANDIDATES):
        try:
            dweights, dbiases = candidate.extract(result, len(weights), with_biases)
        except Unrecognized:
            continue
        if len(dweights) == len(weights) and len(dbiases) == len(biases):
            return replace(candidate, fits=False)
    seen = _layout_of(result)
    hint = ""
    if stated and stated.form == "pair":
        swapped = Returns("pair", not stated.weights_first, stated.input_first)
        try:
            dw, db = swapped.extract(result, len(weights), with_biases)
            if _shapes(dw) == weights and _shapes(db) == biases:
                hint = f"; it is {swapped}: leave `returns` out to have the order recognised"
        except Unrecognized:
            pass
    raise Unrecognized(f"expected dweights of shapes {weights} and dbiases of shapes {biases} ({layout}), "
                       f"got {seen}{hint}")


def is_number(v) -> bool:
    """A loss value: a Python or NumPy real number, or a 0-d array (never a bool)."""
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, np.ndarray) and v.ndim == 0


def _shapes(arrays) -> list:
    return [getattr(a, "shape", type(a).__name__) for a in arrays]


def _layout_of(result) -> str:
    if isinstance(result, dict):
        return "{" + ", ".join(f"{k!r}: {getattr(v, 'shape', type(v).__name__)}" for k, v in list(result.items())[:8]) + "}"
    if isinstance(result, (tuple, list)):
        return "(" + ", ".join(_layout_of(v) if isinstance(v, (tuple, list, dict)) else str(getattr(v, "shape", type(v).__name__))
                               for v in result) + ")"
    return _describe(result)


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    return f"{type(v).__name__} of length {len(v)}" if hasattr(v, "__len__") else type(v).__name__
