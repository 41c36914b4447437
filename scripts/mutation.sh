#!/usr/bin/env bash
# Mutation testing of the backprop itself (manual/: network, activations, losses, train, checks) with
# mutmut. Each mutant is run against the default test suite, stopping at the first failing test, with
# the `mutation` hypothesis profile (the dev profile's 30 examples, no shrinking: a mutant only has
# to be seen failing). A mutant that no test kills is listed at the end.
#
# mutmut names a mutant after the module path of the file it mutates and imports the mutated copy
# from its own tree, so it needs the package laid out physically: this script stages the repository
# under build/mutation/ with backproof/manual/ (and the other subpackages) as real folders, keeps the
# top-level folders too (the architecture tests read them), and runs mutmut there.
# Slow (tens of minutes on 2 cores); not part of CI.
# Usage: bash scripts/mutation.sh                                 every mutant of manual/
#        bash scripts/mutation.sh 'backproof.manual.network.*'    only those (mutmut's fnmatch patterns)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "mutmut==3.8.1"
stage=build/mutation
rm -rf "$stage" && mkdir -p "$stage"
cp -r backproof manual reference harness checker demos tests derivations docs benchmarks scripts README.md LICENSE .ci constraints.txt "$stage"/
for pkg in manual reference harness checker demos derivations; do cp -r "$pkg" "$stage/backproof/$pkg"; done
sed -e '/^\[tool.setuptools.package-dir\]/,/^$/d' \
    -e 's|^source_paths = .*|source_paths = ["backproof/manual/"]|' \
    -e 's|^also_copy = .*|also_copy = ["backproof/", "manual/", "reference/", "harness/", "checker/", "demos/", "tests/", "derivations/", "docs/", "benchmarks/", "scripts/", "README.md", "LICENSE", ".ci/", "constraints.txt"]|' \
    pyproject.toml > "$stage/pyproject.toml"
cd "$stage"
# one thread per mutant process: the children run side by side, and mutmut's timeout is in CPU seconds
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
HYPOTHESIS_PROFILE=mutation python3 -m mutmut run "$@"
python3 -m mutmut results --all true > ../../mutation-results.txt
cd ../..
count() { grep -c ": $1\$" mutation-results.txt || true; }
echo "mutants: $(grep -c ': ' mutation-results.txt || true), killed: $(count killed)," \
     "timeout: $(count timeout), survived: $(count survived), not checked: $(count 'not checked')"
echo "survivors (each an equivalent mutant or a missing test):"
grep ": survived$" mutation-results.txt || true
