"""Hypothesis profiles: `dev` (fast, the default), `ci` (the default under CI=true: ≥200 examples per
property), `thorough` (long sweeps), `mutation` (scripts/mutation.sh: a failure only has to be seen,
not shrunk). Choose one with HYPOTHESIS_PROFILE=name."""
import os

from hypothesis import HealthCheck, Phase, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("dev", max_examples=30, **_common)
settings.register_profile("ci", max_examples=200, derandomize=False, **_common)
settings.register_profile("thorough", max_examples=3000, **_common)
settings.register_profile("mutation", max_examples=30, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev"))
