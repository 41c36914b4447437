"""The layout the design promises (docs/architecture.md): one folder per role, imports that flow one
way, no import cycle, no private name used across modules, no module over ~400 lines without a
reason at its top. Read from the source with `ast`, so imports inside functions count too."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"backproof.manual": "manual", "backproof.reference": "reference", "backproof.checker": "checker",
           "backproof.demos": "demos", "backproof.cli": "backproof/cli", "backproof": "backproof"}
# what each package may import from the others: the data flows one way
ALLOWED = {
    "backproof.manual": set(),
    "backproof.reference": {"backproof.manual"},
    "backproof.checker": {"backproof.manual", "backproof.reference"},
    "backproof.demos": {"backproof.manual"},
    "backproof.cli": {"backproof", "backproof.manual", "backproof.reference", "backproof.checker",
                      "backproof.demos"},
    "backproof": {"backproof.cli"},   # __main__ runs the command line; __init__ imports nothing of ours
}


def modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            out[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return out


def package_of(module: str, mods: dict) -> str:
    return module if module in FOLDERS and mods[module].stem == "__init__" else module.rpartition(".")[0]


def imports(module: str, path: Path, mods: dict) -> dict[str, set]:
    """{imported module of ours: names imported from it}, relative imports resolved."""
    tree = ast.parse(path.read_text())
    package = package_of(module, mods)
    found: dict[str, set] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("backproof"):
                    found.setdefault(a.name, set())
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if not base.startswith("backproof"):
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in mods:   # `from . import ties`: the module itself
                    found.setdefault(sub, set())
                else:
                    found.setdefault(base, set()).add(a.name)
    return found


MODS = modules()
GRAPH = {m: imports(m, p, MODS) for m, p in MODS.items()}


def test_every_package_folder_exists_and_has_modules():
    for package in FOLDERS:
        assert package in MODS, f"{package}: no __init__.py in {FOLDERS[package]}/"
    assert len(MODS) > 30


@pytest.mark.parametrize("module", sorted(MODS))
def test_imports_flow_one_way(module):
    package = package_of(module, MODS)
    for target in GRAPH[module]:
        other = package_of(target, MODS) if target in MODS else target
        if other == package:
            continue
        assert other in ALLOWED[package], f"{module} imports {target}: {package} may not depend on {other}"


def test_no_import_cycle():
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in GRAPH.get(m, {}):
            if t not in MODS:
                continue
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [m, t]))
            if t not in state:
                visit(t, path + [m])
        state[m] = 2

    for m in sorted(MODS):
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", sorted(MODS))
def test_no_private_name_from_another_module(module):
    tree = ast.parse(MODS[module].read_text())
    aliases = {a.asname or a.name: f"{n.module}.{a.name}" for n in ast.walk(tree)
               if isinstance(n, ast.ImportFrom) and n.module for a in n.names}
    for target, names in GRAPH[module].items():
        private = sorted(n for n in names if n.startswith("_") and not n.startswith("__"))
        assert not private, f"{module} imports private {private} from {target}"
    for node in ast.walk(tree):  # module._name, where module is one of ours imported by name
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_")
                and not node.attr.startswith("__") and aliases.get(node.value.id, "") in MODS):
            raise AssertionError(f"{module}:{node.lineno} uses {node.value.id}.{node.attr}")


def test_a_private_method_of_another_package_is_not_called():
    """The methods a class keeps to itself (Network's passes, World's helpers) are not called from
    other modules: known offenders by name, since `obj._m` cannot be typed statically."""
    for module, path in MODS.items():
        text = path.read_text()
        for name in ("net._forward", "net._cost", "net._backward", "._check_range(", "._atom_value(", "_describe("):
            assert name not in text or module.endswith(("manual.network", "checker.evaluate")), f"{module}: {name}"


@pytest.mark.parametrize("module", sorted(MODS))
def test_modules_stay_small_or_say_why(module):
    text = MODS[module].read_text()
    lines = text.count("\n")
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert lines <= 400 or "Why over 400 lines" in doc, f"{module}: {lines} lines and no reason at its top"


def test_the_namespace_package_imports_nothing_of_ours():
    assert GRAPH["backproof"] == {}


def test_manual_is_only_the_backprop():
    assert sorted(p.stem for p in (ROOT / "manual").glob("*.py")) == [
        "__init__", "activations", "checks", "losses", "network", "train"]


def test_the_cuda_docstring_states_the_tolerances_the_code_uses():
    import numpy as np

    from backproof.reference import cuda, tolerances
    doc = cuda.__doc__
    assert f"({tolerances.rtol_exact(np.float64):.2g})" in doc and f"({tolerances.rtol_exact(np.float32):.2g})" in doc
    assert tolerances.rtol_tf32() == 2.0 ** -6 + tolerances.rtol_exact(np.float32)
    assert "2^-6 + 2^6 · 2^-23" in doc
