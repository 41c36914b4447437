"""Exact gradients from the symbolic oracle: [8, 16, 16, 4] with batch 4 (484 parameters).

    python benchmarks/symbolic.py

Goal (issue 4): ≤ 5 s on one core for every ∂C/∂W[l] and ∂C/∂b[l]. It prints the time of each
stage (building the expression, differentiating, evaluating at 50 digits), the same for the
∂C/∂z[l] of every layer, the backend, and the largest relative difference from manual/'s float64.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the goal says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backproof.manual import Network  # noqa: E402
from backproof.reference import symbolic  # noqa: E402
from backproof.reference.exact import DIGITS  # noqa: E402


def main():
    sizes, n = [8, 16, 16, 4], 4
    net = Network.init(sizes, ["sigmoid", "tanh", "softmax"], loss="softmax_ce", reduction="mean", seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, sizes[0])), np.eye(sizes[-1])[rng.integers(sizes[-1], size=n)]
    n_params = sum(W.size + b.size for W, b in zip(net.W, net.b))

    t0 = time.perf_counter()
    s = symbolic.SymbolicNetwork(net, x, y)
    t1 = time.perf_counter()
    dW = [[[s.cost.diff(w) for w in row] for row in Wl] for Wl in s.W]
    db = [[s.cost.diff(v) for v in bl] for bl in s.b]
    t2 = time.perf_counter()
    flat = [e for Wl in dW for row in Wl for e in row] + [e for bl in db for e in bl]
    values = [s.evaluator(e) for e in flat]
    t3 = time.perf_counter()
    exact = s.gradients()  # everything, ∂C/∂z[l] included, from a fresh build
    t4 = time.perf_counter()

    manual = net.gradients(x, y)
    worst = max(float(np.abs(m - e).max() / np.abs(e).max())
                for m, e in zip(manual.dW + manual.db + manual.delta, exact.dW + exact.db + exact.delta))
    print(f"backend {symbolic.BACKEND}, {DIGITS} digits; {sizes} batch {n}: {n_params} parameters")
    print(f"  build expression   {t1 - t0:6.2f} s")
    print(f"  differentiate      {t2 - t1:6.2f} s  ({len(flat)} derivatives)")
    print(f"  evaluate           {t3 - t2:6.2f} s")
    print(f"  parameter gradients, total {t3 - t0:6.2f} s  (goal <= 5 s)")
    print(f"  + every dC/dz[l] (gradients() again, all of it) {t4 - t3:6.2f} s")
    print(f"  max relative difference manual float64 vs exact: {worst:.2e}")
    assert len(values) == n_params


if __name__ == "__main__":
    main()
