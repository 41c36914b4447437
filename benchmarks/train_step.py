"""One training step of the manual NumPy network against torch eager on the CPU, in the same run.

    python benchmarks/train_step.py [--repeat N]

For each shape and dtype: the median time of one SGD step (forward, backward, update) of
manual.train_step and of torch (nn.Linear layers, autograd, torch.optim.SGD), and their ratio
(> 1: manual is faster). For the large shape also the GEMM-only floor: the time of just the
matrix products a step needs, done with NumPy into preallocated arrays.
Goals (issue 3): ratio ≥ 3 on [784, 30, 30, 10] ×50, ≥ 1.1 on [1024, 1024, 1024, 10] ×256 with
manual within 1.2× of the GEMM floor, in float64 and float32.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backproof.manual import Network, train_step  # noqa: E402

SHAPES = [([784, 30, 30, 10], 50), ([1024, 1024, 1024, 10], 256)]
ACTIVATIONS = ["sigmoid", "sigmoid", "softmax"]
LR = 0.1


SETTLE_S = 0.25  # idle time before each sample (not timed), longer than either thread pool spins


def median_times(fns: dict, repeat: int, sample_time: float = 0.05) -> dict:
    """Median seconds per call of each function. The samples are interleaved (one sample of each
    function in turn, `repeat` rounds) so that load on this shared machine hits every contender
    alike, and each sample starts after a pause: OpenBLAS's and torch's OpenMP worker threads
    busy-wait for a while after their work, and would otherwise slow down whoever runs next."""
    inner = {}
    for name, fn in fns.items():
        fn()  # warm-up
        t0 = time.perf_counter()
        fn()
        inner[name] = max(1, int(sample_time / max(time.perf_counter() - t0, 1e-7)))
    samples = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            time.sleep(SETTLE_S)
            t0 = time.perf_counter()
            for _ in range(inner[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner[name])
    return {name: statistics.median(v) for name, v in samples.items()}


def data(sizes, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, sizes[0])).astype(dtype)
    y = np.eye(sizes[-1], dtype=dtype)[rng.integers(sizes[-1], size=n)]
    return x, y


def manual_step(sizes, n, dtype):
    net = Network.init(sizes, ACTIVATIONS, loss="softmax_ce", reduction="mean", seed=0, dtype=dtype)
    x, y = net.check_xy(*data(sizes, n, dtype))
    eta = net.dtype.type(LR)
    return lambda: train_step(net, x, y, eta)


def torch_step(sizes, n, dtype):
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    layers = []
    for k, m in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(k, m, dtype=tdtype), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1])  # logits out; the loss applies log-softmax
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in data(sizes, n, dtype))
    labels = y.argmax(dim=1)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    return step


def gemm_floor(sizes, n, dtype):
    """Only the products of one step: z = a @ W.T (each layer), delta @ W (layers 2..L),
    dW = delta.T @ a (each layer), into preallocated outputs."""
    rng = np.random.default_rng(0)
    a = [rng.standard_normal((n, k)).astype(dtype) for k in sizes]
    W = [rng.standard_normal((m, k)).astype(dtype) for k, m in zip(sizes, sizes[1:])]
    z = [np.empty((n, m), dtype) for m in sizes[1:]]
    back = [np.empty((n, k), dtype) for k in sizes[1:-1]]
    dW = [np.empty_like(w) for w in W]

    def products():
        for l, w in enumerate(W):
            np.matmul(a[l], w.T, out=z[l])
            np.matmul(z[l].T, a[l], out=dW[l])
        for l in range(1, len(W)):
            np.matmul(z[l], W[l], out=back[l - 1])
    return products


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed repetitions per figure (median)")
    args = parser.parse_args()
    print(f"threads: torch {torch.get_num_threads()}, cpu count {os.cpu_count()}; numpy {np.__version__}, "
          f"torch {torch.__version__}; median of {args.repeat}")
    print(f"{'shape':<28}{'dtype':<9}{'manual ms':>10}{'torch ms':>10}{'torch/manual':>14}"
          f"{'GEMM ms':>10}{'manual/GEMM':>13}")
    for sizes, n in SHAPES:
        for dtype in (np.float64, np.float32):
            fns = {"manual": manual_step(sizes, n, dtype), "torch": torch_step(sizes, n, dtype)}
            if sizes[1] >= 1024:
                fns["gemm"] = gemm_floor(sizes, n, dtype)
            t = median_times(fns, args.repeat)
            row = (f"{str(sizes) + f' x{n}':<28}{np.dtype(dtype).name:<9}{t['manual'] * 1e3:>10.3f}"
                   f"{t['torch'] * 1e3:>10.3f}{t['torch'] / t['manual']:>14.2f}")
            if "gemm" in t:
                row += f"{t['gemm'] * 1e3:>10.3f}{t['manual'] / t['gemm']:>13.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
