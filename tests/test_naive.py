import numpy as np
import pytest

from backprop_viz import Value, data, naive, nn
from backprop_viz.naive import Cost


def _graph_a():
    """L = (w·x + b)², x a constant: a chain with no fan-out."""
    x = Value(2.0, "x", role="constant")
    w, b = Value(3.0, "w", role="parameter"), Value(1.0, "b", role="parameter")
    return ((w * x + b) ** 2), [w, b]


def _graph_b():
    """L = v·v with v = u + a and u = a·a: the parameter a fans out three ways."""
    a = Value(1.5, "a", role="parameter")
    u = a * a
    v = u + a
    return v * v, [a]


def _graph_c(k):
    """x_0 = w, x_i = x_(i-1) · x_(i-1), L = x_k: the number of paths doubles with every level."""
    w = Value(1.01, "w", role="parameter")
    x = w
    for _ in range(k):
        x = x * x
    return x, [w]


def test_counts_worked_out_by_hand_for_a_chain():
    loss, (w, b) = _graph_a()
    # z = 3·2 + 1 = 7, L = 49; dL/dw = 2z·x = 28, dL/db = 2z = 14
    for method in (naive.backprop, naive.path_gradients, naive.finite_differences):
        assert method(loss).grads == pytest.approx([28.0, 14.0], rel=1e-8)
    # 3 computed nodes (*, +, **). Edges L→z, z→m, z→b, m→w, m→x; the one into the constant x
    # needs no product, so backprop multiplies 4 times; every node receives one term: 0 additions.
    assert naive.backprop(loss).cost == Cost(1, 3, 4, 0)
    # paths: L→z→m→w (3 edges, 3 products from dL/dL = 1) and L→z→b (2 edges): 5 multiplications.
    assert naive.path_gradients(loss).cost == Cost(1, 3, 5, 0, paths=2)
    # two parameters, two forward passes each, 3 nodes per pass
    assert naive.finite_differences(loss).cost == Cost(4, 12, 0, 0)


def test_counts_worked_out_by_hand_with_fan_out():
    loss, [a] = _graph_b()
    # L = (a² + a)², dL/da = 2(a² + a)(2a + 1) = 2 · 3.75 · 4 = 30
    bp, paths, fd = naive.backprop(loss), naive.path_gradients(loss), naive.finite_differences(loss)
    assert bp.grads == [30.0] and paths.grads == pytest.approx([30.0], rel=1e-14)
    assert fd.grads == pytest.approx([30.0], rel=1e-8)
    # edges: L→v twice (v·v), v→u, v→a, u→a twice (a·a): 6 products. v receives 2 terms (1 addition),
    # u one, a three (2 additions): 3 additions.
    assert bp.cost == Cost(1, 3, 6, 3)
    # paths L→v→a: 2 choices of the first edge, 2 edges long; L→v→u→a: 2 · 2 choices, 3 long.
    # 6 paths, 2·2 + 4·3 = 16 multiplications, 6 terms summed: 5 additions.
    assert paths.cost == Cost(1, 3, 16, 5, paths=6)
    assert naive.count_paths(loss) == [6]
    assert fd.cost == Cost(2, 6, 0, 0)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_path_enumeration_grows_exponentially_with_depth(k):
    loss, [w] = _graph_c(k)
    paths = naive.path_gradients(loss)
    # dL/dw = d w^(2^k)/dw = 2^k w^(2^k - 1)
    assert paths.grads == pytest.approx([2**k * 1.01 ** (2**k - 1)], rel=1e-12)
    assert paths.cost == Cost(1, k, k * 2**k, 2**k - 1, paths=2**k)  # 2^k paths of k edges
    assert naive.backprop(loss).cost == Cost(1, k, 2 * k, k)  # 2 edges per level, 1 addition per level


def test_backprop_products_are_the_trace_backward_events():
    from backprop_viz.trace import trace_of

    for loss in (_graph_a()[0], _graph_b()[0], nn.mse(nn.MLP(2, [3, 1])([0.5, 1.0]), 1.0)):
        events = [e.kind for e in trace_of(loss).events]
        assert naive.backprop(loss).cost.multiplications == events.count("backward")


def test_dynamic_programming_counts_match_walking_the_paths():
    m = nn.MLP(2, [3, 3, 1], seed=1)
    X, y = data.moons(n=2, seed=0)
    loss = nn.mse([m(list(x)) for x in X], y)
    walked = naive.path_gradients(loss, m)
    assert naive.path_cost(loss, m) == walked.cost
    assert walked.cost.paths == sum(naive.count_paths(loss, m))


def test_naive_gradients_equal_backprop_on_an_mlp():
    m = nn.MLP(2, [3, 3, 1], seed=1)
    X, y = data.moons(n=3, seed=2)
    loss = nn.binary_cross_entropy([m(list(x)) for x in X], y)
    bp = naive.backprop(loss, m)
    assert bp.parameters == m.parameters()
    assert naive.path_gradients(loss, m).grads == pytest.approx(bp.grads, rel=1e-10, abs=1e-14)
    assert naive.finite_differences(loss, m).grads == pytest.approx(bp.grads, rel=1e-6, abs=1e-9)


def test_finite_differences_on_a_batched_mlp_graph():
    m = nn.MLP(2, [4, 1], seed=3)
    X, y = data.moons(n=10, seed=0)
    loss = nn.binary_cross_entropy(m(X), y)  # an array graph: the scalars are stacked into W and b
    bp = naive.backprop(loss, m)
    fd = naive.finite_differences(loss, m)
    assert bp.parameters == fd.parameters == m.parameters()
    assert fd.grads == pytest.approx(bp.grads, rel=1e-6, abs=1e-9)
    assert fd.cost.forward_passes == 2 * m.num_parameters()


def test_finite_differences_on_array_parameters_and_on_a_function():
    X, y = data.moons(n=10, seed=0)
    rng = np.random.default_rng(3)
    W = Value(rng.normal(size=(2, 3)), "W", role="parameter")
    v = Value(rng.normal(size=(3, 1)), "v", role="parameter")

    def build():
        return nn.binary_cross_entropy(((Value(X) @ W).tanh() @ v).reshape(len(y)), y)

    loss = build()
    bp = naive.backprop(loss, [W, v])
    fd = naive.finite_differences(loss, [W, v])
    for g, h in zip(fd.grads, bp.grads):
        assert g.shape == h.shape and np.allclose(g, h, rtol=1e-6, atol=1e-9)
    assert fd.cost.forward_passes == 2 * (W.data.size + v.data.size)
    # the same with a function that rebuilds the loss from the parameters' current data
    before = W.data.copy()
    by_fn = naive.finite_differences(build, [W])
    assert np.allclose(by_fn.grads[0], bp.grads[0], rtol=1e-6, atol=1e-9)
    assert np.array_equal(W.data, before)  # restored
    nodes_per_pass = fd.cost.node_evaluations // fd.cost.forward_passes
    assert by_fn.cost == Cost(2 * W.data.size, 2 * W.data.size * nodes_per_pass)


def test_path_gradients_refuse_array_graphs_and_huge_graphs():
    m = nn.MLP(2, [3, 1])
    X, y = data.moons(n=4)
    with pytest.raises(ValueError, match="scalar graph"):
        naive.path_gradients(nn.mse(m(X), y))
    loss, _ = _graph_c(12)  # 4096 paths
    with pytest.raises(ValueError, match="4,096 paths"):
        naive.path_gradients(loss, max_paths=1000)
    assert naive.path_cost(loss).paths == 4096  # counting them is fine
    with pytest.raises(TypeError, match="as a Value"):
        naive.backprop(3.0)
    with pytest.raises(ValueError, match="needs the parameters"):
        naive.finite_differences(lambda: loss)


def _mlp_counts(width, depth, n_in):
    """Sizes of MLP(n_in, [width]*depth + [1]) on one sample with L = (ŷ - y)², worked out by hand.

    A hidden neuron with k inputs: k products, k - 1 sums, + b, tanh: 2k + 1 nodes, 4k + 1 edges.
    The output neuron: 2k nodes and 4k edges. The loss: ŷ - y and (·)²: 2 nodes, 3 edges, one of
    them into the constant y. Paths from the loss to a weight or bias of hidden layer l: one
    through each neuron of each later hidden layer, width^(depth - l); the output layer: 1.
    """
    fan_in = [n_in] + [width] * (depth - 1)
    nodes = sum(width * (2 * k + 1) for k in fan_in) + 2 * width + 2
    edges = sum(width * (4 * k + 1) for k in fan_in) + 4 * width + 3
    params = sum(width * (k + 1) for k in fan_in) + width + 1
    paths = sum(width * (k + 1) * width ** (depth - l) for l, k in enumerate(fan_in, 1)) + width + 1
    return nodes, edges, params, paths


def test_cost_table_counts_are_exact():
    table = naive.cost_table(widths=(1, 2, 3), depths=(1, 2, 5), n_in=2)
    assert [(r.width, r.depth) for r in table] == [(w, d) for d in (1, 2, 5) for w in (1, 2, 3)]
    for r in table:
        nodes, edges, params, paths = _mlp_counts(r.width, r.depth, 2)
        assert (r.nodes, r.edges, r.parameters) == (nodes, edges, params)
        assert r.backprop.multiplications == edges - 1  # every edge but the one into y
        assert r.finite_differences == Cost(2 * params, 2 * params * nodes)
        assert r.paths.paths == paths
    # growth: backprop ∝ edges, finite differences ∝ parameters × nodes, paths ∝ width^depth
    deep = {(r.width, r.depth): r for r in table}
    assert deep[3, 5].paths.paths > 3**4 * deep[3, 1].paths.paths / 2
    assert deep[3, 5].backprop.operations < 6 * deep[3, 1].backprop.operations


def test_cost_table_prints():
    table = naive.cost_table(widths=(2,), depths=(1, 2))
    text = str(table)
    assert text.splitlines()[0].split()[:3] == ["width", "depth", "parameters"]
    assert f"{table[1].finite_differences.operations:,}" in text
    assert "<table>" in table._repr_html_() and len(text.splitlines()) == 3


def test_cost_table_speaks_korean():
    table = naive.cost_table(widths=(2,), depths=(1,), lang="ko")
    html = table._repr_html_()
    assert "역전파" in html and "유한 차분" in html and "backprop" not in html
    assert str(table).split()[:2] == ["너비", "깊이"]
    assert f"{table[0].backprop.operations:,}" in html
    with pytest.raises(ValueError, match="lang must be"):
        naive.cost_table(widths=(2,), depths=(1,), lang="fr")


# ---- step_counts: backprop and the path-by-path method, step by step on one recorded graph


def _recorded_mlp():
    from backprop_viz import record

    with record() as t:
        model = nn.MLP(2, [3, 3, 1], seed=0)
        loss = (model([0.5, -1.0]) - 1.0) ** 2
        loss.backward()
    return t, loss, model


def test_step_counts_of_a_chain():
    from backprop_viz import record

    a = Value(0.5, "a")
    with record() as t:
        b = (a * 2.0).tanh()
        b.label = "b"
        c = b.exp()
        c.label = "c"
        L = c * 3.0
        L.label = "L"
        L.backward()
    counts = naive.step_counts(t)
    # a chain: backprop 1, 2, 3, 4; path by path the k-th step walks a path of k edges again
    assert [r.backprop for r in counts] == [1, 2, 3, 4]
    assert [r.paths for r in counts] == [1, 3, 6, 10]
    assert [t.event(r.step - 1).kind for r in counts] == ["backward"] * 4


def test_step_counts_diverge_and_agree_with_path_cost():
    t, loss, model = _recorded_mlp()
    counts = naive.step_counts(t)
    assert len(counts) == sum(1 for _, _ in t.events_between(0, len(t), "backward"))
    assert [r.backprop for r in counts] == list(range(1, len(counts) + 1))
    assert all(r.paths >= r.backprop for r in counts) and counts[-1].paths > 10 * counts[-1].backprop
    assert all(x.paths <= y.paths for x, y in zip(counts, counts[1:]))
    # the steps into the parameters cost, path by path, exactly what path_cost counts
    params = {t.node(n).id for n in range(t.num_nodes) if t.kind(n) == "parameter"}
    into_params, before = 0, 0
    for r in counts:
        if r.parent in params:
            into_params += r.paths - before
        before = r.paths
    assert into_params == naive.path_cost(loss, model.parameters()).multiplications
    assert counts[-1].backprop == naive.backprop(loss, model.parameters()).cost.multiplications


def test_step_counts_table_in_both_languages():
    t, _, _ = _recorded_mlp()
    en, ko = naive.step_counts(t), naive.step_counts(t, lang="ko")
    assert "backprop" in str(en) and "→" in str(en) and "<table>" in en._repr_html_()
    assert "역전파" in str(ko) and "경로별" in ko._repr_html_()
    with pytest.raises(ValueError, match="lang"):
        naive.step_counts(t, lang="fr")


def test_step_counts_every():
    t, _, _ = _recorded_mlp()
    counts = naive.step_counts(t, lang="ko")
    short = counts.every(8)
    assert short[-1] == counts[-1] and short[0] == counts[7] and len(short) == len(counts) // 8 + (len(counts) % 8 > 0)
    assert short.lang == "ko" and "역전파" in str(short)


def test_step_counts_without_edges():
    t, _, _ = _recorded_mlp()
    short = naive.step_counts(t, edges=False).every(10)
    assert "→" not in str(short) and "→" not in short._repr_html_() and str(short).count("\n") == len(short)
