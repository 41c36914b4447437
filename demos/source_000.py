"""Source 000 (000_e3f92e39479a69c3.txt): a multi-layer network in the δ_k / δ_j notation, with
the constructor intent of the source's class (number of inputs, number of hidden layers, nodes
per hidden layer) but separate input and output widths and a bias per unit.

The source's notation: a_j = g(z_j); w_{j,k} joins node j of one layer to node k of the next;
t_k is the target of output node k. Its equations, which are right in that notation:
    output layer   δ_k = (a_k − t_k) g′(z_k),       ∂E/∂w_{j,k} = δ_k a_j
    hidden layer   δ_j = g′(z_j) Σ_k δ_k w_{j,k}
Here `weights[l][j, k]` is w_{j,k} between layer l and layer l+1, so it has shape
(nodes in layer l, nodes in layer l+1): the TRANSPOSE of backproof's W[l+1]. The loops below are
written out per node so they read like the equations; each is one backward pass, with every δ
computed from the weights BEFORE any weight changes.

Why the source's class cannot run, and what its loops do (each is shown in tests/demos/test_sources.py):
  * `np.ones(n_layers, n_nodes)` passes n_nodes as the dtype (TypeError);
  * `np.random.rand((a, b, c))` wants the sizes as separate arguments (TypeError);
  * `self.layers`, `self.a_hidden` and `self.c_input` are never created (AttributeError);
  * `sigmoid` and `derivative_sigmoid` have no `self` parameter, `derivative_sigmoid` uses `self`,
    and the backward pass calls it unqualified (NameError); `xrange` is Python 2 only;
  * one `n_nodes` for every layer leaves no room for 2 inputs (+1 bias) and 1 output;
  * the demo passes the whole pattern table to `runNN` and takes pat[1] (a pattern) as targets;
  * the backward loop `range(n_layers, -1)` is empty: it counts up from n_layers to −1, so no
    hidden layer is ever visited (it should count down, n_layers − 2, ..., 1);
  * the output weights are updated before the hidden δs that need them are computed, and inside
    the loop each weight is updated before the next δ uses it;
  * δ starts at ones and is accumulated with `+=` (over an extra loop index i as well), so every δ
    adds onto stale values, and it reads δ of the same layer instead of the next one;
  * `delta * a_prev` is an elementwise (broadcast) product; the weight gradient is the outer
    product of the previous layer's activations with the δs.
"""
from __future__ import annotations

import numpy as np

from backproof.manual.checks import check_int, check_seed
from backproof.manual.activations import sigmoid, sigmoid_prime

NAND_PATTERNS = [([0, 0], [1]), ([0, 1], [1]), ([1, 0], [1]), ([1, 1], [0])]  # the source's table


class MultiLayerNet:
    """n_inputs → n_hidden_layers × n_nodes → n_outputs, sigmoid everywhere, E = ½ Σ_k (a_k − t_k)²."""

    def __init__(self, n_inputs: int, n_hidden_layers: int, n_nodes: int, n_outputs: int = 1, seed: int = 0):
        for name, v, least in (("n_inputs", n_inputs, 1), ("n_hidden_layers", n_hidden_layers, 0),
                               ("n_nodes", n_nodes, 1), ("n_outputs", n_outputs, 1)):
            check_int(name, v, low=least)
        self.sizes = [n_inputs] + [n_nodes] * n_hidden_layers + [n_outputs]
        rng = np.random.default_rng(check_seed("seed", seed))
        self.weights = [rng.uniform(-1, 1, (m, n)) for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [rng.uniform(-1, 1, n) for n in self.sizes[1:]]

    def forward(self, x):
        """z and a of every layer for ONE input pattern x (a[0] = x)."""
        a, zs = [np.asarray(x, dtype=np.float64)], []
        if a[0].shape != (self.sizes[0],):
            raise ValueError(f"x: expected {self.sizes[0]} inputs, got shape {a[0].shape}")
        for w, b in zip(self.weights, self.biases):
            zs.append(np.array([sum(a[-1][j] * w[j, k] for j in range(w.shape[0])) + b[k]
                                for k in range(w.shape[1])]))
            a.append(sigmoid(zs[-1]))
        return zs, a

    def gradients(self, x, t):
        """(E, ∂E/∂weights, ∂E/∂biases, δ of every layer) for one pattern, by the δ_k/δ_j equations."""
        zs, a = self.forward(x)
        t = np.asarray(t, dtype=np.float64)
        if t.shape != (self.sizes[-1],):
            raise ValueError(f"t: expected {self.sizes[-1]} targets, got shape {t.shape}")
        g_prime = [sigmoid_prime(z) for z in zs]   # g′(z) of every node
        deltas = [None] * len(self.weights)
        # output layer: δ_k = (a_k − t_k) g′(z_k)
        deltas[-1] = np.array([(a[-1][k] - t[k]) * g_prime[-1][k] for k in range(len(t))])
        # hidden layers, last to first: δ_j = g′(z_j) Σ_k δ_k w_{j,k}  (w joining j to the next layer's k)
        for l in range(len(self.weights) - 2, -1, -1):
            w, nxt = self.weights[l + 1], deltas[l + 1]
            deltas[l] = np.array([g_prime[l][j] * sum(nxt[k] * w[j, k] for k in range(len(nxt)))
                                  for j in range(w.shape[0])])
        # ∂E/∂w_{j,k} = δ_k a_j  (an outer product), ∂E/∂b_k = δ_k
        dw = [np.outer(a[l], deltas[l]) for l in range(len(self.weights))]
        error = 0.5 * float(((a[-1] - t) ** 2).sum())
        return error, dw, [d.copy() for d in deltas], deltas

    def train(self, patterns=NAND_PATTERNS, eta: float = 0.5, epochs: int = 2000) -> list[float]:
        """Online gradient descent, one pattern at a time; the total error after each epoch."""
        history = []
        for _ in range(epochs):
            for x, t in patterns:
                _, dw, db, _ = self.gradients(x, t)
                for l in range(len(self.weights)):  # every gradient first, then every update
                    self.weights[l] -= eta * dw[l]
                    self.biases[l] -= eta * db[l]
            history.append(sum(self.gradients(x, t)[0] for x, t in patterns))
        return history

    def predict(self, x) -> np.ndarray:
        return self.forward(x)[1][-1]
