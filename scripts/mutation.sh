#!/usr/bin/env bash
# Mutation testing of manual/ with mutmut (settings in pyproject.toml, [tool.mutmut]).
# Each mutant of a function in manual/ is run against the default test suite, stopping at the first
# failing test, with the `mutation` hypothesis profile (the dev profile's 30 examples, no shrinking:
# a mutant only has to be seen failing). A mutant that no test kills is listed at the end.
# Slow (tens of minutes on 2 cores); not part of CI.
# Usage: bash scripts/mutation.sh                       every mutant of manual/
#        bash scripts/mutation.sh 'manual.network.*'    only those (mutmut's fnmatch patterns)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "mutmut==3.8.1"
rm -rf mutants
# one thread per mutant process: the children run side by side, and mutmut's timeout is in CPU seconds
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
HYPOTHESIS_PROFILE=mutation python3 -m mutmut run "$@"
python3 -m mutmut results --all true > mutation-results.txt
count() { grep -c ": $1\$" mutation-results.txt || true; }
echo "mutants: $(grep -c ': ' mutation-results.txt || true), killed: $(count killed)," \
     "timeout: $(count timeout), survived: $(count survived), not checked: $(count 'not checked')"
echo "survivors (each an equivalent mutant or a missing test):"
grep ": survived$" mutation-results.txt || true
