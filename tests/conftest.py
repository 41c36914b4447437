"""Hypothesis profiles: `dev` (fast, the default), `ci` (the default under CI=true: ≥200 examples per
property), `thorough` (long sweeps), `mutation` (scripts/mutation.sh: a failure only has to be seen,
not shrunk). Choose one with HYPOTHESIS_PROFILE=name."""
import json
import os
import sys
from pathlib import Path

# Python's bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set (as it is on this
# project's machines): each test worker and each of the interpreters the tests start would otherwise
# compile the package and pytest would rewrite every test module again, about 3 s per worker and
# more per subprocess, in a run on a fresh clone. The caches go to __pycache__/, which git ignores.
sys.dont_write_bytecode = False

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
def reports(tmp_path_factory):
    """The shipped derivation documents, checked once per test run: {file name: DocReport}.

    Under pytest-xdist every worker asks for them; the first checks them into a cache folder shared
    by the run's workers (the checker's own cache, checker/cache.py, keyed by content), under a
    lock, and the others read the reports back instead of checking again."""
    import fcntl

    from backproof.checker.run import check_documents
    docs = sorted(p for p in (Path(__file__).resolve().parents[1] / "derivations").glob("*.md")
                  if p.name != "README.md")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent            # the run's folder, above each worker's own
    saved = {k: os.environ.get(k) for k in ("BACKPROOF_NO_CACHE", "BACKPROOF_CACHE_DIR")}
    os.environ.pop("BACKPROOF_NO_CACHE", None)
    os.environ["BACKPROOF_CACHE_DIR"] = str(shared / "derivations-cache")
    try:
        with open(shared / "derivations-cache.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            checked = check_documents(docs, cache=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {p.name: r for p, r in zip(docs, checked)}
