"""The CUDA comparison (skipped with a reason when no GPU is present; its code path also runs on the
CPU) and the slow sweeps."""
import pytest
from hypothesis import given, settings

from backproof.reference.compare import assert_case
from backproof.reference.cuda import compare_with_cuda, cuda_available, no_cuda_reason
from backproof.reference.strategies import Limits, cases

needs_cuda = pytest.mark.skipif(not cuda_available(), reason=no_cuda_reason())


def assert_all_ok(results):
    failures = [str(m) for r in results for m in r.mismatches]
    assert not failures, "\n".join(failures)


@pytest.mark.cuda
@needs_cuda
@given(cases(dtypes=("float64",)))
def test_cuda_float64_float32_and_tf32_agree_with_manual(case):
    """The same networks on CUDA tensors: float64, float32, float32 with TF32 products."""
    assert_all_ok(compare_with_cuda(case))


@given(cases(Limits(depth=(0, 2)), dtypes=("float64",)))
def test_the_cuda_comparison_code_path_runs_on_the_cpu(case):
    """Where there is no GPU the same comparison runs with device="cpu", so its code is exercised."""
    results = compare_with_cuda(case, device="cpu")
    assert [r.oracle for r in results] == ["cuda float64", "cuda float32", "cuda float32 tf32"]
    assert_all_ok(results)


def test_the_float32_tolerance_catches_what_float32_cannot_explain():
    """A 1e-3 relative error is beyond float32 rounding (4.9e-4) but within TF32's (6.3e-2)."""
    from backproof.reference.cuda import tolerance
    assert tolerance("float32", False) < 1e-3 < tolerance("float32", True)


@pytest.mark.slow
@settings(max_examples=500)
@given(cases(Limits(depth=(0, 8), width=(1, 32), batch=(1, 16))))
def test_deep_and_wide_networks(case):
    assert_case(case)
