"""Draw the picture of a network with backproof's indices, for derivations/backprop.md:
`python scripts/network_figure.py [OUT.png]` (default derivations/figures/network.png).

A [3, 4, 2] network: a^0 = x on the left, layer l's units j = 1..n_l in columns, and one weight
highlighted with its indices: w^l_{jk} joins unit k of layer l-1 to unit j of layer l (row j,
column k of W[l], the layout of torch.nn.Linear). Drawn once and shipped; run again after a change.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SIZES = [3, 4, 2]
HIGHLIGHT = (2, 1, 3)   # layer l = 2, unit j = 1 of layer 2, unit k = 3 of layer 1


def position(layer: int, unit: int) -> tuple[float, float]:
    """(x, y) of unit `unit` (1-based) of `layer`, the columns centred vertically."""
    n = SIZES[layer]
    return 3.0 * layer, (n - 1) / 2 - (unit - 1)


def draw(out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    hl, hj, hk = HIGHLIGHT
    for l in range(1, len(SIZES)):
        for j in range(1, SIZES[l] + 1):
            for k in range(1, SIZES[l - 1] + 1):
                (x0, y0), (x1, y1) = position(l - 1, k), position(l, j)
                on = (l, j, k) == HIGHLIGHT
                ax.plot([x0, x1], [y0, y1], color="#c62828" if on else "#b0b0b0", lw=2.2 if on else 0.8,
                        zorder=1)
    for l, n in enumerate(SIZES):
        for j in range(1, n + 1):
            x, y = position(l, j)
            on = (l, j) in ((hl, hj), (hl - 1, hk))
            ax.add_patch(plt.Circle((x, y), 0.28, facecolor="#ffecec" if on else "white",
                                    edgecolor="#c62828" if on else "#333", lw=1.4, zorder=2))
            label = f"$x_{j}$" if l == 0 else f"$a^{{{l}}}_{{{j}}}$"
            ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=3)
        top = position(l, 1)[1] + 0.75
        name = "input\n$a^0 = x$" if l == 0 else ("output\n" if l == len(SIZES) - 1 else "hidden\n") + \
            f"layer $l = {l}$, $n_{l} = {n}$"
        ax.text(3.0 * l, top, name if l else f"{name}, $n_0 = {n}$", ha="center", va="bottom", fontsize=10)
    (x0, y0), (x1, y1) = position(hl - 1, hk), position(hl, hj)
    ax.annotate(f"$w^{{{hl}}}_{{{hj}{hk}}}$: from unit $k = {hk}$ of layer {hl - 1}\n"
                f"to unit $j = {hj}$ of layer {hl}\n(row $j$, column $k$ of $W^{{{hl}}}$)",
                xy=((x0 + x1) / 2, (y0 + y1) / 2), xytext=(4.4, -2.35), fontsize=10, color="#c62828",
                arrowprops={"arrowstyle": "->", "color": "#c62828"})
    ax.text(-1.0, -2.5, "$z^l_j = \\sum_k w^l_{jk} a^{l-1}_k + b^l_j$,   $a^l_j = f(z^l_j)$",
            fontsize=11, ha="left")
    ax.set_xlim(-1.2, 3.0 * (len(SIZES) - 1) + 1.6)
    ax.set_ylim(-2.8, 2.9)
    ax.set_aspect("equal")
    ax.axis("off")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "derivations" / "figures" / "network.png"
    print(draw(target))
