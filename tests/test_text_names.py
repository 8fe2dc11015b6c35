"""Names a student sees: labels, a constant's number, and generated names that stay put across passes."""

from __future__ import annotations

import random

from backprop_viz import Value, record, trace_of
from backprop_viz.engine import zero_grad


def training(steps, seed=0):
    """A two-parameter model trained for `steps` steps on fresh unlabelled inputs, all recorded."""
    rng = random.Random(seed)
    w, b = Value(0.5, role="parameter"), Value(-0.2, role="parameter")
    with record() as trace:
        for _ in range(steps):
            x, y = Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))
            loss = ((w * x + b).tanh() - y) ** 2
            zero_grad([w, b])
            loss.backward()
            for p in (w, b):
                p.data -= 0.1 * p.grad
    return trace


def names_of_pass(trace, p):
    """The names of the values pass p draws, and of what its forward steps computed, in order."""
    start, stop = trace.pass_range(p)
    computed = [(trace.name(ev.node), [trace.name(q) for q in trace.parents(ev.node)])
                for _, ev in trace.events_between(start, stop, "forward")]
    return sorted(trace.name(t) for t in trace.pass_nodes(p)), computed


def test_unlabelled_values_keep_their_names_in_every_pass():
    trace = training(3)
    assert trace.passes == 3
    first = names_of_pass(trace, 0)
    assert first == names_of_pass(trace, 1) == names_of_pass(trace, 2)
    drawn, computed = first
    assert len(set(drawn)) == len(drawn)  # no two values of a pass share a name
    assert {"θ1", "θ2", "x1", "x2", "v1"} <= set(drawn)
    assert computed[0] == ("v1", ["θ1", "x1"])  # w * x: the first value each pass computes
    ids = [trace.pass_nodes(p) for p in range(3)]
    assert ids[0] != ids[2]  # the node ids differ, the names do not


def test_parameters_inputs_and_computed_values_are_named_apart():
    a, b = Value(2.0), Value(-3.0, role="parameter")
    t = trace_of(a * b + 1.0)
    kinds = {t.name(i): t.kind(i) for i in range(t.num_nodes)}
    assert kinds == {"x1": "input", "θ1": "parameter", "v1": "computed", "1": "constant", "v2": "computed"}


def test_a_generated_name_never_takes_a_label():
    x = Value(1.0, "v1")
    t = trace_of(x * Value(2.0))  # the product is the first value computed: v1 is a label already
    names = [t.name(i) for i in range(t.num_nodes)]
    assert names.count("v1") == 1 and "v1′" in names


def test_a_label_given_during_the_recording_renames_what_it_would_clash_with():
    a = Value(1.0, "a")
    with record() as trace:
        y = a * 2.0
        assert trace.name(2) == "v1"  # y, the first value computed
        z = y + 1.0
        assert trace.name(4) == "v2"
        z.label = "v1"  # now a label: y, asked for again, steps aside
        assert [trace.name(2), trace.name(4)] == ["v1′", "v1"] and z.data == 3.0
