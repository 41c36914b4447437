"""Installing backproof breaks nobody's project: one import namespace, a pytest plugin that costs
nothing and shadows nothing, and `python -m backproof`. Each test runs a fresh interpreter of the
environment backproof is installed in, from a folder outside the repository."""
import subprocess
import sys
import textwrap

import pytest

ROOT_TEST = """
def test_own_module():
    import {name}
    assert {name}.ANSWER == 42
"""


def run(args, cwd, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("layouts", [("reference.py", "manual/__init__.py"), ("reference/__init__.py", "manual.py")])
def test_a_project_with_our_old_top_level_names_runs_its_tests_as_before(tmp_path, layouts):
    """Both old names in one project, each as a module and as a package across the two runs."""
    for layout in layouts:
        name = layout.split("/")[0].removesuffix(".py")
        (tmp_path / layout).parent.mkdir(exist_ok=True)
        (tmp_path / layout).write_text("ANSWER = 42\n")
        (tmp_path / f"test_own_{name}.py").write_text(ROOT_TEST.format(name=name))
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr


def test_the_fixture_works_in_a_project_with_its_own_reference_module(tmp_path):
    (tmp_path / "reference.py").write_text("ANSWER = 42\n")
    (tmp_path / "test_bp.py").write_text(textwrap.dedent("""
        import numpy as np
        import reference

        def correct(weights, biases, x, y):          # sigmoid, ½·SSE summed, rows, out_in
            a, zs, acts = x, [], [x]
            for W, b in zip(weights, biases):
                z = a @ W.T + b
                a = 1 / (1 + np.exp(-z))
                zs.append(z); acts.append(a)
            delta = (a - y) * a * (1 - a)
            dW, db = [None] * len(weights), [None] * len(weights)
            for l in range(len(weights) - 1, -1, -1):
                dW[l], db[l] = delta.T @ acts[l], delta.sum(axis=0)
                if l:
                    delta = (delta @ weights[l]) * acts[l] * (1 - acts[l])
            return dW, db

        def test_correct(assert_backprop):
            assert reference.ANSWER == 42
            assert_backprop(correct, max_examples=5, seed=1)

        def test_wrong(assert_backprop):
            def wrong(*args):
                dW, db = correct(*args)
                return [2 * g for g in dW], db
            try:
                assert_backprop(wrong, max_examples=5, seed=1)
            except AssertionError as e:
                assert "backprop WRONG" in str(e)
            else:
                raise AssertionError("a doubled gradient passed")
    """))
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr


def test_the_plugin_imports_nothing_heavy(tmp_path):
    code = ("import sys, backproof.harness.pytest_plugin; "
            "heavy = sorted(m for m in ('torch', 'hypothesis', 'sympy', 'numpy', 'backproof.manual') if m in sys.modules); "
            "print(heavy)")
    result = run(["-c", code], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_only_backproof_is_installed_at_the_top_level(tmp_path):
    code = ("import importlib.util as u; print([n for n in ('manual', 'reference', 'checker', 'demos', 'cli') "
            "if u.find_spec(n) is not None])")
    result = run(["-c", code], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_the_namespace_imports(tmp_path):
    code = ("import backproof.manual, backproof.reference, backproof.harness, backproof.checker.check, "
            "backproof.demos.recipes, backproof.cli.main; print(backproof.manual.Network.__module__)")
    result = run(["-c", code], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "backproof.manual.network", result.stderr


def test_python_m_backproof_version(tmp_path):
    import backproof
    result = run(["-m", "backproof", "--version"], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"backproof {backproof.__version__}", result.stderr
    assert backproof.__version__ != "0+unknown"


def test_a_wheel_carries_the_documents_and_the_license_and_checks_them_from_anywhere(tmp_path):
    """Not editable: the wheel installed into a folder of its own (ahead of the checkout on the
    path), run from another folder, finds its documents, checks one and writes its page."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "wheel"), str(root)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("backproof-*.whl"))
    import zipfile
    names = zipfile.ZipFile(wheel).namelist()
    assert "backproof/derivations/backprop.md" in names and any(n.endswith("licenses/LICENSE") for n in names)
    assert "backproof/derivations/figures/network.png" in names
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**__import__("os").environ, "PYTHONPATH": str(site), "BACKPROOF_NO_CACHE": "1"}
    where = subprocess.run([sys.executable, "-c", "from backproof.cli.derivations import DERIVATIONS as D; "
                            "print(D, len(list(D.glob('*.md'))))"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    folder, count = where.stdout.split()
    shipped = len(list((root / "derivations").glob("*.md")))   # every document of the checkout, README too
    assert folder == str(site / "backproof" / "derivations") and count == str(shipped), where.stdout + where.stderr
    done = subprocess.run([sys.executable, "-m", "backproof", "derivations", "--no-prove", "--html", "pages",
                           f"{folder}/relu.md"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "0 failed, 0 errors" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "pages" / "relu.html").is_file()
