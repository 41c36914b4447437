"""Drawing the harness's networks and shrinking a failure: a probe network whose shapes all differ,
and, from a failing network, the smallest one that fails the same way."""
from __future__ import annotations

import numpy as np
from dataclasses import replace

from backproof.reference.records import activation_record, loss_record
from backproof.reference.strategies import Case, Limits, NearKink, Structure, fill

from .report import Counterexample

SHRINK_SEEDS = 3              # value draws tried for each smaller network


def fill_case(structure: Structure, value_seed: int, limits: Limits, spec) -> Case | None:
    """The case of a structure and a value seed, or None where a bias-free relu layer lands on its kink.
    With targets="labels" the targets are one-hot rows whatever the loss (the code is given their
    class indices and makes the rows itself); drawn after the values, so those stay as they were."""
    rng = np.random.default_rng(value_seed)
    try:
        case = fill(structure, rng, limits, biases=spec.layout.bias != "none")
    except NearKink:
        return None
    if spec.layout.labels and loss_record(case.net.loss).targets != "simplex":
        n, k = case.y.shape
        case.y = np.eye(k, dtype=case.y.dtype)[rng.integers(0, k, n)]
    return case


def probe_structure(spec, limits: Limits) -> Structure:
    """A network within the limits whose widths and batch all differ (and are not 1 where that can
    be helped), so that no two gradient shapes coincide."""
    lo, hi = limits.depth
    depth = len(spec.acts) - 1 if spec.fixed else min(max(lo, 1), hi)
    wlo, whi = limits.width
    widths = list(range(max(wlo, 2), whi + 1)) or [wlo]
    least = activation_record(spec.acts[-1]).min_width
    sizes = [widths[i % len(widths)] for i in range(depth + 2)]
    sizes[-1] = max(sizes[-1], least)
    blo, bhi = limits.batch
    batch = next((m for m in range(max(blo, 2), bhi + 1) if m not in sizes), blo)
    acts = spec.acts if spec.fixed else [spec.acts[0]] * depth + [spec.acts[-1]]
    return Structure(tuple(sizes), tuple(acts), spec.loss, spec.reduction, batch, spec.dtype,
                     "soft" if spec.targets == "soft" else "one-hot", spec.l2, spec.l2_biases)


def shrink(spec, structure: Structure, value_seed: int, limits: Limits, failure):
    """Greedy: move to the first one-step-smaller network that fails the same way (each tried with the
    failing values' seed and SHRINK_SEEDS − 1 others) until none does. A step that would make two
    widths, or a width and the batch, equal is taken only if they were equal already."""
    improved = True
    while improved:
        improved = False
        for smaller in _smaller(structure, limits, spec.fixed):
            if _coincidences(smaller) > _coincidences(structure):
                continue
            for s in [value_seed] + [value_seed * 7919 + k for k in range(1, SHRINK_SEEDS)]:
                case = fill_case(smaller, s % 2 ** 32, limits, spec)
                found = None if case is None else spec.check(case)
                if isinstance(found, Counterexample) and found.kind == failure.kind:
                    structure, value_seed, failure, improved = smaller, s % 2 ** 32, found, True
                    break
            if improved:
                break
    return failure


def _coincidences(s: Structure) -> int:
    values = list(s.sizes) + [s.batch]
    return len(values) - len(set(values))


def _smaller(s: Structure, limits: Limits, fixed_depth: bool):
    """Networks one step smaller than `s`: a hidden layer fewer, then a unit fewer in one layer
    (or straight to the least width), then an example fewer (or straight to the least batch)."""
    if not fixed_depth and s.depth > limits.depth[0]:
        for i in range(1, len(s.sizes) - 1):  # drop hidden layer i
            yield replace(s, sizes=s.sizes[:i] + s.sizes[i + 1:], activations=s.activations[:i - 1] + s.activations[i:])
    for i, n in enumerate(s.sizes):
        least = max(limits.width[0], activation_record(s.activations[-1]).min_width) \
            if i == len(s.sizes) - 1 else limits.width[0]
        for m in sorted({least, n - 1}):
            if least <= m < n:
                yield replace(s, sizes=s.sizes[:i] + (m,) + s.sizes[i + 1:])
    for m in sorted({limits.batch[0], s.batch - 1}):
        if limits.batch[0] <= m < s.batch:
            yield replace(s, batch=m)
