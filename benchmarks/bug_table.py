"""The bug table: what the harness says of the common backprop mistakes (tests/learner_bugs.py).

    python benchmarks/bug_table.py [--write]

Prints the table; --write puts it into docs/bugs.md between its markers, where tests/harness/test_bug_table.py
checks that it is what the harness says today.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import learner_bugs  # noqa: E402

DOC = ROOT / "docs" / "bugs.md"
BEGIN, END = "<!-- bug table: benchmarks/bug_table.py --write -->", "<!-- end of bug table -->"


def main(argv: list[str]) -> int:
    table = learner_bugs.render(learner_bugs.measure())
    print(table)
    if "--write" in argv:
        text = DOC.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOC.write_text(text[:start] + "\n" + table + "\n" + text[end:])
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
