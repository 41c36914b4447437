"""The central finite-difference oracle: ∂C/∂θ ≈ (C(θ + h) − C(θ − h)) / (2h) for every W and b entry.

It uses only the forward pass (in the parameters' own dtype) and never a derivative formula.
The step h = eps^(1/3)·max(1, |θ|) comes from the dtype (reference/tolerances.py); θ ± h are
rounded to the dtype first and the difference is divided by the distance actually stepped.

A relu-family layer is not differentiable where some z = 0. If a step changes the sign of any z
in such a layer (it would straddle a kink), the step is halved, up to 20 times, and then an
error is raised: a finite difference across a kink is not a derivative.
"""
from __future__ import annotations

import numpy as np

from manual.network import Network

from .tolerances import fd_step

_MAX_HALVINGS = 20


def finite_difference_gradients(net: Network, x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """(dW, db): central differences of the cost with respect to every W[l] and b[l] entry, float64."""
    x, y = net.check_xy(x, y)
    pattern0 = _evaluate(net, x, y)[1]
    h0 = fd_step(net.dtype)

    def derivative(param: np.ndarray, idx) -> float:
        theta = param[idx]
        h = h0 * max(1.0, abs(float(theta)))
        for _ in range(_MAX_HALVINGS):
            plus, minus = param.dtype.type(theta + h), param.dtype.type(theta - h)
            param[idx] = plus
            c_plus, p_plus = _evaluate(net, x, y)
            param[idx] = minus
            c_minus, p_minus = _evaluate(net, x, y)
            param[idx] = theta
            if _same(pattern0, p_plus) and _same(pattern0, p_minus):
                return (c_plus - c_minus) / (float(plus) - float(minus))
            h /= 2
        raise ValueError(f"finite differences: every step up to h={h:.3g} crosses a relu kink at this point")

    grads = []
    for params in (net.W, net.b):
        grads.append([np.array([derivative(p, i) for i in np.ndindex(p.shape)]).reshape(p.shape)
                      for p in params])
    return grads[0], grads[1]


def _evaluate(net: Network, x, y) -> tuple[float, list[np.ndarray]]:
    """One forward pass: the cost, and the sign of z in every relu-family layer."""
    cache = net._forward(x)
    pattern = [z > 0 for z, f in zip(cache.z, net.activations) if f.has_kink]
    return float(net._cost(cache, y)), pattern


def _same(p, q) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(p, q))
