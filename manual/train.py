"""Plain mini-batch stochastic gradient descent: W[l] ← W[l] − η ∂C/∂W[l], b[l] ← b[l] − η ∂C/∂b[l]."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .checks import all_finite, check_finite_result, check_int, check_real, check_seed
from .network import Network, backpropagate, cost, feedforward


def sgd(net: Network, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, lr: float,
        seed: int | None = 0, on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `net` in place; return the cost over the whole (x, y) after each epoch.

    Each epoch shuffles the examples (seeded), splits them into mini-batches of `batch_size`
    (the last one may be smaller), and takes one gradient step per mini-batch with the
    network's own reduction (with "sum" the step grows with the batch size; with "mean" it
    does not). `on_epoch(epoch, cost)` is called after each epoch (for progress reporting).
    """
    x, y = net.check_xy(x, y)
    epochs, batch_size = check_int("epochs", epochs, low=1), check_int("batch_size", batch_size, low=1)
    eta = net.dtype.type(check_real("lr", lr, low=0, open_low=True))
    rng = np.random.default_rng(check_seed("seed", seed))
    history, buffers = [], {}
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            try:
                train_step(net, x[batch], y[batch], eta, buffers)
            except FloatingPointError as e:
                raise FloatingPointError(f"sgd, epoch {epoch + 1}, mini-batch {start // batch_size + 1}: {e}") from None
        history.append(float(cost(net, feedforward(net, x), y)))
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
    return history


def train_step(net: Network, x: np.ndarray, y: np.ndarray, eta, buffers: dict | None = None) -> None:
    """One forward pass, one backward pass and one update of every layer, in place:
    W[l] ← W[l] − η·∂C/∂W[l], b[l] ← b[l] − η·∂C/∂b[l], every η·∂C/∂θ finite before anything moves.

    x and y must already be checked (`net.check_xy`; `sgd` does it once for the whole data set),
    and `eta` should be a positive scalar of the network's dtype. `buffers` is a dict the step may
    keep its ∂C/∂W arrays in from one call to the next (`sgd` passes one per run): a large array
    that is allocated afresh every step costs its page faults every step.
    """
    cache = feedforward(net, x)
    grads = backpropagate(net, cache, y, with_cost=False, checked=False, dW_out=_dW_arrays(net, buffers))
    with np.errstate(over="ignore"):  # η > 0 is finite: η·inf is inf, never the "invalid" inf·0
        for dW, db in zip(grads.dW, grads.db):
            dW *= eta  # scaled in place: no temporaries
            db *= eta
    # η > 0, so η·dW finite ⇒ dW finite, and η·db = η Σ_n delta_n finite ⇒ delta finite: these checks
    # cover what backpropagate's would. On a failure the backward pass is run again with its checks, so the
    # error names the first quantity that is not finite, in the order of the equations.
    if not all(all_finite(g) for g in grads.dW + grads.db):
        grads = backpropagate(net, cache, y, with_cost=False)
        for l, (dW, db) in enumerate(zip(grads.dW, grads.db), start=1):
            with np.errstate(over="ignore"):
                check_finite_result(f"lr·dC/dW[{l}]", dW * eta)
                check_finite_result(f"lr·dC/db[{l}]", db * eta)
        raise AssertionError("train_step: a non-finite step that the checked pass did not find")  # pragma: no cover
    for Wl, bl, dW, db in zip(net.W, net.b, grads.dW, grads.db):
        Wl -= dW
        bl -= db


def _dW_arrays(net: Network, buffers: dict | None) -> list | None:
    """One array per layer, of W[l]'s shape and dtype, kept in `buffers` between calls (None: none)."""
    if buffers is None:
        return None
    arrays = buffers.get("dW")
    if arrays is None or [(a.shape, a.dtype) for a in arrays] != [(W.shape, W.dtype) for W in net.W]:
        arrays = buffers["dW"] = [np.empty_like(W) for W in net.W]
    return arrays
