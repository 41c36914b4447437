"""The verdict's measured power and soundness, and the figures the tolerance rests on.

    python benchmarks/catch_rate.py [networks per dtype, default 1000] [seed, default 0] [--write]

For each dtype, on the harness's default draws (reference/strategies.py `Limits`): how many
correct backprops (manual/'s and a textbook one, f' from a) are rejected, how many networks check
nothing, how often one gradient tensor multiplied by 1 + r (r = 1e-9 float64, 1e-3 float32) is
caught (for float32 both ways: in float32, with the sound float32 bound, which no constant makes
catch them all, and in float64, as the harness judges the logic of a float32 function that takes
float64 arrays too: the goal of 99% applies to the latter), and how far the correct backprops and float64 autograd itself are from the exact value (the
certified oracle), in units of eps·M: the constant of reference/tolerances.py must exceed the first,
and it prints what other constants would give. The measurement itself is reference/power.py.

--write saves the figures to docs/measurements.json, which docs/tolerances.md and
reference/tolerances.py quote; tests/project/test_docs.py checks that they agree and re-measures the first
networks of the same draw.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backproof.reference.power import INJECTED, measure  # noqa: E402
from backproof.reference.tolerances import rtol_exact  # noqa: E402

MEASUREMENTS = Path(__file__).resolve().parents[1] / "docs" / "measurements.json"
FIRST = 20   # networks per dtype whose figures are kept one by one, for tests/project/test_docs.py


def figures(n: int, dtype: str, seed: int) -> dict:
    p = measure(n, dtype, seed)
    constant = rtol_exact(np.dtype(dtype)) / np.finfo(dtype).eps
    return {"networks": p.networks, "vacuous": p.vacuous, "false_alarms": len(p.false_alarms),
            "injected": INJECTED[dtype], "caught": p.caught, "catch_rate": round(p.catch_rate, 4),
            "logic_catch_rate": round(p.logic_catch_rate, 4) if dtype == "float32" else None,
            "constant": float(constant), "worst_correct": round(max(p.needed), 2),
            "worst_autograd": round(float(max(p.autograd_own)), 2),
            "first_correct": [round(float(v), 3) for v in p.needed[:FIRST]],
            "other_constants": {str(c): {"false_alarms": p.false_alarms_at(c), "catch_rate": round(p.catch_rate_at(c), 4)}
                                for c in (64, 16, 4, 1)},
            "examples": {"false_alarms": p.false_alarms[:5], "missed": p.missed[:3]}}


def main(argv: list[str]) -> int:
    write = "--write" in argv
    argv = [a for a in argv if a != "--write"]
    n = int(argv[0]) if argv else 1000
    seed = int(argv[1]) if len(argv) > 1 else 0
    print(f"{'dtype':8} {'networks':>8} {'vacuous':>8} {'false alarms':>13} {'injected r':>10} {'caught':>8} "
          f"{'worst correct':>14} {'autograd':>9} {'time':>7}")
    out = {"networks_per_dtype": n, "seed": seed, "dtypes": {}}
    sound = True
    for dtype in ("float64", "float32"):
        t = time.perf_counter()
        f = out["dtypes"][dtype] = figures(n, dtype, seed)
        sound &= f["false_alarms"] == 0
        print(f"{dtype:8} {f['networks']:8d} {f['vacuous'] / f['networks']:8.1%} {f['false_alarms']:13d} "
              f"{f['injected']:10.0e} {f['catch_rate']:8.2%} {f['worst_correct']:11.2f}·eps "
              f"{f['worst_autograd']:6.2f}·eps {time.perf_counter() - t:6.1f}s")
        if f["logic_catch_rate"] is not None:
            print(f"  the same injection judged in float64, as the harness judges a float32 function's logic: "
                  f"{f['logic_catch_rate']:.2%} caught")
        print(f"  the constant is {f['constant']:g}·eps; with another constant C, false alarms / caught: "
              + ", ".join(f"C = {c}: {v['false_alarms']} / {v['catch_rate']:.1%}" for c, v in f["other_constants"].items()))
        for line in f["examples"]["false_alarms"]:
            print(f"  false alarm: {line}")
        for line in f["examples"]["missed"]:
            print(f"  missed: {line}")
    if write:
        MEASUREMENTS.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {MEASUREMENTS}")
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
