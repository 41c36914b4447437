"""The CUDA comparison: the same networks run by torch autograd on CUDA tensors, in float64, in
float32 and in float32 with TF32 matrix products, each compared with manual/'s NumPy float64 result.

manual/'s float64 backward is the reference here: it agrees with autograd, the exact symbolic
derivatives and finite differences on the CPU. What is measured is how far each CUDA configuration
is from it, against a tolerance derived for that configuration (reference/tolerances.py):
    float64              rtol_exact(float64)  = 2^6 · 2^-52          (1.4e-14)
    float32, TF32 off    rtol_exact(float32)  = 2^6 · 2^-23          (7.6e-06)
    float32, TF32 on     rtol_tf32()          = 2^-6 + 2^6 · 2^-23   (inputs of each product rounded to 10 bits)
The TF32 switch is torch.backends.cuda.matmul.allow_tf32, set for the run and restored after.
"""
from __future__ import annotations

import numpy as np
import torch

from .autograd import autograd_gradients, gradient_magnitudes
from .compare import OracleResult, compare_by_bound
from .strategies import Case
from .tolerances import rtol_exact, rtol_tf32

CONFIGS = (("float64", False), ("float32", False), ("float32", True))  # (dtype, TF32)


def cuda_available() -> bool:
    return torch.cuda.is_available()


def no_cuda_reason() -> str:
    if not torch.backends.cuda.is_built():
        return f"torch {torch.__version__} is a CPU-only build"
    return "no CUDA GPU: torch.cuda.is_available() is False"


def tolerance(dtype: str, tf32: bool, sizes=None, batch: int = 1) -> float:
    if dtype == "float64":
        return rtol_exact(np.float64, sizes, batch)
    return rtol_tf32(sizes, batch) if tf32 else rtol_exact(np.float32, sizes, batch)


def label(dtype: str, tf32: bool) -> str:
    return f"cuda {dtype}" + (" tf32" if tf32 else "")


def compare_with_cuda(case: Case, device: str = "cuda") -> list[OracleResult]:
    """One result per configuration in CONFIGS: CUDA autograd against manual's float64 NumPy result.
    (`device="cpu"` runs the same code path on the CPU, where TF32 changes nothing.) The case must be
    float64: the float32 runs are made from it here, on the torch side."""
    if case.net.dtype != np.float64:
        raise TypeError(f"case: the CUDA comparison takes a float64 network (it makes the float32 runs "
                        f"itself), got {case.net.dtype}")
    net, x, y = case.net, case.x, case.y
    reference = net.gradients(x, y)
    magnitudes = gradient_magnitudes(net, x, y)
    results = []
    for dtype, tf32 in CONFIGS:
        before = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        try:
            got = autograd_gradients(net, x, y, dtype=getattr(torch, dtype), device=device)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = before
        results.append(compare_by_bound(label(dtype, tf32), net, len(x), got, reference, magnitudes,
                                        rtol=tolerance(dtype, tf32, net.sizes, len(x)), computed_in=np.dtype(dtype)))
    return results

