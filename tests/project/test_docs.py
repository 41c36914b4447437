"""The figures the documents state come from one measurement (docs/measurements.json, written by
`python benchmarks/catch_rate.py --write`): the README's tolerance section and
reference/tolerances.py quote it (docs/tolerances.md, docs/harness.md), and the first networks of the same draw, measured again here,
agree with it."""
import json
from pathlib import Path

import numpy as np
import pytest

from backproof.reference import tolerances
from backproof.reference.power import measure

ROOT = Path(__file__).resolve().parents[2]
MEASURED = json.loads((ROOT / "docs" / "measurements.json").read_text())
F64, F32 = MEASURED["dtypes"]["float64"], MEASURED["dtypes"]["float32"]


def stated() -> list[str]:
    """The phrases each document must contain, made from the measurement."""
    worst = max(F64["worst_correct"], F32["worst_correct"])
    return [f"{MEASURED['networks_per_dtype']:,}", f"{F64['worst_correct']:g}·eps·M in float64",
            f"{F32['worst_correct']:g}·eps·M in float32", f"{F64['worst_autograd']:g}·eps·M",
            f"factor of {int(F64['constant'] // worst)}", f"{F64['catch_rate']:.1%} of float64",
            f"{F32['catch_rate']:.1%} of float32"]


@pytest.mark.parametrize("where", ["docs/tolerances.md", "reference/tolerances.py"])
def test_the_documents_state_the_measurement(where):
    text = " ".join((ROOT / where).read_text().split())
    phrases = stated()
    missing = [phrase for phrase in phrases if phrase not in text]
    assert not missing, f"{where} does not say {missing}: run benchmarks/catch_rate.py --write and update it"


def test_the_harness_guide_states_the_float32_catch_rates():
    text = " ".join((ROOT / "docs" / "harness.md").read_text().split())
    assert (f"{F32['catch_rate']:.1%} of float32 networks by the first and "
            f"{F32['logic_catch_rate']:.0%} by the second") in text


def test_the_measurement_is_of_the_constant_the_code_uses_and_is_sound():
    for dtype, figures in (("float64", F64), ("float32", F32)):
        assert figures["constant"] == tolerances.rtol_exact(np.dtype(dtype)) / np.finfo(dtype).eps
        assert figures["false_alarms"] == 0 and figures["worst_correct"] < figures["constant"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_first_networks_measured_again_are_within_the_bound(dtype):
    """The first networks of the recorded draw, measured again on this machine: the same networks
    (the draw is seeded), no false alarm, and each correct backprop's error within the constant the
    code uses, as the recorded figures are. Their sizes are not compared with the recorded ones:
    rounding errors depend on the machine's BLAS (float32's were 0.153 on one machine, 0.047 on
    another), so only what must hold on every machine is asserted."""
    recorded = MEASURED["dtypes"][dtype]["first_correct"]
    again = measure(len(recorded), dtype, seed=MEASURED["seed"])
    assert again.networks == len(recorded) and len(again.needed) == len(recorded)
    assert again.false_alarms == [], again.false_alarms
    constant = tolerances.rtol_exact(np.dtype(dtype)) / np.finfo(dtype).eps
    assert all(0 <= e < constant for e in again.needed), (again.needed, constant)
    assert all(0 <= e < constant for e in recorded)


def test_every_source_file_a_document_names_exists():
    """A path to our code written in the README, docs/ or a derivation (`demos/source_001.py`)
    names a file that is there: the documents once sent readers to manual/source_00N.py."""
    import re
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "derivations").glob("*.md"))]
    named = {(t.name, m) for t in texts
             for m in re.findall(r"`((?:manual|reference|checker|demos|benchmarks|tests|backproof)/[\w/]+\.py)`",
                                 t.read_text())}
    assert len(named) > 20
    missing = sorted((t, m) for t, m in named if not (ROOT / m).is_file() and "NAME" not in m)   # a pattern
    assert missing == [], missing


def test_each_source_is_named_and_described_in_its_document_and_the_sources_page():
    readme = (ROOT / "docs" / "sources.md").read_text()
    for k in range(5):
        doc = (ROOT / "derivations" / f"source-00{k}.md").read_text()
        name = __import__("re").search(r"`(00\d_[0-9a-f]+\.txt)`", doc).group(1)
        assert name.startswith(f"00{k}_") and "*The source:*" in doc and f"`demos/source_00{k}.py`" in doc
        assert f"| `{name}` |" in readme and f"derivations/source-00{k}.md" in readme
