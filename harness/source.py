"""A learner's code as they keep it, a `.py` file or a Jupyter notebook, loaded and searched for its
backprop: `backproof check-code PATH` (backproof/cli/check_code.py) runs this, then check_backprop.

    namespace = load(Path("my_net.py"))          # or "my_net.ipynb": its code cells, in order
    found = find_backprop(namespace, Path("my_net.py"))
    check_backprop(found.obj, ...)

Loading runs the file's top level once, as an import would (`__name__` is not "__main__", so a
`if __name__ == "__main__":` block does not run), in the file's own folder (so its relative data
paths mean what they mean to its author), with what it prints kept apart and matplotlib drawing
nowhere. A notebook's code cells run in order in one namespace; lines that are IPython's (`%magic`,
`!shell`) are left out, and the notebook's own outputs are ignored: nothing is written back.

A top level that trains for minutes, waits for input or reads a file that is not there is one error
naming the file and line, never a hang: the whole load has `seconds` (default IMPORT_SECONDS) and
is stopped there, with the line it was running.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import signal
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from .models import METHODS

IMPORT_SECONDS = 30.0
MAX_BYTES = 5_000_000          # a source file or notebook larger than this is not code to check
# what a backprop function is called, most likely first; a class is found by its methods (models.METHODS)
FUNCTION_NAMES = ("backprop", "backpropagate", "backpropagation", "backward", "backward_pass", "gradients",
                  "compute_gradients", "grads", "grad", "loss_and_grads", "loss_and_gradients")


class LoadError(ValueError):
    """The file could not be loaded or holds no backprop; the message is one line naming where."""


class _TimeUp(BaseException):
    """Raised inside the learner's code when the load's time is up (a BaseException, so that a bare
    `except Exception` in their code does not swallow it)."""


@dataclass
class Found:
    obj: object               # the function or class to check
    name: str
    kind: str                 # "function" or "class"
    where: str                # file:line (or file, cell N, line M) of its definition
    others: list              # the other candidates' names


def load(path: Path, seconds: float = IMPORT_SECONDS) -> dict:
    """The namespace after running the file's (or notebook's) code; LoadError naming the line of
    whatever went wrong, including running past `seconds`."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: not a file")
    if path.stat().st_size > MAX_BYTES:
        raise LoadError(f"{path}: {path.stat().st_size:,} bytes; a source file or notebook of at most "
                        f"{MAX_BYTES:,} is checked")
    if path.suffix == ".ipynb":
        chunks = [(f"{path}, cell {i}", src) for i, src in _notebook_cells(path)]
    elif path.suffix == ".py":
        chunks = [(str(path), _read(path))]
    else:
        raise LoadError(f"{path}: expected a .py file or a .ipynb notebook")
    namespace = {"__name__": "__backproof_check__", "__file__": str(path.resolve()), "__builtins__": __builtins__}
    with _running_in(path.resolve().parent), _time_limit(seconds):
        for label, src in chunks:
            try:
                code = compile(src, label, "exec")
            except SyntaxError as e:
                raise LoadError(f"{label}:{e.lineno}: {e.msg} (a syntax error)") from None
            try:
                exec(code, namespace)
            except _TimeUp:
                raise LoadError(f"{_where(sys.exc_info()[2], label)}: still running after {seconds:g} s (the "
                                f"top level may train or wait for input: put it under "
                                f"`if __name__ == \"__main__\":`, or allow more with --timeout)") from None
            except SystemExit as e:
                raise LoadError(f"{_where(sys.exc_info()[2], label)}: the code called exit({e.code!r}) "
                                "while it was loaded") from None
            except BaseException as e:   # noqa: BLE001 - the learner's top level: reported, one line
                if isinstance(e, KeyboardInterrupt):
                    raise
                msg = " ".join(str(e).split())[:300]
                raise LoadError(f"{_where(sys.exc_info()[2], label)}: loading it raised "
                                f"{type(e).__name__}: {msg}") from None
    return namespace


def find_backprop(namespace: dict, path: Path, name: str | None = None) -> Found:
    """The backprop in a loaded namespace: `name` if given, else the first function named like one
    (FUNCTION_NAMES) or class with a backprop method (models.METHODS) defined in the file."""
    mine = {k: v for k, v in namespace.items() if not k.startswith("__") and _defined_here(v, path)}
    if name is not None:
        if name not in namespace or not callable(namespace[name]):
            raise LoadError(f"{path}: no function or class named {name!r}; defined there: "
                            f"{', '.join(sorted(mine)) or 'nothing callable'}")
        obj = namespace[name]
        return Found(obj, name, "class" if inspect.isclass(obj) else "function", _defined_at(obj, path), [])
    functions = [k for k in FUNCTION_NAMES if inspect.isfunction(mine.get(k))]
    functions += [k for k, v in mine.items() if inspect.isfunction(v) and k not in functions
                  and re.search(r"backprop|backward|gradient", k, re.I)]
    classes = [k for k, v in mine.items() if inspect.isclass(v) and any(callable(getattr(v, m, None)) for m in METHODS)]
    candidates = functions + classes
    if not candidates:
        raise LoadError(f"{path}: no backprop found (a function named {', '.join(FUNCTION_NAMES[:4])}, ... or a "
                        f"class with a method {', '.join(METHODS[:4])}, ...); name it with --name")
    first = candidates[0]
    obj = mine[first]
    return Found(obj, first, "class" if inspect.isclass(obj) else "function", _defined_at(obj, path), candidates[1:])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise LoadError(f"{path}: not UTF-8 text (byte {e.start})") from None


def _notebook_cells(path: Path) -> list[tuple[int, str]]:
    """(cell number from 1, source) of each code cell, IPython's own lines blanked (line numbers kept)."""
    import nbformat
    try:
        nb = nbformat.reads(_read(path), as_version=4)
    except Exception as e:  # noqa: BLE001 - nbformat raises several kinds for a broken file
        raise LoadError(f"{path}: not a readable notebook ({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    cells = []
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n")]
        cells.append((i, "\n".join(lines)))
    return cells


def _where(tb, label: str) -> str:
    """label:line of the innermost frame in the learner's own code (the chunk being run)."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename == label]
    if not frames:
        return label
    return f"{label}:{frames[-1].lineno}"


def _defined_here(obj, path: Path) -> bool:
    code_file = getattr(getattr(obj, "__code__", None), "co_filename", None)
    if code_file is None and inspect.isclass(obj):
        methods = [m for m in vars(obj).values() if inspect.isfunction(m)]
        code_file = methods[0].__code__.co_filename if methods else None
    return code_file is not None and code_file.startswith(str(path))


def _defined_at(obj, path: Path) -> str:
    fn = obj if inspect.isfunction(obj) else next((m for m in vars(obj).values() if inspect.isfunction(m)), None) \
        if inspect.isclass(obj) else None
    code = getattr(fn, "__code__", None)
    if code is None:
        return str(path)
    line = code.co_firstlineno - (1 if inspect.isclass(obj) else 0)
    return f"{code.co_filename}:{line}"


@contextlib.contextmanager
def _running_in(folder: Path):
    """The file's folder as the working directory and first on sys.path; its prints kept apart, its
    input() given nothing (EOFError at once, not a wait); matplotlib on a backend that draws nowhere."""
    here, path0, stdin = os.getcwd(), list(sys.path), sys.stdin
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    sys.stdin = io.StringIO("")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.chdir(here)
        sys.path[:] = path0
        sys.stdin = stdin


@contextlib.contextmanager
def _time_limit(seconds: float):
    """_TimeUp raised in the running code after `seconds` (a real-time alarm: the main thread only;
    elsewhere the load runs without one)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def up(signum, frame):
        raise _TimeUp()

    old = signal.signal(signal.SIGALRM, up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
