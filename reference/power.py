"""How often the verdict is right both ways, measured: the figures behind reference/tolerances.py.

For each of `n` random networks (reference/strategies.py, the harness's default `Limits`):
  * false alarms: manual/'s backprop, and a textbook one that computes tanh' as 1 − a² and the
    sigmoid's as a(1 − a) from the layer's output, must both pass `compare.judge`;
  * power: one gradient tensor (a dW[l] or db[l], drawn at random among the non-zero ones) is
    multiplied by 1 + r, r = 1e-3 in float32 and 1e-9 in float64, and `judge` must reject it;
  * vacuous draws: networks whose every reference dW and db is exactly zero (nothing to check);
  * how far each is from the exact value (the certified oracle, reference/certified.py), in units of
    eps·M (M the entry's bound): the correct backprops (the constant a sound tolerance needs), the
    injected tensor (what a constant must stay under to catch it) and float64 autograd itself.
Used by benchmarks/catch_rate.py (≥ 1000 networks, the figures in docs/measurements.json) and by
tests (fewer, same code).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backproof.manual.network import Gradients, Network

from .autograd import autograd_gradients, gradient_magnitudes
from .certified import certified_gradients
from .compare import judge, relative_error
from .records import activation_record
from .strategies import Limits, random_case, widened

INJECTED = {"float32": 1e-3, "float64": 1e-9}


@dataclass
class Power:
    dtype: str
    networks: int = 0
    vacuous: int = 0
    false_alarms: list = field(default_factory=list)    # descriptions of correct backprops rejected
    injected: int = 0
    caught: int = 0
    missed: list = field(default_factory=list)          # descriptions of injected errors that passed
    # In units of eps(dtype), judge's per-entry measure (compare.relative_error), per non-vacuous
    # network: the largest error of the correct backprops (the constant a sound tolerance needs)
    # and that of the injected tensor (what it must stay under to catch the injection): what any
    # constant in place of tolerances.py's would do.
    needed: list = field(default_factory=list)
    injected_size: list = field(default_factory=list)
    autograd_own: list = field(default_factory=list)    # float64 autograd's error, in eps(float64)·M
    logic_caught: int = 0        # float32 only: the same injection, run in float64 (the harness's logic check)

    def catch_rate_at(self, constant: float) -> float:
        return float(np.mean(np.asarray(self.injected_size) > constant)) if self.injected_size else float("nan")

    def false_alarms_at(self, constant: float) -> int:
        return int(np.sum(np.asarray(self.needed) > constant))

    @property
    def catch_rate(self) -> float:
        return self.caught / self.injected if self.injected else float("nan")

    @property
    def logic_catch_rate(self) -> float:
        return self.logic_caught / self.injected if self.injected else float("nan")

    @property
    def vacuous_fraction(self) -> float:
        return self.vacuous / self.networks if self.networks else float("nan")


def textbook_gradients(net: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """manual/'s passes with f' computed from a = f(z) where the record says textbooks do (tanh,
    the sigmoid, softplus)."""
    cache = net.forward(x)

    def prime(f, z, a):
        from_output = activation_record(f).prime_from_output
        return from_output(a, np) if from_output else f.prime(z) if f.elementwise else None
    primes = [prime(f, z, a) for f, z, a in zip(net.activations, cache.z, cache.a[1:])]
    scale = 1.0 if net.reduction == "sum" else 1.0 / len(x)
    if net.loss.fused_with is not None or not net.activations[-1].elementwise:
        top = net.gradients(x, y).delta[-1]
    else:
        top = net.dtype.type(scale) * net.loss.grad_a(cache.a[-1], y) * primes[-1]
    delta = [top]
    for l in range(len(net.W) - 1, 0, -1):
        delta.insert(0, (delta[0] @ net.W[l]) * primes[l - 1])
    return Gradients(None, delta, [d.T @ a for d, a in zip(delta, cache.a[:-1])], [d.sum(axis=0) for d in delta])


def _in_eps(g: Gradients, reference: Gradients, M, q: str, k: int, dtype=None) -> float:
    """judge's per-entry measure of g's q[k] (compare.relative_error), in units of eps of its dtype."""
    got = getattr(g, q)[k]
    info = np.finfo(dtype or got.dtype)
    return relative_error(got, getattr(reference, q)[k], getattr(M, q)[k], float(info.tiny))[0] / float(info.eps)


def measure(n: int, dtype: str, seed: int = 0, limits: Limits = Limits()) -> Power:
    rng = np.random.default_rng(seed)
    power = Power(dtype)
    for _ in range(n):
        case = random_case(rng, limits, dtypes=(dtype,))
        net, x, y = case.net, case.x, case.y
        power.networks += 1
        reference = autograd_gradients(net, x, y)
        magnitudes = gradient_magnitudes(net, x, y, reference)
        nonzero = [(q, l) for q in ("dW", "db") for l in range(len(net.W)) if np.any(getattr(reference, q)[l])]
        if not nonzero:
            power.vacuous += 1
            continue
        got = net.gradients(x, y)
        correct = {"manual": got, "textbook": textbook_gradients(net, x, y)}
        for name, g in correct.items():
            verdict = judge(net, x, y, Gradients(None, [], g.dW, g.db), quantities=("dW", "db"),
                            magnitudes=magnitudes, reference=reference)
            if not verdict.ok:
                power.false_alarms.append(f"{name}: {case.describe()}: {verdict.mismatches[0]}")
        q, l = nonzero[int(rng.integers(len(nonzero)))]
        wrong = [g.copy() for g in getattr(got, q)]
        wrong[l] = (wrong[l] * (1 + INJECTED[dtype])).astype(net.dtype)
        dW, db = (wrong, got.db) if q == "dW" else (got.dW, wrong)
        exact = certified_gradients(net, x, y)[0]
        layers = range(len(net.W))
        power.needed.append(max(_in_eps(g, exact, magnitudes, p, k) for g in correct.values() for p in ("dW", "db")
                                for k in layers))
        power.injected_size.append(_in_eps(Gradients(None, [], dW, db), exact, magnitudes, q, l))
        power.autograd_own.append(max(_in_eps(reference, exact, magnitudes, p, k, np.float64) for p in ("dW", "db")
                                      for k in layers))
        power.injected += 1
        if judge(net, x, y, Gradients(None, [], dW, db), quantities=("dW", "db"), magnitudes=magnitudes,
                 reference=reference).ok:
            power.missed.append(f"{q}[{l + 1}] of {case.describe()}")
        else:
            power.caught += 1
        if net.dtype == np.float32:
            power.logic_caught += _caught_in_float64(case, q, l, INJECTED[dtype])
    return power


def _caught_in_float64(case, q: str, l: int, r: float) -> bool:
    """The harness's float32 logic check: the same network in float64, the same tensor × (1 + r)."""
    wide_case = widened(case)
    wide, x, y = wide_case.net, wide_case.x, wide_case.y
    got = wide.gradients(x, y)
    wrong = [g.copy() for g in getattr(got, q)]
    wrong[l] = wrong[l] * (1 + r)
    dW, db = (wrong, got.db) if q == "dW" else (got.dW, wrong)
    return not judge(wide, x, y, Gradients(None, [], dW, db), quantities=("dW", "db")).ok
