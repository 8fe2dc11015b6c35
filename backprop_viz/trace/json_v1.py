"""Saving a Trace as JSON text and loading it back, exactly, with a format version."""

from __future__ import annotations

import json
import math

import numpy as np

from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, NODE_ROW, ROW, SEED, UPDATE, ArraySummary

FORMAT = "backprop_viz.trace"
VERSION = 1

# Number of stored values each event kind carries after (kind, node[, child, slot]).
_EVENT_LAYOUT = {FORWARD: (2, 1), SEED: (2, 2), BACKWARD: (4, 5), UPDATE: (2, 2), GRAD: (2, 2)}
_NODE_FIELDS = ("label", "op", "parents", "kind", "shape", "pass", "arg", "init")
_KINDS = ("input", "parameter", "constant", "computed")
_ARITY = {"": 0, "+": 2, "-": 2, "*": 2, "/": 2, "@": 2, "neg": 1, "**": 1, "exp": 1, "log": 1, "tanh": 1,
          "sigmoid": 1, "relu": 1, "sum": 1, "mean": 1, "reshape": 1, "T": 1, "stack": None}  # None: one or more


def _enc(x):
    """A stored value as JSON: numbers (nan/inf as strings), arrays and summaries as objects."""
    if x is None:
        return None
    if isinstance(x, float):
        return x if math.isfinite(x) else repr(x)
    if isinstance(x, np.ndarray):
        return {"shape": list(x.shape), "data": [_enc(float(v)) for v in x.ravel()]}
    if isinstance(x, ArraySummary):
        return {"summary": {"shape": list(x.shape), "min": _enc(x.min), "max": _enc(x.max),
                            "mean": _enc(x.mean), "preview": [_enc(v) for v in x.preview]}}
    raise TypeError(f"cannot store a {type(x).__name__} in a trace")


def _enc_arg(arg):
    return list(arg) if isinstance(arg, tuple) else arg


def dumps(trace, indent=None):
    nodes = []
    for i in range(trace.num_nodes):
        nodes.append({
            "label": trace._labels.get(i), "op": trace._nodes[NODE_ROW * i], "parents": list(trace._parents_of(i)),
            "kind": trace._kind_of(i), "shape": list(trace._shapes.get(i, ())), "pass": trace._nodes[NODE_ROW * i + 3],
            "arg": _enc_arg(trace._args.get(i)), "init": _enc(trace._init.get(i)),
        })
    events = []
    flat = trace._events
    for r in range(0, len(flat), ROW):
        ids, nvals = _EVENT_LAYOUT[flat[r]]
        events.append(flat[r:r + ids] + [_enc(v) for v in flat[r + ids:r + ids + nvals]])
    doc = {"format": FORMAT, "version": VERSION, "nodes": nodes, "events": events,
           "pass_starts": list(trace._pass_starts)}
    if trace._note:
        doc["note"] = trace._note
    return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)


def _dec(x, where):
    """A stored value from JSON: a number, an array or an array summary; ValueError otherwise."""
    if x is None:
        return None
    if isinstance(x, bool):
        raise ValueError(f"{where}: expected a number, got {x!r}.")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        if x in ("nan", "inf", "-inf"):
            return float(x)
        raise ValueError(f"{where}: expected a number, got the text {x!r}.")
    if isinstance(x, dict) and "summary" in x:
        s = x["summary"]
        if not isinstance(s, dict) or any(k not in s for k in ("shape", "min", "max", "mean", "preview")) \
                or not isinstance(s["preview"], list):
            raise ValueError(f"{where}: an array summary needs shape, min, max, mean and a preview list.")
        numbers = [_number(s[k], where) for k in ("min", "max", "mean")]
        return ArraySummary(_shape(s["shape"], where), *numbers, tuple(_number(v, where) for v in s["preview"]))
    if isinstance(x, dict) and "shape" in x and "data" in x:
        shape = _shape(x["shape"], where)
        if not shape or not isinstance(x["data"], list):
            raise ValueError(f"{where}: an array needs a non-empty shape and a data list, got shape {x['shape']!r}.")
        data = [_number(v, where) for v in x["data"]]
        if len(data) != math.prod(shape):
            raise ValueError(f"{where}: {len(data)} numbers do not fill an array of shape {list(shape)}.")
        return np.array(data, dtype=np.float64).reshape(shape)
    raise ValueError(f"{where}: expected a number or an array, got {type(x).__name__}.")


def _number(x, where):
    value = _dec(x, where)
    if type(value) is not float:
        raise ValueError(f"{where}: expected a number, got {x!r}.")
    return value


def _shape(x, where):
    if not isinstance(x, list) or any(not _is_int(n) or n < 0 for n in x):
        raise ValueError(f"{where}: a shape must be a list of sizes (whole numbers >= 0), got {x!r}.")
    return tuple(x)


def _is_int(x):
    return type(x) is int  # not bool


def _shape_of(value):
    if value is None or type(value) is float:
        return ()
    return tuple(value.shape)


def _arg(op, arg, where):
    """The op's constant: exponent of '**', axis of sum/mean (None, int or list), shape of reshape / stack."""
    if op == "**" and isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return float(arg)
    if op in ("sum", "mean") and (arg is None or _is_int(arg)):
        return arg
    if op in ("sum", "mean", "reshape", "stack") and isinstance(arg, list) and all(_is_int(a) for a in arg):
        return tuple(arg)
    if op not in ("**", "sum", "mean", "reshape", "stack") and arg is None:
        return None
    raise ValueError(f"{where}: {arg!r} is not a valid parameter for op {op!r}.")


def _node(trace, i, node):
    where = f"node {i}"
    if not isinstance(node, dict):
        raise ValueError(f"{where} is not an object.")
    missing = [f for f in _NODE_FIELDS if f not in node]
    if missing:
        raise ValueError(f"{where} is missing the field(s) {', '.join(missing)}.")
    label, op, kind, parents = node["label"], node["op"], node["kind"], node["parents"]
    if label is not None and not isinstance(label, str):
        raise ValueError(f"{where}: the label must be text or null, got {label!r}.")
    if not isinstance(op, str) or op not in _ARITY:
        raise ValueError(f"{where} has op {op!r}; expected '' (a leaf) or one of {', '.join(sorted(_ARITY)[1:])}.")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"{where} has kind {kind!r}; expected one of {', '.join(_KINDS)}.")
    if (kind == "computed") != (op != ""):
        raise ValueError(f"{where}: a node of kind {kind!r} cannot have op {op!r} (only computed nodes have an op).")
    if not isinstance(parents, list) or any(not _is_int(p) or not 0 <= p < i for p in parents):
        raise ValueError(f"{where} names parents {parents!r}; each must be the id of an earlier node.")
    if len(parents) != _ARITY[op] and not (_ARITY[op] is None and parents):
        raise ValueError(f"{where}: op {op!r} takes {_ARITY[op] or 'one or more'} parent(s), not {len(parents)}.")
    if not _is_int(node["pass"]) or node["pass"] < 0:
        raise ValueError(f"{where}: 'pass' must be a pass number (0, 1, ...), got {node['pass']!r}.")
    shape = _shape(node["shape"], where)
    init = _dec(node["init"], where)
    if init is not None and _shape_of(init) != shape:
        raise ValueError(f"{where}: its value has shape {list(_shape_of(init))}, but the node's shape is {list(shape)}.")
    trace._add_node(op, tuple(parents), node["pass"], label, kind, shape, _arg(op, node["arg"], where), init)


def _event(trace, i, ev):
    where = f"event {i}"
    if type(ev) is not list or not ev or type(ev[0]) is not int or ev[0] not in _EVENT_LAYOUT:
        raise ValueError(f"{where} is not a known kind of step (a list starting with 0 to 4).")
    kind = ev[0]
    ids, nvals = _EVENT_LAYOUT[kind]
    if len(ev) != ids + nvals:
        raise ValueError(f"{where} has {len(ev)} fields, expected {ids + nvals}.")
    n = trace.num_nodes
    for nid in ev[1:3] if kind == BACKWARD else ev[1:2]:
        if not _is_int(nid) or not 0 <= nid < n:
            raise ValueError(f"{where} names node {nid!r}, which does not exist.")
    values = tuple(ev[ids:])
    if any(type(v) is not float for v in values):  # all plain numbers is the common case
        values = tuple(_dec(v, where) for v in values)
    required = values[:1] + values[2:] if kind == BACKWARD else values  # only `local` may be null
    if any(v is None for v in required):
        raise ValueError(f"{where} is missing a number (null where a value is needed).")
    node = ev[1]
    if kind == FORWARD:
        if trace._kind_of(node) != "computed":
            raise ValueError(f"{where} computes node {node}, which is a leaf ({trace._kind_of(node)}).")
        if _shape_of(values[0]) != trace._shapes.get(node, ()):
            raise ValueError(f"{where}: a value of shape {list(_shape_of(values[0]))} for node {node} of shape "
                             f"{list(trace._shapes.get(node, ()))}.")
    if kind == BACKWARD:
        child, slot = ev[2], ev[3]
        parents = trace._parents_of(child)
        if not _is_int(slot) or not 0 <= slot < len(parents) or parents[slot] != node:
            raise ValueError(f"{where}: node {node} is not parent {slot!r} of node {child}.")
    trace._append(*ev[:ids], *values)


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
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"this JSON is not a backprop_viz trace: its 'format' field is not {FORMAT!r}.")
    if doc.get("version") != VERSION:
        raise ValueError(f"this trace has format version {doc.get('version')!r}, but this backprop_viz "
                         f"reads version {VERSION}; save it again with a matching backprop_viz.")
    for key in ("nodes", "events", "pass_starts"):
        if not isinstance(doc.get(key), list):
            raise ValueError(f"this trace is missing its '{key}' list.")
    trace = cls()
    for i, node in enumerate(doc["nodes"]):
        _node(trace, i, node)
    for i, ev in enumerate(doc["events"]):
        _event(trace, i, ev)
    starts, n = doc["pass_starts"], len(trace)
    if any(not _is_int(s) for s in starts) or any(a >= b for a, b in zip(starts, starts[1:])) \
            or (starts and (starts[0] != 0 or starts[-1] >= n)) or (n and not starts):
        raise ValueError(f"this trace's 'pass_starts' must be increasing step numbers from 0, below its {n} "
                         f"steps; got {starts[:8]!r}{' …' if len(starts) > 8 else ''}.")
    trace._pass_starts = list(starts)
    note = doc.get("note")
    if note is not None:
        if not isinstance(note, dict) or "en" not in note or not all(isinstance(v, str) for v in note.values()):
            raise ValueError("this trace's 'note' must map languages to texts, with an 'en' text.")
        trace._note = note
    return trace
