"""The certified oracle (reference/certified.py): every gradient enclosed in a proven ball.

Each enclosure is checked against values computed another way: the symbolic oracle's expressions
(no chain rule, no ball arithmetic) evaluated with mpmath at 60 digits, and its 50-digit float64
values; on random networks of every activation and every loss, float64 and float32. A "certified"
answer whose midpoint is moved by a little more than its radius is caught by the same check.
"""
import mpmath
import numpy as np
import pytest
from flint import arb, arb_mat
from hypothesis import given, settings

from backproof.manual import Gradients, Network
from backproof.reference.certified import certified_balls, certified_gradients
from backproof.reference.records import ACTIVATIONS, LOSSES
from backproof.reference.strategies import Limits, cases, random_case
from backproof.reference.symbolic import SymbolicNetwork, symbolic_gradients

SMALL = Limits(depth=(0, 2), width=(1, 4), batch=(1, 3))
DIGITS = 60


def outside(mid: Gradients, rad, exact) -> list:
    """Every entry where the 60-digit value is not within rad of mid (allowing for the 60-digit
    value's own rounding, 1e-55 of it): [] when every enclosure holds."""
    bad = []
    for q in ("delta", "dW", "db"):
        for l, (m, r, e) in enumerate(zip(getattr(mid, q), getattr(rad, q), getattr(exact, q)), start=1):
            for idx in np.ndindex(m.shape):
                v = e[idx]
                if abs(v - mpmath.mpf(float(m[idx]))) > mpmath.mpf(float(r[idx])) + abs(v) * mpmath.mpf(10) ** -55:
                    bad.append(f"{q}[{l}]{idx}: {mpmath.nstr(v, 20)} not in {m[idx]!r} ± {r[idx]:.3g}")
    if abs(exact.cost - mpmath.mpf(float(mid.cost))) > mpmath.mpf(float(rad.cost)) + abs(exact.cost) * mpmath.mpf(10) ** -55:
        bad.append(f"cost: {exact.cost} not in {mid.cost!r} ± {rad.cost:.3g}")
    return bad


def check_encloses(case):
    net, x, y = case.net, case.x, case.y
    mid, rad = certified_gradients(net, x, y)
    exact = SymbolicNetwork(net, x, y, digits=DIGITS).values()
    assert outside(mid, rad, exact) == [], case.describe()
    sym = symbolic_gradients(net, x, y)     # 50 digits, rounded to float64: within rad + half an ulp
    for q in ("delta", "dW", "db"):
        for m, r, s in zip(getattr(mid, q), getattr(rad, q), getattr(sym, q)):
            assert (np.abs(m - s) <= r + np.abs(s) * 2.0 ** -53).all(), (q, case.describe())
    return mid, rad, exact


@settings(max_examples=25, deadline=None)
@given(cases(SMALL))
def test_the_enclosures_hold_on_random_networks(case):
    check_encloses(case)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss(loss):
    rng = np.random.default_rng(len(loss))
    for _ in range(3):
        check_encloses(random_case(rng, SMALL, losses=(loss,)))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_activation_in_both_dtypes(activation, dtype):
    rng = np.random.default_rng(7)
    hidden = (activation,) if ACTIVATIONS[activation].hidden else ("tanh",)
    for _ in range(3):
        check_encloses(random_case(rng, SMALL, hidden=hidden, outputs=(activation,), dtypes=(dtype,),
                                   losses=("half_sse", "mse", "sse") if activation != "softmax" else ("softmax_ce", "mse")))


def test_a_moved_midpoint_is_caught():
    """The check above is not vacuous: a midpoint moved by its radius and a little more is outside."""
    case = random_case(np.random.default_rng(3), SMALL, dtypes=("float64",))
    mid, rad, exact = check_encloses(case)
    l = int(np.argmax([np.abs(d).max() for d in mid.dW]))
    idx = np.unravel_index(np.argmax(np.abs(mid.dW[l])), mid.dW[l].shape)
    moved = [d.copy() for d in mid.dW]
    moved[l][idx] = np.nextafter(mid.dW[l][idx] + 2 * rad.dW[l][idx], np.inf)
    wrong = type(mid)(mid.cost, mid.delta, moved, mid.db)
    problems = outside(wrong, rad, exact)
    assert len(problems) == 1 and problems[0].startswith(f"dW[{l + 1}]{tuple(map(int, idx))}"), problems


def test_the_balls_are_narrow():
    """The balls' own radii are below 1e-30 of each tensor's scale (128 bits); the float64 radius
    is then the midpoint's rounding, half an ulp."""
    rng = np.random.default_rng(11)
    for _ in range(10):
        case = random_case(rng)
        balls = certified_balls(case.net, case.x, case.y)
        for q in ("delta", "dW", "db"):
            for t in getattr(balls, q):
                entries = [v for row in t.tolist() for v in row] if isinstance(t, arb_mat) else list(t)
                scale = max(float(abs(v.mid())) for v in entries) or 1.0
                assert max(float(v.rad()) for v in entries) <= 1e-30 * scale, (q, case.describe())
        mid, rad = certified_gradients(case.net, case.x, case.y)
        for m, r in zip(mid.dW, rad.dW):
            assert (r <= np.spacing(np.abs(m)) + 1e-30 * np.abs(m).max()).all()


def test_a_z_exactly_at_a_kink_is_an_error_and_a_z_near_it_is_not():
    net = Network([np.array([[1.0]])], [np.array([0.0])], "relu", loss="half_sse", reduction="sum")
    with pytest.raises(ValueError, match="z = 0 exactly"):
        certified_gradients(net, np.array([[0.0]]), np.array([[1.0]]))
    tiny = Network([np.array([[1.0]])], [np.array([2.0 ** -1000])], "relu", loss="half_sse", reduction="sum")
    mid, rad = certified_gradients(tiny, np.array([[0.0]]), np.array([[1.0]]))
    assert mid.db[0][0] == 2.0 ** -1000 - 1.0 and rad.db[0][0] <= np.spacing(1.0)


def test_saturated_and_huge_values_stay_enclosed():
    """z of ±1e4 (σ, tanh, softplus saturated both ways, softmax probabilities of exactly 0 and 1 in
    float64): the balls hold values far below float64's resolution of the outputs."""
    x = np.array([[1.0], [-1.0]])
    for hidden, output, loss in (("sigmoid", "sigmoid", "bce"), ("tanh", "softmax", "softmax_ce"),
                                 ("softplus", "tanh", "mse")):
        W = [np.array([[1e4], [-1e4]]), np.array([[0.5, -0.5], [-0.5, 0.25]])]
        net = Network(W, [np.zeros(2), np.zeros(2)], [hidden, output], loss=loss, reduction="sum")
        y = np.array([[0.0, 1.0], [1.0, 0.0]])
        mid, rad = certified_gradients(net, x, y)
        assert all(np.isfinite(t).all() for t in mid.dW + rad.dW)
        exact = SymbolicNetwork(net, x, y, digits=DIGITS).values()
        assert outside(mid, rad, exact) == [], (hidden, output, loss)


def test_a_function_without_an_exact_form_is_refused():
    import torch

    from backproof.reference.records import user_activation
    swish = user_activation(lambda z: z * torch.sigmoid(z))
    net = Network([np.ones((1, 1))], [np.zeros(1)], [swish], loss="half_sse", reduction="sum")
    with pytest.raises(ValueError, match="no exact form"):
        certified_gradients(net, np.ones((1, 1)), np.ones((1, 1)))


def test_arb_holds_a_float_exactly():
    """A ball of radius 0 holds a double exactly, and the product of two doubles (106 bits) is exact at
    128 bits: the inputs enter as the binary numbers they are."""
    from backproof.reference.certified import PREC, _precision
    with _precision(PREC):
        assert arb(0.1).rad() == 0 and (arb(0.1) * arb(3.0)).is_exact()


# ----------------------------------------------------------------------------- the edges (issue 35)
def _one_unit(activation: str, W: float, b: float, loss: str = "half_sse") -> Network:
    return Network([np.array([[W]])], [np.array([b])], activation, loss=loss, reduction="sum")


def test_the_series_length_is_the_oracles_own_whatever_the_global_cap():
    """flint's ctx.cap is global to the process: set to 1 elsewhere, a series is cut to its value and
    every derivative would read 0 ± 0. The oracle sets the length it needs, and restores the cap."""
    from flint import ctx
    case = random_case(np.random.default_rng(5), SMALL, hidden=("tanh",), outputs=("sigmoid",), dtypes=("float64",))
    expected, _ = certified_gradients(case.net, case.x, case.y)
    assert any(np.abs(d).max() > 0 for d in expected.delta)
    old = ctx.cap
    ctx.cap = 1
    try:
        mid, rad = certified_gradients(case.net, case.x, case.y)
        assert ctx.cap == 1
    finally:
        ctx.cap = old
    for q in ("delta", "dW", "db"):
        for got, want in zip(getattr(mid, q), getattr(expected, q)):
            assert np.array_equal(got, want), q
    assert outside(mid, rad, SymbolicNetwork(case.net, case.x, case.y, digits=DIGITS).values()) == []


def test_a_series_shorter_than_needed_is_refused():
    from flint import arb_series, ctx

    from backproof.reference import certified
    old = ctx.cap
    ctx.cap = 1
    try:
        short = arb_series([arb(3), 1], prec=1)
        with pytest.raises(ValueError, match="a power series of length 1 where 2 terms are needed"):
            certified._coeff(short, 1)
    finally:
        ctx.cap = old


def test_a_value_beyond_float64_is_an_error_not_inf():
    """A weighted input of 1e300 × 1e300 is a finite ball (flint's exponents are unbounded) whose
    midpoint has no float64: the oracle says so instead of returning inf ± inf."""
    net = _one_unit("identity", 1e300, 0.0)
    with pytest.raises(ValueError, match="beyond float64's range"):
        certified_gradients(net, np.array([[1e300]]), np.array([[0.0]]))


def test_the_square_of_a_residual_that_holds_zero():
    """y = 1e30 and z = 1e30 + 1e-30: at 128 bits z's ball is about 1e-8 wide, so the residual z − y
    holds 0, where flint's general power (u − t)**2 is NaN. As a product it is a ball, and the
    enclosures still hold."""
    net = Network([np.array([[1.0, 1.0]])], [np.array([0.0])], "identity", loss="half_sse", reduction="sum")
    x, y = np.array([[1e30, 1e-30]]), np.array([[1e30]])
    from backproof.reference.certified import PREC, _precision
    with _precision(PREC):
        residual = arb(1e30) + arb(1e-30) - arb(1e30)
        assert not (residual ** 2).is_finite() and (residual * residual).is_finite()   # why the product
    mid, rad = certified_gradients(net, x, y)
    assert np.isfinite(mid.cost) and np.isfinite(rad.cost)
    assert outside(mid, rad, SymbolicNetwork(net, x, y, digits=DIGITS).values()) == []


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_exact_form_takes_a_ball_that_holds_zero(loss):
    """The records' contract (reference/records.py): + − × ÷, exp, log, tanh, never a power that is
    NaN on a ball holding 0. Each loss, on an output that equals its target to within a ball."""
    from backproof.reference.certified import PREC, _Ball, _precision
    record = LOSSES[loss]
    if record.exact is None:
        pytest.skip(f"{loss} has no exact form")
    with _precision(PREC):
        near = arb(0.5) + arb("0 +/- 1e-40")
        value = record.exact(_Ball, [near, -near], [near, 1 - near], [arb(0.5), arb(0.5)])
        assert value.is_finite(), (loss, value)


@pytest.mark.parametrize("z", [50.0, -50.0, 300.0])
def test_a_saturated_tanh_keeps_a_relative_radius(z):
    """tanh′(50) = 1 − tanh²(50) ≈ 1.5e-43: written as (e^{2z} − 1)/(e^{2z} + 1) its ball was ±9e-38,
    no correct digit. The derivative through the oracle must keep most of its digits."""
    net = _one_unit("tanh", 1.0, z)
    mid, rad = certified_gradients(net, np.array([[0.0]]), np.array([[0.0]]))
    d = mid.delta[0][0, 0]
    assert d != 0 and rad.delta[0][0, 0] <= 1e-12 * abs(d), (d, rad.delta[0][0, 0])
    with mpmath.workdps(DIGITS + 300):   # 1 − tanh²(300) is 1e-260: the digits must reach it
        exact = mpmath.tanh(z) * (1 - mpmath.tanh(z) ** 2)   # δ = (a − 0) · tanh′(z)
        assert abs(exact - mpmath.mpf(float(d))) <= mpmath.mpf(float(rad.delta[0][0, 0])) + abs(exact) * mpmath.mpf(2) ** -52
