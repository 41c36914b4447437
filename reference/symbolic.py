"""The symbolic oracle: exact derivatives of the whole network, with no δ recurrence anywhere.

The cost C is written as ONE exact expression of every weight W[l]_jk, bias b[l]_j, input x_nk and
target y_nk (SymEngine when installed, SymPy otherwise), and differentiated directly:
  * ∂C/∂W[l]_jk and ∂C/∂b[l]_j: `diff` of that one expression;
  * ∂C/∂z[l]_nj: the network from layer l on is rebuilt from fresh symbols Z[l]_nj in place of
    z[l], and that expression is differentiated with respect to them.
No BP1–BP4, no chain rule written by us: the derivative is the computer algebra system's.

The derivatives are then evaluated at the exact point: every float64 (or float32) number is a
dyadic rational and is entered exactly, and the expressions are evaluated with mpmath at
DIGITS = 50 significant digits, each distinct sub-expression once (`Evaluator`), so the results
are exact to far more digits than float64 carries.

relu and leaky_relu are exact only away from their kink: each unit's branch (z > 0 or z < 0) is
read off the point itself, and a z that is exactly 0 is an error. The expression is then the
function on a neighbourhood of the point, which is all a derivative depends on.
"""
from __future__ import annotations

import numpy as np

from backproof.manual.network import Gradients, Network

from .exact import DIGITS, Evaluator
from .records import activation_record, loss_record

try:
    import symengine as sym
    BACKEND = "symengine"
except ImportError:  # pragma: no cover - exercised only where symengine is not installed
    import sympy as sym
    BACKEND = "sympy"


def exact(v) -> "sym.Basic":
    """A float as the exact rational it is (binary floats are dyadic rationals)."""
    num, den = float(v).as_integer_ratio()
    return sym.Integer(num) if den == 1 else sym.Rational(num, den)


class SymbolicNetwork:
    """The network, the batch and the cost as exact expressions, with the point's values."""

    def __init__(self, net: Network, x: np.ndarray, y: np.ndarray, digits: int = DIGITS):
        net.check_xy(x, y)
        self.net, self.n = net, x.shape[0]
        self.W = [_matrix(f"W{l}", Wl.shape) for l, Wl in enumerate(net.W, 1)]
        self.b = [_matrix(f"b{l}", (1, bl.shape[0]))[0] for l, bl in enumerate(net.b, 1)]
        self.x, self.y = _matrix("x", x.shape), _matrix("y", y.shape)
        point = {}  # every symbol's exact value
        for symbols, values in [(self.x, x), (self.y, y)] + list(zip(self.W, net.W)):
            point.update(zip(_flat(symbols), map(exact, np.asarray(values).ravel())))
        for symbols, values in zip(self.b, net.b):
            point.update(zip(symbols, map(exact, values)))
        self.evaluator = Evaluator(point, digits)
        self.branches: list = [None] * len(net.W)  # relu branch of every unit, read off the point
        self.z_values: list = []                    # z[l] at the point (mpmath), for the Z[l] symbols
        self.cost = self._cost_from(0, self.x, None, record=True)

    # -- the expressions

    def _cost_from(self, l0: int, a: list, z: list | None, record: bool = False):
        """C as an expression of the layer-l0 input `a` (a[0] = x when l0 = 0; `z` made it, None for x)
        and the parameters."""
        for l in range(l0, len(self.net.W)):
            z = [[_dot(self.W[l][j], row) + self.b[l][j] for j in range(len(self.b[l]))] for row in a]
            if record:
                self.z_values.append([[self.evaluator(e) for e in row] for row in z])
                self.branches[l] = [[v > 0 for v in row] for row in self.z_values[-1]]
                _check_off_kinks(self.net.activations[l], self.z_values[-1], l + 1)
            a = self._activate(l, z)
        return self._loss(z, a)

    def _activate(self, l: int, z: list) -> list:
        """a[l] from z[l] with the activation's exact form (reference/records.py); a piecewise-linear
        one takes the slope of each unit's branch at the point."""
        act = self.net.activations[l]
        record = activation_record(act)
        params = record.params(act)
        if record.kink_slopes is not None:
            left, right = (exact(v) for v in record.kink_slopes(*params))
            return [[v * (right if up else left) for v, up in zip(row, ups)]
                    for row, ups in zip(z, self.branches[l])]
        if record.exact is None:
            raise ValueError(f"activation {act}: no exact form (reference/records.py), so no symbolic oracle")
        return [record.exact(sym, row, *params) for row in z]

    def _loss(self, z: list, a: list):
        """C from the last layer's z and a with the loss's exact form, reduced over the batch."""
        record = loss_record(self.net.loss)
        if record.exact is None:
            raise ValueError(f"loss {self.net.loss}: no exact form (reference/records.py), so no symbolic oracle")
        per_example = [record.exact(sym, zr, ar, yr) for zr, ar, yr in zip(z, a, self.y)]
        total = sum(per_example[1:], per_example[0])
        cost = total if self.net.reduction == "sum" else total / self.n
        if self.net.l2:   # (λ/2)·Σ‖W‖² (and the biases'), λ as the exact binary number it is
            params = [w for Wl in self.W for row in Wl for w in row]
            params += [v for bl in self.b for v in bl] if self.net.l2_biases else []
            cost += exact(self.net.l2) / 2 * sum((p ** 2 for p in params[1:]), params[0] ** 2)
        return cost

    # -- the derivatives

    def gradient_expressions(self) -> tuple[list, list, list]:
        """∂C/∂W[l], ∂C/∂b[l] (diff of the cost) and ∂C/∂z[l] (diff of the cost rebuilt from Z[l]),
        each as nested lists of expressions, layer l at index l-1."""
        dW = [[[self.cost.diff(w) for w in row] for row in Wl] for Wl in self.W]
        db = [[self.cost.diff(v) for v in bl] for bl in self.b]
        dz = []
        for l in range(len(self.net.W)):
            Z = _matrix(f"Z{l + 1}", (self.n, len(self.b[l])))
            self.evaluator.add_values(zip(_flat(Z), (v for row in self.z_values[l] for v in row)))
            cost_of_z = self._cost_from(l + 1, self._activate(l, Z), Z)
            dz.append([[cost_of_z.diff(s) for s in row] for row in Z])
        return dW, db, dz

    def values(self) -> Gradients:
        """C and every ∂C/∂z[l], ∂C/∂W[l], ∂C/∂b[l] at the point, evaluated to the evaluator's digits,
        as mpmath numbers (object arrays)."""
        dW, db, dz = self.gradient_expressions()
        tensors = dW + db + dz
        shapes = [(len(t), len(t[0])) if isinstance(t[0], list) else (len(t),) for t in tensors]
        flat = [self.cost] + [e for t in tensors for e in (_flat(t) if isinstance(t[0], list) else t)]
        values = iter([self.evaluator(e) for e in flat])   # the forward pass's nodes are in its memo
        cost = next(values)
        arrays = []
        for shape in shapes:
            arr = np.empty(int(np.prod(shape)), dtype=object)
            arr[:] = [next(values) for _ in range(arr.size)]
            arrays.append(arr.reshape(shape))
        L = len(self.net.W)
        return Gradients(cost, delta=arrays[2 * L:], dW=arrays[:L], db=arrays[L:2 * L])

    def gradients(self) -> Gradients:
        """The values, each rounded once to float64."""
        v = self.values()
        as_float = lambda arrays: [a.astype(np.float64) for a in arrays]  # noqa: E731
        return Gradients(np.float64(v.cost), as_float(v.delta), as_float(v.dW), as_float(v.db))


def symbolic_gradients(net: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The symbolic oracle in one call: C, delta[l] = ∂C/∂z[l], ∂C/∂W[l], ∂C/∂b[l] as float64."""
    return SymbolicNetwork(net, x, y).gradients()


def _matrix(name: str, shape: tuple) -> list:
    return [[sym.Symbol(f"{name}_{i}_{j}") for j in range(shape[1])] for i in range(shape[0])]


def _flat(rows) -> list:
    return [e for row in rows for e in row]


def _dot(ws: list, xs: list):
    terms = [w * v for w, v in zip(ws, xs)]
    return sum(terms[1:], terms[0])


def _check_off_kinks(act, z_values: list, layer: int) -> None:
    if act.kink and any(v == 0 for row in z_values for v in row):
        raise ValueError(f"layer {layer}: z = 0 exactly in a {act} layer; the derivative is not defined at a kink")
