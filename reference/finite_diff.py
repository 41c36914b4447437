"""The central finite-difference oracle: ∂C/∂θ ≈ (C(θ + h) − C(θ − h)) / (2h) for every W and b entry.

It uses only a forward pass of its own (the records' NumPy forms, reference/records.py, sharing no
code with manual/) and never a derivative formula. The cost is a function of the parameters, which
are exact binary numbers whatever their dtype; the oracle evaluates it in float64 on copies of them
(a float32 network too: its derivative is the same number, and float32's own rounding of the cost,
eps32·|C|/h, would swamp a difference of weights near 30, a 10% error seen on a correct backprop).
The step h = eps^(1/3)·max(1, |θ|) is float64's (reference/tolerances.py); θ ± h are rounded to
float64 first and the difference is divided by the distance actually stepped. The network itself
is never modified.

Each derivative comes with an estimate of its truncation error, measured rather than assumed:
the central difference D(h) is off by about c·h² and D(2h) by 4c·h², so |D(2h) − D(h)| / 3
estimates D(h)'s error (Richardson). That estimate holds only where the h² term dominates, so it
is used only where D(4h) − D(2h) is 2 to 8 times D(2h) − D(h); otherwise h is halved (and where
no h qualifies, the least spread among D(h), D(2h), D(4h) is the estimate). The comparison allows the estimate on top of the rounding tolerance.

A layer with a kink (relu, leaky_relu) is not differentiable where some z = 0. If a step changes
the sign of any z in such a layer (it would straddle a kink), the step is halved too; after 20
halvings an error is raised: a finite difference across a kink is not a derivative.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproof.manual.network import Network

from .records import activation_record, loss_record
from .tolerances import fd_step

_MAX_HALVINGS = 20


@dataclass
class FiniteDifferences:
    """Central differences of the cost for the W[l] and b[l] entries (float64), layer l at index l-1,
    the estimated truncation error of each, and which entries were differenced (`*_checked`: all of
    them unless a tensor has more than `max_entries`; the others are NaN)."""

    dW: list[np.ndarray]
    db: list[np.ndarray]
    dW_truncation: list[np.ndarray]
    db_truncation: list[np.ndarray]
    dW_checked: list[np.ndarray]
    db_checked: list[np.ndarray]

    @property
    def entries(self) -> tuple[int, int]:
        """(entries differenced, entries in all): what the oracle checked."""
        masks = self.dW_checked + self.db_checked
        return sum(int(m.sum()) for m in masks), sum(m.size for m in masks)


def sampled(shape: tuple, max_entries: int | None) -> np.ndarray:
    """Which entries of a tensor of this shape are differenced: all, or `max_entries` of them chosen by
    a generator seeded by the size (the same ones on every run), the first and last among them."""
    mask = np.zeros(shape, bool)
    size = int(np.prod(shape))
    if max_entries is None or size <= max_entries:
        mask[...] = True
        return mask
    flat = mask.reshape(-1)
    flat[np.random.default_rng(size).choice(size, max_entries, replace=False)] = True
    flat[[0, -1]] = True
    return mask


def finite_difference_gradients(net: Network, x: np.ndarray, y: np.ndarray,
                                max_entries: int | None = None) -> FiniteDifferences:
    """∂C/∂W[l] and ∂C/∂b[l] by central differences, with their truncation-error estimates; with
    `max_entries`, of at most that many entries of each tensor (`sampled`): each entry costs one
    forward pass of six stacked copies (θ ± h, ± 2h, ± 4h) from its own layer up, and one of two
    copies for each halving of h."""
    x, y = (v.astype(np.float64) for v in net.check_xy(x, y))
    W, b = [Wl.astype(np.float64) for Wl in net.W], [bl.astype(np.float64) for bl in net.b]
    forms = _forms(net)
    inputs, pattern0 = _at_theta(forms, W, b, x)   # a step in layer l starts at its input a[l-1]
    layer_of = {id(p): l for l, p in enumerate(W)} | {id(p): l for l, p in enumerate(b)}
    h0 = fd_step(np.float64)

    def centrals(param: np.ndarray, idx, theta, hs) -> list[float | None]:
        """(C(θ+h) − C(θ−h)) / (2h) for each h, or None where a step changes a relu sign: the
        2·len(hs) costs in one forward pass of stacked copies of the network (`_costs`)."""
        start = layer_of[id(param)]
        steps = [param.dtype.type(theta + s * h) for h in hs for s in (1, -1)]
        costs = _costs(net, forms, W, b, inputs[start], y, start, param, idx, steps)
        out = []
        for k in range(len(hs)):
            (c_plus, p_plus), (c_minus, p_minus) = costs[2 * k], costs[2 * k + 1]
            same = _same(pattern0[start:], p_plus) and _same(pattern0[start:], p_minus)
            out.append((c_plus - c_minus) / (float(steps[2 * k]) - float(steps[2 * k + 1])) if same else None)
        return out

    def derivative(param: np.ndarray, idx) -> tuple[float, float]:
        """D(h) and its truncation estimate |D(2h) − D(h)| / 3, at the first h (halving from the
        default) where that estimate is valid: no relu kink within 4h, and D(4h) − D(2h) between 2 and
        8 times D(2h) − D(h), as when the h² term dominates. Where no h is (rounding dominates before
        the h² term does, as with a gradient of 400 from weights near 100), the kink-free h with the
        least spread is used, with the spread itself, max(|D(2h) − D(h)|, |D(4h) − D(2h)|), as the estimate."""
        theta = param[idx]
        h = h0 * max(1.0, abs(float(theta)))
        d = dict(zip((1, 2, 4), centrals(param, idx, theta, (h, 2 * h, 4 * h))))
        best = None
        for _ in range(_MAX_HALVINGS):
            if None not in d.values():
                near, far = abs(d[2] - d[1]), abs(d[4] - d[2])
                if 2 * near <= far <= 8 * near:
                    return d[1], near / 3
                if best is None or max(near, far) < best[1]:
                    best = (d[1], max(near, far))
                if far < 2 * near:  # rounding already dominates: a smaller h only makes it worse
                    break
            h /= 2
            if param.dtype.type(theta + h) == theta:  # the step is below the dtype's resolution
                break
            d = {1: centrals(param, idx, theta, (h,))[0], 2: d[1], 4: d[2]}
        if best is None:
            raise ValueError(f"finite differences: every step down to h={h:.3g} crosses a relu kink here")
        return best

    out = {}
    for name, params in (("dW", W), ("db", b)):
        masks = [sampled(p.shape, max_entries) for p in params]
        values = [np.full(p.shape, np.nan) for p in params]
        errors = [np.full(p.shape, np.nan) for p in params]
        for p, mask, value, error in zip(params, masks, values, errors):
            for i in zip(*np.nonzero(mask)):
                value[i], error[i] = derivative(p, i)
        out[name], out[name + "_truncation"], out[name + "_checked"] = values, errors, masks
    return FiniteDifferences(**out)


def _forms(net: Network) -> list[tuple]:
    """Each layer's activation as (its records' NumPy form with its parameters bound, whether it
    has a kink), looked up once for the thousands of forward passes of one network."""
    out = []
    for f in net.activations:
        record = activation_record(f)
        out.append((lambda z, fn=record.numpy, p=record.params(f): fn(z, *p), f.kink))
    return out


def _at_theta(forms: list, W: list, b: list, x) -> tuple[list[np.ndarray], list]:
    """The forward pass at the parameters W, b: a[l-1], the input of each layer l (index l-1), and
    the sign of z[l] in each layer with a kink (None in the others). A step in layer l's parameters
    leaves every layer below it as it was, so its forward pass starts from a[l-1]; a step that
    changes a sign from here crosses a kink."""
    a, inputs, pattern = x, [], []
    for Wl, bl, (f, kink) in zip(W, b, forms):
        inputs.append(a)
        z = a @ Wl.T + bl
        a = f(z)
        pattern.append(z > 0 if kink else None)
    return inputs, pattern


def _costs(net: Network, forms: list, W: list, b: list, a, y, start: int, param: np.ndarray, idx,
           values: list) -> list[tuple[float, list]]:
    """The cost, from a forward pass of our own (the records' NumPy forms) starting at layer
    start + 1 (index `start`) with input `a`, with one entry of `param` (a weight or bias of that
    layer) set to each of `values`, as one pass: the copies of that layer are stacked, and every
    copy's batch goes through the layers above it as one batch. (cost, the kink signs of each layer
    from there on, as `_at_theta` gives them) for each value."""
    k, n = len(values), a.shape[0]
    Wl, bl = W[start], b[start]
    if param is Wl:
        stacked = np.repeat(Wl[None], k, axis=0)
        stacked[(slice(None), *idx)] = values
        z = np.matmul(a, stacked.transpose(0, 2, 1)) + bl
    else:
        stacked = np.repeat(bl[None], k, axis=0)
        stacked[(slice(None), *idx)] = values
        z = (a @ Wl.T)[None] + stacked[:, None, :]
    z = z.reshape(k * n, -1)
    patterns = []
    for layer, (f, kink) in enumerate(forms[start:]):
        if layer:
            z = a @ W[start + layer].T + b[start + layer]
        a = f(z)
        patterns.append(z.reshape(k, n, -1) > 0 if kink else None)
    per_example = loss_record(net.loss).numpy(z, a, np.tile(y, (k, 1))).reshape(k, n)
    costs = per_example.sum(axis=1) if net.reduction == "sum" else per_example.sum(axis=1) / n
    if net.l2:   # (λ/2)·Σ‖θ‖² at θ, with the stepped entry's square swapped for each value's
        params = W + (b if net.l2_biases else [])
        total, theta = sum(float((p * p).sum()) for p in params), float(param[idx])
        stepped = any(p is param for p in params)
        costs = [c + net.l2 / 2 * (total - theta * theta + float(v) ** 2 if stepped else total)
                 for c, v in zip(costs, values)]
    return [(float(c), [p if p is None else p[i] for p in patterns]) for i, c in enumerate(costs)]


def _same(p, q) -> bool:
    return len(p) == len(q) and all(u is v or np.array_equal(u, v) for u, v in zip(p, q))
