"""Each activation and loss against torch: value and derivative, float64 and float32, one line each.

The derivative is checked against torch autograd of torch's own function, with a random upstream
gradient (never only ones), at points chosen away from kinks; `extreme` points check stability.
"""
import warnings

import numpy as np
import pytest
import torch

from backproof.manual.activations import ACTIVATIONS, leaky_relu, softmax_jacobian
from backproof.manual.losses import LOSSES
from backproof.reference.autograd import torch_activation, torch_per_example_loss
from backproof.reference.tolerances import rtol_exact

RNG = np.random.default_rng(7)


def check_activation(act, z, dtype):
    """f(z) and the vector-Jacobian product g·J(z) against torch, in `dtype`, relative to max |ref|."""
    z = z.astype(dtype)
    g = RNG.standard_normal(z.shape).astype(dtype)
    zt = torch.tensor(z.astype(np.float64), requires_grad=True)
    out = torch_activation(act, zt)
    (vjp,) = torch.autograd.grad(out, zt, torch.tensor(g.astype(np.float64)))
    mine = act.f(z)
    mine_vjp = g * act.prime(z) if act.elementwise else np.einsum("nij,ni->nj", act.jacobian(z), g)
    for name, got, ref in (("f", mine, out.detach().numpy()), ("g·f'", mine_vjp, vjp.numpy())):
        assert got.dtype == dtype, f"{act} {name}: dtype {got.dtype}, expected {dtype}"
        err = np.abs(got - ref).max() / max(np.abs(ref).max(), np.finfo(dtype).tiny)
        assert err <= rtol_exact(dtype), f"{act} {name}: error {err:.3g} > {rtol_exact(dtype):.3g}"


def away_from_kinks(shape, lo=0.05, hi=4.0):
    return RNG.uniform(lo, hi, shape) * RNG.choice([-1, 1], shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name, dtype):
    check_activation(ACTIVATIONS[name], away_from_kinks((5, 4)), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_leaky_relu_slope(dtype):
    check_activation(leaky_relu(0.3), away_from_kinks((5, 4)), dtype)


def test_leaky_relu_default_slope_is_torchs():
    """leaky_relu() uses torch's default negative slope, 0.01."""
    z = np.array([-2.0, 3.0])
    assert leaky_relu().f(z).tolist() == torch.nn.functional.leaky_relu(torch.tensor(z)).tolist()


@pytest.mark.parametrize("slope", [0.3, 0.01, 0])
def test_leaky_relu_at_its_kink_matches_torch(slope):
    """At z = ±0 torch's backward takes the left slope (it tests z > 0); slope 0 is plain relu.
    Built inside the test: an Activation made at import time would not see a changed leaky_relu."""
    check_activation(leaky_relu(slope), np.array([[0.0, -0.0, 1.5, -1.5]]), np.float64)


def test_relu_at_its_kink_matches_torch():
    check_activation(ACTIVATIONS["relu"], np.array([[0.0, -0.0, 1.5, -1.5]]), np.float64)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh", "softmax"])
def test_activation_extreme_inputs_do_not_overflow(name):
    z = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        act = ACTIVATIONS[name]
        out = act.f(z)
        d = act.prime(z) if act.elementwise else softmax_jacobian(z)
    assert np.isfinite(out).all() and np.isfinite(d).all()


def test_stable_values_at_extremes():
    z = np.array([-1e4, -40.0, 40.0, 1e4])
    s, sp = ACTIVATIONS["sigmoid"], ACTIVATIONS["softplus"]
    assert s.f(z).tolist() == [0.0, pytest.approx(np.exp(-40.0), rel=1e-15), 1.0, 1.0]
    assert sp.f(z).tolist() == [0.0, pytest.approx(np.exp(-40.0), rel=1e-15), 40.0, 1e4]
    # σ'(40) = e^-40/(1+e^-40)^2: the naive σ(1 − σ) would give exactly 0
    assert s.prime(np.array([40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-15)


def test_softmax_jacobian_is_full():
    """Off-diagonal entries −a_i a_j are present: the diagonal shortcut would give wrong deltas."""
    J = softmax_jacobian(np.array([[0.1, -0.3, 0.7]]))[0]
    a = ACTIVATIONS["softmax"].f(np.array([[0.1, -0.3, 0.7]]))[0]
    assert J[0, 1] == pytest.approx(-a[0] * a[1], rel=1e-15)
    assert np.allclose(J.sum(axis=0), 0, atol=1e-16)  # Σ_i a_i = 1 for every z


def test_softmax_jacobian_stays_float32():
    """A float32 softmax layer's Jacobian (BP1 with a loss not fused with it) is float32: never upcast."""
    assert softmax_jacobian(np.array([[0.1, -0.3, 0.7]], np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values(name, dtype):
    """C_n against the record's torch form, with the output the loss is paired with (tanh otherwise)
    and targets in its domain (a distribution for a simplex, in [0, 1] for the others)."""
    loss = LOSSES[name]
    z = away_from_kinks((4, 3)).astype(dtype)
    a = ACTIVATIONS[loss.fused_with or "tanh"].f(z)
    y = RNG.uniform(0, 1, (4, 3))
    y = (y / y.sum(axis=1, keepdims=True) if loss.targets == "simplex" else y).astype(dtype)
    mine = loss.per_example(z, a, y)
    ref = torch_per_example_loss(loss, *(torch.tensor(v.astype(np.float64)) for v in (z, a, y))).numpy()
    assert mine.dtype == dtype
    assert np.abs(mine - ref).max() / np.abs(ref).max() <= rtol_exact(dtype)


def test_cross_entropies_from_logits_stay_finite_at_saturation():
    z = np.array([[800.0, -800.0]])
    assert np.isfinite(LOSSES["bce"].per_example(z, None, np.array([[0.0, 1.0]]))).all()
    assert LOSSES["softmax_ce"].per_example(z, None, np.array([[0.0, 1.0]]))[0] == 1600.0
