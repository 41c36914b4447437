"""backproof.harness: check anyone's backprop, as they wrote it, against backproof's oracles.

    from backproof.harness import check_backprop, assert_backprop

    report = check_backprop(my_backprop, activation="relu", output="softmax", loss="softmax_ce")
    print(report)                  # pass, or the smallest failing network, what is wrong and why

One module per step:
    styles.py      how a learner's code lays out its parameters, data and gradients
    models.py      a model class: where it keeps its parameters
    calling.py     calling the code once, catching what it raises and where
    check.py       check_backprop: recognise the style, draw networks, judge each (reference.compare.judge)
    shrink.py      the probe network and the smallest network that fails the same way
    diagnosis.py   the neighbouring convention wrong gradients fit (a factor, a transpose, another loss)
    report.py      what the user reads
    pytest_plugin.py  the `assert_backprop` fixture (entry point `backproof`)
"""
__all__ = ["check_backprop", "assert_backprop", "Report", "BackpropMismatch"]


def __getattr__(name):
    """The public names, imported on first use: the pytest plugin lives in this package, and loading
    it must not import torch for a project that never uses the fixture."""
    if name in ("check_backprop", "assert_backprop"):
        from . import check
        return getattr(check, name)
    if name in ("Report", "BackpropMismatch"):
        from . import report
        return getattr(report, name)
    raise AttributeError(f"module 'backproof.harness' has no attribute {name!r}")
