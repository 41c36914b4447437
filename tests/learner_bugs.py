"""The bug table: common backprop mistakes, each written into one correct backprop, and what the
harness reports for each (tests/harness/test_bug_table.py checks docs/bugs.md against it;
`python benchmarks/bug_table.py --write` writes the table).

The correct backprop: rows, W (out, in), b (n,), tanh hidden layers, the output and loss given.
"""
from __future__ import annotations

import numpy as np

from backproof.harness import check_backprop
from backproof.harness.styles import Returns

F = {"tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
     "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
     "identity": (lambda z: z, np.ones_like)}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


THREE = "three: output f' omitted, scalar bias, updated W in BP2"


def learner(bug: str | None = None, output: str = "tanh", loss: str = "half_sse", mean: bool = False,
            l2: float = 0.0):
    def backprop(weights, biases, x, y):
        a, zs = [x], []
        for l, (W, b) in enumerate(zip(weights, biases)):
            zs.append(a[-1] @ W.T + b)
            last = l == len(weights) - 1
            a.append(softmax(zs[-1]) if last and output == "softmax" else F[output if last else "tanh"][0](zs[-1]))
        out, z = a[-1], zs[-1]
        n = len(x) if mean and bug != "sum where mean" else 1
        r = (y - out) if bug == "sign" else (out - y)
        if loss == "half_sse":
            g = (2 if bug in ("factor 2", "two: factor 2, hidden f' omitted") else 1) * r
        elif loss == "mse":
            g = 2 * r / (1 if bug == "factor n_L" else out.shape[1])
        else:          # softmax_ce, with a softmax output
            g = -y / out
        if output == "softmax":
            if loss == "softmax_ce" and bug != "softmax diagonal":
                delta = out - y
            elif bug == "softmax diagonal":
                delta = g * out * (1 - out)
            else:
                delta = np.einsum("nij,ni->nj", out[:, :, None] * (np.eye(out.shape[1]) - out[:, None, :]), g)
        else:
            omitted = bug in ("output f' omitted", "two: output f' omitted, hidden f' at a", THREE)
            delta = g if omitted else g * F[output][1](out if bug == "f' at a everywhere" else z)
        delta = delta / n
        dW, db = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dW[l] = a[l].T @ delta if bug == "transposed dW" else delta.T @ a[l]
            if l2:
                dW[l] = dW[l] + (2 if bug == "l2 factor" else 1) * l2 * weights[l]
            db[l] = delta.sum(axis=1) if bug == "bias over the wrong axis" else delta.sum(axis=0)
            if bug == THREE:
                db[l] = delta.sum()             # one number: summed over the units too
            if l:
                sent = g if bug == "error sent back without f'" and l == len(weights) - 1 else delta
                W_used = weights[l] - 0.5 * dW[l] if bug in ("updated W in BP2", THREE) else weights[l]
                back = sent @ W_used
                if bug in ("hidden f' omitted", "two: factor 2, hidden f' omitted") or \
                        (bug == "f' omitted in the top hidden layer" and l == len(weights) - 1):
                    delta = back
                elif bug == "wrong layer's f'":
                    delta = back * F["tanh"][1](zs[l])      # z[l+1]'s, not z[l]'s
                elif bug in ("f' at a", "f' at a everywhere", "two: output f' omitted, hidden f' at a"):
                    delta = back * F["tanh"][1](a[l])
                else:
                    delta = back * F["tanh"][1](zs[l - 1])
        return (db, dW) if bug == "swapped pair" else (dW, db)
    return backprop


# (what it is, the bug, learner settings, check_backprop settings)
BUGS = [
    ("a factor 2: ½·Σ(a−y)²'s ½ dropped", "factor 2", {}, {}),
    ("summed over the batch where the mean is asked", "sum where mean", {"mean": True}, {"reduction": "mean"}),
    ("a factor n_L: the mean over the output units left out", "factor n_L", {"loss": "mse"}, {"loss": "mse"}),
    ("the sign flipped (y − a)", "sign", {}, {}),
    ("∂C/∂W transposed (a_prev.T @ delta)", "transposed dW", {}, {}),
    ("(db, dW) returned where (dW, db) is stated", "swapped pair", {}, {"returns": Returns("pair", True, True)}),
    ("(db, dW) returned, nothing stated", "swapped pair", {}, {}),
    ("BP2 with the next layer's f′", "wrong layer's f'", {}, {}),
    ("BP2 with f′ taken at a instead of z", "f' at a", {}, {}),
    ("the hidden layers' f′ missing", "hidden f' omitted", {}, {}),
    ("the output layer's f′ missing", "output f' omitted", {}, {}),
    ("softmax's Jacobian cut to its diagonal", "softmax diagonal", {"output": "softmax", "loss": "softmax_ce"},
     {"output": "softmax", "loss": "softmax_ce"}),
    ("the bias summed over the wrong axis", "bias over the wrong axis", {}, {}),
    ("f′ taken at a instead of z in every layer", "f' at a everywhere", {}, {}),
    ("the L2 term's gradient 2·λ·W (reg·‖W‖²) where (λ/2)·‖W‖² is stated", "l2 factor", {"l2": 0.1}, {"l2": 0.1}),
    ("two at once: the output's f′ missing and the hidden f′ taken at a", "two: output f' omitted, hidden f' at a",
     {}, {}),
    ("two at once: the ½ dropped and the hidden f′ missing", "two: factor 2, hidden f' omitted", {}, {}),
    ("the output's error sent back without its f′ (a − y into BP2)", "error sent back without f'", {}, {}),
    ("BP2 with W[l+1] after its update (W −= lr·dW before the delta below)", "updated W in BP2", {}, {}),
    ("f′ missing in the top hidden layer only", "f' omitted in the top hidden layer", {}, {}),
    ("three at once: the output's f′ missing, db summed to one number, BP2 with updated weights", THREE, {}, {}),
]


def measure(max_examples: int = 100, seed: int = 0) -> list[dict]:
    """Each bug's report: caught, the root tensor or the problem, the kind and the diagnosis."""
    rows = []
    for what, bug, mine, settings in BUGS:
        settings = {"activation": "tanh", **settings}
        report = check_backprop(learner(bug, **mine), max_examples=max_examples, seed=seed, **settings)
        ce = report.counterexample
        said = "; diagnosis: ".join(filter(None, [ce.problem, ce.diagnosis])) if ce else \
            "passes; " + "; ".join(report.recognised)
        if ce:
            said += "".join(f"; {note}" for note in report.recognised if "leave `returns` out" in note)
        rows.append({"what": what, "caught": not report.ok, "root": ce.parameter if ce else "-",
                     "kind": ce.kind if ce else "passes", "said": " ".join(said.split())})
    return rows


def render(rows: list[dict]) -> str:
    lines = ["| mistake | caught | root named | the report says |", "| --- | --- | --- | --- |"]
    for r in rows:
        said = r["said"] if len(r["said"]) <= 600 else r["said"][:597] + "..."
        lines.append(f"| {r['what']} | {'yes' if r['caught'] else 'no'} | `{r['root']}` | {said.replace('|', '/')} |")
    return "\n".join(lines)
