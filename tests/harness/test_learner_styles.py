"""The harness takes learners' code as it is written (issue 36): every convention a learner may use,
stated or not, with no glue but the import and one call. Each style below is our own code, written
the way that style is commonly written; each correct one must pass on several seeds and each with a
bug must be WRONG with a report that names it.

Conventions not stated are found by probing (both weight shapes, rows and columns, the bias shapes,
per example or batch), each stated argument fixing only itself."""
import numpy as np
import pytest

from selection import keep
from backproof.harness import check_backprop

SEEDS = (0, 1, 2)
N = 25          # networks per check: a style is recognised on the probe, then judged on each


def sig(z):
    return 1 / (1 + np.exp(-z))


def dsig(z):
    s = sig(z)
    return s * (1 - s)


# ----------------------------------------------------------------------------- functions

def in_out(W, b, x, y, factor=1.0):
    """z = a @ W + b with W of shape (in, out), b of shape (out,): the CS231n way."""
    zs, acts = [], [x]
    for Wl, bl in zip(W, b):
        zs.append(acts[-1] @ Wl + bl)
        acts.append(sig(zs[-1]))
    delta = (acts[-1] - y) * dsig(zs[-1]) * factor
    dW, db = [None] * len(W), [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l], db[l] = acts[l].T @ delta, delta.sum(axis=0)
        if l:
            delta = (delta @ W[l].T) * dsig(zs[l - 1])
    return dW, db


def in_out_row_bias(W, b, x, y):
    """The same with biases of shape (1, out), kept that way."""
    zs, acts = [], [x]
    for Wl, bl in zip(W, b):
        assert bl.shape == (1, Wl.shape[1])
        zs.append(acts[-1] @ Wl + bl)
        acts.append(sig(zs[-1]))
    delta = (acts[-1] - y) * dsig(zs[-1])
    dW, db = [None] * len(W), [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l], db[l] = acts[l].T @ delta, delta.sum(axis=0, keepdims=True)
        if l:
            delta = (delta @ W[l].T) * dsig(zs[l - 1])
    return dW, db


def columns(W, b, X, Y):
    """Examples in columns: Z = W @ A + b, W (out, in), b (out, 1): Ng's course."""
    Zs, As = [], [X]
    for Wl, bl in zip(W, b):
        Zs.append(Wl @ As[-1] + bl)
        As.append(sig(Zs[-1]))
    dZ = (As[-1] - Y) * dsig(Zs[-1])
    dW, db = [None] * len(W), [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l], db[l] = dZ @ As[l].T, dZ.sum(axis=1, keepdims=True)
        if l:
            dZ = (W[l].T @ dZ) * dsig(Zs[l - 1])
    return dW, db


def one_example_in_out(W, b, x, y):
    """One example as 1-D vectors, W (in, out)."""
    zs, acts = [], [x]
    for Wl, bl in zip(W, b):
        zs.append(acts[-1] @ Wl + bl)
        acts.append(sig(zs[-1]))
    delta = (acts[-1] - y) * dsig(zs[-1])
    dW, db = [None] * len(W), [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l], db[l] = np.outer(acts[l], delta), delta
        if l:
            delta = (W[l] @ delta) * dsig(zs[l - 1])
    return dW, db


def float32_only(W, b, x, y):
    """Casts everything to float32 and answers in float32, whatever it is given."""
    dW, db = in_out([w.astype(np.float32) for w in W], [v.astype(np.float32) for v in b],
                    x.astype(np.float32), y.astype(np.float32))
    return [g.astype(np.float32) for g in dW], [g.astype(np.float32) for g in db]


def loss_and_grads(W, b, x, y):
    """Returns (loss, (dW, db))."""
    a = x
    for Wl, bl in zip(W, b):
        a = sig(a @ Wl + bl)
    return 0.5 * ((a - y) ** 2).sum(), in_out(W, b, x, y)


def from_labels(W, b, x, labels):
    """Squared error on one-hot rows the code makes itself from integer labels."""
    k = W[-1].shape[1]
    return in_out(W, b, x, np.eye(k)[labels])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn", [in_out, in_out_row_bias, columns, loss_and_grads], ids=lambda f: f.__name__)
def test_a_correct_function_passes_in_its_convention_unstated(fn, seed):
    report = check_backprop(fn, max_examples=N, seed=seed)
    assert report.ok, str(report)


@pytest.mark.parametrize("stated", [dict(layout="vector"), dict(weight_shape="in_out"), dict(layout="vector", bias="separate")])
def test_stating_one_convention_leaves_the_others_recognised(stated):
    report = check_backprop(one_example_in_out, max_examples=N, seed=0, **stated)
    assert report.ok, str(report)


def test_what_was_recognised_is_said():
    text = str(check_backprop(in_out_row_bias, max_examples=N, seed=0))
    assert "weight_shape='in_out', bias='row'" in text, text


def test_a_float32_only_function_is_judged_in_float32_and_says_why():
    report = check_backprop(float32_only, dtype="float32", max_examples=N, seed=0)
    assert report.ok, str(report)
    assert "answers in float32 whatever it is given: the float64 logic run was skipped" in str(report)


def test_labels_for_a_squared_error_loss():
    assert check_backprop(from_labels, targets="labels", max_examples=N, seed=0).ok


def test_a_wrong_function_in_an_unstated_convention_is_wrong_for_its_values_not_for_a_shape():
    report = check_backprop(lambda W, b, x, y: in_out(W, b, x, y, factor=2.0), max_examples=N, seed=0)
    text = str(report)
    assert not report.ok and "matmul" not in text and "×2" in text, text


def test_a_function_that_fits_no_convention_says_which_were_tried():
    def broken(W, b, x, y):
        raise RuntimeError("not written yet")
    text = str(check_backprop(broken, max_examples=N, seed=0))
    assert "RuntimeError: not written yet" in text and "other conventions tried" in text, text
    assert "layout=, weight_shape=, bias=" in text, text


# ----------------------------------------------------------------------------- model classes

class InPlace:
    """Numbered parameters .W1, .b1, ...; train(x, y) applies the step itself with self.lr."""

    def __init__(self, sizes, lr=0.1, broken=False):
        rng = np.random.default_rng(0)
        self.L, self.lr, self.broken = len(sizes) - 1, lr, broken
        for i, (k, m) in enumerate(zip(sizes, sizes[1:]), start=1):
            setattr(self, f"W{i}", rng.standard_normal((m, k)))
            setattr(self, f"b{i}", np.zeros(m))

    def train(self, x, y):
        W = [getattr(self, f"W{i}") for i in range(1, self.L + 1)]
        b = [getattr(self, f"b{i}") for i in range(1, self.L + 1)]
        dW, db = in_out([w.T for w in W], b, x, y)
        if self.broken:                      # the last layer's step uses the wrong sign
            dW[-1] = -dW[-1]
        for i in range(self.L):
            W[i] -= self.lr * dW[i].T        # in place: the arrays the model holds
            b[i] -= self.lr * db[i]


class RateInMethod:
    """Lists .weights/.biases; update(x, y, learning_rate) steps in place and returns the loss."""

    def __init__(self, sizes):
        self.weights = [np.zeros((m, k)) for k, m in zip(sizes, sizes[1:])]
        self.biases = [np.zeros(m) for m in sizes[1:]]

    def update(self, x, y, learning_rate):
        dW, db = in_out([w.T for w in self.weights], self.biases, x, y)
        self.weights = [w - learning_rate * g.T for w, g in zip(self.weights, dW)]
        self.biases = [v - learning_rate * g for v, g in zip(self.biases, db)]
        return 0.0


class DictLayers:
    """Layers as dicts {'weights': (in, out), 'bias': (out,)}; backprop returns (dW list, db list)."""

    def __init__(self, sizes, cost):
        assert cost == "quadratic", "built with a cost the harness passes through"
        self.layers = [{"weights": np.zeros((k, m)), "bias": np.zeros(m)} for k, m in zip(sizes, sizes[1:])]

    def backprop(self, x, y):
        dW, db = in_out([layer["weights"] for layer in self.layers], [layer["bias"] for layer in self.layers], x, y)
        dW[-1] = dW[-1] * 3                  # the learner's bug, in the last layer
        return dW, db


class TwoLayer:
    """params['W1'] (in, hidden), ...; loss(X, y, reg) returns (loss, grads) with integer labels and
    a softmax on the scores, a relu hidden layer, the mean over the batch and reg·Σ W² in the loss."""

    def __init__(self, n_in, hidden, n_out):
        self.params = {"W1": np.zeros((n_in, hidden)), "b1": np.zeros(hidden),
                       "W2": np.zeros((hidden, n_out)), "b2": np.zeros(n_out)}

    def loss(self, X, y, reg=0.0):
        p = self.params
        h_pre = X @ p["W1"] + p["b1"]
        h = np.maximum(h_pre, 0)
        scores = h @ p["W2"] + p["b2"]
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        n = len(X)
        loss = -np.log(probs[np.arange(n), y]).mean() + reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
        dscores = probs.copy()
        dscores[np.arange(n), y] -= 1
        dscores /= n
        grads = {"W2": h.T @ dscores + 2 * reg * p["W2"], "b2": dscores.sum(axis=0)}
        dh = dscores @ p["W2"].T * (h_pre > 0)
        grads.update(W1=X.T @ dh + 2 * reg * p["W1"], b1=dh.sum(axis=0))
        return loss, grads


def test_a_model_that_steps_in_place_is_read_from_its_step():
    report = check_backprop(InPlace, max_examples=N, seed=0)
    assert report.ok, str(report)
    assert "applies the gradients in place" in str(report) and "set as InPlace(lr=...)" in str(report)


def test_a_model_stepping_with_a_rate_given_to_its_method_passes():
    report = check_backprop(RateInMethod, max_examples=N, seed=1)
    assert report.ok, str(report)
    assert "update(learning_rate=...)" in str(report)


class BrokenInPlace(InPlace):
    def __init__(self, sizes, lr=0.1):
        super().__init__(sizes, lr, broken=True)


def test_an_in_place_step_with_a_bug_is_wrong_in_the_models_own_names():
    report = check_backprop(BrokenInPlace, max_examples=N, seed=0)
    assert not report.ok
    L = len(report.counterexample.sizes) - 1
    assert f"dW{L}" in str(report), str(report)


class StepsAsItGoes:
    """Lists .weights (out, in) and .biases; train(x, y) walks down the layers and steps each one in
    place as soon as its gradient is known, so the delta sent below uses the updated weights."""

    def __init__(self, sizes, eta=0.5):
        rng = np.random.default_rng(1)
        self.weights = [rng.standard_normal((m, k)) for k, m in zip(sizes, sizes[1:])]
        self.biases = [np.zeros(m) for m in sizes[1:]]
        self.eta = eta

    def train(self, x, y):
        s = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
        a, zs = [x], []
        for W, b in zip(self.weights, self.biases):
            zs.append(a[-1] @ W.T + b)
            a.append(s(zs[-1]))
        delta = (a[-1] - y) * s(zs[-1]) * (1 - s(zs[-1]))
        for l in range(len(self.weights) - 1, -1, -1):
            self.weights[l] -= self.eta * (delta.T @ a[l])
            self.biases[l] -= self.eta * delta.sum(axis=0)
            if l:
                delta = (delta @ self.weights[l]) * s(zs[l - 1]) * (1 - s(zs[l - 1]))


@pytest.mark.parametrize("seed", keep(SEEDS))
def test_a_model_that_steps_each_layer_before_the_delta_below_is_diagnosed(seed):
    """The step the harness drives (learning rate 1024, read from the change) shows the mistake:
    the delta below was computed from W[l+1] − 1024·dW[l+1], and the report says so at that layer."""
    report = check_backprop(StepsAsItGoes, max_examples=N, seed=seed)
    ce = report.counterexample
    assert not report.ok and "updated W" in ce.kind.split(" + "), str(report)
    assert "BP2 uses W[" in ce.diagnosis and "− 1024·dW[" in ce.diagnosis and "learning rate" in ce.diagnosis


def test_dict_layers_and_a_constructor_argument_passed_through():
    report = check_backprop(DictLayers, init_kwargs={"cost": "quadratic"}, max_examples=N, seed=0)
    assert not report.ok
    L = len(report.counterexample.sizes) - 1
    assert f"d(layers[{L - 1}]['weights'])" in str(report) and "×3" in str(report), str(report)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_two_layer_class_with_loss_and_grads_and_regularisation(seed):
    report = check_backprop(TwoLayer, activation="relu", output="softmax", loss="softmax_ce", reduction="mean",
                            targets="labels", depth=(1, 1), method_kwargs={"reg": 0.05}, l2=0.1,
                            max_examples=N, seed=seed)
    assert report.ok, str(report)
    assert "(loss, gradients)" in str(report)


def test_gradients_returned_in_a_dict_are_named_by_its_keys():
    def keyed(W, b, x, y):
        dW, db = in_out(W, b, x, y)
        dW[-1] = dW[-1] * 2
        return {**{f"grad_W{i}": g for i, g in enumerate(dW)}, **{f"grad_b{i}": g for i, g in enumerate(db)}}
    report = check_backprop(keyed, max_examples=N, seed=0)
    L = len(report.counterexample.sizes) - 1
    assert not report.ok and f"grad_W{L - 1} at" in str(report), str(report)


def augmented(W, x, y, bias_factor=1.0):
    """Each bias is W's last column (a constant-1 input appended to every layer's input)."""
    zs, acts = [], [x]
    for Wl in W:
        ones = np.ones((len(acts[-1]), 1))
        zs.append(np.hstack([acts[-1], ones]) @ Wl.T)
        acts.append(sig(zs[-1]))
    delta = (acts[-1] - y) * dsig(zs[-1])
    dW = [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l] = np.hstack([delta.T @ acts[l], bias_factor * delta.sum(axis=0)[:, None]])
        if l:
            delta = (delta @ W[l][:, :-1]) * dsig(zs[l - 1])
    return dW


def test_a_wrong_bias_column_is_named_as_such():
    right = check_backprop(lambda W, b, x, y: augmented(W, x, y), bias="augmented", max_examples=N, seed=0)
    assert right.ok, str(right)
    wrong = check_backprop(lambda W, b, x, y: augmented(W, x, y, bias_factor=3.0), bias="augmented",
                           max_examples=N, seed=0)
    assert not wrong.ok and "the bias column of W[" in wrong.counterexample.diagnosis, str(wrong)


def test_biases_wrong_alone_are_named_as_such():
    def half_biases(W, b, x, y):
        dW, db = in_out(W, b, x, y)
        return dW, [g / 2 for g in db]
    report = check_backprop(half_biases, max_examples=N, seed=0)
    assert not report.ok and report.counterexample.kind == "bias only", str(report)


class ThreeLayerBook:
    """Weights under their own names, no biases, one example per call as lists made into columns,
    the learning rate a constructor argument, train() updating in place with (target − output):
    the style of a well-known beginners' book, written here from scratch. `split_errors` is that
    style's known slip: the output's raw error (t − o), not its delta, sent back to the hidden layer."""

    split_errors = False

    def __init__(self, n_input, n_hidden, n_output, learningrate):
        rng = np.random.default_rng(0)
        self.wih = rng.normal(0.0, n_hidden ** -0.5, (n_hidden, n_input))
        self.who = rng.normal(0.0, n_output ** -0.5, (n_output, n_hidden))
        self.lr = learningrate

    def train(self, inputs_list, targets_list):
        inputs = np.array(inputs_list, ndmin=2).T
        targets = np.array(targets_list, ndmin=2).T
        hidden = sig(self.wih @ inputs)
        outputs = sig(self.who @ hidden)
        output_errors = targets - outputs
        output_delta = output_errors * outputs * (1 - outputs)
        hidden_errors = self.who.T @ (output_errors if self.split_errors else output_delta)
        self.who += self.lr * output_delta @ hidden.T
        self.wih += self.lr * (hidden_errors * hidden * (1 - hidden)) @ inputs.T


@pytest.mark.parametrize("seed", SEEDS)
def test_a_book_style_class_with_named_arrays_and_no_biases(seed):
    report = check_backprop(ThreeLayerBook, bias="none", depth=(1, 1), max_examples=N, seed=seed)
    assert report.ok, str(report)
    assert "ThreeLayerBook(learningrate=...)" in str(report)


class SplitErrors(ThreeLayerBook):
    split_errors = True


def test_the_book_styles_split_errors_are_wrong_in_its_own_names():
    report = check_backprop(SplitErrors, bias="none", depth=(1, 1), max_examples=N, seed=0)
    assert not report.ok and report.counterexample.parameter == "dwih", str(report)
    assert report.counterexample.kind == "error sent back without f'", str(report)
