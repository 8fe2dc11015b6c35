"""The first trace file format (version 1: an object per node, a list per event), and the codec of
stored values (numbers, arrays, summaries) both formats share. json_io.py reads and writes files."""

from __future__ import annotations

import json
import math

import numpy as np

from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, NODE_ROW, ROW, SEED, UPDATE, ArraySummary

from backprop_viz.engine.inputs import _label_text

MAX_SIZE = 2**31  # a size in a shape; a file may name no bigger array than numpy makes
MAX_NDIM = 32

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
    if isinstance(arg, float):
        return _enc(arg)  # an exponent of nan or inf as a text
    return list(arg) if isinstance(arg, tuple) else arg


def document(trace):
    """The version-1 document of a trace (a dict for json.dumps)."""
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
    return {"format": "backprop_viz.trace", "version": 1, "nodes": nodes, "events": events,
            "pass_starts": list(trace._pass_starts)}


def _dec(x, where):
    """A stored value from JSON: a number, an array or an array summary; ValueError otherwise."""
    if x is None:
        return None
    if isinstance(x, bool):
        raise ValueError(f"{where}: expected a number, got {x!r}.")
    if isinstance(x, (int, float)):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{where}: the number {str(x)[:8]}…({len(str(x))} digits) is too large for a float.") \
                from None
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
    if not isinstance(x, list) or len(x) > MAX_NDIM or any(not _is_int(n) or not 0 <= n < MAX_SIZE for n in x):
        raise ValueError(f"{where}: a shape must be a list of at most {MAX_NDIM} sizes (whole numbers from 0 "
                         f"below 2**31), got {_brief(x)}.")
    return tuple(x)


def _brief(x):
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(x):
    return type(x) is int  # not bool


def _shape_of(value):
    if value is None or type(value) is float:
        return ()
    return tuple(value.shape)  # an array or an ArraySummary


def _arg(op, arg, where):
    """The op's constant: exponent of '**', axis of sum/mean (None, int or list), shape of reshape / stack."""
    if op == "**" and (isinstance(arg, (int, float)) and not isinstance(arg, bool) or arg in ("nan", "inf", "-inf")):
        return _number(arg, where)
    if op in ("sum", "mean") and (arg is None or _is_int(arg)):
        return arg
    if op in ("sum", "mean", "reshape", "stack") and isinstance(arg, list) and all(_is_int(a) for a in arg):
        return tuple(arg)
    if op not in ("**", "sum", "mean", "reshape", "stack") and arg is None:
        return None
    raise ValueError(f"{where}: {_brief(arg)} is not a valid parameter for op {op!r}.")


def _node(trace, i, node):
    where = f"node {i}"
    if not isinstance(node, dict):
        raise ValueError(f"{where} is not an object.")
    missing = [f for f in _NODE_FIELDS if f not in node]
    if missing:
        raise ValueError(f"{where} is missing the field(s) {', '.join(missing)}.")
    label, op, kind, parents = node["label"], node["op"], node["kind"], node["parents"]
    if label is not None and not isinstance(label, str):
        raise ValueError(f"{where}: the label must be text or null, got {_brief(label)}.")
    if not isinstance(op, str) or op not in _ARITY:
        raise ValueError(f"{where} has op {_brief(op)}; expected '' (a leaf) or one of {', '.join(sorted(_ARITY)[1:])}.")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"{where} has kind {_brief(kind)}; expected one of {', '.join(_KINDS)}.")
    if (kind == "computed") != (op != ""):
        raise ValueError(f"{where}: a node of kind {kind!r} cannot have op {op!r} (only computed nodes have an op).")
    if not isinstance(parents, list) or any(not _is_int(p) or not 0 <= p < i for p in parents):
        raise ValueError(f"{where} names parents {_brief(parents)}; each must be the id of an earlier node.")
    if len(parents) != _ARITY[op] and not (_ARITY[op] is None and parents):
        raise ValueError(f"{where}: op {op!r} takes {_ARITY[op] or 'one or more'} parent(s), not {len(parents)}.")
    if not _is_int(node["pass"]) or node["pass"] < 0:
        raise ValueError(f"{where}: 'pass' must be a pass number (0, 1, ...), got {_brief(node['pass'])}.")
    shape = _shape(node["shape"], where)
    init = _dec(node["init"], where)
    if init is not None and _shape_of(init) != shape:
        raise ValueError(f"{where}: its value has shape {list(_shape_of(init))}, but the node's shape is {list(shape)}.")
    label = None if label is None else _label_text(label)
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
            raise ValueError(f"{where} names node {_brief(nid)}, which does not exist.")
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
            raise ValueError(f"{where}: node {node} is not parent {_brief(slot)} of node {child}.")
    check_shapes(trace, where, kind, node, ev[2] if kind == BACKWARD else None, values)
    trace._append(*ev[:ids], *values)


_FIELDS = {SEED: ("seed", "after"), UPDATE: ("before", "after"), GRAD: ("before", "after"),
           BACKWARD: ("upstream", "local", "contribution", "before", "after")}


def check_shapes(trace, where, kind, node, child, values):
    """Each stored value has the shape of what it is about: a node's value, gradient or update its
    node's shape; along an edge, the upstream gradient the child's, and the local derivative one
    that broadcasts to the child's (it may be the other operand's, as for a · b)."""
    if kind == FORWARD:
        return
    shape = trace._shapes.get(node, ())
    wanted = [shape] * len(values)
    if kind == BACKWARD:
        wanted[0] = trace._shapes.get(child, ())
        wanted[1] = None
    for name, want, value in zip(_FIELDS[kind], wanted, values):
        have = _shape_of(value)
        if want is None:
            if value is None:
                continue
            try:
                fits = np.broadcast_shapes(have, trace._shapes.get(child, ())) == trace._shapes.get(child, ())
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{where}: a local derivative of shape {list(have)} for node {child} of shape "
                                 f"{list(trace._shapes.get(child, ()))}.")
        elif have != want:
            about = child if kind == BACKWARD and name == "upstream" else node
            raise ValueError(f"{where}: its {name} has shape {list(have)}, but node {about} has shape {list(want)}.")


def load(trace, doc):
    """Fill an empty trace from a version-1 document (its nodes and events; json_io checks the rest)."""
    for key in ("nodes", "events"):
        if not isinstance(doc.get(key), list):
            raise ValueError(f"this trace is missing its '{key}' list.")
    for i, node in enumerate(doc["nodes"]):
        _node(trace, i, node)
    for i, ev in enumerate(doc["events"]):
        _event(trace, i, ev)
