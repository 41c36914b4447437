"""The layout the design promises (docs/architecture.md): one folder per role, imports that flow one
way, no import cycle, no private name used across modules, no module over ~400 lines without a
reason at its top. Read from the source with `ast`, so imports inside functions count too."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"backproof.manual": "manual", "backproof.reference": "reference", "backproof.harness": "harness",
           "backproof.checker": "checker",
           "backproof.demos": "demos", "backproof.cli": "backproof/cli", "backproof": "backproof"}
# what each package may import from the others: the data flows one way
ALLOWED = {
    "backproof.manual": set(),
    "backproof.reference": {"backproof.manual"},
    "backproof.harness": {"backproof.manual", "backproof.reference"},
    "backproof.checker": {"backproof.manual", "backproof.reference"},
    "backproof.demos": {"backproof.manual"},
    "backproof.cli": {"backproof", "backproof.manual", "backproof.reference", "backproof.harness", "backproof.checker",
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


def private_uses(sources: dict[str, str]) -> list[str]:
    """`x._name` (x not self or cls) where _name is a private attribute defined (a method, a class,
    a function, an attribute assigned) in another of the modules: {module: source} → violations."""
    defined = {}
    for module, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.setdefault(node.name, set()).add(module)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.setdefault(node.attr, set()).add(module)
    found = []
    for module, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                    and defined.get(node.attr, set()) - {module}):
                found.append(f"{module}:{node.lineno} uses {ast.unparse(node)}")
    return sorted(found)


def test_no_private_attribute_of_another_module_is_used():
    """A private method or attribute (World._define, an evaluator's _eval) is used only in its module."""
    assert private_uses({m: p.read_text() for m, p in MODS.items()}) == []


def test_the_private_use_rule_catches_one():
    sources = {"a": "class World:\n    def _define(self):\n        self._memo = 1\n",
               "b": "def f(w):\n    return w._define(), w._memo\n"}
    assert private_uses(sources) == ["b:2 uses w._define", "b:2 uses w._memo"]


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


# ----------------------------------------------------------------------------- one place per idea

def test_the_records_and_manual_agree():
    """manual/'s activations and losses and the oracle side's records are the same names, with the
    same properties where both say something (reference.records.check_records_agree)."""
    from backproof.reference.records import check_records_agree
    assert check_records_agree() == []


def test_the_agreement_check_sees_an_activation_added_to_manual_alone(monkeypatch):
    import numpy as np

    from backproof.manual import activations
    from backproof.reference.records import check_records_agree
    from names import UNKNOWN_ACTIVATION as new
    swish = activations.Activation(new, lambda z: z / (1 + np.exp(-z)), prime=lambda z: z)
    monkeypatch.setitem(activations.ACTIVATIONS, new, swish)
    monkeypatch.setitem(activations.ACTIVATIONS, "relu", activations.Activation("relu", activations.relu,
                                                                               prime=activations.relu_prime))
    assert sorted(check_records_agree()) == sorted([f"activation {new!r} is missing from reference/records.py",
                                                    "activation 'relu': kink is True in the record, False in manual/"])


# Where names of activations and losses may be written: the tables that define them, and the demos
# (their recipes name the networks they train, as a user does).
NAME_TABLES = {"backproof.manual.activations", "backproof.manual.losses", "backproof.reference.records"}


def names_tested(module: str, text: str, names: set) -> list[str]:
    """Places where a module tests an activation or loss by name: a comparison with a name, a
    subscript by a name, or a dict keyed by, list, tuple or set of two or more names. (A default
    argument, `activation="sigmoid"`, names one without testing it; the exact evaluator's rule for
    SymPy's `tanh` node is one key that happens to be a name.)"""
    def is_name(node):
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    found = []
    for node in ast.walk(ast.parse(text)):
        hit = None
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            hit = next((o for o in operands if is_name(o) or (isinstance(o, (ast.Tuple, ast.List, ast.Set))
                                                              and any(is_name(e) for e in o.elts))), None)
        elif isinstance(node, ast.Subscript) and is_name(node.slice):
            hit = node.slice
        elif isinstance(node, ast.Dict) and sum(k is not None and is_name(k) for k in node.keys) >= 2:
            hit = node
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and sum(map(is_name, node.elts)) >= 2:
            hit = node
        if hit is not None:
            found.append(f"{module}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_module_outside_the_records_tests_an_activation_or_loss_by_name():
    from backproof.manual.activations import ACTIVATIONS
    from backproof.manual.losses import LOSSES
    names = set(ACTIVATIONS) | set(LOSSES)
    found = [place for module, path in MODS.items()
             if module not in NAME_TABLES and not module.startswith("backproof.demos")
             for place in names_tested(module, path.read_text(), names)]
    assert found == []


def test_the_name_rule_catches_each_form():
    text = ('if act.name == "softmax": pass\n'
            'T = {"sigmoid": 1, "tanh": 2}\n'
            'HIDDEN = ("tanh", "relu")\n'
            'x = table["bce"]\n'
            'if loss in ("mse",): pass\n'
            'def f(activation="sigmoid"): pass\n')
    found = names_tested("m", text, {"softmax", "sigmoid", "tanh", "relu", "bce", "mse"})
    assert [place.split(":")[1] for place in found] == ["1", "2", "3", "4", "5"], found
