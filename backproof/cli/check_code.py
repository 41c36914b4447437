"""`backproof check-code PATH`: a learner's .py file or notebook, its backprop found and checked with
everything not stated recognised (backproof.harness). Exit status 0 when it agrees with the oracles,
1 when it is WRONG (or nothing could be checked), 2 when the file cannot be loaded or holds no backprop."""
from __future__ import annotations

import json
from pathlib import Path


def run_check_code(args) -> int:
    from backproof.harness import check_backprop
    from backproof.harness.source import find_backprop, load

    path = Path(args.path)
    namespace = load(path, args.timeout)
    found = find_backprop(namespace, path, args.name)
    others = f" (also there: {', '.join(found.others)}; choose with --name)" if found.others else ""
    if not args.json:
        print(f"checking {found.kind} {found.name}, defined at {found.where}{others}")
    stated = {k: v for k, v in (("layout", args.layout), ("weight_shape", args.weight_shape), ("bias", args.bias),
                                ("output", args.output), ("targets", args.targets)) if v is not None}
    report = check_backprop(found.obj, activation=args.activation, loss=args.loss, reduction=args.reduction,
                            dtype=args.dtype, max_examples=args.max_examples, seed=args.seed, **stated)
    if args.json:
        ce = report.counterexample
        print(json.dumps({"ok": report.ok, "status": report.status, "seed": report.seed, "name": found.name,
                          "kind": found.kind, "where": found.where, "others": found.others,
                          "examples": report.examples, "nothing_checked": report.nothing_checked,
                          "recognised": report.recognised, "settings": {k: str(v) for k, v in report.settings.items()},
                          "counterexample": None if ce is None else {"sizes": ce.sizes, "batch": ce.batch,
                                                                     "parameter": ce.parameter, "kind": ce.kind,
                                                                     "problem": ce.problem, "diagnosis": ce.diagnosis},
                          "report": str(report)}, indent=2))
    else:
        print(report)
    return 0 if report.ok else 1
