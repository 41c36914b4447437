"""What the default run (and CI) checks of a parametrized sweep, and what only `pytest -m slow` does.

A sweep over documents, widths or losses keeps its first values (or the named ones) in the default
run, so every feature is still covered there, and marks the rest `slow`: the default suite stays
within three minutes on two cores, and `pytest -m slow` (docs/testing.md) runs the rest."""
import pytest


def keep(values, default=None, first: int = 1, ids=None):
    """`values` as pytest params: those in `default` (or the first `first`) unmarked, the rest slow."""
    values = list(values)
    chosen = set(range(first)) if default is None else {i for i, v in enumerate(values) if v in default}
    out = []
    for i, v in enumerate(values):
        marks = () if i in chosen else (pytest.mark.slow,)
        args = v if isinstance(v, tuple) else (v,)
        out.append(pytest.param(*args, marks=marks, id=ids(v) if ids else None))
    return out
