"""Pictures, written to files with matplotlib's headless Agg backend: training curves, the XOR
decision boundary, the descent path on x⁴ − 3x³ + 2, and the NOT network's cost surfaces."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")  # headless: no display needed, ever
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def training_curves(run, path) -> Path:
    """Cost and accuracy per epoch."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = np.arange(1, len(run.loss) + 1)
    left.plot(epochs, run.loss)
    left.set(xlabel="epoch", ylabel=f"cost ({run.recipe.loss}, {run.recipe.reduction})", title=f"{run.task}: cost")
    positive = np.asarray(run.loss)[np.asarray(run.loss) > 0]
    if positive.size and positive.max() > 10 * positive.min():  # spans decades: a linear axis looks flat
        left.set_yscale("log")
    right.plot(epochs, run.train_accuracy, lw=3, alpha=0.6, label="train")
    right.plot(epochs, run.test_accuracy, "--", c="k", lw=1.2,  # dashed on top: visible where they coincide
               label="held out" if run.task in ("digits", "mnist") else "truth table (the same rows)")
    right.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title=f"{run.task}: accuracy")
    right.legend()
    return _save(fig, path)


def decision_boundary(run, path) -> Path:
    """The trained 2-input network's output over the unit square, with the truth table on top."""
    plt = _pyplot()
    x, y = run.data[0], run.data[1]
    g = np.linspace(-0.25, 1.25, 151)
    gx, gy = np.meshgrid(g, g)
    out = run.net.forward(np.column_stack([gx.ravel(), gy.ravel()])).a[-1].reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    mesh = ax.contourf(gx, gy, out, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
    ax.contour(gx, gy, out, levels=[0.5], colors="k")
    for target, colour in ((0, "white"), (1, "gold")):
        rows = y[:, 0] == target
        ax.scatter(x[rows, 0], x[rows, 1], c=colour, edgecolors="k", s=140, label=f"target {target}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    fig.colorbar(mesh, ax=ax, label="network output")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=f"{run.task}: decision boundary (output = 0.5)")
    return _save(fig, path)


def descent_path(path_x, path) -> Path:
    from backproof.demos.source_004 import MINIMUM, f
    plt = _pyplot()
    xs = np.linspace(-1.2, 4.2, 400)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, f(xs), label="$f(x) = x^4 - 3x^3 + 2$")
    px = np.asarray(path_x)
    ax.plot(px, f(px), "o-", ms=3, label=f"descent: {len(px) - 1} steps from x = {px[0]:g}")
    ax.axvline(MINIMUM, ls="--", c="gray", label="x = 9/4")
    ax.set(xlabel="x", ylabel="f(x)", ylim=(-10, 70), title="gradient descent")
    ax.legend()
    return _save(fig, path)


def cost_surfaces(path, span: float = 10.0) -> Path:
    """Quadratic vs cross-entropy cost of the NOT network over (w1, w2)."""
    from backproof.demos.source_004 import not_costs
    plt = _pyplot()
    g = np.linspace(-span, span, 121)
    w1, w2 = np.meshgrid(g, g)
    quadratic, ce = not_costs(w1, w2)
    fig = plt.figure(figsize=(10, 4.2))
    for i, (z, name) in enumerate(((quadratic, "quadratic (MSE/2)"), (ce, "cross-entropy")), 1):
        ax = fig.add_subplot(1, 2, i, projection="3d")
        surface = ax.plot_surface(w1, w2, z, cmap="viridis", linewidth=0)  # not clipped: each its own scale
        fig.colorbar(surface, ax=ax, shrink=0.6, pad=0.18)
        ax.set(xlabel="$w_1$ (bias)", ylabel="$w_2$ (input)", zlabel="cost", title=f"NOT net: {name}")
    return _save(fig, path)
