"""Your own activation or loss: given as a function on torch tensors, drawn like the shipped ones and
judged against autograd with the bound derived for an unknown function (reference/records.py).

Each backprop below is written as a user would, in NumPy, with its own f'. A correct one passes on
many networks; one with a wrong derivative fails, and the report says which bound judged it.
"""
import numpy as np
import pytest
import torch

from backproof.harness import check_backprop
from backproof.reference.records import UNKNOWN_FUNCTION_BOUND, user_activation, user_loss


def swish(z):
    return z * torch.sigmoid(z)


def elu(z):
    return torch.where(z > 0, z, torch.expm1(torch.clamp(z, max=0.0)))


def huber(a, y):
    """Σ_k huber(a_k − y_k) with δ = 1: ½r² where |r| ≤ 1, |r| − ½ beyond."""
    r = (a - y).abs()
    return torch.where(r <= 1, 0.5 * r * r, r - 0.5).sum(dim=1)


def _sigmoid(z):
    """1 / (1 + e^-z): accurate to its last digits everywhere the draws go (|z| ≤ 12·width). Not
    ½(1 + tanh(z/2)): below z = -8 the sum cancels, σ(-12.6) is off by 6e-11 of itself, and the
    harness rightly says so (dW off by 1e-11, 300 times float64's rounding of the terms)."""
    return 1 / (1 + np.exp(-z))


NUMPY = {  # f, f' as a user writes them; the wrong f' of each
    "swish": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
              lambda z: _sigmoid(z)),                                     # forgot the product rule
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
            lambda z: np.where(z > 0, 1.0, np.expm1(np.minimum(z, 0)))),  # f instead of f' on the left
}


def user_backprop(f, fprime, loss_grad=lambda a, y: a - y):
    """Rows layout, W (out, in), the same activation on every layer, the sum over the batch."""
    def backprop(weights, biases, x, y):
        a, zs = [x], []
        for W, b in zip(weights, biases):
            zs.append(a[-1] @ W.T + b)
            a.append(f(zs[-1]))
        delta = loss_grad(a[-1], y) * fprime(zs[-1])
        dW, db = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dW[l], db[l] = delta.T @ a[l], delta.sum(axis=0)
            if l:
                delta = (delta @ weights[l]) * fprime(zs[l - 1])
        return dW, db
    return backprop


@pytest.mark.parametrize("name, fn", [("swish", swish), ("elu", elu)])
@pytest.mark.parametrize("seed", range(3))
def test_a_correct_backprop_of_your_activation_passes(name, fn, seed):
    f, fprime, _ = NUMPY[name]
    report = check_backprop(user_backprop(f, fprime), activation=fn, max_examples=60, seed=seed)
    assert report.ok, str(report)
    assert f"activation='{name}'" in str(report) and report.settings["bound"] == UNKNOWN_FUNCTION_BOUND


@pytest.mark.parametrize("name, fn", [("swish", swish), ("elu", elu)])
def test_a_wrong_derivative_of_your_activation_fails(name, fn):
    f, _, wrong = NUMPY[name]
    report = check_backprop(user_backprop(f, wrong), activation=fn, max_examples=60, seed=0)
    assert not report.ok and report.counterexample.activations[0] == name, str(report)


def test_your_loss_passes_when_right_and_fails_when_wrong():
    f, fprime, _ = NUMPY["swish"]
    right = user_backprop(f, fprime, loss_grad=lambda a, y: np.clip(a - y, -1, 1))
    wrong = user_backprop(f, fprime, loss_grad=lambda a, y: a - y)          # Huber's clip forgotten
    # y in [-1, 1] and a up to about 12: |a - y| > 1 on many networks
    assert check_backprop(right, activation=swish, loss=huber, max_examples=60, seed=1).ok
    report = check_backprop(wrong, activation=swish, loss=huber, max_examples=60, seed=1)
    assert not report.ok and report.counterexample.loss == "huber", str(report)


def test_your_functions_on_a_per_layer_list_mix_with_shipped_ones():
    """A list of activations, one per layer: your swish on the hidden layer, the sigmoid on the output."""
    f, fprime, _ = NUMPY["swish"]

    def backprop(weights, biases, x, y):
        z1 = x @ weights[0].T + biases[0]
        a1 = f(z1)
        z2 = a1 @ weights[1].T + biases[1]
        a2 = _sigmoid(z2)
        d2 = (a2 - y) * a2 * (1 - a2)
        d1 = (d2 @ weights[1]) * fprime(z1)
        return [d1.T @ x, d2.T @ a1], [d1.sum(axis=0), d2.sum(axis=0)]
    assert check_backprop(backprop, activation=[swish, "sigmoid"], max_examples=40, seed=2).ok


@pytest.mark.parametrize("fn, words", [
    (lambda z: torch.softmax(z, dim=1), "must act elementwise"),
    (lambda z: z.sum(dim=1), "expected a tensor of the input's shape"),
    (lambda z: z.double() * 2, "expected a tensor of the input's shape and dtype"),
    (lambda z: z.numpy(), "expected a tensor"),
    (lambda z: 1 / 0, "raised ZeroDivisionError"),
])
def test_an_activation_that_is_not_elementwise_on_tensors_is_refused(fn, words):
    with pytest.raises(ValueError, match=words):
        user_activation(fn)


@pytest.mark.parametrize("fn, words", [
    (lambda a, y: ((a - y) ** 2).sum(), r"one cost per example, shape \(3,\)"),
    (lambda a, y: ((a - y) ** 2).sum(dim=1) + (a - y).sum(), "each C_n must depend on its own row"),
])
def test_a_loss_that_is_not_one_cost_per_example_is_refused(fn, words):
    with pytest.raises(ValueError, match=words):
        user_loss(fn)


def test_a_name_that_is_not_an_activation_is_still_an_error():
    from names import UNKNOWN_ACTIVATION
    with pytest.raises(ValueError, match=f"activation: unknown activation '{UNKNOWN_ACTIVATION}'"):
        check_backprop(user_backprop(*NUMPY["swish"][:2]), activation=UNKNOWN_ACTIVATION)
