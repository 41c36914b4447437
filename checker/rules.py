"""The named rules of a proof for every width and depth (checker/general.py), each with the side
condition the prover checks before it applies the rule. A proof lists the rules it used
(`Outcome.rules`: `proof_rules` in the JSON, `-v` and the HTML page); a rule whose condition
cannot be established is not applied, and the claim falls back to its proof at one size with
the reason ("not proved for every width: rule chain-rule-step: ...").

The side conditions are checked on the fully expanded definitions: a defined function's body is
read wherever the function is called (`reads`), every definition of a layered family is checked at
whatever layer it can meet (a fixed layer `h^3`, the last layer `h^L`, or `h^l`), and a family
whose definition holds a derivative (δ^l = ∂C/∂z^l) is a view of the network, never a forward
quantity."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    states: str        # what the rule lets the proof write
    condition: str     # what must hold first (checked by the prover, not assumed)


RULES = {r.name: r for r in (
    Rule("configurations",
         "l = l_0 or l_0 + 1 + p, and L − l each small gap or the next one + q (p, q ≥ 0): together every "
         "layer and depth the claim allows",
         "every two layers of a family that the proof meets are provably equal or provably different, and "
         "inside the family's declared layers"),
    Rule("definition",
         "a defined entry is replaced by its definition",
         "exactly one definition in force applies at that layer and those indices for every p, q ≥ 0 "
         "(its conditions decided in the configuration)"),
    Rule("kronecker",
         "∂x_i/∂x_k = δ_ik for two entries of one array, and Σ_k δ_ik g(k) = g(i)",
         "x is an input or its own definition is cut (∂C/∂z cuts z's), and i ranges within k's range; "
         "δ_ik = 0 where the ranges cannot meet or the claim says i ≠ k"),
    Rule("lower-layer",
         "a forward quantity at a layer below x's does not depend on x",
         "its family is forward (no definition of it, functions inlined, holds a derivative: δ is not) "
         "and every definition of a layered family reads only its own layer or the one below, at every "
         "layer it can meet (fixed-layer and last-layer definitions included, defined functions inlined)"),
    Rule("chain-rule-step",
         "below the last layer, C is an arbitrary function of the frontier at layer T + 1 (z^{T+1}), so "
         "∂C/∂z^{T+1}_k is an unknown",
         "C, and every scalar defined on the output, reads the network at layer L only (defined "
         "functions inlined, scalars it reads followed), and every layered definition reads only its "
         "own layer or the one below"),
    Rule("bias-column",
         "Σ_{k=1}^{n+c} = Σ_{k=1}^{n} + the terms k = n + 1 .. n + c, and an index over n + c is split "
         "into k ≤ n and each of n + 1 .. n + c",
         "none: an identity of finite sums"),
    Rule("simplex",
         "Σ_k y_k = 1",
         "y is an input (no definition of it) declared `domain: simplex`, and k runs over its whole "
         "last subscript"),
    Rule("cancellation",
         "a difference is 0 when its sums of products, indices renamed in a fixed order, cancel term "
         "by term, or what is left vanishes over a common denominator",
         "none: every rewrite is an equality"),
)}


def ordered(names) -> tuple:
    """The rules named, in the order of RULES (the same list for the same proof on any run)."""
    names = set(names)
    unknown = names - set(RULES)
    if unknown:
        raise ValueError(f"rules: no rule named {sorted(unknown)[0]!r} (known: {', '.join(RULES)})")
    return tuple(n for n in RULES if n in names)
