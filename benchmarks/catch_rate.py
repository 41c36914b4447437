"""Catch rate of injected errors, false alarms and vacuous draws of the harness's verdict.

    python benchmarks/catch_rate.py [networks per dtype, default 1000] [seed, default 0]

For each dtype, on the harness's default draws (reference/strategies.py `Limits`): how many
correct backprops (manual/'s and a textbook one, f' from a) are rejected, how many networks check
nothing, and how often one gradient tensor multiplied by 1 + r (r = 1e-9 float64, 1e-3 float32)
is caught. Goals (issue 15): no false alarm; catch rate ≥ 99% of non-vacuous networks.
It also prints what another tolerance constant would give (false alarms and catch rate), from the
same draws: the evidence for whether a goal that is not met could be met by a different constant.
The measurement itself is reference/power.py.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from backproof.reference.power import INJECTED, measure
from backproof.reference.tolerances import rtol_exact


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1000
    seed = int(argv[1]) if len(argv) > 1 else 0
    print(f"{'dtype':8} {'networks':>8} {'vacuous':>8} {'false alarms':>13} {'injected r':>10} "
          f"{'caught':>8} {'goal':>6} {'time':>7}")
    met = True
    for dtype in ("float64", "float32"):
        t = time.perf_counter()
        p = measure(n, dtype, seed)
        ok = not p.false_alarms and p.catch_rate >= 0.99
        met &= ok
        print(f"{dtype:8} {p.networks:8d} {p.vacuous_fraction:8.1%} {len(p.false_alarms):13d} "
              f"{INJECTED[dtype]:10.0e} {p.catch_rate:8.2%} {'met' if ok else 'NOT met':>6} "
              f"{time.perf_counter() - t:6.1f}s")
        print(f"  correct backprops' largest error: {max(p.needed):.3g} eps·bound (the constant is "
              f"{rtol_exact(np.dtype(dtype)) / np.finfo(dtype).eps:g}); with another constant C, false alarms / "
              "caught: " + ", ".join(f"C = {c:g}: {p.false_alarms_at(c)} / {p.catch_rate_at(c):.1%}"
                                      for c in (64, 16, 4, 1)))
        for line in p.false_alarms[:5]:
            print(f"  false alarm: {line}")
        for line in p.missed[:3]:
            print(f"  missed: {line}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
