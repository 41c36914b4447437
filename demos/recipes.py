"""Training demos: the logic gates, the bundled digits, and MNIST, with their recipes.

Each recipe is a network shape, activations, a loss with its explicit reduction and an SGD
schedule. digits and mnist use source 002's recipe ([n_in, 30, 30, 10] sigmoid, ½·SSE summed over
the batch, batch 50, η = 0.1, 20 epochs; 002_a816c5a7591002f0.txt reports 0.9451 test accuracy
on MNIST with it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .data import load_digits, load_mnist, truth_table
from backproof.manual.network import Network
from backproof.manual.train import sgd


@dataclass(frozen=True)
class Recipe:
    sizes: tuple
    activations: tuple
    loss: str
    reduction: str
    epochs: int
    batch_size: int
    lr: float


RECIPES = {
    "xor": Recipe((2, 3, 1), ("tanh", "sigmoid"), "bce", "sum", 2000, 4, 0.5),
    "nand": Recipe((2, 1), ("sigmoid",), "bce", "sum", 2000, 4, 0.5),
    "not": Recipe((1, 1), ("sigmoid",), "bce", "sum", 2000, 2, 0.5),
    "digits": Recipe((64, 30, 30, 10), ("sigmoid",) * 3, "half_sse", "sum", 20, 50, 0.1),
    "mnist": Recipe((784, 30, 30, 10), ("sigmoid",) * 3, "half_sse", "sum", 20, 50, 0.1),
}


@dataclass
class Run:
    """A trained network and its per-epoch history."""

    task: str
    net: Network
    recipe: Recipe
    loss: list = field(default_factory=list)            # cost on the training set after each epoch
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)   # held-out accuracy (the training set for gates)
    data: tuple = ()


def accuracy(net: Network, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction right: argmax against the one-hot target, or output > 0.5 against a 0/1 target."""
    a = net.forward(x).a[-1]
    if y.shape[1] == 1:
        return float(np.mean((a > 0.5) == (y > 0.5)))
    return float(np.mean(a.argmax(axis=1) == y.argmax(axis=1)))


def load_task(task: str, *, seed: int = 0, mnist_dir=None):
    """(x_train, y_train, x_test, y_test); the gates test on their own truth table."""
    if task in ("xor", "nand", "not"):
        x, y = truth_table(task)
        return x, y, x, y
    if task == "digits":
        return load_digits(seed)
    if task == "mnist":
        if mnist_dir is None:
            raise ValueError("mnist_dir: the MNIST task needs the folder with the four IDX files "
                             "(train-images-idx3-ubyte[.gz], ...); try `digits` for an offline run")
        return load_mnist(mnist_dir)
    raise ValueError(f"task: expected one of {sorted(RECIPES)}, got {task!r}")


def train(task: str, *, seed: int = 0, epochs: int | None = None, lr: float | None = None,
          batch_size: int | None = None, mnist_dir=None,
          on_epoch: Callable[[int, float], None] | None = None) -> Run:
    """Train the task's recipe (any field overridable) with every random choice seeded."""
    if task not in RECIPES:
        raise ValueError(f"task: expected one of {sorted(RECIPES)}, got {task!r}")
    recipe = RECIPES[task]
    x, y, x_test, y_test = load_task(task, seed=seed, mnist_dir=mnist_dir)
    net = Network.init(recipe.sizes, list(recipe.activations), loss=recipe.loss,
                       reduction=recipe.reduction, seed=seed)
    run = Run(task, net, recipe, data=(x, y, x_test, y_test))

    def epoch_done(epoch: int, cost: float):
        run.loss.append(cost)
        run.train_accuracy.append(accuracy(net, x, y))
        run.test_accuracy.append(accuracy(net, x_test, y_test))
        if on_epoch:
            on_epoch(epoch, cost)

    sgd(net, x, y, epochs=epochs or recipe.epochs, batch_size=batch_size or recipe.batch_size,
        lr=lr or recipe.lr, seed=seed, on_epoch=epoch_done)
    return run
