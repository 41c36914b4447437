"""Bad input: each case raises TypeError/ValueError naming the argument and what was expected.
Nothing is broadcast, reshaped or cast silently."""
import warnings

import numpy as np
import pytest

from backproof.manual import Network, leaky_relu, sgd
from backproof.manual.activations import get_activation
from backproof.manual.checks import check_int, check_real
from names import KNOWN_ACTIVATIONS, UNKNOWN_ACTIVATION

f64, f32 = np.float64, np.float32


def net(sizes=(2, 3, 1), activations="sigmoid", loss="half_sse", reduction="sum", dtype=f64):
    return Network.init(list(sizes), activations, loss=loss, reduction=reduction, dtype=dtype)


X = np.zeros((4, 2))
Y = np.zeros((4, 1))
ONE_HOT = np.eye(3)[[0, 1, 2, 0]]


def _matrix(a):
    """np.matrix without its PendingDeprecationWarning (users still pass them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(a)

CASES = [
    # (id, call, exception, the whole message)
    ("x wrong width", lambda: net().gradients(np.zeros((4, 3)), Y), ValueError,
     'x: expected shape (n, 2), got (4, 3)'),
    ("x is 1-D", lambda: net().forward(np.zeros(2)), ValueError,
     'x: expected shape (n, 2), got (2,) (a batch is 2-D with examples in rows: use arr.reshape(-1, 1) '
     'for one unit)'),
    ("x is 3-D", lambda: net().forward(np.zeros((1, 4, 2))), ValueError,
     'x: expected shape (n, 2), got (1, 4, 2)'),
    ("y of shape (n,) for (n, 1)", lambda: net().gradients(X, np.zeros(4)), ValueError,
     'y: expected shape (4, 1), got (4,) (a batch is 2-D with examples in rows: use arr.reshape(-1, 1) '
     'for one unit)'),
    ("y batch differs from x", lambda: net().gradients(X, np.zeros((3, 1))), ValueError,
     'y: expected shape (4, 1), got (3, 1)'),
    ("cost: y batch differs", lambda: net().cost(X, np.zeros((3, 1))), ValueError,
     'y: expected shape (4, 1), got (3, 1)'),
    ("x integer array", lambda: net().forward(np.zeros((4, 2), dtype=np.int64)), TypeError,
     'x: expected dtype float32 or float64, got int64 (convert it yourself; nothing is cast silently)'),
    ("x object array", lambda: net().forward(np.zeros((4, 2), dtype=object)), TypeError,
     'x: expected dtype float32 or float64, got object (convert it yourself; nothing is cast silently)'),
    ("x a list", lambda: net().forward([[0.0, 0.0]]), TypeError,
     'x: expected a numpy.ndarray of shape (n, 2), got list'),
    ("x float16", lambda: net().forward(np.zeros((4, 2), dtype=np.float16)), TypeError,
     'x: expected dtype float32 or float64, got float16 (convert it yourself; nothing is cast silently)'),
    ("x NaN", lambda: net().forward(np.array([[0.0, np.nan]])), ValueError,
     'x: expected finite values, got nan at index (0, 1)'),
    ("y Inf", lambda: net().gradients(X, np.full((4, 1), np.inf)), ValueError,
     'y: expected finite values, got inf at index (0, 0)'),
    ("empty batch", lambda: net().forward(np.zeros((0, 2))), ValueError,
     'x: expected a non-empty array of shape (n, 2), got (0, 2)'),
    ("float64 x, float32 net", lambda: net(dtype=f32).forward(X), TypeError,
     'x: expected dtype float32 to match the parameters, got float64'),
    ("float32 y, float64 net", lambda: net().gradients(X, Y.astype(f32)), TypeError,
     'y: expected dtype float64 to match the parameters, got float32'),
    ("zero-width layer", lambda: net(sizes=(2, 0, 1)), ValueError,
     'sizes[1]: expected an int >= 1, got 0'),
    ("one size only", lambda: net(sizes=(2,)), ValueError,
     'sizes: expected at least 2 widths (input and output), got [2]'),
    ("sizes not a list", lambda: Network.init(3, "sigmoid", loss="mse", reduction="sum"), TypeError,

     'sizes: expected a list of layer widths, got int'),
    ("float width", lambda: net(sizes=(2, 2.5, 1)), TypeError,
     'sizes[1]: expected an int >= 1, got float 2.5'),
    ("unknown activation", lambda: net(activations=UNKNOWN_ACTIVATION), ValueError,
     f"activations[0]: unknown activation {UNKNOWN_ACTIVATION!r}; expected one of {KNOWN_ACTIVATIONS}"),
    ("activations not a list", lambda: net(activations=3), TypeError,
     "activations: expected a name or a list of 2 names, got int"),
    ("W not a list", lambda: Network(np.zeros((3, 2)), [np.zeros(3)], "sigmoid", loss="mse", reduction="sum"),
     TypeError, "W, b: expected lists with one array per layer"),
    ("b not a list", lambda: Network([np.zeros((3, 2))], np.zeros(3), "sigmoid", loss="mse", reduction="sum"),
     TypeError, "W, b: expected lists with one array per layer"),
    ("W[1] a list", lambda: Network([[[0.0, 0.0]]], [np.zeros(1)], "sigmoid", loss="mse", reduction="sum"),
     TypeError, "W[1]: expected a numpy.ndarray of shape (n, n), got list"),
    ("W[2] of another dtype", lambda: Network([np.zeros((3, 2)), np.zeros((1, 3), f32)], [np.zeros(3), np.zeros(1)],
                                              "sigmoid", loss="mse", reduction="sum"),
     TypeError, "W[2]: expected dtype float64 to match the parameters, got float32"),
    ("activation not a name", lambda: net(activations=[3, "sigmoid"]), TypeError,
     "activations[0]: expected an activation name or Activation, got int"),
    ("get_activation by itself", lambda: get_activation(UNKNOWN_ACTIVATION), ValueError,
     f"activation: unknown activation {UNKNOWN_ACTIVATION!r}; expected one of {KNOWN_ACTIVATIONS}"),
    ("loss not a name", lambda: net(loss=2), TypeError, "loss: expected a loss name, got int"),
    ("W and b of other lengths", lambda: Network([np.zeros((3, 2))], [], "sigmoid", loss="mse", reduction="sum"),
     ValueError, "W, b: expected one weight and one bias per layer (L >= 1), got 1 weights and 0 biases"),
    ("wrong number of activations", lambda: net(activations=["tanh"]), ValueError,
     'activations: expected one per layer (2), got 1'),
    ("softmax on a hidden layer", lambda: net(sizes=(2, 3, 3), activations=["softmax", "softmax"], loss="softmax_ce"),
     ValueError,
     'activations[0]: softmax is only supported on the output layer (layer 2), not on hidden layer 1'),
    ("unknown loss", lambda: net(loss="hinge"), ValueError,
     "loss: unknown loss 'hinge'; expected one of ['bce', 'half_sse', 'mse', 'softmax_ce', 'sse']"),
    ("bce after identity", lambda: net(sizes=(2, 3, 3, 1), activations=["tanh", "relu", "identity"], loss="bce"),
     ValueError,

     'loss: bce is computed from the logits of a sigmoid output layer; the output activation is identity '
     "(use activation 'sigmoid' on the last layer, or a squared-error loss)"),
    ("softmax_ce after sigmoid", lambda: net(loss="softmax_ce"), ValueError,
     'loss: softmax_ce is computed from the logits of a softmax output layer; the output activation is '
     "sigmoid (use activation 'softmax' on the last layer, or a squared-error loss)"),
    ("reduction implicit", lambda: net(reduction=None), ValueError,
     "reduction: expected 'sum' or 'mean' (it is always explicit), got None"),
    ("bce targets above 1", lambda: net(loss="bce").gradients(X, np.array([[0.0], [1.5], [1.0], [0.5]])), ValueError,

     'y: bce expects targets in [0, 1], got values in [0.0, 1.5]'),
    ("ce targets not distributions", lambda: net(sizes=(2, 3), activations="softmax", loss="softmax_ce")
     .gradients(X, ONE_HOT * 2), ValueError,
     'y: softmax_ce expects each row to be one-hot or a distribution summing to 1, row 0 sums to 2.0'),
    ("ce targets: the worst row is named", lambda: net(sizes=(2, 3), activations="softmax", loss="softmax_ce")
     .gradients(X, np.array([[1, 0, 0], [0, 0.5, 0.4], [0, 0.5, 0.6], [0, 0, 1.0]])), ValueError,

     'y: softmax_ce expects each row to be one-hot or a distribution summing to 1, row 2 sums to 1.1'),
    ("ce targets: a short row is named", lambda: net(sizes=(2, 3), activations="softmax", loss="softmax_ce")
     .gradients(X, np.array([[0, 1.1, 0], [0.3, 0.3, 0], [0, 0, 1.0], [1.0, 0, 0]])), ValueError,

     'y: softmax_ce expects each row to be one-hot or a distribution summing to 1, row 1 sums to 0.6'),
    ("ce targets negative", lambda: net(sizes=(2, 3), activations="softmax", loss="softmax_ce")
     .gradients(X, ONE_HOT - 0.5), ValueError,
     'y: softmax_ce expects non-negative targets, got min -0.5'),
    ("W shapes do not chain", lambda: Network([np.zeros((3, 2)), np.zeros((1, 4))], [np.zeros(3), np.zeros(1)],
                                              "sigmoid", loss="mse", reduction="sum"), ValueError,
     'W[2]: expected shape (n, 3), got (1, 4)'),
    ("b wrong length", lambda: Network([np.zeros((3, 2))], [np.zeros(2)], "sigmoid", loss="mse", reduction="sum"),
     ValueError,
     'b[1]: expected shape (3,), got (2,)'),
    ("W and b mixed dtypes", lambda: Network([np.zeros((3, 2))], [np.zeros(3, f32)], "sigmoid", loss="mse",
                                             reduction="sum"), TypeError,
     'b[1]: expected dtype float64 to match the parameters, got float32'),
    ("init dtype float16", lambda: net(dtype=np.float16), TypeError,
     'dtype: expected float32 or float64, got float16'),
    ("leaky slope negative", lambda: leaky_relu(-0.1), ValueError,
     'leaky_relu slope: expected 0 <= slope < 1, got -0.1'),
    ("leaky slope 1", lambda: leaky_relu(1), ValueError,
     'leaky_relu slope: expected 0 <= slope < 1, got 1'),
    ("leaky slope NaN", lambda: leaky_relu(float("nan")), ValueError,
     'leaky_relu slope: expected a finite number, got nan'),
    ("leaky slope a string", lambda: leaky_relu("0.1"), TypeError,
     'leaky_relu slope: expected a real number, got str \'0.1\''),
    ("leaky slope a bool", lambda: leaky_relu(True), TypeError,
     'leaky_relu slope: expected a real number, got bool True'),
    ("sgd negative lr", lambda: sgd(net(), X, Y, epochs=1, batch_size=2, lr=-1), ValueError,
     'lr: expected a finite number > 0, got -1'),
    ("backward without a cache", lambda: net().backward(X, Y), TypeError,

     'cache: expected the Forward that forward() returned, got ndarray'),
    ("backward y of another batch", lambda: (lambda n: n.backward(n.forward(X), np.zeros((3, 1))))(net()), ValueError,

     'y: expected shape (4, 1), got (3, 1)'),
    ("sgd zero batch", lambda: sgd(net(), X, Y, epochs=1, batch_size=0, lr=0.1), ValueError,
     'batch_size: expected an int >= 1, got 0'),
    ("sgd zero epochs", lambda: sgd(net(), X, Y, epochs=0, batch_size=2, lr=0.1), ValueError,
     'epochs: expected an int >= 1, got 0'),
    ("sgd float epochs", lambda: sgd(net(), X, Y, epochs=2.0, batch_size=2, lr=0.1), TypeError,
     'epochs: expected an int >= 1, got float 2.0'),
    ("sgd bool epochs", lambda: sgd(net(), X, Y, epochs=True, batch_size=2, lr=0.1), TypeError,
     'epochs: expected an int >= 1, got bool True'),
    ("sgd zero lr", lambda: sgd(net(), X, Y, epochs=1, batch_size=2, lr=0.0), ValueError,
     'lr: expected a finite number > 0, got 0.0'),
    ("sgd string lr", lambda: sgd(net(), X, Y, epochs=1, batch_size=2, lr="0.1"), TypeError,
     "lr: expected a real number, got str '0.1'"),
    ("sgd bool lr", lambda: sgd(net(), X, Y, epochs=1, batch_size=2, lr=True), TypeError,
     'lr: expected a real number, got bool True'),
    # subclasses of ndarray: np.matrix makes * a matrix product (dW was off by 0.48 with batch = width),
    # a masked array's mask would be ignored by the BLAS
    ("x an np.matrix", lambda: net().gradients(_matrix(np.ones((2, 2))), np.zeros((2, 1))), TypeError,
     "x: expected a plain numpy.ndarray, got the subclass matrix (convert it yourself, e.g. np.asarray(x))"),
    ("y an np.matrix", lambda: net().gradients(X, _matrix(Y)), TypeError,
     "y: expected a plain numpy.ndarray, got the subclass matrix (convert it yourself, e.g. np.asarray(y))"),
    ("W[1] an np.matrix", lambda: Network([_matrix(np.zeros((3, 2)))], [np.zeros(3)], "sigmoid", loss="mse",
                                          reduction="sum"), TypeError,
     "W[1]: expected a plain numpy.ndarray, got the subclass matrix (convert it yourself, e.g. np.asarray(W[1]))"),
    ("x a masked array", lambda: net().forward(np.ma.masked_array(X, mask=X == 0)), TypeError,
     "x: expected a plain numpy.ndarray, got the subclass MaskedArray (convert it yourself, e.g. np.asarray(x))"),
    ("float32 cache to a float64 network", lambda: net().backward(net(dtype=f32).forward(X.astype(f32)), Y),
     ValueError, "cache: computed by another network (Network(sizes=[2, 3, 1], activations=[sigmoid, sigmoid], "
     "loss=half_sse, reduction=sum, dtype=float32)); pass the cache that this network's forward() returned"),
    # overflow: our error names the layer, instead of NumPy's warning and inf/NaN gradients
    ("x = 1e200 through identity layers", lambda: net(activations="identity").gradients(np.full((4, 2), 1e200), Y),
     FloatingPointError, "dC/dW[1]: not finite (inf at index (0, 0)); the inputs, weights or learning rate are "
     "too large for float64"),
    ("forward overflows in z[2]", lambda: Network([np.full((3, 2), 1e300), np.full((1, 3), 1e300)],
                                                  [np.zeros(3), np.zeros(1)], "identity", loss="mse",
                                                  reduction="sum").forward(np.ones((1, 2))),
     FloatingPointError, "z[2]: not finite (inf at index (0, 0)); the inputs, weights or learning rate are too "
     "large for float64"),
    ("cost overflows", lambda: Network([np.eye(2)], [np.zeros(2)], "identity", loss="half_sse", reduction="sum")
     .cost(np.full((1, 2), 1e200), np.zeros((1, 2))), FloatingPointError,
     "C: not finite (inf); the inputs, weights or learning rate are too large for float64"),
    ("cost not a number in softmax_ce", lambda: Network([np.array([[1.0], [-1.0]])], [np.zeros(2)], "softmax",
                                                       loss="softmax_ce", reduction="sum")
     .cost(np.array([[1e308]]), np.array([[1.0, 0.0]])), FloatingPointError,  # 0 · log(0) in the cost
     "C: not finite (nan); the inputs, weights or learning rate are too large for float64"),
    ("sgd lr = 1e308, lr times dW overflows", lambda: sgd(net(activations="identity"), np.ones((4, 2)), np.full((4, 1), 9.0),
                                                     epochs=1, batch_size=4, lr=1e308),
     FloatingPointError, "sgd, epoch 1, mini-batch 1: lr·dC/dW[1]: not finite (-inf at index (0, 0)); the inputs, "
     "weights or learning rate are too large for float64"),
    ("sgd lr = 1e308, lr times db overflows", lambda: sgd(net(activations="identity"), X, np.full((4, 1), 9.0),
                                                     epochs=1, batch_size=4, lr=1e308),   # x = 0: dW = 0
     FloatingPointError, "sgd, epoch 1, mini-batch 1: lr·dC/db[1]: not finite (-inf at index (0,)); the inputs, "
     "weights or learning rate are too large for float64"),
    ("backward: a huge delta times relu' = 0", lambda: Network([np.array([[-1.0]]), np.array([[1e300]])],
                                                              [np.zeros(1), np.zeros(1)], ["relu", "identity"],
                                                              loss="half_sse", reduction="sum")
     .gradients(np.ones((1, 1)), np.full((1, 1), -1e300)), FloatingPointError,   # inf · 0 in BP2
     "delta[1]: not finite (nan at index (0, 0)); the inputs, weights or learning rate are too large for float64"),
    ("backward: only the batch sum db[1] overflows", lambda: Network([np.ones((1, 1)), np.full((1, 1), 1e308)],
                                                                      [np.zeros(1), np.zeros(1)], "identity",
                                                                      loss="half_sse", reduction="sum")
     .gradients(np.zeros((2, 1)), -np.ones((2, 1))), FloatingPointError,  # x = 0: dW[1] = 0, delta[2] = 1
     "dC/db[1]: not finite (inf at index (0,)); the inputs, weights or learning rate are too large for float64"),
    ("sgd lr = 1e10", lambda: sgd(net(activations="identity"), np.ones((4, 2)), Y, epochs=3, batch_size=2, lr=1e10),
     FloatingPointError, "sgd, epoch 2, mini-batch 2: delta[1]: not finite (inf at index (0, 0)); the inputs, "
     "weights or learning rate are too large for float64"),
]


@pytest.mark.parametrize("call, exc, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_rejected_by_name(call, exc, message):
    """The whole message: it starts with the argument's name and says what was expected and got;
    and no NumPy warning comes before it (warnings are errors here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc) as raised:
            call()
    assert str(raised.value) == message


@pytest.mark.parametrize("call, exc, message", [
    (lambda: check_int("k", 6, low=1, high=5), ValueError, "k: expected an int in 1..5, got 6"),
    (lambda: check_int("k", 0, low=1, high=5), ValueError, "k: expected an int in 1..5, got 0"),
    (lambda: check_int("k", 6, high=5), ValueError, "k: expected an int <= 5, got 6"),
    (lambda: check_int("k", "x", low=1, high=5), TypeError, "k: expected an int in 1..5, got str 'x'"),
    (lambda: check_int("k", 1.5), TypeError, "k: expected an int, got float 1.5"),
    (lambda: check_int("k", "y" * 100), TypeError, "k: expected an int, got str '" + "y" * 36 + "..."),
    (lambda: check_real("r", 81.0, low=0.5, high=80), ValueError, "r: expected a finite number >= 0.5 and <= 80, got 81.0"),
    (lambda: check_real("r", 2.0, high=1), ValueError, "r: expected a finite number <= 1, got 2.0"),
    (lambda: check_real("r", 0, low=0, open_low=True), ValueError, "r: expected a finite number > 0, got 0"),
    (lambda: check_real("r", 0.25, low=0.5), ValueError, "r: expected a finite number >= 0.5, got 0.25"),
    (lambda: check_int("k", "x" * 38 + "y"), TypeError, "k: expected an int, got str '" + "x" * 36 + "..."),
], ids=["above", "below", "above, no low", "type, with range", "type, no range", "long value", "real above",
        "real above, no low", "open low", "closed low", "41 characters are cut"])
def test_range_checks_say_the_range(call, exc, message):
    with pytest.raises(exc) as raised:
        call()
    assert str(raised.value) == message


def test_range_checks_accept_their_bounds():
    assert check_int("k", 5, low=1, high=5) == 5 and check_int("k", 1, low=1, high=5) == 1
    assert check_real("r", 80, low=0.5, high=80) == 80.0 and check_real("r", 0.5, low=0.5) == 0.5
    with pytest.raises(TypeError) as raised:   # a value shown in 40 characters is shown whole
        check_int("k", "x" * 38)
    assert str(raised.value) == "k: expected an int, got str '" + "x" * 38 + "'"


def test_a_training_step_computes_no_cost(monkeypatch):
    """The step needs only the gradients; the cost (a sum over the batch) is not computed."""
    import backproof.manual.network as network
    from backproof.manual import train_step

    def no_cost(*args, **kwargs):
        raise AssertionError("train_step computed the cost")
    n = net()
    before = n.W[0].copy()
    monkeypatch.setattr(network, "cost", no_cost)
    train_step(n, *n.check_xy(np.ones((4, 2)), np.ones((4, 1))), 0.5)
    assert not np.array_equal(before, n.W[0])


@pytest.mark.parametrize("dtype, target, lr", [(f64, -1e300, 1e10), (f32, -1e30, 1e10)])
def test_a_step_that_overflows_is_named_and_nothing_moves(dtype, target, lr):
    """lr·dC/dW[1] overflows, dC/dW[1] itself being finite: the step names it and leaves the network
    as it was (no parameter moves before every lr·∂C/∂θ is known to be finite)."""
    from backproof.manual import train_step
    n = net(sizes=(50, 1), activations="identity", dtype=dtype)
    x, y = n.check_xy(np.ones((1, 50), dtype), np.full((1, 1), target, dtype))
    before = [p.copy() for p in n.W + n.b]
    with warnings.catch_warnings(), pytest.raises(FloatingPointError) as raised:
        warnings.simplefilter("error")   # our error, and no NumPy warning before it
        train_step(n, x, y, dtype(lr))
    assert str(raised.value) == (f"lr·dC/dW[1]: not finite (inf at index (0, 0)); the inputs, weights or learning "
                                 f"rate are too large for {np.dtype(dtype)}")
    for p0, p1 in zip(before, n.W + n.b):
        np.testing.assert_array_equal(p0, p1)


def test_a_step_near_the_largest_float_is_taken_exactly():
    """lr·dC/dW[1] = 1e153 in each entry, finite though its square is not: the step is taken,
    exactly W − lr·dC/dW, with no warning."""
    from backproof.manual import train_step
    n = net(sizes=(50, 1), activations="identity")
    x, y = n.check_xy(np.ones((1, 50)), np.full((1, 1), -1e153))
    g = n.gradients(x, y)
    before = [p.copy() for p in n.W + n.b]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_step(n, x, y, f64(1.0))
    assert np.all(g.dW[0] > 1e152)
    for p0, p1, d in zip(before, n.W + n.b, g.dW + g.db):
        np.testing.assert_array_equal(p1, p0 - d)


def test_target_row_sums_may_be_off_by_rounding_only():
    """softmax-CE target rows may miss 1 by 4·k·eps (normalising and summing k terms rounds about
    k times); one ulp more is an error. Here k = 2 and eps = 2^-52, and every value is exact."""
    eps = np.finfo(f64).eps
    softmax_net = net(sizes=(2, 2), activations="softmax", loss="softmax_ce")
    x = np.zeros((1, 2))
    softmax_net.gradients(x, np.array([[0.5, 0.5 + 8 * eps]]))
    with pytest.raises(ValueError, match=r"^y: .*row 0 sums to 1.000000000000002"):
        softmax_net.gradients(x, np.array([[0.5, 0.5 + 9 * eps]]))


def test_nothing_is_broadcast():
    """A (1, k) target against a batch of 4 would broadcast in NumPy; here it is an error."""
    with pytest.raises(ValueError, match=r"y: expected shape \(4, 1\), got \(1, 1\)"):
        net().gradients(X, np.zeros((1, 1)))


# ----------------------------------------------------------------------------- the cache and x

def test_backward_refuses_the_cache_of_another_network():
    a, b = net(), net()
    with pytest.raises(ValueError, match=r"^cache: computed by another network"):
        b.backward(a.forward(X), Y)


def test_a_later_change_to_the_callers_x_does_not_change_the_gradients():
    n = net()
    x = X.copy()
    want = n.gradients(x, Y)
    cache = n.forward(x)
    x += 1.0  # the caller reuses its buffer between forward and backward
    got = n.backward(cache, Y)
    for g, w in zip(got.dW + got.db, want.dW + want.db):
        np.testing.assert_array_equal(g, w)


def test_gradients_are_built_once_and_cannot_be_patched():
    g = net().gradients(X, Y)
    with pytest.raises(AttributeError):
        g.cost = 0.0


@pytest.mark.parametrize("kwargs, dtype", [(dict(seed=np.int64(3)), f64), (dict(dtype="float32"), f32),
                                           (dict(dtype=np.dtype("float64")), f64), (dict(dtype=np.float32), f32)])
def test_numpy_scalars_and_dtype_names_are_accepted_by_init(kwargs, dtype):
    n = Network.init([2, 3, 1], "sigmoid", loss="half_sse", reduction="sum", **kwargs)
    assert n.dtype == dtype and all(p.dtype == dtype for p in n.W + n.b)


def test_overflow_raises_our_error_and_no_numpy_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would be raised here instead
        with pytest.raises(FloatingPointError, match=r"^dC/dW\[1\]: not finite"):
            net(activations="identity").gradients(np.full((4, 2), 1e200), Y)


def test_numpy_scalars_are_accepted_by_check_backprop():
    from backproof.harness import check_backprop

    def manual_backprop(weights, biases, x, y):
        g = Network(weights, biases, "sigmoid", loss="half_sse", reduction="sum").gradients(x, y)
        return g.dW, g.db
    report = check_backprop(manual_backprop, activation="sigmoid", loss="half_sse", reduction="sum",
                            max_examples=np.int64(3), seed=np.int64(1))
    assert report.ok and report.examples == 3


def test_numpy_scalars_are_accepted_by_sgd():
    n = net()
    history = sgd(n, X, Y, epochs=np.int64(2), batch_size=np.int32(2), lr=np.float32(0.1), seed=np.int64(1))
    assert len(history) == 2 and all(np.isfinite(history))


@pytest.mark.parametrize("call, exc, message", [
    (lambda: Network.init([2, 1], "sigmoid", loss="half_sse", reduction="sum", seed=-1), ValueError,
     "seed: expected an int >= 0, got -1"),
    (lambda: Network.init([2, 1], "sigmoid", loss="half_sse", reduction="sum", seed=1.5), TypeError,
     "seed: expected an int >= 0, got float 1.5"),
    (lambda: Network.init([2, 1], "sigmoid", loss="half_sse", reduction="sum", dtype="banana"), TypeError,
     "dtype: expected float32 or float64, got 'banana'"),
    (lambda: Network.init([2, 1], "sigmoid", loss="half_sse", reduction="sum", dtype="f4,f4"), TypeError,
     "dtype: expected float32 or float64, got [('f0', '<f4'), ('f1', '<f4')]"),
    (lambda: sgd(net(), X, Y, epochs=1, batch_size=2, lr=0.1, seed="abc"), TypeError,
     "seed: expected an int >= 0, got str 'abc'"),
], ids=["negative seed", "float seed", "dtype name", "structured dtype", "string seed"])
def test_seeds_and_dtypes_are_checked_by_name(call, exc, message):
    with pytest.raises(exc) as raised:
        call()
    assert str(raised.value) == message


def test_a_large_array_is_tested_entry_by_entry_only_when_its_sum_is_not_finite():
    """The fast test (one sum) must never pass a bad entry, and a finite array whose sum overflows
    must still pass."""
    from backproof.manual.checks import FAST_FINITE, check_finite_result
    for dtype in (np.float64, np.float32):
        big = np.ones(FAST_FINITE + 1, dtype)
        check_finite_result("x", big)
        for bad in (np.nan, np.inf, -np.inf):
            wrong = big.copy()
            wrong[FAST_FINITE // 2] = bad
            with pytest.raises(FloatingPointError, match=r"x: not finite"):
                check_finite_result("x", wrong)
        both = big.copy()
        both[1], both[2] = np.inf, -np.inf            # their sum is nan: still caught
        with pytest.raises(FloatingPointError, match=r"at index \(1,\)"):
            check_finite_result("x", both)
        huge = np.full(FAST_FINITE + 1, np.finfo(dtype).max / 2, dtype)   # finite, the sum overflows
        check_finite_result("x", huge)


def test_the_l2_settings_are_checked_kept_and_shown():
    """A negative λ is refused; Network.init passes λ and l2_biases on; repr shows them (the mutation
    run found these unchecked)."""
    W, b = [np.ones((2, 3))], [np.zeros(2)]
    with pytest.raises(ValueError, match=r"l2: expected"):
        Network(W, b, "sigmoid", loss="half_sse", reduction="sum", l2=-0.1)
    net = Network.init([3, 2], "sigmoid", loss="half_sse", reduction="sum", l2=0.25, l2_biases=True)
    assert net.l2 == 0.25 and net.l2_biases is True
    assert "l2=0.25, l2_biases=True" in repr(net)
    plain = Network(W, b, "sigmoid", loss="half_sse", reduction="sum")
    assert plain.l2_biases is False and "l2" not in repr(plain)


def test_leaky_relu_says_it_has_a_kink():
    from backproof.manual.activations import leaky_relu
    assert leaky_relu(0.2).kink is True and leaky_relu().kink is True


def test_a_step_the_bound_cannot_show_finite_is_taken_in_full():
    """lr·delta of 1e200 with inputs of 1e-200: the norms behind the step's finiteness bound overflow
    (1e400), so the bound shows nothing, yet every lr·∂C/∂W is about 1. The step computes every
    gradient in full, finds them finite and takes it: W − lr·∂C/∂W, with no warning."""
    from backproof.manual import backpropagate, feedforward, train_step
    from backproof.manual.train import weight_step_is_finite
    n = net(sizes=(50, 1), activations="identity")
    x, y = n.check_xy(np.full((1, 50), 1e-200), np.full((1, 1), -1e200))
    g = backpropagate(n, feedforward(n, x), y)     # the cost, ½·1e400, is not finite: not computed
    assert not weight_step_is_finite(g.delta[0], x, 0.0, n.W[0])
    before = [p.copy() for p in n.W + n.b]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_step(n, x, y, f64(1.0))
    assert 0.1 < np.abs(g.dW[0]).max() < 10
    for p0, p1, d in zip(before, n.W + n.b, g.dW + g.db):
        np.testing.assert_array_equal(p1, p0 - d)


@pytest.mark.parametrize("where", ["W", "b"])
def test_a_step_whose_l2_term_overflows_is_named_and_nothing_moves(where):
    """lr·λ·θ overflows (θ = 1e308, λ = 1, lr = 4) while lr·delta and the products are small: the
    step names lr·dC/dW[1] or lr·dC/db[1] (the L2 term is part of each) and moves nothing."""
    from backproof.manual import Network, train_step
    W, b = [np.full((1, 3), 0.5)], [np.zeros(1)]
    (W if where == "W" else b)[0][0] = 1e308
    n = Network(W, b, "identity", loss="half_sse", reduction="sum", l2=1.0, l2_biases=True)
    x, y = n.check_xy(np.zeros((2, 3)), n.forward(np.zeros((2, 3))).a[-1])   # delta = 0: only the L2 term
    before = [p.copy() for p in n.W + n.b]
    with warnings.catch_warnings(), pytest.raises(FloatingPointError, match=rf"^lr·dC/d{where}\[1\]: not finite"):
        warnings.simplefilter("error")
        train_step(n, x, y, f64(4.0))
    for p0, p1 in zip(before, n.W + n.b):
        np.testing.assert_array_equal(p0, p1)
