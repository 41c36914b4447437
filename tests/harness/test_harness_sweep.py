"""No correct backprop of any kind the harness draws is ever failed: every combination of loss,
output activation, targets, reduction and L2 term, each on 20 seeds (the hidden activation taking
every value in turn), with one backprop written by hand as a user would, in NumPy.

A seed draws one network here (max_examples=1) after the probe: 20 seeds are 20 networks and 20
probes per combination, about 3,000 checks in all.
"""
import numpy as np
import pytest

from backproof.harness import check_backprop
from backproof.reference.records import ACTIVATIONS, LOSSES
from selection import keep

HIDDEN = [n for n, r in ACTIVATIONS.items() if r.hidden]
SEEDS = 20


def act(name, z):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "softplus":
        return np.logaddexp(0, z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def act_prime(name, z):
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "softplus":
        return 1 / (1 + np.exp(-z))
    return np.ones_like(z)


def learner(hidden, output, loss, reduction, labels, l2, l2_biases):
    """rows, W (out, in), b (n,); y as class indices when `labels`."""
    def backprop(weights, biases, x, y):
        if labels:
            y = np.eye(weights[-1].shape[0])[y]
        a, zs = [x], []
        for l, (W, b) in enumerate(zip(weights, biases)):
            zs.append(a[-1] @ W.T + b)
            a.append(act(output if l == len(weights) - 1 else hidden, zs[-1]))
        out, z = a[-1], zs[-1]
        if loss in ("bce", "softmax_ce"):
            delta = out - y
        else:
            g = {"half_sse": out - y, "sse": 2 * (out - y), "mse": 2 * (out - y) / out.shape[1]}[loss]
            if output == "softmax":
                delta = out * (g - (g * out).sum(axis=1, keepdims=True))
            else:
                delta = g * act_prime(output, z)
        if reduction == "mean":
            delta = delta / len(x)
        dW, db = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dW[l] = delta.T @ a[l] + l2 * weights[l]
            db[l] = delta.sum(axis=0) + (l2 * biases[l] if l2_biases else 0)
            if l:
                delta = (delta @ weights[l]) * act_prime(hidden, zs[l - 1])
        return dW, db
    return backprop


def combinations():
    for loss, record in LOSSES.items():
        outputs = [record.output] if record.output else list(ACTIVATIONS)
        targets = ["one-hot", "soft", "labels"] if record.targets == "simplex" else [None]
        for output in outputs:
            for t in targets:
                for reduction in ("sum", "mean"):
                    for l2, l2_biases in ((0.0, False), (0.1, False), (0.1, True)):
                        yield loss, output, t, reduction, l2, l2_biases


COMBINATIONS = list(combinations())


@pytest.mark.parametrize("loss", keep(sorted(LOSSES), default=["softmax_ce"]))
def test_every_drawn_combination_passes_on_20_seeds(loss):
    failures = []
    for combo in (c for c in COMBINATIONS if c[0] == loss):
        _, output, targets, reduction, l2, l2_biases = combo
        for seed in range(SEEDS):
            hidden = HIDDEN[seed % len(HIDDEN)]
            user = learner(hidden, output, loss, reduction, targets == "labels", l2, l2_biases)
            report = check_backprop(user, activation=hidden, output=output, loss=loss, reduction=reduction,
                                    targets=targets, l2=l2, l2_biases=l2_biases, max_examples=1, seed=seed)
            if not report.ok:
                failures.append(f"{combo}, hidden {hidden}, seed {seed}:\n{report}")
    assert not failures, failures[0]


def test_the_sweep_covers_every_loss_output_targets_reduction_and_l2():
    assert len(COMBINATIONS) == 3 * 7 * 2 * 3 + 1 * 2 * 3 + 3 * 2 * 3
