"""The properties catch a wrong backward pass and shrink it to the smallest network that shows it.

Each bug is one equation of manual/network.py swapped for a wrong version (the rest of the
backward pass is the real one); hypothesis searches the architecture strategy for a case the
oracles reject and shrinks it. Each test asserts the shrunk network and what the report names.
"""
from random import Random
from unittest import mock

import pytest
from hypothesis import Phase, find, settings

import backproof.manual.network as network
from backproof.reference.compare import check_case
from backproof.reference.strategies import Limits, cases

from bugs import BUGS

def shrunk_failure(bug: str):
    name, wrong = BUGS[bug]
    with mock.patch.object(network, name, wrong):
        case = find(cases(), lambda c: not check_case(c, oracles=("autograd",)).ok,
                    settings=settings(max_examples=2000, database=None, deadline=None, phases=tuple(Phase)),
                    random=Random(0))  # a fixed search: what it shrinks to is reproducible
        report = check_case(case, oracles=("autograd",))
    assert not report.ok
    return case, report.failure_message()


def depth(case):
    return len(case.net.W) - 1


@pytest.mark.parametrize("bug, max_depth, max_params, batch, names", [
    ("bp1 missing f'", 0, 2, 1, "delta[1]"),
    ("bp2 missing f'", 1, 4, 1, "delta[1]"),
    ("bp2 W not transposed right", 1, 7, 1, "raised ValueError"),
    ("bp4 transposed", 0, 4, 1, "dW[1]: expected shape"),
    ("bp3 not summed over the batch", 0, 2, 2, "db[1]"),
])
def test_wrong_backward_is_caught_and_shrunk(bug, max_depth, max_params, batch, names):
    case, message = shrunk_failure(bug)
    assert depth(case) <= max_depth and case.n_params <= max_params, f"not shrunk: {case.describe()}"
    assert len(case.x) == batch, f"shrunk to batch {len(case.x)}, expected {batch}: {case.describe()}"
    assert names in message, message
    assert case.describe() in message, "the report must name the network"


def test_square_layers_still_catch_the_transposed_weight():
    """With every W square the shapes hide the BP2 transposition; the values must still expose it."""
    name, wrong = BUGS["bp2 W not transposed right"]
    with mock.patch.object(network, name, wrong):
        case = find(cases(Limits(width=(1, 3))), lambda c: len(set(c.net.sizes)) == 1 and depth(c) == 1
                    and not check_case(c, oracles=("autograd",)).ok,
                    settings=settings(max_examples=3000, database=None, deadline=None, phases=tuple(Phase)),
                    random=Random(0))  # a fixed search: what it shrinks to is reproducible
    assert case.net.sizes == [2, 2, 2], case.describe()
