"""Replay: the same recorded graph with some leaves changed, every value and gradient computed again.

`replay(trace, {"a": 0.5})` rebuilds the recorded program from the trace alone: a new leaf Value
for every leaf (the changed ones holding their new data), then every recorded step in order, done
by the engine itself inside a fresh `record()` block: each forward event runs its op on the new
values, each seed runs `backward()` from the same node (which writes the backward events), each
`grad` event (zero_grad) sets the same gradient again. So the new trace is exactly what recording
the same code at the new values gives, and the result is checked to have the same structure
(nodes, events, passes) as the original.

What a replay refuses, each with a sentence: a name that is no input or parameter leaf (the known
leaves are named), a value of another shape (both shapes are named), a trace with `update` events
(a training step's new parameters came from code the trace does not record, such as its learning
rate, so re-running it would guess; replay the step before training instead), and data a trace
kept only as a summary (arrays of more than 1,024 numbers).
"""

from __future__ import annotations

import operator

import numpy as np

from backprop_viz.engine import Value, stack
from backprop_viz.engine.numeric import _shape
from backprop_viz.engine.recording import unrecorded
from backprop_viz.trace.events import ArraySummary

__all__ = ["replay", "editable_leaves", "LeafError"]


class LeafError(KeyError, ValueError):
    """A name given to replay() that is no leaf it may change (a KeyError and a ValueError)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "@": operator.matmul}
_UNARY = {
    "neg": lambda a, arg: -a,
    "**": lambda a, arg: a ** arg,
    "exp": lambda a, arg: a.exp(),
    "log": lambda a, arg: a.log(),
    "tanh": lambda a, arg: a.tanh(),
    "sigmoid": lambda a, arg: a.sigmoid(),
    "relu": lambda a, arg: a.relu(),
    "sum": lambda a, arg: a.sum(axis=arg),
    "mean": lambda a, arg: a.mean(axis=arg),
    "reshape": lambda a, arg: a.reshape(*arg),
    "T": lambda a, arg: a.T,
}


def editable_leaves(trace):
    """The ids of the leaves replay() may change: the inputs and parameters, in id order."""
    return [n.id for n in trace.nodes if not n.op and n.kind in ("input", "parameter")]


def _leaf_list(trace, ids):
    names = [trace.label(n) if trace.label(n) is not None else f"node {n}" for n in ids]
    return ", ".join(names) if names else "(none)"


def _resolve(trace, key):
    """The node id that `key` (a leaf's label or its node id) names."""
    leaves = editable_leaves(trace)
    known = _leaf_list(trace, leaves)
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        nid = int(key)
        if not 0 <= nid < trace.num_nodes:
            raise LeafError(f"node {nid} does not exist: this trace has {trace.num_nodes} nodes. "
                            f"Leaves you can change: {known}.")
        if nid not in leaves:
            what = "a computed value" if trace.op(nid) else "a constant (a number written into the formula)"
            raise LeafError(f"node {nid} is {what}; replay() changes inputs and parameters only: {known}.")
        return nid
    if not isinstance(key, str):
        raise TypeError(f"replay() names a leaf by its label or node id, not by a {type(key).__name__}.")
    found = [n for n in leaves if trace.label(n) == key]
    if not found:
        raise LeafError(f"this trace has no input or parameter called {key!r}. Leaves you can change: {known}.")
    if len(found) > 1:
        raise LeafError(f"several leaves are called {key!r} (nodes {', '.join(map(str, found))}); "
                        "give the node id of the one to change.")
    return found[0]


def _checked(trace, nid, x):
    """x as the new data of leaf nid: the engine's checks, and the leaf's own shape."""
    data = Value(x).data  # the engine refuses what a Value cannot hold, with its own sentence
    want, got = trace.shape(nid), _shape(data)
    if want != got:
        raise ValueError(f"{trace.name(nid)} has shape {want}, but the value given has shape {got}: "
                         "a replay keeps every shape.")
    return x


def _data(stored, shape, what):
    """Recorded data to compute with: a number or array; a summary only when all its numbers are equal."""
    if stored is None:
        raise ValueError(f"this trace does not hold {what}'s value, so it cannot be replayed.")
    if isinstance(stored, ArraySummary):
        if stored.min == stored.max:
            return np.full(shape, stored.min)
        raise ValueError(f"{what} was kept only as a summary (an array of more than 1,024 numbers), "
                         "so this trace cannot be replayed; give it a new value, or record a smaller example.")
    return stored


def replay(trace, values):
    """A new Trace: the same nodes and steps, with the leaves in `values` ({label or node id: data})
    changed and every value and gradient recomputed by the engine's own ops and rules."""
    if not hasattr(values, "items"):
        raise TypeError("replay() takes a dict of new leaf values, e.g. trace.replay({'a': 0.5}).")
    changes = {}
    for key, x in values.items():
        nid = _resolve(trace, key)
        changes[nid] = _checked(trace, nid, x)
    for i in range(len(trace)):
        if trace.kind_at(i) == "update":
            raise ValueError("this trace has training steps (its parameters were changed by an optimiser), "
                             "and the trace does not record how each new value was computed (the learning "
                             "rate, the optimiser); replay a recording of one forward and backward pass instead.")
    from backprop_viz.trace.recorder import record  # the recorder module imports trace.py, which imports this

    nodes = trace.nodes
    made = {}
    forwarded = {trace.node_at(i) for i in range(len(trace)) if trace.kind_at(i) == "forward"}
    with unrecorded():  # what the recording met ready-made is made outside the new block too
        for n in nodes:
            if not n.op:
                data = changes[n.id] if n.id in changes else _data(trace.initial(n.id), n.shape, trace.name(n.id))
                made[n.id] = Value(data, n.label, role=n.kind)
            elif n.id not in forwarded:
                made[n.id] = _compute(n, made)
    with record() as new:
        i, count = 0, len(trace)
        while i < count:
            kind, nid = trace.kind_at(i), trace.node_at(i)
            if kind == "forward":
                made[nid] = _compute(nodes[nid], made)
            elif kind == "seed":
                ev = trace.event(i)
                made[nid].backward(gradient=_data(ev.value, nodes[nid].shape, "the seed"))
            elif kind == "grad":
                ev = trace.event(i)
                made[nid].grad = _data(ev.after, nodes[nid].shape, f"the gradient of {trace.name(nid)}")
            i += 1
    _check_same(trace, new)
    return new


def _compute(n, made):
    """Node n's value from its parents' new Values, by the op that made it (its label set again)."""
    args = [made[p] for p in n.parents]
    if n.op in _BINARY:
        v = _BINARY[n.op](args[0], args[1])
    elif n.op in _UNARY:
        v = _UNARY[n.op](args[0], n.arg)
    elif n.op == "stack":
        v = stack(args, n.arg)
    else:
        raise ValueError(f"replay() does not know the op {n.op!r}, so this trace cannot be replayed.")
    if n.label is not None:
        v.label = n.label
    return v


def _check_same(old, new):
    """The replayed trace has the original's nodes, events and passes (else the replay is wrong)."""
    same = (old.num_nodes == new.num_nodes and len(old) == len(new) and old.pass_starts == new.pass_starts
            and all(a == b for a, b in zip(old.nodes, new.nodes))
            and all(old.kind_at(i) == new.kind_at(i) and old.node_at(i) == new.node_at(i) for i in range(len(old))))
    if not same:
        raise RuntimeError("replay() rebuilt a graph of another shape than the recorded one; "
                           "this is a bug in backprop_viz, please report it with the trace's JSON.")
