"""The demo subcommands of `backproof`: example, train, descent, surface."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .console import Console
from rich.table import Table

from .progress import progress


def _console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=160)


def run_example(args) -> int:
    from backproof.demos.source_003 import PUBLISHED, worked_example
    values = worked_example()
    rows = []
    for name, v in values.items():
        published = PUBLISHED.get(name)
        digits = len(repr(published).split(".")[1].lstrip("0")) if published is not None else None
        ok = None if published is None else float(f"{v:.{digits}g}") == published
        rows.append((name, v, published, ok))
    if args.json:
        print(json.dumps({"ok": all(r[3] is not False for r in rows),
                          "values": {n: {"value": v, "published": p, "agrees": ok} for n, v, p, ok in rows}},
                         indent=2))
    else:
        table = Table(title="source 003: the 2-2-2 step-by-step example (learning rate 0.5)", title_justify="left")
        for col in ("quantity", "backproof (9 significant digits)", "published", "agrees"):
            table.add_column(col)
        for n, v, p, ok in rows:
            table.add_row(n, f"{v:.9g}", "-" if p is None else repr(p),
                          "-" if ok is None else "[green]yes[/]" if ok else "[bold red]NO[/]")
        _console().print(table)
    return 0 if all(r[3] is not False for r in rows) else 1


def run_train(args) -> int:
    from backproof.demos.recipes import RECIPES, train
    from backproof.demos import plots
    recipe = RECIPES[args.task]
    if args.mnist_dir and args.task != "mnist":
        raise ValueError(f"--mnist-dir: only `train mnist` reads IDX files (train {args.task} does not)")
    epochs = args.epochs or recipe.epochs
    every = max(1, epochs // 20)
    console = _console()
    try:
        with progress(epochs, f"training {args.task}", quiet=args.json) as advance:
            run = train(args.task, seed=args.seed, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                        mnist_dir=args.mnist_dir, on_epoch=lambda e, c: advance())
    except (FileNotFoundError, ValueError) as e:
        print(f"backproof train: {e}", file=sys.stderr)
        return 2
    plot = Path(args.plot or f"plots/{args.task}.png")
    written = [plots.training_curves(run, plot)]
    if args.task == "xor":
        written.append(plots.decision_boundary(run, plot.with_name(plot.stem + "-boundary" + plot.suffix)))
    summary = {"task": args.task, "seed": args.seed, "sizes": list(recipe.sizes), "epochs": epochs,
               "loss": run.loss[-1], "train_accuracy": run.train_accuracy[-1],
               "test_accuracy": run.test_accuracy[-1], "plots": [str(p) for p in written]}
    if args.json:
        print(json.dumps({**summary, "history": {"loss": run.loss, "train_accuracy": run.train_accuracy,
                                                 "test_accuracy": run.test_accuracy}}, indent=2))
        return 0
    table = Table(title=f"{args.task}: {recipe.sizes} {'-'.join(recipe.activations)}, {recipe.loss} "
                        f"({recipe.reduction}), batch {args.batch_size or recipe.batch_size}, "
                        f"lr {args.lr or recipe.lr}, seed {args.seed}", title_justify="left")
    for col in ("epoch", "cost", "train accuracy", "held-out accuracy" if args.task in ("digits", "mnist")
                else "truth-table accuracy"):
        table.add_column(col, justify="right")
    for e in range(len(run.loss)):
        if (e + 1) % every == 0 or e == 0:
            table.add_row(str(e + 1), f"{run.loss[e]:.6g}", f"{run.train_accuracy[e]:.4f}", f"{run.test_accuracy[e]:.4f}")
    console.print(table)
    console.print("plots: " + ", ".join(map(str, written)))
    return 0


def run_descent(args) -> int:
    from backproof.demos.source_004 import MINIMUM, descent, f
    from backproof.demos import plots
    try:
        path = descent(args.start, args.step, args.precision)
    except ValueError as e:
        print(f"backproof descent: {e}", file=sys.stderr)
        return 2
    plot = plots.descent_path(path, args.plot or "plots/descent.png")
    result = {"start": args.start, "step": args.step, "precision": args.precision, "steps": len(path) - 1,
              "x": path[-1], "f(x)": f(path[-1]), "minimum": MINIMUM, "plot": str(plot)}
    if args.json:
        print(json.dumps({**result, "path": path}, indent=2))
    else:
        _console().print(f"x⁴ − 3x³ + 2 from x = {args.start:g}, step {args.step:g}: {len(path) - 1} steps, "
                         f"x = {path[-1]:.9g} (the minimum is 9/4 = 2.25; |x − 9/4| = "
                         f"{abs(path[-1] - MINIMUM):.2g}), f(x) = {f(path[-1]):.9g}\nplot: {plot}")
    return 0


def run_surface(args) -> int:
    from backproof.demos.source_004 import not_costs
    from backproof.demos import plots
    plot = plots.cost_surfaces(args.plot or "plots/surface.png", span=args.span)
    corner = not_costs(-args.span, args.span)  # a(0) ≈ 0 where the target is 1: badly wrong
    result = {"plot": str(plot), "span": args.span, "w1": -args.span, "w2": args.span,
              "quadratic": float(corner[0]), "cross_entropy": float(corner[1])}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _console().print(f"NOT net a = σ(w1 + w2·x) over (w1, w2) in [−{args.span:g}, {args.span:g}]²; at "
                         f"(w1, w2) = ({-args.span:g}, {args.span:g}), badly wrong, the quadratic cost is "
                         f"{float(corner[0]):.4g} (it can never exceed 1/2, and is flat there) and "
                         f"cross-entropy is {float(corner[1]):.4g} (it grows with the error)\nplot: {plot}")
    return 0


def run_source(args) -> int:
    """Each corrected source's demo, then where its checked document is."""
    n = args.number
    doc = f"derivations/source-{n}.md"
    if args.plot and n != "002":
        raise ValueError(f"--plot: source {n} draws no picture (only source 002 does)")
    if args.seed is not None and n == "003":
        raise ValueError("--seed: source 003's worked example has no random choice")
    seed = args.seed if args.seed is not None else (1 if n == "001" else 0)  # 001: the seed its figures use
    args.seed = seed
    if n == "003":
        code = run_example(args)
        if not args.json:
            print(f"errata: {doc}")
        return code
    if n == "002":
        args.task, args.epochs, args.lr, args.batch_size, args.mnist_dir = "digits", None, None, None, None
        args.plot = args.plot or "plots/source-002.png"
        code = run_train(args)
        if not args.json:
            print(f"(the source's MNIST run: backproof train mnist --mnist-dir DIR)\nerrata: {doc}")
        return code
    if n == "000":
        from backproof.demos.source_000 import NAND_PATTERNS, MultiLayerNet
        net = MultiLayerNet(2, 2, 3, 1, seed=args.seed)
        history = net.train()
        result = {"patterns": [[x, t, float(net.predict(x)[0])] for x, t in NAND_PATTERNS],
                  "error": history[-1], "first_error": history[0]}
        text = "\n".join(f"  {x} -> {out:.3f} (target {t[0]})" for x, t, out in result["patterns"])
        text = f"source 000: 2 inputs, 2 hidden layers of 3, 1 output; total error {history[0]:.4f} -> {history[-1]:.6f}\n{text}"
    elif n == "001":
        from backproof.demos.source_001 import train as train_001
        W, a2 = train_001(seed=seed)
        result = {"seed": seed, "outputs": a2.ravel().tolist()}
        text = f"source 001: 3-4-1, no biases, lr 1, 1000 iterations, seed {seed}; outputs " + \
            " ".join(f"{v:.3f}" for v in a2.ravel()) + " (targets 0 1 1 0)"
    else:  # 004
        from backproof.demos.source_004 import XOR_Y, descent, train_xor
        path = descent()
        _, _, a3 = train_xor(seed=args.seed)
        result = {"descent_steps": len(path) - 1, "descent_x": path[-1], "xor_outputs": a3.ravel().tolist()}
        text = (f"source 004: descent from 4 reaches x = {path[-1]:.6f} in {len(path) - 1} steps (minimum 9/4); "
                f"XOR 2-3-1 with bias units: " + " ".join(f"{v:.3f}" for v in a3.ravel()) +
                f" (targets {' '.join(str(int(v)) for v in XOR_Y.ravel())})")
    if args.json:
        print(json.dumps({"source": n, **result, "errata": doc}, indent=2, default=float))
    else:
        _console().print(f"{text}\nerrata: {doc}")
    return 0
