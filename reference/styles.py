"""How a user's backprop is written: the layout its parameters and data come in, how it is called, and
how its gradients come out. The harness (reference/harness.py) converts everything to the canonical
layout (W[l] (n_l, n_{l-1}), b[l] (n_l,), examples in rows) and back.

    Layout      the data ("rows", "columns", or "vector": one example as 1-D arrays), the weights'
                shape ("out_in" like torch, "in_out"), and the biases ("separate", "row" (1, n),
                "augmented" / "augmented_first": a constant-1 input last / first, "none")
    Returns     what the function returns: a pair of lists, weights or biases first, each list input
                layer or output layer first; a flat sequence (dW1, db1, dW2, ... or dW1, dW2, ..., db1,
                ...); a dict ({"dW1": ..., "db1": ...}, "W1"/"b1", 0- or 1-based); or nothing, the
                gradients then being attributes of a model object
    Model       a class (Nielsen's Network(sizes), a layer-object model, a book's two-layer class) the
                harness builds for each network, sets the parameters of and reads the gradients from

Anything not stated is recognised once, on a probe network whose widths and batch all differ (so that
no two shapes coincide), and stated in the report.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field, replace

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

    def __str__(self) -> str:
        direction = "input layer first" if self.input_first else "output layer first"
        if self.form == "pair":
            return f"({'dweights, dbiases' if self.weights_first else 'dbiases, dweights'}), each list {direction}"
        if self.form == "flat":
            return ("dW1, dW2, ..., db1, db2, ..." if self.grouped else "dW1, db1, dW2, db2, ...") + f", {direction}"
        return f"a {self.form} of gradients" if self.form == "dict" else "gradients left as attributes of the model"

    def extract(self, result, n_layers: int, with_biases: bool) -> tuple[list, list]:
        """(dweights, dbiases), input layer first, from what the function returned; Unrecognized if
        it is not of this form."""
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
            return _from_dict(result, n_layers, with_biases, self.input_first)
        raise Unrecognized("the gradients are read from the model's attributes")

    def _direct(self, items: list) -> list:
        return items if self.input_first else items[::-1]


CANDIDATES = (Returns("pair", True, True), Returns("pair", False, True), Returns("pair", True, False),
              Returns("pair", False, False), Returns("flat", grouped=False), Returns("flat", grouped=True),
              Returns("flat", input_first=False), Returns("flat", grouped=True, input_first=False),
              Returns("dict"))
_KEY = re.compile(r"^(?:d|grad_?|nabla_?)?(w|weights?|b|bias(?:es)?)_?(\d+)$", re.IGNORECASE)


def _from_dict(d: dict, n_layers: int, with_biases: bool, input_first: bool) -> tuple[list, list]:
    """{"dW1": ..., "db1": ...} (or W1/b1, weights_1, grad_W1, 0- or 1-based) as lists, input first."""
    found = {}
    for key, value in d.items():
        m = _KEY.match(str(key))
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


# ----------------------------------------------------------------------------- a model object

METHODS = ("backprop", "backward", "gradients", "grad", "compute_gradients")


@dataclass
class Model:
    """A model class the harness builds for each network, where its parameters live (`params`:
    "lists" .weights/.biases, "layers" .layers[i].weights/.biases, "numbered" .W1/.b1, or "dict"
    .params["W1"]) and which method it calls with (x, y). Gradients come back from the method, or,
    if it returns nothing, from the attributes beside the parameters (dweights/dbiases, nabla_w,
    dW1/db1, grads[...])."""

    make: type
    params: str
    method: str
    names: dict = field(default_factory=dict)   # where params live: attribute names found

    def build(self, sizes: list):
        return _build(self.make, sizes)

    def set(self, obj, weights: list, biases: list) -> None:
        n = self.names
        if self.params == "lists":
            setattr(obj, n["weights"], list(weights))
            setattr(obj, n["biases"], list(biases))
        elif self.params == "layers":
            for layer, w, b in zip(_weighted(getattr(obj, n["layers"]), n), weights, biases or [None] * len(weights)):
                setattr(layer, n["weights"], w)
                if b is not None:
                    setattr(layer, n["biases"], b)
        elif self.params == "numbered":
            for i, (w, b) in enumerate(zip(weights, biases or [None] * len(weights)), start=n["base"]):
                setattr(obj, n["W"].format(i), w)
                if b is not None:
                    setattr(obj, n["b"].format(i), b)
        else:
            store = getattr(obj, n["dict"])
            for i, (w, b) in enumerate(zip(weights, biases or [None] * len(weights)), start=n["base"]):
                store[n["W"].format(i)] = w
                if b is not None:
                    store[n["b"].format(i)] = b

    def call(self, obj, x, y):
        method = getattr(obj, self.method)
        if self.method == "backward" and _takes(method, 1) and hasattr(obj, "forward"):
            obj.forward(x)          # forward(x) then backward(y): the layer-object style
            return method(y)
        return method(x, y)

    def attributes(self, obj, n_layers: int, with_biases: bool) -> tuple[list, list]:
        """The gradients left on the model: beside each layer's parameters, or on the model itself."""
        n = self.names
        if self.params == "layers":
            layers = _weighted(getattr(obj, n["layers"]), n)
            for dw, db in (("dweights", "dbiases"), ("dW", "db"), ("grad_W", "grad_b"), ("dw", "db")):
                if all(hasattr(layer, dw) for layer in layers):
                    return [getattr(layer, dw) for layer in layers], \
                        ([getattr(layer, db) for layer in layers] if with_biases else [])
        for dw, db in (("nabla_w", "nabla_b"), ("dweights", "dbiases"), ("grad_weights", "grad_biases")):
            if hasattr(obj, dw):
                return list(getattr(obj, dw)), list(getattr(obj, db)) if with_biases else []
        for store in ("grads", "gradients"):
            if isinstance(getattr(obj, store, None), dict):
                return _from_dict(getattr(obj, store), n_layers, with_biases, True)
        numbered = {k: getattr(obj, k) for k in dir(obj) if _KEY.match(k) and k.lower().startswith(("d", "grad"))}
        if numbered:
            return _from_dict(numbered, n_layers, with_biases, True)
        raise Unrecognized(f"{self.method}() returned nothing, and no gradients were found on the model "
                           "(looked for dweights/dbiases on each layer, nabla_w/nabla_b, grads[...], dW1/db1)")


def recognize_model(make, sizes: list, method: str | None) -> tuple[Model, list, list]:
    """Build the class for `sizes` and find where its parameters are: returns the Model and the
    parameters' own (initial) shapes, which tell the weights' and biases' layout."""
    obj = _build(make, sizes)
    L = len(sizes) - 1
    found = _find_params(obj, L)
    if found is None:
        raise Unrecognized(f"could not find {L} weight arrays on {type(obj).__name__} (looked for .weights and "
                           ".biases lists, .layers with .weights, .W1/.b1 attributes, a .params dict)")
    params, names, weights, biases = found
    if method is None:
        method = next((m for m in METHODS if callable(getattr(obj, m, None))), None)
        if method is None:
            raise Unrecognized(f"{type(obj).__name__} has none of the methods {', '.join(METHODS)}: name the one "
                               "that runs the forward and backward pass with method=")
    elif not callable(getattr(obj, method, None)):
        raise Unrecognized(f"{type(obj).__name__} has no method {method!r}")
    return Model(make, params, method, names), weights, biases


def layout_from_shapes(weights: list, biases: list, sizes: list) -> Layout:
    """The weights' and biases' layout a model's own parameters have, on a network whose widths differ."""
    first = np.shape(weights[0])
    augmented = len(biases) == 0 and first not in ((sizes[1], sizes[0]), (sizes[0], sizes[1]))
    wider = (sizes[1], sizes[0] + 1)
    if augmented:
        weight_shape = "out_in" if first == wider else "in_out"
        return Layout("rows", weight_shape, "augmented")
    weight_shape = "out_in" if first == (sizes[1], sizes[0]) else "in_out"
    if not biases:
        return Layout("rows", weight_shape, "none")
    bshape = np.shape(biases[0])
    if bshape == (sizes[1], 1):
        return Layout("columns", weight_shape, "separate")
    if bshape == (1, sizes[1]):
        return Layout("rows", weight_shape, "row")
    return Layout("rows", weight_shape, "separate")


def _build(make, sizes: list):
    try:
        return make(list(sizes))
    except TypeError as first:
        try:
            return make(*sizes)
        except TypeError:
            raise first from None


def _takes(method, n: int) -> bool:
    try:
        inspect.signature(method).bind(*([None] * n))
        return True
    except (TypeError, ValueError):
        return False


def _weighted(layers, names) -> list:
    return [layer for layer in layers if hasattr(layer, names["weights"])]


def _find_params(obj, L: int):
    for w, b in (("weights", "biases"), ("W", "b"), ("Ws", "bs")):
        ws, bs = getattr(obj, w, None), getattr(obj, b, None)
        if isinstance(ws, (list, tuple)) and len(ws) == L and all(isinstance(v, np.ndarray) for v in ws):
            return "lists", {"weights": w, "biases": b}, list(ws), list(bs) if isinstance(bs, (list, tuple)) else []
    for attr in ("layers", "layer_list", "modules"):
        layers = getattr(obj, attr, None)
        if isinstance(layers, (list, tuple)):
            for w, b in (("weights", "biases"), ("W", "b"), ("w", "b")):
                weighted = [layer for layer in layers if isinstance(getattr(layer, w, None), np.ndarray)]
                if len(weighted) == L:
                    names = {"layers": attr, "weights": w, "biases": b}
                    return "layers", names, [getattr(x, w) for x in weighted], \
                        [getattr(x, b) for x in weighted if isinstance(getattr(x, b, None), np.ndarray)]
    for pattern_w, pattern_b in (("W{}", "b{}"), ("w{}", "b{}"), ("W_{}", "b_{}")):
        for base in (1, 0):
            ws = [getattr(obj, pattern_w.format(base + i), None) for i in range(L)]
            if all(isinstance(v, np.ndarray) for v in ws):
                bs = [getattr(obj, pattern_b.format(base + i), None) for i in range(L)]
                return "numbered", {"W": pattern_w, "b": pattern_b, "base": base}, ws, \
                    [v for v in bs if isinstance(v, np.ndarray)]
    for attr in ("params", "parameters"):
        store = getattr(obj, attr, None)
        if isinstance(store, dict):
            for pattern_w, pattern_b in (("W{}", "b{}"), ("w{}", "b{}")):
                for base in (1, 0):
                    ws = [store.get(pattern_w.format(base + i)) for i in range(L)]
                    if all(isinstance(v, np.ndarray) for v in ws):
                        bs = [store.get(pattern_b.format(base + i)) for i in range(L)]
                        return "dict", {"dict": attr, "W": pattern_w, "b": pattern_b, "base": base}, ws, \
                            [v for v in bs if isinstance(v, np.ndarray)]
    return None
