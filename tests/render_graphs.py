"""Graphs for the render tests and benchmark: seeded random scalar graphs and micrograd's demo loss."""

from __future__ import annotations

import random

from backprop_viz.engine import Value

__all__ = ["random_graph", "micrograd_demo_loss", "two_products", "micrograd_first_example", "weighted_sum_trace"]


def random_graph(n_values, seed=0):
    """A seeded scalar graph of about `n_values` values (leaves included) ending in one loss:
    + − × and tanh on values from a window of recent ones (a graph as wide as sqrt(n), like a
    small network's), some used twice; the loss adds up, pairwise, whatever nothing else used."""
    rng = random.Random(seed)
    n_leaves = max(2, n_values // 5)
    window = max(6, int(2 * n_values ** 0.5))
    nodes = [Value(rng.uniform(-2, 2), f"w{i // 2}", role="parameter") if i % 2 else
             Value(rng.uniform(-2, 2), f"x{i // 2}") for i in range(n_leaves)]
    unused = set(range(len(nodes)))
    while len(nodes) + len(unused) - 1 < n_values:
        recent = range(max(0, len(nodes) - window), len(nodes))
        a, b = rng.choice(recent), rng.choice(recent)
        r = rng.random()
        if r < 0.2:
            v, used = nodes[a].tanh(), {a}
        else:
            v = nodes[a] * nodes[b] if r < 0.5 else nodes[a] + nodes[b] if r < 0.85 else nodes[a] - nodes[b]
            used = {a, b}
        unused -= used
        unused.add(len(nodes))
        nodes.append(v)
    rest = [nodes[i] for i in sorted(unused)]
    while len(rest) > 1:  # a balanced sum keeps the graph shallow
        rest = [rest[i] + rest[i + 1] if i + 1 < len(rest) else rest[i] for i in range(0, len(rest), 2)]
    rest[0].label = "loss"
    return rest[0]


def two_products():
    """L = a·b + c·d, labelled, recorded forward and backward: focus='a' keeps a, b, e = a·b, L and
    g = c·d (as an input), and leaves out c and d."""
    from backprop_viz.trace import record

    a, b, c, d = Value(2.0, "a"), Value(-3.0, "b"), Value(0.5, "c"), Value(4.0, "d")
    with record() as trace:
        e = a * b
        e.label = "e"
        g = c * d
        g.label = "g"
        L = e + g
        L.label = "L"
        L.backward()
    return trace


def micrograd_demo_loss(n_points=100, seed=1337):
    """micrograd's demo loss with our engine: MLP 2-16-16-1 (ReLU hidden layers, linear output)
    on `n_points` points, SVM max-margin loss + 1e-4 L2, as a scalar graph (65,818 nodes for 100)."""
    rng = random.Random(seed)
    sizes = (2, 16, 16, 1)
    model = [[([Value(rng.uniform(-1, 1), role="parameter") for _ in range(n_in)], Value(0.0, role="parameter"))
              for _ in range(n_out)] for n_in, n_out in zip(sizes, sizes[1:])]
    params = [p for layer in model for ws, b in layer for p in (*ws, b)]
    X = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(n_points)]
    y = [rng.choice((-1.0, 1.0)) for _ in range(n_points)]
    scores = []
    for row in X:
        x = [Value(v) for v in row]
        for i, layer in enumerate(model):
            out = []
            for ws, b in layer:
                act = sum((w * xi for w, xi in zip(ws, x)), b)
                out.append(act if i == len(model) - 1 else act.relu())
            x = out
        scores.append(x[0])
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)


def micrograd_first_recorded():
    """L = (a·b + c)·f, named e = a·b, d = e + c, recorded live with every leaf an input: the trace
    and its Values by label. ∂L/∂d is used for e and c, ∂L/∂e for a and b."""
    from backprop_viz.trace import record

    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    with record() as t:
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        L = d * f
        L.label = "L"
        L.backward()
    return t, {v.label: v for v in (a, b, c, d, e, f, L)}


def micrograd_first_example():
    """L = (a·b + c)·f with b a parameter, micrograd's first example: ids a0 b1 e2 c3 d4 f5 L6."""
    from backprop_viz.trace import trace_of

    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b", role="parameter"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return trace_of(L)


def weighted_sum_trace(n):
    """tanh(Σ x_i·w_i) over n inputs, recorded forward and backward: about 4n value nodes."""
    from backprop_viz.trace import record

    xs = [Value(0.1 * i, f"x{i}") for i in range(n)]
    ws = [Value(0.5 - 0.01 * i, f"w{i}", role="parameter") for i in range(n)]
    with record() as trace:
        total = xs[0] * ws[0]
        for x, w in zip(xs[1:], ws[1:]):
            total = total + x * w
        loss = total.tanh()
        loss.label = "L"
        loss.backward()
    return trace


def mse_chain(n):
    """A scalar MSE over n samples of a line w·x + b: one long chain of + that is not a neuron."""
    w, b = Value(0.5, "w", role="parameter"), Value(0.1, "b", role="parameter")
    total = Value(0.0)
    for i in range(n):
        e = w * Value(0.01 * i) + b - Value(0.02 * i)
        total = total + e * e
    return total * (1.0 / n)


def ones_chain(n):
    """x·1.0 summed n times (a sum of products that are not w·x)."""
    x = Value(2.0, "x")
    total = x * 1.0
    for _ in range(n - 1):
        total = total + x * 1.0
    return total
