"""The SGD loop, the finite-difference oracle's own behaviour, and the `backproof` command."""
import json

import numpy as np
import pytest

from backproof.manual import Network, leaky_relu, sgd
from backproof.cli import check as check_cli, main as cli
from backproof.cli.main import main
from backproof.reference.compare import check_case
from backproof.reference.finite_diff import finite_difference_gradients
from backproof.reference.strategies import Case, Limits, random_case

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


def test_sgd_step_is_gradient_descent():
    """One full-batch epoch moves every parameter by exactly −η·∂C/∂θ of the starting point."""
    net = Network.init([2, 3, 1], "sigmoid", loss="half_sse", reduction="sum", seed=3)
    before = [p.copy() for p in net.W + net.b]
    g = net.gradients(XOR_X, XOR_Y)
    sgd(net, XOR_X, XOR_Y, epochs=1, batch_size=4, lr=0.5)
    for p0, p1, d in zip(before, net.W + net.b, g.dW + g.db):
        np.testing.assert_array_equal(p1, p0 - 0.5 * d)


def test_train_step_buffers_change_nothing_but_where_dW_lives():
    """A step with a buffers dict gives the same parameters, bit for bit, as one without; the dict keeps
    one array per layer between steps, holding the step's η·∂C/∂W[l], and a network of other shapes gets
    new ones."""
    from backproof.manual import train_step
    nets = [Network.init([2, 5, 3, 1], "tanh", loss="half_sse", reduction="sum", seed=4) for _ in range(2)]
    buffers = {}
    x, y = nets[0].check_xy(XOR_X, XOR_Y)
    for step in range(3):
        g = nets[0].gradients(x, y)
        train_step(nets[0], x, y, np.float64(0.3), buffers)
        for kept_dW, dW in zip(buffers["dW"], g.dW):   # the step's η·∂C/∂W[l] was written there
            np.testing.assert_array_equal(kept_dW, np.float64(0.3) * dW)
        train_step(nets[1], x, y, np.float64(0.3))
        if step == 0:
            kept = buffers["dW"]
        assert buffers["dW"] is kept and [a.shape for a in kept] == [(5, 2), (3, 5), (1, 3)]
    for p, q in zip(nets[0].W + nets[0].b, nets[1].W + nets[1].b):
        np.testing.assert_array_equal(p, q)
    other = [Network.init([2, 4, 1], "sigmoid", loss="half_sse", reduction="sum", seed=1, dtype=np.float32)
             for _ in range(2)]
    x32, y32 = other[0].check_xy(XOR_X.astype(np.float32), XOR_Y.astype(np.float32))
    train_step(other[0], x32, y32, np.float32(0.3), buffers)
    train_step(other[1], x32, y32, np.float32(0.3))
    assert [(a.shape, a.dtype) for a in buffers["dW"]] == [((4, 2), np.float32), ((1, 4), np.float32)]
    for p, q in zip(other[0].W + other[0].b, other[1].W + other[1].b):
        np.testing.assert_array_equal(p, q)


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


def test_finite_differences_catch_a_wrong_gradient():
    case = random_case(np.random.default_rng(4), Limits(depth=(0, 1)))
    grads = case.net.gradients(case.x, case.y)
    grads.dW[0] = grads.dW[0] * 1.001  # off by 0.1 %
    report = check_case(case, lambda net, x, y: grads, oracles=("finite_differences",))
    assert not report.ok and "finite_differences: dW[1]" in report.failure_message()


def test_finite_differences_refuse_to_straddle_a_kink():
    """z = 0 exactly in a relu layer: every step crosses the kink, so no derivative is claimed."""
    net = Network([np.array([[1.0]])], [np.array([0.0])], "relu", loss="half_sse", reduction="sum")
    with pytest.raises(ValueError, match="crosses a relu kink"):
        finite_difference_gradients(net, np.array([[0.0]]), np.array([[1.0]]))


def test_finite_differences_shrink_the_step_near_a_kink():
    """z = 1e-6 in a relu layer: the default step would cross 0; a halved one does not."""
    net = Network([np.array([[1.0]])], [np.array([1e-6])], "relu", loss="half_sse", reduction="sum")
    fd = finite_difference_gradients(net, np.array([[0.0]]), np.array([[1.0]]))
    assert fd.db[0][0] == pytest.approx(1e-6 - 1.0, rel=1e-6)


def test_cli_default_run_passes_and_prints_a_table(capsys):
    assert cli.main(["--count", "5"]) == 0
    out = capsys.readouterr().out
    assert "autograd: rel. error" in out and "symbolic" in out and "5 passed, 0 failed" in out


def test_cli_json_and_seed_reproducible(capsys):
    cli.main(["check", "--count", "3", "--seed", "11", "--json"])
    first = capsys.readouterr().out
    cli.main(["check", "--count", "3", "--seed", "11", "--json"])
    data = json.loads(first)
    assert first == capsys.readouterr().out
    assert data["ok"] and len(data["cases"]) == 3 and data["seed"] == 11


def test_cli_shows_the_cuda_column_when_a_gpu_is_present(monkeypatch, capsys):
    """Simulated here (CI has no GPU): the comparison itself runs on the CPU."""
    from backproof.reference.cuda import compare_with_cuda
    monkeypatch.setattr(check_cli, "cuda_available", lambda: True)
    monkeypatch.setattr(check_cli, "compare_with_cuda", lambda case: compare_with_cuda(case, device="cpu"))
    assert cli.main(["--count", "4", "--no-symbolic"]) == 0
    assert check_cli.CUDA_COLUMN.split()[0] in capsys.readouterr().out


def test_cli_exits_1_when_a_check_fails(monkeypatch, capsys):
    def broken(case: Case, *a, **kw):
        return check_case(case, lambda net, x, y: net.gradients(x, 2 * y), **kw)
    monkeypatch.setattr(check_cli, "check_case", broken)
    assert cli.main(["--count", "3"]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["check", "--seed", "-5", "--count", "1"], "argument --seed: expected an integer >= 0, got -5"),
    (["source", "000", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
    (["source", "004", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
    (["train", "xor", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
    (["derivations", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
])
def test_a_bad_argument_is_one_line_and_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["example", "--seed", "3"], ["descent", "--seed", "2"],
                                  ["surface", "--seed", "1"], ["example", "--plot", "x.png"]])
def test_a_flag_a_subcommand_does_not_use_is_rejected(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["source", "000", "--plot", "x.png"], "--plot: source 000 draws no picture"),
    (["source", "004", "--plot", "x.png"], "--plot: source 004 draws no picture"),
    (["source", "003", "--seed", "2"], "--seed: source 003's worked example has no random choice"),
    (["train", "digits", "--mnist-dir", "."], "--mnist-dir: only `train mnist` reads IDX files"),
])
def test_a_flag_that_would_do_nothing_here_is_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_source_001_prints_the_seed_it_used(capsys):
    assert main(["source", "001", "--seed", "5"]) == 0
    five = capsys.readouterr().out
    assert main(["source", "001"]) == 0
    default = capsys.readouterr().out
    assert "seed 5;" in five and "seed 1;" in default and five.split("outputs")[1] != default.split("outputs")[1]


def test_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    """A corrupt gzip body (zlib.error) and a plot path that cannot be written."""
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / f"{name}.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    assert main(["train", "mnist", "--mnist-dir", str(tmp_path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("backproof train: ") and "a corrupt gzip file" in err and "\n" not in err
    (tmp_path / "a-file").write_text("not a folder")
    assert main(["train", "xor", "--epochs", "1", "--plot", str(tmp_path / "a-file" / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("backproof train: ") and "\n" not in err


def test_max_width_1_does_not_crash_on_softmax(capsys):
    """softmax needs two units; the sweep draws two there even with --max-width 1."""
    assert main(["check", "--max-width", "1", "--count", "3", "--no-symbolic", "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


def test_finite_differences_use_their_truncation_estimate_only_where_it_holds():
    """Weights near 30 in float32 (|z| drawn to 60): at the default step the h² term does not yet
    dominate, and D(h), D(2h) agreed on a wrong value, so a correct backprop was rejected on this
    case. Halving h until D(4h) − D(2h) ≈ 4·(D(2h) − D(h)) fixes it; a 10% error is still caught (float32
    finite differences are not sharper than about 1e-3 of the gradient and cost)."""
    rng = np.random.default_rng(0)
    case = [random_case(rng, Limits(max_z=60.0), dtypes=("float32",)) for _ in range(10)][-1]
    assert max(np.abs(Wl).max() for Wl in case.net.W) > 10, "the case no longer has large weights"
    assert check_case(case, oracles=("finite_differences",)).ok
    grads = case.net.gradients(case.x, case.y)
    grads.dW[-1] *= np.float32(1.1)
    assert not check_case(case, lambda net, x, y: grads, oracles=("finite_differences",)).ok


def _run_cli(args, columns=None, stderr_tty=False):
    """`python -m backproof ARGS` in a subprocess, stdout to a file; stderr to a pseudo-terminal
    when stderr_tty (so the progress bar is on); (stdout bytes, exit status)."""
    import os
    import pty
    import subprocess
    import sys
    import tempfile
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = str(columns)
    master, slave = pty.openpty() if stderr_tty else (None, subprocess.DEVNULL)
    with tempfile.TemporaryFile() as out:
        done = subprocess.run([sys.executable, "-m", "backproof", *args], stdout=out, stderr=slave,
                              env=env, timeout=300)
        out.seek(0)
        data = out.read()
    if master is not None:
        os.close(master)
        os.close(slave)
    return data, done.returncode


def test_an_80_column_table_shows_every_rows_number_sizes_and_verdict():
    out, status = _run_cli(["check", "--count", "4", "--no-symbolic"], columns=80)
    lines = out.decode().splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert status == 0 and len(rows) == 4 and all(len(line) <= 80 for line in lines), lines
    for i, row in enumerate(rows, 1):
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[0] == str(i) and "×" in cells[1] and cells[-1] == "pass", row


def test_progress_goes_to_stderr_so_redirected_output_is_clean():
    out, status = _run_cli(["check", "--count", "3", "--no-symbolic"], stderr_tty=True)
    assert status == 0 and out.startswith(b"manual backprop vs oracles")
    assert b"\x1b" not in out and b"\r" not in out
