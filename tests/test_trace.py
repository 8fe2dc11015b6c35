"""Recording: events, passes, snapshots and trace_of against the engine's own results."""

from __future__ import annotations

import gc
import math
import os
import random
import subprocess
import sys
import warnings
import weakref
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz import Trace, Value, record, trace_of
from backprop_viz.engine import zero_grad
from backprop_viz.trace import ArraySummary
from recording import ancestors, build, closed, make_leaves, record_program, replay, same, same_lists
from strategies import programs

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ids_by_label(trace):
    return {n.label: n.id for n in trace.nodes if n.label is not None}


def kinds(trace, start=0, stop=None):
    return [e.kind for e in trace.events[start:stop]]


# ---- what is recorded ----
def test_forward_events_are_the_ops_executed_in_order():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        d = e + a
        t = d.tanh()
    nodes = trace.nodes
    forward = [ev for ev in trace.events if ev.kind == "forward"]
    assert [nodes[ev.node].op for ev in forward] == ["*", "+", "tanh"]
    assert [ev.value for ev in forward] == [e.data, d.data, t.data]
    assert [nodes[ev.node].parents for ev in forward] == [(0, 1), (2, 0), (3,)]
    assert len(trace) == 3 and kinds(trace) == ["forward"] * 3


def test_backward_contributions_are_the_edges_and_skip_constants():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        L = (a * b + 1.0) * a
        L.backward()
    back = [ev for ev in trace.events if ev.kind == "backward"]
    nodes = trace.nodes
    edges = [(n.id, slot) for n in nodes for slot, p in enumerate(n.parents) if nodes[p].kind != "constant"]
    assert sorted((ev.child, ev.slot) for ev in back) == sorted(edges)
    for ev in back:
        assert ev.node == nodes[ev.child].parents[ev.slot]
        assert ev.after == ev.before + ev.contribution
        assert ev.contribution == ev.upstream * ev.local


def test_fan_out_gives_two_contributions_that_add_up():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        L = a * b + a
        L.backward()
    into_a = [ev for ev in trace.events if ev.kind == "backward" and ev.node == 0]
    assert len(into_a) == 2
    assert into_a[0].before == 0.0 and into_a[1].before == into_a[0].after
    assert into_a[0].contribution + into_a[1].contribution == into_a[1].after == a.grad


def test_a_plus_a_is_two_edges_told_apart_by_slot():
    a = Value(3.0, "a")
    with record() as trace:
        s = a + a
        s.backward()
    assert trace.nodes[1].parents == (0, 0)
    back = [ev for ev in trace.events if ev.kind == "backward"]
    assert [(ev.child, ev.slot, ev.node) for ev in back] == [(1, 0, 0), (1, 1, 0)]
    assert back[0].contribution + back[1].contribution == back[1].after == a.grad == 2.0


def test_seed_event_starts_the_backward_phase():
    x = Value(0.5, "x")
    with record() as trace:
        y = x.exp()
        y.backward()
    seed = trace.events[1]
    assert (seed.kind, seed.node, seed.value, seed.after) == ("seed", 1, 1.0, 1.0)
    s = trace.snapshot(2)
    assert (s.phase, s.active_node, s.active_edge, s.grads) == ("backward", 1, None, [None, 1.0])
    s = trace.snapshot(3)
    assert s.active_edge == (1, 0, 0) and s.grads == [x.grad, 1.0] and s.phase == "backward"
    assert trace.snapshot(1).phase == "forward" and trace.snapshot(0).event is None


def _train(steps, order):
    """A recorded gradient-descent loop on y = w x + b, squared error; `order` arranges one step."""
    w, b, x = Value(0.5, "w", role="parameter"), Value(0.0, "b", role="parameter"), Value(2.0, "x")
    losses, ends = [], []
    with record() as trace:
        for _ in range(steps):
            loss = None
            for part in order:
                if part == "forward":
                    loss = (w * x + b - 3.0) ** 2
                    loss.label = "L"
                elif part == "backward":
                    loss.backward()
                elif part == "update":
                    for p in (w, b):
                        p.data = p.data - 0.1 * p.grad
                else:
                    for p in (w, b):
                        p.grad = 0
            losses.append(loss)
            ends.append((len(trace), w.data, b.data, w.grad, b.grad))
    return trace, (w, b, x), losses, ends


@pytest.mark.parametrize("order", [
    ("forward", "backward", "update", "zero_grad"),
    ("zero_grad", "forward", "backward", "update"),
    ("forward", "zero_grad", "backward", "update"),  # micrograd's demo
])
def test_a_training_loop_is_one_pass_per_step(order):
    trace, (w, b, x), _, ends = _train(3, order)
    assert trace.passes == 3
    iw, ix, ib = (ids_by_label(trace)[name] for name in "wxb")
    starts = [trace.pass_range(p)[0] for p in range(3)]
    assert starts[0] == 0 and [trace.pass_range(p)[1] for p in range(3)] == starts[1:] + [len(trace)]
    for p in range(3):
        start, stop = trace.pass_range(p)
        ks = kinds(trace, start, stop)
        # (w x + b - 3)^2: four ops; six edges, as the constant 3.0 gets no gradient
        assert ks.count("forward") == 4 and ks.count("seed") == 1 and ks.count("update") == 2
        assert ks.count("backward") == 6
        assert [e.pass_index for e in trace.events[start:stop]] == [p] * (stop - start)
        assert ks.index("seed") > max(i for i, k in enumerate(ks) if k == "forward")
        nodes = trace.nodes
        computed = [n.id for n in nodes if n.kind == "computed" and n.pass_index == p]
        used = {q for c in computed for q in nodes[c].parents}
        assert len(computed) == 4 and {iw, ix, ib} <= used
        edges = sorted((c, slot) for c in computed for slot, q in enumerate(nodes[c].parents)
                       if nodes[q].kind != "constant")
        assert sorted((e.child, e.slot) for e in trace.events[start:stop] if e.kind == "backward") == edges
        assert trace.pass_nodes(p) == tuple(sorted(set(computed) | used))
        assert trace.snapshot(stop).pass_index == p
    # pass_steps: the snapshots of each pass, from step 0 to the last, each in its own pass
    steps = [trace.pass_steps(p) for p in range(3)]
    assert steps[0][0] == 0 and steps[-1][1] == len(trace)
    assert all(steps[p + 1][0] == steps[p][1] + 1 for p in range(2))
    assert all(trace.snapshot(k).pass_index == p for p, (a, z) in enumerate(steps) for k in range(a, z + 1))
    # zero_grad never starts a pass by itself: with zero_grad first, step 2's closes pass 1
    assert kinds(trace).count("grad") == 6 and trace.events[-1].kind == order[-1].replace("zero_", "")
    for k, wd, bd, wg, bg in ends:  # engine state at the end of each step
        s = trace.snapshot(k)
        assert (s.values[iw], s.values[ib], s.grads[iw], s.grads[ib]) == (wd, bd, wg, bg)


def test_pass_nodes_and_ids_of_the_first_pass():
    trace, _, _, _ = _train(2, ("forward", "backward", "update", "zero_grad"))
    nodes = trace.nodes
    assert [n.label for n in nodes[:2]] == ["w", "x"] and nodes[2].op == "*"
    assert [n.kind for n in nodes[:4]] == ["parameter", "input", "computed", "parameter"]
    assert all(n.pass_index == 0 for n in nodes[:4])
    with pytest.raises(IndexError, match="pass 2 does not exist"):
        trace.pass_range(2)


def test_leaves_made_before_the_block_enter_when_first_used():
    a, b, unused = Value(1.5, "a"), Value(np.array([1.0, 2.0]), "b", role="parameter"), Value(9.0, "u")
    c = a * 2.0  # computed before recording: enters with its ancestors, as known values
    with record() as trace:
        d = c * b
        e = d.sum()
    nodes = trace.nodes
    assert [(n.label, n.kind, n.op) for n in nodes[:3]] == [("a", "input", ""), (None, "constant", ""), (None, "computed", "*")]
    assert (nodes[3].label, nodes[3].kind, nodes[3].shape) == ("b", "parameter", (2,))
    first = trace.snapshot(0)
    assert first.values[:3] == [1.5, 2.0, 3.0] and same(first.values[3], b.data)
    assert first.values[4:] == [None, None] and "u" not in [n.label for n in nodes]
    assert trace.name(1) == "2" and trace.name(5) == "v3" and trace.name(0) == "a"  # e: the 3rd value computed
    assert kinds(trace) == ["forward", "forward"] and same(trace.snapshot(2).values[5], e.data)


def test_labels_set_after_the_op_are_recorded():
    a = Value(1.0)
    with record() as trace:
        y = a + 1.0
        y.label = "y"
        a.label = "a"
    assert [n.label for n in trace.nodes] == ["a", None, "y"]


def test_labels_given_to_numbers_before_the_recorder_takes_them_in_are_kept():
    # numbers made by the fast path reach the recorder at its next other call (forward_scalar)
    a = Value(1.0, "a")
    with record() as trace:
        y = a * 3.0
        y.label = "first"
        y.label = "y"
        z = y + a
        z.label = "z"
        z.label = None
        w = z.relu()
        w.label = "w"
        w.backward()
        y.label = "y2"  # after the recorder took y in: relabel
    assert [n.label for n in trace.nodes] == ["a", None, "y2", None, "w"]


def _programs_read_inside_and_after():
    """A block that reads its own trace between ops: (what it read inside, the trace)."""
    seen = []
    a, b = Value(2.0, "a", role="parameter"), Value(-3.0, "b")
    with record() as trace:
        c = a * b
        seen.append((len(trace), trace.num_nodes, trace.kind_at(-1), trace.event(-1).value))
        L = c * c + (2.0 * a).tanh() + 1.0
        L.backward()
        seen.append((len(trace), trace.passes, trace.event(-1).kind, trace.event(-1).after))
        a.data = a.data - 0.1 * a.grad
        d = a * a
        seen.append((len(trace), trace.pass_starts, trace.event(-1).kind))
        d.backward()
    return seen, trace


def test_a_trace_read_inside_its_block_sees_every_event_so_far():
    seen, trace = _programs_read_inside_and_after()
    n_first = 1 + 6 + 1 + 8  # c's forward, then L's 6 forwards, the seed, 8 contributions
    assert seen[0] == (1, 3, "forward", -6.0)
    assert seen[1][:3] == (n_first, 1, "backward") and seen[1][3] == trace.event(n_first - 1).after
    assert seen[2] == (n_first + 2, (0, n_first + 1), "forward")  # the update ends pass 0
    assert len(trace) == n_first + 2 + 1 + 2 and [e.kind for e in trace.events][-3:] == ["seed", "backward",
                                                                                          "backward"]


def test_a_read_between_two_equal_backward_passes_loses_no_event():
    # the read expands the first pass's step records; the second pass writes exactly as many again
    def run(read):
        a, b = Value(2.0, "a", role="parameter"), Value(-3.0, "b")
        with record() as trace:
            L = a * b + a * a
            L.backward()
            if read:
                assert trace.event(-1).kind == "backward"
            L.backward()
        return trace

    with_read, without = run(True), run(False)
    assert with_read.to_json() == without.to_json()
    assert [e.kind for e in with_read.events].count("backward") == 2 * 6


@pytest.mark.parametrize("fast_path", [True, False])
def test_step_records_expand_into_the_readable_paths_events(fast_path):
    # x * x and x + x (one parent twice), constants on either side, a parameter met in two passes
    from backprop_viz.engine import fast
    x, w = Value(0.5, "x"), Value(-2.0, "w", role="parameter")

    def program():
        with record() as trace:
            for _ in range(2):
                L = (x * x + 2.0 * w + w * 3.0 + (1.0 + x) * (x + 1.0) + (w + w) * x).relu() + (x * w).tanh()
                L.backward()
                w.data = w.data - 0.01 * w.grad
        return trace

    fast.use(fast_path)
    try:
        x.grad = w.grad = 0.0
        got = program()
        fast.use(False)
        x.data, w.data, x.grad, w.grad = 0.5, -2.0, 0.0, 0.0
        want = program()
    finally:
        fast.use(True)
    assert got.to_json() == want.to_json()
    assert [tuple(e) for e in got.events] == [tuple(e) for e in want.events]
    back = [e for e in got.events if e.kind == "backward"]
    assert len(back) == 2 * 26 and all(e.after == e.before + e.contribution for e in back)


def test_an_update_of_an_array_in_place_keeps_the_old_value():
    W = Value(np.ones(3), "W", role="parameter")
    with record() as trace:
        (W * 2.0).sum().backward()
        W.data -= 0.25 * W.grad  # numpy changes the array in place before the setter runs
    up = trace.events[-1]
    assert up.kind == "update" and same(up.before, np.ones(3)) and same(up.after, np.full(3, 0.5))
    assert same(trace.snapshot(len(trace) - 1).values[0], np.ones(3))


def test_large_arrays_are_kept_as_summaries():
    x = Value(np.linspace(-2.0, 2.0, 2000).reshape(40, 50), "x")
    with record() as trace:
        y = x.tanh()
        y.sum().backward()
    s = trace.snapshot(len(trace))
    v = s.values[1]
    assert isinstance(v, ArraySummary) and v.shape == (40, 50)
    assert (v.min, v.max, v.mean) == (float(y.data.min()), float(y.data.max()), float(y.data.mean()))
    assert v.preview == tuple(float(t) for t in y.data.ravel()[:len(v.preview)]) and len(v.preview) >= 4
    assert isinstance(s.grads[0], ArraySummary) and s.grads[0].mean == float(x.grad.mean())
    small = Value(np.arange(1024.0))
    with record() as t2:
        z = small * 1.0
    assert same(t2.events[0].value, z.data)  # up to 1024 numbers are kept whole


def test_recording_stops_at_the_end_of_the_block_even_on_error():
    gc.enable()
    with pytest.raises(RuntimeError):
        with record() as trace:
            a = Value(1.0) + 1.0
            raise RuntimeError("boom")
    a * 2.0
    assert len(trace) == 1 and gc.isenabled()
    gc.disable()
    try:
        with record():
            pass
        assert not gc.isenabled()  # a paused collector stays paused
    finally:
        gc.enable()


# ---- random graphs ----
@SETTINGS
@given(programs())
def test_random_graphs_are_recorded_exactly(program):
    trace, loss, named, _ = record_program(program)
    ids = ids_by_label(trace)
    nodes = trace.nodes
    forward = [nodes[e.node].label for e in trace.events if e.kind == "forward"]
    regs = [f"r{k}" for k in range(len(program.steps))]
    assert forward[:len(regs)] == regs  # every op executed, in order, then the loss's own ops
    graph = [v for v in ancestors(loss) if v.role != "constant"]
    assert set(forward[len(regs):]) == {v.label for v in graph if v.op and v.label not in regs}
    for label in forward:
        v, node = named[label], nodes[ids[label]]
        assert node.op == v.op and node.shape == v.shape
        assert [nodes[p].label for p in node.parents] == [p.label for p in v.parents]
    edges = Counter((ids[v.label], slot) for v in graph if v.op
                    for slot, p in enumerate(v.parents) if p.role != "constant")
    contributions = Counter((e.child, e.slot) for e in trace.events if e.kind == "backward")
    assert contributions == edges
    end = trace.snapshot(len(trace))
    for label, nid in ids.items():
        v = named[label]
        assert same(end.values[nid], v.data), label
        if v in graph:
            assert same(end.grads[nid], v.grad), label
        else:  # a register the loss does not use: computed, never given a gradient
            assert end.grads[nid] is None and not np.any(v.grad)


@SETTINGS
@given(programs(), st.randoms(use_true_random=False))
def test_columns_give_what_nodes_and_events_between_give(program, rnd):
    trace, _, _, _ = record_program(program)
    cols = trace.node_columns()
    assert [tuple(getattr(cols, f)[i] for f in cols._fields) for i in range(trace.num_nodes)] == \
        [tuple(n)[1:] for n in trace.nodes]
    assert cols._fields == trace.nodes[0]._fields[1:] if trace.num_nodes else True
    for kind in ("forward", "seed", "backward", "update", "grad"):
        start = rnd.randint(0, len(trace))
        stop = rnd.choice([None, rnd.randint(start, len(trace))])
        got = trace.event_columns(kind, start, stop)
        want = list(trace.events_between(start, len(trace) if stop is None else stop, kind))
        assert got.index == [i for i, _ in want] and len(got) == len(want), kind
        for field in ("node", "child", "slot"):
            assert getattr(got, field) == [getattr(ev, field) for _, ev in want], (kind, field)
        for field in ("value", "upstream", "local", "contribution", "before", "after"):
            assert same_lists(getattr(got, field), [getattr(ev, field) for _, ev in want]), (kind, field)


def test_node_columns_follow_a_label_given_later_and_a_growing_trace():
    a = Value(1.0, "a")
    with record() as trace:
        y = a * 2.0
        assert trace.node_columns().label == ("a", None, None)
        y.label = "y"
        assert trace.node_columns().label == ("a", None, "y")
        z = y + 1.0
        assert trace.node_columns().op == ("", "", "*", "", "+")
        assert trace.node_columns().parents[4] == (2, 3) and z.data == 3.0


def test_event_columns_name_what_they_have():
    trace = trace_of(Value(2.0, "a") * Value(3.0, "b"))
    with pytest.raises(ValueError, match="kind must be one of forward, seed, backward, update, grad, not 'forwards'"):
        trace.event_columns("forwards")
    with pytest.raises(AttributeError, match="no field 'grad'.*index and node, child, slot"):
        trace.event_columns("backward").grad
    assert trace.event_columns("backward").child == [2, 2] and trace.event_columns("forward").slot == [None]


@SETTINGS
@given(programs(), st.randoms(use_true_random=False))
def test_any_snapshot_equals_replaying_the_events(program, rnd):
    trace, _, _, _ = record_program(program)
    states = replay(trace)
    ks = list(range(len(trace) + 1))
    rnd.shuffle(ks)
    for k in ks:
        s = trace.snapshot(k)
        assert same_lists(s.values, states[k][0]) and same_lists(s.grads, states[k][1]), k
        assert s.step == k and s.nodes == trace.pass_nodes(s.pass_index)


@SETTINGS
@given(programs())
def test_trace_of_equals_a_live_recording(program):
    program = closed(program)
    live, _, _, _ = record_program(program)
    leaves = make_leaves(program)
    loss, named = build(program, leaves)
    loss.backward()
    grads = {label: np.copy(v.grad) for label, v in named.items()}
    after = trace_of(loss)
    assert after.to_json() == live.to_json()
    assert after.nodes == live.nodes and len(after) == len(live) and after.passes == 1
    assert all(same(np.copy(v.grad), grads[label]) for label, v in named.items())  # .grad untouched


def test_trace_of_lets_inf_and_nan_flow_quietly_as_backward_does():
    x = Value(np.array([0.0, 2.0]), "x")
    with np.errstate(invalid="ignore"), record() as live:  # the forward's -inf * 0 is numpy's to warn about
        loss = (x.log() * x).sum()  # log 0 = -inf; its gradient meets 0 * inf = nan
        loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning in the backward replay would fail here
        after = trace_of(loss)
    assert after.to_json() == live.to_json()
    assert np.isnan(after.snapshot(len(after)).grads[0][0])


def test_trace_of_refuses_what_it_cannot_run():
    with pytest.raises(TypeError, match="takes the Value a graph ends in"):
        trace_of(3.0)
    with pytest.raises(ValueError, match=r"needs a scalar.*shape \(2,\)"):
        trace_of(Value(np.ones(2)) * 2.0)


def test_random_access_uses_checkpoints_and_matches_the_replay():
    trace, _, _, ends = _train(100, ("forward", "backward", "update", "zero_grad"))
    states = replay(trace)
    assert len(trace._checkpoints) > 2  # so the snapshots below start from different checkpoints
    ks = list(range(len(trace) + 1))
    random.Random(1).shuffle(ks)
    for k in ks:
        s = trace.snapshot(k)
        assert same_lists(s.values, states[k][0]) and same_lists(s.grads, states[k][1]), k
    k, wd, bd, wg, bg = ends[-1]
    assert trace.snapshot(np.int64(k)).values[0] == wd


def test_checkpoints_keep_memory_proportional_to_events():
    for steps, width in ((1, 3000), (40, 200)):
        xs = [Value(float(i % 7) / 7, f"x{i}") for i in range(width)]
        w = Value(0.3, "w", role="parameter")
        with record() as trace:
            for _ in range(steps):
                loss = sum((w * x).tanh() for x in xs)
                loss.backward()
                w.data = w.data - 1e-3 * w.grad
                w.grad = 0
        trace.snapshot(len(trace) // 2)
        stored = sum(len(values) + len(grads) for _, values, grads in trace._checkpoints)
        assert len(trace.nodes) > 2 * width
        assert stored <= 4 * len(trace), (steps, stored, len(trace))


def test_snapshot_refuses_a_step_that_does_not_exist():
    a = Value(1.0)
    with record() as trace:
        (a * 2.0).backward()
    for bad in (-1, len(trace) + 1):
        with pytest.raises(IndexError, match=f"step {bad} does not exist: this trace has steps 0 to {len(trace)}"):
            trace.snapshot(bad)
    for bad, name in ((1.0, "float"), ("2", "str"), (True, "bool"), (None, "NoneType")):
        with pytest.raises(TypeError, match=f"takes a step number, not {name}"):
            trace.snapshot(bad)


def test_an_empty_recording_has_one_empty_snapshot():
    with record() as trace:
        pass
    assert len(trace) == 0 and trace.passes == 0 and trace.snapshot(0).values == []
    assert trace.to_json() == Trace.from_json(trace.to_json()).to_json()


_SCRIPT = """
import numpy as np
from backprop_viz import Value, record
x = Value(np.array([0.5, -1.0]), "x"); w = Value(1.5, "w", role="parameter")
with record() as t:
    h = (x * w).tanh()
    L = (h * h).mean() + w ** 2
    L.backward()
    w.data = w.data - 0.1 * w.grad
print(t.to_json())
"""


def test_node_ids_are_stable_run_to_run():
    a, b = (subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2"))
    assert a == b and '[1, "w"]' in a  # node 1's label
    texts = []
    for _ in range(2):
        trace, _, _, _ = _train(2, ("forward", "backward", "update", "zero_grad"))
        texts.append(trace.to_json())
    assert texts[0] == texts[1]


def test_a_dropped_trace_is_freed_while_the_parameters_live_on():
    w = Value(np.ones((50, 50)), "w", role="parameter")
    gc.disable()  # freed by reference counting alone: no cycles
    try:
        with record() as trace:
            (w * w).sum().backward()
        ref = weakref.ref(trace)
        del trace
        assert ref() is None
    finally:
        gc.enable()


def test_a_recording_inside_a_recording_leaves_the_outer_one_right():
    a, b = Value(2.0, "a"), Value(-1.5, "b")
    with record() as outer:
        c = a * b
        L = c * c + a
        with record() as inner:  # gives a, b and c ids of its own
            d = (b + c).tanh()
            d.backward()
        L.backward()
    assert [n.label for n in inner.nodes[:3]] == ["b", "a", None] and len(inner) == 8
    ids = {n.label: n.id for n in outer.nodes if n.label}
    end = outer.snapshot(len(outer))
    assert (end.grads[ids["a"]], end.grads[ids["b"]]) == (a.grad, b.grad)
    back = [e for e in outer.events if e.kind == "backward"]
    assert all(e.node == outer.nodes[e.child].parents[e.slot] for e in back) and len(back) == 6


def test_zero_grad_helper_is_recorded():
    p = Value(np.ones(2), "p", role="parameter")
    with record() as trace:
        (p * 3.0).sum().backward()
        zero_grad([p])
    ev = trace.events[-1]
    assert ev.kind == "grad" and same(ev.before, np.full(2, 3.0)) and same(ev.after, np.zeros(2))
    assert same(trace.snapshot(len(trace)).grads[0], np.zeros(2))
