"""Source 004 (004_17a4aeef49c46129.txt): gradient descent on f(x) = x⁴ − 3x³ + 2, and the
one-input NOT network whose cost surfaces compare the quadratic cost with cross-entropy.

Descent: from x = 4 with step 0.01, stopping when x moves less than 10⁻⁵ (the source's code; its
text first tries a step of 0.001). f′(x) = 4x³ − 9x² = x²(4x − 9), so the minimum is at x = 9/4.

The NOT network: a = σ(w₁·1 + w₂·x), a bias unit (constant input 1) with weight w₁ and the input x
with weight w₂, trained on x = 0 → 1, x = 1 → 0. Its two costs over the m = 2 examples:
    quadratic       C = (1/2m) Σ (a − y)²
    cross-entropy   C = −(1/m) Σ [y ln a + (1 − y) ln(1 − a)]
"""
from __future__ import annotations

import numpy as np

from backproof.manual.checks import check_real
from backproof.manual.activations import sigmoid

START, STEP, PRECISION = 4.0, 0.01, 1e-5
MINIMUM = 9 / 4
NOT_X = np.array([0.0, 1.0])
NOT_Y = np.array([1.0, 0.0])


def f(x):
    """f(x) = x⁴ − 3x³ + 2."""
    return x ** 4 - 3 * x ** 3 + 2


def f_prime(x):
    """f′(x) = 4x³ − 9x²."""
    return 4 * x ** 3 - 9 * x ** 2


def descent(x: float = START, step: float = STEP, precision: float = PRECISION,
            max_steps: int = 100_000) -> list[float]:
    """Every x visited by x ← x − step·f′(x) until |Δx| ≤ precision (or max_steps, an error)."""
    step, precision = (check_real(name, v, low=0, open_low=True) for name, v in (("step", step), ("precision", precision)))
    path = [float(x)]
    for _ in range(max_steps):
        with np.errstate(over="ignore", invalid="ignore"):
            new = path[-1] - step * f_prime(np.float64(path[-1]))
        if not np.isfinite(new):
            raise ValueError(f"descent diverged from x = {path[0]} with step {step}")
        path.append(float(new))
        if abs(path[-1] - path[-2]) <= precision:
            return path
    raise ValueError(f"descent did not settle within {max_steps} steps")


def not_output(w1, w2, x=NOT_X):
    """a = σ(w₁ + w₂·x) for each example (w1, w2 may be grids: the examples go on a new last axis)."""
    w1, w2 = np.asarray(w1)[..., None], np.asarray(w2)[..., None]
    return sigmoid(w1 + w2 * x)


def not_costs(w1, w2) -> tuple[np.ndarray, np.ndarray]:
    """(quadratic, cross-entropy) cost of the NOT network at (w1, w2); grids give surfaces."""
    from scipy.special import xlog1py, xlogy  # y ln a with 0 ln 0 = 0: a saturated output stays finite
    a, y, m = not_output(w1, w2), NOT_Y, len(NOT_Y)
    quadratic = ((a - y) ** 2).sum(axis=-1) / (2 * m)
    ce = -(xlogy(y, a) + xlog1py(1 - y, -a)).sum(axis=-1) / m   # +inf where saturated the wrong way
    return quadratic, ce


# ----------------------------------------------------------------------------- the XOR network

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0, 1, 1, 0]], dtype=np.float64).T


def xor_initial(seed: int = 0, n_in: int = 2, n_hidden: int = 3, n_out: int = 1):
    """θ1 of shape (n_in + 1, n_hidden) and θ2 of shape (n_hidden + 1, n_out): the last row of each
    holds the weights of the bias unit (a constant 1 appended to the layer's input), scaled as the
    source scales them (½·sqrt(6 / (fan_in + fan_out)) times a standard normal)."""
    rng = np.random.default_rng(seed)
    theta1 = 0.5 * np.sqrt(6 / (n_in + n_hidden)) * rng.standard_normal((n_in + 1, n_hidden))
    theta2 = 0.5 * np.sqrt(6 / (n_hidden + n_out)) * rng.standard_normal((n_hidden + 1, n_out))
    return theta1, theta2


def xor_gradients(theta1, theta2, x=XOR_X, y=XOR_Y):
    """(a3, ∂C/∂θ1, ∂C/∂θ2) for the mean cross-entropy over the batch, batch in rows, bias units
    appended as a last column of ones. The output δ is a − y (cross-entropy with a sigmoid output);
    the hidden δ is BP2 with the bias unit's column dropped (no δ flows back from a constant)."""
    m = len(x)
    a1 = np.hstack([x, np.ones((m, 1))])                   # (m, 3)
    a2 = np.hstack([sigmoid(a1 @ theta1), np.ones((m, 1))])  # (m, 4)
    a3 = sigmoid(a2 @ theta2)                              # (m, 1)
    delta3 = (a3 - y) / m
    delta2 = (delta3 @ theta2.T) * a2 * (1 - a2)           # (m, 4), last column: the bias unit
    return a3, a1.T @ delta2[:, :-1], a2.T @ delta3


def train_xor(seed: int = 0, lr: float = 0.1, epochs: int = 10_000):
    """The source's recipe: full-batch descent on the mean gradient, learning rate 0.1."""
    theta1, theta2 = xor_initial(seed)
    for _ in range(epochs):
        _, g1, g2 = xor_gradients(theta1, theta2)
        theta1, theta2 = theta1 - lr * g1, theta2 - lr * g2
    return theta1, theta2, xor_gradients(theta1, theta2)[0]
