"""The derivation checker: every document passes, every mutated claim is rejected at its file:line,
ties to manual/ catch a drifted or renamed function, and bad documents are located errors."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import backproof.manual.network
from bugs import BUGS
from selection import keep
from backproof.cli.main import main
from backproof.checker.check import check_document
from backproof.checker.run import check_documents
from backproof.checker.document import DEFINING, ERRATA, read_document
from backproof.checker.grammar import MAX_TOKENS

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(p for p in (ROOT / "derivations").glob("*.md") if p.name != "README.md")
HEADER = """---
checker:
  sizes: [[3, 4]]
  symbols:
    x: {sub: ["n(0)"]}
    t: {}
---
"""


def test_there_are_documents():
    assert {"backprop.md", "activations-and-losses.md", "batch-and-bias.md"} <= {p.name for p in DOCS}
    assert {f"source-00{n}.md" for n in range(5)} <= {p.name for p in DOCS}


@pytest.mark.parametrize("doc", [p.name for p in DOCS])
def test_document_passes(reports, doc):
    r = reports[doc]
    bad = [f"{o.where} {o.status}: {o.detail}" for o in r.outcomes if not o.ok]
    assert r.ok, (r.error, bad)
    c = r.counts
    assert c["checked"] + c["proved"] >= 4 and c["expected-wrong"] + c["unchecked"] >= 1  # each shows a slip
    assert all(o.detail for o in r.outcomes if o.status in ("expected-wrong", "unchecked"))


def test_bp1_to_bp4_are_tied_to_manual(reports):
    tied = {o.tie.split("[")[0] for r in reports.values() for o in r.outcomes if o.tie and o.ok}
    for fn in ("linear", "bp1_output_error", "bp2_hidden_error", "bp3_bias_grad", "bp4_weight_grad"):
        assert f"manual.network.{fn}" in tied
    for fn in ("manual.activations.sigmoid_prime", "manual.activations.tanh_prime",
               "manual.activations.softmax_jacobian", "manual.losses.half_sse_grad", "manual.losses.mse_grad"):
        assert fn in tied


# ----------------------------------------------------------------------------- mutated claims

def _split_top(text: str):
    """(start, end) of the last side of the first chain: after the last top-level '=' and before
    the conditions (', \\quad') or the \\tag."""
    depth, eqs = 0, []
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "=" and depth == 0:
            eqs.append(i)
    end = len(text)
    for stop in (", \\quad", "\\tag"):
        if stop in text:
            end = min(end, text.index(stop))
    return eqs[-1] + 1, end


def _wrap(rhs: str, before: str, after: str) -> str:
    """rhs inside before...after, its surrounding whitespace (and so the line numbers) kept."""
    core = rhs.strip()
    i = rhs.index(core)
    return rhs[:i] + before + core + after + rhs[i + len(core):]


def _sign(rhs: str) -> str:
    if rhs.strip() == "0":  # −0 = 0 would be an equivalent mutant: change the constant instead
        return rhs.replace("0", "1")
    for a, b in ((" + ", " - "), (" - ", " + ")):
        if a in rhs:
            return rhs.replace(a, b, 1)
    return _wrap(rhs, " -\\left(", "\\right)")


def _swap(rhs: str) -> str | None:
    m = re.search(r"_\{([a-z])([a-z])\}", rhs)
    if m and m.group(1) != m.group(2):
        return rhs[:m.start()] + f"_{{{m.group(2)}{m.group(1)}}}" + rhs[m.end():]
    letters = [(m.start(), m.group(1)) for m in re.finditer(r"_([ijk])(?![a-z])", rhs)]
    distinct = list(dict.fromkeys(ch for _, ch in letters))
    if len(distinct) < 2:
        m = re.search(r"_\{([oh])([12])\}", rhs)  # labelled units (source 003): o1 <-> o2, h1 <-> h2
        if m:
            return rhs[:m.start()] + f"_{{{m.group(1)}{3 - int(m.group(2))}}}" + rhs[m.end():]
        return None
    pos = letters[0][0]
    return rhs[:pos] + "_" + distinct[1] + rhs[pos + 2:]


def _drop(rhs: str) -> str:
    if rhs.strip() == "0":
        return rhs.replace("0", "1")
    m = re.search(r"(f|\\sigma)'\(", rhs)
    if m:  # drop the derivative factor, parentheses balanced
        depth, i = 0, m.end() - 1
        while True:
            depth += rhs[i] == "("
            depth -= rhs[i] == ")"
            i += 1
            if depth == 0:
                break
        return rhs[:m.start()] + rhs[i:]
    return _wrap(rhs, " 2 \\left(", "\\right)")


MUTATIONS = {"sign flipped": _sign, "subscripts swapped": _swap, "factor dropped": _drop}


def _mutate(doc: Path, mutation, tmp_path: Path) -> tuple[Path, dict]:
    """The document with every claim's last side mutated; {line: mutated equation}."""
    _, equations = read_document(doc)
    text = doc.read_text()
    expected = {}
    for eq in reversed(equations):
        if eq.markers.keys() & {*DEFINING, "unchecked", *ERRATA}:
            continue
        start, end = _split_top(eq.text)
        new_rhs = mutation(eq.text[start:end])
        if new_rhs is None:
            continue
        mutated = eq.text[:start] + new_rhs + eq.text[end:]
        line_start = sum(len(line) + 1 for line in text.split("\n")[:eq.line - 1])
        offset = text.index(eq.text, line_start + eq.column - 1)
        text = text[:offset] + mutated + text[offset + len(eq.text):]
        expected[eq.line] = mutated
    out = tmp_path / doc.name
    out.write_text(text)
    return out, expected


@pytest.mark.parametrize("kind", list(MUTATIONS))
@pytest.mark.parametrize("doc", keep(DOCS, default=[ROOT / "derivations" / "backprop.md"], ids=lambda p: p.name))
def test_every_mutated_claim_is_rejected_at_its_line(doc, kind, tmp_path):
    path, expected = _mutate(doc, MUTATIONS[kind], tmp_path)
    if not expected and kind == "subscripts swapped":
        pytest.skip(f"{doc.name}: no claim has two different subscripts to swap")
    assert expected
    report = check_document(path, prove=False)
    rejected = {o.where.line for o in report.outcomes if not o.ok}
    survivors = {line: eq for line, eq in expected.items() if line not in rejected}
    assert not survivors, f"{kind}: these mutated claims passed: {survivors}"
    for o in report.outcomes:
        if not o.ok:
            assert re.match(rf"{re.escape(str(path))}:\d+:\d+$", str(o.where))


def test_the_readme_says_how_many_claims_each_mutation_reaches(tmp_path):
    """Not every claim has two different subscripts to swap: docs/testing.md says how many do."""
    reach = {kind: sum(len(_mutate(doc, fn, tmp_path)[1]) for doc in DOCS) for kind, fn in MUTATIONS.items()}
    readme = " ".join((ROOT / "docs" / "testing.md").read_text().split())
    assert reach["sign flipped"] == reach["factor dropped"]
    assert (f"a sign flipped and a factor dropped (each of the {reach['sign flipped']} claims) and two different "
            f"subscripts swapped (the {reach['subscripts swapped']} claims that have two)") in readme, reach


def test_a_failure_prints_the_point_and_both_sides(tmp_path):
    path, _ = _mutate(ROOT / "derivations" / "backprop.md", _sign, tmp_path)
    fail = next(o for o in check_document(path, prove=False).outcomes if o.status == "FAIL" and "inputs:" in o.detail)
    assert "left side  =" in fail.detail and "right side =" in fail.detail
    assert re.search(r"w\[1,1,1\] = -?\d", fail.detail) and "at n = [" in fail.detail


# ----------------------------------------------------------------------------- ties to manual/

@pytest.mark.parametrize("bug", keep(BUGS, first=2))
def test_each_known_backprop_bug_fails_its_tie(bug, monkeypatch):
    """tests/bugs.py's wrong BP1–BP4 (the same ones the oracles are fed) put into manual.network:
    the document equation tied to that function fails, naming it. Some bugs raise on unequal
    widths (W not transposed): that is a failure too, never a crash of the checker."""
    name, wrong = BUGS[bug]
    monkeypatch.setattr(backproof.manual.network, name, wrong)
    docs = [ROOT / "derivations" / ("batch-and-bias.md" if "batch" in bug else "backprop.md")]
    failed = [o for r in check_documents(docs, prove=False) for o in r.outcomes if o.status == "FAIL"]
    assert failed and {o.tie.split("[")[0] for o in failed} == {f"manual.network.{name}"}
    assert all(("disagrees with the equation" in o.detail or " raised " in o.detail) for o in failed)


def test_a_renamed_manual_function_fails_its_tie(monkeypatch):
    monkeypatch.delattr(backproof.manual.network, "bp4_weight_grad")
    report = check_document(ROOT / "derivations" / "backprop.md", prove=False)
    failed = [o for o in report.outcomes if o.status == "FAIL"]
    assert len(failed) == 1 and "does not exist" in failed[0].detail


# ----------------------------------------------------------------------------- bad documents

def _doc(tmp_path, body: str, header: str = HEADER) -> Path:
    p = tmp_path / "doc.md"
    p.write_text(header + body)
    return p


def _single_problem(path) -> str:
    r = check_document(path, prove=False)
    assert not r.ok
    problems = [f"{o.where} {o.detail}" for o in r.outcomes if not o.ok] + ([r.error] if r.error else [])
    return "\n".join(problems)


@pytest.mark.parametrize("body, line, col, words", [
    ("\n$$\nt = \\frac{1}{t\n$$\n", 10, 15, "ends early"),
    ("\n$$\nt = t \\foo\n$$\n", 10, 7, "cannot read"),
    ("\n$$\nt = q\n$$\n", 10, 5, "unknown symbol 'q'"),
    ("\n$$\nt = tt\n$$\n", 10, 5, "write `t t` for a product"),
    ("\n$$\nt = x_4\n$$\n", 10, 1, "outside 1..3"),
    ("\n$$\nt = t + t) \n$$\n", 10, 10, "unexpected ')'"),
])
def test_malformed_equations_are_located_errors(tmp_path, body, line, col, words):
    problem = _single_problem(_doc(tmp_path, body + "\n$$\nt = t\n$$\n"))
    assert f"doc.md:{line}:{col}" in problem and words in problem


def test_unbalanced_double_dollar(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n$$\nt = t\n$$\n\n$$\nt = 2 t\n"))
    assert "doc.md:13" in problem and "unbalanced $$" in problem


def test_a_document_with_no_checked_equation_is_an_error(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n<!-- check: unchecked — just prose -->\n$$\nt = 2\n$$\n"))
    assert "no equation was checked" in problem


def test_a_document_whose_only_claim_fails_is_told_that_and_nothing_else(tmp_path):
    r = check_document(_doc(tmp_path, "\n$$\nt = 2 t\n$$\n"), prove=False)
    assert [o.status for o in r.outcomes] == ["FAIL"] and r.error is None and not r.ok


def test_a_huge_equation_is_refused_not_run(tmp_path):
    huge = " + ".join(["t"] * MAX_TOKENS)
    problem = _single_problem(_doc(tmp_path, f"\n$$\nt = {huge}\n$$\n\n$$\nt = t\n$$\n"))
    assert "doc.md:10:1" in problem and "tokens" in problem


def test_python_in_an_equation_is_rejected_not_run(tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    problem = _single_problem(_doc(tmp_path, f"\n$$\nt = {code}\n$$\n\n$$\nt = t\n$$\n"))
    assert "doc.md:10:5" in problem and not marker.exists()


def test_no_eval_exec_or_sympify_in_the_checker():
    modules = sorted((ROOT / "checker").glob("*.py"))
    assert len(modules) >= 4
    for path in modules:
        source = path.read_text()
        assert not re.search(r"\b(eval|exec|sympify|parse_expr|parse_latex)\s*\(", source), path.name


@pytest.mark.parametrize("markers, words", [
    ("<!-- check: wrong — it is not -->", "marked wrong, but it holds"),
    ("<!-- check: unchecked -->", "needs a reason"),
    ("<!-- check: wrng — typo -->", "unknown marker 'wrng'"),
    ("<!-- check: implements manual.network.nothing -->", "no tie adapter"),
])
def test_markers_are_checked(tmp_path, markers, words):
    problem = _single_problem(_doc(tmp_path, f"\n{markers}\n$$\nt = t\n$$\n\n$$\nt = t\n$$\n"))
    assert words in problem and "doc.md:" in problem


def test_a_marker_must_precede_an_equation(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n<!-- check: definition -->\n\nprose\n\n$$\nt = t\n$$\n"))
    assert "doc.md:9" in problem and "right before" in problem


@pytest.mark.parametrize("front, words", [
    ("---\nchecker:\n  sizes: [[0, 2]]\n---\n", "checker.sizes"),
    ("---\nchecker:\n  symbols:\n    w: {layers: 1..Q}\n---\n", "layers: expected a range"),
    ("---\nchecker:\n  symbols:\n    L: {}\n---\n", "reserved"),
    ("---\nchecker:\n  colour: blue\n---\n", "unknown checker keys"),
    ("no front matter\n", "front matter must have"),
])
def test_bad_front_matter(tmp_path, front, words):
    problem = _single_problem(_doc(tmp_path, "\n$$\n1 = 1\n$$\n", header=front))
    assert words in problem and "doc.md:" in problem


def test_cli_exit_status(tmp_path, capsys):
    good = _doc(tmp_path, "\n$$\nt + t = 2 t\n$$\n")
    assert main(["derivations", str(good)]) == 0
    assert "1 claim checked (1 proved, 0 evaluated only)" in capsys.readouterr().out
    bad = tmp_path / "bad.md"
    bad.write_text(HEADER + "\n$$\nt + t = 3 t\n$$\n\n$$\nt = t\n$$\n")
    assert main(["derivations", "--no-prove", str(bad)]) == 1
    assert f"FAIL {bad}:10:1" in capsys.readouterr().out


def test_an_equation_over_its_step_budget_is_an_error_not_a_hang(tmp_path, monkeypatch):
    import backproof.checker.check as d
    monkeypatch.setattr(d, "EQUATION_STEPS", 3)
    problem = _single_problem(_doc(tmp_path, "\n$$\nt + t + t = 3 t\n$$\n"))
    assert "doc.md:10:1" in problem and "over the budget" in problem


def test_a_function_parameter_shadows_a_declared_symbol(tmp_path):
    """Regression: f(t) = t^2 with t also declared: the body's t is the parameter, not the input."""
    header = HEADER.replace("    t: {}\n", "    t: {}\n  functions: {f: defined}\n")
    assert "functions" in header
    body = "\n<!-- check: definition -->\n$$\nf(t) = t^2\n$$\n\n$$\nf(3) = 9\n$$\n"
    report = check_document(_doc(tmp_path, body, header=header), prove=False)
    assert report.ok and report.counts["checked"] == 1


def test_seed_moves_the_points_not_the_verdicts(capsys):
    doc = str(ROOT / "derivations" / "source-003.md")
    outs = []
    for seed in (5, 5, 6):
        assert main(["derivations", "--no-prove", "--json", "--seed", str(seed), doc]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    wrong = [[e["detail"] for e in o["documents"][0]["equations"] if e["status"] == "expected-wrong"] for o in outs]
    assert wrong[0] == wrong[1] != wrong[2]
    assert [e["status"] for e in outs[0]["documents"][0]["equations"]] == \
        [e["status"] for e in outs[2]["documents"][0]["equations"]]


# ----------------------------------------------------------------------------- same verdicts every run

def test_the_same_seed_gives_the_same_json_and_the_same_proofs(reports):
    """No wall clock decides a proof: the module's check and a second one agree entry by entry
    (on the documents with the most proofs; the module's check covers them all)."""
    from backproof.checker.results import as_json
    some = [p for p in DOCS if p.name in ("backprop.md", "source-003.md", "source-004.md")]
    again = check_documents(some, jobs=1)   # the session's check ran the documents side by side
    assert as_json(again) == as_json([reports[p.name] for p in some])
    assert sum(r.counts["proved"] for r in reports.values()) >= 70  # 41–47 of 76 under the old 0.5 s clock


def test_documents_checked_side_by_side_come_back_in_order_and_a_dead_child_is_an_error(tmp_path, monkeypatch):
    import os
    import backproof.checker.run as run
    a = _doc(tmp_path, "\n$$\nt + t = 2 t\n$$\n")
    b = tmp_path / "b.md"
    b.write_text(a.read_text() + "\n$$\nt t = t^2\n$$\n")
    c = tmp_path / "c.md"
    c.write_text(a.read_text() + "\n$$\nt = 2 t\n$$\n")   # fails
    order = [c, a, b]
    assert [r.path for r in check_documents(order, jobs=3)] == [str(p) for p in order]
    real = run.check_document
    monkeypatch.setattr(run, "check_document",
                        lambda path, **kw: os._exit(3) if path == b else real(path, **kw))
    died = check_documents(order, jobs=2)
    assert [r.ok for r in died] == [False, True, False]
    assert died[2].error == f"{b}:1: the checking process died (exit code 3)"


def test_an_exception_in_one_child_stops_the_others(tmp_path):
    """fn raising in a child is raised in the parent, and a child still running is not left behind."""
    import multiprocessing
    import time
    from backproof.checker.parallel import forked

    def work(item):
        if item == "raise":
            raise ValueError("this document is broken")
        time.sleep(60)
    with pytest.raises(ValueError, match="this document is broken"):
        list(forked(["sleep", "raise"], [0, 1], 2, work))
    time.sleep(0.2)
    assert multiprocessing.active_children() == []


def test_a_claim_beyond_the_proof_budget_is_evaluated_not_proved(tmp_path, monkeypatch):
    """The budget is an operation count: a claim over it is checked at every point and says why
    it was not proved, the same on every machine."""
    import backproof.checker.prove as check
    path = _doc(tmp_path, "\n$$\n\\frac{t^{2} - 1}{t - 1} = t + 1\n$$\n")  # expand alone does not close it
    proved = check_document(path)
    assert [o.status for o in proved.outcomes] == ["proved"]
    monkeypatch.setattr(check, "PROOF_MAX_OPS", 2)
    over = check_document(path)
    assert [o.status for o in over.outcomes] == ["checked"]
    assert re.fullmatch(r"not proved: \d+ operations exceed the proof budget of 2", over.outcomes[0].note)


def test_every_claim_evaluated_only_says_why_it_was_not_proved(reports):
    """The README promises it: each claim that ends evaluated, not proved, gives its reason."""
    checked = [(name, o) for name, r in reports.items() for o in r.outcomes if o.status == "checked"]
    assert checked
    for name, o in checked:
        assert o.note.startswith("not proved"), (name, o.where.line, o.note)


def test_the_cli_ends_with_a_total_line_and_hides_errata_details_unless_verbose(capsys):
    assert main(["derivations", "--no-prove", str(ROOT / "derivations" / "source-000.md")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("total: 1 document, ") and "errata shown wrong" in out
    assert "erratum " not in out
    assert main(["derivations", "--no-prove", "--verbose", str(ROOT / "derivations" / "source-000.md")]) == 0
    assert "erratum " in capsys.readouterr().out


def test_a_folder_without_documents_is_an_error(tmp_path, capsys):
    assert main(["derivations", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"backproof derivations: paths: {tmp_path} has no document "
                                               "(*.md other than README.md)")


# ----------------------------------------------------------------------------- wrong by coincidence
# Each row: a shipped document with one equation replaced by a hasty author's mistake that is true
# whenever two sizes happen to be equal (n_L = 2, m = n_1, L = 2, ...). The checker must reject it
# at that equation's line: every shipped document has a size where depth, widths and batch differ.

COINCIDENCES = [
    ("backprop.md", r"\frac{\partial C}{\partial a^L_j} = a^L_j - y_j",
     r"\frac{\partial C}{\partial a^L_j} = \frac{2}{n_L} (a^L_j - y_j)", "2/n_L for the half SSE"),
    ("batch-and-bias.md", r"\delta^L = \frac{1}{m} (a^L - y) \odot f'(z^L)",
     r"\delta^L = \frac{1}{2} (a^L - y) \odot f'(z^L)", "1/2 for the mean's 1/m, in a [half_sse, mean] tie"),
    ("batch-and-bias.md", r"\frac{\partial C}{\partial b^l_j} = \sum_i \delta^l_{ij}",
     r"\frac{\partial C}{\partial b^l_j} = \delta^l_{1j} + \delta^l_{2j}", "a bias gradient over two examples"),
    ("source-001.md", r"-\frac{\partial C}{\partial w^L_{jk}} = \sum_i a^{L-1}_{ik}",
     r"-\frac{\partial C}{\partial w^L_{jk}} = \sum_{i=1}^{n_{L-1}} a^{L-1}_{ik}", "a batch sum to n_{L-1}"),
    ("source-001.md", r"\frac{\partial C}{\partial w^L} = (\delta^L)^T a^{L-1}",
     r"\frac{\partial C}{\partial w^L} = (\delta^L)^T a^{1}", "a^1 for a^{L-1}"),
]


def _replace(doc: str, old: str, new: str, tmp_path: Path, cut: bool = True) -> tuple[Path, int]:
    """A copy of the document with `old` replaced, cut after that equation (later ones cannot
    change its verdict) to keep the test quick; (the copy, the equation's line)."""
    text = (ROOT / "derivations" / doc).read_text()
    assert text.count(old) == 1, f"{doc}: {old!r} is not there once"
    line = text[:text.index(old)].count("\n") + 1
    end = text.index("$$", text.index(old)) + 2 if cut else len(text)
    out = tmp_path / doc
    out.write_text(text[:end].replace(old, new) + "\n")
    return out, line


@pytest.mark.parametrize("doc, old, new, why", keep(COINCIDENCES, first=2, ids=lambda c: c[3]))
def test_an_equation_true_only_when_sizes_coincide_is_rejected_at_its_line(doc, old, new, why, tmp_path):
    path, line = _replace(doc, old, new, tmp_path)
    report = check_document(path, prove=False)
    failed = [o for o in report.outcomes if not o.ok]
    assert [o.where.line for o in failed] == [line], (why, [(o.where, o.detail) for o in failed])


def test_a_cost_defined_with_one_over_n_L_fails_the_first_claim_on_it(tmp_path):
    path, line = _replace("backprop.md", r"C = \frac{1}{2} \sum_j (a^L_j - y_j)^2",
                          r"C = \frac{1}{n_L} \sum_j (a^L_j - y_j)^2", tmp_path, cut=False)
    claim = (ROOT / "derivations" / "backprop.md").read_text().split("\n").index(
        r"\frac{\partial C}{\partial a^L_j} = a^L_j - y_j") + 1
    report = check_document(path, prove=False)
    failed = [o for o in report.outcomes if not o.ok]
    assert f"{path}:{claim}:1" in [str(o.where) for o in failed], failed


def test_every_shipped_document_has_a_size_where_nothing_coincides(reports):
    assert all(not r.warnings for r in reports.values()), {n: r.warnings for n, r in reports.items()}


@pytest.mark.parametrize("sizes, batch, words", [
    ("[[2, 3, 2], [3, 2, 4, 2]]", "[2, 2]", ["at n = [2, 3, 2], m = 2: L = ", "n_0 = ", "= 2", "every other size"]),
    ("[[4, 5, 6, 7]]", "[5]", ["n_1 = m = 5"]),
    ("[[3, 4, 5]]", "[6]", ["L below 3"]),
    ("[[2, 2]]", "[1]", ["L = m = 1", "m below 3"]),   # batch 1 only: a batch-1-only claim would pass
])
def test_a_document_whose_sizes_coincide_is_a_located_error_unless_it_is_about_one_network(tmp_path, sizes, batch,
                                                                                           words):
    header = (f"---\nchecker:\n  sizes: {sizes}\n  batch: {batch}\n  symbols:\n"
              "    w: {layers: 1..L, sub: [\"n(l)\", \"n(l-1)\"]}\n    x: {sub: [\"m\", \"n(0)\"]}\n---\n")
    r = check_document(_doc(tmp_path, "\n$$\nw^1_{11} = w^1_{11}\n$$\n", header), prove=False)
    assert not r.ok and r.error.startswith(f"{tmp_path / 'doc.md'}:3: ") and all(w in r.error for w in words)   # at sizes:
    assert "fixed: true" in r.error
    fixed = header.replace("checker:\n", "checker:\n  fixed: true\n")
    assert check_document(_doc(tmp_path, "\n$$\nw^1_{11} = w^1_{11}\n$$\n", fixed), prove=False).ok
    wide = header.replace(sizes, "[[4, 5, 6, 7]]").replace(batch, "[8]")
    assert check_document(_doc(tmp_path, "\n$$\nw^1_{11} = w^1_{11}\n$$\n", wide), prove=False).ok


def test_a_batch_one_only_claim_fails_where_the_batch_is_told_apart(tmp_path):
    """Σ_i x_i1 = x_11 holds only at batch 1: with batch 1 alone the document is refused; with a
    batch of 3 the claim fails at its line."""
    header = ("---\nchecker:\n  sizes: [[4, 5]]\n  batch: [{m}]\n  symbols:\n"
              "    x: {{sub: [\"m\", \"n(0)\"]}}\n---\n")
    body = "\n$$\n\\sum_i x_{i1} = x_{11}\n$$\n"
    assert not check_document(_doc(tmp_path, body, header.format(m=1)), prove=False).ok
    r = check_document(_doc(tmp_path, body, header.format(m=3)), prove=False)
    assert [(o.status, o.where.line) for o in r.outcomes] == [("FAIL", 10)]


# ----------------------------------------------------------------------------- errata, conditions, any

BP2 = r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k f'(z^l_j)"


@pytest.mark.parametrize("marker, equation, words", [
    ("wrong — the condition is dropped", BP2, "never false by value"),
    ("wrong — an index out of range", r"\delta^L_j = w^{L+1}_{jj}", "never false by value"),
    ("ill-formed — it is false, not undefined", r"\delta^L_j = 2 \delta^L_j", "mark it wrong"),
    ("ill-formed — it holds", r"\delta^L_j = \delta^L_j", "it holds at every point"),
])
def test_an_erratum_must_fail_the_way_its_marker_says(tmp_path, marker, equation, words):
    text = (ROOT / "derivations" / "backprop.md").read_text()
    line = text.count("\n") + 4
    path = tmp_path / "backprop.md"
    path.write_text(text + f"\n<!-- check: {marker} -->\n$$\n{equation}\n$$\n")
    report = check_document(path, prove=False)
    failed = [o for o in report.outcomes if not o.ok]
    assert [str(o.where) for o in failed] == [f"{path}:{line}:1"] and words in failed[0].detail, failed


def test_a_condition_that_restricts_no_index_is_an_error(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n$$\nx_j = x_j, \\quad L = 7\n$$\n\n$$\nt = t\n$$\n"))
    assert "doc.md:10:" in problem and "restricts none" in problem


ANY_HEADER = HEADER.replace("  sizes: [[3, 4]]\n", "  sizes: [[3, 4]]\n  points: 6\n  functions: {f: any}\n")


def test_any_needs_a_world_for_each_function_it_stands_for(tmp_path):
    from backproof.checker.functions import ANY
    header = HEADER.replace("  sizes: [[3, 4]]\n", f"  sizes: [[3, 4]]\n  points: {len(ANY) - 1}\n  functions: {{f: any}}\n")
    problem = _single_problem(_doc(tmp_path, "\n$$\nt = t\n$$\n", header))
    assert "doc.md:4" in problem and f"sizes × points must be at least {len(ANY)}, got 1 × {len(ANY) - 1}" in problem


def test_a_claim_true_for_the_sigmoid_only_fails_under_any(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n$$\nf'(t) = f(t) (1 - f(t))\n$$\n\n$$\nt = t\n$$\n", ANY_HEADER))
    assert "doc.md:12:1" in problem and "f = " in problem and "f = 1/(1 + e^-t)" not in problem


@pytest.mark.parametrize("claim, which", [
    ("\\min(f'(t), 1) = f'(t)", "f' > 1"),                       # sigmoid, tanh, softplus: f' ≤ 1
    ("\\lvert f(t) \\rvert = f(t)", "f < 0"),                     # sigmoid, softplus: positive
    ("\\min(f(t), 5) = f(t)", "f unbounded"),                     # bounded ones, and t stays near 0..4
    ("f(t) \\ge f(t - 1) \\ge 0", None),                          # not an equation: a parse error
])
def test_a_property_only_some_functions_share_fails_under_any(tmp_path, claim, which):
    """`any` is instantiated with functions that share no accidental property: one with f' > 1, one
    negative somewhere, one unbounded, one not monotone (checker/functions.py)."""
    report = check_document(_doc(tmp_path, f"\n$$\n{claim}\n$$\n\n$$\nt = t\n$$\n", ANY_HEADER))
    statuses = [o.status for o in report.outcomes]
    assert statuses[0] in ("FAIL", "ERROR") and statuses[1] == "proved", (which, report.outcomes)


def test_a_claim_proved_under_any_is_proved_for_an_undefined_function(tmp_path, monkeypatch):
    """The proof attempt receives sides built with an undefined SymPy function f: a proof of them holds
    for every differentiable f, not only for the functions the evaluation tried."""
    import sympy as sp

    import backproof.checker.prove as prove
    seen = []
    attempt = prove.Prover.attempt

    def spy(self, outcome, sides, general=None, against=None):
        seen.extend(e for _, exprs in sides for e in exprs)
        return attempt(self, outcome, sides, general, against)
    monkeypatch.setattr(prove.Prover, "attempt", spy)
    r = check_document(_doc(tmp_path, "\n$$\nf(t) + f(x_1) = f(x_1) + f(t)\n$$\n", ANY_HEADER))
    assert [o.status for o in r.outcomes] == ["proved"]
    assert seen and all(e.atoms(sp.core.function.AppliedUndef) for e in seen), seen


@pytest.mark.parametrize("seed", range(10))
def test_a_claim_false_on_half_its_domain_fails_at_every_seed(tmp_path, seed):
    problem = _single_problem(_doc(tmp_path, "\n$$\n(t^2)^{1/2} = t\n$$\n\n$$\nt = t\n$$\n",
                                   HEADER.replace("  sizes:", f"  seed: {seed}\n  sizes:")))
    assert "doc.md:11:1" in problem and "differ" in problem


def test_a_claim_true_only_near_one_fails(tmp_path):
    problem = _single_problem(_doc(tmp_path, "\n$$\nt^3 = t\n$$\n\n$$\nt = t\n$$\n"))
    assert "doc.md:10:1" in problem and "differ" in problem


def test_inputs_take_both_signs_and_magnitudes_away_from_one():
    from backproof.checker.evaluate import _draw
    import random
    values = [_draw("real", random.Random(k), p, f"x{k}") for k in range(200) for p in range(3)]
    assert min(values) < -3 and max(values) > 3 and min(map(abs, values)) < 0.3
    for k in range(50):
        signs = {_draw("real", random.Random(k), p, f"x{k}") > 0 for p in (0, 1)}
        assert signs == {True, False}


# ----------------------------------------------------------------------------- hostile documents

HOSTILE = {
    "pow.md": (r"t = \exp{10^{10^{10}}}", ":10:", "beyond the bound of 64"),
    "pow2.md": (r"t = 10^{10^{10}}", ":10:", "beyond the bound of 64"),
    "nested.md": (r"t = ((t^{40})^{40})", ":10:", "beyond the bound of 64"),
    "eee.md": (r"t = e^{e^{e^{e^{10}}}}", ":10:1", "no finite real value"),
    "digits.md": ("t = " + "9" * 5000, ":10:5", "a number of 5000 digits"),
    "div.md": ("t = 1/0", ":10:1", "no finite real value"),
    "ln.md": (r"t = \ln(-1)", ":10:1", "no finite real value"),
    "root.md": ("t = (-1)^{1/2}", ":10:1", "no finite real value"),
    "many.md": (r"x_i x_j x_k x_l = x_l x_k x_j x_i", ":10:1", "over the budget"),
}


def test_hostile_documents_are_located_one_line_errors_in_bounded_time(tmp_path):
    """One CLI run over every hostile document: no traceback, no hang (a subprocess time limit),
    each one rejected at its line with its reason; then the other shapes of bad input."""
    import subprocess
    import sys
    big = HEADER.replace("[[3, 4]]", "[[12, 12]]")
    for name, (equation, _, _) in HOSTILE.items():
        header = big if name == "many.md" else HEADER
        (tmp_path / name).write_text(header + f"\n$$\n{equation}\n$$\n\n$$\nt = t\n$$\n")
    (tmp_path / "binary.md").write_bytes(b"---\nchecker: {}\n---\n\n" + bytes(range(128, 256)))
    (tmp_path / "loop.md").write_text(HEADER.replace("    t: {}\n", "    t: {}\n    C: {}\n    K: {}\n") +
                                      "\n<!-- check: definition -->\n$$\nC = K\n$$\n\n"
                                      "<!-- check: definition -->\n$$\nK = C + 1\n$$\n\n$$\nK = C + 1\n$$\n")
    (tmp_path / "self.md").write_text(HEADER.replace("    t: {}\n", "    t: {}\n    C: {}\n") +
                                      "\n<!-- check: definition -->\n$$\nC = C + 1\n$$\n\n$$\nC = C\n$$\n")
    done = subprocess.run([sys.executable, "-m", "backproof", "derivations", "--no-prove", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in out, out[-3000:]
    for name, (_, where, words) in HOSTILE.items():
        line = next((l for l in out.splitlines() if l.startswith(f"ERROR {tmp_path / name}{where}")), None)
        assert line is not None, (name, out[-3000:])
        assert words in out.split(line, 1)[1].splitlines()[1], name
    assert f"ERROR {tmp_path / 'binary.md'}:5:1: not UTF-8 text" in out   # its line and column
    # a loop is reported at the definition that closes it (and again at each claim that uses it)
    loop = out.split(f"ERROR {tmp_path / 'loop.md'}:18:1: K = C + 1\n", 1)[1].splitlines()[0]
    assert loop.strip() == "circular definitions: K → C → K"
    itself = out.split(f"ERROR {tmp_path / 'self.md'}:12:1: C = C + 1\n", 1)[1].splitlines()[0]
    assert itself.strip() == "circular definitions: C → C"


def test_a_definition_that_does_not_parse_stops_its_dependants(tmp_path):
    header = HEADER.replace("    t: {}\n", "    t: {}\n    C: {}\n")
    r = check_document(_doc(tmp_path, "\n<!-- check: definition -->\n$$\nC = t +\n$$\n\n$$\nC = C\n$$\n",
                            header), prove=False)
    statuses = [(o.status, o.detail) for o in r.outcomes]
    assert statuses[0][0] == "ERROR" and statuses[1] == ("ERROR", f"not checked: the definition at "
                                                          f"{tmp_path / 'doc.md'}:12:1 does not parse")


@pytest.mark.parametrize("name, wrong", [
    ("relu_prime", lambda z: np.ones_like(z)),
    ("relu", lambda z: np.abs(z)),
])
def test_a_wrong_relu_in_manual_fails_its_tie(name, wrong, monkeypatch):
    import backproof.manual.activations as activations
    monkeypatch.setattr(activations, name, wrong)
    report = check_document(ROOT / "derivations" / "relu.md", prove=False)
    failed = [o for o in report.outcomes if o.status == "FAIL"]
    assert failed and all(o.tie == f"manual.activations.{name}" for o in failed), failed


def test_a_leaky_relu_with_the_wrong_slope_fails_its_tie(monkeypatch):
    import backproof.manual.activations as activations
    right = activations.leaky_relu
    monkeypatch.setattr(activations, "leaky_relu", lambda slope=0.01: right(slope / 2))
    report = check_document(ROOT / "derivations" / "relu.md", prove=False)
    failed = [o.tie for o in report.outcomes if o.status == "FAIL"]
    assert sorted(failed) == ["manual.activations.leaky_relu[f]", "manual.activations.leaky_relu[prime]"]


@pytest.mark.parametrize("equation, words", [
    (r"t = |t|", "not part of the derivation dialect"),
    (r"t = \max(x, t)", "vector or matrix"),
    (r"t = \begin{cases} t & t > 0 \\ 1 & t < 0 \end{cases}", "otherwise"),
])
def test_notation_outside_the_dialect_is_a_located_error(tmp_path, equation, words):
    problem = _single_problem(_doc(tmp_path, f"\n$$\n{equation}\n$$\n\n$$\nt = t\n$$\n"))
    assert "doc.md:10:" in problem and words in problem


def test_values_far_below_one_are_compared_relative_to_their_size(tmp_path):
    """e^{-60} ≈ 9e-27: under the old absolute floor of 10^-25 a factor 2 there passed."""
    problem = _single_problem(_doc(tmp_path, "\n$$\ne^{-60} = 2 e^{-60}\n$$\n\n$$\ne^{-60} = e^{-30} e^{-30}\n$$\n"))
    assert "doc.md:10:1" in problem and "differ" in problem and "doc.md:14" not in problem


def test_the_proof_steps_say_zero_only_of_zero():
    import sympy as sp
    from backproof.checker.prove import _is_zero
    t = sp.Symbol("t")
    s = 1 / (1 + sp.exp(-t))
    assert _is_zero(s * (1 - s) - sp.exp(-t) / (1 + sp.exp(-t)) ** 2)   # over a common denominator
    assert _is_zero(sp.tanh(t) ** 2 + 1 / sp.cosh(t) ** 2 - 1)           # left to simplify
    assert not _is_zero(s * (1 - s) - sp.exp(-t) / (1 + sp.exp(-t)))
    assert not _is_zero(t / (t + 1) - 1)


def test_a_proof_attempt_that_raises_is_not_proved_and_prints_no_traceback(tmp_path, monkeypatch, capfd):
    import backproof.checker.prove as prove

    def broken(e):
        raise RecursionError("SymPy gave up")
    monkeypatch.setattr(prove.sp, "together", broken)   # the first step of a proof: it raises
    monkeypatch.setattr(prove.sp, "simplify", broken)
    r = check_document(_doc(tmp_path, "\n$$\n\\frac{t^{2} - 1}{t - 1} = t + 1\n$$\n"))
    assert [o.status for o in r.outcomes] == ["checked"]
    assert "Traceback" not in capfd.readouterr().err


# ----------------------------------------------------------------------------- the cache

def test_an_unchanged_document_is_read_back_from_the_cache_and_a_changed_one_is_checked(tmp_path, monkeypatch):
    import backproof.checker.run as run
    from backproof.checker import cache
    from backproof.checker.results import as_json
    monkeypatch.setenv("BACKPROOF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BACKPROOF_NO_CACHE")
    a = _doc(tmp_path, "\n$$\nt + t = 2 t\n$$\n\n$$\nt t = t^2\n$$\n")
    first = check_documents([a], cache=True)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    real = run.check_document
    monkeypatch.setattr(run, "check_document", lambda *a, **k: pytest.fail("checked again"))
    again = check_documents([a], cache=True)
    assert json.dumps(as_json(again)) == json.dumps(as_json(first))
    monkeypatch.chdir(tmp_path)                                 # named from another folder: the same entry,
    relative = check_documents([Path("doc.md")], cache=True)    # its messages in the name used now
    assert relative[0].path == "doc.md" and str(relative[0].outcomes[0].where) == "doc.md:10:1"
    monkeypatch.setattr(run, "check_document", real)
    a.write_text(a.read_text().replace("2 t", "3 t"))           # another document: checked, and fails
    assert not check_documents([a], cache=True)[0].ok
    a.write_text(a.read_text().replace("3 t", "2 t"))           # back: the first entry again
    assert check_documents([a], cache=True)[0].ok
    keys = {cache.key(a, True, None), cache.key(a, False, None), cache.key(a, True, 5)}
    code = cache._code
    monkeypatch.setattr(cache, "_code", lambda: "another checker or library version")
    assert len(keys | {cache.key(a, True, None)}) == 4          # settings and code are in the key
    for entry in (tmp_path / "cache").glob("*.json"):
        entry.write_text("{not json")                          # a corrupt entry: checked again
    monkeypatch.setattr(cache, "_code", code)
    assert check_documents([a], cache=True)[0].ok


def test_the_cache_is_off_unless_asked_and_under_the_tests(tmp_path, monkeypatch):
    from backproof.checker import cache
    assert cache.folder() is None                               # conftest: BACKPROOF_NO_CACHE=1
    monkeypatch.delenv("BACKPROOF_NO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("BACKPROOF_CACHE_DIR", raising=False)
    assert cache.folder() == tmp_path / "backproof" / "derivations"
    a = _doc(tmp_path, "\n$$\nt + t = 2 t\n$$\n")
    check_documents([a])                                        # the API's default: no cache
    assert not (tmp_path / "backproof").exists()


# ----------------------------------------------------------------------------- a student's correct document (issue 37)
LOGISTIC = r"""---
title: Logistic regression
checker:
  sizes: [[3, 1], [4, 1]]
  points: 3
  functions:
    sigma: sigmoid
  symbols:
    x: {sub: ["n(0)"]}
    w: {sub: ["n(0)"]}
    b: {}
    z: {}
    a: {}
    y: {domain: unit}
    C: {}
---
<!-- check: definition -->
$$
z = \sum_k w_k x_k + b
$$

<!-- check: definition -->
$$
a = \sigma(z)
$$

<!-- check: definition -->
$$
C = -y \ln(a) - (1 - y) \ln(1 - a)
$$

$$
\frac{\partial C}{\partial z} = a - y
$$

$$
\frac{\partial C}{\partial w_k} = (a - y) x_k
$$
"""


@pytest.mark.parametrize("seed", range(6))
def test_a_correct_logistic_regression_passes_where_50_digits_cancel(tmp_path, seed):
    """At a far point z reaches 107, where 1 − σ(z) keeps 3 of 50 digits and ∂C/∂z = a − y looked
    false by 4e-6 (seed 1): a difference at 50 digits is confirmed at 150, where an identity's
    residual shrinks by as many digits as were added, and a false claim's does not."""
    p = tmp_path / "logistic.md"
    p.write_text(LOGISTIC.replace("  points: 3", f"  points: 3\n  seed: {seed}"))
    report = check_document(p)
    assert report.ok and [o.status for o in report.outcomes][-2:] == ["proved", "proved"], report.outcomes
    p.write_text(LOGISTIC.replace("  points: 3", f"  points: 3\n  seed: {seed}").replace(
        r"= (a - y) x_k", r"= (a - y) x_k + 10^{-40} x_k"))
    assert check_document(p).outcomes[-1].status == "FAIL"


def test_a_point_where_a_side_has_no_value_is_skipped_and_most_such_points_are_an_error(tmp_path):
    """1 − σ(t⁴) is e^{-4096} or less at the far points (|t| ≥ 8): 0 at every precision tried, so
    ln(1 − σ(t⁴)) has no value there; the other points decide. Where it has no value at most points, it is
    an error that says so."""
    claim = "\n$$\n\\ln(1 - \\sigma(S)) = -S - \\ln(1 + e^{-S})\n$$\n"
    some = check_document(_doc(tmp_path, claim.replace("S", "t^4"), SIGMOID_HEADER))
    assert some.ok and some.outcomes[-1].status in ("proved", "checked"), some.outcomes
    assert some.outcomes[-1].evaluations < 6                     # the far points were skipped
    most = check_document(_doc(tmp_path, claim.replace("S", "(t^2 + 5000)"), SIGMOID_HEADER))
    assert most.outcomes[-1].status == "ERROR" and "points" in most.outcomes[-1].detail, most.outcomes


SIGMOID_HEADER = """---
checker:
  sizes: [[3, 4], [5, 6]]
  points: 3
  functions: {sigma: sigmoid}
  symbols:
    t: {}
---
"""


def test_a_vector_definition_defines_each_entry(tmp_path):
    """a^0 = x and h^{(0)} = x (a whole vector at once) ended in a traceback; each defines its entries."""
    header = """---
checker:
  sizes: [[3, 4, 5, 6]]
  fixed: true
  symbols:
    x: {sub: ["n(0)"]}
    a: {layers: 0..L, sub: ["n(l)"]}
    h: {layers: 0..L, sub: ["n(l)"]}
---
"""
    body = ("\n<!-- check: definition -->\n$$\na^0 = x\n$$\n\n<!-- check: definition -->\n$$\nh^{(0)} = x\n$$\n"
            "\n$$\na^0_j = x_j\n$$\n\n$$\nh^0_j = a^0_j\n$$\n")
    report = check_document(_doc(tmp_path, body, header))
    assert report.ok and [o.status for o in report.outcomes] == ["definition", "definition", "proved", "proved"], \
        report.outcomes


def test_the_functions_any_stands_for_do_not_grow_with_the_records(monkeypatch):
    """A smooth activation added to reference/records.py (swish, here at run time) is one more
    function a document may name, but `any` keeps its fixed six: a document's `points` and every
    seeded world stay as they were (issue 37: `points: 6` failed once the pool grew)."""
    import importlib

    import sympy as sp

    import backproof.checker.functions as functions
    from backproof.reference import records
    before = list(functions.ANY)
    sigmoid = records.ACTIVATIONS["sigmoid"]
    swish = type(sigmoid)(**{**sigmoid.__dict__, "name": "swish_test",
                             "exact": lambda m, z: [v / (1 + m.exp(-v)) for v in z]}) \
        if hasattr(sigmoid, "__dict__") else None
    if swish is None:
        pytest.skip("records are not plain dataclasses")
    monkeypatch.setitem(records.ACTIVATIONS, "swish_test", swish)
    try:
        reloaded = importlib.reload(functions)
        assert list(reloaded.ANY) == before and "swish_test" in reloaded.CONCRETE
        t = sp.Symbol("t")
        assert sp.simplify(reloaded.concrete("swish_test", t) - t / (1 + sp.exp(-t))) == 0
    finally:
        monkeypatch.undo()
        importlib.reload(functions)
