"""Manual backprop equals the oracles on arbitrary architectures (reference/strategies.py).

Depth 0–4 hidden layers, widths 1–10, batch 1–16, any activation per layer, any compatible loss and
reduction, float64 and float32. Every delta[l], ∂C/∂W[l], ∂C/∂b[l] and the loss are checked against
autograd with the derived tolerance (reference/tolerances.py); dW and db also against finite
differences.
"""
import numpy as np
import pytest
from hypothesis import given

from backproof.reference.autograd import autograd_gradients, gradient_magnitudes
from backproof.reference.compare import assert_case, check_case
from backproof.reference.strategies import cases, random_case
from backproof.reference.tolerances import rtol_exact


@given(cases())
def test_manual_equals_autograd(case):
    assert_case(case, oracles=("autograd",))


@given(cases(l2s=(0.05, 0.5), l2_biases=(False, True)))
def test_manual_with_an_l2_term_equals_autograd_and_finite_differences(case):
    """(λ/2)·Σ‖W‖² (and the biases' with l2_biases) in the cost: λ·W added to BP4 (λ·b to BP3), and
    the term in the cost itself. The default draws have no L2 term, so this is its own property
    (the mutation run found the L2 path unchecked: replacing dW by λ·W alone survived)."""
    assert_case(case, oracles=("autograd", "finite_differences"))
    net, x, y = case.net, case.x, case.y
    got, expected = net.gradients(x, y).cost, autograd_gradients(net, x, y).cost
    rtol = rtol_exact(net.dtype, net.sizes, len(x))
    assert abs(float(got) - expected) <= rtol * (abs(expected) + 1), (float(got), expected)


@given(cases())
def test_manual_equals_finite_differences(case):
    assert_case(case, oracles=("finite_differences",))


@given(cases(dtypes=("float32",)))
def test_float32_stays_float32(case):
    net = case.net
    cache = net.forward(case.x)
    grads = net.backward(cache, case.y)
    arrays = {"z": cache.z, "a": cache.a, "delta": grads.delta, "dW": grads.dW, "db": grads.db}
    for name, values in arrays.items():
        for i, v in enumerate(values):
            assert v.dtype == np.float32, f"{name}[{i}] is {v.dtype}, expected float32 ({case.describe()})"
    assert grads.cost.dtype == np.float32, f"loss is {grads.cost.dtype}"


@given(cases(losses=("half_sse", "mse")))
def test_targets_equal_to_outputs_give_zero_gradients(case):
    """At y = a[L] the squared-error cost is 0 and so is every gradient (exactly: no rounding)."""
    net = case.net
    y = net.forward(case.x).a[-1]
    grads = net.gradients(case.x, y)
    assert grads.cost == 0
    for name in ("delta", "dW", "db"):
        for l, g in enumerate(getattr(grads, name), start=1):
            assert not g.any(), f"{name}[{l}] = {g} at the minimum ({case.describe()})"


@pytest.mark.parametrize("seed", range(5))
def test_a_small_error_in_one_entry_is_caught(seed):
    """The error scale (the size of the summed terms) does not hide a wrong digit: one entry of
    one float64 gradient off by 1e-10 relative fails."""
    case = random_case(np.random.default_rng(seed), dtypes=("float64",))
    grads = case.net.gradients(case.x, case.y)
    l = len(grads.dW) - 1
    idx = np.unravel_index(np.argmax(np.abs(grads.dW[l])), grads.dW[l].shape)
    grads.dW[l][idx] *= 1 + 1e-10
    report = check_case(case, lambda net, x, y: grads, oracles=("autograd",))
    assert not report.ok and f"dW[{l + 1}] at index {tuple(map(int, idx))}" in report.failure_message()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(5))
def test_the_tolerance_is_where_it_says(seed, dtype):
    """Every entry of db[1] off by 0.5× the tolerance of its own bound passes; by 3× fails (beyond
    the tolerance plus float64 autograd's own bound, so no arbitration can rescue it)."""
    case = random_case(np.random.default_rng(seed), dtypes=(dtype,))
    ref = autograd_gradients(case.net, case.x, case.y)
    scale = np.maximum(gradient_magnitudes(case.net, case.x, case.y).db[0], np.abs(ref.db[0]))
    for multiple, should_pass in ((0.5, True), (3.0, False)):
        grads = case.net.gradients(case.x, case.y)
        grads.db[0] = (ref.db[0] + multiple * rtol_exact(dtype) * scale).astype(dtype)
        report = check_case(case, lambda net, x, y: grads, oracles=("autograd",))
        assert report.ok == should_pass, f"{multiple}× the tolerance: {report.failure_message()}"
