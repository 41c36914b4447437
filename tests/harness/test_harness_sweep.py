"""No correct backprop of any kind the harness draws is ever failed: every combination of loss,
output activation, targets, reduction and L2 term, each on 20 seeds (the hidden activation taking
every value in turn), with one backprop written by hand as a user would, in NumPy.

A seed draws one network here (max_examples=1) after the probe: 20 seeds are 20 networks and 20
probes per combination, about 3,000 checks in all.
"""
import numpy as np
import pytest

from backproof.harness import check_backprop
from backproof.manual.activations import get_activation
from backproof.reference.records import ACTIVATIONS, LOSSES
from selection import keep

HIDDEN = [n for n, r in ACTIVATIONS.items() if r.hidden]
SEEDS = 20


def act(name, z):
    """f of the layer: manual/'s own, for every activation the records have (a new record is swept
    with no table here to extend)."""
    return get_activation(name).f(z)


def act_prime(name, z):
    return get_activation(name).prime(z)


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
    """Every loss, every output a loss may have (its paired one, or every record), every targets
    kind a simplex loss takes, both reductions and the three L2 settings, in every combination."""
    for loss, record in LOSSES.items():
        mine = [c for c in COMBINATIONS if c[0] == loss]
        assert {c[1] for c in mine} == ({record.output} if record.output else set(ACTIVATIONS))
        assert {c[2] for c in mine} == ({"one-hot", "soft", "labels"} if record.targets == "simplex" else {None})
        assert {c[3] for c in mine} == {"sum", "mean"} and {c[4:] for c in mine} == {(0.0, False), (0.1, False), (0.1, True)}
        assert len(mine) == len({c[1:] for c in mine}) == (len({c[1] for c in mine}) * len({c[2] for c in mine}) * 2 * 3)


