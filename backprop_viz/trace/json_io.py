"""Saving a Trace as JSON text and loading it back, exactly, with a format version; every bad file a ValueError.

Version 2 keeps the trace's own columns: the nodes as lists (op, first and second parent, pass)
with the fields most nodes leave at their default as [id, value] pairs; the events as lists of
kinds and node ids, the backward events' child and slot, every stored number as one base64 text
of float64 (exact: nan, infinities and -0.0 included; JSON text would take most of the time to
parse), and the other stored values (arrays, summaries) as JSON objects. Writing and reading are
a few passes in C over those columns, the checks run column by column (numpy), and what they find
wrong goes through version 1's event-by-event checks, to say where. Version-1 files (json_v1.py)
still load; to_json(version=1) still writes them.
"""

from __future__ import annotations

import base64
import json
import math
from collections import defaultdict
from itertools import compress

import numpy as np

from backprop_viz.engine.inputs import _label_text
from backprop_viz.trace import json_v1
from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, NODE_ROW, ROW, SEED, UPDATE, ArraySummary
from backprop_viz.trace.json_v1 import _ARITY, _brief, _dec, _enc, _enc_arg, _is_int, _shape

FORMAT = "backprop_viz.trace"
VERSION = 2
VERSIONS = (1, 2)  # what this backprop_viz reads
_LEAF_KINDS = ("input", "parameter", "constant")
_NODE_COLUMNS = ("op", "a", "b", "pass")
_NODE_PAIRS = ("many", "label", "kind", "shape", "arg", "init")


def dumps(trace, indent=None, version=VERSION):
    """The trace as JSON text in format `version` (2, or 1 for an older backprop_viz)."""
    doc = json_v1.document(trace) if version == 1 else _document(trace)
    if trace._note:
        doc["note"] = trace._note
    return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)


def _document(trace):
    nodes = trace._nodes
    pairs = lambda d, enc=lambda v: v: [[k, enc(v)] for k, v in sorted(d.items())]  # noqa: E731
    return {
        "format": FORMAT, "version": VERSION,
        "nodes": {"op": nodes[0::NODE_ROW], "a": nodes[1::NODE_ROW], "b": nodes[2::NODE_ROW],
                  "pass": nodes[3::NODE_ROW], "many": pairs(trace._many, list), "label": pairs(trace._labels),
                  "kind": pairs(trace._leaf_kinds), "shape": pairs(trace._shapes, list),
                  "arg": pairs(trace._args, _enc_arg), "init": pairs(trace._init, _enc)},
        "events": _events_document(trace),
        "pass_starts": list(trace._pass_starts),
    }


def loads(cls, text):
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"Trace.from_json() takes JSON text, not {type(text).__name__}.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"this is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                         "pass the text that Trace.to_json() wrote.") from None
    except UnicodeDecodeError:
        raise ValueError("this is not JSON text: its bytes are not UTF-8; pass the text that Trace.to_json() wrote.") \
            from None
    except RecursionError:
        raise ValueError("this JSON nests lists or objects too deeply to be a trace (a trace nests a few levels).") \
            from None
    except ValueError as err:  # e.g. an integer of more digits than Python reads
        raise ValueError(f"this JSON cannot be read: {err}.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"this JSON is not a backprop_viz trace: its 'format' field is not {FORMAT!r}.")
    version = doc.get("version")
    if type(version) is not int or version not in VERSIONS:
        raise ValueError(f"this trace has format version {_brief(version)}, but this backprop_viz reads versions "
                         f"{' and '.join(map(str, VERSIONS))}; save it again with a matching backprop_viz.")
    if not isinstance(doc.get("pass_starts"), list):
        raise ValueError("this trace is missing its 'pass_starts' list.")
    trace = cls()
    if version == 1:
        json_v1.load(trace, doc)
    else:
        _load(trace, doc)
    starts, n = doc["pass_starts"], len(trace)
    if any(not _is_int(s) for s in starts) or any(a >= b for a, b in zip(starts, starts[1:])) \
            or (starts and (starts[0] != 0 or starts[-1] >= n)) or (n and not starts):
        raise ValueError(f"this trace's 'pass_starts' must be increasing step numbers from 0, below its {n} "
                         f"steps; got {_brief(starts[:8])}{' …' if len(starts) > 8 else ''}.")
    trace._pass_starts = list(starts)
    note = doc.get("note")
    if note is not None:
        if not isinstance(note, dict) or "en" not in note or not all(isinstance(v, str) for v in note.values()):
            raise ValueError("this trace's 'note' must map languages to texts, with an 'en' text.")
        trace._note = note
    return trace


# ---- version 2: nodes ----
def _only_ints(column):
    """Whether every entry is an int (not a bool, not a float): the types gathered in one pass in C."""
    return set(map(type, column)) <= _INT


_INT = {int}


def _ints(column, name, low, high):
    """column as an int64 array, every entry a whole number in [low, high); ValueError naming the first other."""
    if _only_ints(column) and (not column or (min(column) >= low and max(column) < high)):
        return np.array(column, dtype=np.int64)
    i = next(i for i, x in enumerate(column) if type(x) is not int or not low <= x < high)
    raise ValueError(f"node {i}: its '{name}' must be a whole number from {low} below {high}, got {_brief(column[i])}.")


def _pairs(nodes, key, n):
    """The [id, value] pairs of nodes[key], ids of existing nodes, each once."""
    pairs = nodes.get(key)
    if not isinstance(pairs, list):
        raise ValueError(f"this trace's nodes are missing their '{key}' list.")
    seen = set()
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not int or not 0 <= pair[0] < n \
                or pair[0] in seen:
            raise ValueError(f"this trace's node '{key}' list holds {_brief(pair)}; each entry is [node id, "
                             f"value], for an existing node, once.")
        seen.add(pair[0])
    return pairs


def _load_nodes(trace, nodes):
    if not isinstance(nodes, dict):
        raise ValueError("this trace is missing its 'nodes' columns.")
    for key in _NODE_COLUMNS:
        if not isinstance(nodes.get(key), list):
            raise ValueError(f"this trace's nodes are missing their '{key}' list.")
    ops = nodes["op"]
    n = len(ops)
    if any(len(nodes[key]) != n for key in _NODE_COLUMNS):
        raise ValueError(f"this trace's node lists op, a, b and pass must have one entry per node ({n}).")
    for i, op in enumerate(ops):
        if type(op) is not str or op not in _ARITY:
            raise ValueError(f"node {i} has op {_brief(op)}; expected '' (a leaf) or one of "
                             f"{', '.join(sorted(_ARITY)[1:])}.")
    a, b = _ints(nodes["a"], "a", -1, n), _ints(nodes["b"], "b", -1, n)
    passes = _ints(nodes["pass"], "pass", 0, 2**62)
    many = {nid: ids for nid, ids in _pairs(nodes, "many", n)}
    ids = np.arange(n)
    arity = np.array([-1 if _ARITY[op] is None else _ARITY[op] for op in ops], dtype=np.int64)
    stacked = np.zeros(n, dtype=bool)
    stacked[list(many)] = True
    ok = (a < ids) & (b < ids) & (
        ((arity == 0) & (a < 0) & (b < 0)) | ((arity == 1) & (a >= 0) & (b < 0)) | ((arity == 2) & (a >= 0) & (b >= 0))
        | ((arity == -1) & ~stacked & (a >= 0)) | ((arity == -1) & stacked & (a < 0) & (b < 0)))
    ok &= ~stacked | (arity == -1)
    if not ok.all():
        i = int(np.argmin(ok))
        parents = [int(p) for p in (a[i], b[i]) if p >= 0] if i not in many else many[i]
        raise ValueError(f"node {i}: op {ops[i]!r} with parents {_brief(parents)}; each parent must be an earlier "
                         f"node, as many as the op takes ({_ARITY[ops[i]] or 'one or more'}).")
    for nid, parents in many.items():
        if type(parents) is not list or len(parents) < 3 or any(type(p) is not int or not 0 <= p < nid
                                                                for p in parents):
            raise ValueError(f"node {nid} names parents {_brief(parents)}; each must be the id of an earlier node.")
        trace._many[nid] = tuple(parents)
    flat = [None] * (NODE_ROW * n)
    flat[0::NODE_ROW], flat[1::NODE_ROW], flat[2::NODE_ROW], flat[3::NODE_ROW] = ops, nodes["a"], nodes["b"], \
        nodes["pass"]
    trace._nodes = flat
    for nid, label in _pairs(nodes, "label", n):
        if type(label) is not str:
            raise ValueError(f"node {nid}: the label must be text, got {_brief(label)}.")
        trace._labels[nid] = _label_text(label)
    for nid, kind in _pairs(nodes, "kind", n):
        if ops[nid] != "" or kind not in _LEAF_KINDS:
            raise ValueError(f"node {nid} has kind {_brief(kind)}; a leaf (op '') has one of "
                             f"{', '.join(_LEAF_KINDS)}, a computed node none.")
        trace._leaf_kinds[nid] = kind
    leaves = int((arity == 0).sum())
    if len(trace._leaf_kinds) != leaves:
        i = next(i for i, op in enumerate(ops) if op == "" and i not in trace._leaf_kinds)
        raise ValueError(f"node {i} is a leaf without a kind (input, parameter or constant).")
    for nid, shape in _pairs(nodes, "shape", n):
        shape = _shape(shape, f"node {nid}")
        if shape:
            trace._shapes[nid] = shape
    for nid, arg in _pairs(nodes, "arg", n):
        arg = json_v1._arg(ops[nid], arg, f"node {nid}")
        if arg is not None:
            trace._args[nid] = arg
    for nid, init in _pairs(nodes, "init", n):
        init = _dec(init, f"node {nid}")
        if init is not None:
            if json_v1._shape_of(init) != trace._shapes.get(nid, ()):
                raise ValueError(f"node {nid}: its value has shape {list(json_v1._shape_of(init))}, but the node's "
                                 f"shape is {list(trace._shapes.get(nid, ()))}.")
            trace._init[nid] = init
    return a, b, arity


# ---- version 2: events ----
# Place j = 2 .. ROW-1 of an event row holds a stored value for these kinds (events.py); places 2
# and 3 of a backward event are its child and slot, kept in their own columns.
_VALUE_PLACES = np.zeros((5, ROW - 2), dtype=bool)
_VALUE_PLACES[FORWARD, :1] = True
_VALUE_PLACES[[SEED, UPDATE, GRAD], :2] = True
_VALUE_PLACES[BACKWARD, 2:] = True
_LOCAL = 5  # the place of a backward event's local derivative: the only one that may be null
NONE, FLOAT, OTHER = 0, 1, 2
_CODE = defaultdict(lambda: OTHER, {type(None): NONE, float: FLOAT})


def _events_document(trace):
    """The events as columns: kind, node, child and slot (backward events) as lists of ids; every
    stored number, row by row, as one base64 text of little-endian float64 (exact, nan and
    infinities included); the other stored values (arrays, summaries, a null local) as
    [event, place, value] entries."""
    ev = trace._events
    m = len(ev) // ROW
    kinds = ev[0::ROW]
    k = np.array(kinds, dtype=np.int64)
    backward = k == BACKWARD
    table = np.empty((m, ROW - 2), dtype=object)
    for j in range(2, ROW):
        table[:, j - 2] = np.fromiter(ev[j::ROW], dtype=object, count=m)
    places = _VALUE_PLACES[k]
    values = table[places]  # row by row, place by place
    codes = np.fromiter(map(_CODE.__getitem__, map(type, values)), dtype=np.int8, count=len(values))
    numbers = values[codes == FLOAT].astype("<f8")
    other = np.flatnonzero(codes != FLOAT)
    rows, cols = np.nonzero(places)
    return {
        "kind": kinds, "node": ev[1::ROW],
        "child": list(compress(ev[2::ROW], backward)), "slot": list(compress(ev[3::ROW], backward)),
        "numbers": base64.b64encode(numbers.tobytes()).decode("ascii"),
        "other": [[int(rows[i]), int(cols[i]) + 2, _enc(values[i])] for i in other],
    }


def _ids(column, name, n):
    """A list of whole numbers 0 <= id < n as an int64 array; ValueError naming the first other."""
    if not isinstance(column, list):
        raise ValueError(f"this trace's events are missing their '{name}' list.")
    if _only_ints(column) and (not column or (min(column) >= 0 and max(column) < n)):
        return np.array(column, dtype=np.int64)
    i = next(i for i, x in enumerate(column) if type(x) is not int or not 0 <= x < n)
    raise ValueError(f"this trace's event '{name}' list holds {_brief(column[i])} at {i}; expected a whole number "
                     f"from 0 below {n}.")


def _load(trace, doc):
    a, b, arity = _load_nodes(trace, doc.get("nodes"))
    events = doc.get("events")
    if not isinstance(events, dict):
        raise ValueError("this trace is missing its 'events' columns.")
    n_nodes = len(a)
    k = _ids(events.get("kind"), "kind", 5)
    m = len(k)
    node = _ids(events.get("node"), "node", n_nodes)
    if len(node) != m:
        raise ValueError(f"this trace's event lists 'kind' and 'node' must have one entry per event ({m}).")
    backward = k == BACKWARD
    rows_b = np.flatnonzero(backward)
    child = _ids(events.get("child"), "child", n_nodes)
    slot = _ids(events.get("slot"), "slot", 2**31)
    if len(child) != len(rows_b) or len(slot) != len(rows_b):
        raise ValueError(f"this trace's event lists 'child' and 'slot' must have one entry per backward event "
                         f"({len(rows_b)}).")
    numbers = events.get("numbers")
    try:
        numbers = np.frombuffer(base64.b64decode(numbers, validate=True), dtype="<f8")
    except (TypeError, ValueError):
        raise ValueError("this trace's event 'numbers' must be a base64 text of float64 numbers.") from None
    other = events.get("other")
    if not isinstance(other, list):
        raise ValueError("this trace's events are missing their 'other' list.")
    places = _VALUE_PLACES[k]
    special = {}
    for entry in other:
        if type(entry) is not list or len(entry) != 3 or type(entry[0]) is not int or type(entry[1]) is not int \
                or not 0 <= entry[0] < m or not 2 <= entry[1] < ROW or not places[entry[0], entry[1] - 2] \
                or (entry[0], entry[1]) in special:
            raise ValueError(f"this trace's event 'other' list holds {_brief(entry)}; each entry is [event, place, "
                             "value] for a place of that event that holds a value, once.")
        i, j = entry[0], entry[1]
        value = _dec(entry[2], f"event {i}")
        if value is None and not (k[i] == BACKWARD and j == _LOCAL):
            raise ValueError(f"event {i} is missing a number (null where a value is needed).")
        special[(i, j)] = value
    if len(numbers) + len(special) != int(places.sum()):
        raise ValueError(f"this trace's events hold {int(places.sum())} values, but its columns give "
                         f"{len(numbers)} numbers and {len(special)} other values.")
    # the rows, rebuilt as the Trace keeps them
    table = np.full((m, ROW), None, dtype=object)
    table[:, 0] = k.tolist()
    table[:, 1] = node.tolist()
    table[rows_b, 2] = child.tolist()
    table[rows_b, 3] = slot.tolist()
    if special:
        places = places.copy()
        for i, j in special:
            places[i, j - 2] = False
    value_places = np.zeros((m, ROW), dtype=bool)
    value_places[:, 2:] = places
    table[value_places] = numbers.astype(object)
    for (i, j), value in special.items():
        table[i, j] = value
    flat = table.ravel().tolist()
    # the checks that go column by column; what they find wrong, or events about arrays, go one by one
    slow = np.zeros(m, dtype=bool)
    for i, _ in special:
        slow[i] = True
    if len(rows_b):
        simple = (slot <= 1) & (arity[child] != -1)
        parent = np.where(slot == 0, a[child], b[child])
        slow[rows_b[~(simple & (parent == node[backward]))]] = True
    forward = k == FORWARD
    slow[np.flatnonzero(forward)[arity[node[forward]] == 0]] = True
    if trace._shapes:
        shaped = np.zeros(n_nodes, dtype=bool)
        shaped[list(trace._shapes)] = True
        slow |= shaped[node]
        slow[rows_b] |= shaped[child]
    for i in np.flatnonzero(slow):
        _event_row(trace, flat, int(i))
    trace._events = flat


def _event_row(trace, events, i):
    """Check event i with version 1's checks (shapes included), and write its decoded values back."""
    r = ROW * i
    row = events[r:r + ROW]
    ids, nvals = json_v1._EVENT_LAYOUT[row[0]]
    probe = type(trace)()
    probe._nodes, probe._many, probe._shapes, probe._leaf_kinds = trace._nodes, trace._many, trace._shapes, \
        trace._leaf_kinds
    json_v1._event(probe, i, [_enc(v) if isinstance(v, (np.ndarray, ArraySummary)) else v
                              for v in row[:ids + nvals]])
    events[r:r + ROW] = probe._events
