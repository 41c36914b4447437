"""Training: mini-batch SGD (manual/train.py), one step, seeds, and the Network's constructor and repr."""
import numpy as np
import pytest

from backproof.manual import Network, leaky_relu, sgd, train_step

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_learns_xor_and_keeps_the_dtype(dtype):
    net = Network.init([2, 4, 1], ["tanh", "sigmoid"], loss="bce", reduction="mean", seed=1, dtype=dtype)
    x, y = XOR_X.astype(dtype), XOR_Y.astype(dtype)
    history = sgd(net, x, y, epochs=2000, batch_size=4, lr=1.0, seed=0)
    assert history[-1] < 0.05 < history[0], history[::400]
    assert ((net.forward(x).a[-1] > 0.5) == (y > 0.5)).all()
    assert all(p.dtype == dtype for p in net.W + net.b)


def assert_one_sgd_step(net, before, g, a, lr):
    """Every parameter moved by −lr·∂C/∂θ of the starting point `before` (gradients g, activations a
    of the same batch), up to the rounding of the two ways of computing it. train_step applies BP3
    and BP4 to lr·delta (manual/train.py), so its sums round in another order than lr·(Σ delta) and
    lr·(delta.T @ a). The standard bound for a k-term sum, |error| ≤ k·eps·Σ|terms|, for each of the
    two, plus a rounding of each of lr·delta, θ, λθ and the difference, gives per entry
    (2k + 4)·eps·(|θ| + lr·Σ|terms| + lr·λ·|θ|), with Σ|terms| = |delta|.T @ |a| for W[l] and
    Σ_n |delta_n| for b[l]."""
    eps, k, L = np.finfo(net.dtype).eps, g.delta[0].shape[0], len(net.W)
    terms = [np.abs(d).T @ np.abs(a_prev) for d, a_prev in zip(g.delta, a)] + [np.abs(d).sum(axis=0) for d in g.delta]
    decays = [net.l2] * L + [net.l2 if net.l2_biases else 0.0] * L
    names = [f"W[{l}]" for l in range(1, L + 1)] + [f"b[{l}]" for l in range(1, L + 1)]
    for name, p0, p1, d, t, lam in zip(names, before, net.W + net.b, g.dW + g.db, terms, decays):
        scale = np.abs(p0) + lr * t + lr * lam * np.abs(p0)
        err = np.abs(p1 - (p0 - lr * d))
        worst = np.unravel_index(np.argmax(err / scale), err.shape)
        assert (err <= (2 * k + 4) * eps * scale).all(), (f"{name}{list(worst)}: {p1[worst]!r} after the step, "
                                                          f"θ − lr·dC/dθ = {(p0 - lr * d)[worst]!r}")


def test_sgd_step_is_gradient_descent():
    """One full-batch epoch moves every parameter by −η·∂C/∂θ of the starting point."""
    net = Network.init([2, 3, 1], "sigmoid", loss="half_sse", reduction="sum", seed=3)
    before = [p.copy() for p in net.W + net.b]
    g, a = net.gradients(XOR_X, XOR_Y), net.forward(XOR_X).a
    sgd(net, XOR_X, XOR_Y, epochs=1, batch_size=4, lr=0.5)
    assert_one_sgd_step(net, before, g, a, 0.5)



def test_train_step_is_one_gradient_step_in_place():
    """train_step moves every parameter by −lr·∂C/∂θ (float64 and float32), in place: the
    arrays the network holds are the ones updated."""
    for dtype in (np.float64, np.float32):
        net = Network.init([2, 5, 3, 1], "tanh", loss="half_sse", reduction="sum", seed=4, dtype=dtype)
        x, y = net.check_xy(XOR_X.astype(dtype), XOR_Y.astype(dtype))
        arrays = [id(p) for p in net.W + net.b]
        before = [p.copy() for p in net.W + net.b]
        g, a = net.gradients(x, y), net.forward(x).a
        lr = net.dtype.type(0.3)
        train_step(net, x, y, lr)
        assert [id(p) for p in net.W + net.b] == arrays
        assert_one_sgd_step(net, before, g, a, lr)


@pytest.mark.parametrize("layout", ["C-ordered", "transposed view", "read-only"])
@pytest.mark.parametrize("l2, l2_biases", [(0.0, False), (0.25, False), (0.25, True)])
def test_train_step_with_l2_and_any_weight_layout(layout, l2, l2_biases):
    """The step is −lr·∂C/∂θ with the L2 term's λ·W (and λ·b) too, whether W[l] is an ordinary
    C-ordered array, a transposed view, or read-only (NumPy's error, nothing moved)."""
    rng = np.random.default_rng(7)
    sizes, batch = [4, 6, 5, 3], 9
    W = [rng.standard_normal((m, k)) for k, m in zip(sizes, sizes[1:])]
    if layout == "transposed view":
        W = [np.ascontiguousarray(w.T).T for w in W]
    net = Network(W, [rng.standard_normal(m) for m in sizes[1:]], "tanh", loss="half_sse", reduction="mean",
                  l2=l2, l2_biases=l2_biases)
    x, y = net.check_xy(rng.standard_normal((batch, 4)), rng.standard_normal((batch, 3)))
    before = [p.copy() for p in net.W + net.b]
    g, a = net.gradients(x, y), net.forward(x).a
    if layout == "read-only":
        for w in net.W:
            w.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            train_step(net, x, y, 0.2)
        for p0, p1 in zip(before, net.W):
            np.testing.assert_array_equal(p0, p1)
        return
    train_step(net, x, y, 0.2)
    assert_one_sgd_step(net, before, g, a, 0.2)


def test_an_ordinary_step_is_not_checked_in_full(monkeypatch):
    """Where the bound shows the update finite, the step does not run the full backward pass (which
    computes ∂C/∂W[l] and then lr·∂C/∂W[l], a second pass over each)."""
    import backproof.manual.train as train

    def full_backward(*args):
        raise AssertionError("train_step computed every dC/dW")
    monkeypatch.setattr(train, "backpropagate", full_backward)
    net = Network.init([3, 4, 2], "sigmoid", loss="half_sse", reduction="sum", seed=1)
    before = net.W[0].copy()
    train_step(net, *net.check_xy(np.ones((2, 3)), np.zeros((2, 2))), 0.5)
    assert not np.array_equal(before, net.W[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_finiteness_bound_shows_only_what_holds(dtype):
    """weight_step_is_finite: True for ordinary values; False where an entry is nan or inf, where
    the true lr·∂C/∂W overflows, where the norms overflow although every product would be finite
    (the bound shows nothing there), and where the L2 term lr·λ·W overflows."""
    from backproof.manual.train import weight_step_is_finite
    big = np.sqrt(np.finfo(dtype).max)
    step, a, W = np.ones((4, 2), dtype), np.ones((4, 3), dtype), np.ones((2, 3), dtype)
    assert weight_step_is_finite(step, a, dtype(0.1), W)
    for bad in (np.nan, np.inf):
        spoiled = a.copy()
        spoiled[2, 1] = bad
        assert not weight_step_is_finite(step, spoiled, dtype(0), W)
    assert not weight_step_is_finite(step * big, a * dtype(2), dtype(0), W)           # true products: 2·max
    assert not weight_step_is_finite(step * big, a * dtype(2), dtype(0.1), W)         # the same with an L2 term
    assert not weight_step_is_finite(step * (big / 4), a * (big / 4), dtype(0), W)    # finite products, bound too big
    assert not weight_step_is_finite(step, a, dtype(1), W * np.finfo(dtype).max)      # lr·λ·W: max·sqrt(6)


def test_sgd_same_seed_same_numbers():
    runs = [sgd(Network.init([2, 3, 1], "tanh", loss="mse", reduction="mean", seed=5), XOR_X, XOR_Y,
                epochs=5, batch_size=2, lr=0.1, seed=9) for _ in range(2)]
    assert runs[0] == runs[1]


def test_sgd_reports_each_epoch_and_defaults_to_seed_0():
    calls = []
    history = sgd(Network.init([2, 3, 1], "tanh", loss="mse", reduction="mean", seed=5), XOR_X, XOR_Y,
                  epochs=3, batch_size=2, lr=0.1, on_epoch=lambda epoch, cost: calls.append((epoch, cost)))
    assert calls == [(0, history[0]), (1, history[1]), (2, history[2])]
    seeded = sgd(Network.init([2, 3, 1], "tanh", loss="mse", reduction="mean", seed=5), XOR_X, XOR_Y,
                 epochs=3, batch_size=2, lr=0.1, seed=0)
    assert history == seeded  # the documented default seed is 0: the same numbers every run


def test_init_defaults_to_seed_0():
    """Network.init without a seed is reproducible and is the seed-0 network, as documented."""
    nets = [Network.init([3, 4, 2], "tanh", loss="mse", reduction="mean", **seed) for seed in ({}, {"seed": 0})]
    for W0, W1 in zip(nets[0].W, nets[1].W):
        np.testing.assert_array_equal(W0, W1)


def test_repr_names_the_architecture():
    net = Network.init([2, 3, 3, 1], ["tanh", leaky_relu(0.2), "sigmoid"], loss="bce", reduction="mean",
                       dtype=np.float32)
    assert repr(net) == ("Network(sizes=[2, 3, 3, 1], activations=[tanh, leaky_relu(0.2), sigmoid], loss=bce, "
                         "reduction=mean, dtype=float32)")
