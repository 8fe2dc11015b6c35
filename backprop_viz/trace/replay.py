"""Replay: the same recorded graph with some leaves changed, every value and gradient computed again.

`replay(trace, {"a": 0.5})` works from the trace alone: a new Value for every leaf (the changed ones
holding their new data), every computed node's value by the engine's own op on its parents' new
values, then the recorded events in their order with the new numbers: a seed zeroes the interior
gradients below it and adds dL/dL, each backward event adds the contribution rules.contributions
gives for its edge (what Value.backward does), a `grad` event (zero_grad) sets the same gradient
again. So the new trace is what recording the same code at the new values gives, bit for bit
(tests/test_trace_replay.py compares both on random graphs). The note of a trace is not kept.

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
from backprop_viz.engine.numeric import _quiet, _shape, _zero_like
from backprop_viz.engine.recording import unrecorded
from backprop_viz.engine.rules import contributions
from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, SEED, ArraySummary, _store

__all__ = ["replay", "editable_leaves", "leaf_id", "LeafError"]


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


def leaf_id(trace, key):
    """The node id of the input or parameter leaf `key` names (its label or node id); a LeafError
    naming the leaves one can change otherwise."""
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
        nid = leaf_id(trace, key)
        changes[nid] = _checked(trace, nid, x)
    for i in range(len(trace)):
        if trace.kind_at(i) == "update":
            raise ValueError("this trace has training steps (its parameters were changed by an optimiser), "
                             "and the trace does not record how each new value was computed (the learning "
                             "rate, the optimiser); replay a recording of one forward and backward pass instead.")
    nodes = trace.nodes
    new = type(trace)()
    made = []  # node id -> a Value holding its new data (parents always have smaller ids)
    with unrecorded(), _quiet():  # nothing here lands in a recording the caller has open
        for n in nodes:
            if not n.op:
                data = changes[n.id] if n.id in changes else _data(trace.initial(n.id), n.shape, trace.name(n.id))
                v = Value(data, role=n.kind)
            else:
                v = _compute(n, made)
            made.append(v)
            # a node the recording met ready-made (a leaf, or computed before the block) holds its value
            init = None if trace.initial(n.id) is None else _store(v.data)
            new._add_node(n.op, n.parents, n.pass_index, n.label, n.kind, n.shape, n.arg, init)
        _events(trace, new, nodes, made)
    new._pass_starts = list(trace.pass_starts)
    return new


def _events(trace, new, nodes, made):
    """The recorded events again, in their order, with the new numbers: forward values, and the
    backward passes as Value.backward runs them (interior gradients start at zero at each seed,
    leaf gradients add up; each contribution from rules.contributions)."""
    grads = {}
    last = None  # (child, its contributions) for the child whose edges are being replayed

    def grad_of(nid):
        if nid not in grads:  # a leaf's gradient before the recording touched it, as the recording saw it
            grads[nid] = _zero_like(made[nid].data) if nodes[nid].op else _first_before(trace, nid, made[nid].data)
        return grads[nid]

    for i in range(len(trace)):
        kind, nid = trace.kind_at(i), trace.node_at(i)
        if kind == "forward":
            new._append(FORWARD, nid, _store(made[nid].data))
        elif kind == "seed":
            ev = trace.event(i)
            for a in _ancestors(trace, nid):
                if nodes[a].op:
                    grads[a] = _zero_like(made[a].data)
            seed = _data(ev.value, nodes[nid].shape, "the seed")
            grads[nid] = grad_of(nid) + seed
            new._append(SEED, nid, _store(seed), _store(grads[nid]))
            last = None
        elif kind == "backward":
            ev = trace.event(i)
            child = ev.child
            if last is None or last[0] != child:
                last = (child, {s: (lo, c) for s, lo, c in contributions(made[child], grad_of(child))})
            local, contribution = last[1][ev.slot]
            before = grad_of(nid)
            after = grads[nid] = before + contribution  # += upstream * local: the chain rule
            new._append(BACKWARD, nid, child, ev.slot, _store(grads[child]), _store(local), _store(contribution),
                        _store(before), _store(after))
        else:  # a gradient set by the code (zero_grad): set to the same number again
            ev = trace.event(i)
            before = grad_of(nid)
            grads[nid] = _data(ev.after, nodes[nid].shape, f"the gradient of {trace.name(nid)}")
            new._append(GRAD, nid, _store(before), _store(grads[nid]))


def _first_before(trace, nid, data):
    """The gradient leaf nid had before the first recorded event that changed it (zero if none)."""
    for i in range(len(trace)):
        if trace.node_at(i) == nid and trace.kind_at(i) in ("seed", "backward", "grad"):
            ev = trace.event(i)
            if ev.kind == "seed":
                return _zero_like(data)  # the seed's gradient before is not recorded; a leaf root starts at 0
            return _data(ev.before, _shape(data), f"the gradient of {trace.name(nid)}")
    return _zero_like(data)


def _ancestors(trace, root):
    """root and every node it was computed from."""
    seen, todo = {root}, [root]
    while todo:
        for p in trace.parents(todo.pop()):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


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
    return v
