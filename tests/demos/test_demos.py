"""The demos: data loaders (truth tables, digits, MNIST IDX files), training recipes, plots, the
worked examples of sources 003 and 004, and the demo subcommands of the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from backproof.demos import data
from backproof.demos.recipes import accuracy, train
from backproof.demos.source_003 import PUBLISHED, network, worked_example, INPUTS, TARGETS
from backproof.demos.source_004 import MINIMUM, PRECISION, descent, f, not_costs
from backproof.reference.autograd import autograd_gradients
from backproof.cli.main import main
from backproof.reference.compare import assert_case
from backproof.reference.strategies import Case
from backproof.reference.tolerances import rtol_exact


# ----------------------------------------------------------------------------- MNIST IDX

def _mnist_dir(tmp_path, n_train=12, n_test=5, compress=False, **broken):
    rng = np.random.default_rng(0)
    parts = {"train": n_train, "test": n_test}
    for key, name in data.MNIST_FILES.items():
        part, kind = key.split("_")
        n = parts[part]
        arr = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) if kind == "images" else \
            rng.integers(0, 10, n).astype(np.uint8)
        arr = broken.get(key, arr)
        data.write_idx(tmp_path / (name + (".gz" if compress else "")), arr, compress=compress)
    return tmp_path


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_loader_reads_raw_and_gzip(tmp_path, compress):
    x, y, xt, yt = data.load_mnist(_mnist_dir(tmp_path, compress=compress))
    assert x.shape == (12, 784) and y.shape == (12, 10) and xt.shape == (5, 784) and yt.shape == (5, 10)
    assert x.dtype == np.float64 and 0 <= x.min() and x.max() <= 1 and (y.sum(axis=1) == 1).all()
    raw = data.read_idx(next(tmp_path.glob("train-images*")))
    assert np.array_equal(x, raw.reshape(12, -1) / 255.0)


def test_mnist_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*expected the four files"):
        data.load_mnist(tmp_path)


@pytest.mark.parametrize("content, words", [
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x00", "magic number"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX data type"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x00\x00", "5 bytes of data"),
    (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
])
def test_corrupt_idx_files_are_clear_errors(tmp_path, content, words):
    p = tmp_path / "bad"
    p.write_bytes(content)
    with pytest.raises(data.IDXError, match=words):
        data.read_idx(p)


def test_mnist_counts_and_labels_are_validated(tmp_path):
    with pytest.raises(data.IDXError, match="12 images but 3 labels"):
        data.load_mnist(_mnist_dir(tmp_path, train_labels=np.zeros(3, np.uint8)))
    with pytest.raises(data.IDXError, match="a label is 11"):
        data.load_mnist(_mnist_dir(tmp_path, test_labels=np.full(5, 11, np.uint8)))


def test_idx_round_trip_keeps_other_types(tmp_path):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
    data.write_idx(tmp_path / "f", a)
    assert np.array_equal(data.read_idx(tmp_path / "f"), a)


# ----------------------------------------------------------------------------- training

def test_digits_recipe_reaches_90_percent_held_out():
    run = train("digits", seed=0)
    assert run.net.sizes == [64, 30, 30, 10]
    assert run.test_accuracy[-1] >= 0.9
    x_test, y_test = run.data[2], run.data[3]
    assert len(x_test) == 449 and accuracy(run.net, x_test, y_test) == run.test_accuracy[-1]


@pytest.mark.parametrize("gate", ["xor", "nand", "not"])
def test_gates_learn_their_truth_tables(gate):
    run = train(gate, seed=0)
    x, y = data.truth_table(gate)
    assert np.array_equal(run.net.forward(x).a[-1] > 0.5, y > 0.5)


def test_same_seed_same_numbers_and_a_different_seed_differs():
    a, b, c = (train("xor", seed=s, epochs=30).loss for s in (3, 3, 4))
    assert a == b and a != c


def test_bad_task_and_missing_mnist_dir():
    with pytest.raises(ValueError, match="task: expected one of"):
        train("parity")
    with pytest.raises(ValueError, match="mnist_dir"):
        train("mnist")


# ----------------------------------------------------------------------------- sources 003 and 004

def test_source_003_example_matches_the_published_figures_to_their_digits():
    values = worked_example()
    for name, published in PUBLISHED.items():
        digits = len(repr(published).split(".")[1].lstrip("0"))
        assert float(f"{values[name]:.{digits}g}") == published, name


def test_source_003_gradients_equal_autograd_and_shared_bias_sums():
    """The worked example's net against autograd by the harness's own check (derived tolerance,
    judged against the size of the terms), and each layer's one shared bias gets the sum of the
    per-unit bias gradients."""
    net = network()
    assert_case(Case(net, INPUTS, TARGETS), oracles=("autograd",))
    ref, values = autograd_gradients(net, INPUTS, TARGETS), worked_example()
    for l in range(2):
        assert values[f"dE/db{l + 1}"] == pytest.approx(float(ref.db[l].sum()), rel=rtol_exact(np.float64))


def test_source_004_minimum_is_9_over_4_and_descent_reaches_it():
    x = sp.Symbol("x")
    fx = x ** 4 - 3 * x ** 3 + 2
    critical = sp.solve(sp.diff(fx, x), x)
    assert set(critical) == {0, sp.Rational(9, 4)}
    assert sp.diff(fx, x, 2).subs(x, sp.Rational(9, 4)) > 0 and sp.diff(fx, x, 2).subs(x, 0) == 0
    path = descent()
    assert path[0] == 4 and abs(path[-1] - MINIMUM) < 100 * PRECISION
    assert f(path[-1]) == pytest.approx(float(fx.subs(x, sp.Rational(9, 4))), abs=1e-6)


def test_quadratic_cost_is_bounded_where_cross_entropy_grows():
    q, ce = not_costs(np.array([-20.0, -10.0]), np.array([20.0, 10.0]))
    assert (q <= 0.5).all() and ce[0] > ce[1] > 5


# ----------------------------------------------------------------------------- the subcommands

def _png(path) -> tuple:
    import matplotlib.image
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(path).shape


def test_cli_example(capsys):
    assert main(["example", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["values"]["w5+"]["agrees"] and f"{out['values']['E_total']['value']:.9g}" == "0.298371109"


def test_cli_train_xor_writes_both_plots(tmp_path, capsys):
    plot = tmp_path / "xor.png"
    assert main(["train", "xor", "--epochs", "200", "--plot", str(plot), "--seed", "1"]) == 0
    assert "plots:" in capsys.readouterr().out
    h, w, _ = _png(plot)
    assert h > 100 and w > 100 and _png(tmp_path / "xor-boundary.png")[0] > 100


def test_cli_train_mnist_from_idx_files(tmp_path, capsys):
    (tmp_path / "mnist").mkdir()
    folder = _mnist_dir(tmp_path / "mnist", compress=True)
    assert main(["train", "mnist", "--mnist-dir", str(folder), "--epochs", "2", "--json",
                 "--plot", str(tmp_path / "m.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sizes"] == [784, 30, 30, 10] and len(out["history"]["loss"]) == 2
    assert main(["train", "mnist", "--mnist-dir", str(tmp_path / "nowhere")]) == 2
    assert "train-images-idx3-ubyte" in capsys.readouterr().err


def test_cli_descent_and_surface(tmp_path, capsys):
    assert main(["descent", "--json", "--plot", str(tmp_path / "d.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == len(out["path"]) - 1 and abs(out["x"] - 2.25) < 1e-3
    assert main(["surface", "--plot", str(tmp_path / "s.png")]) == 0
    assert "cross-entropy" in capsys.readouterr().out
    assert _png(tmp_path / "d.png")[0] > 100 and _png(tmp_path / "s.png")[0] > 100
    assert main(["descent", "--step", "1", "--plot", str(tmp_path / "x.png")]) == 2  # diverges: a clear error


@pytest.mark.parametrize("number", ["000", "001", "002", "003", "004"])
def test_cli_runs_each_corrected_source(number, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["source", number, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    if number == "000":
        assert [p[2] > 0.5 for p in out["patterns"]] == [True, True, True, False]
    elif number == "001":
        assert [v > 0.5 for v in out["outputs"]] == [False, True, True, False]
    elif number == "002":
        assert out["test_accuracy"] >= 0.9
    elif number == "003":
        assert out["ok"]
    else:
        assert [v > 0.5 for v in out["xor_outputs"]] == [False, True, True, False] and abs(out["descent_x"] - 2.25) < 1e-3


@pytest.mark.parametrize("call, error, words", [
    (lambda: data.truth_table("xnor"), ValueError, "name: expected one of"),
    (lambda: data.one_hot(np.array([0, 10]), 10), ValueError, "labels"),
    (lambda: data.load_digits(test_fraction=1.5), ValueError, "test_fraction"),
    (lambda: data.write_idx("/tmp/x", np.array(["a"])), TypeError, "no IDX type"),
    (lambda: descent(step=-1.0), ValueError, "step"),
    (lambda: descent(precision=float("nan")), ValueError, "precision"),
    (lambda: __import__("backproof.demos.source_000", fromlist=["x"]).MultiLayerNet(0, 1, 1), ValueError, "n_inputs"),
    (lambda: __import__("backproof.demos.source_000", fromlist=["x"]).MultiLayerNet(2, 1, 2).gradients([1, 2], [1, 2]),
     ValueError, "t: expected 1 targets"),
])
def test_bad_input_to_the_demo_code(call, error, words):
    with pytest.raises(error, match=words):
        call()


def _figure(monkeypatch, draw, *args):
    """Draw with one of demos.plots' functions and return the matplotlib figure instead of saving it."""
    from backproof.demos import plots
    kept = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: kept.append(fig))
    draw(*args)
    return kept[0]


def _run(loss):
    from types import SimpleNamespace
    acc = np.linspace(0.5, 1.0, len(loss))
    return SimpleNamespace(loss=loss, recipe=SimpleNamespace(loss="mse", reduction="mean"), task="xor",
                           train_accuracy=acc, test_accuracy=acc)


def test_the_training_cost_is_on_a_log_axis_only_when_it_spans_decades(monkeypatch):
    from backproof.demos import plots
    wide = _figure(monkeypatch, plots.training_curves, _run(np.geomspace(1.0, 1e-4, 50)), "x.png")
    narrow = _figure(monkeypatch, plots.training_curves, _run(np.linspace(1.0, 0.5, 50)), "x.png")
    assert wide.axes[0].get_yscale() == "log" and narrow.axes[0].get_yscale() == "linear"
    train, table = wide.axes[1].get_lines()   # equal curves: told apart by width and dash
    assert train.get_linestyle() != table.get_linestyle() and train.get_linewidth() > table.get_linewidth()


def test_the_cost_surfaces_are_not_clipped_and_have_colour_bars(monkeypatch):
    from backproof.demos import plots
    from backproof.demos.source_004 import not_costs
    fig = _figure(monkeypatch, plots.cost_surfaces, "x.png", 10.0)
    g = np.linspace(-10, 10, 121)
    quadratic, ce = not_costs(*np.meshgrid(g, g))
    surfaces = [ax for ax in fig.axes if ax.name == "3d"]
    bars = [ax for ax in fig.axes if ax.name != "3d"]
    assert len(surfaces) == 2 and len(bars) == 2
    for ax, bar, z in zip(surfaces, bars, (quadratic, ce)):
        low, high = ax.get_zlim()
        assert low <= z.min() and high >= z.max()            # the whole surface is inside the axes
        faces = ax.collections[0].get_array()                # face colours: means of corner heights
        assert bar.get_ylim() == pytest.approx((faces.min(), faces.max()))
    assert ax.collections[0].get_array().max() > 9   # cross-entropy coloured above the old cut at 8
