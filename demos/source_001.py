"""Source 001 (001_c045de3d74f57060.txt): a 3-4-1 sigmoid network with no biases (the third input
column is a constant 1), trained on four rows with learning rate 1 for 1000 iterations from
NumPy's legacy RNG seeded with 1, cost C = ½ Σ (a − y)² summed over the batch.

What the source's working update is: with the batch in rows, z1 = x @ weight1 (weight1 is
(in, out) = (3, 4), the transpose of our W[1]) and

    weight2 += lr · a1ᵀ ((y − a2) ⊙ a2(1 − a2))

Since (y − a2) ⊙ σ′(z2) = −δ², the right side is −lr · a1ᵀ δ² = −lr · ∂C/∂weight2 (BP4 summed over
the batch): the working update IS gradient descent on ½·SSE, with the minus sign folded into
(y − a). The quantity the source names dC_dw2 is (y − a2) ⊙ σ′(z2) = −δ² (one row per example),
not the gradient ∂C/∂W (one entry per weight): the two happen to have the same shape here only
because there are 4 examples and 4 hidden units. Its `derv_sigmoid(a)` takes the ACTIVATION,
a(1 − a) = σ′(z); the comment's derv_sigmoid(z2) would be wrong.

`train` below takes the same steps with backproof's BP1–BP4 functions (W in (out, in) layout).
"""
from __future__ import annotations

import numpy as np

from backproof.manual.activations import get_activation, sigmoid
from backproof.manual.network import bp1_output_error, bp2_hidden_error, bp4_weight_grad, linear
from backproof.manual.losses import get_loss

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
Y = np.array([[0, 1, 1, 0]], dtype=np.float64).T
LEARNING_RATE, ITERATIONS, SEED = 1.0, 1000, 1
SIGMOID = get_activation("sigmoid")
NO_BIAS = [np.zeros(4), np.zeros(1)]


def initial_weights(seed: int = SEED) -> list[np.ndarray]:
    """The source's weights drawn the same way (legacy RandomState(seed): weight1 (3, 4), then
    weight2 (4, 1)), returned in backproof's (out, in) layout: W[1] (4, 3), W[2] (1, 4)."""
    rng = np.random.RandomState(seed)
    weight1, weight2 = rng.random_sample((3, 4)), rng.random_sample((4, 1))
    return [weight1.T.copy(), weight2.T.copy()]


def gradients(W: list[np.ndarray], x=X, y=Y):
    """(a2, δ1, δ2, ∂C/∂W[1], ∂C/∂W[2]) for C = ½ Σ (a2 − y)², no biases."""
    z1 = linear(x, W[0], NO_BIAS[0])
    a1 = sigmoid(z1)
    z2 = linear(a1, W[1], NO_BIAS[1])
    a2 = sigmoid(z2)
    delta2 = bp1_output_error(z2, a2, y, SIGMOID, get_loss("half_sse"), 1.0)
    delta1 = bp2_hidden_error(delta2, W[1], z1, SIGMOID)
    return a2, delta1, delta2, bp4_weight_grad(delta1, x), bp4_weight_grad(delta2, a1)


def train(iterations: int = ITERATIONS, lr: float = LEARNING_RATE, seed: int = SEED):
    """Plain gradient descent W ← W − lr ∂C/∂W; returns (W, the last forward pass's output)."""
    W = initial_weights(seed)
    for _ in range(iterations):
        a2, _, _, dW1, dW2 = gradients(W)
        W = [W[0] - lr * dW1, W[1] - lr * dW2]
    return W, a2
