"""The CUDA comparison (skipped with a reason when no GPU is present) and the slow sweeps."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings

from reference.autograd import autograd_gradients, gradient_magnitudes
from reference.compare import assert_case, compare_to, manual_backward
from reference.strategies import cases

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA GPU: torch.cuda.is_available() is False")


@pytest.mark.cuda
@needs_cuda
@given(cases())
def test_manual_equals_autograd_on_cuda_float64(case):
    """The same networks on CUDA float64 tensors (TF32 does not touch float64 products)."""
    net, x, y = case.net, case.x, case.y
    result = compare_to("autograd (cuda float64)", net, manual_backward(net, x, y),
                        autograd_gradients(net, x, y, device="cuda"), gradient_magnitudes(net, x, y))
    assert result.ok, "\n".join(map(str, result.mismatches))


@pytest.mark.slow
@settings(max_examples=500)
@given(cases(max_depth=8, max_width=32, max_batch=16))
def test_deep_and_wide_networks(case):
    assert_case(case)
