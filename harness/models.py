"""A model class as a backprop: Nielsen's Network(sizes), a list of layer objects, a book's two-layer
class. The harness builds it for each network, finds where it keeps its parameters (and so their
layout, from their shapes on a network whose widths differ), sets them, calls its method, and reads
the gradients it returns or leaves on it."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from .styles import KEY, Layout, Unrecognized, from_dict


# the names a bias goes by beside its weights (a layer's .b, .bias, .w0; a model's .biases, .B ...)
BIAS_NAMES = ("biases", "b", "bias", "B", "bs", "w0", "b0")
METHODS = ("backprop", "backward", "gradients", "grad", "compute_gradients", "loss", "train_step", "update", "step",
           "train")
# where a model takes its learning rate (an argument of the method or the constructor, or an attribute)
LEARNING_RATES = ("lr", "learning_rate", "learningrate", "eta", "alpha", "step_size", "rate")
# The step the harness drives when the gradients are applied, never returned: a power of two (so that
# dividing the change by it is exact) large enough that the change dwarfs the parameter's own value.
STEP = 1024.0


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
    lr_init: str | None = None                  # the constructor's learning-rate argument
    lr_attr: str | None = None                  # the learning rate kept as an attribute
    lr_arg: str | None = None                   # the method's learning-rate argument
    kwargs: dict = field(default_factory=dict)  # passed to the method as they are (reg=..., ...)
    init_kwargs: dict = field(default_factory=dict)

    def build(self, sizes: list):
        kwargs = dict(self.init_kwargs)
        if self.lr_init:
            kwargs[self.lr_init] = STEP
        obj = _build(self.make, sizes, kwargs)
        if self.lr_attr:
            setattr(obj, self.lr_attr, STEP)
        return obj

    @property
    def steps(self) -> str | None:
        """Where the harness sets the learning rate of a step it drives, if anywhere."""
        where = [f"{self.method}({self.lr_arg}=...)" if self.lr_arg else "",
                 f"{self.make.__name__}({self.lr_init}=...)" if self.lr_init else "",
                 f".{self.lr_attr}" if self.lr_attr and not self.lr_init else ""]
        where = [w for w in where if w]
        return " and ".join(where) or None

    def names_of(self, n_layers: int) -> list[tuple[str, str]]:
        """The code's own names of each layer's weight and bias, input layer first."""
        n = self.names
        if self.params == "lists":
            return [(f"{n['weights']}[{i}]", f"{n['biases']}[{i}]") for i in range(n_layers)]
        if self.params in ("layers", "dict layers"):
            key = (lambda k: f"[{k!r}]") if self.params == "dict layers" else (lambda k: f".{k}")
            return [(f"{n['layers']}[{i}]{key(n['weights'])}", f"{n['layers']}[{i}]{key(n['biases'])}")
                    for i in range(n_layers)]
        if self.params == "attributes":
            return [(n["W"][i], n["b"][i] if n["b"] else f"b{i + 1}") for i in range(n_layers)]
        # numbered attributes (.W1) or keys of a dict (params["W1"]): the number is the code's own
        return [(n["W"].format(n["base"] + i), n["b"].format(n["base"] + i)) for i in range(n_layers)]

    def set(self, obj, weights: list, biases: list) -> None:
        n = self.names
        if self.params == "lists":
            setattr(obj, n["weights"], list(weights))
            if biases:
                setattr(obj, n["biases"], list(biases))
        elif self.params == "layers":
            for layer, w, b in zip(_weighted(getattr(obj, n["layers"]), n), weights, biases or [None] * len(weights)):
                setattr(layer, n["weights"], w)
                if b is not None:
                    setattr(layer, n["biases"], b)
        elif self.params == "attributes":
            for i, w in enumerate(weights):
                setattr(obj, n["W"][i], w)
            for i, b in enumerate(biases):
                setattr(obj, n["b"][i], b)
        elif self.params == "dict layers":
            for layer, w, b in zip(_keyed(getattr(obj, n["layers"]), n), weights, biases or [None] * len(weights)):
                layer[n["weights"]] = w
                if b is not None:
                    layer[n["biases"]] = b
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

    def get(self, obj, n_layers: int) -> tuple[list, list]:
        """The parameters as the model holds them now (after a step it took in place)."""
        n = self.names
        if self.params == "lists":
            return list(getattr(obj, n["weights"])), list(getattr(obj, n["biases"], []) or [])
        if self.params == "layers":
            layers = _weighted(getattr(obj, n["layers"]), n)
            return [getattr(x, n["weights"]) for x in layers], \
                [getattr(x, n["biases"]) for x in layers if isinstance(getattr(x, n["biases"], None), np.ndarray)]
        if self.params == "attributes":
            return [getattr(obj, w) for w in n["W"]], [getattr(obj, b) for b in n["b"]]
        if self.params == "dict layers":
            layers = _keyed(getattr(obj, n["layers"]), n)
            return [x[n["weights"]] for x in layers], [x[n["biases"]] for x in layers if n["biases"] in x]
        store = obj if self.params == "numbered" else getattr(obj, n["dict"])
        read = (lambda k: getattr(store, k, None)) if self.params == "numbered" else store.get
        ws = [read(n["W"].format(n["base"] + i)) for i in range(n_layers)]
        bs = [read(n["b"].format(n["base"] + i)) for i in range(n_layers)]
        return ws, [v for v in bs if isinstance(v, np.ndarray)]

    def call(self, obj, x, y):
        method = getattr(obj, self.method)
        kwargs = dict(self.kwargs)
        if self.lr_arg:
            kwargs[self.lr_arg] = STEP
        if self.method == "backward" and _takes(method, 1) and hasattr(obj, "forward"):
            obj.forward(x)          # forward(x) then backward(y): the layer-object style
            return method(y, **kwargs)
        return method(x, y, **kwargs)

    def stepped(self, obj, weights: list, biases: list) -> tuple[tuple[list, list], tuple[list, list]]:
        """The gradients of a step the model took in place with the harness's learning rate,
        (before − after) / STEP for each parameter, and a bound on each one's own error: the step
        rounds W0 − lr·g to W1 (at most u·|W1|) and W0 − W1 rounds once more (u·|W0 − W1|), lr a
        power of two divides exactly: ≤ eps·(|W0| + |W1|)/lr per entry, with u = eps/2.
        Unrecognized where nothing moved."""
        if self.steps is None:
            raise Unrecognized(f"{self.method}() returned no gradients, and no learning rate was found to set "
                               f"(looked for {', '.join(LEARNING_RATES)} as an argument of {self.method}() or of "
                               f"the constructor, or an attribute): return the gradients, or take one of those")
        after_w, after_b = self.get(obj, len(weights))
        if all(np.array_equal(a, b) for a, b in zip(after_w, weights)):
            raise Unrecognized(f"{self.method}() returned no gradients, left none on the model, and did not "
                               f"change the parameters with the learning rate set as {self.steps}")
        return (_recovered(weights, after_w), _recovered(biases, after_b)), \
            (_step_bound(weights, after_w), _step_bound(biases, after_b))

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


def _step_bound(before: list, after: list) -> list:
    return [np.finfo(np.asarray(b0).dtype).eps * (np.abs(b0) + np.abs(b1)) / STEP
            if isinstance(b1, np.ndarray) and np.shape(b1) == np.shape(b0) else 0.0 for b0, b1 in zip(before, after)]


def _recovered(before: list, after: list) -> list:
    """(before − after) / STEP for each parameter (a non-array after is passed on, for the shape check)."""
    return [(np.asarray(b0) - np.asarray(b1)) / np.asarray(b0).dtype.type(STEP) if isinstance(b1, np.ndarray) else b1
            for b0, b1 in zip(before, after)]


def recognize_model(make, sizes: list, method: str | None, kwargs: dict | None = None,
                    init_kwargs: dict | None = None) -> tuple[Model, list, list]:
    """Build the class for `sizes` and find where its parameters are: returns the Model and the
    parameters' own (initial) shapes, which tell the weights' and biases' layout. `kwargs` are
    passed to the method and `init_kwargs` to the constructor as they are; a learning rate the
    constructor or the method takes, or the model keeps, is found so that a step taken in place can
    be driven."""
    init_kwargs = dict(init_kwargs or {})
    lr_init = _argument(make, LEARNING_RATES, skip=1)
    obj = _build(make, sizes, {**init_kwargs, **({lr_init: STEP} if lr_init else {})})
    L = len(sizes) - 1
    found = _find_params(obj, L) or _by_shape(obj, sizes)
    if found is None:
        raise Unrecognized(f"could not find {L} weight arrays on {type(obj).__name__} (looked for .weights and "
                           ".biases lists, .layers with .weights, .W1/.b1 attributes, a .params dict, and arrays "
                           "of each layer's shape under any name)")
    params, names, weights, biases = found
    if method is None:
        method = next((m for m in METHODS if callable(getattr(obj, m, None))), None)
        if method is None:
            raise Unrecognized(f"{type(obj).__name__} has none of the methods {', '.join(METHODS)}: name the one "
                               "that runs the forward and backward pass with method=")
    elif not callable(getattr(obj, method, None)):
        raise Unrecognized(f"{type(obj).__name__} has no method {method!r}")
    lr_arg = _argument(getattr(obj, method), LEARNING_RATES, skip=2)
    lr_attr = next((a for a in LEARNING_RATES if isinstance(getattr(obj, a, None), (int, float, np.floating))
                    and not isinstance(getattr(obj, a), bool)), None)
    return Model(make, params, method, names, lr_init, lr_attr, lr_arg, dict(kwargs or {}), init_kwargs), \
        weights, biases


def _argument(fn, names: tuple, skip: int) -> str | None:
    """The first of `names` that `fn` takes as a keyword (after its first `skip` positional ones)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    return next((n for n in names if n in params and list(params).index(n) >= min(skip, len(params))), None)


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


def _build(make, sizes: list, kwargs: dict | None = None):
    kwargs = kwargs or {}
    try:
        return make(list(sizes), **kwargs)
    except TypeError as first:
        try:
            return make(*sizes, **kwargs)
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


def _keyed(layers, names) -> list:
    return [layer for layer in layers if isinstance(layer, dict) and names["weights"] in layer]


def _find_params(obj, L: int):
    for w in ("weights", "W", "Ws", "layers"):
        ws = getattr(obj, w, None)
        if isinstance(ws, (list, tuple)) and len(ws) == L and all(isinstance(v, np.ndarray) for v in ws):
            b = next((b for b in BIAS_NAMES + ("biases", "bs") if isinstance(getattr(obj, b, None), (list, tuple))),
                     "biases")
            bs = getattr(obj, b, None)
            return "lists", {"weights": w, "biases": b}, list(ws), list(bs) if isinstance(bs, (list, tuple)) else []
    for attr in ("layers", "layer_list", "modules"):
        layers = getattr(obj, attr, None)
        if isinstance(layers, (list, tuple)):
            for w in ("weights", "W", "w", "weight"):
                weighted = [layer for layer in layers if isinstance(getattr(layer, w, None), np.ndarray)]
                keyed = [layer for layer in layers if isinstance(layer, dict) and isinstance(layer.get(w), np.ndarray)]
                if len(weighted) == L:
                    b = next((b for b in BIAS_NAMES if all(isinstance(getattr(x, b, None), np.ndarray) for x in weighted)),
                             "biases")
                    return "layers", {"layers": attr, "weights": w, "biases": b}, [getattr(x, w) for x in weighted], \
                        [getattr(x, b) for x in weighted if isinstance(getattr(x, b, None), np.ndarray)]
                if len(keyed) == L:
                    b = next((b for b in BIAS_NAMES if all(isinstance(x.get(b), np.ndarray) for x in keyed)), "biases")
                    return "dict layers", {"layers": attr, "weights": w, "biases": b}, [x[w] for x in keyed], \
                        [x[b] for x in keyed if isinstance(x.get(b), np.ndarray)]
    for pattern_w, pattern_b in (("W{}", "b{}"), ("w{}", "b{}"), ("W_{}", "b_{}"), ("W{}", "B{}")):
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


def _by_shape(obj, sizes: list):
    """Parameters under any names (.wih, .who, .weights_ho): on a network whose widths all differ,
    each layer's weight is the one array of its shape, (n_l, n_(l-1)) or its transpose, and its bias
    the one of shape (n_l,), (n_l, 1) or (1, n_l) (all biases or none)."""
    arrays = {k: v for k, v in vars(obj).items() if isinstance(v, np.ndarray)}
    weights, biases = [], []
    for k, m in zip(sizes, sizes[1:]):
        match = [n for n, v in arrays.items() if v.shape in ((m, k), (k, m)) and n not in weights]
        if len(match) != 1:
            return None
        weights.append(match[0])
    for m in sizes[1:]:
        match = [n for n, v in arrays.items() if v.shape in ((m,), (m, 1), (1, m)) and n not in weights + biases]
        if len(match) != 1:
            biases = []
            break
        biases.append(match[0])
    return "attributes", {"W": weights, "b": biases}, [arrays[n] for n in weights], [arrays[n] for n in biases]
