"""One record per activation and per loss: everything the oracles know of each, side by side.

manual/ keeps its own hand-written f, f' and ∂C/∂a (the code under test) and nothing here is taken
from it. For each name manual/ ships, the oracle side keeps one record:

    torch    its forward on torch tensors, with torch's own functions: autograd differentiates it
    numpy    its forward in NumPy/SciPy, in the array's own dtype: finite differences step it
    exact    its forward written with + − × ÷, m.exp, m.log and m.tanh only (a square as a product: ball
             arithmetic's power is NaN on a ball that holds 0), m being a namespace: SymPy,
             SymEngine (the symbolic oracle, the derivation checker) or ball arithmetic (the
             certified oracle, whose own series arithmetic then differentiates it); None for a
             piecewise-linear activation, whose two slopes are `kink_slopes`
and its properties as data: elementwise or not, a kink at z = 0 (and the slopes either side), on
hidden layers or the output only, the least width it makes sense on, its parameters and the values
drawn for them, f' as a textbook writes it from a = f(z); for a loss, the output activation whose
logits it is computed from and the domain of its targets. `check_records_agree` is the one place
that compares them with manual/'s tables (a test calls it).

Your own activation or loss: `user_activation(fn)` for a function on torch tensors (e.g.
`def swish(z): return z * torch.sigmoid(z)`), `user_loss(fn)` for `(a, y) -> cost of each example`.
They get a record with a torch form only (NumPy goes through torch; there is no exact form, so no
exact oracle can arbitrate) and are judged with the error bound derived for an unknown function
(reference/autograd.py `gradient_magnitudes`: first-order, with f' and f'' from autograd of the
given f, and f' allowed to be computed from a = f(z) as torch itself may: expm1's derivative is
a + 1, off by eps where e^z is 1e-5).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from backproof.manual.activations import Activation, get_activation, leaky_relu
from backproof.manual.checks import describe_value
from backproof.manual.losses import Loss, get_loss



class _Lazy:
    """A module imported on first use: the derivation checker reads only the exact forms, and should
    not wait for torch and SciPy to load (two seconds of a warm `backproof derivations`)."""

    def __init__(self, name: str):
        self._name, self._module = name, None

    def __getattr__(self, attr):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


torch, F, special = _Lazy("torch"), _Lazy("torch.nn.functional"), _Lazy("scipy.special")
TARGET_DOMAINS = ("real", "unit", "simplex")
UNKNOWN_FUNCTION_BOUND = ("first-order bound for an unknown function (f' and f'' by autograd of the given "
                          "function, f' allowed to be computed from a = f(z) with sensitivity 1 + 2|a|; no "
                          "exact oracle, so float64 autograd's own rounding is allowed)")


@dataclass(frozen=True)
class ActivationRecord:
    name: str
    short: str                                   # the check table's column
    torch: Callable                              # (z, *params) -> a, torch tensors, batch in rows
    numpy: Callable                              # (z, *params) -> a, in z's dtype
    exact: Callable | None = None                # (m, row, *params) -> row of expressions
    elementwise: bool = True
    kink: bool = False                           # f' jumps at z = 0
    kink_slopes: Callable | None = None          # (*params) -> (slope for z < 0, slope for z > 0)
    hidden: bool = True                          # may be used on a hidden layer
    min_width: int = 1                           # softmax over one unit has gradient 0
    parameters: tuple = ()                       # names of the manual Activation's parameter fields
    drawn: tuple = ()                            # parameter tuples the strategies draw
    build: Callable | None = None                # (*params) -> manual's Activation with them
    prime_from_output: Callable | None = None    # (a, m) -> f' as textbooks write it from a = f(z)
    row_bounds: tuple | None = None              # not elementwise: (forward bound, vector-Jacobian bound)
    shipped: bool = True                         # False for a user's function

    def params(self, act: Activation) -> tuple:
        """The values of this record's parameters on a manual Activation (leaky_relu's slope)."""
        return tuple(getattr(act, p) for p in self.parameters)

    def activation(self, params: tuple = ()) -> Activation:
        """manual's Activation of this name, with these parameter values (the default ones if none)."""
        return self.build(*params) if params else get_activation(self.name)


@dataclass(frozen=True)
class LossRecord:
    name: str
    torch: Callable                              # (z, a, y) -> C_n for each example
    numpy: Callable
    exact: Callable | None = None                # (m, z_row, a_row, y_row) -> C_n
    output: str | None = None                    # computed from the logits of this output activation
    fused_delta: Callable | None = None          # with that output: (a, y) -> ∂C_n/∂z[L], as written
    on_output: Callable | None = None            # with that output: (a, y) -> C_n from a = f(z) (torch)
    targets: str = "real"                        # one of TARGET_DOMAINS
    separable: bool = False                      # C_n = Σ_k c(a_k, y_k): ∂C_n/∂a_k depends on a_k, y_k only
    shipped: bool = True
    squares: Callable | None = None              # C_n = squares(n_L)·Σ_k (a_k − y_k)²: such losses differ by a factor
    formula: str = ""                            # C_n as a reader writes it, for messages


def _rows(fn):
    """An elementwise scalar form as a form on a row."""
    return lambda m, row, *p: [fn(m, v, *p) for v in row]


def _softmax_forward_bound(absa, Zm):
    """Bound of a = softmax(z) given z's bound Zm: da_i = a_i (dz_i − Σ_k a_k dz_k), plus a's own rounding."""
    return absa * (1 + Zm + (absa * Zm).sum(axis=1, keepdims=True))


def _softmax_vjp_bound(g, G, p, dp):
    """Bound of J(z).T @ g, J_ij = a_i (1[i = j] − a_j), given g (its value), G (its bound), p = |a| and
    dp (a's bound beyond |a|): the product's bound M(J)·|g| + |J|·M(g), J's own bound moved by dp."""
    exact_J = G * p + p * (G * p).sum(axis=1, keepdims=True)
    moved_J = g * dp + p * (g * dp).sum(axis=1, keepdims=True) + dp * (g * p).sum(axis=1, keepdims=True)
    return exact_J + moved_J


def _torch_softplus(z):
    """log(1 + e^z). Not F.softplus alone: above its threshold (z > 20) it returns z itself, off by
    log1p(e^-z) ≈ 2e-9 at z = 20; not torch.logaddexp: its second derivative is NaN at z = -1e4.
    Above 20, z + e^-z (off by e^-2z/2); each branch is fed only the z it is used for, so the
    other's gradient never meets an overflow (torch.where would multiply it by 0: inf·0 = NaN)."""
    big = torch.clamp(z, min=20.0)
    return torch.where(z > 20, big + torch.exp(-big), F.softplus(torch.clamp(z, max=20.0)))


def _softmax_rows(z):
    """softmax over each row, in NumPy: e^(z − max) / Σ e^(z − max) (z finite). Written here rather
    than taken from SciPy, whose array-API dispatch costs 20 µs a call (160 µs for logsumexp), most
    of a finite-difference oracle's time on small networks."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _logsumexp_rows(z):
    """log Σ e^z over each row, as max + log Σ e^(z − max) (z finite), kept as a column."""
    top = z.max(axis=1, keepdims=True)
    return top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def _exact_softmax(m, row):
    e = [m.exp(v) for v in row]
    total = sum(e[1:], e[0])
    return [v / total for v in e]


def _exact_logsumexp(m, row):
    e = [m.exp(v) for v in row]
    return m.log(sum(e[1:], e[0]))


ACTIVATIONS: dict[str, ActivationRecord] = {r.name: r for r in (
    ActivationRecord("sigmoid", "sig", lambda z: torch.sigmoid(z), lambda z: special.expit(z),
                     exact=_rows(lambda m, v: 1 / (1 + m.exp(-v))),
                     prime_from_output=lambda a, m: a * (1 - a)),
    ActivationRecord("tanh", "tanh", lambda z: torch.tanh(z), np.tanh,
                     exact=_rows(lambda m, v: m.tanh(v)),
                     prime_from_output=lambda a, m: 1 - a * a),
    ActivationRecord("relu", "relu", lambda z: torch.relu(z), lambda z: np.where(z > 0, z, 0 * z),
                     kink=True, kink_slopes=lambda: (0, 1)),
    ActivationRecord("leaky_relu", "lrelu", lambda z, s: F.leaky_relu(z, negative_slope=s),
                     lambda z, s: np.where(z > 0, z, z * z.dtype.type(s)),
                     kink=True, kink_slopes=lambda s: (s, 1), parameters=("slope",),
                     drawn=((0.01,), (0.1,), (0.3,)), build=leaky_relu),
    ActivationRecord("identity", "id", lambda z: z, lambda z: z, exact=_rows(lambda m, v: v)),
    ActivationRecord("softplus", "sp", _torch_softplus, lambda z: np.logaddexp(0 * z, z),
                     exact=_rows(lambda m, v: m.log(1 + m.exp(v))),
                     prime_from_output=lambda a, m: -m.expm1(-a)),
    ActivationRecord("softmax", "smax", lambda z: torch.softmax(z, dim=1), _softmax_rows,
                     exact=_exact_softmax, elementwise=False, hidden=False, min_width=2,
                     row_bounds=(_softmax_forward_bound, _softmax_vjp_bound)),
)}

LOSSES: dict[str, LossRecord] = {r.name: r for r in (
    LossRecord("half_sse", lambda z, a, y: 0.5 * F.mse_loss(a, y, reduction="none").sum(dim=1),
               lambda z, a, y: 0.5 * ((a - y) ** 2).sum(axis=1),
               exact=lambda m, z, a, y: sum((u - t) * (u - t) for u, t in zip(a, y)) / 2, separable=True,
               squares=lambda K: 0.5, formula="½·Σ(a−y)²"),
    LossRecord("sse", lambda z, a, y: F.mse_loss(a, y, reduction="none").sum(dim=1),
               lambda z, a, y: ((a - y) ** 2).sum(axis=1),
               exact=lambda m, z, a, y: sum((u - t) * (u - t) for u, t in zip(a, y)), separable=True,
               squares=lambda K: 1.0, formula="Σ(a−y)²"),
    LossRecord("mse", lambda z, a, y: F.mse_loss(a, y, reduction="none").mean(dim=1),
               lambda z, a, y: ((a - y) ** 2).mean(axis=1),
               exact=lambda m, z, a, y: sum((u - t) * (u - t) for u, t in zip(a, y)) / len(a), separable=True,
               squares=lambda K: 1.0 / K, formula="the mean of (a−y)² over the output units"),
    LossRecord("bce", lambda z, a, y: F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1),
               lambda z, a, y: (np.logaddexp(0 * z, z) - y * z).sum(axis=1),
               exact=lambda m, z, a, y: sum(m.log(1 + m.exp(v)) - t * v for v, t in zip(z, y)),
               output="sigmoid", fused_delta=lambda a, y: a - y, targets="unit", separable=True,
               on_output=lambda a, y: -(y * torch.log(a) + (1 - y) * torch.log1p(-a)).sum(dim=1)),
    LossRecord("softmax_ce", lambda z, a, y: -(y * F.log_softmax(z, dim=1)).sum(dim=1),
               lambda z, a, y: (y * (_logsumexp_rows(z) - z)).sum(axis=1),
               exact=lambda m, z, a, y: sum(t * (_exact_logsumexp(m, z) - v) for v, t in zip(z, y)),
               output="softmax", fused_delta=lambda a, y: a - y, targets="simplex", separable=True,
               on_output=lambda a, y: -(y * torch.log(a)).sum(dim=1)),
)}


def activation_record(act: Activation) -> ActivationRecord:
    """The record of a manual Activation (or of a user's function wrapped by user_activation)."""
    return _record_of(act, ACTIVATIONS, "activation", "the function")


def loss_record(loss: Loss) -> LossRecord:
    """The record of a manual Loss (or of a user's loss wrapped by user_loss)."""
    return _record_of(loss, LOSSES, "loss", "the loss")


def _record_of(obj, table: dict, kind: str, what: str):
    own = getattr(obj, "record", None)
    if own is not None:
        return own
    if obj.name not in table:
        raise ValueError(f"{kind} {obj.name!r}: no oracle record; add one to reference/records.py "
                         f"(see docs/architecture.md), or pass {what} itself on torch tensors")
    return table[obj.name]


def check_records_agree() -> list[str]:
    """Every way manual/'s tables and the records differ (empty when they agree): the same names,
    and the same properties where both say something (elementwise, kink, parameter, pairing,
    targets)."""
    from backproof.manual.activations import ACTIVATIONS as MANUAL_ACTIVATIONS
    from backproof.manual.losses import LOSSES as MANUAL_LOSSES
    problems = []
    for kind, mine, theirs in (("activation", ACTIVATIONS, MANUAL_ACTIVATIONS), ("loss", LOSSES, MANUAL_LOSSES)):
        for name in sorted(set(mine) ^ set(theirs)):
            where = "reference/records.py" if name not in mine else "manual/"
            problems.append(f"{kind} {name!r} is missing from {where}")
    for name in sorted(set(ACTIVATIONS) & set(MANUAL_ACTIVATIONS)):
        r, a = ACTIVATIONS[name], MANUAL_ACTIVATIONS[name]
        for what, ours, manuals in (("elementwise", r.elementwise, a.elementwise), ("kink", r.kink, a.kink),
                                    ("parameters", r.parameters, () if a.slope is None else ("slope",))):
            if ours != manuals:
                problems.append(f"activation {name!r}: {what} is {ours!r} in the record, {manuals!r} in manual/")
    for name in sorted(set(LOSSES) & set(MANUAL_LOSSES)):
        r, loss = LOSSES[name], MANUAL_LOSSES[name]
        for what, ours, manuals in (("output", r.output, loss.fused_with), ("targets", r.targets, loss.targets)):
            if ours != manuals:
                problems.append(f"loss {name!r}: {what} is {ours!r} in the record, {manuals!r} in manual/")
    return problems


# ----------------------------------------------------------------------------- your own functions

@dataclass(frozen=True)
class UserActivation(Activation):
    """An activation given as a function on torch tensors: a manual-shaped Activation (f in NumPy,
    through torch, for drawing the networks) that carries its own record."""

    record: ActivationRecord | None = None


@dataclass(frozen=True)
class UserLoss(Loss):
    record: LossRecord | None = None


def _through_torch(fn):
    def numpy(*arrays):
        with torch.no_grad():
            out = fn(*(torch.from_numpy(np.ascontiguousarray(v)) for v in arrays))
        return out.numpy()
    return numpy


def _name_of(fn, argname: str) -> str:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier() or name == "<lambda>":
        return f"user_{argname}"
    return name


def user_activation(fn: Callable, *, name: str | None = None, kink: bool = False) -> UserActivation:
    """Your activation, as a function on torch tensors (`def swish(z): return z * torch.sigmoid(z)`).

    It must act elementwise and keep the shape and dtype of z (checked on a probe). `kink=True`
    says f' jumps at z = 0 (as relu's), so that networks are drawn with every z away from 0."""
    if isinstance(fn, Activation) or not callable(fn):
        raise TypeError(f"activation: expected a function on torch tensors, got {type(fn).__name__}")
    name = name or _name_of(fn, "activation")
    _probe_elementwise(fn, name)
    record = ActivationRecord(name, name[:6], fn, _through_torch(fn), kink=kink, shipped=False)
    return UserActivation(name, _through_torch(fn), kink=kink, record=record)


def user_loss(fn: Callable, *, name: str | None = None, targets: str = "real") -> UserLoss:
    """Your loss, as a function `(a, y) -> C_n` on torch tensors (a, y: (n, K); C_n: (n,), one cost
    per example; the harness applies the reduction). `targets` is the domain y is drawn from:
    "real" (uniform in [-1, 1]), "unit" ([0, 1]) or "simplex" (rows that sum to 1)."""
    if isinstance(fn, Loss) or not callable(fn):
        raise TypeError(f"loss: expected a function (a, y) -> cost per example on torch tensors, got "
                        f"{type(fn).__name__}")
    if targets not in TARGET_DOMAINS:
        raise ValueError(f"targets: expected one of {list(TARGET_DOMAINS)}, got {targets!r}")
    name = name or _name_of(fn, "loss")
    _probe_per_example(fn, name)
    record = LossRecord(name, lambda z, a, y: fn(a, y), _through_torch(lambda z, a, y: fn(a, y)),
                        targets=targets, shipped=False)
    return UserLoss(name, record.numpy, targets=targets, record=record)


def _probe_elementwise(fn, name: str) -> None:
    """f keeps shape and dtype, and f(z)[n, j] depends on z[n, j] alone."""
    for dtype in (torch.float64, torch.float32):
        z = torch.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
        try:
            with torch.no_grad():
                a = fn(z)
                moved = z.clone()
                moved[1, 2] += 0.5
                b = fn(moved)
        except Exception as e:  # noqa: BLE001 - the user's function, reported by name
            raise ValueError(f"activation {name}: calling it on a {tuple(z.shape)} {dtype} tensor raised "
                             f"{type(e).__name__}: {e}") from None
        if not isinstance(a, torch.Tensor) or a.shape != z.shape or a.dtype != dtype:
            got = f"{tuple(a.shape)} {a.dtype}" if isinstance(a, torch.Tensor) else type(a).__name__
            raise ValueError(f"activation {name}: expected a tensor of the input's shape and dtype "
                             f"({tuple(z.shape)} {dtype}), got {got}")
        changed = (a != b).nonzero().tolist()
        if any(ix != [1, 2] for ix in changed):
            raise ValueError(f"activation {name}: must act elementwise (changing z[1, 2] changed "
                             f"f(z) at {[tuple(ix) for ix in changed if ix != [1, 2]][:3]})")


def _probe_per_example(fn, name: str) -> None:
    a = torch.linspace(-1, 1, 12, dtype=torch.float64).reshape(3, 4)
    y = torch.linspace(0.1, 0.9, 12, dtype=torch.float64).reshape(3, 4)
    try:
        with torch.no_grad():
            c = fn(a, y)
            moved = a.clone()
            moved[1, 2] += 0.25
            d = fn(moved, y)
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"loss {name}: calling it on (a, y) of shape (3, 4) raised {type(e).__name__}: {e}") from None
    if not isinstance(c, torch.Tensor) or c.shape != (3,):
        got = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
        raise ValueError(f"loss {name}: expected one cost per example, shape (3,) for a batch of 3, got {got} "
                         "(the harness applies the reduction)")
    changed = (c != d).nonzero().flatten().tolist()
    if any(i != 1 for i in changed):
        other = next(i for i in changed if i != 1)
        raise ValueError(f"loss {name}: changing example 1's output changed the cost of example {other}: "
                         "each C_n must depend on its own row of a and y only")


def resolve_loss(loss) -> Loss:
    """The harness's loss= argument: a name, a backproof.manual Loss, or a function (a, y) -> cost per example."""
    if isinstance(loss, Loss):
        return loss
    if callable(loss):
        return user_loss(loss)
    if isinstance(loss, str) and loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)} or a function (a, y) -> cost per example "
                         f"on torch tensors, got {loss!r}")
    return get_loss(loss)


def _argument_activation(a, argname: str) -> Activation:
    if callable(a) and not isinstance(a, Activation):
        return user_activation(a)
    if isinstance(a, str) and a not in ACTIVATIONS:
        raise ValueError(f"{argname}: unknown activation {a!r}; expected one of {sorted(ACTIVATIONS)} "
                         "or a function on torch tensors")
    return get_activation(a, argname=argname)


def resolve_activations(activation, output) -> tuple[list, bool]:
    """The harness's activation= and output= arguments: ([one per layer], True) for a list; else
    ([hidden, output], False), the network then drawn at any depth."""
    single = isinstance(activation, (str, Activation)) or callable(activation)
    if not single:
        if not isinstance(activation, (list, tuple)) or not activation:
            raise TypeError(f"activation: expected a name, a function on torch tensors, or a list of them (one per "
                            f"layer), got {describe_value(activation)}")
        if output is not None:
            raise ValueError("output: with one activation per layer in a list, the last one is the output's")
        return [_argument_activation(a, f"activation[{i}]") for i, a in enumerate(activation)], True
    hidden = _argument_activation(activation, "activation")
    last = _argument_activation(output, "output") if output is not None else hidden
    if not activation_record(hidden).hidden:
        if output is not None:
            raise ValueError(f"activation: {hidden} is only for the output layer; give the hidden layers' "
                             "activation here and the output's as output=")
        return [hidden], True   # softmax alone: one layer
    return [hidden, last], False
