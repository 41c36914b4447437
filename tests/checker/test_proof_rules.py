""""Proved" means proved (issue 35): each rule of a proof for every width and depth
(checker/rules.py) is applied only where its side condition holds, and a second line, independent
of the prover, evaluates every claim so proved at sizes chosen against the proof (checker/against.py).

For each way a side condition was once assumed instead of checked, a document that must not be
proved for every width, with a witness size where its claim is false, beside a correct twin that
must be proved. The prover is called directly (as in test_general_proofs.py), so the evaluation at
the document's own sizes, chosen here to hide each error, cannot hide a wrong proof; and the second
line is shown to catch the prover when a side condition is switched off."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from backproof.checker.against import MAX_DEPTH, against_sizes, document_numbers
from backproof.checker.check import Checker, check_document
from backproof.checker.errors import Located
from backproof.checker.evaluate import Instance, World
from backproof.checker.general import General, Unsupported, prove_every_size
from backproof.checker.grammar import parse
from backproof.checker.meaning import Resolver
from backproof.checker.rules import RULES, ordered

SYMBOLS = """    x:     {sub: ["n(0)"]}
    w:     {layers: 1..L, sub: ["n(l)", "n(l-1)"]}
    b:     {layers: 1..L, sub: ["n(l)"]}
    z:     {layers: 1..L, sub: ["n(l)"]}
    a:     {layers: 0..L, sub: ["n(l)"]}
    y:     {sub: ["n(L)"]}
    C:     {}
    delta: {layers: 1..L, sub: ["n(l)"]}
"""
FORWARD = r"""
<!-- check: definition -->
$$
a^0_j = x_j
$$

<!-- check: definition -->
$$
z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j
$$

<!-- check: definition -->
$$
a^l_j = f(z^l_j), \quad l \ge 1
$$
"""
DELTA = r"""
<!-- check: definition -->
$$
\delta^l_j = \frac{\partial C}{\partial z^l_j}
$$
"""
SSE = r"\frac{1}{2} \sum_j (a^L_j - y_j)^2"


def write(tmp_path, name: str, body: str, *, functions: str = "", symbols: str = "",
          sizes: str = "[[4, 5, 6, 7]]", fixed: bool = True):
    """A document with the network's symbols and forward pass, `body` after them (`fixed: true`
    where the sizes are chosen to hide an error: that is what these documents are for)."""
    head = (f"---\nchecker:\n  sizes: {sizes}\n  points: 6\n  fixed: {str(fixed).lower()}\n  functions:\n    f: any\n"
            f"{functions}  symbols:\n{SYMBOLS}{symbols}---\n")
    p = tmp_path / f"{name}.md"
    p.write_text(head + FORWARD + body)
    return p


def document(tmp_path, name: str, body: str, **kw) -> Checker:
    """The checker of write(...)'s document, run without proofs (the definitions are what the
    prover reads)."""
    c = Checker(str(write(tmp_path, name, body, **kw)), prove=False)
    c.run()
    return c


def _sides(c: Checker, claim: str):
    chain = parse(claim).chains[0]
    r = Resolver(c.model)
    sides = tuple(r(s) for s in chain.sides)
    return sides, Checker._conditions(r, chain, sides)


def general(c: Checker, claim: str):
    """The Proof, or the reason (a str) there is none for every width."""
    sides, conds = _sides(c, claim)
    w = c.proof_world
    try:
        return prove_every_size(c.model, list(w.definitions), w.functions, sides, conds)
    except Unsupported as e:
        return str(e)


def holds_at(c: Checker, claim: str, n: list, m=None) -> bool | None:
    """The claim evaluated at every index value of one size, at 50 digits (the prover not
    involved): True, False, or None where it (or a definition it uses) does not exist there."""
    w = World(c.model, Instance(n, m), 0, c.defined, c.budget)
    for d in c.instances[0][0].definitions:
        w.add(d)
    c.budget.reset()
    failure, evaluated = c._verify(*_sides(c, claim), instances=[[w]])
    assert evaluated or failure is not None, f"nothing evaluated at {n}"
    return None if failure is not None and failure.values is None else failure is None


# ----------------------------------------------------------------------------- the five kinds, and twins
def test_a_cost_reading_a_hidden_layer_through_a_defined_function(tmp_path):
    """C = pen(½ Σ (a^L − y)²) with pen(t) = t + λ/2 (a^{L-3}_1)²: at depth 3 the penalty reads x and
    BP2 holds for l ≤ L − 2; at depth 4 it reads a^1 and BP2 is false at l = 1. The rule
    chain-rule-step must look inside pen. Twin: a penalty on y (no layer) or on a^L."""
    bp2 = r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l \le L - 2"
    body = r"""
<!-- check: definition -->
$$
\mathrm{pen}(t) = t + \frac{\lambda}{2} (PENALISED)^2
$$

<!-- check: definition -->
$$
C = \mathrm{pen}\left(SSE\right)
$$
""".replace("SSE", SSE) + DELTA
    kw = dict(functions="    pen: defined\n", symbols="    lambda: {}\n")
    bad = document(tmp_path, "bad", body.replace("PENALISED", "a^{L-3}_1"), **kw)
    why = general(bad, bp2)
    assert isinstance(why, str) and "chain-rule-step" in why and "inside a function" in why, why
    assert holds_at(bad, bp2, [4, 5, 6, 7]) is True and holds_at(bad, bp2, [3, 4, 5, 6, 7]) is False
    for twin in ("y_1", "a^L_1"):
        good = document(tmp_path, "good", body.replace("PENALISED", twin), **kw)
        proof = general(good, bp2)
        assert not isinstance(proof, str), proof
        assert "chain-rule-step" in proof.rules and holds_at(good, bp2, [3, 4, 5, 6, 7])


def test_a_weight_penalty_inside_a_defined_function(tmp_path):
    """reg(t) = t + λ/2 (w^{L-2}_{11})²: BP4 for 2 ≤ l ≤ L − 1 holds at depth 3 (w^1 is penalised,
    outside the claim) and not at depth 4 (w^2). Twin: the penalty on w^L, outside every l ≤ L − 1."""
    bp4 = r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j, \quad 2 \le l \le L - 1"
    body = r"""
<!-- check: definition -->
$$
\mathrm{reg}(t) = t + \frac{\lambda}{2} (PENALISED)^2
$$

<!-- check: definition -->
$$
C = \mathrm{reg}\left(SSE\right)
$$
""".replace("SSE", SSE) + DELTA
    kw = dict(functions="    reg: defined\n", symbols="    lambda: {}\n")
    bad = document(tmp_path, "bad", body.replace("PENALISED", "w^{L-2}_{11}"), **kw)
    assert isinstance(general(bad, bp4), str)
    assert holds_at(bad, bp4, [4, 5, 6, 7]) is True and holds_at(bad, bp4, [3, 4, 5, 6, 7]) is False
    good = document(tmp_path, "good", body.replace("PENALISED", "w^L_{11}"), **kw)
    assert not isinstance(general(good, bp4), str)


def test_a_fixed_layer_definition_that_reads_a_lower_fixed_layer(tmp_path):
    """h^l = a^l, redefined at layer 3 as h^3 = a^1, and C reads h^L: at depth 3, C reads a^1 directly,
    so BP2 at layer 1 is false there (and true at depth 2 and 4). Every definition, at a fixed layer
    too, must read only its own layer or the one below. Twin: h^3 = 2 a^3."""
    bp2 = r"\delta^1_j = \sum_k w^2_{kj} \delta^2_k f'(z^1_j)"
    body = r"""
<!-- check: definition -->
$$
h^l_j = a^l_j
$$

<!-- check: redefinition -->
$$
h^3_j = READ
$$

<!-- check: definition -->
$$
C = \frac{1}{2} \sum_j (h^L_j - y_j)^2
$$
""" + DELTA
    kw = dict(symbols='    h:     {layers: 0..L, sub: ["n(l)"]}\n', sizes="[[2, 2, 2, 2, 2]]")
    bad = document(tmp_path, "bad", body.replace("READ", "a^1_j"), **kw)
    why = general(bad, bp2)
    assert isinstance(why, str) and "2 layers below its own" in why, why
    assert holds_at(bad, bp2, [2, 2, 2]) and holds_at(bad, bp2, [2, 2, 2, 2, 2])
    assert holds_at(bad, bp2, [2, 2, 2, 2]) is False
    good = document(tmp_path, "good", body.replace("READ", "2 a^3_j"), **kw)
    assert not isinstance(general(good, bp2), str)
    assert holds_at(good, bp2, [2, 2, 2, 2])


SOFTMAX_HEAD = """---
checker:
  sizes: [[1, 3]]
  points: 1
  fixed: true
  symbols:
    z: {sub: ["n(L)"]}
    a: {sub: ["n(L)"]}
    y: {sub: ["n(L)"], domain: simplex}
    q: {sub: ["n(L)"], domain: simplex}
    epsilon: {domain: unit}
    C: {}
---
<!-- check: definition -->
$$
a_j = \\frac{e^{z_j}}{\\sum_k e^{z_k}}
$$

<!-- check: definition -->
$$
q_j = (1 - \\epsilon) y_j + \\frac{\\epsilon}{3}
$$

<!-- check: definition -->
$$
C = -\\sum_j q_j \\ln(a_j)
$$
"""


def test_a_declared_simplex_on_a_defined_symbol_is_not_used(tmp_path):
    """q = (1 − ε) y + ε/3 is declared a simplex; it sums to 1 only where n_L = 3. δ = a − q must not
    be proved by Σ q = 1 (it is true at n_L = 3, false at 4). Twin: a Σ_k q_k − q, true at every
    width; and δ = a − y where C reads the input simplex y."""
    p = tmp_path / "smoothed.md"
    p.write_text(SOFTMAX_HEAD)
    c = Checker(str(p), prove=False)
    c.run()
    claim = r"\frac{\partial C}{\partial z_j} = a_j - q_j"
    assert isinstance(general(c, claim), str)
    assert holds_at(c, claim, [1, 3]) is True and holds_at(c, claim, [1, 4]) is False
    twin = r"\frac{\partial C}{\partial z_j} = a_j \sum_k q_k - q_j"
    proof = general(c, twin)   # (it uses Σ y = 1 of the input y, inside Σ q: that is sound)
    assert not isinstance(proof, str), proof
    p.write_text(SOFTMAX_HEAD.replace(r"C = -\sum_j q_j", r"C = -\sum_j y_j"))
    c = Checker(str(p), prove=False)
    c.run()
    proof = general(c, r"\frac{\partial C}{\partial z_j} = a_j - y_j")
    assert not isinstance(proof, str) and "simplex" in proof.rules, proof


def test_delta_is_not_a_forward_quantity(tmp_path):
    """δ^l = ∂C/∂z^l reads everything above layer l, so ∂δ^l/∂b^{l+1} is not 0 (the rule
    lower-layer is for forward quantities only): (n_L − 7) ∂δ^l_j/∂b^{l+1}_k = 0 holds where n_L = 7
    only. Twin: the same of z^l, a forward quantity, which is 0 at every width."""
    c = document(tmp_path, "delta", f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n" + DELTA, sizes="[[3, 4, 7]]")
    claim = r"(n_L - 7) \frac{\partial \delta^l_j}{\partial b^{l+1}_k} = 0, \quad l \le L - 1"
    assert isinstance(general(c, claim), str)
    assert holds_at(c, claim, [3, 4, 7]) is True and holds_at(c, claim, [3, 4, 8]) is False
    twin = general(c, claim.replace(r"\delta^l_j", "z^l_j"))
    assert not isinstance(twin, str) and "lower-layer" in twin.rules, twin


def test_a_claim_whose_only_sizes_coincide_with_a_number_the_document_writes(tmp_path):
    """Σ_k ε/3 = ε over the n_L outputs is true at n_L = 3 only, and 3 is the document's only output
    width: the claim must fail at a size chosen against that coincidence (the sizes of
    checker/against.py avoid every number the document writes). Twin: ε/n_L, true at every width."""
    body = (f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n"
            "\n$$\n\\sum_k \\frac{\\epsilon}{DEN} (y_k - y_k + 1) = \\epsilon\n$$\n")
    kw = dict(symbols="    epsilon: {}\n", sizes="[[4, 5, 6, 3]]", fixed=False)
    bad = check_document(write(tmp_path, "bad", body.replace("DEN", "3"), **kw))
    assert {3, 2, 1} <= Checker(str(tmp_path / "bad.md"), prove=False).numbers
    assert bad.outcomes[-1].status == "FAIL" and "chosen against coincidences" in bad.outcomes[-1].detail, \
        bad.outcomes[-1]
    good = check_document(write(tmp_path, "good", body.replace("DEN", "n_L"), **kw))
    assert good.outcomes[-1].status == "proved", good.outcomes[-1]


# ----------------------------------------------------------------------------- each rule, listed and checked
def test_a_proof_lists_the_rules_it_used_in_one_order(tmp_path):
    c = document(tmp_path, "plain", f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n" + DELTA)
    bp2 = general(c, r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L")
    assert {"configurations", "chain-rule-step", "kronecker", "cancellation"} <= set(bp2.rules), bp2
    assert bp2.rules == ordered(bp2.rules) and set(bp2.rules) <= set(RULES)
    bp1 = general(c, r"\delta^L_j = (a^L_j - y_j) f'(z^L_j)")
    assert "chain-rule-step" not in bp1.rules and "definition" in bp1.rules
    with pytest.raises(ValueError, match="no rule named"):
        ordered(["a-rule-that-does-not-exist"])


def test_every_rule_states_what_it_does_and_its_condition():
    for rule in RULES.values():
        assert rule.states and rule.condition, rule


def test_the_lower_layer_rule_needs_every_definition_to_read_its_own_layer_or_the_one_below(tmp_path):
    """A skip connection (z^l reads a^{l-2}) breaks "a lower layer does not depend on a higher one"
    for the frontier; the rule is then refused, with the definition named."""
    c = document(tmp_path, "skip", r"""
<!-- check: redefinition -->
$$
z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j + a^{l-2}_1, \quad l \ge 2
$$
""", sizes="[[2, 2, 2, 2]]")
    why = general(c, r"\frac{\partial z^l_j}{\partial b^{l+1}_k} = 0")
    assert isinstance(why, str) and "lower-layer" in why and "2 layers below" in why, why


def test_the_configurations_rule_refuses_a_layer_it_cannot_tell_apart(tmp_path):
    """z^l against b^3: equal at l = 3 only; a configuration l = 2 + p cannot tell them apart."""
    c = document(tmp_path, "fixed", f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n", sizes="[[2, 2, 2, 2, 2]]")
    claim = r"\frac{\partial z^l_j}{\partial b^3_j} = 0, \quad l \le L - 1"
    why = general(c, claim)
    assert isinstance(why, str) and "rule configurations does not apply" in why, why
    assert holds_at(c, claim, [2, 2, 2, 2, 2]) is False      # at l = 3
    assert not isinstance(general(c, claim.replace("b^3_j", "b^{l+1}_j")), str)


# ----------------------------------------------------------------------------- the second line
def test_the_sizes_against_a_proof():
    sizes = against_sizes({0, 1, 2, 7}, batch=True)
    depths = {len(n) - 1 for n, _ in sizes}
    assert depths >= set(range(1, MAX_DEPTH + 1))
    widths = {w for n, _ in sizes for w in n}
    assert {1, 2} <= widths and {6, 7, 8} <= widths and {6, 7, 8} <= {m for _, m in sizes}
    for n, m in sizes[:3]:   # the distinct ones: clear of the document's numbers and of each other
        assert len(set(n + [m])) == len(n) + 1 and not set(n + [m]) & {0, 1, 2, 7}
    assert against_sizes({0, 1, 2, 7}, batch=True) == sizes and len(sizes) == len(set(map(str, sizes)))
    assert all(m is None for _, m in against_sizes({0, 1, 2}, batch=False))


@pytest.mark.parametrize("switch_off", ["functions inlined", "delta forward"])
def test_the_second_line_catches_a_prover_whose_side_condition_is_off(tmp_path, monkeypatch, switch_off):
    """With a side condition switched off, the prover proves a false claim again; the evaluation at
    sizes chosen against the proof must then make the claim a checker error, never proved."""
    if switch_off == "functions inlined":
        monkeypatch.setattr(General, "reads", lambda self, node: node.walk())
        text = r"""
<!-- check: definition -->
$$
\mathrm{pen}(t) = t + \frac{\lambda}{2} (a^{L-3}_1)^2
$$

<!-- check: definition -->
$$
C = \mathrm{pen}\left(SSE\right)
$$
""".replace("SSE", SSE) + DELTA + "\n$$\n\\delta^l_j = \\sum_k w^{l+1}_{kj} \\delta^{l+1}_k f'(z^l_j), \\quad l \\le L - 2\n$$\n"
        kw = dict(functions="    pen: defined\n", symbols="    lambda: {}\n")
    else:
        # the rule lower-layer applied to δ too, as before issue 35
        monkeypatch.setattr(General, "forward", lambda self, name, seen=None: True)
        text = (f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n" + DELTA +
                "\n$$\n(n_L - 7) \\frac{\\partial \\delta^l_j}{\\partial b^{l+1}_k} = 0, \\quad l \\le L - 1\n$$\n")
        kw = dict(sizes="[[3, 4, 7]]")   # n_L = 7 hides it; depth 2 keeps ∂δ/∂b cheap to evaluate
    document(tmp_path, "doc", text, **kw)
    outcome = check_document(tmp_path / "doc.md").outcomes[-1]
    assert outcome.status == "ERROR", outcome
    assert "the general proof and the evaluation at" in outcome.detail and "disagree" in outcome.detail


def test_a_proved_claim_says_where_it_was_also_evaluated(reports):
    proved = [o for o in reports["backprop.md"].outcomes if o.proof_scope == "proved for every width and depth"]
    assert proved
    for o in proved:
        assert o.rules and o.against, o
        assert any(s.count(",") >= 4 for s in o.against), o.against    # a network of depth 4 or more


# ----------------------------------------------------------------------------- mutants, both ways
SIZE_SENSITIVE = [
    (r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j), \quad l < L", "bp2"),
    (r"\frac{\partial C}{\partial b^l_j} = \delta^l_j", "bp3"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", "bp4"),
    (r"\delta^L_j = (a^L_j - y_j) f'(z^L_j)", "bp1"),
]
MUTANTS = st.one_of(
    st.tuples(st.just("factor"), st.integers(1, 9)),                        # × (n_L − k + 1)/… : true at n_L = k only
    st.tuples(st.just("layer"), st.sampled_from([("^{l+1}", "^{l+2}"), ("^{l-1}", "^{l-2}"), ("^L", "^{L-1}")])),
    st.tuples(st.just("bound"), st.sampled_from([r"\sum_{k=1}^{n_{l}}", r"\sum_{k=1}^{n_{l+1} - 1}", r"\sum_{k=1}^{3}"])),
    st.tuples(st.just("penalty"), st.sampled_from(["a^{L-2}_1", "a^{L-3}_1", "w^{2}_{11}", "b^{L-1}_1"])),
)


def _mutate(claim: str, mutant) -> tuple[str, str | None]:
    """(the claim, the penalised symbol or None) after one size-sensitive mutation."""
    kind, arg = mutant
    if kind == "factor":
        body, comma, conds = claim.partition(r", \quad")
        left, _, last = body.rpartition(" = ")
        return f"{left} = \\frac{{n_L + {10 - arg}}}{{10}} \\left({last}\\right){comma}{conds}", None
    if kind == "layer":
        return claim.replace(*arg, 1), None
    if kind == "bound":
        return claim.replace(r"\sum_k", arg, 1), None
    return claim, arg


@settings(max_examples=12, deadline=None, derandomize=True)
@given(st.sampled_from(SIZE_SENSITIVE), MUTANTS)
def test_a_size_sensitive_mutant_is_proved_only_where_it_holds_at_every_size(tmp_path_factory, claim, mutant):
    """A true claim, mutated in a way that makes it true at some sizes only (a factor (n_L + c)/10, a
    layer offset, a sum's bound, a penalty on a fixed hidden layer inside a defined function): either
    the prover does not prove it for every width, or it holds at the document's sizes and at every
    size chosen against the proof. A mutant false at some size is therefore never proved."""
    text, penalised = _mutate(claim[0], mutant)
    if penalised:
        cost = (f"\n<!-- check: definition -->\n$$\n\\mathrm{{pen}}(t) = t + (PEN)^2\n$$\n"
                f"\n<!-- check: definition -->\n$$\nC = \\mathrm{{pen}}\\left({SSE}\\right)\n$$\n").replace("PEN", penalised)
        kw = dict(functions="    pen: defined\n")
    else:
        cost, kw = f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n", {}
    c = document(tmp_path_factory.mktemp("mutant"), "m", cost + DELTA, **kw)
    proof = general(c, text)
    if isinstance(proof, str):
        return   # not proved for every width: nothing to hold it to
    sizes = [n for n, _ in against_sizes(c.numbers | document_numbers(_sides(c, text)[0]), batch=False)]
    for n in sizes:
        try:
            ok = holds_at(c, text, n)
        except Located:   # no index value is allowed at this size (l < L at depth 1, say)
            continue
        assert ok is not False, f"proved for every width ({', '.join(proof.rules)}), false at n = {n}: {text} (penalty {penalised})"


def test_the_rules_and_the_second_lines_sizes_reach_the_json_the_verbose_report_and_the_page(reports):
    import json

    from backproof.checker.html import render_document
    from backproof.checker.results import as_json, render
    report = reports["backprop.md"]
    doc = json.loads(json.dumps(as_json([report])))["documents"][0]
    proved = [e for e in doc["equations"] if e["proof_scope"] == "proved for every width and depth"]
    assert proved and all(e["proof_rules"] and e["proof_evaluated_at"] for e in proved)
    assert all(set(e["proof_rules"]) <= set(RULES) for e in proved)
    text = render([report], verbose=True)
    assert text.count("    rules: ") == len(proved) and "chosen against the proof" in text
    page = render_document(report)
    assert page.count("<summary>rules of the proof") == len(proved)
    assert "chain-rule-step" in page and "n = [1, 2, 3, 1, 2, 3, 1]" in page


def test_the_definition_rule_needs_one_definition_that_applies_for_every_p_and_q(tmp_path):
    """h^l = a^l for l ≤ 2 and 2 a^l from 3 on: at a layer l = 2 + p which one applies depends on p,
    so h^l = a^l (true at l ≤ 2 only) is not proved; at the fixed layer 1 it is."""
    c = document(tmp_path, "cases", r"""
<!-- check: definition -->
$$
h^l_j = a^l_j, \quad l \le 2
$$

<!-- check: definition -->
$$
h^l_j = 2 a^l_j, \quad l \ge 3
$$
""", symbols='    h:     {layers: 0..L, sub: ["n(l)"]}\n', sizes="[[2, 2, 2, 2, 2]]")
    claim = r"h^l_j = a^l_j, \quad l \ge 1"
    assert isinstance(general(c, claim), str)
    assert holds_at(c, claim, [2, 2, 2]) is True and holds_at(c, claim, [2, 2, 2, 2]) is False
    proof = general(c, r"h^1_j = a^1_j")
    assert not isinstance(proof, str) and "definition" in proof.rules, proof


def test_the_kronecker_rule_keeps_two_indices_apart_unless_the_claim_makes_them_one(tmp_path):
    """∂z^l_1/∂b^l_j is δ(1, j), 1 at j = 1 only: '= 1' is not proved; ∂z^l_j/∂b^l_j = 1 is."""
    c = document(tmp_path, "deltas", f"\n<!-- check: definition -->\n$$\nC = {SSE}\n$$\n")
    claim = r"\frac{\partial z^l_1}{\partial b^l_j} = 1"
    assert isinstance(general(c, claim), str)
    assert holds_at(c, claim, [2, 3, 4]) is False
    proof = general(c, r"\frac{\partial z^l_j}{\partial b^l_j} = 1")
    assert not isinstance(proof, str) and "kronecker" in proof.rules, proof
