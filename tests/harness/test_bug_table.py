"""docs/bugs.md is what the harness says today of each mistake of tests/learner_bugs.py, and every
mistake but the recognised one is caught, with a convention mistake's diagnosis."""
from pathlib import Path

import learner_bugs

DOC = Path(__file__).resolve().parents[2] / "docs" / "bugs.md"


def test_the_bug_table_is_measured():
    rows = learner_bugs.measure()
    assert learner_bugs.render(rows) in DOC.read_text(), "run: python benchmarks/bug_table.py --write"
    by = {r["what"]: r for r in rows}
    assert len(rows) >= 10
    assert [r["what"] for r in rows if not r["caught"]] == ["(db, dW) returned, nothing stated"]
    for what, kind in (("a factor 2: ½·Σ(a−y)²'s ½ dropped", "factor 2"), ("the sign flipped (y − a)", "sign"),
                       ("summed over the batch where the mean is asked", "factor batch"),
                       ("a factor n_L: the mean over the output units left out", "factor n_L"),
                       ("the output layer's f′ missing", "output f' omitted"),
                       ("softmax's Jacobian cut to its diagonal", "softmax diagonal"),
                       ("the hidden layers' f′ missing", "hidden f' omitted"),
                       ("BP2 with f′ taken at a instead of z", "hidden f' at a"),
                       ("f′ taken at a instead of z in every layer", "f' at a"),
                       ("the L2 term's gradient 2·λ·W (reg·‖W‖²) where (λ/2)·‖W‖² is stated", "l2 factor"),
                       ("two at once: the output's f′ missing and the hidden f′ taken at a",
                        "hidden f' at a + output f' omitted"),
                       ("two at once: the ½ dropped and the hidden f′ missing", "hidden f' omitted + loss sse (sum)"),
                       ("the output's error sent back without its f′ (a − y into BP2)", "error sent back without f'"),
                       ("BP2 with W[l+1] after its update (W −= lr·dW before the delta below)", "updated W"),
                       ("f′ missing in the top hidden layer only", "hidden f' omitted"),
                       ("three at once: the output's f′ missing, db summed to one number, BP2 with updated weights",
                        "output f' omitted + scalar + updated W")):
        assert by[what]["kind"] == kind, (what, by[what])
    assert "(the transpose" in by["∂C/∂W transposed (a_prev.T @ delta)"]["said"]
    assert "they fit (dbiases, dweights)" in by["(db, dW) returned where (dW, db) is stated"]["said"]
    assert "summed over the layer's units" in by["the bias summed over the wrong axis"]["said"]
    assert "the layer's units (axis 1)" in by["the bias summed over the wrong axis"]["said"]   # the values, read too
    assert by["BP2 with the next layer's f′"]["said"].startswith("raised ValueError")
