"""Backprops written the way people write them, checked with no adapter.

Each style is our own code, written after the shapes of public learners' code (never copied): a
network object with a per-example backprop (column vectors, returning (nabla_b, nabla_w)), layer
objects with .weights/.dweights (in, out) and (1, n) biases driven by forward/backward, a params
dict, a two-layer class returning a 4-tuple, a per-example function on 1-D vectors returning its
lists output layer first. Each correct one passes on several seeds with at most its keyword
arguments; each wrong one fails, with the root tensor named and, for a convention mistake, the
diagnosis.
"""
import numpy as np
import pytest

from backproof.harness import check_backprop


def sig(z):
    return 1 / (1 + np.exp(-z))


def sig_prime(z):
    return sig(z) * (1 - sig(z))


# ----------------------------------------------------------------------------- a network object

class ColumnNetwork:
    """One example per call as column vectors; biases (n, 1); backprop returns (nabla_b, nabla_w)."""

    bug = None

    def __init__(self, sizes):
        rng = np.random.default_rng(0)
        self.sizes = sizes
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [rng.standard_normal((m, n)) for n, m in zip(sizes[:-1], sizes[1:])]

    def backprop(self, x, y):
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sig(z)
            activations.append(activation)
        delta = activations[-1] - y
        if self.bug != "output f' omitted":
            delta = delta * sig_prime(zs[-1])
        nabla_b, nabla_w = [None] * len(self.weights), [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for back in range(2, len(self.sizes)):
            w = self.weights[-back + 1]
            delta = ((w if self.bug == "no transpose" else w.T) @ delta) * sig_prime(zs[-back])
            nabla_b[-back], nabla_w[-back] = delta, delta @ activations[-back - 1].T
        return (nabla_w, nabla_b) if self.bug == "swapped" else (nabla_b, nabla_w)


def column_network(bug):
    return type(f"ColumnNetwork_{bug}".replace(" ", "_").replace("'", ""), (ColumnNetwork,), {"bug": bug})


@pytest.mark.parametrize("seed", range(3))
def test_a_network_object_needs_no_adapter(seed):
    report = check_backprop(ColumnNetwork, max_examples=40, seed=seed)
    assert report.ok, str(report)
    seen = " ".join(report.recognised)
    assert "parameters as lists" in seen and "layout='columns'" in seen and "once per example" in seen
    assert "returns (dbiases, dweights)" in seen


def test_a_network_object_returning_the_other_order_still_passes_and_says_so():
    report = check_backprop(column_network("swapped"), max_examples=30, seed=0)
    assert report.ok and "returns (dweights, dbiases)" in " ".join(report.recognised), str(report)


def test_a_network_object_without_the_output_derivative_is_diagnosed():
    report = check_backprop(column_network("output f' omitted"), max_examples=30, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.parameter.startswith("dweights") and ce.kind == "output f' omitted", str(report)
    assert "output layer's f′ is missing" in ce.diagnosis
    assert ce.parameter == f"dweights[{len(ce.sizes) - 2}]"   # the root: nearest the output


def test_a_missing_transpose_is_located_in_the_users_code():
    report = check_backprop(column_network("no transpose"), max_examples=30, seed=0)
    ce = report.counterexample
    assert ce.problem.startswith("raised ValueError"), str(report)
    assert __file__ in ce.raised_at and "(w if self.bug" in ce.raised_at, ce.raised_at


# ----------------------------------------------------------------------------- layer objects

class Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.default_rng(1).standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T


class ReLU:
    def forward(self, inputs):
        self.inputs, self.output = inputs, np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0.0)


class SoftmaxCrossEntropy:
    """Softmax and cross-entropy together, on class labels, averaged over the batch."""

    mean = True

    def forward(self, inputs):
        e = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = e / e.sum(axis=1, keepdims=True)

    def backward(self, labels):
        d = self.output.copy()
        d[np.arange(len(d)), labels] -= 1
        self.dinputs = d / len(d) if self.mean else d


class Softmax:
    def forward(self, inputs):
        e = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = e / e.sum(axis=1, keepdims=True)

    def backward(self, dvalues):          # the diagonal of the Jacobian only: wrong
        self.dinputs = dvalues * self.output * (1 - self.output)


class CrossEntropy:
    def backward(self, probabilities, labels):
        d = np.zeros_like(probabilities)
        d[np.arange(len(d)), labels] = -1 / probabilities[np.arange(len(d)), labels]
        self.dinputs = d / len(d)


class LayerModel:
    """Layers in a list, driven by forward(x) then backward(y)."""

    head = SoftmaxCrossEntropy

    def __init__(self, sizes):
        self.layers = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            self.layers.append(Dense(a, b))
            if i < len(sizes) - 2:
                self.layers.append(ReLU())
        self.top = self.head()

    def forward(self, x):
        for layer in self.layers:
            layer.forward(x)
            x = layer.output
        self.top.forward(x)

    def backward(self, labels):
        self.top.backward(labels)
        d = self.top.dinputs
        for layer in reversed(self.layers):
            layer.backward(d)
            d = layer.dinputs


class SummingHead(SoftmaxCrossEntropy):
    mean = False


class DiagonalModel(LayerModel):
    """The same, with softmax and the loss as two steps, softmax's backward only its diagonal."""

    def __init__(self, sizes):
        super().__init__(sizes)
        self.top, self.loss = Softmax(), CrossEntropy()

    def backward(self, labels):
        self.loss.backward(self.top.output, labels)
        self.top.backward(self.loss.dinputs)
        d = self.top.dinputs
        for layer in reversed(self.layers):
            layer.backward(d)
            d = layer.dinputs


LAYER_SETTINGS = dict(activation="relu", output="softmax", loss="softmax_ce", reduction="mean", targets="labels")


@pytest.mark.parametrize("seed", range(3))
def test_layer_objects_need_no_adapter(seed):
    report = check_backprop(LayerModel, **LAYER_SETTINGS, max_examples=40, seed=seed)
    assert report.ok, str(report)
    seen = " ".join(report.recognised)
    assert "parameters as layers" in seen and "weight_shape='in_out'" in seen and "bias='row'" in seen
    assert "method backward()" in seen


def test_layer_objects_summing_where_the_mean_is_asked_are_diagnosed():
    model = type("SummingModel", (LayerModel,), {"head": SummingHead})
    report = check_backprop(model, **LAYER_SETTINGS, max_examples=30, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.kind == "factor batch" and f"exactly {ce.batch}× (the batch size)" in ce.diagnosis, \
        str(report)


def test_a_softmax_backward_with_only_its_diagonal_is_diagnosed():
    report = check_backprop(DiagonalModel, **LAYER_SETTINGS, max_examples=30, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.kind == "softmax diagonal" and "off-diagonal" in ce.diagnosis, str(report)


# ----------------------------------------------------------------------------- a params dict

def dict_backprop(params, X, Y, bug=None):
    """tanh hidden layer, sigmoid output, binary cross-entropy averaged; W (in, out), b (1, out)."""
    L = len(params) // 2
    A, cache = X, []
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        cache.append((A, Z))
        A = np.tanh(Z) if l < L else sig(Z)
    dZ = (A - Y) / len(X)
    if bug == "output f' applied":
        dZ = dZ * A * (1 - A)
    grads = {}
    for l in range(L, 0, -1):
        A_prev, Z = cache[l - 1]
        grads[f"dW{l}"] = A_prev.T @ dZ
        grads[f"db{l}"] = dZ.sum(axis=0, keepdims=True)
        if l > 1:
            dZ = (dZ @ params[f"W{l}"].T) * (1 - np.tanh(cache[l - 2][1]) ** 2)
    return grads


DICT_SETTINGS = dict(params="dict", weight_shape="in_out", bias="row", activation="tanh", output="sigmoid",
                     loss="bce", reduction="mean")


@pytest.mark.parametrize("seed", range(3))
def test_a_params_dict_is_read_and_returned_by_name(seed):
    report = check_backprop(dict_backprop, **DICT_SETTINGS, max_examples=40, seed=seed)
    assert report.ok and "returns a dict of gradients" in " ".join(report.recognised), str(report)


def test_an_output_derivative_multiplied_into_bce_is_diagnosed():
    report = check_backprop(lambda p, x, y: dict_backprop(p, x, y, "output f' applied"), **DICT_SETTINGS,
                            max_examples=30, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.kind.startswith("loss half_sse"), str(report)
    assert "did you multiply by it?" in ce.diagnosis


# ----------------------------------------------------------------------------- a two-layer class

class TwoLayerNet:
    """A book's two-layer class: W1 (in, hidden), b1 (hidden,); gradients() returns a 4-tuple."""

    factor = 2.0

    def __init__(self, n_in, n_hidden, n_out):
        rng = np.random.default_rng(2)
        self.W1, self.b1 = rng.standard_normal((n_in, n_hidden)), np.zeros(n_hidden)
        self.W2, self.b2 = rng.standard_normal((n_hidden, n_out)), np.zeros(n_out)

    def gradients(self, X, Y):
        Z1 = X @ self.W1 + self.b1
        H = sig(Z1)
        out = H @ self.W2 + self.b2                          # a linear output
        dout = self.factor * (out - Y) / len(X)              # Σ(a − y)², averaged over the batch
        dH = dout @ self.W2.T * H * (1 - H)
        return X.T @ dH, dH.sum(axis=0), H.T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("seed", range(3))
def test_a_two_layer_class_returning_a_4_tuple(seed):
    report = check_backprop(TwoLayerNet, activation=["sigmoid", "identity"], loss="sse", reduction="mean",
                            max_examples=40, seed=seed)
    assert report.ok, str(report)
    assert "returns dW1, db1, dW2, db2" in " ".join(report.recognised)


def test_a_two_layer_class_that_drops_the_2_is_diagnosed():
    half = type("HalfNet", (TwoLayerNet,), {"factor": 1.0})
    report = check_backprop(half, activation=["sigmoid", "identity"], loss="sse", reduction="mean",
                            max_examples=30, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.kind == "factor 1/2" and "½×" in ce.diagnosis, str(report)


# ----------------------------------------------------------------------------- one example, 1-D

def one_example(weights, biases, x, y, sign=1.0):
    """x (in,), y (out,); tanh everywhere; ½·Σ(a − y)²; the lists come back output layer first."""
    a, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ a[-1] + b)
        a.append(np.tanh(zs[-1]))
    delta = sign * (a[-1] - y) * (1 - a[-1] ** 2)
    dW, db = [], []
    for l in range(len(weights) - 1, -1, -1):
        dW.append(np.outer(delta, a[l]))
        db.append(delta)
        if l:
            delta = (weights[l].T @ delta) * (1 - a[l] ** 2)
    return dW, db


@pytest.mark.parametrize("seed", range(3))
def test_one_example_as_vectors_output_layer_first(seed):
    report = check_backprop(one_example, layout="vector", activation="tanh", max_examples=40, seed=seed)
    assert report.ok, str(report)
    assert "returns (dweights, dbiases), each list output layer first" in " ".join(report.recognised)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_one_example_with_the_sign_flipped_is_diagnosed(reduction):
    report = check_backprop(lambda w, b, x, y: one_example(w, b, x, y, sign=-1.0), layout="vector",
                            activation="tanh", reduction=reduction, max_examples=30, seed=0)
    assert not report.ok and report.counterexample.kind == "sign", str(report)
