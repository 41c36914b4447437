"""An activation and a loss added the way docs/architecture.md says, in its two places (manual/'s
table and one record in reference/records.py), here at run time: the strategies draw them, every
oracle judges them (a correct backward passes, a wrong f' or ∂C/∂a fails), the harness checks a
user's backprop with them, and every seed's draws that do not pick them stay as they were.

The names are made up here, so that they never clash with a record someone adds later."""
import numpy as np
import pytest
import torch
from scipy import special

from backproof.manual import activations as manual_activations
from backproof.manual import losses as manual_losses
from backproof.reference import records
from backproof.reference.compare import ORACLES, check_case, manual_backward
from backproof.harness import check_backprop
from backproof.reference.strategies import Limits, RandomChooser, draw_structure, random_case
from names import unused_name

SEEDS = range(40)


# manual/'s side, written by hand: swish and a log-cosh loss
def swish(z):
    """f(z) = z·σ(z)."""
    return z / (1 + np.exp(-z))


def swish_prime(z):
    """f'(z) = σ(z) (1 + z (1 − σ(z)))."""
    s = 1 / (1 + np.exp(-z))
    return s * (1 + z * (1 - s))


def log_cosh(z, a, y):
    """C_n = Σ_k log cosh(a_k − y_k)."""
    return np.log(np.cosh(a - y)).sum(axis=1)


def log_cosh_grad(a, y):
    """∂C_n/∂a_k = tanh(a_k − y_k)."""
    return np.tanh(a - y)


def _exact_log_cosh(m, z, a, y):
    return sum(m.log((m.exp(u - t) + m.exp(t - u)) / 2) for u, t in zip(a, y))


def add_both(monkeypatch):
    """Add swish and log_cosh in their two places; (activation name, loss name)."""
    act = unused_name("swish", manual_activations.ACTIVATIONS, records.ACTIVATIONS)
    loss = unused_name("log_cosh", manual_losses.LOSSES, records.LOSSES)
    monkeypatch.setitem(manual_activations.ACTIVATIONS, act,
                        manual_activations.Activation(act, swish, prime=swish_prime))
    monkeypatch.setitem(manual_losses.LOSSES, loss, manual_losses.Loss(loss, log_cosh, grad_a=log_cosh_grad))
    monkeypatch.setitem(records.ACTIVATIONS, act, records.ActivationRecord(
        act, "sw", lambda z: z * torch.sigmoid(z), lambda z: z * special.expit(z),
        exact=lambda m, row: [v / (1 + m.exp(-v)) for v in row]))
    monkeypatch.setitem(records.LOSSES, loss, records.LossRecord(
        loss, lambda z, a, y: torch.log(torch.cosh(a - y)).sum(dim=1),
        lambda z, a, y: np.log(np.cosh(a - y)).sum(axis=1), exact=_exact_log_cosh, separable=True))
    return act, loss


@pytest.fixture
def added(monkeypatch):
    """(activation name, loss name), both in manual/'s tables and in the records for this test."""
    return add_both(monkeypatch)


def _structures():
    """Each seed's structure, its activations by name and parameters (leaky_relu is built afresh)."""
    out = []
    for s in SEEDS:
        st = draw_structure(RandomChooser(np.random.default_rng(s)))
        out.append(st.__class__(**{**st.__dict__, "activations": tuple(map(str, st.activations))}))
    return out


def _names(structure) -> set:
    return {str(f) for f in structure.activations} | {str(structure.loss)}


def test_the_records_agree_with_manual(added):
    assert records.check_records_agree() == []


def test_a_seed_draws_what_it_drew_unless_it_draws_the_new_record(monkeypatch):
    """Choices are made by name (rendezvous hashing), so a record added changes only the draws
    where it is chosen; the others keep every choice and value they had."""
    before = _structures()
    act, loss = add_both(monkeypatch)
    after = _structures()
    moved = [s for s, (b, a) in enumerate(zip(before, after)) if b != a]
    assert all({act, loss} & _names(after[s]) for s in moved), \
        f"seeds {[s for s in moved if not ({act, loss} & _names(after[s]))]} changed without drawing the new record"
    assert moved, "no seed drew the new activation or loss: the strategies do not see the records"
    assert len(moved) < len(SEEDS) / 2, f"{len(moved)} of {len(SEEDS)} seeds moved: choices are not by name"


def _cases_with(name: str, *, want: int = 3, **choices):
    """Seeded cases whose activations or loss include `name` (drawn by default, not forced)."""
    found = []
    for seed in range(400):
        case = random_case(np.random.default_rng(seed), Limits(width=(1, 4), batch=(1, 4), depth=(0, 2)), **choices)
        if name in _names_case(case):
            found.append(case)
            if len(found) == want:
                return found
    raise AssertionError(f"{name} was drawn {len(found)} times in 400 seeds")


def _names_case(case) -> set:
    return {f.name for f in case.net.activations} | {str(case.net.loss)}


@pytest.mark.parametrize("oracle", ORACLES)
def test_every_oracle_passes_manual_and_fails_a_wrong_derivative(added, oracle, monkeypatch):
    act, loss = added
    cases = _cases_with(act, dtypes=("float64",)) + _cases_with(loss, dtypes=("float64",))
    for case in cases:
        report = check_case(case, oracles=(oracle,))
        assert report.ok, report.failure_message()
    # the same networks with a wrong f' (σ, the textbook slip) and a wrong ∂C/∂a (a − y)
    monkeypatch.setitem(manual_activations.ACTIVATIONS, act,
                        manual_activations.Activation(act, swish, prime=lambda z: 1 / (1 + np.exp(-z))))
    monkeypatch.setitem(manual_losses.LOSSES, loss, manual_losses.Loss(loss, log_cosh, grad_a=lambda a, y: a - y))

    def wrong_backward(net, x, y):
        net.activations = [manual_activations.ACTIVATIONS[f.name] if f.name == act else f for f in net.activations]
        net.loss = manual_losses.LOSSES[loss] if str(net.loss) == loss else net.loss
        return manual_backward(net, x, y)

    failed = [not check_case(case, wrong_backward, oracles=(oracle,)).ok for case in cases]
    assert any(failed[:3]) and any(failed[3:]), f"{oracle} passed a wrong f' or ∂C/∂a: {failed}"


def _user_backprop(prime, grad):
    """A learner's backprop for one activation on every layer: (W, b, x, y) -> (dW, db), sum reduction."""
    def backprop(W, b, x, y):
        zs, acts = [], [x]
        for Wl, bl in zip(W, b):
            zs.append(acts[-1] @ Wl.T + bl)
            acts.append(swish(zs[-1]))
        delta = grad(acts[-1], y) * prime(zs[-1])
        dW, db = [None] * len(W), [None] * len(W)
        for l in range(len(W) - 1, -1, -1):
            dW[l], db[l] = delta.T @ acts[l], delta.sum(axis=0)
            if l:
                delta = (delta @ W[l]) * prime(zs[l - 1])
        return dW, db
    return backprop


def test_the_harness_checks_code_with_them(added):
    act, loss = added
    right = check_backprop(_user_backprop(swish_prime, log_cosh_grad), activation=act, loss=loss,
                           max_examples=20, seed=3)
    assert right.ok, str(right)
    wrong = check_backprop(_user_backprop(swish_prime, lambda a, y: a - y), activation=act, loss=loss,
                           max_examples=20, seed=3)
    assert not wrong.ok and "WRONG" in str(wrong)
