"""A model class as a backprop: Nielsen's Network(sizes), a list of layer objects, a book's two-layer
class. The harness builds it for each network, finds where it keeps its parameters (and so their
layout, from their shapes on a network whose widths differ), sets them, calls its method, and reads
the gradients it returns or leaves on it."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .styles import KEY, Layout, Unrecognized, from_dict


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
                return from_dict(getattr(obj, store), n_layers, with_biases, True)
        numbered = {k: getattr(obj, k) for k in dir(obj) if KEY.match(k) and k.lower().startswith(("d", "grad"))}
        if numbered:
            return from_dict(numbered, n_layers, with_biases, True)
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
