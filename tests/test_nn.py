import math
import warnings

import numpy as np
import pytest

from backprop_viz import Value, data, nn
from backprop_viz.engine import topological_order as _topological_order
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


def _matrices(m):
    """[(W, b)] per layer of an MLP as numpy arrays, W[i, j] = weight from input i to neuron j."""
    return [(np.array([[n.w[i].data for n in layer.neurons] for i in range(layer.n_in)]),
             np.array([n.b.data for n in layer.neurons])) for layer in m.layers]


def test_seeded_initialisation():
    a, b, c = nn.MLP(2, [4, 1], seed=7), nn.MLP(2, [4, 1], seed=7), nn.MLP(2, [4, 1], seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    labels = [p.label for p in a.parameters()]
    assert labels[:4] == ["L1.N0.w0", "L1.N0.w1", "L1.N0.b", "L1.N1.w0"]  # neuron by neuron, as micrograd
    assert labels[-5:] == ["L2.N0.w0", "L2.N0.w1", "L2.N0.w2", "L2.N0.w3", "L2.N0.b"]
    assert len(set(labels)) == len(labels) == a.num_parameters() == 2 * 4 + 4 + 4 + 1 and "17 parameters" in repr(a)
    assert all(p.role == "parameter" and p.shape == () for p in a.parameters())
    (W1, b1), _ = _matrices(a)
    limit = np.sqrt(6 / (2 + 4))  # Glorot-uniform weights, zero biases
    assert np.abs(W1).max() <= limit and np.abs(W1).min() > 0 and not b1.any()


def test_neuron_takes_given_weights_and_a_name_for_its_labels():
    n = nn.Neuron(2, None, weights=[0.5, np.float64(-1.0)], bias=2, name="h0")
    assert [(p.label, p.data) for p in n.parameters()] == [("h0.w0", 0.5), ("h0.w1", -1.0), ("h0.b", 2.0)]
    assert n([2.0, 3.0]).data == 0.5 * 2.0 - 1.0 * 3.0 + 2.0
    with pytest.raises(ValueError, match="needs 2 weight"):
        nn.Neuron(2, weights=[1.0])
    with pytest.raises(TypeError, match="weight 1 must be a number"):
        nn.Neuron(2, weights=[1.0, "2"])


def test_linear_regression_has_two_named_parameters():
    m = nn.LinearRegression(w=-2.0, b=3.0)
    assert [(p.label, p.data) for p in m.parameters()] == [("w", -2.0), ("b", 3.0)]
    out = m(1.5)  # one sample may be a plain number
    assert out.data == pytest.approx(-2.0 * 1.5 + 3.0)
    assert set(_leaves(out)) == {"w", "b", "x"}
    assert np.allclose(m.predict([[0.0], [1.0]]), [3.0, 1.0])


def test_both_paths_use_the_very_parameter_values():
    m = nn.MLP(2, [3, 1], seed=2)
    params = m.parameters()
    out = m([0.1, 0.2])
    assert out.shape == ()
    graph_params = [v for v in _topological_order(out) if v.role == "parameter"]
    assert set(graph_params) == set(params)  # the scalar graph holds the parameters themselves
    by_label = _leaves(out)
    assert by_label["L1.N2.w1"] is m.layers[0].neurons[2].w[1] and by_label["L2.N0.b"] is m.layers[1].neurons[0].b
    # a batch stacks the same Values into W (n_in, n_out) and b (n_out,), in that arrangement
    batch = m(np.array([[0.1, 0.2], [0.3, -0.4]]))
    stacks = {v.label: v for v in _topological_order(batch) if v.op == "stack"}
    assert sorted(stacks) == ["W1", "W2", "b1", "b2"]
    W1, b1 = stacks["W1"], stacks["b1"]
    assert W1.shape == (2, 3) and b1.shape == (3,)
    assert W1.parents[1 * 3 + 2] is m.layers[0].neurons[2].w[1]  # W1[1, 2]: input 1 to neuron 2
    assert list(b1.parents) == [n.b for n in m.layers[0].neurons]
    assert np.array_equal(W1.data, _matrices(m)[0][0])
    assert {p for s in stacks.values() for p in s.parents} == set(params)


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
    params = m.parameters()
    loss([m(list(x)) for x in X], y).backward()  # one scalar graph, the weights shared by 5 samples
    scalar = [p.grad for p in params]
    m.zero_grad()
    assert all(p.grad == 0.0 for p in params)
    loss(m(X), y).backward()  # one array graph: the gradients reach the same Values through stack
    batched = [p.grad for p in params]
    assert all(type(g) is float for g in batched)
    assert batched == pytest.approx(scalar, rel=1e-12, abs=1e-15)
    assert sum(abs(g) > 1e-3 for g in scalar) > len(params) // 2  # gradients that are not all zero


@pytest.mark.parametrize("make", [lambda: nn.MLP(2, [3, 1], seed=0), lambda: nn.Layer(2, 1, seed=0)])
def test_sgd_on_one_sample_trains_the_model(make):
    # The trap this guards against: backward on a single-sample graph whose gradients land on
    # copies of the weights, so that SGD(model.parameters()) silently changes nothing.
    m = make()
    x, y = [0.5, -1.5], 2.0

    def output():  # an MLP with one output gives a Value, a Layer a list of one Value
        out = m(x)
        return out if isinstance(out, Value) else out[0]

    def loss():
        return nn.mse(output(), y)

    opt = nn.SGD(m.parameters(), lr=0.05)
    before = [p.data for p in m.parameters()]
    first = loss()
    first.backward()
    grads = [p.grad for p in m.parameters()]
    assert sum(g != 0.0 for g in grads) == len(grads)  # every weight and bias has a gradient
    opt.step()
    after = [p.data for p in m.parameters()]
    assert after == pytest.approx([w - 0.05 * g for w, g in zip(before, grads)], rel=1e-15)
    assert all(a != b for a, b in zip(after, before))
    second = loss()
    assert second.data < first.data  # a small step downhill lowers the loss
    # one source of truth: the batched path sees the step too
    assert m(np.array([x])).data.ravel()[0] == pytest.approx(output().data, rel=1e-14)
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_training_on_single_samples_and_on_the_batch_take_the_same_steps():
    X, y = data.moons(n=6, seed=3)
    a, b = nn.MLP(2, [4, 1], seed=3), nn.MLP(2, [4, 1], seed=3)
    opt_a, opt_b = nn.SGD(a, lr=0.5), nn.SGD(b, lr=0.5)
    for _ in range(5):
        opt_a.zero_grad()
        nn.binary_cross_entropy([a(list(x)) for x in X], y).backward()
        opt_a.step()
        opt_b.zero_grad()
        nn.binary_cross_entropy(b(X), y).backward()
        opt_b.step()
    assert [p.data for p in a.parameters()] == pytest.approx([p.data for p in b.parameters()], rel=1e-12)
    start = nn.MLP(2, [4, 1], seed=3)
    assert max(abs(p.data - q.data) for p, q in zip(a.parameters(), start.parameters())) > 0.05


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
    layers = [[torch.tensor(a, requires_grad=True) for a in pair] for pair in _matrices(m)]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i + 1 < len(layers):
            h = torch.tanh(h)
    torch.nn.functional.binary_cross_entropy_with_logits(h.reshape(-1), torch.tensor(y)).backward()
    for layer, (W, b) in zip(m.layers, layers):
        for j, neuron in enumerate(layer.neurons):
            ours = [w.grad for w in neuron.w] + [neuron.b.grad]
            theirs = [*W.grad[:, j].tolist(), b.grad[j].item()]
            assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-14)


def test_a_network_names_every_value_inside_its_neurons():
    """No v-numbers in a picture of an MLP: each neuron names its products, running sums, z and output."""
    import re

    from backprop_viz import trace_of

    net = nn.MLP(2, [3, 1], seed=0)
    x = [Value(0.5, "x0", role="constant"), Value(-1.0, "x1", role="constant")]
    loss = nn.mse(net(x), 0.25)
    loss.label = "L"  # the one value a student names: the loss (the rest come named)
    trace = trace_of(loss)
    names = [trace.name(n) for n in range(trace.num_nodes) if trace.kind(n) != "constant"]
    assert not [n for n in names if re.fullmatch(r"v\d+", n)], names
    assert {"L1.N0.w0·x0", "L1.N0.w1·x1", "L1.N0.Σ2", "L1.N0.z", "L1.N0", "L2.N0.w2·L1.N2", "L2.N0.Σ3",
            "L2.N0.z", "L2.N0.z − y"} <= set(names)
    assert "L2.N0" not in names  # the output neuron is linear: its value is its z
    # the names are the maths: L1.N0.z is w0·x0 + w1·x1 + b of neuron L1.N0
    n0 = net.layers[0].neurons[0]
    z = next(i for i in range(trace.num_nodes) if trace.name(i) == "L1.N0.z")
    assert trace.snapshot(len(trace)).values[z] == pytest.approx(n0.w[0].data * 0.5 - n0.w[1].data + n0.b.data)
