"""Proofs for every width and depth (checker/general.py, issue 31): the claims of backprop.md and
batch-and-bias.md proved with symbolic widths, batch, layer and depth, and wrong claims that this
proof must never prove, however close to true: wrong only below the last layer, only at unequal
widths, only by a factor, only for a batch of more than one. The proof is called directly here, so
the 50-digit evaluation that normally rejects such claims first cannot hide a wrong proof."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from backproof.checker.check import Checker
from backproof.checker.results import as_json, render
from backproof.checker.general import Unsupported, decide, P, Q, prove_every_size
from backproof.checker.grammar import parse
from backproof.checker.meaning import Resolver

ROOT = Path(__file__).resolve().parents[2]
BACKPROP = ROOT / "derivations" / "backprop.md"

# one small size: these documents only give the definitions; the proof's sizes are symbols
BATCH = r"""---
checker:
  sizes: [[2, 3, 2]]
  batch: [2]
  points: 6
  fixed: true
  functions: {f: any}
  symbols:
    x:     {sub: ["m", "n(0)"]}
    w:     {layers: 1..L, sub: ["n(l)", "n(l-1)"]}
    b:     {layers: 1..L, sub: ["n(l)"]}
    z:     {layers: 1..L, sub: ["m", "n(l)"]}
    a:     {layers: 0..L, sub: ["m", "n(l)"]}
    y:     {sub: ["m", "n(L)"]}
    C:     {}
    delta: {layers: 1..L, sub: ["m", "n(l)"]}
---
<!-- check: definition -->
$$
a^0_{ij} = x_{ij}
$$

<!-- check: definition -->
$$
z^l_{ij} = \sum_k a^{l-1}_{ik} w^l_{jk} + b^l_j
$$

<!-- check: definition -->
$$
a^l_{ij} = f(z^l_{ij}), \quad l \ge 1
$$

<!-- check: definition -->
$$
C = MEAN \frac{1}{2} \sum_i \sum_j (a^L_{ij} - y_{ij})^2
$$

<!-- check: definition -->
$$
\delta^l_{ij} = \frac{\partial C}{\partial z^l_{ij}}
$$

$$
\delta^L = SCALE (a^L - y) \odot f'(z^L)
$$
"""


TILDE = r"""
<!-- check: definition -->
$$
\tilde{a}^l_{ik} = a^l_{ik}, \quad k \le n_l
$$

<!-- check: definition -->
$$
\tilde{a}^l_{ik} = 1, \quad k = n_l + 1
$$

<!-- check: definition -->
$$
\tilde{w}^l_{jk} = w^l_{jk}, \quad k \le n_{l-1}
$$

<!-- check: definition -->
$$
\tilde{w}^l_{jk} = b^l_j, \quad k = n_{l-1} + 1
$$
"""
TILDE_SYMBOLS = '''    atilde: {layers: 0..L-1, sub: ["m", "n(l)+1"]}
    wtilde: {layers: 1..L, sub: ["n(l)", "n(l-1)+1"]}
---'''
# z computed from the extended arrays: the weight gradient is then one product
REDEFINED_Z = r"""
<!-- check: redefinition -->
$$
z^l_{ij} = \sum_k \tilde{a}^{l-1}_{ik} \tilde{w}^l_{jk}
$$
"""


def _checker(path) -> Checker:
    c = Checker(str(path), prove=False)
    c.run()
    return c


@pytest.fixture(scope="module")
def backprop():
    return _checker(BACKPROP)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    p = tmp_path_factory.mktemp("batch") / "batch.md"
    p.write_text(BATCH.replace("MEAN ", "").replace("SCALE ", ""))
    return _checker(p)


@pytest.fixture(scope="module")
def batch_mean(tmp_path_factory):
    p = tmp_path_factory.mktemp("mean") / "mean.md"
    p.write_text(BATCH.replace("MEAN", r"\frac{1}{m}").replace("SCALE", r"\frac{1}{m}"))
    return _checker(p)


def general(checker: Checker, claim: str) -> tuple[str, str]:
    """("proved", what it relies on) or ("not proved", why), for one claim under the document's
    definitions (all of them: those at its end)."""
    chain = parse(claim).chains[0]
    r = Resolver(checker.model)
    sides = tuple(r(s) for s in chain.sides)
    conds = Checker._conditions(r, chain, sides)
    w = checker.proof_world
    try:
        return "proved", prove_every_size(checker.model, list(w.definitions), w.functions, sides, conds).note
    except Unsupported as e:
        return "not proved", str(e)


# ----------------------------------------------------------------------------- true claims, proved
ONE_EXAMPLE = [
    r"\delta^L_j = (a^L_j - y_j) f'(z^L_j)",                                          # BP1
    r"\delta^L_j = f'(z^L_j) (a^L_j - y_j)",                                          # factors the other way
    r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L",         # BP2
    r"\delta^l_j = f'(z^l_j) \sum_i \delta^{l+1}_i w^{l+1}_{ij}, \quad l < L",         # another index name
    r"\delta^l_j = \sum_{k=1}^{n_{l+1}} w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l \le L - 1",
    r"\delta^l_j = \sum_k \frac{\partial C}{\partial z^{l+1}_k} \frac{\partial z^{l+1}_k}{\partial z^l_j}, \quad l < L",
    r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",                                 # BP3, l = L too
    r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",                    # BP4
    r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T",
    r"\delta^l = \left((w^{l+1})^T \delta^{l+1}\right) \odot f'(z^l), \quad l < L",
    r"\frac{\partial C}{\partial w^1_{jk}} = x_k \delta^1_j",                          # a fixed layer
    r"\frac{\partial C}{\partial a^{L-1}_k} = \sum_j w^L_{jk} \delta^L_j",             # L - 1: needs L >= 2
]
BATCH_CLAIMS = [
    r"\delta^l = (\delta^{l+1} w^{l+1}) \odot f'(z^l), \quad l < L",
    r"\frac{\partial C}{\partial b^l_j} = \sum_i \delta^l_{ij}",
    r"\frac{\partial C}{\partial b^l} = (\delta^l)^T \mathbf{1}_m",
    r"\frac{\partial C}{\partial w^l} = (\delta^l)^T a^{l-1}",
    r"\frac{\partial C}{\partial w^l} = \sum_i (\delta^l_i)^T a^{l-1}_i",
]


@pytest.mark.parametrize("claim", ONE_EXAMPLE)
def test_true_claims_of_one_example_are_proved_for_every_width_and_depth(backprop, claim):
    verdict, why = general(backprop, claim)
    assert verdict == "proved", why


@pytest.mark.parametrize("claim", BATCH_CLAIMS)
def test_true_claims_of_a_batch_are_proved_for_every_width_batch_and_depth(batch, claim):
    verdict, why = general(batch, claim)
    assert verdict == "proved", why


# ----------------------------------------------------------------------------- wrong claims, never proved
def _scaled(claim: str, factor: str) -> str:
    """The claim with its last side multiplied by `factor` (its conditions kept)."""
    body, comma, conds = claim.partition(r", \quad")
    left, _, last = body.rpartition(" = ")
    return f"{left} = {factor} \\left({last}\\right){comma}{conds}"


@pytest.mark.parametrize("factor", [r"\frac{3}{2}", r"\frac{1}{m}"])   # a sign: in the list above
@pytest.mark.parametrize("claim", ONE_EXAMPLE + BATCH_CLAIMS)
def test_every_true_claim_scaled_is_never_proved(backprop, batch, claim, factor):
    """Each true claim above with its last side scaled: a prover that proved anything would pass
    the true claims; this one must reject all of these (1/m: the mean's factor on a sum's claim)."""
    checker = batch if claim in BATCH_CLAIMS else backprop
    verdict, why = general(checker, _scaled(claim, factor))
    assert verdict == "not proved", _scaled(claim, factor)



@pytest.mark.parametrize("claim", [
    r"\delta^L_j = 2 (a^L_j - y_j) f'(z^L_j)",                                        # a factor 2
    r"\delta^L_j = (a^L_j - y_j) f(z^L_j)",                                           # f for f'
    r"\delta^L_j = a^L_j - y_j",                                                      # f' forgotten
    r"\delta^L_j = (y_j - a^L_j) f'(z^L_j)",                                          # the sign
    r"\delta^l_j = \sum_k w^{l+1}_{jk} \delta^{l+1}_k f'(z^l_j), \quad l < L",         # row for column
    r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k, \quad l < L",                   # f' forgotten
    r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^{l+1}_k), \quad l < L",     # f' of the wrong layer
    r"\delta^l_j = \sum_{k=1}^{n_l} w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L",   # wrong width
    r"\delta^l_j = \sum_k w^{l}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L",           # w of the wrong layer
    # BP1 at every layer: true at l = L only
    r"\delta^l_j = (a^l_j - y_j) f'(z^l_j)",
    # BP2 with BP1 inlined: true for l = L - 1 only, wrong in a network of depth 3 or more
    r"\delta^l_j = \sum_k w^{l+1}_{kj} (a^{l+1}_k - y_k) f'(z^{l+1}_k) f'(z^l_j), \quad l < L",
    r"\frac{\partial C}{\partial b^l_j} = 2 \delta^l_j",
    r"\frac{\partial C}{\partial w^l_{jk}} = a^l_k \delta^l_j",                        # a^l for a^{l-1}
    r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k",                    # indices swapped
    r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l})^T",
    r"\delta^l = \left(w^{l+1} \delta^{l+1}\right) \odot f'(z^l), \quad l < L",        # transpose forgotten
    r"\frac{\partial C}{\partial w^1_{jk}} = x_j \delta^1_k",
])
def test_wrong_claims_are_never_proved(backprop, claim):
    verdict, why = general(backprop, claim)
    assert verdict == "not proved", f"a wrong claim was proved for every width: {claim}"


@pytest.mark.parametrize("claim", [
    r"\frac{\partial C}{\partial w^l} = (\delta^l_1)^T a^{l-1}_1",                    # the batch sum forgotten
    r"\frac{\partial C}{\partial b^l_j} = \delta^l_{1j}",
    r"\delta^L = \frac{1}{m} (a^L - y) \odot f'(z^L)",                                # the mean's 1/m, for a sum
    r"\delta^l = (\delta^{l+1} (w^{l+1})^T) \odot f'(z^l), \quad l < L",
    r"\frac{\partial C}{\partial w^l} = (\delta^l)^T a^{l}",
])
def test_wrong_batch_claims_are_never_proved(batch, claim):
    verdict, why = general(batch, claim)
    assert verdict == "not proved", f"a wrong claim was proved for every width: {claim}"


def test_the_mean_carries_one_over_m_and_only_once(batch_mean):
    assert general(batch_mean, r"\delta^L = \frac{1}{m} (a^L - y) \odot f'(z^L)")[0] == "proved"
    assert general(batch_mean, r"\delta^L = (a^L - y) \odot f'(z^L)")[0] == "not proved"
    assert general(batch_mean, r"\delta^L = \frac{1}{m^2} (a^L - y) \odot f'(z^L)")[0] == "not proved"
    assert general(batch_mean, r"\frac{\partial C}{\partial w^l} = (\delta^l)^T a^{l-1}")[0] == "proved"


@pytest.fixture(scope="module")
def bias_column(tmp_path_factory):
    """The batch document with the bias as a constant input: (z as before, z from the extended arrays)."""
    text = BATCH.replace("MEAN ", "").replace("SCALE ", "").replace("---\n<!--", TILDE_SYMBOLS + "\n<!--", 1)
    folder = tmp_path_factory.mktemp("bias")
    (folder / "before.md").write_text(text + TILDE)
    (folder / "after.md").write_text(text + TILDE + REDEFINED_Z)
    return _checker(folder / "before.md"), _checker(folder / "after.md")


@pytest.mark.parametrize("claim, after, true", [
    (r"z^l = \tilde{a}^{l-1} (\tilde{w}^l)^T", False, True),
    (r"z^l_{ij} = \sum_{k=1}^{n_{l-1}+1} \tilde{a}^{l-1}_{ik} \tilde{w}^l_{jk}", False, True),
    (r"z^l_{ij} = \sum_{k=1}^{n_{l-1}} \tilde{a}^{l-1}_{ik} \tilde{w}^l_{jk}", False, False),   # the bias dropped
    (r"z^l_{ij} = \sum_k a^{l-1}_{ik} \tilde{w}^l_{jk}", False, False),                           # a for ã
    (r"\frac{\partial C}{\partial \tilde{w}^l} = (\delta^l)^T \tilde{a}^{l-1}", True, True),
    (r"\frac{\partial C}{\partial \tilde{w}^l_{j,n_{l-1}+1}} = \sum_i \delta^l_{ij}", True, True),
    (r"\frac{\partial C}{\partial \tilde{w}^l_{j,n_{l-1}+1}} = \sum_i \delta^l_{ij} a^{l-1}_{i1}", True, False),
    (r"\frac{\partial C}{\partial \tilde{w}^l_{j,n_{l-1}+1}} = 0", True, False),
    (r"\frac{\partial C}{\partial \tilde{w}^l_{jk}} = \sum_i \delta^l_{ij} a^{l-1}_{ik}, \quad k \le n_{l-1}", True, True),
])
def test_the_bias_column_splits_a_sum_at_n_plus_one(bias_column, claim, after, true):
    """Σ_{k ≤ n+1} is Σ_{k ≤ n} plus the term k = n + 1, so each of ã's two definitions applies to its
    part; an entry index that ranges over n + 1 is proved for k ≤ n and for k = n + 1 apart."""
    verdict, why = general(bias_column[after], claim)
    assert verdict == ("proved" if true else "not proved"), why


SOFTMAX = r"""---
checker:
  sizes: [[1, 3]]
  points: 1
  fixed: true
  symbols:
    z: {sub: ["n(L)"]}
    a: {sub: ["n(L)"]}
    y: {sub: ["n(L)"], domain: simplex}
    C: {}
---
<!-- check: definition -->
$$
a_j = \frac{e^{z_j}}{\sum_k e^{z_k}}
$$

<!-- check: definition -->
$$
C = -\sum_j y_j \ln(a_j)
$$

$$
\frac{\partial a_j}{\partial z_j} = a_j (1 - a_j)
$$
"""


@pytest.mark.parametrize("claim, true", [
    (r"\frac{\partial a_j}{\partial z_k} = -a_j a_k, \quad j \ne k", True),
    (r"\frac{\partial a_j}{\partial z_k} = a_j a_k, \quad j \ne k", False),
    (r"\frac{\partial a_j}{\partial z_k} = -a_j a_k", False),                  # j = k is not -a_j^2
    (r"\frac{\partial a_j}{\partial z_j} = a_j (1 - a_j)", True),
    (r"\frac{\partial C}{\partial z_j} = \sum_k \frac{\partial C}{\partial a_k} \frac{\partial a_k}{\partial z_j}", True),
])
def test_softmax_needs_the_condition_j_not_k(tmp_path, claim, true):
    p = tmp_path / "softmax.md"
    p.write_text(SOFTMAX)
    verdict, why = general(_checker(p), claim)
    assert verdict == ("proved" if true else "not proved"), why


@pytest.mark.parametrize("domain, proved", [("simplex", True), ("unit", False)])
def test_a_claim_that_rests_on_a_simplex_uses_it_and_says_so(tmp_path, domain, proved):
    """δ = a − y for softmax and cross-entropy needs Σ_k y_k = 1: proved where y is declared a
    simplex (and the note says it used that), not proved where y is merely in (0, 1)."""
    p = tmp_path / "softmax.md"
    p.write_text(SOFTMAX.replace("domain: simplex", f"domain: {domain}"))
    c = _checker(p)
    verdict, why = general(c, r"\frac{\partial C}{\partial z_j} = a_j - y_j")
    assert (verdict, "Σ_k y_k = 1" in why) == (("proved", True) if proved else ("not proved", False)), why
    # Σ y = 1 is about the whole sum: y_j alone, or a sum over part of the range, is not 1
    assert general(c, r"\frac{\partial C}{\partial z_j} = a_j - y_j + a_j y_j - a_j y_j^2")[0] == "not proved"
    assert general(c, r"\frac{\partial C}{\partial z_j} = a_j - 2 y_j")[0] == "not proved"
    assert general(c, r"\frac{\partial C}{\partial z_j} = -y_j + a_j \sum_k y_k")[0] == "proved"


# ----------------------------------------------------------------------------- two oracles agree
MUTATIONS = [("_{jk}", "_{kj}"), ("_{kj}", "_{jk}"), ("f'(", "f("), ("^{l+1}", "^{l}"), ("^{l-1}", "^{l}"),
             ("_k", "_j"), ("_j", "_k"), (" = ", " = 2 "), ("a^L_j - y_j", "y_j - a^L_j"), ("+ b", "- b")]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ONE_EXAMPLE), st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 3)), max_size=2))
def test_whatever_is_proved_for_every_width_also_holds_at_every_point(backprop, claim, mutations):
    """The two oracles agree: a claim from the list above, mutated (indices swapped, a layer moved, f
    for f', a factor 2, a sign), is either not proved for every width, or true at every size and
    point of the 50-digit evaluation. Each mutation replaces the n-th occurrence (mod their count)."""
    for (old, new), n in mutations:
        places = [i for i in range(len(claim)) if claim.startswith(old, i)]
        if places:
            at = places[n % len(places)]
            claim = claim[:at] + new + claim[at + len(old):]
    from hypothesis import assume

    from backproof.checker.errors import Located
    from backproof.checker.grammar import LatexError
    try:
        verdict, why = general(backprop, claim)
    except (Located, LatexError):   # the mutant does not parse or mean anything (an index with no range)
        assume(False)
    if verdict == "proved":
        chain = parse(claim).chains[0]
        r = Resolver(backprop.model)
        sides = tuple(r(s) for s in chain.sides)
        failure, _ = backprop._verify(sides, Checker._conditions(r, chain, sides))
        assert failure is None, f"proved for every width, yet false at a point: {claim}"


# ----------------------------------------------------------------------------- what it relies on, and refuses
def test_a_claim_below_the_last_layer_says_it_relies_on_the_rest_of_the_network(backprop):
    verdict, note = general(backprop, r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L")
    assert verdict == "proved" and "any function of z^{l+2}" in note, note
    assert general(backprop, r"\delta^L_j = (a^L_j - y_j) f'(z^L_j)") == ("proved", "")


def test_a_cost_that_reads_a_hidden_layer_is_not_left_to_the_rest_of_the_network(tmp_path):
    """C reads b^1 directly (a penalty on a bias): C then depends on b^1 not only through the layer
    above, so ∂C/∂b^l_j = δ^l_j is false at l = 1. The claim is made only for l ≤ L − 2, where every
    case is one in which the rest of the network stands in for C: that step must be refused
    (without the check, the two sides are the same sum over the unknown ∂C/∂z^{l+1})."""
    text = BACKPROP.read_text().replace(r"C = \frac{1}{2} \sum_j (a^L_j - y_j)^2",
                                        r"C = \frac{1}{2} \sum_j (a^L_j - y_j)^2 + (b^1_1)^2", 1)
    assert text != BACKPROP.read_text()
    p = tmp_path / "penalty.md"
    p.write_text(text)
    c = Checker(str(p), prove=False)
    c.run()   # the document's own claims may now fail; the definitions are what matter here
    verdict, why = general(c, r"\frac{\partial C}{\partial b^l_j} = \delta^l_j, \quad l \le L - 2")
    assert verdict == "not proved" and "reads b at a layer other than L" in why, why


def test_two_costs_are_two_arbitrary_functions_of_the_layer_above(tmp_path):
    """Below the last layer C is an arbitrary function of z^{l+2}; a second scalar defined on the
    output (E = Σ (a^L)^3) is another one, not the same: their gradients must not be proved equal,
    even where the claim is made only well below the last layer (l ≤ L − 2, so only that case is
    proved)."""
    text = BACKPROP.read_text().replace("    C:     {}\n", "    C:     {}\n    E:     {}\n", 1) + (
        "\n<!-- check: definition -->\n$$\nE = \\sum_j (a^L_j)^3\n$$\n")
    p = tmp_path / "two.md"
    p.write_text(text)
    c = _checker(p)
    claim = r"\frac{\partial C}{\partial z^l_j} = \frac{\partial E}{\partial z^l_j}, \quad l \le L - 2"
    assert general(c, claim)[0] == "not proved"
    same = r"\frac{\partial E}{\partial z^l_j} = \sum_k \frac{\partial E}{\partial z^{l+1}_k} w^{l+1}_{kj} f'(z^l_j), \quad l < L"
    assert general(c, same)[0] == "proved"


def test_the_proof_stops_at_its_step_budget_not_a_clock(backprop, monkeypatch):
    """The same claim is proved or not on any machine: a budget of steps, not time, ends the work."""
    import backproof.checker.general as general_module
    bp2 = r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L"
    monkeypatch.setattr(general_module, "GENERAL_STEPS", 300)
    verdict, why = general(backprop, bp2)
    assert verdict == "not proved" and "budget" in why, why
    monkeypatch.undo()
    assert general(backprop, bp2)[0] == "proved"


def test_indices_named_p_and_q_are_not_the_configurations_own(tmp_path):
    """The configurations write l = 1 + p, L = l + 2 + q; a document's own indices p and q are others."""
    text = BACKPROP.read_text().replace("  points: 3", "  points: 3\n  indices: [j, k, l, p, q]", 1)
    p = tmp_path / "pq.md"
    p.write_text(text)
    c = _checker(p)
    assert general(c, r"\frac{\partial C}{\partial w^l_{pq}} = a^{l-1}_q \delta^l_p")[0] == "proved"
    assert general(c, r"\frac{\partial C}{\partial w^l_{pq}} = a^{l-1}_p \delta^l_q")[0] == "not proved"
    assert general(c, r"\delta^l_p = \sum_q w^{l+1}_{qp} \delta^{l+1}_q f'(z^l_p), \quad l < L")[0] == "proved"


def test_tanh_against_exp_is_proved_in_exponentials(tmp_path):
    """σ through tanh (manual/activations.py's form) is an identity SymPy's simplify does not reduce;
    written in exponentials over one denominator it is 0. Off by a little, it still fails."""
    from backproof.checker.check import check_document
    header = "---\nchecker:\n  sizes: [[3, 4]]\n  points: 6\n  functions: {sigma: sigmoid}\n  symbols:\n    t: {}\n---\n"
    p = tmp_path / "tanh.md"
    p.write_text(header + "\n$$\n\\sigma(t) = \\frac{1}{2} \\left(1 + \\tanh\\left(\\frac{t}{2}\\right)\\right)\n$$\n"
                 "\n$$\n\\sigma(t) = \\frac{1}{2} \\left(1 + \\tanh\\left(\\frac{t}{2}\\right)\\right) + 10^{-30} t\n$$\n")
    report = check_document(p)
    assert [o.status for o in report.outcomes] == ["proved", "FAIL"], report.outcomes


def test_the_layers_proved_start_where_the_claim_allows_not_at_one(backprop):
    """∂C/∂a^l holds for l = 0 too (a^0 = x, w^1 exists): the configurations must include l = 0,
    or "every layer" would be claimed for a proof that skipped one."""
    from backproof.checker.layers import configurations
    claim = r"\frac{\partial C}{\partial a^l_j} = \sum_k w^{l+1}_{kj} \delta^{l+1}_k, \quad l < L"
    chain = parse(claim).chains[0]
    r = Resolver(backprop.model)
    sides = tuple(r(s) for s in chain.sides)
    layered = [n for s in sides for n in s.walk() if n.kind == "atom" and n.layer is not None]
    firsts = {l_value for l_value, _, _ in configurations(backprop.model, layered, "l", ())}
    assert 0 in firsts, firsts
    assert general(backprop, claim)[0] == "proved"
    assert general(backprop, claim.replace(r"\sum_k", r"2 \sum_k"))[0] == "not proved"


def test_decide_is_certain_or_says_it_depends():
    assert decide(P + 1, ">") is True and decide(P + 1, "==") is False
    assert decide(P - Q, ">=") is None and decide(Q, ">=") is True and decide(Q, ">") is None
    assert decide(-1 - P, "<") is True and decide(P - P, "==") is True


# ----------------------------------------------------------------------------- the shipped documents
EVERY = "proved for every width and depth"
@pytest.mark.parametrize("name", ["backprop.md", "batch-and-bias.md", "source-000.md", "source-001.md",
                                  "source-002.md"])
def test_every_claim_of_the_main_documents_is_proved_for_every_width(reports, name):
    """(source-001 and -002 use the sigmoid itself: σ' = σ(1 − σ) must be seen over a common
    denominator where z is a sum inside exp.)"""
    claims = [o for o in reports[name].outcomes if o.status in ("proved", "checked", "FAIL")]
    assert len(claims) >= 5
    for o in claims:
        assert o.proof_scope == EVERY, (o.where.line, o.proof_scope, o.note)


def test_the_scope_and_its_note_reach_the_json_and_the_verbose_report(reports):
    doc = json.loads(json.dumps(as_json([reports["backprop.md"], reports["batch-and-bias.md"]])))
    claims = [c for c in doc["documents"][0]["equations"] if c["status"] == "proved"]
    assert claims and all(c["proof_scope"] == EVERY for c in claims)
    assert any("any function of z^{l+2}" in c["proof_note"] for c in claims)
    # a claim about one unit of one network (out_{h1}) is proved at its size, and says why not more
    one = [c for c in as_json([reports["source-004.md"]])["documents"][0]["equations"] if c["line"] == 141][0]
    assert one["proof_scope"] == "proved at n = [1, 1], m = 2" and "a label" in one["proof_note"], one
    text = render([reports["backprop.md"], reports["source-004.md"]], verbose=True)
    assert EVERY in text and "any function of z^{l+2}" in text and "not proved for every width" in text
