"""The README's two set-up commands exist, and CI runs the README's test command verbatim."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("python3 -m venv .venv && ")]


def test_readme_has_exactly_two_setup_commands():
    found = commands((ROOT / "README.md").read_text())
    assert len(found) == 2, found
    assert found[0].endswith("&& backproof") and found[1].endswith("&& pytest -n auto"), found


def test_ci_runs_the_readme_test_command():
    readme_test = commands((ROOT / "README.md").read_text())[1]
    assert commands((ROOT / ".ci/run").read_text()) == [readme_test]


def test_readme_usage_example_runs():
    import re
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(import numpy as np\n.*?)```", text, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # the README's own example, as a user runs it
    g = namespace["g"]
    assert len(g.dW) == 2 and g.dW[0].shape == (8, 4) and g.cost > 0


def test_readme_shows_the_total_line_the_shipped_documents_give(reports):
    """The README quotes `backproof derivations`'s last line; it must be what the documents give now
    (the counts of proved and evaluated claims change as the checker proves more)."""
    from backproof.checker.results import total_line
    assert total_line(list(reports.values())) in (ROOT / "README.md").read_text()


def _outputs():
    import importlib.util
    spec = importlib.util.spec_from_file_location("readme_outputs", ROOT / "scripts" / "readme_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readmes_fail_example_is_what_the_checker_prints():
    """Exact 50-digit values and a line number: the same on every machine, compared whole
    (`python scripts/readme_outputs.py --write` regenerates it)."""
    outputs = _outputs()
    readme = (ROOT / "README.md").read_text()
    assert outputs.block(readme, "FAIL derivations/backprop.md").group(1) == outputs.fail_example()


def test_the_readmes_check_code_example_is_what_the_command_prints():
    outputs = _outputs()
    readme = (ROOT / "README.md").read_text()
    assert outputs.block(readme, outputs.CHECK_CODE).group(1) == outputs.command_block(outputs.CHECK_CODE)


def test_the_readmes_check_table_is_what_the_command_prints_but_for_rounding():
    """Every column, row, size, activation, loss, dtype and result of the quoted table is what
    `backproof check --count 4` prints now; the error figures are rounding, machine by machine, so
    only their count per cell is compared. A row that now draws a record the README does not name
    (one added since: seeded draws choose by name, so only such rows move) is left out until
    `python scripts/readme_outputs.py --write` is run again."""
    import re
    outputs = _outputs()
    readme = (ROOT / "README.md").read_text()

    def shape(table: str) -> str:   # figures as E, rules and padding of any width as one
        return re.sub(r"([━─])+", r"\1", re.sub(r"\d(?:\.\d+)?e-\d\d|\d+\.\d\d", "E", table))

    def rows(table: str) -> list[list[str]]:
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.splitlines() if line.startswith("│")]
    quoted, fresh = outputs.block(readme, "┏").group(1), outputs.check_table()
    assert shape(quoted.splitlines()[1]).replace(" ", "") == shape(fresh.splitlines()[1]).replace(" ", "")
    known = {name for row in rows(quoted) for name in row[2].split() + [row[3].split()[0]]}
    for mine, now in zip(rows(quoted), rows(fresh)):
        if set(now[2].split() + [now[3].split()[0]]) <= known:
            assert [shape(c) for c in mine] == [shape(c) for c in now], (mine, now)
    assert len(rows(fresh)) == len(rows(quoted)) == 4
    assert quoted.count("│ pass") == 4 and "certified" in quoted.splitlines()[1]


def test_the_readme_is_what_a_newcomer_needs():
    """At most about 200 lines: what it is, the two commands, one example for each of the three
    users, links; the measurements and the long tables live in docs/, and every link resolves."""
    import re
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    for title in ("## Two commands", "## For a test suite", "## For a GPU", "## For a learner"):
        assert title in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (ROOT / target).exists(), target


def test_every_relative_link_in_docs_resolves():
    import re
    broken = [(p.name, t) for p in sorted((ROOT / "docs").glob("*.md"))
              for t in re.findall(r"\]\(([^)#\s]+)\)", p.read_text())
              if not t.startswith(("http:", "https:")) and not (p.parent / t).exists()]
    assert broken == [], broken
