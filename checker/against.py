"""The sizes a claim proved for every width and depth is evaluated at as well: chosen against the
proof, independently of it, so that a proof resting on a side condition that does not hold meets a
size where the claim is false (checker/check.py reports that as a checker error, never as proved).

They are: every depth from 1 to at least MAX_DEPTH (a claim that holds at depth 3 only because a
penalty on a^{L-3} reads the input there is false at depth 4); widths and batch pairwise distinct,
at least 3 and none of them a number written in the document (n_L − 7 with n_L = 7 hides
everything); widths 1 and 2; and every number written in the document and its neighbours as a
width and as the batch (a claim can be true at n_L = 3 only because the document writes ε/3). A
size where the claim or a definition it uses does not exist (a^{L-3} at depth 2) is skipped; the
claim is evaluated at one point of each size.

Deterministic: the same document gives the same sizes on every run."""
from __future__ import annotations

MAX_DEPTH = 6      # the deepest network every proved claim is also evaluated on
WIDEST = 9         # no size here is wider (a document's number above it is tried as WIDEST's neighbours)


def document_numbers(nodes) -> set[int]:
    """Every integer written in these IR nodes: a number's numerator and denominator (ε/3 gives 3,
    L − 7 gives 7), as absolute values."""
    found = set()
    for node in nodes:
        for n in node.walk():
            if n.kind == "num":
                found |= {abs(n.value.numerator), abs(n.value.denominator)}
    return found


def against_sizes(numbers: set[int], batch: bool) -> list[tuple[list[int], int | None]]:
    """[(n_0 .. n_L, m or None)]: the sizes above, in a fixed order, with no size twice."""
    free = [v for v in range(3, 3 + 2 * (MAX_DEPTH + 2) + len(numbers)) if v not in numbers]
    sizes: list = []

    def add(n: list[int], m: int | None) -> None:
        if (n, m) not in sizes:
            sizes.append((n, m))

    for L in range(1, MAX_DEPTH + 1):
        if L <= 3:   # distinct, above 2, clear of the document's numbers; each depth a new order
            m, rest = (free[0], free[1:]) if batch else (None, free)   # the batch the least: the cheapest
            pick = rest[:L + 1]
            add(pick[L % len(pick):] + pick[:L % len(pick)], m)
        else:        # deep and narrow (widths 1, 2 and 3): what changes with depth, at a small cost
            add([(1, 2, 3)[(k + L) % 3] for k in range(L + 1)], 1 + L % 2 if batch else None)
    add([1, 1, 1], 1 if batch else None)       # width 1 everywhere (the narrow ones mix 1, 2 and 3)
    # 0, 1 and 2 are in every document (a^0, ½, squares): their neighbours are the sizes above
    special = sorted({v for k in numbers if k >= 3 for v in (k - 1, k, k + 1) if 1 <= v <= WIDEST})
    for v in special:
        others = [w for w in free if w != v][:3]
        add([v] + others[:2] + [v], others[2] if batch else None)   # v as the input and the output width
        add(others[:1] + [v] + others[1:3], v if batch else None)   # as a hidden width and the batch
    return sizes
