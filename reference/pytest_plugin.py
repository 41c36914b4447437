"""pytest plugin (entry point `backproof`): the `assert_backprop` fixture makes a user's test one line.

    def test_my_backprop(assert_backprop):
        assert_backprop(my_backprop, layout="columns", weight_shape="in_out")

It takes the arguments of reference.harness.assert_backprop; `max_examples` defaults to the active
hypothesis profile's (so `HYPOTHESIS_PROFILE=ci` or a conftest's profile is respected).
"""
import pytest


@pytest.fixture
def assert_backprop():
    from hypothesis import settings

    from .harness import assert_backprop as check

    def run(backprop, **kwargs):
        kwargs.setdefault("max_examples", settings.default.max_examples)
        return check(backprop, **kwargs)
    return run
