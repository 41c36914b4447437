"""The `backproof` command line: the default run, JSON, exit statuses, flags and their messages,
the table's width and where progress goes."""
import io
import json
import sys

import pytest

from backproof.cli import check as check_cli, main as cli
from backproof.cli.main import main
from backproof.reference.compare import check_case
from backproof.reference.strategies import Case
from selection import keep


def test_cli_default_run_passes_and_prints_a_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")   # a wide terminal: every header on one line
    assert cli.main(["--count", "5"]) == 0
    out = capsys.readouterr().out
    assert "autograd: error" in out and "symbolic" in out and "5 passed, 0 failed" in out


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
    monkeypatch.setenv("COLUMNS", "200")
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
    (["check", "--count", "x"], "argument --count: expected an integer >= 1, got 'x'"),
    (["train", "xor", "--lr", "fast"], "argument --lr: expected a finite number > 0, got 'fast'"),
    (["train", "xor", "--plot", "curves"], "argument --plot: expected a file name ending in .png, .svg, .pdf"),
    (["descent", "--plot", "path.jpg"], "argument --plot: expected a file name ending in .png, .svg, .pdf"),
])
def test_a_bad_argument_is_one_line_and_exit_2(argv, words, capsys):
    """In the user's words: argparse would otherwise name our type functions (_positive_int)."""
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and "invalid _" not in err


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



def _run_redirected(args, columns, monkeypatch) -> tuple[bytes, int]:
    """main(ARGS) in this process with stdout redirected (not a terminal) and COLUMNS as given:
    (stdout bytes, exit status), the same bytes as `python -m backproof ARGS > file` (checked
    against _run_cli when this was written), without a second interpreter importing torch."""
    out = io.StringIO()
    with monkeypatch.context() as m:
        if columns:
            m.setenv("COLUMNS", str(columns))
        else:
            m.delenv("COLUMNS", raising=False)
        m.setattr(sys, "stdout", out)
        status = main(args)
    return out.getvalue().encode(), status


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


@pytest.mark.parametrize("columns, depth", keep([(60, 4), (80, 4), (152, 8), (200, 20), (None, 20)], first=2))
def test_the_table_fits_and_every_row_keeps_its_number_sizes_dtype_and_verdict(columns, depth, monkeypatch):
    """At any width from 60 and any depth (None: piped, no COLUMNS), no line is wider than the
    console, and each of the networks has its number, sizes, dtype and verdict on its first line."""
    out, status = _run_redirected(["check", "--count", "4", "--no-symbolic", "--max-depth", str(depth)], columns,
                                  monkeypatch)
    lines = out.decode().splitlines()
    first_lines = [line for line in lines if line.startswith("│") and line.split("│")[1].strip()]
    assert status == 0 and len(first_lines) == 4, lines
    assert all(len(line) <= (columns or 200) for line in lines), [len(line) for line in lines]
    for i, row in enumerate(first_lines, 1):
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[0] == str(i) and cells[1][0].isdigit() and cells[-1] == "pass", row
        assert any(c in ("float32", "float64") for c in cells), row


def test_progress_goes_to_stderr_so_redirected_output_is_clean():
    out, status = _run_cli(["check", "--count", "3", "--no-symbolic"], stderr_tty=True)
    assert status == 0 and out.startswith(b"manual backprop vs oracles")
    assert b"\x1b" not in out and b"\r" not in out


def test_a_plot_is_written_where_and_as_named(tmp_path, capsys):
    assert main(["train", "xor", "--epochs", "2", "--plot", str(tmp_path / "curves.svg")]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["curves-boundary.svg", "curves.svg"], written
    assert str(tmp_path / "curves-boundary.svg") in capsys.readouterr().out


def test_an_overflowing_learning_rate_is_one_line(capsys):
    assert main(["train", "xor", "--lr", "1e308", "--epochs", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not finite" in err and "Traceback" not in err


def _wait_for_children(p, seconds: float = 60) -> bool:
    """Wait until process p has forked a child (its document children are running); False if p
    ended first or none came within `seconds`."""
    import time
    children = f"/proc/{p.pid}/task/{p.pid}/children"
    deadline = time.monotonic() + seconds
    while p.poll() is None and time.monotonic() < deadline:
        if open(children).read().strip():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("argv, wait", keep([(["derivations", "--no-cache"], "children"),
                                             (["check", "--count", "400"], 3.0)]))
def test_ctrl_c_is_one_line_and_exit_130(argv, wait):
    """SIGINT to the whole process group, as a terminal sends it: the forked document and proof
    children end silently, the command says it was interrupted (sent as soon as the children
    run, or after `wait` seconds). The command starts with SIGINT at its default, as a terminal's
    foreground job does (a test run started in the background by a shell without job control
    hands its children SIGINT ignored)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    p = subprocess.Popen([sys.executable, "-m", "backproof", *argv], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={**os.environ, "BACKPROOF_NO_CACHE": "1"},
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    if wait == "children":
        assert _wait_for_children(p), "the command ended before its children could be interrupted"
    else:
        time.sleep(wait)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130 and err.strip() == f"backproof {argv[0]}: interrupted", err[-2000:]


CTRL_C_DURING_THE_FORK = """
import os, signal, sys
from backproof.checker.parallel import forked
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))   # Ctrl-C, just forked
print(list(forked(["item"], [0], 1, len)))
"""


@pytest.mark.parametrize("handler", ["SIG_DFL", "SIG_IGN"])
def test_a_ctrl_c_that_comes_while_a_child_is_forked_ends_it_silently(handler):
    """The moment between the fork and the child's own signal set-up, made certain: each child
    gets SIGINT as it starts. Started as a terminal starts it (SIGINT at its default), the child ends
    at once by the signal, printing nothing (a half-started child raised KeyboardInterrupt and
    multiprocessing printed its traceback, in about one Ctrl-C of three sent just as the documents'
    children started); started with SIGINT ignored (nohup, a background job), the child ignores it
    and does its work."""
    import signal
    import subprocess
    done = subprocess.run([sys.executable, "-c", CTRL_C_DURING_THE_FORK], capture_output=True, text=True,
                          timeout=120, preexec_fn=lambda: signal.signal(signal.SIGINT, getattr(signal, handler)))
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    expected = (0, None, -signal.SIGINT) if handler == "SIG_DFL" else (0, len("item"), None)
    assert done.stdout.strip() == str([expected]), done.stdout


def test_an_ignored_interrupt_is_ignored_by_the_forked_children_too():
    """Started with SIGINT ignored (a background job of a shell without job control, nohup), the
    command and its forked document children all ignore a SIGINT sent to the group while the
    children run: the check ends as it would without it (a child that died of it was reported as a
    failed document, exit 1)."""
    import os
    import signal
    import subprocess
    import backproof.cli.derivations as d
    docs = [str(d.DERIVATIONS / name) for name in ("relu.md", "backprop.md")]
    p = subprocess.Popen([sys.executable, "-m", "backproof", "derivations", "--no-cache", "--no-prove", *docs],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env={**os.environ, "BACKPROOF_NO_CACHE": "1"},
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    sent = _wait_for_children(p)
    if sent:
        os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert sent, "the command ended before its children could be interrupted"
    assert p.returncode == 0 and "died" not in err, err[-2000:]


def test_a_closed_pipe_ends_quietly():
    import subprocess
    import sys
    # the reader is gone before the first write, as `| head` is after its lines: the write fails
    p = subprocess.Popen([sys.executable, "-m", "backproof", "source", "003", "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=300) == 0 and err == "", err


def test_sizes_the_oracles_cannot_finish_are_refused_before_anything_runs(capsys):
    assert main(["check", "--max-width", "100000", "--count", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "50,000,500,000 parameters" in err and "smaller --max-width" in err
    assert main(["check", "--max-width", "400", "--max-depth", "0", "--count", "1", "--no-symbolic"]) == 0
    capsys.readouterr()
    assert main(["check", "--max-batch", "1000000", "--count", "1"]) == 2     # every size option, the same way
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "48,000,000 activations" in err and "smaller --max-batch" in err


def _run_on_a_terminal(args, columns: int) -> tuple[str, int]:
    """`python -m backproof ARGS` with stdout on a pseudo-terminal `columns` wide: (its text, exit status)."""
    import os
    import pty
    import subprocess
    import sys
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "backproof", *args], stdout=slave, stderr=subprocess.DEVNULL,
                         env={**os.environ, "COLUMNS": str(columns)})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:   # the terminal's other end closed: the command is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n"), p.wait(timeout=300)


@pytest.mark.parametrize("columns", keep([80, 120]))
def test_the_derivations_report_is_wrapped_between_words_to_the_terminal(columns, monkeypatch):
    import backproof.cli.derivations as d
    relu = ["derivations", "--no-prove", "--no-cache", str(d.DERIVATIONS / "relu.md")]
    out, status = _run_on_a_terminal(relu, columns)
    lines = out.splitlines()
    assert status == 0 and max(map(len, lines)) <= columns, max(map(len, lines))
    joined = " ".join(line.strip() for line in lines)
    assert "total: 1 document, 7 claims checked (0 proved, 7 evaluated only), 2 errata shown wrong" in joined
    piped, _ = _run_redirected(relu, columns, monkeypatch)
    assert max(map(len, piped.decode().splitlines())) > 100   # redirected: whole lines, for grep


class _ReaderThatLeaves(io.TextIOBase):
    """A stdout whose reader goes away after `n` writes: every later write or flush is EPIPE."""

    def __init__(self, n: int):
        self.n, self.writes = n, 0

    def write(self, text):
        if self.writes >= self.n:
            raise BrokenPipeError(32, "Broken pipe")
        self.writes += 1
        return len(text)

    def flush(self):
        if self.writes >= self.n:
            raise BrokenPipeError(32, "Broken pipe")

    def isatty(self):
        return False


def test_a_reader_that_leaves_at_any_write_ends_the_command_quietly_with_status_0(monkeypatch, capsys):
    """`backproof check | head -1`: the pipe can break at any of the command's writes (inside
    rich's print, or at a flush between two prints); at each one the status is the one the README
    documents, 0, nothing more is written, and nothing is printed to stderr."""
    import os
    argv = ["check", "--count", "2", "--no-symbolic"]
    whole = _ReaderThatLeaves(10 ** 6)
    monkeypatch.setattr(sys, "stdout", whole)
    assert main(argv) == 0 and whole.writes >= 2
    files = len(os.listdir("/proc/self/fd"))   # counted after a whole run: its imports are done
    for n in range(whole.writes):
        reader = _ReaderThatLeaves(n)
        monkeypatch.setattr(sys, "stdout", reader)
        assert main(argv) == 0 and reader.writes == n, n
        assert capsys.readouterr().err == "", n
    assert len(os.listdir("/proc/self/fd")) == files   # ending quietly opens nothing it leaves open


def test_a_reader_that_leaves_early_ends_the_command_quietly_with_status_0():
    """The same through a real pipe: `backproof check | head -1`."""
    import subprocess
    child = subprocess.Popen([sys.executable, "-m", "backproof", "check", "--count", "2", "--no-symbolic"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.readline()
    child.stdout.close()
    assert child.wait(timeout=120) == 0
    assert child.stderr.read() == b""
