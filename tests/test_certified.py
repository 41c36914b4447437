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
