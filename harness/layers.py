"""The wrong tensors, layer by layer from the output down: the layer where each mistake is made, and
the layers that are wrong only through a layer above.

Backpropagation passes one error down the layers: delta[L] from the loss (BP1), each delta[l] from
delta[l+1] (BP2), and each layer's ∂C/∂W[l] and ∂C/∂b[l] from its own delta (BP4, BP3). A mistake at
one layer spreads to every layer below it, and each of several mistakes leaves its mark on the
layer where it is made. So the walk follows the code's own error down. At each layer it finds the
delta the given ∂C/∂W[l] was computed from, among the neighbours of BP1 at the output (right, a
factor, f′ omitted or taken at a, a softmax's diagonal) or of BP2 applied to the delta found above
(right, f′ omitted, f′ taken at a, W[l+1] used after its update, or the output's error sent down
without its f′); then it reads the layer's tensors against that delta (BP4 right or transposed,
BP3 right, summed over the wrong axis, or summed to one number). A layer whose delta is BP2 done
right on a wrong delta above is wrong only through that delta; a layer where the walk leaves the
right path is where a mistake is made (the first one down is the root). Where no neighbour fits,
the walk says so and stops: below that, nothing is read.

This is advice, like harness/diagnosis.py, whose whole-network neighbours are tried first; the
verdict is compare.judge's. Everything is float64 NumPy on torch's forward pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from backproof.manual.network import Gradients, Network
from backproof.reference.autograd import torch_activation
from backproof.reference.records import activation_record, loss_record

from .neighbours import variant_gradients


@dataclass(frozen=True)
class Finding:
    """One thing the walk read: a layer's delta ("delta"), or one of its tensors ("dW", "db")."""

    layer: int
    quantity: str
    key: str           # "right", "through", "f' omitted", "updated W", "transposed", "scalar", ... "unexplained"
    message: str = ""

    @property
    def is_mistake(self) -> bool:
        return self.key not in ("right", "through")


# close(quantity, layer, given, candidate): whether the given tensor equals the candidate within the
# diagnosis margin (shapes must agree)
Close = Callable[[str, int, np.ndarray, np.ndarray], bool]


def walk(net: Network, x, y, dW: list, db: list, reference: Gradients, factors: list, close: Close) -> list[Finding]:
    """The findings, output layer first. dW[l-1], db[l-1]: the given gradients as float64 arrays in
    the canonical shapes where they have them, else as given (a bias summed to one number); None
    where not given (no biases). `factors`: (c, key, message) whole-network factors (diagnosis.py's)."""
    L = len(net.W)
    z, a, prime_z, prime_a = _forward(net, x)
    W = [np.asarray(Wl, np.float64) for Wl in net.W]
    l2_terms = [(net.l2 * Wl, net.l2 * np.asarray(bl, np.float64) if net.l2_biases else 0.0)   # λ·W, λ·b
                for Wl, bl in zip(W, net.b)]
    findings: list[Finding] = []
    above, sent_alternatives, right_so_far = None, [], True
    for l in range(L, 0, -1):
        if l == L:
            candidates = _bp1_candidates(net, x, y, reference, factors)
        else:
            candidates = _bp2_candidates(l, above, sent_alternatives, W, dW, prime_z, prime_a, a, close,
                                         l2_terms[l - 1][0])
        chosen = None
        for key, message, delta in candidates:
            reading = _read_layer(l, delta, a[l - 1], dW[l - 1], db[l - 1], close, l2_terms[l - 1])
            if reading is not None:
                chosen = (key, message, delta, reading)
                break
        if chosen is None:
            findings.append(Finding(l, "delta", "unexplained",
                                    f"layer {l}: no neighbour of BP{'1' if l == L else '2'} fits its gradients; "
                                    "the layers below are not read"))
            return findings
        key, message, delta, reading = chosen
        if key == "right" and not right_so_far:
            key, message = "through", f"layer {l}: BP2 is right here; wrong only through delta[{l + 1}] above"
        findings.append(Finding(l, "delta", key, message))
        findings.extend(reading)
        right_so_far = right_so_far and key == "right"
        sent_alternatives = [(k, m, d) for k, m, d in candidates if k != key and l == L]
        above = delta
    return findings


def _forward(net: Network, x):
    """z[l], a[l] (a[0] = x), and f′ at z[l] and at a[l] for the elementwise layers (None otherwise),
    lists indexed by layer (index 0 unused for z and the primes)."""
    z, a, prime_z, prime_a = [None], [np.asarray(x, np.float64)], [None], [None]
    for Wl, bl, act in zip(net.W, net.b, net.activations):
        zl = a[-1] @ np.asarray(Wl, np.float64).T + np.asarray(bl, np.float64)
        z.append(zl)
        a.append(torch_activation(act, torch.from_numpy(zl)).numpy())
        elementwise = activation_record(act).elementwise
        prime_z.append(_prime(act, zl) if elementwise else None)
        prime_a.append(_prime(act, a[-1]) if elementwise else None)
    return z, a, prime_z, prime_a


def _prime(act, at: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(at.copy()).requires_grad_(True)
    (d,) = torch.autograd.grad(torch_activation(act, t).sum(), t)
    return d.numpy()


def _bp1_candidates(net, x, y, reference: Gradients, factors: list) -> list[tuple]:
    """delta[L] as the code may have computed it: right, a factor of it, or with the output layer's
    derivative omitted, taken at a, or cut to a softmax's diagonal."""
    right = reference.delta[-1]
    out = [("right", "", right)]
    out += [(f"output {key}", f"layer {len(net.W)} (the output): delta[{len(net.W)}] is {c:.6g}× the right one",
             c * right) for c, key, _ in factors]
    record, loss = activation_record(net.activations[-1]), loss_record(net.loss)
    unfused = not loss.output or loss.on_output is not None
    modes = []
    if unfused and record.elementwise:
        modes += [("output f' omitted", "the output layer's f′ is missing from delta[L] = ∂C/∂a[L] ⊙ f′(z[L])", "omitted"),
                  ("output f' at a", "the output layer's f′ is taken at a = f(z[L]) instead of at z[L]", "at_a")]
    if unfused and not record.elementwise:
        modes.append(("softmax diagonal", "softmax's Jacobian is cut to its diagonal a_i(1 − a_i) in delta[L]",
                      "diagonal"))
    for key, message, mode in modes:
        try:
            delta = variant_gradients(net, x, y, output=mode).delta[-1]
        except ValueError:
            continue
        out.append((key, f"layer {len(net.W)} (the output): {message}", delta))
    return out


def _bp2_candidates(l: int, above, sent_alternatives, W, dW, prime_z, prime_a, a, close: Close,
                    l2_dW=0.0) -> list[tuple]:
    """delta[l] as the code may have computed it from the delta found at layer l+1."""
    back = above @ W[l]                      # W[l] holds layer l+1's weights (0-based list)
    out = [("right", "", back * prime_z[l]),
           ("hidden f' omitted", f"layer {l}: f′ is missing from BP2, delta[{l}] = (delta[{l + 1}] @ W[{l + 1}]) "
                                 f"⊙ f′(z[{l}])", back),
           ("hidden f' at a", f"layer {l}: BP2's f′ is taken at a[{l}] = f(z[{l}]) instead of at z[{l}]",
            back * prime_a[l])]
    updated = _updated_weights(l, above, W, dW, prime_z, a, close, l2_dW)
    if updated is not None:
        out.append(updated)
    for key, message, alt in sent_alternatives:
        if key == "output f' omitted":
            out.append(("error sent back without f'",
                        f"layer {l}: BP2 starts from the output's ∂C/∂a[{l + 1}] without f′, not from delta[{l + 1}] "
                        "(the output layer's own gradients are right)", (alt @ W[l]) * prime_z[l]))
    return out


def _updated_weights(l: int, above, W, dW, prime_z, a, close: Close, l2_dW=0.0):
    """delta[l] from W[l+1] after its update, W[l+1] − c·dW[l+1] with the code's own learning rate c,
    fitted from the given dW[l]: delta(c) = P − c·Q with P the right BP2 and Q the same through
    dW[l+1], so the given dW[l] = P.T @ a[l-1] − c·Q.T @ a[l-1] determines c."""
    given_above, given = dW[l], dW[l - 1]
    if given_above is None or given is None or np.shape(given_above) != W[l].shape:
        return None
    P, Q = (above @ W[l]) * prime_z[l], (above @ given_above) * prime_z[l]
    u, v = P.T @ a[l - 1] + l2_dW, Q.T @ a[l - 1]
    if np.shape(given) != u.shape or not np.any(v):
        return None
    c = float(np.vdot(u - given, v) / np.vdot(v, v))
    if not np.isfinite(c) or c == 0 or not close("dW", l, given, u - c * v):
        return None
    return ("updated W", f"layer {l}: BP2 uses W[{l + 1}] after its update, W[{l + 1}] − {c:.6g}·dW[{l + 1}] "
                         f"({c:.6g}: the learning rate of that step): compute every delta before changing any "
                         "weight", P - c * Q)


def _read_layer(l: int, delta, a_prev, dW, db, close: Close, l2_terms=(0.0, 0.0)) -> list[Finding] | None:
    """The layer's tensors against one candidate delta: None when the given dW (or, without dW, db)
    does not fit it; else what each tensor is. `l2_terms`: the L2 term's λ·W[l] and λ·b[l] (or 0),
    added to BP4 and BP3."""
    out = []
    if dW is not None:
        right = delta.T @ a_prev + l2_terms[0]
        if np.shape(dW) == right.shape and close("dW", l, dW, right):
            out.append(Finding(l, "dW", "right"))
        elif np.shape(dW) == right.T.shape and close("dW", l, dW, right.T):
            out.append(Finding(l, "dW", "transposed", f"{{name}} is transposed: a[{l - 1}].T @ delta[{l}], "
                                                      f"not delta[{l}].T @ a[{l - 1}]"))
        else:
            return None
    if db is not None:
        finding = _read_bias(l, delta, db, close, l2_terms[1])
        if finding is None and dW is None:
            return None
        out.append(finding or Finding(l, "db", "unexplained", f"{{name}} fits no sum of delta[{l}]"))
    return out


def _read_bias(l: int, delta, db, close: Close, l2_term=0.0) -> Finding | None:
    right = delta.sum(axis=0) + l2_term
    if np.shape(db) == right.shape and close("db", l, db, right):
        return Finding(l, "db", "right")
    if np.shape(db) == (delta.shape[0],) and close("db", l, db, delta.sum(axis=1)):
        return Finding(l, "db", "bias axis", f"{{name}} sums delta[{l}] over the layer's units (axis 1), not over "
                                             "the examples (axis 0)")
    if np.size(db) == 1 and close("db", l, np.reshape(db, ()), np.asarray(delta.sum())):
        return Finding(l, "db", "scalar", f"{{name}} is one number, delta[{l}] summed over the examples and the "
                                          f"units; ∂C/∂b[{l}] sums over the examples only, one entry per unit")
    return None


def summary(findings: list[Finding], name: Callable[[str, int], str]) -> tuple[str, str, str] | None:
    """(key, message, root tensor's name) of the findings, or None when they name no mistake (or the
    first is one no neighbour fits). `name(quantity, layer)` is the code's own name of a tensor. A
    mistake made the same way in several layers is one line that lists them. The key lists the kinds
    of mistake, with no layer numbers, so that the same mistakes on a smaller network are the same
    kind (the shrinker keeps a failure's kind)."""
    mistakes = [f for f in findings if f.is_mistake]
    if not mistakes or mistakes[0].key == "unexplained":
        return None

    def where(f: Finding) -> str:
        return f"layer {f.layer}" if f.quantity == "delta" else name(f.quantity, f.layer)

    groups: dict[str, list[Finding]] = {}
    for f in mistakes:
        groups.setdefault(f.key, []).append(f)
    lines = []
    for same in groups.values():
        first = same[0]
        line = first.message if first.quantity == "delta" else first.message.format(name=where(first))
        if len(same) > 1:
            line += f" (the same in {', '.join(where(f) for f in same[1:])})"
        lines.append(line)
    through = [f.layer for f in findings if f.key == "through"]
    if through:
        lines.append(f"{'layers' if len(through) > 1 else 'layer'} {', '.join(map(str, through))} "
                     f"{'are' if len(through) > 1 else 'is'} wrong only through the layers above")
    root = mistakes[0]
    head = "one mistake" if len(groups) == 1 else f"{len(groups)} mistakes, each where it is made"
    return (" + ".join(sorted(groups)), f"{head} (root: layer {root.layer}): " + "; ".join(lines),
            name("dW" if root.quantity == "delta" else root.quantity, root.layer))
