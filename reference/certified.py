"""The certified oracle: every gradient enclosed in a ball whose radius is a proven error bound.

`certified_gradients(net, x, y)` returns `(mid, rad)`, two `Gradients`: for every entry of the cost,
delta[l] = ∂C/∂z[l], ∂C/∂W[l] and ∂C/∂b[l], `mid` is a float64 and `rad` a float64 with
|exact − mid| ≤ rad, proven: the computation runs in ball arithmetic (python-flint, the bindings of
FLINT/Arb), where every operation returns a ball `m ± r` that contains the exact result of the
operation on every point of its input balls, and every rounding is accounted for in r. The network's
parameters, inputs and targets enter as the exact binary numbers they are (a float64 or float32 is a
dyadic rational, and a ball of radius 0 holds it), and the final rounding of each midpoint to float64
is added to its radius, rounded up.

Shares no code with manual/. The derivatives of the activations and losses come from the ball
library's own arithmetic: each is written once, as its forward pass (reference/records.py, the
`exact` forms, with exp, log and tanh), and evaluated on truncated power series (`arb_series`):
f(z + t) = f(z) + f'(z) t + O(t²), so f'(z) is a coefficient the library computed, not a formula
written here. A row function (softmax) and the loss are differentiated the same way, one input at a
time.

Mode: reverse, over a small generic tape of four kinds of step (an affine layer, an elementwise
function, a row function, the loss), each with its vector-Jacobian product. Reverse because the
network has one output, the cost, and many inputs: its cost is a few times the forward pass,
whatever the number of parameters (forward mode would take one pass per parameter: 24,000 passes for
the MNIST network). The chain rule is the one thing this oracle shares with the code it judges; the
symbolic oracle (reference/symbolic.py) is the derivative built without it.

Kinks: in a relu or leaky_relu layer each z selects its branch; a z = 0 exactly (where the derivative
is not defined) is an error, and a ball that contains 0 without being 0 is computed again with more
bits until it does not.

Edges, each closed here rather than assumed: the series length this oracle needs (2: a value and
its derivative) is set for the computation, whatever flint's global `ctx.cap` is, and a series that
comes back shorter is refused (a cap of 1 elsewhere in the process would make every derivative
0 ± 0); a midpoint or radius beyond float64 is an error, never inf ± inf; a square is a product (the
records write it so: flint's general power is NaN on a ball that contains 0, as a squared-error
residual near 0 does); and tanh of a series is 1 − 2/(e^{2v} + 1) (or its mirror below 0), whose
derivative keeps a relative radius where tanh saturates (at z = 50, (e^{2v} − 1)/(e^{2v} + 1) gives a
derivative of 1.5e-43 ± 9e-38: no correct digit).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from flint import arb, arb_mat, arb_series, ctx

from backproof.manual.network import Gradients, Network

from .records import activation_record, loss_record

PREC = 128          # working bits; every radius stays a proven bound at any precision
MAX_PREC = 4096     # bits tried before a z in a kink layer is called 0
SERIES = 2          # the series length every derivative here needs: f(z + t) = f(z) + f'(z) t + O(t²)


class _Ball:
    """The namespace the records' exact forms are evaluated in: arb and arb_series alike."""

    @staticmethod
    def exp(v):
        return v.exp()

    @staticmethod
    def log(v):
        return v.log()

    @staticmethod
    def tanh(v):
        if isinstance(v, arb):
            return v.tanh()
        if v.coeffs()[0] >= 0:   # 1 − 2/(e^{2v} + 1): the derivative has no cancellation
            return 1 - 2 / ((2 * v).exp() + 1)
        return 2 / ((-2 * v).exp() + 1) - 1


@contextmanager
def _precision(bits: int):
    """The working precision, and the series length this oracle needs, for one computation; both
    as they were afterwards (flint's settings are global to the process)."""
    old, cap = ctx.prec, ctx.cap
    ctx.prec, ctx.cap = bits, max(cap, SERIES)
    try:
        yield
    finally:
        ctx.prec, ctx.cap = old, cap


def certified_gradients(net: Network, x: np.ndarray, y: np.ndarray, *, prec: int = PREC) -> tuple[Gradients, Gradients]:
    """(mid, rad): the cost and every delta[l], ∂C/∂W[l], ∂C/∂b[l] as float64 midpoints and float64
    radii with |exact − mid| ≤ rad for every entry, proven (see the module docstring). rad is the
    ball's own radius (about 2^-prec of the terms) plus the rounding of its midpoint to float64."""
    return _split(certified_balls(net, x, y, prec=prec))


def certified_balls(net: Network, x: np.ndarray, y: np.ndarray, *, prec: int = PREC) -> Gradients:
    """The same as balls (python-flint `arb`s): `cost` one ball, `delta` and `dW` an `arb_mat` per
    layer, `db` a list of balls per layer, each holding the exact value."""
    x, y = net.check_xy(x, y)
    bits = prec
    while True:
        with _precision(bits):
            try:
                return _Tape(net, x, y).gradients()
            except _Straddles as e:
                if bits >= MAX_PREC:
                    raise ValueError(str(e)) from None
                bits *= 4


class _Straddles(Exception):
    """A z in a kink layer whose ball contains 0: more bits, or (if exactly 0) an error."""


def _mat(a: np.ndarray) -> arb_mat:
    a = np.asarray(a, np.float64)
    return arb_mat(a.tolist() if a.ndim == 2 else [a.tolist()])


def _rows(m: arb_mat) -> list[list]:
    return m.tolist()


class _Tape:
    """The forward pass in balls, each step remembering what its vector-Jacobian product needs."""

    def __init__(self, net: Network, x, y):
        self.net, self.n = net, len(x)
        self.W = [_mat(Wl) for Wl in net.W]
        self.b = [[arb(float(v)) for v in bl] for bl in net.b]
        self.y = _rows(_mat(y))
        a, self.a, self.z, self.steps = _mat(x), [], [], []
        for l, (Wl, bl, act) in enumerate(zip(self.W, self.b, net.activations), start=1):
            self.a.append(a)
            z = a * Wl.transpose()
            z = arb_mat([[z[i, j] + bl[j] for j in range(z.ncols())] for i in range(z.nrows())])
            self.z.append(z)
            a, step = self._activate(l, act, z)
            self.steps.append(step)
        self.out = a

    def _activate(self, l: int, act, z: arb_mat):
        """a = f(z) in balls, and what the backward step needs: f'(z) per entry (elementwise), or each
        example's Jacobian (a row function), both from the library's series arithmetic."""
        record = activation_record(act)
        params = record.params(act)
        rows = _rows(z)
        if record.kink_slopes is not None:
            left, right = (arb(float(s)) for s in record.kink_slopes(*params))
            slopes = [[_branch(v, left, right, l) for v in row] for row in rows]
            return arb_mat([[v * s for v, s in zip(row, srow)] for row, srow in zip(rows, slopes)]), ("diag", slopes)
        if record.exact is None:
            raise ValueError(f"activation {act}: no exact form (reference/records.py), so no certified oracle")
        if record.elementwise:
            values, primes = [], []
            for row in rows:
                series = [_as_series(record.exact(_Ball, [arb_series([v, 1], prec=SERIES)], *params)[0]) for v in row]
                values.append([_coeff(c, 0) for c in series])
                primes.append([_coeff(c, 1) for c in series])
            return arb_mat(values), ("diag", primes)
        values = [record.exact(_Ball, row, *params) for row in rows]
        jacobians = [_jacobian(lambda r: record.exact(_Ball, r, *params), row) for row in rows]
        return arb_mat(values), ("rows", jacobians)

    def gradients(self) -> Gradients:
        """The cost, then the backward pass: the loss's gradient, then each step's vector-Jacobian
        product from the last layer down (delta[l] is what enters step l, before its layer)."""
        net, L = self.net, len(self.W)
        loss = loss_record(net.loss)
        if loss.exact is None:
            raise ValueError(f"loss {net.loss}: no exact form (reference/records.py), so no certified oracle")
        s = arb(1) if net.reduction == "sum" else 1 / arb(self.n)
        zL, aL = _rows(self.z[-1]), _rows(self.out)
        per_example = [loss.exact(_Ball, zr, ar, yr) for zr, ar, yr in zip(zL, aL, self.y)]
        cost = sum(per_example[1:], per_example[0]) * s
        l2 = arb(float(net.l2))
        if net.l2:   # (λ/2)·Σ‖W‖² (and the biases'), and λ·W in ∂C/∂W (λ·b in ∂C/∂b)
            squares = [v * v for Wl in self.W for row in _rows(Wl) for v in row]
            squares += [v * v for bl in self.b for v in bl] if net.l2_biases else []
            cost += l2 / 2 * sum(squares[1:], squares[0])
        fused = loss.output is not None   # computed from the logits z[L]: differentiate it in z
        grad = [[g * s for g in _gradient(lambda v, zr=zr, ar=ar, yr=yr: loss.exact(_Ball, v, ar, yr) if fused
                                          else loss.exact(_Ball, zr, v, yr), zr if fused else ar)]
                for zr, ar, yr in zip(zL, aL, self.y)]
        delta, dW, db = [None] * L, [None] * L, [None] * L
        for l in range(L - 1, -1, -1):
            if not (fused and l == L - 1):
                grad = _vjp(self.steps[l], grad)
            delta[l] = arb_mat(grad)
            dW[l] = delta[l].transpose() * self.a[l]
            db[l] = [sum((delta[l][i, j] for i in range(1, self.n)), delta[l][0, j]) for j in range(delta[l].ncols())]
            if net.l2:
                dW[l] = dW[l] + l2 * self.W[l]
                if net.l2_biases:
                    db[l] = [g + l2 * v for g, v in zip(db[l], self.b[l])]
            if l:
                grad = _rows(delta[l] * self.W[l])
        return Gradients(cost, delta, dW, db)


def _branch(v, left, right, layer: int):
    if v > 0:
        return right
    if v < 0:
        return left
    if v.is_exact() and v.is_zero():
        raise ValueError(f"layer {layer}: z = 0 exactly in a layer with a kink; the derivative is not "
                         "defined there")
    raise _Straddles(f"layer {layer}: a z too close to 0 to tell its side of the kink")


def _coeff(series, k: int):
    """The coefficient of t^k of a series (0 where the series ends before it, as a series whose
    higher terms vanish does), refused where the series is shorter than k + 1 terms: then its
    coefficient k was never computed, and 0 would be a wrong answer, not a small one."""
    if series.prec <= k:
        raise ValueError(f"certified oracle: a power series of length {series.prec} where {k + 1} terms are "
                         f"needed (flint's ctx.cap is {ctx.cap}); no derivative can be read from it")
    coeffs = series.coeffs()
    return coeffs[k] if len(coeffs) > k else arb(0)


def _gradient(fn, row: list) -> list:
    """∂fn/∂row_j for each j: fn evaluated with row_j a series z_j + t, the others constant."""
    out = []
    for j in range(len(row)):
        args = [arb_series([v, 1], prec=SERIES) if k == j else arb_series([v], prec=SERIES) for k, v in enumerate(row)]
        out.append(_coeff(_as_series(fn(args)), 1))
    return out


def _jacobian(fn, row: list) -> list:
    """J[i][j] = ∂fn(row)_i/∂row_j, a column j at a time."""
    columns = []
    for j in range(len(row)):
        args = [arb_series([v, 1], prec=SERIES) if k == j else arb_series([v], prec=SERIES) for k, v in enumerate(row)]
        columns.append([_coeff(_as_series(o), 1) for o in fn(args)])
    return [[columns[j][i] for j in range(len(row))] for i in range(len(row))]


def _as_series(v):
    return v if isinstance(v, arb_series) else arb_series([v], prec=SERIES)


def _vjp(step, grad: list) -> list:
    """grad (∂C/∂a, a row per example) through one activation step to ∂C/∂z."""
    kind, data = step
    if kind == "diag":
        return [[g * p for g, p in zip(grow, prow)] for grow, prow in zip(grad, data)]
    return [[sum((J[i][j] * grow[i] for i in range(1, len(grow))), J[0][j] * grow[0]) for j in range(len(grow))]
            for grow, J in zip(grad, data)]


# ----------------------------------------------------------------------------- balls to floats

def _split(g: Gradients) -> tuple[Gradients, Gradients]:
    def both(balls):
        pairs = [_mid_rad(b) for b in balls]
        return np.array([m for m, _ in pairs]), np.array([r for _, r in pairs])

    def arrays(mats):
        mids, rads = [], []
        for m in mats:
            entries = _rows(m) if isinstance(m, arb_mat) else [m]
            mid, rad = both([v for row in entries for v in row])
            shape = (m.nrows(), m.ncols()) if isinstance(m, arb_mat) else (len(m),)
            mids.append(mid.reshape(shape))
            rads.append(rad.reshape(shape))
        return mids, rads

    cost_mid, cost_rad = _mid_rad(g.cost)
    parts = {q: arrays(getattr(g, q)) for q in ("delta", "dW", "db")}
    mid = Gradients(np.float64(cost_mid), *(parts[q][0] for q in ("delta", "dW", "db")))
    rad = Gradients(np.float64(cost_rad), *(parts[q][1] for q in ("delta", "dW", "db")))
    return mid, rad


def _mid_rad(ball: arb) -> tuple[float, float]:
    """The ball's midpoint rounded to float64, and a float64 ≥ |exact − that midpoint| for every point
    of the ball: its radius plus the rounding, rounded up."""
    if not ball.is_finite():
        raise ValueError(f"certified oracle: a value is not finite ({ball})")
    m = float(ball.mid())
    if not np.isfinite(m):
        raise ValueError(f"certified oracle: a value beyond float64's range ({ball.mid().str(5, radius=False)}); "
                         "its enclosure cannot be written as two float64s")
    bound = (ball - arb(m)).abs_upper()     # an exact upper bound of |x − m| over the ball
    r = float(bound)
    if arb(r) < bound:
        r = float(np.nextafter(r, np.inf))
    if not np.isfinite(r):
        raise ValueError(f"certified oracle: a radius beyond float64's range around {m!r}; the enclosure "
                         "cannot be written as two float64s")
    return m, r
