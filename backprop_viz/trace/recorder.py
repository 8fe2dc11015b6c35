"""The recorder: what the engine calls while a `record()` block is active, turned into a Trace's events."""

from __future__ import annotations

import contextlib
import gc

from backprop_viz.engine import value as engine
from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, SEED, UPDATE, _store
from backprop_viz.trace.trace import Trace

__all__ = ["record"]


class _Recorder:
    """Receives the engine's calls while a `record()` block is active and appends events to a Trace.

    The hot path (forward, backward) is written out by hand: it runs once per node and once per
    edge of graphs with tens of thousands of nodes, and recording must stay within 1.5x of not
    recording (benchmarks/bench_trace.py).
    """

    __slots__ = ("trace", "_pass", "_has_backward", "_ends_on_forward", "_values", "_saved",
                 "_labels", "_ops", "_parents", "_kinds", "_shapes", "_node_pass", "_args", "_init", "_events",
                 "backward_steps")

    def __init__(self, trace):
        self.trace = trace
        self._pass = -1  # no pass yet: the first event starts pass 0
        self._has_backward = False  # the current pass has had its seed
        self._ends_on_forward = True  # the current pass had a backward or an update: a forward starts the next
        self._values = {}  # node id -> value after its last update event
        self._saved = []  # (value, recorder, id) of values another recording had given ids, see _restore
        # the trace's columns, bound here so the hot path does not look them up per node
        self._labels, self._ops, self._parents = trace._labels, trace._ops, trace._parents
        self._kinds, self._shapes, self._node_pass = trace._kinds, trace._shapes, trace._node_pass
        self._args, self._init, self._events = trace._args, trace._init, trace._events
        self.backward_steps = _backward_steps(self._events.append)

    def _detach(self):
        """Let go of the trace when recording ends: values keep pointing at this recorder (their ids
        belong to it), and must not keep a trace alive that its owner has dropped."""
        self.trace = self._labels = self._ops = self._parents = self._kinds = None
        self._shapes = self._node_pass = self._args = self._init = self._events = self._values = None

    def _restore(self):
        """Give back the ids an enclosing recording had given: a `with record()` inside another one
        must not change the outer trace's ids of the values both use."""
        for v, recorder, tid in reversed(self._saved):
            v._trec, v._tid = recorder, tid
        self._saved = None

    # ---- passes and node ids ----
    def _start_pass(self):
        self.trace._pass_starts.append(len(self._events))
        self._pass += 1
        self._has_backward = self._ends_on_forward = False

    def _id(self, v):
        return v._tid if v._trec is self else self._register(v)

    def _register(self, v):
        """Give a value made outside the recording an id (its ancestors first), known from the start."""
        stack = [v]
        while stack:
            top = stack[-1]
            pending = [p for p in top.parents if p._trec is not self]
            if pending:
                stack.extend(reversed(pending))  # so the first parent gets the first id
                continue
            stack.pop()
            if top._trec is not self:
                if top._trec is not None:
                    self._saved.append((top, top._trec, top._tid))
                top._tid = self.trace._append_node(top, tuple(p._tid for p in top.parents), _store(top._data),
                                                   max(self._pass, 0))
                top._trec = self
        return v._tid

    def _event(self, ev, starts_pass):
        if starts_pass or self._pass < 0:
            self._start_pass()
        self._events.append(ev)

    # ---- what the engine calls ----
    def forward(self, v):
        if self._ends_on_forward:
            self._start_pass()
        a, b = v._a, v._b
        if b is not None and type(b) is not tuple:
            if a._trec is not self:
                self._register(a)
            if b._trec is not self:
                self._register(b)
            ids = (a._tid, b._tid)
        else:
            parents = engine._parents(v)
            for p in parents:
                if p._trec is not self:
                    self._register(p)
            ids = tuple([p._tid for p in parents])
        nid = len(self._ops)
        v._trec = self
        v._tid = nid
        d = v._data
        self._labels.append(v._label)
        self._ops.append(v.op)
        self._parents.append(ids)
        self._kinds.append("computed")
        self._node_pass.append(self._pass)
        self._args.append(v._arg)
        self._init.append(None)
        if type(d) is float:
            self._shapes.append(())
            self._events.append((FORWARD, nid, d))
        else:
            self._shapes.append(d.shape)
            self._events.append((FORWARD, nid, _store(d)))

    def seed(self, root, seed):
        nid = self._id(root)
        self._event((SEED, nid, _store(seed), _store(root._grad)), self._has_backward)
        self._has_backward = self._ends_on_forward = True

    def update(self, v, new):
        nid = self._id(v)
        # The value the trace holds, not v.data: `p.data -= ...` on an array has already changed it in place.
        before = self._values[nid] if nid in self._values else self._init[nid]
        if before is None:
            before = _store(v._data)
        after = self._values[nid] = _store(new)
        self._event((UPDATE, nid, before, after), False)
        self._ends_on_forward = True

    def set_grad(self, v, new):
        nid = self._id(v)
        # zero_grad alone does not end a pass: `zero_grad(); forward; backward; step` stays one pass
        self._event((GRAD, nid, _store(v._grad), _store(new)), False)

    def relabel(self, v):
        self._labels[v._tid] = v._label


def _backward_steps(emit):
    """For each op, a function that adds a node's contributions to its parents' gradients (as the
    engine does: before + contribution) and emits one backward event per edge.

    seed() has registered the root with all its ancestors, so every node met has its id. Scalar
    + * ** tanh relu (most of a scalar MLP) are written out, as the engine's _FAST_STEPS: no rule
    tuples, one event tuple per edge; they give the rules' events bit for bit (trace_of, which runs
    the rules, must equal a live recording: tests/test_trace.py).
    """
    rules = engine._BACKWARD
    _pow = engine._pow

    def any_op(node):
        g = node._grad
        b = node._b
        parents = b if type(b) is tuple else (node._a, b)
        for slot, local, contribution in rules[node.op](node, g):
            parent = parents[slot]
            if parent.role == "constant":  # numbers written into an expression need no gradient
                continue
            before = parent._grad
            parent._grad = after = before + contribution
            if type(after) is float and type(local) is float and type(g) is float:
                emit((BACKWARD, parent._tid, node._tid, slot, g, local, contribution, before, after))
            else:
                emit((BACKWARD, parent._tid, node._tid, slot, _store(g), _store(local), _store(contribution),
                      _store(before), _store(after)))

    def add(node):
        g = node._grad
        if type(g) is not float:
            return any_op(node)
        a, b, nid = node._a, node._b, node._tid
        if a.role != "constant":
            before = a._grad
            a._grad = after = before + g
            emit((BACKWARD, a._tid, nid, 0, g, 1.0, g, before, after))
        if b.role != "constant":
            before = b._grad
            b._grad = after = before + g
            emit((BACKWARD, b._tid, nid, 1, g, 1.0, g, before, after))

    def mul(node):
        g = node._grad
        if type(g) is not float:
            return any_op(node)
        a, b, nid = node._a, node._b, node._tid
        x, y = a._data, b._data
        if a.role != "constant":
            before, c = a._grad, g * y
            a._grad = after = before + c
            emit((BACKWARD, a._tid, nid, 0, g, y, c, before, after))
        if b.role != "constant":
            before, c = b._grad, g * x
            b._grad = after = before + c
            emit((BACKWARD, b._tid, nid, 1, g, x, c, before, after))

    def one(node, local):
        """The event of a scalar node with one parent, whose local derivative is `local`."""
        a, g = node._a, node._grad
        if a.role != "constant":
            before, c = a._grad, g * local
            a._grad = after = before + c
            emit((BACKWARD, a._tid, node._tid, 0, g, local, c, before, after))

    def pow_(node):
        if type(node._grad) is not float:
            return any_op(node)
        c = node._arg
        one(node, c * _pow(node._a._data, c - 1.0))

    def tanh(node):
        if type(node._grad) is not float:
            return any_op(node)
        t = node._data
        one(node, 1.0 - t * t)

    def relu(node):
        if type(node._grad) is not float:
            return any_op(node)
        one(node, 1.0 if node._a._data > 0 else 0.0)

    fast = {"+": add, "*": mul, "**": pow_, "tanh": tanh, "relu": relu}
    assert set(fast) == set(engine._FAST_STEPS)  # the same ops as the engine's fast path
    return {**dict.fromkeys(rules, any_op), **fast}


@contextlib.contextmanager
def record():
    """Record everything the engine does inside the block: `with record() as trace: ...`.

    Python's cyclic garbage collector is paused inside the block (and resumed after it): the
    graph and the trace hold no reference cycles, and every event allocated would otherwise
    bring full-heap collections sooner, which made recording a 65,000-node step twice as slow.
    """
    trace = Trace()
    recorder = _Recorder(trace)
    previous = engine._set_recorder(recorder)
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield trace
    finally:
        engine._set_recorder(previous)
        recorder._restore()
        recorder._detach()
        if collecting:
            gc.enable()

