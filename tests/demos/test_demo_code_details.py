"""Details of the demo and source code that the broader tests leave open: exact
error messages, seeds that must reach the random draws, init ranges, the NOT costs against torch,
the IDX header at its boundaries."""
from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest
import torch

from backproof.demos import data, source_000, source_001, source_002, source_004
from backproof.demos import recipes as demos
from backproof.manual.network import Network
from backproof.reference.tolerances import rtol_exact


# ----------------------------------------------------------------------------- source 000

@pytest.mark.parametrize("args, name, exc", [
    ((0, 1, 1, 1), "n_inputs", ValueError), ((1, -1, 1, 1), "n_hidden_layers", ValueError),
    ((1, 1, 0, 1), "n_nodes", ValueError), ((1, 1, 1, 0), "n_outputs", ValueError),
    ((True, 1, 1, 1), "n_inputs", TypeError), ((1, 1, 2.0, 1), "n_nodes", TypeError)])
def test_000_constructor_names_the_bad_argument(args, name, exc):
    with pytest.raises(exc, match=rf"^{name}: expected an int >= "):
        source_000.MultiLayerNet(*args)


def test_000_init_is_uniform_in_minus_one_one_and_seeded():
    net = source_000.MultiLayerNet(30, 2, 40, 20, seed=3)
    values = np.concatenate([w.ravel() for w in net.weights] + [b for b in net.biases])
    assert -1 <= values.min() < -0.95 and 0.95 < values.max() < 1
    assert np.array_equal(net.weights[0], source_000.MultiLayerNet(30, 2, 40, 20, seed=3).weights[0])
    assert not np.array_equal(net.weights[0], source_000.MultiLayerNet(30, 2, 40, 20, seed=4).weights[0])
    biases = np.concatenate(net.biases)
    assert biases.min() < -0.9 and biases.max() > 0.9


def test_000_forward_checks_x_and_works_in_float64():
    net = source_000.MultiLayerNet(2, 2, 3, 1)
    with pytest.raises(ValueError, match=r"^x: expected 2 inputs, got shape \(3,\)$"):
        net.forward([1, 2, 3])
    zs, a = net.forward([1, 0])
    assert a[0].dtype == np.float64 and len(a) == 4 and np.array_equal(net.predict([1, 0]), a[-1])
    assert not np.array_equal(net.predict([1, 0]), a[1][: len(a[-1])])


def test_000_one_epoch_is_one_gradient_step_per_pattern():
    net, ref = source_000.MultiLayerNet(2, 1, 3, 1, seed=2), source_000.MultiLayerNet(2, 1, 3, 1, seed=2)
    net.train(epochs=1)  # the default learning rate, 0.5
    for x, t in source_000.NAND_PATTERNS:
        _, dw, db, _ = ref.gradients(x, t)
        for l in range(2):
            ref.weights[l] -= 0.5 * dw[l]
            ref.biases[l] -= 0.5 * db[l]
    for l in range(2):
        assert np.array_equal(net.weights[l], ref.weights[l])  # the same operations: bit for bit
        assert np.array_equal(net.biases[l], ref.biases[l])
    assert len(source_000.MultiLayerNet(2, 0, 1, 1).train()) == 2000


# ----------------------------------------------------------------------------- sources 001 to 003

def test_001_weights_come_from_the_seeded_legacy_generator():
    rng = np.random.RandomState(1)
    w1, w2 = rng.random_sample((3, 4)), rng.random_sample((4, 1))
    W = source_001.initial_weights()
    assert np.array_equal(W[0], w1.T) and np.array_equal(W[1], w2.T)
    assert not np.array_equal(source_001.train(iterations=1, seed=2)[0][0], source_001.train(iterations=1)[0][0])
    assert np.array_equal(source_001.train(iterations=1, seed=1)[0][0], source_001.train(iterations=1)[0][0])


def test_002_bias_gradients_are_columns():
    dW, db = source_002.column_gradients([np.ones((3, 2)), np.ones((1, 3))], [np.zeros((3, 1)), np.zeros((1, 1))],
                                         np.ones((2, 4)), np.zeros((1, 4)))
    assert [d.shape for d in db] == [(3, 1), (1, 1)] and [d.shape for d in dW] == [(3, 2), (1, 3)]
    with pytest.raises(ValueError, match="same m"):
        source_002.column_gradients([np.ones((1, 2))], [np.ones((1, 1))], np.ones(2), np.ones((1, 2)))


# ----------------------------------------------------------------------------- source 004

@pytest.mark.parametrize("kwargs, words", [({"step": 0.0}, "^step: "), ({"step": float("inf")}, "^step: "),
                                           ({"precision": -1e-5}, "^precision: "),
                                           ({"precision": float("inf")}, "^precision: ")])
def test_004_descent_rejects_bad_settings_by_name(kwargs, words):
    with pytest.raises(ValueError, match=words):
        source_004.descent(**kwargs)


def test_004_descent_reports_divergence_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^descent diverged from x = 4.0 with step 1.0$"):
            source_004.descent(step=1.0)
    with pytest.raises(ValueError, match=r"^descent did not settle within 3 steps$"):
        source_004.descent(max_steps=3)


def test_004_not_costs_equal_torch():
    w1, w2 = np.meshgrid(np.linspace(-6, 6, 7), np.linspace(-5, 5, 5))
    quadratic, ce = source_004.not_costs(w1, w2)
    a = torch.sigmoid(torch.tensor(w1)[..., None] + torch.tensor(w2)[..., None] * torch.tensor([0.0, 1.0]))
    y = torch.tensor([1.0, 0.0], dtype=torch.float64).expand_as(a)
    mse = torch.nn.functional.mse_loss(a, y, reduction="none").mean(-1) / 2
    bce = torch.nn.functional.binary_cross_entropy(a, y, reduction="none").mean(-1)
    np.testing.assert_allclose(quadratic, mse.numpy(), rtol=rtol_exact(np.float64))
    # torch's BCE takes log(1 − a), which loses digits where a is near 1 (≈ eps/(1 − a) relative);
    # the exact value (mpmath, 40 digits) is the reference there
    import mpmath
    with mpmath.workdps(40):
        exact = np.array([[float(-(mpmath.log(1 / (1 + mpmath.exp(-u))) +
                                   mpmath.log(1 - 1 / (1 + mpmath.exp(-(u + v))))) / 2)
                           for u, v in zip(r1, r2)] for r1, r2 in zip(w1, w2)])
    # a = σ(·) is rounded to eps relative, so ln a and ln(1 − a) carry eps / min(a, 1 − a) absolute
    a_np = a.numpy()
    bound = 4 * np.finfo(float).eps * (np.abs(exact) + 1 / np.minimum(a_np, 1 - a_np).min(axis=-1))
    assert (np.abs(ce - exact) <= bound).all() and (np.abs(bce.numpy() - exact) <= bound).all()
    np.testing.assert_allclose(source_004.not_output(2, -3),
                               torch.sigmoid(torch.tensor([2.0, -1.0], dtype=torch.float64)).numpy(),
                               rtol=4 * np.finfo(float).eps)
    assert source_004.not_output([1, 2], [3, 4]).dtype == np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(source_004.not_costs(-800.0, 0.0)[1])  # log(0): +inf, no warning


def test_004_xor_is_seeded():
    a, b, c = (source_004.train_xor(seed=s, epochs=5)[0] for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert not np.array_equal(source_004.xor_initial(1)[0], source_004.xor_initial(2)[0])


@pytest.mark.parametrize("seed, n_in, n_hidden, n_out", [(None, 2, 3, 1), (2, 3, 5, 2)])
def test_004_xor_initial_is_the_sources_scaled_normal(seed, n_in, n_hidden, n_out):
    """θ = ½·sqrt(6 / (fan_in + fan_out)) times standard normals, as source 004 draws them (θ1
    first, a bias row appended to each), from default_rng(seed); the seed defaults to 0."""
    if seed is None:
        theta1, theta2 = source_004.xor_initial()
    else:
        theta1, theta2 = source_004.xor_initial(seed, n_in, n_hidden, n_out)
    rng = np.random.default_rng(seed or 0)
    for theta, fan_in, fan_out in ((theta1, n_in, n_hidden), (theta2, n_hidden, n_out)):
        draws = rng.standard_normal((fan_in + 1, fan_out))
        scaled = 0.5 * np.sqrt(6 / (fan_in + fan_out)) * draws
        np.testing.assert_allclose(theta, scaled, rtol=4 * np.finfo(float).eps)


# ----------------------------------------------------------------------------- demos

def test_accuracy_thresholds_and_argmax():
    net = Network([np.zeros((1, 1))], [np.zeros(1)], "identity", loss="half_sse", reduction="sum")
    x = np.array([[0.0], [0.0]])
    net.b[0][:] = 0.5                                          # output exactly 0.5: not > 0.5
    assert demos.accuracy(net, x, np.array([[0.0], [0.5]])) == 1.0
    net.b[0][:] = 0.6
    assert demos.accuracy(net, x, np.array([[1.0], [0.0]])) == 0.5
    assert demos.accuracy(net, x, np.array([[1.0], [1.0]])) == 1.0
    net2 = Network([np.eye(2)], [np.zeros(2)], "identity", loss="half_sse", reduction="sum")
    assert demos.accuracy(net2, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.5


def test_train_uses_the_seed_everywhere_and_reports_each_epoch():
    calls = []
    run = demos.train("digits", seed=3, epochs=1, on_epoch=lambda e, c: calls.append((e, c)))
    assert run.task == "digits" and calls == [(0, run.loss[0])]
    assert np.array_equal(run.data[2], data.load_digits(3)[2])
    again = demos.train("digits", seed=3, epochs=1)
    other = demos.train("digits", seed=4, epochs=1)
    assert np.array_equal(again.net.W[0], run.net.W[0]) and not np.array_equal(other.net.W[0], run.net.W[0])
    xor = demos.train("xor", seed=0, epochs=1)
    assert not np.array_equal(xor.net.W[0], demos.train("xor", seed=1, epochs=1).net.W[0])


def test_task_errors_are_exact():
    with pytest.raises(ValueError, match=r"^task: expected one of \['digits', 'mnist', 'nand', 'not', 'xor'\], got 'x'$"):
        demos.load_task("x")
    with pytest.raises(ValueError, match=r"^mnist_dir: the MNIST task needs the folder with the four IDX files "
                                         r"\(train-images-idx3-ubyte\[\.gz\], \.\.\.\); try `digits` for an offline run$"):
        demos.load_task("mnist")


# ----------------------------------------------------------------------------- data

def test_digits_split_scaling_and_labels():
    x, y, xt, yt = data.load_digits(0)
    assert x.max() == 1.0 and x.min() == 0.0 and yt.shape[1] == 10 == y.shape[1]
    assert not np.array_equal(xt, data.load_digits(1)[2])
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="^test_fraction: "):
            data.load_digits(test_fraction=bad)
    with pytest.raises(ValueError, match=r"^labels: expected a 1-D array of integers in 0\.\.9$"):
        data.one_hot(np.array([10]), 10)


def test_idx_header_boundaries(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")      # one dimension of size 0: valid, empty
    assert data.read_idx(p).shape == (0,)
    p.write_bytes(b"\x00\x00\x08\x00")                      # no dimensions
    with pytest.raises(data.IDXError, match="truncated"):
        data.read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x02\x01\x00\x00\x01\x00\x00\x00\x00")  # a dimension above 2^24, no data
    assert data.read_idx(p).shape == (2**24 + 1, 0)
    big = np.arange(70_000, dtype=np.uint8).reshape(1, 1, 70_000)  # a dimension above 2^16
    data.write_idx(p, big)
    assert np.array_equal(data.read_idx(p), big)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.float32, np.float64, np.int8])
def test_idx_round_trip_of_every_type(tmp_path, dtype):
    a = (np.arange(-6, 6) * 3).astype(dtype).reshape(3, 4)
    data.write_idx(tmp_path / "t", a)
    assert np.array_equal(data.read_idx(tmp_path / "t"), a)


def test_write_idx_compresses_when_asked(tmp_path):
    data.write_idx(tmp_path / "g", np.zeros((2, 2), np.uint8), compress=True)
    raw = (tmp_path / "g").read_bytes()
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw)[:4] == b"\x00\x00\x08\x02"


def test_mnist_structure_errors(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 255, (3, 784), dtype=np.uint8),   # 2-D: wrong
              "train_labels": np.zeros(3, np.uint8),
              "test_images": np.zeros((2, 28, 28), np.uint8), "test_labels": np.array([10, 0], np.uint8)}
    for key, name in data.MNIST_FILES.items():
        data.write_idx(tmp_path / name, arrays[key])
    with pytest.raises(data.IDXError, match="MNIST train: expected images with 3 dimensions"):
        data.load_mnist(tmp_path)
    data.write_idx(tmp_path / data.MNIST_FILES["train_images"], np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(data.IDXError, match="MNIST test: a label is 10"):
        data.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                                "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"):
        data.load_mnist(tmp_path / "nothing")


def test_train_is_network_init_then_sgd_with_the_same_seed():
    from backproof.manual.train import sgd
    run = demos.train("digits", seed=5, epochs=1)
    recipe = demos.RECIPES["digits"]
    net = Network.init(recipe.sizes, list(recipe.activations), loss=recipe.loss, reduction=recipe.reduction, seed=5)
    x, y, _, _ = data.load_digits(5)
    history = sgd(net, x, y, epochs=1, batch_size=recipe.batch_size, lr=recipe.lr, seed=5)
    assert history == run.loss and all(np.array_equal(a, b) for a, b in zip(net.W, run.net.W))
    shuffled_otherwise = Network.init(recipe.sizes, list(recipe.activations), loss=recipe.loss,
                                      reduction=recipe.reduction, seed=5)
    sgd(shuffled_otherwise, x, y, epochs=1, batch_size=recipe.batch_size, lr=recipe.lr, seed=0)
    assert not np.array_equal(shuffled_otherwise.W[0], run.net.W[0])  # so the seed does reach the shuffle


def test_defaults_are_the_documented_ones(tmp_path):
    assert all(np.array_equal(a, b) for a, b in zip(data.load_digits(), data.load_digits(0)))
    assert all(np.array_equal(a, b) for a, b in zip(demos.load_task("digits"), demos.load_task("digits", seed=0)))
    assert demos.train("xor", epochs=2).loss == demos.train("xor", seed=0, epochs=2).loss
    assert source_000.MultiLayerNet(2, 1, 2).sizes == [2, 2, 1]
    assert np.array_equal(source_000.MultiLayerNet(2, 1, 2).weights[0], source_000.MultiLayerNet(2, 1, 2, seed=0).weights[0])
    data.write_idx(tmp_path / "raw", np.zeros(3, np.uint8))
    assert (tmp_path / "raw").read_bytes()[:4] == b"\x00\x00\x08\x01"   # not gzipped unless asked
    default, explicit = source_004.train_xor(), source_004.train_xor(seed=0, lr=0.1, epochs=10_000)
    assert np.array_equal(default[0], explicit[0])
    with pytest.raises(ValueError, match=r"^descent did not settle within 100000 steps$"):
        source_004.descent(step=1e-5, precision=1e-14)


def test_descent_from_a_huge_start_is_a_clear_error_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="diverged"):
            source_004.descent(1e155, step=1.0)   # f'(x) = inf − inf = nan
