"""Source 003 (003_71f0d10156e0c4aa.txt): the 2-2-2 sigmoid network with one shared bias per
layer, and the step-by-step example it follows (Matt Mazur, "A Step by Step Backpropagation
Example"), computed with backproof's Network so every number comes from BP1–BP4.

The example: inputs 0.05, 0.10; hidden weights w1..w4 = 0.15, 0.20, 0.25, 0.30 with shared bias
b1 = 0.35; output weights w5..w8 = 0.40, 0.45, 0.50, 0.55 with shared bias b2 = 0.60; targets
0.01, 0.99; E_total = ½ Σ (target − out)²; learning rate 0.5. Weight w1 joins input 1 to hidden 1,
w2 input 2 to hidden 1, w3 input 1 to hidden 2, w4 input 2 to hidden 2, and likewise w5..w8 from
the hidden units to the outputs, so in our layout W[1] = [[w1, w2], [w3, w4]].

A shared bias is one parameter used by every unit of its layer, so its gradient is the SUM of the
per-unit bias gradients (BP3 summed over the layer): ∂E/∂b2 = δ_o1 + δ_o2.
"""
from __future__ import annotations

import numpy as np

from backproof.manual.network import Network

INPUTS = np.array([[0.05, 0.10]])
TARGETS = np.array([[0.01, 0.99]])
HIDDEN_WEIGHTS = np.array([[0.15, 0.20], [0.25, 0.30]])   # w1 w2 / w3 w4
OUTPUT_WEIGHTS = np.array([[0.40, 0.45], [0.50, 0.55]])   # w5 w6 / w7 w8
B1, B2 = 0.35, 0.60
LEARNING_RATE = 0.5

# The example's published figures (rounded as published), for comparison.
PUBLISHED = {
    "out_h1": 0.593269992, "out_h2": 0.596884378, "out_o1": 0.75136507, "out_o2": 0.772928465,
    "E_total": 0.298371109, "dE/dw5": 0.082167041, "dE/dw1": 0.000438568,
    "w5+": 0.35891648, "w6+": 0.408666186, "w7+": 0.511301270, "w8+": 0.561370121,
    "w1+": 0.149780716, "w2+": 0.19956143, "w3+": 0.24975114, "w4+": 0.29950229,
}


def network() -> Network:
    """The 2-2-2 example network: sigmoid layers, ½·SSE summed (one example)."""
    return Network([HIDDEN_WEIGHTS.copy(), OUTPUT_WEIGHTS.copy()], [np.full(2, B1), np.full(2, B2)],
                   "sigmoid", loss="half_sse", reduction="sum")


def worked_example() -> dict[str, float]:
    """Every quantity of the example: activations, error, each weight's gradient, each updated
    weight (weights updated with the gradients of the ORIGINAL weights), and the two shared-bias
    gradients."""
    net = network()
    cache = net.forward(INPUTS)
    grads = net.backward(cache, TARGETS)
    out = {"out_h1": cache.a[1][0, 0], "out_h2": cache.a[1][0, 1],
           "out_o1": cache.a[2][0, 0], "out_o2": cache.a[2][0, 1], "E_total": grads.cost}
    names = {1: ["w1", "w2", "w3", "w4"], 2: ["w5", "w6", "w7", "w8"]}
    for l, W, dW in ((1, net.W[0], grads.dW[0]), (2, net.W[1], grads.dW[1])):
        for name, w, g in zip(names[l], W.ravel(), dW.ravel()):
            out[f"dE/d{name}"] = g
            out[f"{name}+"] = w - LEARNING_RATE * g
    out["dE/db1"] = grads.db[0].sum()   # shared bias: the sum over the layer's units
    out["dE/db2"] = grads.db[1].sum()
    return {k: float(v) for k, v in out.items()}
