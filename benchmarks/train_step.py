"""One training step of the manual NumPy network against torch eager on the CPU, in the same run.

    python benchmarks/train_step.py [--repeat N]

For each shape and dtype, two measurements of one SGD step (forward, backward, update) of
manual.train_step and of torch (nn.Linear layers, autograd, torch.optim.SGD), and their ratio
(> 1: manual is faster):
  * settled: the median of samples that each start after a pause (a cold call: thread pools idle);
  * hot: the best of several rounds of back-to-back steps, which is how training runs.
Two yardsticks, timed hot beside them, show how far any NumPy step could go on this machine:
  * lean: the same step in as few NumPy calls as we could write, with no checks (checked against
    manual first);
  * GEMM floor: only the matrix products a step needs, into preallocated arrays.
manual's step is the plain forward and backward passes and the update (manual/train.py), with BP3
and BP4 applied to lr·delta[l] so that ∂C/∂W[l] (8 MB per layer on the large shape) is not scaled
in a pass of its own, and its finiteness shown by a bound on two small norms instead of a pass over
it. The glibc tunables MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ (the first line printed
says whether they are set) change how the 8 MB arrays are mapped; no flag is needed for any goal.
Goals (issue 18), on the hot figures: torch/manual ≥ 3 on [784, 30, 30, 10] ×50 in both dtypes;
on [1024, 1024, 1024, 10] ×256, torch/manual ≥ 1.1 in float32 and manual ≤ 1.15× NumPy's own GEMM
floor in both dtypes (in float64 torch's MKL outruns NumPy's OpenBLAS on the same products, so the
floor, not torch, is the limit there). The guard of issue 38, manual ≤ 1.55× the GEMM floor on the
large shape (1.43× before the backward pass became plain), is printed beside them. Each goal is
printed with "met" or "NOT met".
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
from backproof.manual.activations import sigmoid, sigmoid_prime  # noqa: E402

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


def hot_times(fns: dict, rounds: int, round_time: float = 0.3) -> dict:
    """Best seconds per call of each function over `rounds` rounds of back-to-back calls (about
    `round_time` seconds each), the functions taking turns round by round."""
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            count, t0 = 0, time.perf_counter()
            while True:
                fn()
                count += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= round_time:
                    break
            best[name] = min(best[name], elapsed / count)
    return best


def data(sizes, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, sizes[0])).astype(dtype)
    y = np.eye(sizes[-1], dtype=dtype)[rng.integers(sizes[-1], size=n)]
    return x, y


def manual_step(sizes, n, dtype):
    net = Network.init(sizes, ACTIVATIONS, loss="softmax_ce", reduction="mean", seed=0, dtype=dtype)
    x, y = net.check_xy(*data(sizes, n, dtype))
    lr = net.dtype.type(LR)
    return lambda: train_step(net, x, y, lr)


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


def lean_step(sizes, n, dtype):
    """The same step of this network (sigmoid hidden layers, softmax + CE, mean) in as few NumPy calls
    as we could write it: no argument or finiteness checks, no layers of functions, η folded into
    delta[L], every product one BLAS call, manual's own sigmoid and σ'. Not a design to copy, a
    yardstick for what a NumPy step can reach here. Its first update is compared with manual's
    before it is timed (`check_lean`)."""
    net = Network.init(sizes, ACTIVATIONS, loss="softmax_ce", reduction="mean", seed=0, dtype=dtype)
    x, y = data(sizes, n, dtype)
    W, b, dW = net.W, net.b, [np.empty_like(w) for w in net.W]
    eta_over_n = dtype(LR) * dtype(1 / n)

    def step():
        a, primes = [x], []
        for l in range(len(W)):
            z = a[-1] @ W[l].T
            z += b[l]
            if l < len(W) - 1:
                a.append(sigmoid(z))
                primes.append(sigmoid_prime(z))
            else:
                z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                z /= z.sum(axis=1, keepdims=True)
                a.append(z)
        delta = a[-1] - y
        delta *= eta_over_n  # η · ∂C/∂z[L]
        for l in range(len(W) - 1, -1, -1):
            below = delta @ W[l] if l else None
            np.matmul(delta.T, a[l], out=dW[l])
            W[l] -= dW[l]
            b[l] -= delta.sum(axis=0)
            if l:
                below *= primes[l - 1]
                delta = below
    return step, net


def check_lean(sizes, n, dtype) -> None:
    """The lean step's first update equals manual's up to float rounding (it scales delta[L] by η
    where manual scales dW and db), so the yardstick times the same computation."""
    step, lean = lean_step(sizes, n, dtype)
    manual = Network.init(sizes, ACTIVATIONS, loss="softmax_ce", reduction="mean", seed=0, dtype=dtype)
    x, y = manual.check_xy(*data(sizes, n, dtype))
    step()
    train_step(manual, x, y, manual.dtype.type(LR))
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    for name, p, q in [(f"W[{l}]", *pq) for l, pq in enumerate(zip(lean.W, manual.W), 1)] + \
                      [(f"b[{l}]", *pq) for l, pq in enumerate(zip(lean.b, manual.b), 1)]:
        np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * np.abs(q).max(), err_msg=f"lean step, {name}")


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
    parser.add_argument("--repeat", type=int, default=15, help="settled samples per figure (median)")
    parser.add_argument("--rounds", type=int, default=7, help="hot rounds per figure (best)")
    args = parser.parse_args()
    print(f"threads: torch {torch.get_num_threads()}, cpu count {os.cpu_count()}; numpy {np.__version__}, "
          f"torch {torch.__version__}; settled: median of {args.repeat}, hot: best of {args.rounds} rounds")
    tunables = {k: os.environ[k] for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_") if k in os.environ}
    print(f"glibc malloc tunables: {tunables or 'not set'}")
    print(f"{'shape':<29}{'dtype':<9}{'manual ms':>10}{'torch ms':>10}{'lean ms':>9}{'GEMM ms':>9}"
          f"{'torch/manual':>13}{'settled t/m':>12}{'manual/GEMM':>12}")
    results = []
    for sizes, n in SHAPES:
        for dtype in (np.float64, np.float32):
            check_lean(sizes, n, dtype)
            fns = {"manual": manual_step(sizes, n, dtype), "torch": torch_step(sizes, n, dtype),
                   "lean": lean_step(sizes, n, dtype)[0], "gemm": gemm_floor(sizes, n, dtype)}
            hot = hot_times(fns, args.rounds)
            settled = median_times({k: fns[k] for k in ("manual", "torch")}, args.repeat)
            ratio, floor = hot["torch"] / hot["manual"], hot["manual"] / hot["gemm"]
            print(f"{str(sizes) + f' x{n}':<29}{np.dtype(dtype).name:<9}"
                  + "".join(f"{hot[k] * 1e3:>{w}.3f}" for k, w in (("manual", 10), ("torch", 10), ("lean", 9), ("gemm", 9)))
                  + f"{ratio:>13.2f}{settled['torch'] / settled['manual']:>12.2f}{floor:>12.2f}", flush=True)
            reach = {"lean": hot["lean"], "GEMMs alone": hot["gemm"]}
            goals = []
            if sizes[1] < 1024:
                goals.append(("torch/manual >= 3", ratio >= 3, {k: hot["torch"] / v for k, v in reach.items()}))
            else:
                if dtype == np.float32:
                    goals.append(("torch/manual >= 1.1", ratio >= 1.1, {k: hot["torch"] / v for k, v in reach.items()}))
                goals.append(("manual/GEMM <= 1.15", floor <= 1.15, {"lean": hot["lean"] / hot["gemm"]}))
                goals.append(("manual/GEMM <= 1.55 (the guard)", floor <= 1.55, {"lean": hot["lean"] / hot["gemm"]}))
            for goal, ok, best in goals:
                print(f"    goal {goal}: {'met' if ok else 'NOT met'}; the yardsticks reach "
                      + ", ".join(f"{v:.2f} ({k})" for k, v in best.items()))
            results.extend(ok for _, ok, _ in goals)
    print(f"{sum(results)} of {len(results)} goals met. lean: the step in as few NumPy calls as we could "
          "write, with no checks; GEMMs alone: the step's matrix products and nothing else (see lean_step, gemm_floor)")


if __name__ == "__main__":
    main()
