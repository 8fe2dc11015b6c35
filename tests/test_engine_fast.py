"""Tests of the fast backward pass (engine/fast.py): it gives the readable path's gradients and events bit for bit."""

import contextlib
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from backprop_viz import Value, record
from backprop_viz.engine import fast, topological_order
from recording import record_program, same
from strategies import programs, run

GRAPH_EXAMPLES = 500
_graph_settings = settings(
    max_examples=GRAPH_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST_OPS = set(fast.SCALAR_STEPS)


@contextlib.contextmanager
def readable_path():
    """Run value.py's readable code (its ops, Value.backward's loop, rules.py for every op) instead of fast.py."""
    fast.use(False)
    try:
        yield
    finally:
        fast.use(True)


def _every_node_after_backward(program, recorded, readable=False):
    leaves = [Value(x) for x in program.leaves]
    with readable_path() if readable else contextlib.nullcontext():
        if recorded:
            with record() as trace:
                loss, _ = run(program, leaves, "ours")
                loss.backward()
        else:
            trace = None
            loss, _ = run(program, leaves, "ours")
            loss.backward()
    return topological_order(loss), trace  # leaves, constants and computed nodes, in creation order


def _assert_same_grads(nodes, others):
    assert [v.op for v in nodes] == [v.op for v in others]
    for v, w in zip(nodes, others):
        assert same(v.grad, w.grad), (v.op, v.role, v.grad, w.grad)
        if v.role == "constant":
            assert not np.any(v.grad)  # constants took a gradient in place and had it taken back


def test_the_fast_path_gives_the_readable_paths_gradients_and_events_bit_for_bit():
    """>= 500 random graphs, each run four ways: fast or readable backward, with or without record().
    Every node's gradient is identical in all four, and both recordings give the same JSON."""
    seen, fast_ran = [], Counter()

    @_graph_settings
    @given(programs())
    def check(program):
        seen.append(program)
        plain, _ = _every_node_after_backward(program, recorded=False)
        readable, _ = _every_node_after_backward(program, recorded=False, readable=True)
        recorded, fast_trace = _every_node_after_backward(program, recorded=True)
        recorded_readable, readable_trace = _every_node_after_backward(program, recorded=True, readable=True)
        for others in (readable, recorded, recorded_readable):
            _assert_same_grads(plain, others)
        assert fast_trace.to_json() == readable_trace.to_json()
        fast_ran.update(v.op for v in plain if v.op in FAST_OPS and v.shape == ())

    check()
    assert len(seen) >= GRAPH_EXAMPLES
    # which ops hypothesis draws depends on what ran before it: every fast step also runs here
    results = []
    for readable in (False, True):
        with readable_path() if readable else contextlib.nullcontext():
            a, b = Value(0.75, "a"), Value(-0.5, "b")
            ((a * b + a) ** 2.0 * 3.0 + (a ** -1.5).tanh() * a.relu()).backward()
            results.append((a.grad, b.grad))
            fast_ran.update(["+", "*", "**", "tanh", "relu"])
    assert all(same(p, q) for p, q in zip(*results)), results
    assert set(fast_ran) == FAST_OPS, fast_ran  # each fast step ran on scalars


def test_backward_without_a_recorder_gives_the_recorded_gradients_bit_for_bit():
    """With no recorder, scalar + * ** tanh relu add in place (fast.SCALAR_STEPS), and array + * @ relu sum
    by fast._ARRAY_STEPS; recorded passes go through the rules. Both must give identical gradients."""
    fast_ran = {}

    @_graph_settings
    @given(programs())
    def check(program):
        plain, _ = _every_node_after_backward(program, False)
        recorded, _ = _every_node_after_backward(program, True)
        _assert_same_grads(plain, recorded)
        for v in plain:
            if v.op in FAST_OPS and v.shape == ():
                fast_ran[v.op] = fast_ran.get(v.op, 0) + 1
            if v.op in fast._ARRAY_STEPS and v.shape != ():
                array_ran[v.op] = array_ran.get(v.op, 0) + 1

    array_ran = {}
    check()
    # each fast step ran on scalars (how often varies with what hypothesis draws; the next test covers each op)
    assert set(fast_ran) == FAST_OPS, fast_ran
    assert set(array_ran) == set(fast._ARRAY_STEPS), array_ran  # and each array step on arrays


@pytest.mark.parametrize("op", ["+", "*", "**", "tanh", "relu"])
def test_fast_steps_agree_with_the_rules_on_zeros_infinities_and_nan(op):
    specials = [0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan]
    ops = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "**": lambda a, b: a ** 3.0 * b ** -0.5,
           "tanh": lambda a, b: a.tanh() * b, "relu": lambda a, b: a.relu() * b}
    for x in specials:
        for g in specials:
            grads = []
            for recorded, readable in ((False, False), (True, False), (False, True), (True, True)):
                a, b = Value(x), Value(g)
                out = ops[op](a, b) * g  # g also flows in as the upstream gradient
                with readable_path() if readable else contextlib.nullcontext():
                    if recorded:
                        with record():
                            out.backward()
                    else:
                        out.backward()
                grads.append((a.grad, b.grad))
            for other in grads[1:]:
                assert all(same(p, q) for p, q in zip(grads[0], other)), (op, x, g, grads)


def test_the_recorded_fast_steps_give_the_rules_events_bit_for_bit():
    """Scalar + * ** tanh relu record through fast.py's steps; the readable path, which runs every
    op through the rules, must give the same JSON, and the fast steps must have run."""
    fast_ran = Counter()

    @SETTINGS
    @given(programs())
    def check(program):
        fast_trace = record_program(program)[0]
        with readable_path():
            rules_trace = record_program(program)[0]
        assert fast_trace.to_json() == rules_trace.to_json()
        count_fast(fast_trace)

    def count_fast(trace):
        nodes = trace.nodes
        fast_ran.update(nodes[e.child].op for e in trace.events
                        if e.kind == "backward" and nodes[e.child].shape == () and nodes[e.child].op in FAST_OPS)

    check()

    def specials():  # zeros, infinities and nan through every fast op, a leaf used twice, a constant
        with record() as trace:
            for x in (0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan):
                a, b = Value(x, "a"), Value(-0.5, "b")
                ((a * b + a) ** 2.0 * 3.0 + (a ** -1.5).tanh() * a.relu()).backward()
        return trace

    with readable_path():
        expected = specials().to_json()
    live = specials()
    assert live.to_json() == expected
    count_fast(live)
    assert set(fast_ran) == FAST_OPS and min(fast_ran.values()) >= 5, fast_ran  # each ran on scalars


def test_the_interior_search_resets_each_computed_node_once_and_finds_constants():
    a, b = Value(2.0, "a"), Value(np.array([1.0, -1.0]), "b")
    h = a * 3.0
    loss = ((h * b).sum() + h * h) * 2.0
    order, constants = fast.interior_order(loss)
    assert order == sorted(order, key=lambda v: v._seq, reverse=True)  # children before parents
    assert [v.op for v in order] == ["*", "+", "*", "sum", "*", "*"]
    assert len(set(map(id, order))) == len(order)  # h is met three times, kept once
    assert sorted(c.data for c in constants) == [2.0, 3.0]
    assert all(v.grad is not None and not np.any(v.grad) for v in order)
    assert type(order[3].grad) is float and order[4].grad.shape == (2,)  # arrays reset to arrays
    assert fast.interior_order(a) == ([], [])  # a leaf: nothing flows further back


def test_leaves_starting_at_minus_zero_or_a_number_add_up_as_in_the_readable_path():
    """The search gives a leaf holding +0.0 the search's zero object; -0.0 and other numbers are kept."""
    results = []
    for readable in (False, True):
        with readable_path() if readable else contextlib.nullcontext():
            a, b, c = Value(1.5), Value(-2.0), Value(0.5)
            a.grad, b.grad, c.grad = -0.0, 0.25, 0.0
            (a * -0.0 + b * c + c * 0.0).backward()
            results.append((a.grad, b.grad, c.grad))
    assert all(same(p, q) for p, q in zip(*results)), results
    assert math.copysign(1.0, results[0][0]) == -1.0  # -0.0 + -0.0 stays -0.0


@pytest.mark.parametrize("make", [
    lambda W: (W * W).sum() + (W.sum() + W.sum()) * 0.5,  # one array summed twice: before + g twice
    lambda W: (W + np.array([1.0, -0.0, 2.0])).relu().sum() * -1.0,  # broadcast +, relu, a negative g
    lambda W: ((W @ np.ones((3, 2))) * np.array([-0.0, 3.0])).sum(),  # @, * by a broadcast constant
    lambda W: ((np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]]) @ W) + W.sum(axis=0)).relu().sum(),  # a bias
    lambda W: (W * W * W).sum() + ((W @ np.ones((3, 1))) * (W @ np.ones((3, 1)))).sum(),  # squares, a·a·a
])
def test_array_steps_give_the_readable_paths_gradients_bit_for_bit(make):
    def grads(readable):
        W = Value(np.array([[1.0, -2.0, 0.0], [-0.0, 3.5, -1e-300]]), "W", role="parameter")
        with readable_path() if readable else contextlib.nullcontext():
            loss = make(W)
            loss.backward()
            loss2 = make(W)  # a second pass: the leaf's gradient is an array before the first +=
            loss2.backward()
        return W.grad, [v.grad for v in topological_order(loss2)]

    (fast_w, fast_nodes), (slow_w, slow_nodes) = grads(False), grads(True)
    assert same(fast_w, slow_w) and np.signbit(fast_w).tolist() == np.signbit(slow_w).tolist()
    assert len(fast_nodes) == len(slow_nodes) and all(same(a, b) for a, b in zip(fast_nodes, slow_nodes))


@pytest.mark.parametrize("readable", [False, True])
def test_an_array_nodes_gradient_reads_as_zeros_of_its_shape_before_any_backward_pass(readable):
    """The fast path leaves an array node's zeros unmade until they are read; reading them gives an
    array of the node's shape, which the node keeps (+= lands in it) and a recording sees."""
    W = Value(np.array([[1.0, -2.0], [0.5, 3.0]]), "W", role="parameter")
    with readable_path() if readable else contextlib.nullcontext():
        h = (W @ np.array([[1.0], [-1.0]])).relu() + 1.0
        g = h.grad
        assert type(g) is np.ndarray and g.shape == (2, 1) and not g.any()
        h.grad += 2.5
        assert h.grad.tolist() == [[2.5], [2.5]] and g.tolist() == [[2.5], [2.5]]  # the node kept its zeros
        c = -np.ones((2, 1)) * h  # an array constant
        assert c.parents[0].grad.shape == (2, 1) and not c.parents[0].grad.any()
        W.grad = np.ones((2, 2))
        W.zero_grad()  # outside record(): the zeros are made when read, as for a computed node
        assert type(W.grad) is np.ndarray and W.grad.shape == (2, 2) and not W.grad.any()
        k = W * 2.0
        with record() as trace:
            W.zero_grad()
            k.grad = 1.0
        zeroed = [e for e in trace.events if e.kind == "grad"][0]  # W's, inside record(): zeros of its shape
        assert np.asarray(zeroed.after).shape == (2, 2) and not np.any(zeroed.after)
        event = [e for e in trace.events if e.kind == "grad"][-1]
        assert np.asarray(event.before).shape == (2, 2) and not np.any(event.before)
        assert np.asarray(event.after).tolist() == [[1.0, 1.0], [1.0, 1.0]]
