"""Plain mini-batch stochastic gradient descent: W[l] ← W[l] − η ∂C/∂W[l], b[l] ← b[l] − η ∂C/∂b[l]."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .network import Network


def sgd(net: Network, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, lr: float,
        seed: int | None = 0, on_epoch: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `net` in place; return the cost over the whole (x, y) after each epoch.

    Each epoch shuffles the examples (seeded), splits them into mini-batches of `batch_size`
    (the last one may be smaller), and takes one gradient step per mini-batch with the
    network's own reduction (with "sum" the step grows with the batch size; with "mean" it
    does not). `on_epoch(epoch, cost)` is called after each epoch (for progress reporting).
    """
    x, y = net.check_xy(x, y)
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: expected a finite learning rate > 0, got {lr!r}")
    rng = np.random.default_rng(seed)
    eta = net.dtype.type(lr)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            train_step(net, x[batch], y[batch], eta)
        history.append(float(net._cost(net._forward(x), y)))
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
    return history


def train_step(net: Network, x: np.ndarray, y: np.ndarray, eta) -> None:
    """One forward pass, one backward pass and one update of every layer, in place.

    x and y must already be checked (`net.check_xy`; `sgd` does it once for the whole data set),
    and `eta` should be a scalar of the network's dtype.
    """
    grads = net._backward(net._forward(x), y)
    for Wl, bl, dW, db in zip(net.W, net.b, grads.dW, grads.db):
        dW *= eta  # dW and db are fresh arrays: scale them in place, no temporaries
        Wl -= dW
        db *= eta
        bl -= db
