"""Plain mini-batch stochastic gradient descent: W[l] ← W[l] − η ∂C/∂W[l], b[l] ← b[l] − η ∂C/∂b[l]."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .checks import check_finite_result, check_int, check_real, check_seed
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
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            try:
                train_step(net, x[batch], y[batch], eta)
            except FloatingPointError as e:
                raise FloatingPointError(f"sgd, epoch {epoch + 1}, mini-batch {start // batch_size + 1}: {e}") from None
        history.append(float(cost(net, feedforward(net, x), y)))
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
    return history


def train_step(net: Network, x: np.ndarray, y: np.ndarray, eta) -> None:
    """One forward pass, one backward pass and one update of every layer, in place.

    x and y must already be checked (`net.check_xy`; `sgd` does it once for the whole data set),
    and `eta` should be a scalar of the network's dtype.
    """
    grads = backpropagate(net, feedforward(net, x), y, with_cost=False)
    for l, (Wl, bl, dW, db) in enumerate(zip(net.W, net.b, grads.dW, grads.db), start=1):
        with np.errstate(over="ignore", invalid="ignore"):
            dW *= eta  # dW and db are fresh arrays: scale them in place, no temporaries
            db *= eta
        check_finite_result(f"lr·dC/dW[{l}]", dW)  # checked before the update, so the network stays finite
        check_finite_result(f"lr·dC/db[{l}]", db)
        Wl -= dW
        bl -= db
