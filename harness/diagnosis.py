"""What a wrong backprop got wrong, in the terms of the person who must fix it.

When the given gradients are not the gradients of the network, they are often exactly the gradients
under a neighbouring convention: twice them (the ½ dropped), n_L or the batch size times them (a
mean over the units or the examples), with the sign flipped, transposed, of another loss or
reduction, or of the same network with one factor of the chain rule omitted or taken at the wrong
point (the output layer's f′, the softmax's off-diagonal terms, f′ evaluated at a = f(z)). Each
neighbour is computed here (torch autograd, with a custom backward where the neighbour is not the
gradient of anything), and the first one the given gradients equal, tensor by tensor within a
generous margin (a diagnosis is advice: the verdict is compare.judge's), is named.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backproof.manual.network import Gradients, Network

from backproof.reference.autograd import autograd_gradients
from backproof.reference.records import LOSSES, activation_record, loss_record
from backproof.reference.tolerances import rtol_exact

from .layers import summary, walk
from .neighbours import variant_gradients

MARGIN = 1e3   # a neighbour matches within MARGIN × the judge's tolerance of each entry (`margin_for`)


@dataclass(frozen=True)
class Diagnosis:
    key: str        # what kind of mistake: "factor 2", "sign", "loss sse (sum)", "output f' omitted", ...
    message: str    # what to tell the user
    root: str = ""  # the tensor where the first mistake is made, where the walk layer by layer named it

    @property
    def kinds(self) -> set[str]:
        """The kinds of mistake named, whichever way they were found (one neighbour for the whole
        network, two at once, or the walk layer by layer): the same mistakes, the same set."""
        return set(self.key.split(" + "))


def kind_of(*kinds: set[str] | str) -> str:
    """A failure's kind, kept while shrinking: its kinds of problem and mistake, sorted, so that it
    is judged the same way on every network."""
    parts = set()
    for k in kinds:
        parts |= {k} if isinstance(k, str) else k
    return " + ".join(sorted(parts))


def diagnose(net: Network, x, y, dW: list, db: list, magnitudes: Gradients, quantities=("dW", "db"),
             tensors: list | None = None, bias_column: bool = False, name=None) -> Diagnosis | None:
    """The first neighbouring convention the given gradients (canonical dW[l], db[l]) equal; where
    none does, the mistakes found layer by layer (harness/layers.py); or None. `tensors` lists the
    wrong ones as (quantity, layer): a neighbour that only transposes or re-sums one tensor is tried
    on those. `bias_column`: the code keeps each bias as a column of W (the augmented layouts), so a
    wrong bias is named as that column. `name(quantity, layer)`: the code's own name of a tensor."""
    reference = autograd_gradients(net, x, y)
    margin = margin_for(net, len(x), dW, db, magnitudes, quantities, reference)
    found = _whole_network(net, x, y, dW, db, magnitudes, quantities, tensors, bias_column, reference, margin)
    return found if found is not None else \
        diagnose_layers(net, x, y, dW, db, magnitudes, quantities, name, reference, margin)


def margin_for(net: Network, batch: int, dW: list, db: list, magnitudes: Gradients, quantities,
               reference: Gradients) -> float:
    """MARGIN, unless the right gradients themselves would match the given ones within MARGIN × the
    judge's tolerance (a float32 network whose bound M is far above the values): a margin that
    cannot tell the right gradients from the given ones cannot tell a neighbour either, and the
    judge's own tolerance (margin 1, under which the right gradients failed) is used instead."""
    given = {"dW": dW, "db": db}
    loose = all(_within(net, batch, g, r, m, MARGIN) for q in quantities
                for g, r, m in zip(given[q], getattr(reference, q), getattr(magnitudes, q)))
    return 1.0 if loose else MARGIN


def _within(net: Network, batch: int, given, candidate, magnitude, margin: float) -> bool:
    """given equals candidate entry by entry within margin × the judge's tolerance, rtol·max(M, |c|),
    with M the entry's bound (shapes must agree)."""
    rtol = margin * rtol_exact(net.dtype, net.sizes, batch)
    allowed = rtol * np.maximum(np.maximum(magnitude, np.abs(candidate)), np.finfo(net.dtype).tiny)
    return np.shape(given) == np.shape(candidate) and bool((np.abs(np.asarray(given, np.float64) - candidate)
                                                            <= allowed).all())


def diagnose_layers(net: Network, x, y, dW: list, db: list, magnitudes: Gradients, quantities=("dW", "db"),
                    name=None, reference: Gradients | None = None, margin: float | None = None) -> Diagnosis | None:
    """The mistakes found by walking the layers from the output down (harness/layers.py), each at the
    layer where it is made. dW, db may hold a tensor of another shape (a bias summed to one number).
    `margin`: see `margin_for`."""
    reference = autograd_gradients(net, x, y) if reference is None else reference
    if margin is None:
        margin = margin_for(net, len(x), dW, db, magnitudes, quantities, reference)

    def close(q: str, l: int, g, c) -> bool:
        m = getattr(magnitudes, q)[l - 1]
        if np.shape(m) != np.shape(c):   # a tensor read in another shape: its magnitude in that shape
            m = m.T if np.shape(m)[::-1] == np.shape(c) else np.full(np.shape(c), np.sum(m))
        return _within(net, len(x), g, c, m, margin)

    given_db = [np.asarray(d, np.float64) for d in db] if "db" in quantities else [None] * len(net.W)
    findings = walk(net, x, y, [np.asarray(d, np.float64) for d in dW], given_db, reference,
                    _factors(net, len(x)), close)
    found = summary(findings, name or (lambda q, l: f"{q}[{l}]"))
    return Diagnosis(*found) if found else None


def _whole_network(net: Network, x, y, dW: list, db: list, magnitudes: Gradients, quantities, tensors,
                   bias_column: bool, reference: Gradients, margin: float) -> Diagnosis | None:
    """The first whole-network neighbour the given gradients equal: a factor, a transpose, a bias
    summed over the wrong axis, the L2 term's factor, another loss or reduction, a chain-rule
    factor omitted or misplaced in every layer, or two of these."""
    given = {"dW": dW, "db": db}

    def fits(alt: Gradients, scale: float) -> bool:
        return all(_within(net, len(x), g, a, m * abs(scale), margin) for q in quantities
                   for g, a, m in zip(given[q], getattr(alt, q), getattr(magnitudes, q)))

    def equal(alt: Gradients, scale: float = 1.0) -> bool:
        """The given gradients fit `alt`, within an allowance scaled by the neighbour's factor, and
        that allowance does not fit the right gradients too (it tells the two apart)."""
        return fits(alt, scale) and (scale == 1 or not fits(reference, scale))

    for factor, key, message in _factors(net, len(x)):
        if equal(_scaled(reference, factor), factor):
            return Diagnosis(key, message)
    square = [l for q, l in tensors or () if q == "dW" and reference.dW[l - 1].shape[0] == reference.dW[l - 1].shape[1]]
    if len(square) > 1:   # every square ∂C/∂W transposed: one mistake, made in each layer
        alt = replace(reference, dW=[d.T if k + 1 in square else d for k, d in enumerate(reference.dW)])
        if equal(alt):
            return Diagnosis("transposed", f"dW[{', '.join(map(str, sorted(square)))}] are transposed: ∂C/∂W[l] has "
                                           "W[l]'s shape (n_l, n_(l-1)), delta.T @ a_prev, not a_prev.T @ delta")
    for q, l in tensors or ():
        if q == "dW" and reference.dW[l - 1].shape[0] == reference.dW[l - 1].shape[1]:
            alt = replace(reference, dW=[d.T if k == l - 1 else d for k, d in enumerate(reference.dW)])
            if equal(alt):
                return Diagnosis("transposed", f"dW[{l}] is transposed: ∂C/∂W[l] has W[l]'s shape "
                                               f"(n_l, n_(l-1)) = {reference.dW[l - 1].shape} here, delta.T @ a_prev, "
                                               "not a_prev.T @ delta")
        if q == "db":
            wrong_axis = [d.sum(axis=1) if k == l - 1 and d.shape[0] == d.shape[1] else b
                          for k, (d, b) in enumerate(zip(reference.delta, reference.db))]
            if reference.delta[l - 1].shape[0] == reference.delta[l - 1].shape[1] and equal(replace(reference, db=wrong_axis)):
                return Diagnosis("bias axis", f"db[{l}] is delta summed over the layer's units (axis 1); "
                                              "∂C/∂b[l] sums delta over the examples (axis 0)")
    found = _l2_factor(net, x, y, given, reference, equal, quantities)
    if found is not None:
        return found
    wrong = {(q, l) for q, l in tensors or ()}
    if wrong and all(q == "db" for q, _ in wrong):   # BP4 right everywhere, BP3 wrong: the bias alone
        layers = ", ".join(str(l) for l in sorted(l for _, l in wrong))
        where = (f"the bias column of W[{layers}] (the constant-1 input's weights)" if bias_column
                 else f"db[{layers}]")
        return Diagnosis("bias only", f"every weight gradient is right and {where} is wrong: ∂C/∂b[l] is "
                                      "Σ_n delta[l]_n, the same delta that BP4 multiplies by a[l-1]"
                         + (", i.e. BP4 with a constant 1 for a[l-1]" if bias_column else ""))
    tried = []
    for key, message, kwargs in _variants(net):
        try:
            alt = variant_gradients(net, x, y, **kwargs)
        except ValueError:
            continue
        if equal(alt):
            return Diagnosis(key, message)
        tried.append((key, message, kwargs, alt))
    return _two_mistakes(net, x, y, tried, equal)


def _two_mistakes(net: Network, x, y, tried: list, equal) -> Diagnosis | None:
    """Two mistakes at once, each named: two neighbours that change different things (the output's
    derivative and the hidden layers', a loss and a derivative), or one of them scaled by a factor
    (the ½ dropped as well). Tried only where no single neighbour fits."""
    for i, (k1, m1, kw1, _) in enumerate(tried):
        for k2, m2, kw2, _ in tried[i + 1:]:
            if set(kw1) & set(kw2):
                continue
            try:
                alt = variant_gradients(net, x, y, **kw1, **kw2)
            except ValueError:
                continue
            if equal(alt):
                return Diagnosis(f"{k1} + {k2}", f"two mistakes: {m1}; and {m2}")
    for factor, fkey, fmessage in _factors(net, len(x)):
        for key, message, kwargs, alt in tried:
            if "loss" in kwargs or "reduction" in kwargs:
                continue      # a loss or reduction and a factor: the factors name those already
            if equal(_scaled(alt, factor), factor):
                return Diagnosis(f"{key} + {fkey}", f"two mistakes: {message}; and, on top of it, "
                                                    f"{fmessage[0].lower()}{fmessage[1:]}")
    return None


def _l2_factor(net: Network, x, y, given: dict, reference: Gradients, equal, quantities) -> Diagnosis | None:
    """With an L2 term: the biases right (or not regularised) and every dW[l] off by the same multiple
    of λ·W[l] — the term's derivative taken with another factor (reg·‖W‖² gives 2·reg·W), or left
    out (c = 0)."""
    if not net.l2:
        return None
    plain = variant_gradients(net, x, y, l2=0.0)
    term = [net.l2 * np.asarray(Wl, np.float64) for Wl in net.W]
    big = [np.abs(t) > 1e-3 * np.abs(t).max() for t in term]
    ratios = np.concatenate([((np.asarray(g, np.float64) - p) / np.where(m, t, 1))[m]
                             for g, p, t, m in zip(given["dW"], plain.dW, term, big)])
    if not ratios.size:
        return None
    c = float(np.median(ratios))
    if abs(c - 1) < 1e-6 or not np.isfinite(c):
        return None
    alt = replace(reference, dW=[p + c * t for p, t in zip(plain.dW, term)])
    if not equal(alt):
        return None
    if abs(c) < 1e-9:
        return Diagnosis("l2 missing", "the L2 term's gradient is missing from every ∂C/∂W: (λ/2)·‖W‖² adds λ·W; "
                                       "the biases are right")
    return Diagnosis("l2 factor", f"the L2 term's gradient is {c:.6g}× λ·W in every ∂C/∂W (the rest, and the "
                                  f"biases, are right): (λ/2)·‖W‖² adds λ·W{' (reg·‖W‖² adds 2·reg·W: state l2=2·reg)' if abs(c - 2) < 1e-6 or abs(c - 0.5) < 1e-6 else ''}")


def _scaled(g: Gradients, c: float) -> Gradients:
    return Gradients(g.cost, [c * d for d in g.delta], [c * d for d in g.dW], [c * d for d in g.db])


def _factors(net: Network, n: int) -> list[tuple[float, str, str]]:
    K = net.sizes[-1]
    out = [(-1.0, "sign", "every gradient has the opposite sign: a − y written y − a, or the step −∂C/∂θ "
                          "returned instead of ∂C/∂θ?"),
           (2.0, "factor 2", "every gradient is exactly 2× the right one"),
           (0.5, "factor 1/2", "every gradient is exactly ½× the right one")]
    if n > 1:
        out += [(float(n), "factor batch", f"every gradient is exactly {n}× (the batch size) the right one: "
                                           f"summed over the examples where reduction={net.reduction!r} "
                                           "averages them?" if net.reduction == "mean" else
                                           f"every gradient is exactly {n}× (the batch size) the right one"),
                (1.0 / n, "factor 1/batch", f"every gradient is exactly 1/{n} (1 / the batch size) of the right one: "
                                            "averaged over the examples where reduction=\"sum\" adds them?"
                                            if net.reduction == "sum" else
                                            f"every gradient is 1/{n} of the right one: divided by the batch twice?")]
    if K > 1 and K != n:
        out += [(float(K), "factor n_L", f"every gradient is exactly {K}× (n_L, the output units) the right one: "
                                         "a sum over the units where the cost averages them?"),
                (1.0 / K, "factor 1/n_L", f"every gradient is exactly 1/{K} (1 / n_L) of the right one: a mean "
                                          "over the output units where the cost sums them?")]
    return _sibling_losses(net, out)


def _sibling_losses(net: Network, factors: list) -> list[tuple[float, str, str]]:
    """Losses that are multiples of one another (records' `squares`): a factor between them names the
    other loss, as a convention the gradients fit."""
    this, K = loss_record(net.loss), net.sizes[-1]
    if this.squares is None:
        return factors
    out, named = list(factors), set()
    for other in LOSSES.values():   # the records' order: with n_L = 1, sse before mse (the same then)
        if other is this or other.squares is None:
            continue
        c = other.squares(K) / this.squares(K)
        hint = f"the gradient of {other.formula} (loss={other.name!r}), not of {this.formula}"
        at = next((i for i, (f, _, _) in enumerate(out) if f == c), None)
        if at is not None and at not in named:
            f, key, message = out[at]
            out[at], _ = (f, key, f"{message.split(':')[0]}: {hint}?"), named.add(at)
        elif at is None and c != 1:
            out.append((c, f"loss {other.name}", f"every gradient is exactly {c:.6g}× the right one: {hint}"))
    return out


def _variants(net: Network) -> list[tuple[str, str, dict]]:
    """Neighbours that are not a scalar multiple: another loss or reduction, a chain-rule factor
    omitted or taken at the wrong point."""
    out = []
    output = net.activations[-1]
    record = activation_record(output)
    for name, loss in LOSSES.items():
        if name == net.loss.name or (loss.output and loss.output != output.name) or \
                loss.targets not in ("real", loss_record(net.loss).targets):   # the targets must suit it
            continue
        for reduction in ("sum", "mean"):
            hint = ""
            if loss_record(net.loss).output and not loss.output:
                hint = (f": with a {output} output and {net.loss} computed from its logits, delta[L] = a − y, "
                        f"without {output}'s derivative; did you multiply by it?")
            out.append((f"loss {name} ({reduction})", f"these are the gradients of loss={name!r}, "
                                                       f"reduction={reduction!r}, not of {net.loss} ({net.reduction}){hint}",
                        {"loss": name, "reduction": reduction}))
    out += [(f"reduction {r}", f"these are the gradients with reduction={r!r}, not {net.reduction!r}",
             {"reduction": r}) for r in ("sum", "mean") if r != net.reduction]
    unfused = not loss_record(net.loss).output or loss_record(net.loss).on_output is not None
    if unfused:
        if record.elementwise:
            out.append(("output f' omitted", f"the output layer's f′ is missing: delta[L] = ∂C/∂a[L] ⊙ {output}′(z[L]), "
                                             "and the gradients given are those without the factor",
                        {"output": "omitted"}))
        if not record.elementwise:
            out.append(("softmax diagonal", "softmax's Jacobian was cut to its diagonal a_i(1 − a_i): the "
                                            "off-diagonal terms −a_i·a_j are missing from delta[L]",
                        {"output": "diagonal"}))
    if len(net.W) > 1:
        out.append(("hidden f' omitted", "the hidden layers' f′ is missing: BP2 is delta[l] = (delta[l+1] @ "
                                         "W[l+1]) ⊙ f′(z[l]), and the gradients given are those without the factor",
                    {"hidden": "omitted"}))
        out.append(("hidden f' at a", "f′ was evaluated at a = f(z) instead of at z in the hidden layers (a "
                                      "derivative written for the output, like σ(1 − σ), given σ(z) again?)",
                    {"hidden": "at_a"}))
    if record.elementwise and unfused and len(net.W) > 1:
        out.append(("error sent back without f'", "the error sent back to the hidden layers is ∂C/∂a[L] (a − y "
                                                   "for a squared error) instead of delta[L] = ∂C/∂a[L] ⊙ f′(z[L]): "
                                                   "the output layer's own gradients are right, BP2 must start "
                                                   "from delta[L]", {"output": "split"}))
    if record.elementwise and unfused:
        out.append(("output f' at a", "the output layer's f′ was evaluated at a = f(z) instead of at z",
                    {"output": "at_a"}))
        if len(net.W) > 1:
            out.append(("f' at a", "f′ was evaluated at a = f(z) instead of at z in every layer (one helper like "
                                   "σ(1 − σ) given σ(z) where it expects z, or the other way round?)",
                        {"output": "at_a", "hidden": "at_a"}))
    return out
