"""A learner's network, written the way many are: weights (in, out), z = a @ W + b, examples in rows,
a sigmoid on every layer and the cost ½·Σ(a − y)². `backproof check-code docs/examples/my_net.py`
checks its backprop as it is (README.md, docs/tutorial.md section 7)."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backprop(W, b, x, y):
    """Gradients of ½·Σ(a − y)² summed over the batch, for W[l] (in, out) and b[l] (out,)."""
    zs, acts = [], [x]
    for Wl, bl in zip(W, b):
        zs.append(acts[-1] @ Wl + bl)
        acts.append(sigmoid(zs[-1]))
    s = sigmoid(zs[-1])
    delta = (acts[-1] - y) * s * (1 - s)
    dW, db = [None] * len(W), [None] * len(W)
    for l in reversed(range(len(W))):
        dW[l] = acts[l].T @ delta
        db[l] = delta.sum(axis=0)
        if l:
            s = sigmoid(zs[l - 1])
            delta = (delta @ W[l].T) * s * (1 - s)
    return dW, db


if __name__ == "__main__":      # not run when checked: check-code loads the file as an import would
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((2, 3)), rng.standard_normal((3, 1))]
    b = [np.zeros(3), np.zeros(1)]
    X, Y = rng.standard_normal((4, 2)), rng.uniform(size=(4, 1))
    for step in range(1000):
        dW, db = backprop(W, b, X, Y)
        W = [w - 0.5 * g for w, g in zip(W, dW)]
        b = [v - 0.5 * g for v, g in zip(b, db)]
