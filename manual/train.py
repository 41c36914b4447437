"""Plain mini-batch stochastic gradient descent: W[l] ← W[l] − lr·∂C/∂W[l], b[l] ← b[l] − lr·∂C/∂b[l]."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .checks import check_finite_result, check_int, check_real, check_seed
from .network import (Network, backpropagate, backpropagate_errors, bp3_bias_grad, bp4_weight_grad, cost, feedforward,
                      l2_grad)


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

    BP3 and BP4 are linear in delta, so they are applied to lr·delta[l] (a batch-sized array) rather
    than scaling ∂C/∂W[l] (at width 1024 an 8 MB array per layer) by lr afterwards: one pass over
    it fewer. The L2 term's λ·W[l] is the factor 1 − lr·λ on W[l]. That every lr·∂C/∂W[l] is
    finite is shown before the update by a bound (`weight_step_is_finite`), not by a pass over it;
    where the bound cannot show it, the step computes every ∂C/∂θ in full and names the first
    lr·∂C/∂θ that is not finite (`_train_step_checked`).
    """
    cache = feedforward(net, x)
    l2 = net.dtype.type(net.l2)
    with np.errstate(over="ignore"):   # an overflow here is caught below: the step is then checked in full
        steps = [lr * d for d in backpropagate_errors(net, cache, y)]                  # lr·delta[l]
        bias_steps = [bp3_bias_grad(s) + (lr * l2_grad(bl, l2) if net.l2_biases else 0)  # lr·∂C/∂b[l]
                      for s, bl in zip(steps, net.b)]
    if not all(weight_step_is_finite(s, a, lr * l2, Wl) for s, a, Wl in zip(steps, cache.a, net.W)) \
            or not all(np.isfinite(db).all() for db in bias_steps):
        return _train_step_checked(net, cache, y, lr)
    for Wl, bl, s, a, db in zip(net.W, net.b, steps, cache.a, bias_steps):
        if net.l2:
            Wl *= 1 - lr * l2
        Wl -= bp4_weight_grad(s, a)   # lr·delta[l].T @ a[l-1]
        bl -= db


def weight_step_is_finite(step, a_prev, lr_l2, W) -> bool:
    """Whether every entry of lr·∂C/∂W[l] = step.T @ a_prev + lr·λ·W (step = lr·delta[l]) is shown
    finite, with every partial sum that computes it, without computing it.

    By Cauchy–Schwarz, |(step.T @ a_prev)_ij| = |Σ_n step_ni·a_nj| ≤ ‖step‖·‖a_prev‖ (Frobenius norms,
    one BLAS dot each), and so is every partial sum. That plus lr·λ·‖W‖, under a quarter of the
    dtype's largest number (room for the rounding of the norms and of the sums), shows every entry
    finite. A norm that is not finite (an entry nan or inf, or a square that overflows) shows
    nothing: False, and the step is checked in full."""
    with np.errstate(over="ignore"):   # a square that overflows is inf: the bound shows nothing then
        bound = float(_norm(step)) * float(_norm(a_prev))
        if lr_l2:
            bound += float(lr_l2) * float(_norm(W))
    return bool(np.isfinite(bound) and bound <= np.finfo(W.dtype).max / 4)


def _norm(v):
    """‖v‖, the Frobenius norm, as one BLAS dot (inf when a square overflows, nan when an entry is)."""
    flat = v.ravel()
    return np.sqrt(np.dot(flat, flat))


def _train_step_checked(net: Network, cache, y, lr) -> None:
    """The step with every ∂C/∂θ computed in full and checked (`train_step` when its bound cannot
    show the update finite): raises FloatingPointError naming the first delta[l], ∂C/∂θ or lr·∂C/∂θ
    that is not finite, before anything moves."""
    grads = backpropagate(net, cache, y)
    with np.errstate(over="ignore"):  # lr > 0 is finite: lr·inf is inf, never the "invalid" inf·0
        for l, (dW, db) in enumerate(zip(grads.dW, grads.db), start=1):
            dW *= lr  # the step's own arrays, scaled in place
            db *= lr
            check_finite_result(f"lr·dC/dW[{l}]", dW)
            check_finite_result(f"lr·dC/db[{l}]", db)
    for Wl, bl, dW, db in zip(net.W, net.b, grads.dW, grads.db):
        Wl -= dW
        bl -= db
