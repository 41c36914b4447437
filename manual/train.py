"""Plain mini-batch stochastic gradient descent: W[l] ← W[l] − lr·∂C/∂W[l], b[l] ← b[l] − lr·∂C/∂b[l]."""
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
    does not). `lr` is the learning rate η. `on_epoch(epoch, cost)` is called after each epoch
    (for progress reporting).
    """
    x, y = net.check_xy(x, y)
    epochs, batch_size = check_int("epochs", epochs, low=1), check_int("batch_size", batch_size, low=1)
    lr = net.dtype.type(check_real("lr", lr, low=0, open_low=True))
    rng = np.random.default_rng(check_seed("seed", seed))
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            try:
                train_step(net, x[batch], y[batch], lr)
            except FloatingPointError as e:
                raise FloatingPointError(f"sgd, epoch {epoch + 1}, mini-batch {start // batch_size + 1}: {e}") from None
        history.append(float(cost(net, feedforward(net, x), y)))
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
    return history


def train_step(net: Network, x: np.ndarray, y: np.ndarray, lr) -> None:
    """One forward pass, one backward pass and one update of every layer, in place:
    W[l] ← W[l] − lr·∂C/∂W[l], b[l] ← b[l] − lr·∂C/∂b[l], every lr·∂C/∂θ finite before anything moves.

    x and y must already be checked (`net.check_xy`; `sgd` does it once for the whole data set),
    and `lr` should be a positive scalar of the network's dtype. The cost is not computed.
    """
    grads = backpropagate(net, feedforward(net, x), y)
    with np.errstate(over="ignore"):  # lr > 0 is finite: lr·inf is inf, never the "invalid" inf·0
        for l, (dW, db) in enumerate(zip(grads.dW, grads.db), start=1):
            dW *= lr  # the step's own arrays, scaled in place
            db *= lr
            check_finite_result(f"lr·dC/dW[{l}]", dW)
            check_finite_result(f"lr·dC/db[{l}]", db)
    for Wl, bl, dW, db in zip(net.W, net.b, grads.dW, grads.db):
        Wl -= dW
        bl -= db
