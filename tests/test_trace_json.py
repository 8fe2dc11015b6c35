"""Trace JSON: an exact round trip, and a sentence saying what is wrong with any bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz import Trace, Value, record
from backprop_viz.trace import ArraySummary, json_io
from recording import record_program, same, same_lists
from strategies import programs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same_trace(a, b):
    """Two traces show the same nodes, events, passes, snapshots and captions."""
    assert a.nodes == b.nodes and len(a) == len(b) and a.passes == b.passes
    assert [a.pass_range(p) for p in range(a.passes)] == [b.pass_range(p) for p in range(b.passes)]
    for ea, eb in zip(a.events, b.events):
        assert (ea.kind, ea.node, ea.pass_index, ea.child, ea.slot) == (eb.kind, eb.node, eb.pass_index, eb.child, eb.slot)
        for field in ("value", "upstream", "local", "contribution", "before", "after"):
            assert same(getattr(ea, field), getattr(eb, field)), field
    for k in range(len(a) + 1):
        sa, sb = a.snapshot(k), b.snapshot(k)
        assert same_lists(sa.values, sb.values) and same_lists(sa.grads, sb.grads)
        assert (sa.phase, sa.pass_index, sa.active_node, sa.active_edge) == (sb.phase, sb.pass_index, sb.active_node, sb.active_edge)
        for lang in ("en", "ko"):
            assert sa.caption(lang) == sb.caption(lang) and sa.caption(lang, "latex") == sb.caption(lang, "latex")


def round_trip(trace):
    text = trace.to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not standard JSON"))
    back = Trace.from_json(text)
    assert back.to_json() == text
    assert_same_trace(trace, back)
    return back


@SETTINGS
@given(programs())
def test_random_graphs_round_trip_exactly(program):
    trace, _, _, _ = record_program(program)
    round_trip(trace)


def special_trace():
    """nan, inf and -inf in values and gradients, arrays over 1024 numbers, two passes, an update."""
    x = Value(np.array([0.0, -1.0, 4.0]), "x")
    big = Value(np.linspace(-1.0, 1.0, 1500).reshape(30, 50), "big", role="parameter")
    with record() as trace, np.errstate(invalid="ignore"):  # the engine's array + warns on inf - inf
        y = x.log() + 1.0 / x  # -inf + inf, nan, a finite number
        loss = y.sum() + (big * big).mean()
        loss.label = "loss"
        loss.backward()
        big.data = big.data - 0.5 * big.grad
        loss.backward()
    return trace


def test_nan_inf_and_large_arrays_round_trip():
    trace = special_trace()
    values = trace.snapshot(len(trace)).values
    log_x, inv_x, y = values[1], values[3], values[4]  # x, log x, the constant 1.0, 1/x, y
    assert log_x[0] == -np.inf and np.isnan(log_x[1]) and inv_x[0] == np.inf and np.isnan(y[0])
    assert any(isinstance(v, ArraySummary) for v in values) and trace.passes == 2
    back = round_trip(trace)
    summary = next(v for v in back.snapshot(len(back)).values if isinstance(v, ArraySummary))
    assert summary.shape == (30, 50) and len(summary.preview) > 0


def test_an_empty_trace_and_indented_text_round_trip():
    with record() as trace:
        pass
    assert Trace.from_json(trace.to_json()).to_json() == trace.to_json()
    t = special_trace()
    assert Trace.from_json(t.to_json(indent=2)).to_json() == t.to_json()


def small_trace():
    a, b = Value(2.0, "a"), Value(np.array([1.0, -3.0]), "b", role="parameter")
    with record() as trace:
        e = (a * b) ** 2.0
        L = e.sum()
        L.backward()
        b.data = b.data - 0.1 * b.grad
    return trace


def small_doc():
    """The small trace in the first file format (version 1), which still loads."""
    return json.loads(json_io.dumps(small_trace(), version=1))


def small_doc_v2():
    return json.loads(small_trace().to_json())


def _set(path, value):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _drop(path):
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


BAD = [  # (change to a good document, words the error must contain)
    (_set(("format",), "something else"), "not a backprop_viz trace: its 'format' field"),
    (_set(("version",), 3), "format version 3, but this backprop_viz reads versions 1 and 2"),
    (_drop(("version",)), "format version None"),
    (_set(("version",), True), "format version True"),
    (_set(("version",), 1.0), "format version 1.0"),
    (_drop(("nodes",)), "missing its 'nodes' list"),
    (_set(("events",), {}), "missing its 'events' list"),
    (_drop(("pass_starts",)), "missing its 'pass_starts' list"),
    (_drop(("nodes", 0, "label")), "node 0 is missing the field(s) label"),
    (_set(("nodes", 1), "b"), "node 1 is not an object"),
    (_set(("nodes", 2, "parents"), [0, 5]), "node 2 names parents [0, 5]; each must be the id of an earlier node"),
    (_set(("nodes", 2, "parents"), [0, -1]), "each must be the id of an earlier node"),
    (_set(("nodes", 2, "parents"), [0]), "op '*' takes 2 parent(s), not 1"),
    (_set(("nodes", 2, "op"), "conv"), "node 2 has op 'conv'"),
    (_set(("nodes", 0, "kind"), "weight"), "node 0 has kind 'weight'"),
    (_set(("nodes", 0, "kind"), "computed"), "cannot have op ''"),
    (_set(("nodes", 0, "label"), 7), "the label must be text or null"),
    (_set(("nodes", 1, "shape"), "2"), "a shape must be a list of at most 32 sizes"),
    (_set(("nodes", 1, "shape"), [3]), "its value has shape [2], but the node's shape is [3]"),
    (_set(("nodes", 3, "arg"), [2]), "[2] is not a valid parameter for op '**'"),
    (_set(("nodes", 0, "pass"), -1), "'pass' must be a pass number"),
    (_set(("nodes", 0, "init"), "two"), "node 0: expected a number, got the text 'two'"),
    (_set(("nodes", 1, "init"), {"shape": [2], "data": [1.0]}), "1 numbers do not fill an array of shape [2]"),
    (_set(("nodes", 1, "init"), {"summary": {"shape": [2]}}), "an array summary needs shape, min, max, mean"),
    (_set(("events", 0), [9, 2, 1.0]), "event 0 is not a known kind of step"),
    (_set(("events", 0), [True, 2, 1.0, 1.0]), "event 0 is not a known kind of step"),
    (_set(("events", 0), "forward"), "event 0 is not a known kind of step"),
    (_set(("events", 0), [0, 2]), "event 0 has 2 fields, expected 3"),
    (_set(("events", 0, 1), 99), "event 0 names node 99, which does not exist"),
    (_set(("events", 0, 1), 0), "event 0 computes node 0, which is a leaf"),
    (_set(("events", 0, 2), 1.0), "a value of shape [] for node 2 of shape [2]"),
    (_set(("events", 0, 2), None), "event 0 is missing a number"),
    (_set(("events", 4, 3), 1), "event 4: node 3 is not parent 1 of node 4"),
    (_set(("events", 4, 2), 99), "event 4 names node 99, which does not exist"),
    (_set(("events", 4, 4), [1.0]), "event 4: expected a number or an array, got list"),
    (_set(("pass_starts",), [0, 0]), "'pass_starts' must be increasing step numbers from 0"),
    (_set(("pass_starts",), [1]), "'pass_starts' must be increasing"),
    (_set(("pass_starts",), []), "'pass_starts' must be increasing"),
]


def test_the_good_document_loads():
    doc = small_doc()
    assert doc["events"][4][0] == 2 and doc["nodes"][3]["op"] == "**" and doc["events"][0][1] == 2
    back = Trace.from_json(json.dumps(doc))
    assert json_io.dumps(back, version=1) == json.dumps(doc, ensure_ascii=False)
    assert back.to_json() == small_trace().to_json()  # a version-1 file is the same trace


@pytest.mark.parametrize("change, words", BAD, ids=[w[:40] for _, w in BAD])
def test_a_bad_document_says_what_is_wrong(change, words):
    doc = small_doc()
    change(doc)
    with pytest.raises(ValueError) as err:
        Trace.from_json(json.dumps(doc))
    assert words in str(err.value)


@pytest.mark.parametrize("text, words", [
    ("{not json", "this is not valid JSON (line 1, column 2"),
    ("", "this is not valid JSON"),
    (b"\xff\xfe\x00", "not"),
    ("[1, 2]", "not a backprop_viz trace"),
    ("null", "not a backprop_viz trace"),
])
def test_text_that_is_not_a_trace(text, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        Trace.from_json(text)


def test_from_json_takes_text():
    with pytest.raises(TypeError, match="takes JSON text, not dict"):
        Trace.from_json({"format": "backprop_viz.trace"})


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=False),
                  st.sampled_from(["nan", "x", "", "+"]), st.lists(st.integers(-1, 5), max_size=3),
                  st.builds(dict), st.builds(lambda: {"shape": [2], "data": [1.0, "inf"]}))  # fresh objects


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_corrupted_document_loads_or_says_why(data):
    doc = small_doc()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = []

        def walk(node, path):
            paths.append(path)
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, child in items:
                walk(child, path + (key,))

        walk(doc, ())
        path = data.draw(st.sampled_from(paths[1:]))
        (_drop(path) if data.draw(st.booleans()) and not isinstance(path[-1], int) else _set(path, data.draw(_JUNK)))(doc)
    try:
        trace = Trace.from_json(json.dumps(doc))
    except ValueError as err:
        assert str(err).endswith(".") and len(str(err)) > 20
        return
    for k in range(len(trace) + 1):  # whatever loads can be shown
        s = trace.snapshot(k)
        s.caption("en"), s.caption("ko", "latex")
    assert Trace.from_json(trace.to_json()).to_json() == trace.to_json()


def _op_cases():
    from ops import CASES, case_id

    return [pytest.param(case, id=case_id(case)) for case in CASES]


@pytest.mark.parametrize("case", _op_cases())
def test_every_op_records_captions_and_round_trips(case):
    from ops import OPS, sample

    name, shapes, p = case
    rng = np.random.default_rng(0)
    leaves = [Value(sample(s, rng, positive=i in OPS[name].positive), f"x{i}") for i, s in enumerate(shapes)]
    with record() as trace:
        out = OPS[name].ours(*leaves, p)
        (out * 1.5).sum().backward()
    assert trace.nodes[len(leaves)].op == name
    round_trip(trace)


def test_stack_records_and_round_trips():
    from backprop_viz.engine import stack
    from backprop_viz.engine.rules import RULES as _BACKWARD
    from backprop_viz.trace.json_io import _ARITY

    assert set(_ARITY) - {""} == set(_BACKWARD), "an engine op the JSON loader does not know"
    xs = [Value(float(i) - 1.5, f"x{i}") for i in range(4)]
    with record() as trace:
        s = stack(xs, (2, 2))
        (s * s).sum().backward()
    node = trace.nodes[4]
    assert (node.op, node.parents, node.arg) == ("stack", (0, 1, 2, 3), (2, 2))
    round_trip(trace)


def test_an_integer_of_400_digits_is_a_value_error():
    for doc in (small_doc(), small_doc_v2()):
        text = json.dumps(doc)
        text = text.replace("2.0", "1" * 400, 1)
        with pytest.raises(ValueError, match=r"too large for a float"):
            Trace.from_json(text)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_a_value_error(depth):
    for text in ("[" * depth + "]" * depth, '{"format": "backprop_viz.trace", "version": 2, "nodes": ' + "[" * depth
                 + "]" * depth + "}"):
        with pytest.raises(ValueError, match="(nests lists or objects too deeply|is missing its)"):
            Trace.from_json(text)


@pytest.mark.parametrize("version", [True, 1.0, 2.0, "2", None])
def test_a_version_is_a_whole_number(version):
    doc = small_doc_v2()
    doc["version"] = version
    with pytest.raises(ValueError, match="but this backprop_viz reads versions 1 and 2"):
        Trace.from_json(json.dumps(doc))


def _scalar_doc_v2():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        (a * b + a).backward()
    return json.loads(trace.to_json())


def _other(event, place, value):
    """A change to a version-2 document: the value at (event, place) becomes `value`, kept in the
    'other' list (an array, a text, ...) instead of the base64 numbers."""
    def change(doc):
        import base64

        from backprop_viz.trace.json_io import _VALUE_PLACES

        ev = doc["events"]
        others = {(i, j) for i, j, _ in ev["other"]}
        index = 0
        for i, kind in enumerate(ev["kind"]):
            for j in range(2, 9):
                if (i, j) == (event, place):
                    break
                if _VALUE_PLACES[kind, j - 2] and (i, j) not in others:
                    index += 1
            else:
                continue
            break
        numbers = base64.b64decode(ev["numbers"])
        if (event, place) not in others:
            numbers = numbers[:8 * index] + numbers[8 * index + 8:]
        ev["numbers"] = base64.b64encode(numbers).decode()
        ev["other"] = [e for e in ev["other"] if (e[0], e[1]) != (event, place)] + [[event, place, value]]
    return change


@pytest.mark.parametrize("value, words", [
    ({"shape": [2], "data": [1.0, 2.0]}, "its upstream has shape [2], but node 3 has shape []"),
    ({"shape": [0], "data": []}, "its upstream has shape [0], but node 3 has shape []"),
    ({"shape": [1], "data": [1.0]}, "its upstream has shape [1], but node 3 has shape []"),
])
def test_a_backward_event_with_an_array_for_a_scalar_node_is_refused(value, words):
    doc = _scalar_doc_v2()
    assert doc["events"]["kind"][3] == 2  # event 3: the first backward event (forward, forward, seed, backward)
    _other(3, 4, value)(doc)
    with pytest.raises(ValueError) as err:
        Trace.from_json(json.dumps(doc))
    assert f"event 3: {words}" in str(err.value)
    doc = _scalar_doc_v2()
    _other(3, 8, value)(doc)  # the parent's gradient after the +=
    with pytest.raises(ValueError, match=r"event 3: its after has shape"):
        Trace.from_json(json.dumps(doc))


BAD_V2 = [  # (change to a good version-2 document, words the error must contain)
    (_drop(("nodes", "op")), "nodes are missing their 'op' list"),
    (_set(("nodes",), []), "missing its 'nodes' columns"),
    (_set(("nodes", "op", 2), "conv"), "node 2 has op 'conv'"),
    (_set(("nodes", "a", 2), 7), "node 2: its 'a' must be a whole number from -1 below 5, got 7"),
    (_set(("nodes", "a", 2), True), "node 2: its 'a' must be a whole number"),
    (_set(("nodes", "b", 2), -1), "node 2: op '*' with parents [0]"),
    (_set(("nodes", "pass", 0), -1), "node 0: its 'pass' must be a whole number from 0"),
    (_set(("nodes", "kind"), [[0, "weight"]]), "node 0 has kind 'weight'"),
    (_set(("nodes", "kind"), [[0, "input"]]), "node 1 is a leaf without a kind"),
    (_set(("nodes", "label"), [[0, 7]]), "node 0: the label must be text"),
    (_set(("nodes", "label"), [[0, "a"], [0, "b"]]), "each entry is [node id, value], for an existing node, once"),
    (_set(("nodes", "shape"), [[1, [3]]]), "its value has shape [2], but the node's shape is [3]"),
    (_set(("nodes", "arg"), [[3, [2]]]), "[2] is not a valid parameter for op '**'"),
    (_set(("events",), []), "missing its 'events' columns"),
    (_drop(("events", "kind")), "events are missing their 'kind' list"),
    (lambda doc: doc["events"]["node"].pop(), "'kind' and 'node' must have one entry per event (9)"),
    (lambda doc: doc["events"]["slot"].pop(), "'child' and 'slot' must have one entry per backward event (4)"),
    (_set(("events", "kind", 0), 9), "event 'kind' list holds 9 at 0; expected a whole number from 0 below 5"),
    (_set(("events", "kind", 0), True), "event 'kind' list holds True at 0"),
    (_set(("events", "node", 0), 99), "event 'node' list holds 99 at 0"),
    (_set(("events", "node", 0), 0), "event 0 computes node 0, which is a leaf"),
    (_set(("events", "other", 0, 2), 1.0), "a value of shape [] for node 2 of shape [2]"),
    (_set(("events", "other", 0, 2), None), "event 0 is missing a number"),
    (_set(("events", "other", 0, 1), 3), "each entry is [event, place, value] for a place of that event"),
    (_set(("events", "slot", 0), 1), "event 4: node 3 is not parent 1 of node 4"),
    (_set(("events", "child", 0), 99), "event 'child' list holds 99 at 0"),
    (_set(("events", "numbers"), "!!"), "must be a base64 text of float64 numbers"),
    (_set(("events", "numbers"), ""), "its columns give 0 numbers"),
    (_other(4, 4, int("9" * 400)), "event 4: the number 99999999…(400 digits) is too large for a float"),
    (_other(4, 4, "two"), "event 4: expected a number, got the text 'two'"),
    (_other(4, 4, [1.0]), "event 4: expected a number or an array, got list"),
    (_other(4, 4, {"shape": [3], "data": [1.0, 2.0, 3.0]}), "event 4: its upstream has shape [3], but node 4"),
    (_set(("pass_starts",), [1]), "'pass_starts' must be increasing step numbers from 0"),
]


def test_the_good_version_2_document_loads():
    doc = small_doc_v2()
    assert doc["version"] == 2 and doc["nodes"]["op"][3] == "**" and doc["events"]["kind"][4] == 2
    assert Trace.from_json(json.dumps(doc)).to_json() == json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize("change, words", BAD_V2, ids=[w[:40] for _, w in BAD_V2])
def test_a_bad_version_2_document_says_what_is_wrong(change, words):
    doc = small_doc_v2()
    change(doc)
    with pytest.raises(ValueError) as err:
        Trace.from_json(json.dumps(doc))
    assert words in str(err.value)


_MORE_JUNK = st.one_of(_JUNK, st.integers(), st.just(int("7" * 400)), st.just(-(10**30)), st.just(True),
                       st.just(1.0), st.just(2.0), st.text(max_size=4), st.just("\ud800"),
                       st.builds(lambda: {"shape": [0], "data": []}), st.builds(lambda: {"shape": [3], "data": [1.0] * 3}),
                       st.builds(lambda: {"summary": {"shape": [2], "min": 0.0, "max": 1.0, "mean": 0.5,
                                                      "preview": [0.0]}}),
                       st.builds(lambda: [[[]]]), st.builds(lambda: [0, [1, "inf"]]))


def _stack_doc_v2():
    from backprop_viz.engine import stack

    xs = [Value(float(i) - 1.5, f"x{i}") for i in range(3)]
    with record() as trace:
        s = stack(xs)
        (s * s).sum().backward()
    return json.loads(trace.to_json())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_corrupted_version_2_document_loads_or_says_why(data):
    """Mutated valid traces (the small array trace, a scalar one, a stack): each loads, or raises a
    ValueError with a sentence; never another exception, never a hang."""
    doc = data.draw(st.sampled_from([small_doc_v2, _scalar_doc_v2, _stack_doc_v2]))()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = []

        def walk(node, path):
            paths.append(path)
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, child in items:
                walk(child, path + (key,))

        walk(doc, ())
        path = data.draw(st.sampled_from(paths[1:]))
        (_drop(path) if data.draw(st.booleans()) and not isinstance(path[-1], int) else _set(path, data.draw(_MORE_JUNK)))(doc)
    text = json.dumps(doc)
    if data.draw(st.booleans()):  # deep nesting somewhere
        text = text.replace("[", "[" * 1200, 1).replace("]", "]" * 1200, 1)
    try:
        trace = Trace.from_json(text)
    except ValueError as err:
        assert str(err).endswith(".") and len(str(err)) > 20
        return
    for k in range(len(trace) + 1):  # whatever loads can be shown
        s = trace.snapshot(k)
        s.caption("en"), s.caption("ko", "latex")
    assert Trace.from_json(trace.to_json()).to_json() == trace.to_json()
