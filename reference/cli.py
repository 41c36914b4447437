"""The `backproof` command. With no arguments it runs `backproof check` on its embedded defaults."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .compare import CaseReport, check_case
from .cuda import compare_with_cuda, cuda_available
from .strategies import random_case
from .tolerances import rtol_exact


DEFAULT_COUNT = 40
CUDA_COLUMN = "CUDA f64 f32 tf32 (err/tol)"
DEFAULT_SEED = 2026


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="backproof",
        description="Prove a backward pass right: check backproof's hand-written NumPy backprop "
                    "against PyTorch autograd and central finite differences.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="(default) sweep random architectures and print a table",
                           description="Check manual/'s backward pass on a seeded sweep of random "
                                       "networks: every delta[l], dW[l], db[l] and the loss against "
                                       "autograd (float64), and dW, db against finite differences.")
    check.add_argument("--count", type=_positive_int, default=DEFAULT_COUNT,
                       help=f"number of random networks (default {DEFAULT_COUNT})")
    check.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"sweep seed (default {DEFAULT_SEED})")
    check.add_argument("--max-depth", type=_nonneg_int, default=4, help="most hidden layers (default 4)")
    check.add_argument("--max-width", type=_positive_int, default=8, help="widest layer (default 8)")
    check.add_argument("--max-batch", type=_positive_int, default=6, help="largest batch (default 6)")
    check.add_argument("--no-symbolic", action="store_true",
                       help="skip the symbolic (exact SymEngine) oracle, the slowest of the three")
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ders = sub.add_parser("derivations", help="check the derivation documents' equations",
                          description="Check every displayed equation of the derivation documents "
                                      "(derivations/*.md by default): definitions, claims evaluated to "
                                      "50 digits on random networks and, where SymPy can, proved; errata "
                                      "must be wrong; manual/ functions tied to equations must agree. "
                                      "Exit status 1 on any failure.")
    ders.add_argument("paths", nargs="*", metavar="PATH",
                      help="documents or directories (default: the derivations/ folder)")
    ders.add_argument("--no-prove", action="store_true", help="skip the sympy.simplify proof attempts")
    ders.add_argument("-v", "--verbose", action="store_true", help="list every equation, not only failures")
    ders.add_argument("--json", action="store_true", help="print JSON instead of the report")
    ex = sub.add_parser("example", help="source 003's worked example, every number to 9 digits",
                        description="The 2-2-2 step-by-step example source 003 follows (Mazur's inputs, "
                                    "weights, biases, targets, learning rate 0.5), computed with BP1-BP4: "
                                    "activations, total error, every gradient and updated weight, next "
                                    "to the published figures. Exit status 1 if any disagrees.")
    _common(ex, plot=False)
    tr = sub.add_parser("train", help="train xor, not, nand, digits or mnist; plot the curves",
                        description="Train one of the demo recipes (manual/demos.py) with seeded SGD, "
                                    "print the cost and accuracy per epoch and plot them. digits is "
                                    "scikit-learn's bundled set (offline); mnist reads the four IDX files "
                                    "from --mnist-dir.")
    tr.add_argument("task", choices=["xor", "not", "nand", "digits", "mnist"])
    tr.add_argument("--epochs", type=_positive_int, help="override the recipe's epochs")
    tr.add_argument("--lr", type=_positive_float, help="override the recipe's learning rate")
    tr.add_argument("--batch-size", type=_positive_int, help="override the recipe's batch size")
    tr.add_argument("--mnist-dir", help="folder with train-images-idx3-ubyte[.gz] and the other three")
    _common(tr)
    de = sub.add_parser("descent", help="gradient descent on x^4 - 3x^3 + 2 (source 004)",
                        description="Gradient descent on f(x) = x^4 - 3x^3 + 2 from x = 4 with step 0.01 "
                                    "until x moves less than 1e-5 (source 004); the minimum is 9/4.")
    de.add_argument("--start", type=float, default=4.0, help="starting x (default 4)")
    de.add_argument("--step", type=_positive_float, default=0.01, help="step size (default 0.01)")
    de.add_argument("--precision", type=_positive_float, default=1e-5, help="stop when |dx| <= this (default 1e-5)")
    _common(de)
    su = sub.add_parser("surface", help="quadratic vs cross-entropy cost surfaces of source 004's NOT net",
                        description="Plot the quadratic and cross-entropy costs of the one-input NOT "
                                    "network a = sigmoid(w1 + w2 x) over a grid of (w1, w2).")
    su.add_argument("--span", type=_positive_float, default=10.0, help="grid from -span to span (default 10)")
    _common(su)
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["check", *argv]  # `backproof [options]` means `backproof check [options]`
    args = parser.parse_args(argv)
    if args.command == "derivations":
        return run_derivations(args)
    if args.command in ("example", "train", "descent", "surface"):
        from . import demos_cli
        return getattr(demos_cli, f"run_{args.command}")(args)
    return run_check(args)


def _common(p, plot: bool = True) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed for every random choice (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    if plot:
        p.add_argument("--plot", metavar="PNG", help="where to write the picture (default plots/<command>.png)")


DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"


def run_derivations(args) -> int:
    from .derivations import as_json, check_documents, render
    default = DERIVATIONS if DERIVATIONS.is_dir() else Path("derivations")
    if default.is_absolute() and default.is_relative_to(Path.cwd()):
        default = default.relative_to(Path.cwd())
    paths = args.paths or [default]
    try:
        with _progress(len(paths), "checking documents", quiet=args.json) as advance:
            reports = check_documents(paths, prove=not args.no_prove, on_document=lambda r: advance())
    except FileNotFoundError as e:
        print(f"backproof derivations: {e}", file=sys.stderr)
        return 2
    print(json.dumps(as_json(reports), indent=2) if args.json else render(reports, verbose=args.verbose))
    return 0 if all(r.ok for r in reports) else 1


def run_check(args) -> int:
    rng = np.random.default_rng(args.seed)
    limits = dict(max_depth=args.max_depth, max_width=args.max_width, max_batch=args.max_batch)
    oracles = ("autograd", "finite differences") + (() if args.no_symbolic else ("symbolic",))
    gpu = cuda_available()
    reports = []
    with _progress(args.count, "checking networks", quiet=args.json) as advance:
        for _ in range(args.count):
            report = check_case(random_case(rng, **limits), oracles=oracles)
            if gpu and report.case.net.dtype == np.float64:  # CUDA runs its own float32 from float64
                report.results.extend(compare_with_cuda(report.case))
            reports.append(report)
            advance()
    if args.json:
        print(json.dumps({"seed": args.seed, "ok": all(r.ok for r in reports),
                          "cases": [_as_json(r) for r in reports]}, indent=2))
    else:
        _print_table(reports, args.seed)
    return 0 if all(r.ok for r in reports) else 1


def _as_json(r: CaseReport) -> dict:
    net = r.case.net
    return {"sizes": net.sizes, "activations": [str(f) for f in net.activations], "loss": net.loss.name,
            "reduction": net.reduction, "batch": len(r.case.x), "dtype": str(net.dtype), "ok": r.ok,
            "oracles": {o.oracle: {"layer_errors": o.layer_errors, "loss_error": o.loss_error,
                                   "tolerance": o.tol, "mismatches": [str(m) for m in o.mismatches]}
                        for o in r.results}}


def _print_table(reports: list[CaseReport], seed: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"manual backprop vs oracles (seed {seed})", title_justify="left")
    gpu = any(o.oracle.startswith("cuda") for r in reports for o in r.results)
    for col in ("#", "sizes ×batch", "activations", "loss (reduction)", "dtype",
                "autograd: rel. error, layer 1..L", "symbolic", "FD/tol") + (CUDA_COLUMN,) * gpu + ("result",):
        table.add_column(col, no_wrap=True)
    for i, r in enumerate(reports, 1):
        net, by = r.case.net, {o.oracle: o for o in r.results}
        ag, fd, sy = by.get("autograd"), by.get("finite differences"), by.get("symbolic")
        cuda = " ".join(f"{o.max_error / o.tol:.2f}" for o in r.results if o.oracle.startswith("cuda")) or "-"
        table.add_row(str(i), "-".join(map(str, net.sizes)) + f" ×{len(r.case.x)}",
                      " ".join(_short(f) for f in net.activations), f"{net.loss} ({net.reduction})",
                      str(net.dtype), " ".join(f"{e:.0e}" for e in ag.layer_errors) if ag else "-",
                      f"{sy.max_error:.0e}" if sy else "-",
                      f"{fd.max_error:.2f}" if fd else "-", *((cuda,) if gpu else ()),
                      "[green]pass[/]" if r.ok else "[bold red]FAIL[/]")
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)
    failed = [r for r in reports if not r.ok]
    console.print(f"tolerances: autograd and symbolic rel. error ≤ {rtol_exact(np.float64):.2g} (float64), "
                  f"{rtol_exact(np.float32):.2g} (float32); FD / tol ≤ 1 (reference/tolerances.py)")
    console.print(f"{len(reports) - len(failed)} passed, {len(failed)} failed")
    for r in failed:
        console.print(r.failure_message(), markup=False)


def _short(f) -> str:
    if f.name == "leaky_relu":
        return f"lrelu({f.slope:g})"
    return {"sigmoid": "sig", "identity": "id", "softplus": "sp", "softmax": "smax"}.get(f.name, f.name)


class _progress:
    """A rich progress bar on a terminal; nothing at all when output is a pipe or a CI log."""

    def __init__(self, total: int, label: str, quiet: bool = False):
        self.total, self.label = total, label
        self.enabled = not quiet and sys.stderr.isatty()

    def __enter__(self):
        if not self.enabled:
            return lambda: None
        from rich.progress import Progress
        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()
        return False


def _positive_int(s: str) -> int:
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {s}")
    return v


def _positive_float(s: str) -> float:
    v = float(s)
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {s}")
    return v


def _nonneg_int(s: str) -> int:
    v = int(s)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {s}")
    return v


if __name__ == "__main__":
    sys.exit(main())
