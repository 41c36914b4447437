"""Extreme values: |z| up to 1e4, probabilities of exactly 0 and 1, widths up to 512, depth up to 10.
Loss and gradients stay finite and equal autograd's (with the usual derived tolerance)."""
import warnings

import numpy as np
import pytest

from backproof.manual import Network
from backproof.reference.compare import check_case
from backproof.reference.strategies import Case


def assert_finite_and_right(case: Case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or a log(0) inside manual/ would raise here
        g = case.net.gradients(case.x, case.y)
    for name in ("delta", "dW", "db"):
        for l, t in enumerate(getattr(g, name), 1):
            assert np.isfinite(t).all(), f"{name}[{l}] not finite: {t} ({case.describe()})"
    assert np.isfinite(g.cost), f"loss {g.cost} ({case.describe()})"
    report = check_case(case, oracles=("autograd",))
    assert report.ok, report.failure_message()


def huge_z_case(hidden, output, loss, reduction="sum", z=1e4, dtype=np.float64):
    """x = ±1 and weights of size 1e4: every pre-activation is ±1e4 (saturated both ways)."""
    x = np.array([[1.0], [-1.0]], dtype)
    W = [np.array([[z], [-z]], dtype), np.array([[z / 2, -z / 2], [-z / 2, z / 4]], dtype)]
    b = [np.zeros(2, dtype), np.zeros(2, dtype)]
    y = {"bce": np.array([[0.0, 1.0], [1.0, 1.0]]), "softmax_ce": np.array([[0.0, 1.0], [1.0, 0.0]])}.get(
        loss, np.array([[0.5, -0.5], [0.0, 1.0]])).astype(dtype)
    return Case(Network(W, b, [hidden, output], loss=loss, reduction=reduction), x, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "softplus", "relu", "leaky_relu", "identity"])
@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "softmax_ce"), ("sigmoid", "half_sse"),
                                          ("tanh", "mse"), ("softplus", "half_sse"), ("softmax", "mse")])
def test_pre_activations_of_1e4(hidden, output, loss, dtype):
    assert_finite_and_right(huge_z_case(hidden, output, loss, dtype=dtype))


@pytest.mark.parametrize("loss, output", [("bce", "sigmoid"), ("softmax_ce", "softmax")])
def test_probabilities_of_exactly_0_and_1(loss, output):
    """σ(±1e4) and softmax at ±1e4 are exactly 0 and 1 in float64; targets are exactly 0 and 1.
    The wrong class gets probability 0: log(0) is never taken, the loss is 1e4-sized and finite."""
    case = huge_z_case("identity", output, loss)
    a = case.net.forward(case.x).a[-1]
    assert ((a == 0) | (a == 1)).any()
    assert_finite_and_right(case)
    assert case.net.cost(case.x, case.y) >= 1e4  # the confidently wrong example costs about |z|


def wide_or_deep(sizes, activations, loss="half_sse", seed=0):
    rng = np.random.default_rng(seed)
    net = Network.init(sizes, activations, loss=loss, reduction="mean", seed=seed)
    x = rng.standard_normal((4, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=4)] if loss == "softmax_ce" else \
        rng.uniform(-1, 1, (4, sizes[-1]))
    return Case(net, x, y)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_width_512(act):
    assert_finite_and_right(wide_or_deep([512, 512, 512, 10], [act, act, "softmax"], "softmax_ce"))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus", "relu"])
def test_depth_10(act):
    assert_finite_and_right(wide_or_deep([6] * 11, [act] * 9 + ["identity"]))
