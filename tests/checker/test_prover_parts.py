"""The modules of the proof for every width, each on its own (issue 35): checker/sums.py (the normal
form that compares two sides), checker/layers.py (the decisions about layers and the configurations)
and checker/derivatives.py (the one derivative table), on true identities they must see and false
ones they must never call 0."""
from __future__ import annotations

import pytest
import sympy as sp

from backproof.checker.derivatives import chain_step
from backproof.checker.layers import P, Q, always, decide, layer_offset, relative
from backproof.checker.meaning import IR
from backproof.checker.sums import GENERAL_STEPS, left_over, split_size

n, m = sp.symbols("n_{1} n_{2}")
j, k = sp.symbols("j k")
i = sp.Symbol("_i0")
x, w = sp.IndexedBase("x"), sp.IndexedBase("w")


def zero(e, ranges=None) -> bool:
    return left_over(e, ranges or {j: n}, [GENERAL_STEPS], thorough=True) == ""


# ----------------------------------------------------------------------------- sums.py
@pytest.mark.parametrize("identity", [
    sp.Sum(x[i], (i, 1, n)) - sp.Sum(x[k], (k, 1, n)),                              # an index renamed
    sp.Sum(x[i] * w[j, i], (i, 1, n)) - sp.Sum(w[j, k] * x[k], (k, 1, n)),          # factors reordered
    sp.Sum(sp.KroneckerDelta(i, j) * x[i], (i, 1, n)) - x[j],                       # a delta summed out
    2 * sp.Sum(x[i], (i, 1, n)) - sp.Sum(x[i], (i, 1, n)) - sp.Sum(x[k], (k, 1, n)),
    sp.Sum(x[i], (i, 1, n)) * sp.Sum(x[k], (k, 1, m)) - sp.Sum(sp.Sum(x[i] * x[k], (k, 1, m)), (i, 1, n)),
    sp.exp(x[j]) / (1 + sp.exp(-x[j])) - sp.exp(x[j]) ** 2 / (sp.exp(x[j]) + 1),   # over a common denominator
])
def test_the_normal_form_sees_true_identities(identity):
    assert zero(identity), identity


@pytest.mark.parametrize("false", [
    sp.Sum(x[i], (i, 1, n)) - sp.Sum(x[k], (k, 1, m)),                             # another width
    sp.Sum(x[i] * w[j, i], (i, 1, n)) - sp.Sum(w[i, j] * x[i], (i, 1, n)),          # a transpose
    sp.Sum(sp.KroneckerDelta(i, j) * x[i], (i, 1, n)) - x[j] * 2,
    sp.Sum(sp.KroneckerDelta(i, j) * x[i], (i, 1, m)) - x[j],                       # j ranges over n, not m
    sp.Sum(x[i], (i, 1, n)) - n * x[j],
    sp.Sum(x[i], (i, 1, n)) ** 2 - sp.Sum(x[i] ** 2, (i, 1, n)),
])
def test_the_normal_form_never_calls_a_false_identity_zero(false):
    left = left_over(false, {j: n}, [GENERAL_STEPS], thorough=True)
    assert left != "", false


def test_a_delta_whose_indices_cannot_meet_is_zero():
    """k ≤ n against n + 1 (the bias column): δ(k, n + 1) is 0 for every k of the sum."""
    assert zero(sp.Sum(sp.KroneckerDelta(i, n + 1) * x[i], (i, 1, n)))
    assert not zero(sp.Sum(sp.KroneckerDelta(i, n) * x[i], (i, 1, n)))


def test_the_bias_column_size_splits():
    assert split_size(n + 1) == (n, 1) and split_size(n) == (n, 0) and split_size(sp.Integer(3)) == (3, 0)


def test_the_budget_ends_the_normal_form():
    from backproof.checker.errors import Unsupported
    with pytest.raises(Unsupported, match="budget"):
        left_over(sp.Sum(x[i], (i, 1, n)) ** 4 - 1, {j: n}, [5])


# ----------------------------------------------------------------------------- layers.py
@pytest.mark.parametrize("e, op, want", [
    (P + 1, ">", True), (P, ">=", True), (P, ">", None), (-1 - P - Q, "<", True), (P - Q, "==", None),
    (P - P, "==", True), (Q + 2, "==", False), (Q + 2, "!=", True), (P * Q, ">=", None), (sp.Symbol("r"), ">=", None),
])
def test_decide_is_certain_for_every_p_and_q_or_says_it_depends(e, op, want):
    assert decide(e, op) is want


def test_always_takes_each_index_over_its_whole_range():
    assert always(k, "<=", n, {k: n}) is True             # k ≤ n_1 for k up to n_1
    assert always(k, "==", n + 1, {k: n}) is False        # the bias column is never reached
    assert always(k, "<", n, {k: n}) is None              # k = n_1 is in range
    assert always(k, "==", j, {k: n, j: n}) is None


def _layer(kind, *args):
    return IR(kind, args)


def test_a_layers_offset_is_read_against_its_own_kind_of_layer():
    l, L = _layer("index", "l"), _layer("L")
    l_minus_1 = _layer("sub", l, _layer("num", sp.Rational(1)))
    three, one = _layer("num", sp.Rational(3)), _layer("num", sp.Rational(1))
    assert relative(l_minus_1) == ("l", -1) and relative(L) == ("L", 0) and relative(three) == (None, 3)
    assert layer_offset(l, l_minus_1) == -1 and layer_offset(three, one) == -2
    assert layer_offset(l, three) is None and layer_offset(L, l) is None     # not the same at every layer


# ----------------------------------------------------------------------------- derivatives.py
t, u = sp.symbols("t u", real=True)   # real: SymPy differentiates |t − 1| as sign(t − 1) then


@pytest.mark.parametrize("e", [t ** 3 * u, sp.exp(2 * t) / (1 + t ** 2), sp.log(1 + t ** 2), sp.tanh(t) * t,
                               t ** u, sp.Abs(t - 1) * u])
def test_the_derivative_table_agrees_with_sympy(e):
    def d(part):
        step = chain_step(part, d) if not part.is_Atom else None
        return sp.Integer(int(part == t)) if part.is_Atom else step
    assert sp.simplify(d(e) - sp.diff(e, t)) == 0, e


def test_an_undefined_function_is_its_own_prime_and_an_unknown_kind_is_left_to_the_caller():
    f = sp.Function("f")
    step = chain_step(f(2 * t), lambda part: sp.Integer(2) if part == 2 * t else sp.Integer(0),
                      undefined=lambda g, v: sp.Function(g.__name__ + "'")(v))
    assert step == 2 * sp.Function("f'")(2 * t)
    assert chain_step(f(t), lambda part: 1) is None and chain_step(sp.erf(t), lambda part: 1) is None
