import math
import warnings

import numpy as np
import pytest

from backprop_viz import Value, data, nn
from backprop_viz.engine import _topological_order
from backprop_viz.trace import record


def _leaves(root):
    return {v.label: v for v in _topological_order(root) if not v.parents and v.label}


# ---------------------------------------------------------------- models, one sample and a batch


def test_neuron_on_one_sample_is_tanh_of_the_weighted_sum():
    n = nn.Neuron(2, seed=5)
    w0, w1, b = (p.data for p in n.parameters())
    out = n([0.5, -2.0])
    assert out.data == pytest.approx(math.tanh(w0 * 0.5 + w1 * -2.0 + b))
    leaves = _leaves(out)
    assert set(leaves) == {"w0", "w1", "b", "x0", "x1"}
    assert leaves["w0"] is n.w[0] and leaves["b"] is n.b  # the graph holds the real parameters
    assert leaves["w1"].role == "parameter" and leaves["x0"].role == "input"


def test_neuron_batch_matches_each_sample():
    n = nn.Neuron(3, activation="sigmoid", seed=1)
    X = np.random.default_rng(0).normal(size=(5, 3))
    batch = n(X)
    assert batch.shape == (5,)
    assert np.allclose(batch.data, [n(list(row)).data for row in X])


def test_seeded_initialisation():
    a, b, c = nn.MLP(2, [4, 1], seed=7), nn.MLP(2, [4, 1], seed=7), nn.MLP(2, [4, 1], seed=8)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)
    assert [p.label for p in a.parameters()] == ["W1", "b1", "W2", "b2"]
    assert all(p.role == "parameter" for p in a.parameters())
    assert a.num_parameters() == 2 * 4 + 4 + 4 + 1 and "17 parameters" in repr(a)


def test_linear_regression_has_two_named_parameters():
    m = nn.LinearRegression(w=-2.0, b=3.0)
    assert [(p.label, p.data) for p in m.parameters()] == [("w", -2.0), ("b", 3.0)]
    out = m(1.5)  # one sample may be a plain number
    assert out.data == pytest.approx(-2.0 * 1.5 + 3.0)
    assert set(_leaves(out)) == {"w", "b", "x"}
    assert np.allclose(m.predict([[0.0], [1.0]]), [3.0, 1.0])


def test_mlp_scalar_copies_mirror_the_matrices():
    m = nn.MLP(2, [3, 1], seed=2)
    out = m([0.1, 0.2])
    assert out.shape == ()
    copies = {v.label: v for v in m.scalar_parameters()}
    W1, b1, W2 = m.layers[0].W.data, m.layers[0].b.data, m.layers[1].W.data
    assert copies["L1.N2.w1"].data == W1[1, 2] and copies["L1.N0.b"].data == b1[0]
    assert copies["L2.N0.w2"].data == W2[2, 0]
    assert len(copies) == m.num_parameters()
    assert set(copies) <= set(_leaves(out))


def test_mlp_single_sample_and_batch_give_the_same_output():
    m = nn.MLP(2, [4, 4, 1], activation="relu", seed=3)
    X = np.random.default_rng(1).normal(size=(6, 2))
    assert m(X).shape == (6,)
    assert np.allclose(m(X).data, [m(list(x)).data for x in X], atol=1e-14)
    two = nn.MLP(2, [3, 2], seed=0)
    assert two(X).shape == (6, 2) and len(two(list(X[0]))) == 2


@pytest.mark.parametrize(
    "loss, labels", [(nn.mse, lambda y: y), (nn.binary_cross_entropy, lambda y: y), (nn.hinge, data.as_signs)]
)
def test_single_sample_and_batched_gradients_are_equal(loss, labels):
    X, y = data.moons(n=5, seed=4)
    y = labels(y)
    m = nn.MLP(2, [4, 3, 1], seed=4)
    loss([m(list(x)) for x in X], y).backward()  # one scalar graph, the weights shared by 5 samples
    scalar = m.scalar_grads()
    loss(m(X), y).backward()  # one array graph
    for g, p in zip(scalar, m.parameters()):
        assert g.shape == p.shape
        assert np.allclose(g, p.grad, rtol=1e-12, atol=1e-15)
    assert any(np.abs(g).max() > 1e-3 for g in scalar)  # gradients that are not all zero


def test_scalar_copies_follow_an_sgd_step_and_zero_grad():
    m = nn.MLP(2, [2, 1], seed=0)
    first = m.scalar_parameters() or (m([1.0, 1.0]), m.scalar_parameters())[1]
    nn.mse(m([1.0, 1.0]), 0.0).backward()
    assert m.scalar_parameters() == first  # same weights: the same copies are re-used
    m.zero_grad()
    assert all(v.grad == 0.0 for v in first) and all(not p.grad.any() for p in m.parameters())
    nn.mse(m(np.array([[1.0, 1.0]])), [0.0]).backward()
    nn.SGD(m.parameters(), lr=0.5).step()
    m([1.0, 1.0])
    fresh = m.scalar_parameters()
    assert fresh[0] is not first[0] and fresh[0].data == m.layers[0].W.data[0, 0] != first[0].data


def test_bad_inputs_are_explained():
    m = nn.MLP(2, [3, 1])
    with pytest.raises(ValueError, match="takes 2 input"):
        m([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"batch of shape \(n, 2\)"):
        m(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X.reshape\(-1, 1\)"):
        nn.LinearRegression()(np.zeros(5))
    with pytest.raises(ValueError, match="activation must be"):
        nn.MLP(2, [3, 1], activation="softmax")
    with pytest.raises(ValueError, match="at least one layer"):
        nn.MLP(2, [])
    with pytest.raises(TypeError, match="not NoneType"):
        m(None)
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.Neuron(2, seed=1.5)


# ---------------------------------------------------------------- losses


def test_loss_values_match_their_formulas():
    z = np.array([-3.0, -0.5, 0.0, 2.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    s = 2 * y - 1
    sig = 1 / (1 + np.exp(-z))
    assert nn.mse(Value(z), y).data == pytest.approx(np.mean((z - y) ** 2))
    bce = -np.mean(y * np.log(sig) + (1 - y) * np.log(1 - sig))
    assert nn.binary_cross_entropy(Value(z), y).data == pytest.approx(bce, rel=1e-12)
    assert nn.hinge(Value(z), s).data == pytest.approx(np.mean(np.maximum(0, 1 - s * z)))


def test_cross_entropy_gradient_is_sigmoid_minus_label_even_at_zero_and_far_out():
    z = Value(np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]))
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    loss = nn.binary_cross_entropy(z, y)
    loss.backward()
    assert math.isfinite(loss.data)
    # the loss at ±1000 is ≈ 1000 per wrong sample: log(1 + e^1000) - 0 = 1000
    assert loss.data == pytest.approx((1000 + math.log1p(math.e**-1) + math.log(2) + math.log1p(math.e**-1) + 1000) / 5)
    expected = (np.array([0.0, 1 / (1 + math.e), 0.5, 1 / (1 + math.e**-1), 1.0]) - y) / 5
    assert np.allclose(z.grad, expected, rtol=1e-12, atol=1e-15)


def test_scalar_losses_build_small_graphs():
    z = Value(0.0, "z")
    nn.binary_cross_entropy(z, 1.0).backward()
    assert z.grad == pytest.approx(-0.5)  # σ(0) - 1
    p = Value(3.0, "p")
    loss = nn.mse(p, 1.0)
    loss.backward()
    assert loss.op == "**" and p.grad == 4.0  # one sample: no 'mean' node, d/dp (p-1)^2 = 2(p-1)


def test_loss_input_errors():
    with pytest.raises(ValueError, match="would silently broadcast"):
        nn.mse(Value(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="data.as_signs"):
        nn.hinge(Value(np.zeros(2)), [0.0, 1.0])
    with pytest.raises(ValueError, match="data.as_bits"):
        nn.binary_cross_entropy(Value(np.zeros(2)), [-1.0, 1.0])
    with pytest.raises(TypeError, match="scalar Values"):
        nn.mse([1.0, 2.0], [1.0, 2.0])


# ---------------------------------------------------------------- SGD and training


def test_sgd_step_assigns_new_values_and_zero_grad_clears():
    w, v = Value(2.0, "w", role="parameter"), Value(np.array([1.0, -1.0]), "v", role="parameter")
    w.grad, v.grad = 0.5, np.array([2.0, 4.0])
    old = v.data
    opt = nn.SGD([w, v], lr=0.1)
    opt.step()
    assert w.data == pytest.approx(2.0 - 0.1 * 0.5)
    assert np.allclose(v.data, [0.8, -1.4]) and v.data is not old and old.tolist() == [1.0, -1.0]
    opt.zero_grad()
    assert w.grad == 0.0 and not v.grad.any()
    with pytest.raises(ValueError, match="learning rate"):
        nn.SGD([w], lr=-1)
    with pytest.raises(TypeError, match="model.parameters"):
        nn.SGD([1.0], lr=0.1)


def test_sgd_steps_are_recorded_as_update_events():
    m = nn.LinearRegression(w=0.0, b=0.0)
    opt = nn.SGD(m.parameters(), lr=0.1)
    with record() as trace:
        loss = nn.mse(m(2.0), 1.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    updates = [e for e in trace.events if e.kind == "update"]
    assert [trace.name(e.node) for e in updates] == ["w", "b"]
    # d/dw (w·2 + b - 1)^2 = 2·(−1)·2 = −4, so w: 0 -> 0.4; d/db = −2, so b: 0 -> 0.2
    assert [(e.before, e.after) for e in updates] == [(0.0, pytest.approx(0.4)), (0.0, pytest.approx(0.2))]
    assert [e.kind for e in trace.events].count("grad") == 2


def test_linear_regression_trains_on_the_line():
    X, y = data.line(n=50, seed=0)  # noise 0.5: the best mean squared error is about 0.25
    m = nn.LinearRegression(w=-2.0, b=3.0)
    hist = nn.train(m, X, y, nn.mse, lr=0.1, steps=60)
    assert hist.losses[0] > 20 and hist.losses[-1] < 0.3
    slope, intercept = np.polyfit(X[:, 0], y, 1)  # least squares, the optimum gradient descent approaches
    assert m.w[0].data == pytest.approx(slope, abs=1e-2) and m.b.data == pytest.approx(intercept, abs=1e-2)


def test_logistic_regression_trains_on_moons():
    X, y = data.moons(n=200, seed=0)
    m = nn.LogisticRegression(2, seed=0)
    hist = nn.train(m, X, y, nn.binary_cross_entropy, lr=1.0, steps=300)
    assert hist.losses[-1] < 0.3
    assert nn.accuracy(m, X, y) >= 0.85  # a straight line cannot do much better on moons
    p = m.predict_proba(X)
    assert ((p > 0) & (p < 1)).all() and np.array_equal(p > 0.5, m.predict(X) > 0)


def test_mlp_trains_on_moons_to_95_percent():
    X, y = data.moons(n=200, seed=0)
    m = nn.MLP(2, [16, 16, 1], seed=0)
    hist = nn.train(m, X, y, nn.binary_cross_entropy, lr=0.5, steps=300)
    assert hist.losses[-1] < 0.05
    assert nn.accuracy(m, X, y) >= 0.95


def test_mlp_trains_on_xor_and_on_circles_with_hinge():
    X, y = data.xor(n=200, seed=0)
    m = nn.MLP(2, [8, 1], seed=0)
    assert nn.train(m, X, y, nn.binary_cross_entropy, lr=0.5, steps=300).losses[-1] < 0.05
    assert nn.accuracy(m, X, y) >= 0.95
    X, y = data.circles(n=200, seed=0)
    s = data.as_signs(y)
    m = nn.MLP(2, [16, 1], seed=0)
    assert nn.train(m, X, s, nn.hinge, lr=0.5, steps=300).losses[-1] < 0.05
    assert nn.accuracy(m, X, s) >= 0.95


def test_history_losses_belong_to_the_parameters_next_to_them():
    X, y = data.line(n=20, seed=1)
    m = nn.LinearRegression(w=1.0, b=1.0)
    hist = nn.train(m, X, y, nn.mse, lr=0.05, steps=5)
    assert len(hist.losses) == len(hist.params) == 6 and hist.thetas.shape == (6, 2)
    f = nn.loss_function(m, X, y, nn.mse)
    assert [f(*theta) for theta in hist.thetas] == pytest.approx(hist.losses, rel=1e-12)
    assert np.array_equal(hist.thetas[-1], [m.w[0].data, m.b.data])  # f restored the parameters
    w, b = 0.3, -0.2
    assert f(w, b) == pytest.approx(np.mean((w * X[:, 0] + b - y) ** 2))


def test_diverging_learning_rate_reports_instead_of_crashing():
    X, y = data.line(n=20, seed=0)
    m = nn.LinearRegression(w=0.0, b=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a numpy overflow warning
        hist = nn.train(m, X, y, nn.mse, lr=5.0, steps=500)
    assert hist.diverged and not math.isfinite(hist.losses[-1])
    assert len(hist.losses) == len(hist.params) < 501
    assert abs(m.w[0].data) > 1e100  # still numbers, but their loss overflows
    assert not nn.mse(m(X), y).is_finite()
    assert all(math.isfinite(v) for v in hist.losses[:5])


@pytest.mark.torch
def test_mlp_gradients_match_pytorch():
    torch = pytest.importorskip("torch", reason="the PyTorch comparison needs torch")
    X, y = data.moons(n=20, seed=5)
    m = nn.MLP(2, [5, 4, 1], seed=5)
    nn.binary_cross_entropy(m(X), y).backward()
    params = [torch.tensor(p.data, requires_grad=True) for p in m.parameters()]
    h = torch.tensor(X)
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = torch.tanh(h)
    torch.nn.functional.binary_cross_entropy_with_logits(h.reshape(-1), torch.tensor(y)).backward()
    for ours, theirs in zip(m.parameters(), params):
        assert np.allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
