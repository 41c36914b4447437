"""The harness (harness/check.py): anyone's backprop, in any layout, one call.

A user's backprop is written here as a student would (sigmoid layers, ½·SSE summed over the batch),
with its own layout conversions (not the harness's), and with switchable bugs. Correct versions pass
in every layout; each bug is caught with a shrunk counterexample; bad use is reported as such.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backproof.harness import assert_backprop, check_backprop
from backproof.manual import Network, leaky_relu
from backproof.reference.strategies import cases
from names import UNKNOWN_ACTIVATION

LAYOUTS = [(layout, shape, bias) for layout in ("rows", "columns") for shape in ("out_in", "in_out")
           for bias in ("separate", "augmented", "augmented_first", "none")] + \
    [("rows", shape, "row") for shape in ("out_in", "in_out")]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def student_backprop(layout="rows", weight_shape="out_in", bias="separate", bug=None):
    """A sigmoid net's backprop with ½·Σ(a − y)², written in the canonical math (rows, W (out, in))
    and wrapped in conversions to and from the given layout."""
    def backprop(weights, biases, x, y):
        W = [w.T if weight_shape == "in_out" else w for w in weights]
        if bias == "augmented":
            W, b = [w[:, :-1] for w in W], [w[:, -1] for w in W]
        elif bias == "augmented_first":
            W, b = [w[:, 1:] for w in W], [w[:, 0] for w in W]
        elif bias == "none":
            b = [np.zeros(w.shape[0]) for w in W]
        else:
            b = [v.ravel() for v in biases]
        if layout == "columns":
            x, y = x.T, y.T
        a, zs = [x], []
        for Wl, bl in zip(W, b):
            zs.append(a[-1] @ Wl.T + bl)
            a.append(sigmoid(zs[-1]))
        L = len(W)
        delta = [None] * L
        delta[-1] = (a[-1] - y) * a[-1] * (1 - a[-1])
        for l in range(L - 2, -1, -1):
            W_next = W[l] if bug == "off-by-one layer" else W[l + 1]
            fprime = 1 if bug == "missing f'" else a[l + 1] * (1 - a[l + 1])
            delta[l] = (delta[l + 1] @ W_next) * fprime
        dW = [d.T @ ap for d, ap in zip(delta, a)]
        db = [d[0] if bug == "bias gradient not summed" else d.sum(axis=0) for d in delta]
        if bug == "wrong sign":
            dW, db = [-g for g in dW], [-g for g in db]
        if bug == "transposed gradient":
            dW = [g.T for g in dW]
        # back to the user's layout
        if bias == "augmented":
            dW = [np.hstack([g, v[:, None]]) for g, v in zip(dW, db)]
        if bias == "augmented_first":
            dW = [np.hstack([v[:, None], g]) for g, v in zip(dW, db)]
        dW = [np.ascontiguousarray(g.T) if weight_shape == "in_out" else g for g in dW]
        if bias == "row":
            return dW, [v.reshape(1, -1) for v in db]
        if bias != "separate":
            return dW, []
        return dW, [v.reshape(-1, 1) if layout == "columns" else v for v in db]
    return backprop


@pytest.mark.parametrize("layout, weight_shape, bias", LAYOUTS)
def test_a_correct_backprop_passes_in_every_layout(layout, weight_shape, bias):
    report = check_backprop(student_backprop(layout, weight_shape, bias), layout=layout,
                            weight_shape=weight_shape, bias=bias, max_examples=40, seed=1)
    assert report.ok, str(report)
    assert "backprop OK" in str(report)


def nielsen_style(weights, biases, x, y):
    """Columns layout, W (out, in), b (out, 1): the shape of source 002's network."""
    acts, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ acts[-1] + b)
        acts.append(sigmoid(zs[-1]))
    delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
    nabla_w, nabla_b = [delta @ acts[-2].T], [delta.sum(axis=1, keepdims=True)]
    for l in range(2, len(weights) + 1):
        delta = (weights[-l + 1].T @ delta) * acts[-l] * (1 - acts[-l])
        nabla_w.insert(0, delta @ acts[-l - 1].T)
        nabla_b.insert(0, delta.sum(axis=1, keepdims=True))
    return nabla_w, nabla_b


def test_column_layout_like_source_002_passes():
    assert_backprop(nielsen_style, layout="columns", max_examples=60, seed=2)


def test_manual_network_passes_through_the_harness():
    def manual(weights, biases, x, y):
        g = Network(weights, biases, "tanh", loss="mse", reduction="mean").gradients(x, y)
        return g.dW, g.db
    assert_backprop(manual, activation="tanh", loss="mse", reduction="mean", max_examples=60, seed=3)


def test_the_pytest_fixture_makes_a_check_one_line(assert_backprop):
    assert_backprop(student_backprop("columns", "in_out", "augmented"), layout="columns",
                    weight_shape="in_out", bias="augmented")


BUG_CASES = [  # each bug in two layouts; between them every layout option appears
    ("missing f'", "rows", "out_in", "separate"),
    ("missing f'", "columns", "in_out", "augmented"),
    ("wrong sign", "rows", "in_out", "none"),
    ("wrong sign", "columns", "out_in", "separate"),
    ("bias gradient not summed", "rows", "out_in", "separate"),
    ("bias gradient not summed", "columns", "in_out", "separate"),
    ("transposed gradient", "rows", "out_in", "separate"),
    ("transposed gradient", "columns", "in_out", "none"),
    ("off-by-one layer", "rows", "out_in", "separate"),
    ("off-by-one layer", "columns", "in_out", "augmented"),
]


@pytest.mark.parametrize("bug, layout, weight_shape, bias", BUG_CASES)
def test_a_wrong_backprop_is_caught_and_shrunk(bug, layout, weight_shape, bias):
    wrong = student_backprop(layout, weight_shape, bias, bug=bug)
    report = check_backprop(wrong, layout=layout, weight_shape=weight_shape, bias=bias, max_examples=300, seed=0)
    assert not report.ok
    ce = report.counterexample
    assert sum(ce.sizes) <= 7 and len(ce.sizes) <= 3, f"not shrunk: {report}"
    assert f"layout={layout!r}" in str(report) and "smallest failing network" in str(report)
    if bug == "bias gradient not summed":   # one example cannot show it; a batch of 2 would equal the width 2
        assert ce.parameter == "dbiases[0]" and ce.batch == 3 and ce.sizes == [1, 2], str(report)
    if ce.problem:  # a shape the user did not expect, or an exception
        assert ce.parameter == "backprop" or "expected shape" in ce.problem, str(report)
        if bug == "transposed gradient":
            assert "(the transpose" in ce.problem, str(report)
    else:  # a wrong value: replaying the user's function on the counterexample gives that value
        dW, db = wrong(ce.weights, ce.biases, ce.x, ce.y)
        name, i = ce.parameter.rstrip("]").split("[")
        assert (dW if name == "dweights" else db)[int(i)][ce.index] == ce.given, str(report)
        assert ce.given != ce.expected


@pytest.mark.parametrize("bad, pattern", [
    (lambda weights, biases, x, y: ([w.astype(np.float32) for w in weights], biases), "expected dtype float64"),
    (lambda weights, biases, x, y: ([np.full_like(w, np.nan) for w in weights], biases), "non-finite value nan"),
    (lambda weights, biases, x, y: ([w.ravel() for w in weights], biases), "expected shape"),
    (lambda weights, biases, x, y: [w for w in weights], "expected dweights of shapes"),
    (lambda weights, biases, x, y: (weights, biases[:-1] or None), "expected dweights of shapes"),
    (lambda weights, biases, x, y: 1 / 0, "raised ZeroDivisionError"),
])
def test_bad_results_are_reported_as_such(bad, pattern):
    report = check_backprop(bad, max_examples=20, seed=0)
    assert not report.ok and pattern in str(report), str(report)


def test_an_exception_is_located_in_the_users_code():
    def backprop(weights, biases, x, y):
        z = x @ weights[0]     # the weights are (out, in): this needs .T
        return [z], [z]
    report = check_backprop(backprop, max_examples=5, seed=0)
    ce = report.counterexample
    assert ce.problem.startswith("raised ValueError") and ce.raised_at.startswith(__file__), str(report)
    assert "in backprop: z = x @ weights[0]" in ce.raised_at and "raised at " in str(report)


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: check_backprop("not a function"), TypeError, "backprop: expected a function"),
    (lambda: check_backprop(lambda w, b, x: None), TypeError, r"taking \(weights, biases, x, y\)"),
    (lambda: check_backprop(nielsen_style, layout="cols"), ValueError, "layout: expected one of"),
    (lambda: check_backprop(nielsen_style, weight_shape="oi"), ValueError, "weight_shape"),
    (lambda: check_backprop(nielsen_style, bias="folded"), ValueError, "bias: expected one of"),
    (lambda: check_backprop(nielsen_style, activation=UNKNOWN_ACTIVATION), ValueError,
     f"activation: unknown activation {UNKNOWN_ACTIVATION!r}"),
    (lambda: check_backprop(nielsen_style, output=UNKNOWN_ACTIVATION), ValueError,
     f"output: unknown activation {UNKNOWN_ACTIVATION!r}"),
    (lambda: check_backprop(nielsen_style, targets="soft"), ValueError, "targets: half_sse's targets are real"),
    (lambda: check_backprop(nielsen_style, activation=["tanh", "sigmoid"], output="sigmoid"), ValueError,
     "output: with one activation per layer"),
    (lambda: check_backprop(nielsen_style, layout="vector", per_example=False), ValueError, "layout: 'vector'"),
    (lambda: check_backprop(nielsen_style, method="backprop"), ValueError, "method: only a model class"),
    (lambda: check_backprop(nielsen_style, l2=-1), ValueError, "l2: expected a finite number >= 0"),
    (lambda: check_backprop(nielsen_style, loss="bce", activation="tanh"), ValueError, "loss: bce"),
    (lambda: check_backprop(nielsen_style, max_examples=0), ValueError, "max_examples"),
    (lambda: check_backprop(nielsen_style, batch=(4, 2)), ValueError, r"^batch\[1\]: expected an int >= 4, got 2$"),
    (lambda: check_backprop(nielsen_style, width=8), TypeError, r"^width: expected a pair \(low, high\), got 8$"),
    (lambda: check_backprop(nielsen_style, max_z=0.1), ValueError, r"^max_z: expected a finite number >= 0.5"),
    (lambda: check_backprop(nielsen_style, dtype="float16"), TypeError, "^dtype: expected float32 or float64"),
])
def test_bad_use_is_an_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# ----------------------------------------------------------------------------- verdicts both ways

def textbook_backprop(act, prime_from_output, loss="half_sse", reduction="sum", bug=None):
    """Rows layout, W (out, in): a backprop as a textbook writes it, with f' computed from a = f(z)."""
    def backprop(weights, biases, x, y):
        a, zs = [x], []
        for W, b in zip(weights, biases):
            zs.append(a[-1] @ W.T + b)
            a.append(act(zs[-1]))
        scale = 1.0 if reduction == "sum" else 1.0 / len(x)
        if bug == "mean wrong above 8" and len(x) > 8:
            scale = 1.0 / 8
        prime = [prime_from_output(al) for al in a[1:]]
        if bug == "tanh' clipped at 5":
            prime = [1 - np.tanh(np.clip(z, -5, 5)) ** 2 for z in zs]
        delta = [scale * (a[-1] - y) * prime[-1]]
        for l in range(len(weights) - 1, 0, -1):
            delta.insert(0, (delta[0] @ weights[l]) * prime[l - 1])
        return [d.T @ ap for d, ap in zip(delta, a)], [d.sum(axis=0) for d in delta]
    return backprop


TANH = textbook_backprop(np.tanh, lambda a: 1 - a * a)


def test_textbook_tanh_prime_from_the_output_passes():
    """tanh' = 1 − a², rounded the textbook way, passes: the bound includes a's own rounding, and
    float64 autograd (which uses 1 − a² too) is not taken as exact."""
    report = check_backprop(TANH, activation="tanh", max_examples=150, seed=4)
    assert report.ok, str(report)


def test_the_reported_false_alarm_of_textbook_tanh_is_gone():
    """The case from the issue: W=[[1,1,1]], b=[0.9], x=[[1,1,1]], y=[[-1]]; the user's 1 − a² is
    1.09e-14·M from the exact value, and autograd itself 7.2e-15·M off."""
    from backproof.manual.network import Gradients
    from backproof.reference.compare import judge
    net = Network([np.ones((1, 3))], [np.array([0.9])], "tanh", loss="half_sse", reduction="sum")
    x, y = np.ones((1, 3)), np.array([[-1.0]])
    dW, db = TANH(net.W, net.b, x, y)
    verdict = judge(net, x, y, Gradients(None, [], dW, db), quantities=("dW", "db"))
    assert verdict.ok, verdict.mismatches


@pytest.mark.parametrize("spec, slope", [("leaky_relu", 0.01), (leaky_relu(0.1), 0.1), (leaky_relu(0.3), 0.3)])
def test_leaky_relu_has_the_slope_the_caller_gives(spec, slope):
    """By name, torch's default slope 0.01; an Activation carries its own. Never drawn behind the
    user's back: a correct leaky ReLU with that slope passes."""
    act = lambda z: np.where(z > 0, z, slope * z)  # noqa: E731
    user = textbook_backprop(act, lambda a: np.where(a > 0, 1.0, slope))
    report = check_backprop(user, activation=spec, max_examples=60, seed=5)
    assert report.ok, str(report)
    assert f"leaky_relu({slope:g})" in str(report)


def test_a_leaky_relu_of_another_slope_fails():
    user = textbook_backprop(lambda z: np.where(z > 0, z, 0.1 * z), lambda a: np.where(a > 0, 1.0, 0.1))
    assert not check_backprop(user, activation="leaky_relu", max_examples=60, seed=5).ok


@pytest.mark.parametrize("bug, needs", [("mean wrong above 8", "batch > 8"), ("tanh' clipped at 5", "|z| > 5")])
def test_bugs_that_show_only_on_large_draws_are_caught(bug, needs):
    """Both passed every seed when batches stopped at 6 and |z| at about 4; the default draws now
    reach batch 16 and |z| 12. With the old limits they still pass, so the limits are what matter."""
    user = textbook_backprop(np.tanh, lambda a: 1 - a * a, reduction="mean", bug=bug)
    report = check_backprop(user, activation="tanh", reduction="mean", max_examples=100, seed=0)
    assert not report.ok, f"{bug} ({needs}) not caught"
    if bug.startswith("mean"):  # shrunk to the least batch that shows it
        assert report.counterexample.batch == 9, str(report)
    narrow = check_backprop(user, activation="tanh", reduction="mean", batch=(1, 6), max_z=4.0, max_examples=100, seed=0)
    assert narrow.ok, str(narrow)


def test_the_first_networks_are_informative():
    """Values come from a seed, not from hypothesis's all-zero simplest example: each bug kind
    above is found within the first five networks."""
    for bug in ("missing f'", "wrong sign", "bias gradient not summed", "transposed gradient", "off-by-one layer"):
        report = check_backprop(student_backprop(bug=bug), max_examples=5, seed=0)
        assert not report.ok, f"{bug}: not found in 5 networks"


def test_the_same_seed_gives_the_same_search_from_any_caller(tmp_path):
    """A small script of its own (its own literals, which hypothesis used to mine, and hypothesis'
    default settings) and this test process (every test module's literals loaded, the suite's
    hypothesis profile) get the same report."""
    import subprocess
    import sys

    def wrong(weights, biases, x, y):
        return [np.ones_like(w) for w in weights], [np.ones_like(b) for b in biases]
    script = tmp_path / "caller.py"
    script.write_text(
        "import numpy as np\n"
        "CONSTANTS = (1e-3, 99, 2.25)\n"
        "from backproof.harness import check_backprop\n"
        "def wrong(weights, biases, x, y):\n"
        "    return [np.ones_like(w) for w in weights], [np.ones_like(b) for b in biases]\n"
        "print(check_backprop(wrong, max_examples=20, seed=7))\n")
    theirs = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120).stdout
    ours = str(check_backprop(wrong, max_examples=20, seed=7)) + "\n"
    assert "WRONG" in ours and theirs == ours, (theirs, ours)


@pytest.mark.parametrize("seed", range(4))
def test_a_failure_is_shrunk_to_within_twice_the_smallest_failing_network(seed):
    """Wrong only when some hidden layer has two or more units: the smallest failing network is
    [1, 2, 1] with batch 1 (widths plus batch: 5). Shrinking keeps widths and batch from coinciding
    more than the drawn network did, so it may stop a little above; it must reach one hidden layer of
    at least two units, within twice that smallest size."""
    def wrong(weights, biases, x, y):
        dW, db = student_backprop()(weights, biases, x, y)
        if any(w.shape[0] >= 2 for w in weights[:-1]):
            dW = [g * 1.01 for g in dW]
        return dW, db
    ce = check_backprop(wrong, max_examples=200, seed=seed).counterexample
    assert len(ce.sizes) == 3 and ce.sizes[1] >= 2, str(ce)
    assert sum(ce.sizes) + ce.batch <= 2 * 5, str(ce)


def test_the_report_shows_the_shapes_received_and_small_inputs_in_full():
    """A bias returned as (n, 1) in the rows layout: the report says what the function received."""
    def wrong(weights, biases, x, y):
        dW, db = student_backprop()(weights, biases, x, y)
        return dW, [v.reshape(-1, 1) for v in db]
    report = check_backprop(wrong, max_examples=20, seed=0)
    text = str(report)
    ce = report.counterexample
    assert sorted(ce.sizes) == [1, 2], text     # [1, 1] would make the layouts look alike
    (k, m), n = ce.sizes, ce.batch
    assert f"your function received: weights [({m}, {k})], biases [({m},)], x ({n}, {k}), y ({n}, {m})" in text
    assert f"dbiases[0]: expected shape ({m},), got ({m}, 1) (the biases' layout: bias='row' is (1, n)" in text
    assert "\n  x = array([[" in text and "\n  weights[0] = array([[" in text
    assert "reproduce: check_backprop(..., seed=0)" in text


def test_the_fixture_failure_carries_the_report():
    from backproof.harness import BackpropMismatch
    with pytest.raises(BackpropMismatch) as raised:
        assert_backprop(student_backprop(bug="wrong sign"), max_examples=20, seed=0)
    assert raised.value.report.counterexample.x is not None
    assert str(raised.value) == str(raised.value.report)


def test_nothing_checked_is_never_a_pass():
    """A network whose every gradient is zero (a dead relu layer) checks nothing; a search that
    only meets such networks reports "nothing checked", and `ok` is False."""
    from backproof.harness.check import Report, _Spec
    from backproof.reference.strategies import Case
    net = Network([-np.ones((2, 2))], [-np.ones(2)], "relu", loss="half_sse", reduction="sum")
    case = Case(net, np.ones((3, 2)), np.zeros((3, 2)))

    def spec(fn):
        return _Spec.build(fn, "relu", None, "half_sse", "sum", None, 0.0, False, None, None, None, "lists",
                           False, None, None, "float64")

    def zero(weights, biases, x, y):
        return [np.zeros_like(w) for w in weights], [np.zeros_like(b) for b in biases]
    assert spec(zero).check(case) == "nothing checked"
    ones = lambda w, b, x, y: ([np.ones_like(v) for v in w], [np.ones_like(v) for v in b])  # noqa: E731
    assert spec(ones).check(case).parameter == "dweights[0]"
    report = Report("nothing checked", 0, 5, 0, {})
    assert not report.ok and str(report).startswith("NOTHING CHECKED")


def test_softmax_is_never_drawn_over_one_unit_and_other_outputs_keep_the_width_limit():
    from backproof.reference.strategies import Limits, random_case
    rng = np.random.default_rng(0)
    for _ in range(300):
        case = random_case(rng, Limits(width=(1, 3)), outputs=("softmax",), losses=("half_sse", "softmax_ce"))
        assert case.net.sizes[-1] >= 2
        case = random_case(rng, Limits(width=(1, 1)), outputs=("sigmoid",), losses=("half_sse",))
        assert case.net.sizes == [1] * len(case.net.sizes), case.describe()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_correct_backprop_in_float32_or_float64_passes(dtype):
    def manual(weights, biases, x, y):
        g = Network(weights, biases, "sigmoid", loss="half_sse", reduction="sum").gradients(x, y)
        return g.dW, g.db
    report = check_backprop(manual, dtype=dtype, max_examples=60, seed=1)
    assert report.ok and f"dtype='{dtype}'" in str(report), str(report)


def test_the_catch_rate_of_injected_errors_and_no_false_alarm():
    """reference/power.py on 150 networks per dtype: manual/ and the textbook backprop never
    rejected; one tensor × (1 + 1e-9) caught in float64 in at least 97% (the benchmark measures
    ≥ 1000 networks), × (1 + 1e-3) in float32 in at least 60% — float32 gradients of saturated
    deep networks are themselves off by up to 1e-4, and the bound must admit them."""
    from backproof.reference.power import measure
    from backproof.reference.tolerances import rtol_exact
    for dtype, floor in (("float64", 0.97), ("float32", 0.6)):
        p = measure(150, dtype, seed=1)
        assert not p.false_alarms, p.false_alarms[:3]
        assert p.catch_rate >= floor, (dtype, p.catch_rate, p.missed[:3])
        assert p.vacuous == 0
        # the sweep of other constants measures as judge does: at the real constant its strict
        # stage catches at least what judge (which may still pass in its arbitration band) catches
        constant = rtol_exact(np.dtype(dtype)) / np.finfo(dtype).eps
        assert p.catch_rate_at(constant) >= p.catch_rate
        assert p.false_alarms_at(constant) == 0 and p.false_alarms_at(0.5 * max(p.needed)) >= 1
        assert p.catch_rate_at(0.5 * min(p.injected_size)) == 1.0


def test_the_sweep_counts_a_case_that_checks_nothing_apart():
    from backproof.reference.compare import check_case as sweep_case
    from backproof.reference.strategies import Case
    net = Network([-np.ones((2, 2))], [-np.ones(2)], "relu", loss="half_sse", reduction="sum")
    report = sweep_case(Case(net, np.ones((3, 2)), np.zeros((3, 2))), oracles=("autograd",))
    assert report.verdict == "nothing checked" and report.ok  # no disagreement, but not a pass
    alive = Network([np.ones((2, 2))], [np.ones(2)], "relu", loss="half_sse", reduction="sum")
    report = sweep_case(Case(alive, np.ones((3, 2)), np.zeros((3, 2))), oracles=("autograd",))
    assert report.verdict == "pass"


# ----------------------------------------------------------------------------- float32: the logic in float64

def manual_like(weights, biases, x, y, factor=1.0):
    """Any dtype in, the same dtype out; `factor` scales the output layer's dW: a logic error."""
    g = Network(weights, biases, "tanh", loss="half_sse", reduction="sum").gradients(x, y)
    return [g.dW[0] * g.dW[0].dtype.type(factor)] + g.dW[1:], g.db


def test_a_float32_function_is_judged_for_its_logic_in_float64():
    """An error of 1e-4 in one tensor hides under float32's sound bound on saturated networks; run in
    float64 on the same network, it does not."""
    report = check_backprop(lambda w, b, x, y: manual_like(w, b, x, y, 1 + 1e-4), activation="tanh",
                            dtype="float32", max_examples=50, seed=0)
    ce = report.counterexample
    assert not report.ok and ce.run_in == "float64" and ce.dtype == "float32", str(report)
    assert "run in float64: the logic" in str(report)
    assert check_backprop(manual_like, activation="tanh", dtype="float32", max_examples=50, seed=0).ok


def test_a_float32_only_function_is_judged_in_float32_and_says_so():
    def only32(weights, biases, x, y):
        assert x.dtype == np.float32, "float32 only"
        return manual_like(weights, biases, x, y)
    report = check_backprop(only32, activation="tanh", dtype="float32", max_examples=30, seed=0)
    assert report.ok and "did not take float64 arrays: the logic is judged in float32 only" in str(report)


@pytest.mark.parametrize("seed", range(4))
def test_a_transposed_dw_shrinks_to_a_small_network_on_every_seed(seed):
    """∂C/∂W transposed is a shape error on most layers and a value error on square ones: judged as
    one kind ("transposed") on both, so the shrinker is free to move through square layers and ends
    small (widths and batch pairwise distinct where it can: at most 15 in all)."""
    import learner_bugs
    ce = check_backprop(learner_bugs.learner("transposed dW"), activation="tanh", max_examples=100,
                        seed=seed).counterexample
    assert ce.kind == "transposed" and sum(ce.sizes) + ce.batch <= 15, str(ce)


@settings(max_examples=60)
@given(cases(l2s=(0.0, 0.1)), st.sampled_from([0.0, 1e-9, 1e-6, 1e-3]))
def test_the_floor_lies_under_the_bound_and_the_quick_pass_never_passes_what_judge_fails(case, size):
    """The harness passes a network without computing the error bound when every entry is within
    rtol of autograd.magnitude_floor; sound only if the floor is under the bound everywhere and the
    quick pass implies judge's pass, on correct and on perturbed gradients alike."""
    from backproof.manual.network import Gradients
    from backproof.reference.autograd import autograd_pass, gradient_magnitudes, magnitude_floor
    from backproof.reference.compare import judge, passes_at_its_own_size
    net, x, y = case.net, case.x, case.y
    reference, inputs = autograd_pass(net, x, y)
    bound, floor = gradient_magnitudes(net, x, y, reference), magnitude_floor(reference, inputs)
    for q in ("delta", "dW", "db"):
        for f, m in zip(getattr(floor, q), getattr(bound, q)):
            assert (f <= m).all(), (q, float((f - m).max()))
    g = net.gradients(x, y)
    given = Gradients(None, [], [(d * (1 + size)).astype(d.dtype) for d in g.dW], g.db)
    if passes_at_its_own_size(net, x, given, reference, inputs, ("dW", "db")):
        assert judge(net, x, y, given, quantities=("dW", "db"), reference=reference, magnitudes=bound).ok


def test_the_quick_pass_passes_right_gradients_and_nothing_else():
    """passes_at_its_own_size: True for manual/'s own gradients of an ordinary network, False for a
    1e-3 error in one entry, a nan, or a tensor of another shape (False says only: judge it)."""
    from backproof.manual.network import Gradients
    from backproof.reference.autograd import autograd_pass
    from backproof.reference.compare import passes_at_its_own_size
    net = Network.init([3, 5, 4, 2], "tanh", loss="half_sse", reduction="sum", seed=3)
    x, y = np.random.default_rng(3).standard_normal((6, 3)), np.random.default_rng(4).standard_normal((6, 2))
    reference, inputs = autograd_pass(net, x, y)
    g = net.gradients(x, y)
    assert passes_at_its_own_size(net, x, Gradients(None, [], g.dW, g.db), reference, inputs, ("dW", "db"))
    for spoil in (lambda d: d.__setitem__((1, 2), d[1, 2] * (1 + 1e-3)), lambda d: d.__setitem__((0, 0), np.nan)):
        dW = [d.copy() for d in g.dW]
        spoil(dW[1])
        assert not passes_at_its_own_size(net, x, Gradients(None, [], dW, g.db), reference, inputs, ("dW", "db"))
    assert not passes_at_its_own_size(net, x, Gradients(None, [], [g.dW[0].T, *g.dW[1:]], g.db), reference,
                                      inputs, ("dW", "db"))
    assert not passes_at_its_own_size(net, x, Gradients(None, [], g.dW, g.db[:-1]), reference, inputs, ("dW", "db"))
