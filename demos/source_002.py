"""Source 002 (002_a816c5a7591002f0.txt): BP1–BP4 and a mini-batch network with the batch in
COLUMNS (x is (features, batch)), written here in Python 3.

The source's equations are BP1–BP4 as in derivations/backprop.md, with one notational slip: BP1
is written with Δ_a C where the gradient ∇_a C is meant. Its network sums the per-example
gradients over the mini-batch (no 1/m) and steps w ← w − η Σ_batch ∂C_x/∂w, so the reduction is
"sum" and η = 0.1 with batches of 50 is a step of 5 per mean gradient. Its MNIST run: sizes
[784, 30, 30, 10], 20 epochs, batch 50, η = 0.1, test accuracy 0.9451 after epoch 20 (a default
SVM: 0.9446). The same recipe is `backproof train mnist --mnist-dir DIR` (demos/recipes.py), and
offline `backproof train digits` on scikit-learn's bundled 8×8 digits ([64, 30, 30, 10]).
"""
from __future__ import annotations

import numpy as np

from backproof.manual.activations import sigmoid, sigmoid_prime


def column_gradients(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, Y: np.ndarray):
    """∂C/∂w and ∂C/∂b for C = ½ Σ_examples ||a^L − y||², with X (n_0, m) and Y (n_L, m) holding one
    example per COLUMN and biases as (n_l, 1) columns (the source's layout)."""
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X, Y: expected (features, m) and (outputs, m) with the same m, got {X.shape}, {Y.shape}")
    a, zs, activations = X, [], [X]
    for w, b in zip(weights, biases):
        zs.append(w @ a + b)                                      # b broadcast along the batch, on purpose
        a = sigmoid(zs[-1])
        activations.append(a)
    delta = (activations[-1] - Y) * sigmoid_prime(zs[-1])         # BP1 (column per example)
    deltas = [delta]
    for w, z in zip(weights[:0:-1], zs[-2::-1]):
        delta = (w.T @ delta) * sigmoid_prime(z)                  # BP2: (w^{l+1})ᵀ δ^{l+1} ⊙ σ′(z^l)
        deltas.append(delta)
    deltas.reverse()
    dW = [d @ a_prev.T for d, a_prev in zip(deltas, activations[:-1])]  # BP4 summed over the batch
    db = [d.sum(axis=1, keepdims=True) for d in deltas]                 # BP3 summed over the batch
    return dW, db
