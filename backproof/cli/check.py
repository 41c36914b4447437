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

CUDA_COLUMN = "CUDA f64 f32 tf32"


# The symbolic oracle differentiates one expression per parameter: about a second for 500 parameters,
# minutes for thousands. Above this many it is left out of a network's row ("-"); the certified
# oracle covers every size.
SYMBOLIC_MAX_PARAMS = 500
# The certified oracle differentiates a row function (softmax) one input at a time: K² series
# evaluations per example for K units (measured: a 257-unit softmax, batch 6, 2 minutes). Wider
# than this, it is not run ("-" in the table), as the symbolic oracle beyond its size.
CERTIFIED_MAX_ROW_UNITS = 64


# The largest network the sweep may draw: its oracles (autograd, the certified enclosure, finite
# differences) take about 5 s on 300,000 parameters, and memory grows with it; far beyond, a
# width of 100,000 asks for terabytes. Refused before anything runs, with the figure.
MAX_PARAMETERS = 1_000_000
# and the most activations one network's pass may hold, batch × every layer's width: --max-batch
# 1000000 asked for gigabytes where --max-width was refused up front; every size option is guarded
MAX_ACTIVATIONS = 1_000_000


def worst_case_parameters(max_depth: int, max_width: int) -> int:
    """Weights and biases of the largest network the limits allow: max_depth + 1 layers, each
    max_width wide."""
    return (max_depth + 1) * (max_width * max_width + max_width)


def run_check(args) -> int:
    worst = worst_case_parameters(args.max_depth, args.max_width)
    if worst > MAX_PARAMETERS:
        raise ValueError(f"--max-width {args.max_width} with --max-depth {args.max_depth} allows networks of "
                         f"{worst:,} parameters; at most {MAX_PARAMETERS:,} are checked here (about 5 s per "
                         f"300,000): use a smaller --max-width or --max-depth")
    activations = args.max_batch * (args.max_depth + 2) * args.max_width
    if activations > MAX_ACTIVATIONS:
        raise ValueError(f"--max-batch {args.max_batch} with --max-width {args.max_width} and --max-depth "
                         f"{args.max_depth} allows passes of {activations:,} activations; at most "
                         f"{MAX_ACTIVATIONS:,} are checked here: use a smaller --max-batch")
    rng = np.random.default_rng(args.seed)
    limits = Limits(depth=(0, args.max_depth), width=(1, args.max_width), batch=(1, args.max_batch))
    gpu = cuda_available()
    reports = []
    with progress(args.count, "checking networks", quiet=args.json) as advance:
        for _ in range(args.count):
            case = random_case(rng, limits)
            symbolic = not args.no_symbolic and case.n_params <= SYMBOLIC_MAX_PARAMS
            certified = all(f.elementwise or m <= CERTIFIED_MAX_ROW_UNITS
                            for f, m in zip(case.net.activations, case.net.sizes[1:]))
            oracles = ("autograd",) + (("certified",) if certified else ()) + ("finite_differences",) + \
                (("symbolic",) if symbolic else ())
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
    """The wide table (activations, loss, autograd's error per layer) where it fits the console, else
    the narrow one; either way every row keeps its #, sizes, dtype, each oracle's worst error and the
    verdict (long sizes fold onto more lines, never off the edge). Piped output without COLUMNS is
    laid out for 200 columns."""
    from .console import Console
    from rich.measure import Measurement

    console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)
    for layout in ("wide", "narrow", "compact"):   # the first that fits; compact folds whatever it must
        table = _table(reports, seed, layout)
        natural = Measurement.get(console, console.options.update(width=10 ** 4, max_width=10 ** 4), table).maximum
        if natural <= console.width:
            break
    console.print(table)
    if layout != "wide":
        console.print("(activations, losses and autograd's error per layer" +
                      (", and each oracle's worst error" if layout == "compact" else "") +
                      ": a wider terminal, or --json)")
    failed = [r for r in reports if not r.ok]
    vacuous = sum(r.nothing_checked for r in reports)
    console.print(f"every error is {MEASURE}, ≤ 1 passes: against autograd, certified and symbolic, allowed = "
                  f"rtol·max(bound, |expected|) per entry, rtol {rtol_exact(np.float64):.2g} (float64) or "
                  f"{rtol_exact(np.float32):.2g} (float32) for sums of up to 16 terms over 5 layers, more beyond; "
                  "against finite differences, their own error (reference/tolerances.py) plus the same "
                  "rtol·bound; \"-\": not run "
                  f"(symbolic: over {SYMBOLIC_MAX_PARAMS} parameters; certified: a softmax over more than "
                  f"{CERTIFIED_MAX_ROW_UNITS} units)")
    notes = sorted({o.note for r in reports for o in r.results if o.note})
    for note in notes:
        console.print(f"finite differences: {note} on some networks")
    console.print(f"{len(reports) - len(failed) - vacuous} passed, {len(failed)} failed"
                  + (f", {vacuous} checked nothing (every reference gradient exactly 0; not a pass)" if vacuous else ""))
    for r in failed:
        console.print(r.failure_message(), markup=False)


def _table(reports: list[CaseReport], seed: int, layout: str):
    """"wide": activations, loss and autograd's error per layer too; "narrow": each oracle's worst
    error; "compact" (about 50 columns): the worst error over every oracle. Every layout keeps the
    #, the sizes, the dtype and the result."""
    from rich.table import Table

    table = Table(title=f"manual backprop vs oracles (seed {seed})", title_justify="left")
    wide = layout == "wide"
    gpu = any(o.oracle.startswith("cuda") for r in reports for o in r.results)
    table.add_column("#", no_wrap=True, justify="right")
    table.add_column("sizes ×batch", overflow="fold", min_width=9)
    if layout == "compact":
        table.add_column("dtype", overflow="fold")
        table.add_column("worst error", no_wrap=True)
        table.add_column("result", no_wrap=True)
    for i, r in enumerate(reports, 1) if layout == "compact" else ():
        worst = max((o.max_error for o in r.results), default=0.0)
        table.add_row(str(i), "-".join(map(str, r.case.net.sizes)) + f" ×{len(r.case.x)}", str(r.case.net.dtype),
                      _error(worst), _RESULT[r.verdict])
    if layout == "compact":
        return table
    if wide:
        table.add_column("activations", overflow="fold")
        table.add_column("loss (reduction)", no_wrap=True)
    table.add_column("dtype", no_wrap=True)
    table.add_column("autograd: error, layer 1..L" if wide else "autograd", overflow="fold", min_width=8)
    for name in ("certified", "symbolic", "FD") + (CUDA_COLUMN,) * gpu:
        table.add_column(name, no_wrap=True)
    table.add_column("result", no_wrap=True)
    for i, r in enumerate(reports, 1):
        net, by = r.case.net, {o.oracle: o for o in r.results}
        ag = by.get("autograd")
        sizes = "-".join(map(str, net.sizes)) + f" ×{len(r.case.x)}"
        row = [str(i), sizes]
        if wide:
            row += [" ".join(_short(f) for f in net.activations), f"{net.loss} ({net.reduction})"]
        row.append(str(net.dtype))
        if ag is None:
            row.append("-")
        else:
            row.append(" ".join(_error(e) for e in ag.layer_errors) if wide else _error(ag.max_error))
        row += [_error(by[o].max_error) if o in by else "-" for o in ("certified", "symbolic", "finite_differences")]
        if gpu:
            row.append(" ".join(_error(o.max_error) for o in r.results if o.oracle.startswith("cuda")) or "-")
        row.append(_RESULT[r.verdict])
        table.add_row(*row)
    return table


_RESULT = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "nothing checked": "[yellow]nothing checked[/]"}


def _error(e: float) -> str:
    """An error in the one measure: ≤ 1 passes; "inf" where the value was not even an array of the
    right shape, or the backward pass raised."""
    if e == float("inf"):
        return "inf"
    return f"{e:.2f}" if e >= 0.01 else f"{e:.0e}"


def _short(f) -> str:
    record = activation_record(f)
    params = record.params(f)
    return record.short + (f"({','.join(f'{p:g}' for p in params)})" if params else "")
