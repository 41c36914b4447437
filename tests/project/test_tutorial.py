"""docs/tutorial.md runs as written: its Python blocks in order, in one namespace, and where a block
is followed by a text block, that is what it prints."""
import contextlib
import io
import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def blocks(text: str) -> list[tuple[str, str | None]]:
    """[(python source, the text block right after it or None)]."""
    found = list(re.finditer(r"```(\w+)\n(.*?)```", text, re.S))
    out = []
    for i, m in enumerate(found):
        if m.group(1) != "python":
            continue
        follows = found[i + 1] if i + 1 < len(found) else None
        between = text[m.end():follows.start()] if follows else ""
        shown = follows.group(2) if follows and follows.group(1) == "text" and not between.strip() else None
        out.append((m.group(2), shown))
    return out


def test_the_tutorial_runs_and_prints_what_it_shows():
    namespace: dict = {}
    checked = 0
    for source, shown in blocks(TUTORIAL.read_text()):
        if "def test_" in source:      # the fixture example: pytest's, not run here
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, str(TUTORIAL), "exec"), namespace)
        if shown is not None:
            assert out.getvalue() == shown, f"the tutorial shows:\n{shown}\nbut the code prints:\n{out.getvalue()}"
            checked += 1
    assert checked == 3


def test_the_tutorials_commands_print_what_it_shows():
    """Each `$ backproof ...` text block is what that command prints now."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("readme_outputs", TUTORIAL.parents[1] / "scripts" / "readme_outputs.py")
    outputs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(outputs)
    shown = re.findall(r"```text\n(\$ backproof [^\n]*)\n(.*?)```", TUTORIAL.read_text(), re.S)
    assert shown, "the tutorial shows no command"
    for command, text in shown:
        assert command + "\n" + text.rstrip("\n") == outputs.command_block(command), command
