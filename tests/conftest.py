"""Hypothesis profiles: `dev` (fast, the default), `ci` (the default under CI=true: ≥200 examples per
property), `thorough` (long sweeps), `mutation` (scripts/mutation.sh: a failure only has to be seen,
not shrunk). Choose one with HYPOTHESIS_PROFILE=name."""
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("dev", max_examples=30, **_common)
settings.register_profile("ci", max_examples=200, derandomize=False, **_common)
settings.register_profile("thorough", max_examples=3000, **_common)
settings.register_profile("mutation", max_examples=30, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          **_common)
# The tests never read or write the derivation checker's cache in the user's home (tests of the
# cache itself point BACKPROOF_CACHE_DIR at a temporary folder and clear this).
os.environ["BACKPROOF_NO_CACHE"] = "1"

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev"))


def pytest_collection_modifyitems(config, items):
    """Under the `mutation` profile, run the fastest tests first (by the durations mutmut recorded in
    mutmut-stats.json), so that with -x a mutant is killed by the cheapest test that can kill it.
    The order changes how long a mutant takes, never whether it is killed."""
    stats = Path("mutmut-stats.json")
    if os.environ.get("HYPOTHESIS_PROFILE") != "mutation" or not stats.exists():
        return
    durations = json.loads(stats.read_text()).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


@pytest.fixture(scope="session")
def reports():
    """The shipped derivation documents, checked once per test session: {file name: DocReport}."""
    from backproof.checker.run import check_documents
    docs = sorted(p for p in (Path(__file__).resolve().parents[1] / "derivations").glob("*.md")
                  if p.name != "README.md")
    return {p.name: r for p, r in zip(docs, check_documents(docs))}
