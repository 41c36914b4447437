"""The symbolic oracle (reference/symbolic.py): exact derivatives of the whole cost, no δ recurrence.

* manual == symbolic == autograd on small arbitrary architectures;
* the symbolic oracle alone catches each deliberately wrong backward pass;
* symbolic identities: manual's own BP1–BP4 functions, run on arrays of SymPy expressions with
  symbolic weights, inputs and targets, simplify to exactly the direct derivative of the cost.
"""
from random import Random
from unittest import mock

import numpy as np
import pytest
import sympy as sp
from hypothesis import Phase, find, given, settings

import backproof.manual.network as network
from backproof.manual.activations import Activation
from backproof.manual.losses import get_loss
from backproof.manual.network import linear
from backproof.reference.autograd import autograd_gradients, gradient_magnitudes
from backproof.reference.exact import Evaluator
from backproof.reference.compare import check_case, compare_by_bound, manual_backward
from backproof.reference.strategies import Limits, cases
from backproof.reference.symbolic import symbolic_gradients

from bugs import BUGS

SMALL = Limits(depth=(0, 3), width=(1, 4), batch=(1, 3))


@given(cases(SMALL))
def test_manual_symbolic_and_autograd_agree(case):
    net, x, y = case.net, case.x, case.y
    exact, mags = symbolic_gradients(net, x, y), gradient_magnitudes(net, x, y)
    results = [compare_by_bound("symbolic", net, len(x), manual_backward(net, x, y), exact, mags)]
    if net.dtype == np.float64:  # autograd itself is float64: hold it to float64's tolerance
        results.append(compare_by_bound("autograd vs symbolic", net, len(x), autograd_gradients(net, x, y), exact, mags))
    failures = [str(m) for r in results for m in r.mismatches]
    assert not failures, case.describe() + "\n" + "\n".join(failures)


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_symbolic_oracle_catches_a_wrong_backward(bug):
    name, wrong = BUGS[bug]
    with mock.patch.object(network, name, wrong):
        case = find(cases(SMALL), lambda c: not check_case(c, oracles=("symbolic",)).ok,
                    settings=settings(max_examples=1000, database=None, deadline=None, phases=tuple(Phase)),
                    random=Random(0))  # a fixed search: what it shrinks to is reproducible
        message = check_case(case, oracles=("symbolic",)).failure_message()
    assert ("symbolic:" in message or "raised" in message) and case.n_params <= 7, message


def test_sympy_fallback_gives_the_same_gradients(monkeypatch):
    """Without symengine the oracle builds and differentiates the same expression with SymPy."""
    import backproof.reference.symbolic as symbolic
    case = next(c for c in (cases_seeded(i) for i in range(50)) if len(c.net.W) == 2)
    with_symengine = symbolic_gradients(case.net, case.x, case.y)
    monkeypatch.setattr(symbolic, "sym", sp)
    with_sympy = symbolic_gradients(case.net, case.x, case.y)
    for q in ("delta", "dW", "db"):
        for l, (e, s) in enumerate(zip(getattr(with_symengine, q), getattr(with_sympy, q)), 1):
            np.testing.assert_allclose(s, e, rtol=1e-14, atol=0, err_msg=f"{q}[{l}] {case.describe()}")


def cases_seeded(seed):
    from backproof.reference.strategies import random_case
    return random_case(np.random.default_rng(seed), Limits(depth=(0, 1), width=(1, 3), batch=(1, 2)), dtypes=("float64",))


# ----------------------------------------------------------------------------- identities

def _elementwise(f):
    return np.vectorize(f, otypes=[object])


def sigmoid(v):
    return 1 / (1 + sp.exp(-v))


SYMBOLIC_ACTIVATIONS = {
    # f and f' written as SymPy expressions, f' as manual/activations.py documents it
    "sigmoid": Activation("sigmoid", _elementwise(sigmoid), prime=_elementwise(lambda v: sigmoid(v) * (1 - sigmoid(v)))),
    "tanh": Activation("tanh", _elementwise(sp.tanh), prime=_elementwise(lambda v: 1 - sp.tanh(v) ** 2)),
    "softmax": Activation("softmax", lambda z: np.array([[sp.exp(v) / sum(map(sp.exp, row)) for v in row]
                                                         for row in z], dtype=object), jacobian=lambda z: None),
}


def per_example_cost(loss: str, a, y):
    """C_n straight from the definitions, not from manual/losses.py."""
    if loss == "half_sse":
        return [sp.Rational(1, 2) * sum((ai - yi) ** 2 for ai, yi in zip(ra, ry)) for ra, ry in zip(a, y)]
    return [-sum(yi * sp.log(ai) for ai, yi in zip(ra, ry)) for ra, ry in zip(a, y)]  # softmax_ce


def symbols(name, shape):
    return np.array(sp.symbols(f"{name}_0:{shape[0]}_0:{shape[1]}"), dtype=object).reshape(shape)


def manual_minus_direct(sizes, acts, loss, reduction, n) -> list[str]:
    """Every ∂C/∂W[l]_jk and ∂C/∂b[l]_j where manual's equations (BP1–BP4 of manual/network.py on
    SymPy expressions) and sympy.diff of the cost differ after simplification; [] when none does."""
    L = len(sizes) - 1
    W = [symbols(f"w{l}", (sizes[l], sizes[l - 1])) for l in range(1, L + 1)]
    b = [symbols(f"b{l}", (1, sizes[l]))[0] for l in range(1, L + 1)]
    x, y = symbols("x", (n, sizes[0])), symbols("y", (n, sizes[-1]))
    if loss == "softmax_ce":  # δ[L] = a − y needs Σ_k y_k = 1: the last target is 1 − the others
        y[:, -1] = [1 - sum(row[:-1]) for row in y]
    f = [SYMBOLIC_ACTIVATIONS[name] for name in acts]
    # the forward pass with manual's own `linear`
    a, z = [x], []
    for l in range(L):
        z.append(linear(a[-1], W[l], b[l]))
        a.append(f[l].f(z[-1]))
    terms = per_example_cost(loss, a[-1], y)
    C = sum(terms) if reduction == "sum" else sum(terms) / n
    scale = sp.Integer(1) if reduction == "sum" else sp.Rational(1, n)
    # the backward pass with manual's own BP1–BP4
    delta = [None] * L
    delta[-1] = network.bp1_output_error(z[-1], a[-1], y, f[-1], get_loss(loss), scale)
    for l in range(L - 2, -1, -1):
        delta[l] = network.bp2_hidden_error(delta[l + 1], W[l + 1], z[l], f[l])
    # a difference that is not 0 at a random rational point is refuted there (simplify can take
    # minutes on an expression that is not 0); one that vanishes there must simplify to 0
    rng = np.random.default_rng(0)
    free = sorted(C.free_symbols, key=str)
    point = {s: sp.Rational(int(rng.integers(-9, 10)), 7) for s in free}
    at = Evaluator(point, digits=30)   # the value at that point (subs and evalf took seconds)
    wrong = []
    for l in range(L):
        for name, formula, params in (("dW", network.bp4_weight_grad(delta[l], a[l]), W[l]),
                                      ("db", network.bp3_bias_grad(delta[l]), b[l])):
            for idx in np.ndindex(params.shape):
                difference = formula[idx] - sp.diff(C, params[idx])
                at_point = at(difference)
                if abs(at_point) > 1e-25:
                    wrong.append(f"{name}[{l + 1}]{idx}: manual − direct = {at_point} at {point}")
                elif sp.simplify(difference) != 0:
                    wrong.append(f"{name}[{l + 1}]{idx}: manual − direct does not simplify to 0")
    return wrong


@pytest.mark.parametrize("sizes, acts, loss, reduction, n", [
    ([1, 1, 1], ["sigmoid", "sigmoid"], "half_sse", "sum", 2),
    ([1, 2, 1], ["sigmoid", "sigmoid"], "half_sse", "sum", 1),      # BP2's sum over two units
    ([1, 1, 2], ["tanh", "softmax"], "softmax_ce", "mean", 1),
    # wider ones take 15-20 s each in sympy.simplify: in the slow run
    pytest.param([2, 2, 2], ["sigmoid", "sigmoid"], "half_sse", "sum", 1, marks=pytest.mark.slow),
    pytest.param([2, 2, 2], ["tanh", "softmax"], "softmax_ce", "mean", 1, marks=pytest.mark.slow),
])
def test_manual_equations_simplify_to_the_direct_derivative(sizes, acts, loss, reduction, n):
    assert manual_minus_direct(sizes, acts, loss, reduction, n) == []


def test_a_wrong_equation_does_not_simplify_away():
    """BP2 without f'(z): the hidden layer's gradients differ from the direct derivative."""
    name, wrong = BUGS["bp2 missing f'"]
    with mock.patch.object(network, name, wrong):
        differences = manual_minus_direct([1, 1, 1], ["sigmoid", "sigmoid"], "half_sse", "sum", 2)
    assert [d.split(":")[0] for d in differences] == ["dW[1](0, 0)", "db[1](0,)"], differences
