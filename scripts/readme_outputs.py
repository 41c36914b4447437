"""The README's quoted outputs, produced by the commands they quote (issue 38: a README that cannot
drift). Each is a fenced block of README.md, found by its first line:

    python scripts/readme_outputs.py           # print each block as the commands give it now
    python scripts/readme_outputs.py --write   # and write them into README.md

* the check table: `backproof check --count 4` at the default seed, 200 columns. Its error
  figures are float rounding measured on this machine; tests/project/test_readme.py compares everything
  else (each row's sizes, activations, loss, dtype and result, and the columns) with a fresh run.
* the FAIL example: backprop.md with BP1's minus written as a plus, checked as
  `backproof derivations derivations/backprop.md` would (exact 50-digit values: the same on every
  machine, compared whole).

The derivations total line is compared in tests/project/test_readme.py with the shipped documents' own.
docs/tutorial.md's printed outputs (a text block right after a Python block, and a text block that
starts with `$ backproof ...`) are rewritten too, by running its Python blocks in order and each
command; tests/project/test_tutorial.py runs them and compares.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BP1 = r"\delta^L_j = (a^L_j - y_j) f'(z^L_j)"
WRONG_BP1 = r"\delta^L_j = (a^L_j + y_j) f'(z^L_j)"


def check_table() -> str:
    from backproof.cli.main import main
    out = io.StringIO()
    os.environ["COLUMNS"] = "200"
    try:
        with redirect_stdout(out):
            main(["check", "--count", "4"])
    finally:
        os.environ.pop("COLUMNS", None)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return "\n".join(line.rstrip() for line in lines[start:end + 1])


def fail_example() -> str:
    from backproof.checker.check import check_document
    from backproof.checker.results import render
    text = (ROOT / "derivations" / "backprop.md").read_text()
    assert BP1 in text, "backprop.md no longer writes BP1 as the README's example expects"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "derivations"
        folder.mkdir()
        (folder / "backprop.md").write_text(text.replace(BP1, WRONG_BP1, 1))
        here = os.getcwd()
        os.chdir(tmp)
        try:
            report = check_document(Path("derivations") / "backprop.md", prove=False)
        finally:
            os.chdir(here)
    lines = render([report]).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FAIL "))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        block.append(line)
    return "\n".join(block)


CHECK_CODE = "$ backproof check-code docs/examples/my_net.py"


def command_block(command_line: str) -> str:
    """`$ backproof ARGS` and what it prints now (run in the repository root)."""
    import shlex
    from backproof.cli.main import main
    argv = shlex.split(command_line)[2:]
    out = io.StringIO()
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        with redirect_stdout(out):
            main(argv)
    finally:
        os.chdir(here)
    return command_line + "\n" + out.getvalue().rstrip("\n")


def blocks() -> dict:
    """{the first characters of a README block: its text now}."""
    return {"┏": check_table(), "FAIL derivations/backprop.md": fail_example(), CHECK_CODE: command_block(CHECK_CODE)}


def block(readme: str, start: str) -> re.Match:
    """The fenced block of the README whose first line starts with `start` (group 1: its text)."""
    found = re.search(r"```\n(" + re.escape(start) + r".*?)\n```", readme, re.S)
    if found is None:
        raise ValueError(f"README.md has no fenced block starting with {start!r}")
    return found


def replace(readme: str, start: str, body: str) -> str:
    """README text with that block's text set to `body`, the whole of it."""
    found = block(readme, start)
    return readme[:found.start(1)] + body + readme[found.end(1):]


TUTORIAL = ROOT / "docs" / "tutorial.md"


def tutorial(text: str) -> str:
    """The tutorial with each printed output (a text block right after a Python block) replaced by
    what that block prints now, the blocks run in order in one namespace."""
    namespace: dict = {}
    found = list(re.finditer(r"```(\w+)\n(.*?)```", text, re.S))
    edits = []
    for code, after in zip(found, found[1:]):
        if code.group(1) != "python" or "def test_" in code.group(2):
            continue
        out = io.StringIO()
        with redirect_stdout(out):
            exec(compile(code.group(2), str(TUTORIAL), "exec"), namespace)
        if after.group(1) == "text" and not text[code.end():after.start()].strip():
            edits.append((after.start(2), after.end(2), out.getvalue()))
    for m in re.finditer(r"```text\n(\$ backproof [^\n]*)\n.*?```", text, re.S):
        edits.append((m.start(1), m.end(0) - 3, command_block(m.group(1)) + "\n"))
    for start, end, body in sorted(edits, reverse=True):
        text = text[:start] + body + text[end:]
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="write the blocks into README.md and the tutorial's outputs into docs/tutorial.md")
    args = parser.parse_args()
    text = README.read_text()
    for start, body in blocks().items():
        print(body, end="\n\n")
        text = replace(text, start, body)
    if args.write:
        README.write_text(text)
        TUTORIAL.write_text(tutorial(TUTORIAL.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
