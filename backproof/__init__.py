"""backproof: a hand-written NumPy backpropagation and the machinery that proves it right.

The one import namespace. Each subpackage is one role, and imports flow one way (left to right):

    backproof.manual      the backprop under test: forward pass, BP1–BP4, activations, losses, SGD
    backproof.reference   the oracles that judge it (autograd, symbolic, certified, finite differences), the
                          tolerances, the one comparison, the architecture strategy
    backproof.harness     check_backprop: anyone's backprop, as they wrote it, judged by those oracles
    backproof.checker     the derivation checker: grammar, document format, meaning, evaluation,
                          checking, ties to manual/, report
    backproof.demos       data loaders, training recipes, pictures, the five corrected sources
    backproof.cli         the `backproof` command (also `python -m backproof`)

In the repository these are the top-level folders manual/, reference/, harness/, checker/, demos/ and
backproof/cli/ (pyproject.toml maps them into this namespace); see docs/architecture.md.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backproof")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
