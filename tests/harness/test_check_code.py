"""`backproof check-code PATH`: a learner's .py file or notebook, loaded as it is, its backprop found
and checked; a top level that trains forever or reads missing data is one located line, in bounded
time; a notebook is read, never written."""
import time

import nbformat
import pytest

from backproof.cli.main import main

from pathlib import Path

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "my_net.py").read_text()
RIGHT_DELTA = "delta = (acts[-1] - y) * s * (1 - s)\n"
assert RIGHT_DELTA in EXAMPLE, "docs/examples/my_net.py no longer computes delta[L] as this test expects"
# the example's backprop, with its output delta multiplied by FACTOR (1: right; 2: the ½ dropped)
BACKPROP = EXAMPLE.replace(RIGHT_DELTA, RIGHT_DELTA.rstrip("\n") + " * FACTOR\n")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(["check-code", *map(str, argv), "--max-examples", "20"])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_a_correct_file_passes_and_its_main_block_does_not_run(tmp_path, capsys):
    path = write(tmp_path, "net.py", "FACTOR = 1\nprint('training...')\n" + BACKPROP +
                 "\nif __name__ == '__main__':\n    raise SystemExit('this trains for hours')\n")
    status, out, err = run(capsys, path)
    assert status == 0 and "checking function backprop" in out and "backprop OK" in out, out + err
    assert "training..." not in out, "the file's own prints are kept apart"
    assert "weight_shape='in_out'" in out


def test_a_wrong_file_exits_1_with_the_report(tmp_path, capsys):
    status, out, err = run(capsys, write(tmp_path, "net.py", "FACTOR = 2\n" + BACKPROP))
    assert status == 1 and "backprop WRONG" in out and "×2" in out, out + err


def test_a_notebook_is_checked_from_its_code_cells_and_left_as_it_was(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My network"),
                nbformat.v4.new_code_cell("%matplotlib inline\nFACTOR = 1"),
                nbformat.v4.new_code_cell(BACKPROP),
                nbformat.v4.new_code_cell("!pip install numpy\nbackprop  # shows the function")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale output from the author's run\n")]
    path = tmp_path / "net.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    status, out, err = run(capsys, path)
    assert status == 0 and "backprop OK" in out and "cell 3" in out, out + err
    assert path.read_bytes() == before


def test_a_top_level_that_never_ends_is_stopped_at_its_line(tmp_path, capsys):
    path = write(tmp_path, "net.py", "FACTOR = 1\nwhile True:\n    pass\n" + BACKPROP)
    t0 = time.perf_counter()
    status = main(["check-code", str(path), "--timeout", "1"])
    err = capsys.readouterr().err
    assert status == 2 and time.perf_counter() - t0 < 30
    assert f"{path}:3: still running after 1 s" in err or f"{path}:2: still running after 1 s" in err, err
    assert err.count("\n") == 1


@pytest.mark.parametrize("top, expected", [
    ("import numpy as np\nDATA = np.loadtxt('train.csv')\n", ":2: loading it raised FileNotFoundError"),
    ("name = input('your name? ')\n", ":1: loading it raised EOFError"),
    ("def broken(:\n", ":1: invalid syntax"),
    ("import sys\nsys.exit(3)\n", ":2: the code called exit(3)"),
])
def test_a_top_level_that_fails_is_one_located_line(tmp_path, capsys, top, expected):
    path = write(tmp_path, "net.py", top + "FACTOR = 1\n" + BACKPROP)
    status, out, err = run(capsys, path)
    assert status == 2 and f"{path}{expected}" in err and err.count("\n") == 1, err


def test_a_file_without_a_backprop_says_what_was_looked_for(tmp_path, capsys):
    status, out, err = run(capsys, write(tmp_path, "util.py", "def helper(x):\n    return x\n"))
    assert status == 2 and "no backprop found" in err and "--name" in err, err


def test_name_chooses_among_several(tmp_path, capsys):
    path = write(tmp_path, "net.py", "FACTOR = 1\n" + BACKPROP + "\ndef gradients(W, b, x, y):\n    return 0\n")
    status, out, err = run(capsys, path)
    assert status == 0 and "also there: gradients" in out, out + err
    status, out, err = run(capsys, path, "--name", "gradients")
    assert status == 1 and "checking function gradients" in out, out + err


def test_a_model_class_in_a_file(tmp_path, capsys):
    model = BACKPROP + '''
class Net:
    """Parameters in lists (in, out); train(x, y) steps in place with self.learning_rate."""
    def __init__(self, sizes):
        self.learning_rate = 0.5
        self.weights = [np.zeros((k, m)) for k, m in zip(sizes, sizes[1:])]
        self.biases = [np.zeros(m) for m in sizes[1:]]

    def train(self, x, y):
        dW, db = backprop(self.weights, self.biases, x, y)
        for W, g in zip(self.weights, dW):
            W -= self.learning_rate * g
        for v, g in zip(self.biases, db):
            v -= self.learning_rate * g
'''
    status, out, err = run(capsys, write(tmp_path, "net.py", "FACTOR = 1\n" + model), "--name", "Net")
    assert status == 0 and "checking class Net" in out and "in place" in out, out + err


def test_json_says_the_same_as_data(tmp_path, capsys):
    import json
    path = write(tmp_path, "net.py", "FACTOR = 2\n" + BACKPROP)
    status = main(["check-code", str(path), "--max-examples", "20", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1 and data["ok"] is False and data["name"] == "backprop" and data["seed"] == 0
    assert data["counterexample"]["kind"] == "factor 2" and "WRONG" in data["report"]
