"""The layer walk (harness/layers.py): each mistake named at the layer where it is made, the layers
below it named as wrong only through it, several mistakes each named, and nothing said of right
gradients or of a first mistake no neighbour fits.

The gradients here come from a small backprop written for these tests (tanh layers, ½·Σ(a−y)²
summed), with a mistake switched on at the layers chosen."""
import numpy as np
import pytest

from backproof.harness.diagnosis import diagnose_layers
from backproof.manual import Network
from backproof.reference.autograd import gradient_magnitudes
from learner_bugs import THREE, learner
from selection import keep
from backproof.harness import check_backprop


def gradients_with(net: Network, x, y, mistakes: dict) -> tuple[list, list]:
    """dW[l], db[l] (index l-1) with mistakes[l] in BP2 at hidden layer l ("omitted", "at_a" or
    ("updated", c): W[l+1] − c·dW[l+1] used) or at the output (mistakes[L] = "omitted"); with the
    network's L2 term in each gradient."""
    W, b, L = net.W, net.b, len(net.W)
    a, z = [x], []
    for Wl, bl in zip(W, b):
        z.append(a[-1] @ Wl.T + bl)
        a.append(np.tanh(z[-1]))
    prime = lambda t: 1 - np.tanh(t) ** 2  # noqa: E731
    delta = a[-1] - y
    if mistakes.get(L) != "omitted":
        delta = delta * prime(z[-1])
    dW, db = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dW[l - 1] = delta.T @ a[l - 1] + net.l2 * W[l - 1]          # with the L2 term's λ·W, if any
        db[l - 1] = delta.sum(axis=0) + (net.l2 * b[l - 1] if net.l2_biases else 0)
        if l == 1:
            break
        mistake = mistakes.get(l - 1)
        W_above = W[l - 1] - mistake[1] * dW[l - 1] if isinstance(mistake, tuple) else W[l - 1]
        back = delta @ W_above
        delta = back if mistake == "omitted" else back * prime(a[l - 1] if mistake == "at_a" else z[l - 2])
    return dW, db


def network(depth: int, seed: int = 0, l2: float = 0.0):
    sizes = [3] + [4 + 2 * k for k in range(depth - 1)] + [2]   # widths pairwise distinct (depth ≤ 4)
    net = Network.init(sizes, "tanh", loss="half_sse", reduction="sum", seed=seed, l2=l2, l2_biases=bool(l2))
    rng = np.random.default_rng(seed)
    batch = 5                                                       # none of the widths
    return net, rng.standard_normal((batch, sizes[0])), rng.standard_normal((batch, sizes[-1]))


def walk_of(net, x, y, mistakes):
    dW, db = gradients_with(net, x, y, mistakes)
    return diagnose_layers(net, x, y, dW, db, gradient_magnitudes(net, x, y))


def test_right_gradients_say_nothing():
    for depth in (1, 2, 4):
        assert walk_of(*network(depth), {}) is None


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_one_layer_s_mistake_is_named_there_and_the_layers_below_go_through_it(depth):
    """f′ left out of BP2 at one hidden layer k only: the root is layer k, the layers below k are
    wrong only through it, and nothing is said of the layers above."""
    for k in range(1, depth):
        found = walk_of(*network(depth, seed=k), {k: "omitted"})
        assert found is not None and found.key == "hidden f' omitted", (k, found)
        assert found.message.startswith(f"one mistake (root: layer {k}): layer {k}: f′ is missing from BP2")
        below = list(range(k - 1, 0, -1))
        if below:
            assert f"{'layers' if len(below) > 1 else 'layer'} {', '.join(map(str, below))} " in found.message
        else:
            assert "wrong only through" not in found.message
        assert found.root == f"dW[{k}]"


def test_two_mistakes_at_two_layers_are_each_named_where_made():
    net, x, y = network(4, seed=5)
    found = walk_of(net, x, y, {3: "at_a", 1: "omitted"})
    assert found.key == "hidden f' at a + hidden f' omitted"
    assert found.message.startswith("2 mistakes, each where it is made (root: layer 3): layer 3: BP2's f′ is taken at a[3]")
    assert "layer 1: f′ is missing from BP2" in found.message and "layer 2 is wrong only through" in found.message


@pytest.mark.parametrize("c", [0.3, 1024.0])
def test_updated_weights_in_bp2_name_the_code_s_learning_rate(c):
    net, x, y = network(3, seed=2)
    found = walk_of(net, x, y, {2: ("updated", c)})
    assert found.key == "updated W", found
    assert f"layer 2: BP2 uses W[3] after its update, W[3] − {c:.6g}·dW[3]" in found.message


def test_the_output_s_mistake_is_the_root_of_everything_below():
    net, x, y = network(3, seed=4)
    found = walk_of(net, x, y, {3: "omitted", 1: "at_a"})
    assert found.key == "hidden f' at a + output f' omitted"
    assert "(root: layer 3): layer 3 (the output)" in found.message
    assert "layer 2 is wrong only through the layers above" in found.message


@pytest.mark.parametrize("mistake, key", [("omitted", "hidden f' omitted"), (("updated", 0.3), "updated W")])
def test_with_an_l2_term_the_layers_are_read_with_it(mistake, key):
    """With (λ/2)·(‖W‖² + ‖b‖²) in the cost, BP4 and BP3 carry λ·W and λ·b: the walk reads each layer
    with them, and names a mistake in one hidden layer there."""
    net, x, y = network(3, seed=7, l2=0.2)
    found = walk_of(net, x, y, {2: mistake})
    assert found is not None and found.key == key, found
    assert "(root: layer 2)" in found.message and "layer 1 is wrong only through" in found.message


def test_a_first_mistake_no_neighbour_fits_is_not_dressed_up():
    net, x, y = network(3, seed=6)
    dW, db = gradients_with(net, x, y, {1: "omitted"})
    dW[2] = dW[2] * np.random.default_rng(0).uniform(0.5, 1.5, dW[2].shape)   # noise at the output layer
    assert diagnose_layers(net, x, y, dW, db, gradient_magnitudes(net, x, y)) is None


@pytest.mark.parametrize("seed", keep((0, 1, 2)))
def test_three_mistakes_and_a_shape_are_each_named_on_a_small_counterexample(seed):
    """The output's f′ missing, every db summed to one number (a shape problem), and BP2 using the
    updated weights: the report names the shape and all three mistakes, and the shrinker, which
    keeps that whole kind, reaches a network within twice the smallest one that shows all three
    (two layers, one of them at least 2 wide: 4 units)."""
    ce = check_backprop(learner(THREE), activation="tanh", seed=seed).counterexample
    assert "expected" in ce.problem and "shape" in ce.problem
    assert ce.kind == "output f' omitted + scalar + updated W", ce.kind
    for said in ("the output layer's f′ is missing", "is one number", "after its update"):
        assert said in ce.diagnosis, (said, ce.diagnosis)
    assert len(ce.sizes) == 3 and sum(ce.sizes) <= 8, ce.sizes


@pytest.mark.parametrize("bug, kind", keep([("hidden f' omitted", "hidden f' omitted"),
                                            ("f' omitted in the top hidden layer", "hidden f' omitted"),
                                            ("updated W in BP2", "updated W"), ("factor 2", "factor 2")]))
def test_a_float32_backprop_s_mistake_is_named_as_in_float64(bug, kind):
    """In float32 the bound M can be far above the values, and a margin of 1000 × rtol·M then fits
    the right gradients and a neighbour alike: the hidden layers' missing f′ was once named "11×
    the batch size". A neighbour is named only where its allowance does not fit the right gradients
    too (diagnosis.margin_for and the factors' own check)."""
    ce = check_backprop(learner(bug), activation="tanh", dtype="float32", seed=0, depth=(2, 3)).counterexample
    assert ce.kind == kind, (ce.kind, ce.diagnosis)
