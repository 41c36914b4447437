"""Manual backprop equals the oracles on arbitrary architectures (reference/strategies.py).

Depth 0–4 hidden layers, widths 1–8, batch 1–6, any activation per layer, any compatible loss and
reduction, float64 and float32. Every delta[l], ∂C/∂W[l], ∂C/∂b[l] and the loss are checked against
autograd with the derived tolerance (reference/tolerances.py); dW and db also against finite
differences.
"""
import numpy as np
from hypothesis import given

from reference.compare import assert_case
from reference.strategies import cases


@given(cases())
def test_manual_equals_autograd(case):
    assert_case(case, oracles=("autograd",))


@given(cases())
def test_manual_equals_finite_differences(case):
    assert_case(case, oracles=("finite differences",))


@given(cases(dtypes=("float32",)))
def test_float32_stays_float32(case):
    net = case.net
    cache = net.forward(case.x)
    grads = net.gradients(case.x, case.y)
    arrays = {"z": cache.z, "a": cache.a, "delta": grads.delta, "dW": grads.dW, "db": grads.db}
    for name, values in arrays.items():
        for i, v in enumerate(values):
            assert v.dtype == np.float32, f"{name}[{i}] is {v.dtype}, expected float32 ({case.describe()})"
    assert grads.loss.dtype == np.float32, f"loss is {grads.loss.dtype}"


@given(cases(losses=("half_sse", "mse")))
def test_targets_equal_to_outputs_give_zero_gradients(case):
    """At y = a[L] the squared-error cost is 0 and so is every gradient (exactly: no rounding)."""
    net = case.net
    y = net.forward(case.x).a[-1]
    grads = net.gradients(case.x, y)
    assert grads.loss == 0
    for name in ("delta", "dW", "db"):
        for l, g in enumerate(getattr(grads, name), start=1):
            assert not g.any(), f"{name}[{l}] = {g} at the minimum ({case.describe()})"
