"""Trace.replay: the same graph with new leaf values equals a fresh recording at those values, exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz import Trace, Value, record, trace_of
from backprop_viz.engine import fast
from recording import build, closed, make_leaves, record_program, same
from strategies import Program, _array, programs


def _new_leaves(draw, program):
    return tuple(_array(draw, np.shape(x)) for x in program.leaves)


@st.composite
def programs_and_new_leaves(draw):
    program = closed(draw(programs()))
    return program, _new_leaves(draw, program)


def _has_nan(trace):
    stored = [trace.initial(n) for n in range(trace.num_nodes)]
    stored += [getattr(e, f) for e in trace.events for f in ("value", "upstream", "local", "contribution", "before", "after")]
    return any(x is not None and bool(np.isnan(x).any()) for x in stored)


def _assert_equal_traces(a, b):
    """Bit for bit: the same JSON. Only a nan's sign bit may differ (numpy's vector loops and its
    scalar loops give nans of either sign, by where an array sits in memory), so then every number
    is compared with nan equal to nan."""
    assert a.to_json() == b.to_json() or _has_nan(b)
    assert a.nodes == b.nodes and a.pass_starts == b.pass_starts
    assert all(same(a.initial(n), b.initial(n)) for n in range(a.num_nodes))
    assert len(a) == len(b) and a.num_nodes == b.num_nodes
    end_a, end_b = a.snapshot(len(a)), b.snapshot(len(b))
    assert all(same(x, y) for x, y in zip(end_a.values, end_b.values))
    assert all(same(x, y) for x, y in zip(end_a.grads, end_b.grads))
    for ea, eb in zip(a.events, b.events):
        assert ea.kind == eb.kind and ea.node == eb.node
        for field in ("value", "upstream", "local", "contribution", "before", "after"):
            assert same(getattr(ea, field), getattr(eb, field))


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs_and_new_leaves())
def test_replay_equals_a_fresh_recording(case):
    """≥ 200 random graphs (numbers and arrays, fan-out, constants): by label, every value and gradient
    of the replay is bit-identical to recording the same program at the new leaf values."""
    program, new_leaves = case
    trace, *_ = record_program(program)
    fresh, *_ = record_program(Program(new_leaves, program.steps, program.outputs))
    known = {trace.label(n) for n in range(trace.num_nodes)}  # a leaf the loss never used is not in the trace
    replayed = trace.replay({f"x{i}": x for i, x in enumerate(new_leaves) if f"x{i}" in known})
    _assert_equal_traces(replayed, fresh)
    # the original is untouched, and changing nothing gives the original back
    again, *_ = record_program(program)
    assert trace.to_json() == again.to_json()
    assert trace.replay({}).to_json() == trace.to_json()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs_and_new_leaves())
def test_replay_by_node_id_and_on_the_readable_path(case):
    program, new_leaves = case
    trace, *_ = record_program(program)
    ids = {trace.label(n): n for n in range(trace.num_nodes)}
    fast.use(False)
    try:
        fresh, *_ = record_program(Program(new_leaves, program.steps, program.outputs))
        replayed = trace.replay({ids[f"x{i}"]: x for i, x in enumerate(new_leaves) if f"x{i}" in ids})
    finally:
        fast.use(True)
    _assert_equal_traces(replayed, fresh)


def _abl(a0=2.0, b0=-3.0):
    a, b = Value(a0, "a"), Value(b0, "b", role="parameter")
    with record() as trace:
        L = (a * b + a).tanh()
        L.label = "L"
        L.backward()
    return trace


def test_gradient_of_a_weight_vanishes_with_its_input():
    x2, w2, w1, x1 = Value(1.5, "x2"), Value(0.7, "w2", role="parameter"), Value(-0.4, "w1", role="parameter"), Value(2.0, "x1")
    with record() as trace:
        L = x1 * w1 + x2 * w2
        L.label = "L"
        L.backward()
    ids = {trace.label(n): n for n in range(trace.num_nodes)}
    assert trace.snapshot(len(trace)).grads[ids["w2"]] == 1.5
    zero = trace.replay({"x2": 0.0})
    assert zero.snapshot(len(zero)).grads[ids["w2"]] == 0.0
    assert zero.snapshot(len(zero)).grads[ids["w1"]] == 2.0


def test_a_saturated_tanh_kills_the_gradient():
    trace = _abl().replay({"a": 30.0})
    grads = trace.snapshot(len(trace)).grads
    assert abs(grads[0]) < 1e-12


def test_several_backward_passes_and_zero_grad_are_replayed():
    def program(a0):
        a = Value(a0, "a", role="parameter")
        with record() as trace:
            for _ in range(2):
                a.zero_grad()
                L = a * a
                L.label = "L"
                L.backward()
            L2 = a * 3.0
            L2.backward()  # accumulates on top of the second pass's gradient
        return trace

    replayed = program(1.0).replay({"a": -2.5})
    assert replayed.passes == program(1.0).passes
    assert replayed.to_json() == program(-2.5).to_json()


def test_a_trace_of_a_built_graph_and_a_loaded_trace_replay():
    a, b = Value(np.array([1.0, -2.0, 0.5]), "a"), Value(np.array([[0.3], [2.0], [-1.0]]), "b")
    loss = ((a @ b).sum() * a).mean()
    trace = trace_of(loss)
    a2 = np.array([0.0, 4.0, -1.0])
    av = Value(a2, "a")
    fresh = trace_of(((av @ Value(b.data, "b")).sum() * av).mean())
    assert trace.replay({"a": a2}).to_json() == fresh.to_json()
    loaded = Trace.from_json(trace.to_json())
    assert loaded.replay({"a": a2}).to_json() == fresh.to_json()


def test_values_computed_before_the_recording_are_recomputed():
    a = Value(2.0, "a")
    h = a * a  # made before the block: the trace meets it ready-made
    h.label = "h"
    with record() as trace:
        L = h + a
        L.backward()
    a2 = Value(-1.5, "a")
    h2 = a2 * a2
    h2.label = "h"
    with record() as fresh:
        L2 = h2 + a2
        L2.backward()
    assert trace.replay({"a": -1.5}).to_json() == fresh.to_json()


def test_unknown_names_are_refused_naming_the_known_leaves():
    trace = _abl()
    with pytest.raises(KeyError, match=r"'c'.*Leaves you can change: a, b\."):
        trace.replay({"c": 1.0})
    with pytest.raises(ValueError, match=r"a, b"):
        trace.replay({"L": 1.0})
    with pytest.raises(ValueError, match=r"computed value.*a, b"):
        trace.replay({trace.num_nodes - 1: 1.0})
    with pytest.raises(KeyError, match=r"node 99 does not exist.*a, b"):
        trace.replay({99: 1.0})
    with pytest.raises(TypeError):
        trace.replay([("a", 1.0)])


def test_a_constant_is_not_a_leaf_to_change():
    a = Value(2.0, "a")
    with record() as trace:
        L = a * 3.0
        L.backward()
    const = next(n.id for n in trace.nodes if n.kind == "constant")
    with pytest.raises(ValueError, match=r"constant.*inputs and parameters only: a\."):
        trace.replay({const: 1.0})


def test_a_value_of_another_shape_is_refused_with_both_shapes():
    a = Value(np.ones((2, 3)), "a")
    with record() as trace:
        L = (a * a).sum()
        L.backward()
    with pytest.raises(ValueError, match=r"a has shape \(2, 3\), but the value given has shape \(3,\)"):
        trace.replay({"a": np.ones(3)})
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(\)"):
        trace.replay({"a": 1.0})
    new = trace.replay({"a": np.full((2, 3), 2.0)})
    assert new.snapshot(len(new)).grads[0].shape == (2, 3)
    assert np.array_equal(new.snapshot(len(new)).grads[0], np.full((2, 3), 4.0))


def test_a_trace_with_training_steps_is_refused_with_a_sentence():
    w = Value(1.0, "w", role="parameter")
    with record() as trace:
        L = w * w
        L.backward()
        w.data = w.data - 0.1 * w.grad
    with pytest.raises(ValueError, match="training steps.*learning rate"):
        trace.replay({"w": 2.0})


def test_an_array_kept_as_a_summary_cannot_be_replayed_unless_given():
    big = Value(np.linspace(0.0, 1.0, 2000), "big")
    with record() as trace:
        L = (big * 2.0).sum()
        L.backward()
    with pytest.raises(ValueError, match="summary"):
        trace.replay({})
    new = trace.replay({"big": np.zeros(2000)})
    assert new.snapshot(len(new)).values[-1] == 0.0
