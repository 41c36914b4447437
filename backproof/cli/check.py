"""`backproof check`: the sweep of random networks against the oracles, as a table or JSON."""
from __future__ import annotations

import json
import os
import sys

import numpy as np

from .progress import progress
from backproof.reference.compare import MEASURE, CaseReport, check_case
from backproof.reference.cuda import compare_with_cuda, cuda_available
from backproof.reference.records import activation_record
from backproof.reference.strategies import Limits, random_case
from backproof.reference.tolerances import rtol_exact

CUDA_COLUMN = "CUDA f64 f32 tf32 (err/tol)"
WIDE_TABLE = 150   # columns the full table needs; narrower terminals get the compact one


# The symbolic oracle differentiates one expression per parameter: about a second for 500 parameters,
# minutes for thousands. Above this many it is left out of a network's row ("-"); the certified
# oracle covers every size.
SYMBOLIC_MAX_PARAMS = 500


def run_check(args) -> int:
    rng = np.random.default_rng(args.seed)
    limits = Limits(depth=(0, args.max_depth), width=(1, args.max_width), batch=(1, args.max_batch))
    gpu = cuda_available()
    reports = []
    with progress(args.count, "checking networks", quiet=args.json) as advance:
        for _ in range(args.count):
            case = random_case(rng, limits)
            symbolic = not args.no_symbolic and case.n_params <= SYMBOLIC_MAX_PARAMS
            oracles = ("autograd", "certified", "finite_differences") + (("symbolic",) if symbolic else ())
            report = check_case(case, oracles=oracles)
            if gpu and report.case.net.dtype == np.float64:  # CUDA runs its own float32 from float64
                report.results.extend(compare_with_cuda(report.case))
            reports.append(report)
            advance()
    if args.json:
        print(json.dumps({"seed": args.seed, "ok": all(r.ok for r in reports),
                          "cases": [_as_json(r) for r in reports]}, indent=2))
    else:
        _print_table(reports, args.seed)
    return 0 if any(r.verdict == "pass" for r in reports) and all(r.ok for r in reports) else 1


def _as_json(r: CaseReport) -> dict:
    net = r.case.net
    return {"sizes": net.sizes, "activations": [str(f) for f in net.activations], "loss": net.loss.name,
            "reduction": net.reduction, "batch": len(r.case.x), "dtype": str(net.dtype), "ok": r.ok,
            "verdict": r.verdict,
            "oracles": {o.oracle: {"layer_errors": o.layer_errors, "cost_error": o.cost_error,
                                   "decided_by": o.decided_by, "mismatches": [str(m) for m in o.mismatches]}
                        for o in r.results}}


def _print_table(reports: list[CaseReport], seed: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)
    wide = console.width >= WIDE_TABLE
    table = Table(title=f"manual backprop vs oracles (seed {seed})", title_justify="left")
    gpu = any(o.oracle.startswith("cuda") for r in reports for o in r.results)
    columns = (("#", "sizes ×batch", "activations", "loss (reduction)", "dtype", "autograd: error, layer 1..L")
               if wide else ("#", "sizes ×batch", "dtype", "autograd")) + ("certified", "symbolic", "FD") + \
        (CUDA_COLUMN,) * gpu + ("result",)
    for col in columns:
        table.add_column(col, no_wrap=True)
    for i, r in enumerate(reports, 1):
        net, by = r.case.net, {o.oracle: o for o in r.results}
        ag, fd, sy, ce = by.get("autograd"), by.get("finite_differences"), by.get("symbolic"), by.get("certified")
        cuda = " ".join(f"{o.max_error:.2f}" for o in r.results if o.oracle.startswith("cuda")) or "-"
        sizes = "-".join(map(str, net.sizes)) + f" ×{len(r.case.x)}"
        if wide:
            first = (str(i), sizes, " ".join(_short(f) for f in net.activations), f"{net.loss} ({net.reduction})",
                     str(net.dtype), " ".join(_error(e) for e in ag.layer_errors) if ag else "-")
        else:
            first = (str(i), sizes, str(net.dtype), _error(max(ag.layer_errors)) if ag else "-")
        table.add_row(*first, _error(ce.max_error) if ce else "-", _error(sy.max_error) if sy else "-",
                      f"{fd.max_error:.2f}" if fd else "-", *((cuda,) if gpu else ()),
                      {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]",
                       "nothing checked": "[yellow]nothing checked[/]"}[r.verdict])
    console.print(table)
    if not wide:
        console.print(f"(activations, losses and per-layer errors: widen the terminal to {WIDE_TABLE} "
                      "columns, or use --json)")
    failed = [r for r in reports if not r.ok]
    vacuous = sum(r.nothing_checked for r in reports)
    console.print(f"every error is {MEASURE}, ≤ 1 passes: against autograd and symbolic, allowed = rtol·max(bound, "
                  f"|expected|) per entry, rtol {rtol_exact(np.float64):.2g} (float64) or {rtol_exact(np.float32):.2g} "
                  "(float32) at these sizes; against finite differences, their own tolerance (reference/tolerances.py)")
    console.print(f"{len(reports) - len(failed) - vacuous} passed, {len(failed)} failed"
                  + (f", {vacuous} checked nothing (every reference gradient exactly 0; not a pass)" if vacuous else ""))
    for r in failed:
        console.print(r.failure_message(), markup=False)


def _error(e: float) -> str:
    return f"{e:.2f}" if e >= 0.01 else f"{e:.0e}"


def _short(f) -> str:
    record = activation_record(f)
    params = record.params(f)
    return record.short + (f"({','.join(f'{p:g}' for p in params)})" if params else "")
