"""The central finite-difference oracle (reference/finite_diff.py): its own behaviour near kinks and
with large weights, and that it catches a wrong gradient."""
import numpy as np
import pytest

from backproof.manual import Network
from backproof.reference.compare import check_case
from backproof.reference.finite_diff import finite_difference_gradients
from backproof.reference.strategies import Limits, random_case


def test_finite_differences_catch_a_wrong_gradient():
    case = random_case(np.random.default_rng(4), Limits(depth=(0, 1)))
    grads = case.net.gradients(case.x, case.y)
    grads.dW[0] = grads.dW[0] * 1.001  # off by 0.1 %
    report = check_case(case, lambda net, x, y: grads, oracles=("finite_differences",))
    assert not report.ok and "finite_differences: dW[1]" in report.failure_message()


def test_finite_differences_refuse_to_straddle_a_kink():
    """z = 0 exactly in a relu layer: every step crosses the kink, so no derivative is claimed."""
    net = Network([np.array([[1.0]])], [np.array([0.0])], "relu", loss="half_sse", reduction="sum")
    with pytest.raises(ValueError, match="crosses a relu kink"):
        finite_difference_gradients(net, np.array([[0.0]]), np.array([[1.0]]))


def test_finite_differences_shrink_the_step_near_a_kink():
    """z = 1e-6 in a relu layer: the default step would cross 0; a halved one does not."""
    net = Network([np.array([[1.0]])], [np.array([1e-6])], "relu", loss="half_sse", reduction="sum")
    fd = finite_difference_gradients(net, np.array([[0.0]]), np.array([[1.0]]))
    assert fd.db[0][0] == pytest.approx(1e-6 - 1.0, rel=1e-6)


def test_finite_differences_are_right_on_float32_networks_with_large_weights():
    """Weights near 30 in float32 (|z| drawn to 60): the cost is evaluated in float64 on the exact
    float32 parameters, so float32's own rounding of the cost, which made D(h) 10% off on one such
    correct backprop, does not enter. An error of 5% of the entry's scale, 0.05·(1 + |C| + |g|), in
    the largest entry g is still caught on each (smaller ones are below what any finite difference
    of a float32 cost can resolve: with g = 2.6e3, 5% of the cost alone is 5e-5 of g)."""
    rng = np.random.default_rng(0)
    cases = [random_case(rng, Limits(max_z=60.0), dtypes=("float32",)) for _ in range(12)]
    assert sum(max(np.abs(Wl).max() for Wl in c.net.W) > 10 for c in cases) >= 6, "no large weights drawn"
    for case in cases:
        assert check_case(case, oracles=("finite_differences",)).ok, case.describe()
        grads = case.net.gradients(case.x, case.y)
        l = max(range(len(grads.dW)), key=lambda k: np.abs(grads.dW[k]).max())
        idx = np.unravel_index(np.argmax(np.abs(grads.dW[l])), grads.dW[l].shape)
        grads.dW[l][idx] += np.float32(0.05 * (1 + abs(float(grads.cost)) + abs(float(grads.dW[l][idx]))))
        assert not check_case(case, lambda net, x, y: grads, oracles=("finite_differences",)).ok, case.describe()


def test_finite_differences_leave_the_network_as_it_was():
    case = random_case(np.random.default_rng(1), Limits(depth=(1, 2)))
    before = [p.copy() for p in case.net.W + case.net.b]
    finite_difference_gradients(case.net, case.x, case.y)
    for p0, p1 in zip(before, case.net.W + case.net.b):
        np.testing.assert_array_equal(p0, p1)
