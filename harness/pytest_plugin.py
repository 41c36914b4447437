"""pytest plugin (entry point `backproof`): the `assert_backprop` fixture makes a user's test one line.

    def test_my_backprop(assert_backprop):
        assert_backprop(my_backprop, layout="columns", weight_shape="in_out")

Loading it costs a project that does not use the fixture nothing: this module imports only pytest,
and the harness (with torch, hypothesis and sympy) is imported the first time the fixture is used.
"""
import pytest


@pytest.fixture
def assert_backprop():
    """Check a backprop function against backproof's oracles on generated networks.

    Returns `run(backprop, **kwargs)`, which takes the arguments of
    `backproof.harness.check_backprop` (`activation`, `loss`, `reduction`, `layout`,
    `weight_shape`, `bias`, `max_examples`, `seed`) and raises AssertionError with the smallest
    failing network when the backprop is wrong. `max_examples` defaults to the active hypothesis
    profile's, so `HYPOTHESIS_PROFILE=ci` or a conftest's profile is respected.
    """
    from hypothesis import settings

    from backproof.harness import assert_backprop as check

    def run(backprop, **kwargs):
        __tracebackhide__ = True  # a failure points at the user's test line, not at this plugin
        kwargs.setdefault("max_examples", settings.default.max_examples)
        return check(backprop, **kwargs)
    return run
