"""Saving a Trace as JSON text and loading it back, exactly, with a format version."""

from __future__ import annotations

import json
import math

import numpy as np

from backprop_viz.trace import BACKWARD, FORWARD, GRAD, SEED, UPDATE, ArraySummary

FORMAT = "backprop_viz.trace"
VERSION = 1

# Number of stored values each event kind carries after (kind, node[, child, slot]).
_EVENT_LAYOUT = {FORWARD: (2, 1), SEED: (2, 2), BACKWARD: (4, 5), UPDATE: (2, 2), GRAD: (2, 2)}
_NODE_FIELDS = ("label", "op", "parents", "kind", "shape", "pass", "arg", "init")
_KINDS = ("input", "parameter", "constant", "computed")


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


def _dec(x, where):
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
        try:
            return ArraySummary(tuple(s["shape"]), _dec(s["min"], where), _dec(s["max"], where),
                                _dec(s["mean"], where), tuple(_dec(v, where) for v in s["preview"]))
        except (KeyError, TypeError):
            raise ValueError(f"{where}: an array summary needs shape, min, max, mean and preview.") from None
    if isinstance(x, dict) and "shape" in x and "data" in x:
        data = [_dec(v, where) for v in x["data"]]
        try:
            return np.array(data, dtype=np.float64).reshape(tuple(x["shape"]))
        except (ValueError, TypeError):
            raise ValueError(f"{where}: {len(data)} numbers do not fill an array of shape {x['shape']}.") from None
    raise ValueError(f"{where}: expected a number or an array, got {type(x).__name__}.")


def _enc_arg(arg):
    return list(arg) if isinstance(arg, tuple) else arg


def dumps(trace, indent=None):
    nodes = []
    for i in range(len(trace._ops)):
        nodes.append({
            "label": trace._labels[i], "op": trace._ops[i], "parents": list(trace._parents[i]),
            "kind": trace._kinds[i], "shape": list(trace._shapes[i]), "pass": trace._node_pass[i],
            "arg": _enc_arg(trace._args[i]), "init": _enc(trace._init[i]),
        })
    events = []
    for ev in trace._events:
        ids, nvals = _EVENT_LAYOUT[ev[0]]
        events.append(list(ev[:ids]) + [_enc(v) for v in ev[ids:ids + nvals]])
    doc = {"format": FORMAT, "version": VERSION, "nodes": nodes, "events": events,
           "pass_starts": list(trace._pass_starts)}
    return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)


def loads(cls, text):
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"Trace.from_json() takes JSON text, not {type(text).__name__}.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"this is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                         "pass the text that Trace.to_json() wrote.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"this JSON is not a backprop_viz trace: its 'format' field is not {FORMAT!r}.")
    if doc.get("version") != VERSION:
        raise ValueError(f"this trace has format version {doc.get('version')!r}, but this backprop_viz "
                         f"reads version {VERSION}; save it again with a matching backprop_viz.")
    for key in ("nodes", "events", "pass_starts"):
        if not isinstance(doc.get(key), list):
            raise ValueError(f"this trace is missing its '{key}' list.")
    trace = cls()
    n = len(doc["nodes"])
    for i, node in enumerate(doc["nodes"]):
        where = f"node {i}"
        if not isinstance(node, dict):
            raise ValueError(f"{where} is not an object.")
        missing = [f for f in _NODE_FIELDS if f not in node]
        if missing:
            raise ValueError(f"{where} is missing the field(s) {', '.join(missing)}.")
        parents = node["parents"]
        if not isinstance(parents, list) or any(not isinstance(p, int) or not 0 <= p < i for p in parents):
            raise ValueError(f"{where} names parents {parents!r}; each must be the id of an earlier node.")
        if node["kind"] not in _KINDS:
            raise ValueError(f"{where} has kind {node['kind']!r}; expected one of {', '.join(_KINDS)}.")
        trace._labels.append(node["label"])
        trace._ops.append(node["op"])
        trace._parents.append(tuple(parents))
        trace._kinds.append(node["kind"])
        trace._shapes.append(tuple(node["shape"]))
        trace._node_pass.append(node["pass"])
        arg = node["arg"]
        trace._args.append(tuple(arg) if isinstance(arg, list) else arg)
        trace._init.append(_dec(node["init"], where))
    for i, ev in enumerate(doc["events"]):
        where = f"event {i}"
        if not isinstance(ev, list) or not ev or ev[0] not in _EVENT_LAYOUT:
            raise ValueError(f"{where} is not a known kind of step.")
        ids, nvals = _EVENT_LAYOUT[ev[0]]
        if len(ev) != ids + nvals:
            raise ValueError(f"{where} has {len(ev)} fields, expected {ids + nvals}.")
        if not isinstance(ev[1], int) or not 0 <= ev[1] < n:
            raise ValueError(f"{where} names node {ev[1]!r}, which does not exist.")
        if ev[0] == BACKWARD and (not isinstance(ev[2], int) or not 0 <= ev[2] < n):
            raise ValueError(f"{where} names node {ev[2]!r}, which does not exist.")
        trace._events.append(tuple(ev[:ids]) + tuple(_dec(v, where) for v in ev[ids:]))
    starts = doc["pass_starts"]
    if any(not isinstance(s, int) for s in starts) or starts != sorted(starts):
        raise ValueError("this trace's 'pass_starts' must be increasing step numbers.")
    trace._pass_starts = list(starts)
    return trace
