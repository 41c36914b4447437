"""The harness (reference/harness.py): anyone's backprop, in any layout, one call.

A user's backprop is written here as a student would (sigmoid layers, ½·SSE summed over the batch),
with its own layout conversions (not the harness's), and with switchable bugs. Correct versions pass
in every layout; each bug is caught with a shrunk counterexample; bad use is reported as such.
"""
import numpy as np
import pytest

from backproof.manual import Network
from backproof.reference.harness import assert_backprop, check_backprop

LAYOUTS = [(layout, shape, bias) for layout in ("rows", "columns") for shape in ("out_in", "in_out")
           for bias in ("separate", "augmented", "none")]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def student_backprop(layout="rows", weight_shape="out_in", bias="separate", bug=None):
    """A sigmoid net's backprop with ½·Σ(a − y)², written in the canonical math (rows, W (out, in))
    and wrapped in conversions to and from the given layout."""
    def backprop(weights, biases, x, y):
        W = [w.T if weight_shape == "in_out" else w for w in weights]
        if bias == "augmented":
            W, b = [w[:, :-1] for w in W], [w[:, -1] for w in W]
        elif bias == "none":
            b = [np.zeros(w.shape[0]) for w in W]
        else:
            b = [v.ravel() for v in biases]
        if layout == "columns":
            x, y = x.T, y.T
        a, zs = [x], []
        for Wl, bl in zip(W, b):
            zs.append(a[-1] @ Wl.T + bl)
            a.append(sigmoid(zs[-1]))
        L = len(W)
        delta = [None] * L
        delta[-1] = (a[-1] - y) * a[-1] * (1 - a[-1])
        for l in range(L - 2, -1, -1):
            W_next = W[l] if bug == "off-by-one layer" else W[l + 1]
            fprime = 1 if bug == "missing f'" else a[l + 1] * (1 - a[l + 1])
            delta[l] = (delta[l + 1] @ W_next) * fprime
        dW = [d.T @ ap for d, ap in zip(delta, a)]
        db = [d[0] if bug == "bias gradient not summed" else d.sum(axis=0) for d in delta]
        if bug == "wrong sign":
            dW, db = [-g for g in dW], [-g for g in db]
        if bug == "transposed gradient":
            dW = [g.T for g in dW]
        # back to the user's layout
        if bias == "augmented":
            dW = [np.hstack([g, v[:, None]]) for g, v in zip(dW, db)]
        dW = [np.ascontiguousarray(g.T) if weight_shape == "in_out" else g for g in dW]
        if bias != "separate":
            return dW, []
        return dW, [v.reshape(-1, 1) if layout == "columns" else v for v in db]
    return backprop


@pytest.mark.parametrize("layout, weight_shape, bias", LAYOUTS)
def test_a_correct_backprop_passes_in_every_layout(layout, weight_shape, bias):
    report = check_backprop(student_backprop(layout, weight_shape, bias), layout=layout,
                            weight_shape=weight_shape, bias=bias, max_examples=40, seed=1)
    assert report.ok, str(report)
    assert "backprop OK" in str(report)


def nielsen_style(weights, biases, x, y):
    """Columns layout, W (out, in), b (out, 1): the shape of source 002's network."""
    acts, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ acts[-1] + b)
        acts.append(sigmoid(zs[-1]))
    delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
    nabla_w, nabla_b = [delta @ acts[-2].T], [delta.sum(axis=1, keepdims=True)]
    for l in range(2, len(weights) + 1):
        delta = (weights[-l + 1].T @ delta) * acts[-l] * (1 - acts[-l])
        nabla_w.insert(0, delta @ acts[-l - 1].T)
        nabla_b.insert(0, delta.sum(axis=1, keepdims=True))
    return nabla_w, nabla_b


def test_column_layout_like_source_002_passes():
    assert_backprop(nielsen_style, layout="columns", max_examples=60, seed=2)


def test_manual_network_passes_through_the_harness():
    def manual(weights, biases, x, y):
        g = Network(weights, biases, "tanh", loss="mse", reduction="mean").gradients(x, y)
        return g.dW, g.db
    assert_backprop(manual, activation="tanh", loss="mse", reduction="mean", max_examples=60, seed=3)


def test_the_pytest_fixture_makes_a_check_one_line(assert_backprop):
    assert_backprop(student_backprop("columns", "in_out", "augmented"), layout="columns",
                    weight_shape="in_out", bias="augmented")


BUG_CASES = [  # each bug in two layouts; between them every layout option appears
    ("missing f'", "rows", "out_in", "separate"),
    ("missing f'", "columns", "in_out", "augmented"),
    ("wrong sign", "rows", "in_out", "none"),
    ("wrong sign", "columns", "out_in", "separate"),
    ("bias gradient not summed", "rows", "out_in", "separate"),
    ("bias gradient not summed", "columns", "in_out", "separate"),
    ("transposed gradient", "rows", "out_in", "separate"),
    ("transposed gradient", "columns", "in_out", "none"),
    ("off-by-one layer", "rows", "out_in", "separate"),
    ("off-by-one layer", "columns", "in_out", "augmented"),
]


@pytest.mark.parametrize("bug, layout, weight_shape, bias", BUG_CASES)
def test_a_wrong_backprop_is_caught_and_shrunk(bug, layout, weight_shape, bias):
    wrong = student_backprop(layout, weight_shape, bias, bug=bug)
    report = check_backprop(wrong, layout=layout, weight_shape=weight_shape, bias=bias, max_examples=300, seed=0)
    assert not report.ok
    ce = report.counterexample
    assert sum(ce.sizes) <= 5 and len(ce.sizes) <= 3, f"not shrunk: {report}"
    assert f"layout={layout!r}" in str(report) and "smallest failing network" in str(report)
    if bug == "bias gradient not summed":
        assert ce.parameter == "dbiases[0]" and ce.batch == 2, str(report)  # one example cannot show it
    if ce.problem:  # a shape the user did not expect, or an exception
        assert ce.parameter == "backprop" or "expected shape" in ce.problem, str(report)
    else:  # a wrong value: replaying the user's function on the counterexample gives that value
        dW, db = wrong(ce.weights, ce.biases, ce.x, ce.y)
        name, i = ce.parameter.rstrip("]").split("[")
        assert (dW if name == "dweights" else db)[int(i)][ce.index] == ce.given, str(report)
        assert ce.given != ce.expected


@pytest.mark.parametrize("bad, pattern", [
    (lambda weights, biases, x, y: ([w.astype(np.float32) for w in weights], biases), "expected dtype float64"),
    (lambda weights, biases, x, y: ([np.full_like(w, np.nan) for w in weights], biases), "non-finite value nan"),
    (lambda weights, biases, x, y: ([w.ravel() for w in weights], biases), "expected shape"),
    (lambda weights, biases, x, y: [w for w in weights], "expected a pair"),
    (lambda weights, biases, x, y: (weights, biases[:-1] or None), "expected a list of"),
    (lambda weights, biases, x, y: 1 / 0, "raised ZeroDivisionError"),
])
def test_bad_results_are_reported_as_such(bad, pattern):
    report = check_backprop(bad, max_examples=20, seed=0)
    assert not report.ok and pattern in str(report), str(report)


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: check_backprop("not a function"), TypeError, "backprop: expected a callable"),
    (lambda: check_backprop(lambda w, b, x: None), TypeError, r"taking \(weights, biases, x, y\)"),
    (lambda: check_backprop(nielsen_style, layout="cols"), ValueError, "layout: expected one of"),
    (lambda: check_backprop(nielsen_style, weight_shape="oi"), ValueError, "weight_shape"),
    (lambda: check_backprop(nielsen_style, bias="folded"), ValueError, "bias: expected one of"),
    (lambda: check_backprop(nielsen_style, activation="swish"), ValueError, "activation\\[0\\]: unknown"),
    (lambda: check_backprop(nielsen_style, loss="bce", activation="tanh"), ValueError, "loss: bce"),
    (lambda: check_backprop(nielsen_style, max_examples=0), ValueError, "max_examples"),
])
def test_bad_use_is_an_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
