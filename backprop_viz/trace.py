"""Recording: the engine's forward, backward and update steps as a list of events, and snapshots of them."""

from __future__ import annotations

import contextlib
import gc
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_viz import engine

__all__ = ["record", "trace_of", "Trace", "Snapshot", "NodeInfo", "Event", "ArraySummary", "fmt"]

# Event kinds, stored as small ints in tuples (the recording hot path builds one tuple per event):
#   (FORWARD, node, value)
#   (SEED, node, seed, after)
#   (BACKWARD, parent, child, slot, upstream, local, contribution, before, after)
#   (UPDATE, node, before, after)
#   (GRAD, node, before, after)
FORWARD, SEED, BACKWARD, UPDATE, GRAD = range(5)
KIND_NAMES = ("forward", "seed", "backward", "update", "grad")
PHASES = ("forward", "backward", "backward", "update", "update")

FULL_ARRAY_LIMIT = 1024  # arrays up to this many numbers are kept whole, bigger ones summarised


@dataclass(frozen=True)
class ArraySummary:
    """A large array kept as summary numbers and its first few elements."""

    shape: tuple
    min: float
    max: float
    mean: float
    preview: tuple

    @staticmethod
    def of(a):
        with np.errstate(all="ignore"):
            return ArraySummary(
                tuple(a.shape), float(np.min(a)), float(np.max(a)), float(np.mean(a)),
                tuple(float(x) for x in a.ravel()[:8]),
            )


@dataclass(frozen=True)
class NodeInfo:
    """One node of a recorded graph: its id in the trace, how it was made, and what kind it is."""

    id: int
    label: str | None
    op: str
    parents: tuple
    kind: str  # input / parameter / constant / computed
    shape: tuple
    pass_index: int
    arg: Any = None


@dataclass(frozen=True)
class Event:
    """One recorded step (see the module's event kinds)."""

    kind: str
    node: int
    pass_index: int
    child: int | None = None
    slot: int | None = None
    value: Any = None
    upstream: Any = None
    local: Any = None
    contribution: Any = None
    before: Any = None
    after: Any = None


def _store(x):
    """What the trace keeps of a value: a float, a copy of a small array, or a summary."""
    if x is None or type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return float(x)
        return x.copy() if x.size <= FULL_ARRAY_LIMIT else ArraySummary.of(x)
    return float(x)


def fmt(x, digits=4):
    """Short text of a number, array or summary, e.g. '-6.0', '0.5013', 'array 100×16'."""
    if x is None:
        return ""
    if isinstance(x, ArraySummary):
        return f"array {'×'.join(map(str, x.shape))} (mean {fmt(x.mean, digits)})"
    if isinstance(x, np.ndarray):
        if x.size <= 4 and x.ndim == 1:
            return "[" + ", ".join(fmt(float(v), digits) for v in x) + "]"
        with np.errstate(all="ignore"):
            return f"array {'×'.join(map(str, x.shape))} (mean {fmt(float(np.mean(x)), digits)})"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    exact = repr(x)
    if len(exact) <= digits + 2 and "e" not in exact:
        return exact  # short and exact, e.g. 0.5 or -0.25
    text = f"{x:#.{digits}g}"  # '#' keeps trailing zeros: 0.49996 shows as 0.5000, not as 0.5
    if text.endswith("."):  # 1195.0027 -> '1195.' : show one decimal instead of a bare point
        return f"{x:.1f}"
    return text.replace(".e", "e")


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


def trace_of(loss):
    """The trace of an already-built graph: its forward steps in order, then its backward pass.

    Gives the same events as recording the computation and `loss.backward()` live, starting
    from zero gradients. The graph's own `.grad` values are not touched.
    """
    if not isinstance(loss, engine.Value):
        raise TypeError(f"trace_of() takes the Value a graph ends in (e.g. the loss), not {type(loss).__name__}.")
    d = loss._data
    if type(d) is not float and d.size != 1:
        raise ValueError(f"trace_of() needs a scalar to run backward from; this value has shape {d.shape}.")
    trace = Trace()
    trace._pass_starts.append(0)
    ids = {}  # kept here, not on the values, so the caller's graph stays unmarked
    for v in engine._topological_order(loss):
        parents = v.parents
        if not parents:
            continue
        for p in parents:  # leaves enter when first used, as in a live recording
            if p not in ids:
                ids[p] = trace._append_node(p, (), _store(p._data))
        ids[v] = trace._append_node(v, tuple(ids[p] for p in parents))
        trace._events.append((FORWARD, ids[v], _store(v._data)))
    if loss not in ids:
        ids[loss] = trace._append_node(loss, (), _store(d))
    # the backward pass, replayed on a side table so the graph's own gradients stay as they are
    order = list(ids)
    grads = {v: engine._zero_like(v._data) for v in order}
    seed = 1.0 if type(d) is float else np.ones_like(d)
    grads[loss] = grads[loss] + seed
    trace._events.append((SEED, ids[loss], _store(seed), _store(grads[loss])))
    with engine._quiet():  # as in Value.backward: an inf or nan flows on without numpy warnings
        for node in sorted(order, key=engine._by_creation, reverse=True):
            parents = node.parents
            if not parents:
                continue
            g = grads[node]
            for slot, local, contribution in engine._BACKWARD[node.op](node, g):
                parent = parents[slot]
                if parent.role == "constant":
                    continue
                before = grads[parent]
                grads[parent] = after = before + contribution
                trace._events.append((BACKWARD, ids[parent], ids[node], slot, _store(g), _store(local),
                                      _store(contribution), _store(before), _store(after)))
    return trace


class Trace:
    """Everything recorded: the nodes met, the events in order, split into passes."""

    def __init__(self):
        self._labels, self._ops, self._parents, self._kinds = [], [], [], []
        self._shapes, self._node_pass, self._args, self._init = [], [], [], []
        self._events = []
        self._pass_starts = []
        self._checkpoints = []
        self._pass_nodes = {}
        self._cache_key = (0, 0)  # (events, nodes) the caches above were computed for

    def _append_node(self, v, parents, init=None, pass_index=None):
        nid = len(self._ops)
        self._labels.append(v._label)
        self._ops.append(v.op)
        self._parents.append(parents)
        self._kinds.append("computed" if v.op else v.role)
        self._shapes.append(engine._shape(v._data))
        self._node_pass.append(max(len(self._pass_starts) - 1, 0) if pass_index is None else pass_index)
        self._args.append(v._arg)
        self._init.append(init)
        return nid

    def _check_caches(self):
        """Drop checkpoints and pass nodes computed before the trace grew (recording appends only)."""
        key = (len(self._events), len(self._ops))
        if key != self._cache_key:
            self._checkpoints = []
            self._pass_nodes = {}
            self._cache_key = key

    # ---- nodes and events ----
    def __len__(self):
        return len(self._events)

    def __repr__(self):
        return f"<Trace: {len(self._ops)} nodes, {len(self)} steps, {self.passes} pass(es)>"

    @property
    def nodes(self):
        return [self.node(i) for i in range(len(self._ops))]

    def node(self, nid):
        return NodeInfo(nid, self._labels[nid], self._ops[nid], self._parents[nid], self._kinds[nid],
                        self._shapes[nid], self._node_pass[nid], self._args[nid])

    def name(self, nid):
        """The name a student sees for node `nid`: its label, a constant's value, or v<id>."""
        label = self._labels[nid]
        if label:
            return label
        if self._kinds[nid] == "constant":
            return fmt(self._init[nid])
        return f"v{nid}"

    @property
    def events(self):
        return [self.event(i) for i in range(len(self._events))]

    def event(self, i):
        ev = self._events[i]
        kind, node, p = ev[0], ev[1], self.pass_of(i)
        if kind == FORWARD:
            return Event("forward", node, p, value=ev[2])
        if kind == SEED:
            return Event("seed", node, p, value=ev[2], after=ev[3])
        if kind == BACKWARD:
            return Event("backward", node, p, child=ev[2], slot=ev[3], upstream=ev[4], local=ev[5],
                         contribution=ev[6], before=ev[7], after=ev[8])
        return Event(KIND_NAMES[kind], node, p, value=ev[3], before=ev[2], after=ev[3])

    # ---- passes ----
    @property
    def passes(self):
        return len(self._pass_starts)

    def pass_of(self, i):
        """The pass that event i belongs to."""
        starts = self._pass_starts
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= i:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def pass_range(self, p):
        """(start, stop): the events of pass p are events[start:stop]."""
        if not 0 <= p < max(self.passes, 1):
            raise IndexError(f"pass {p} does not exist: this trace has {self.passes} pass(es).")
        if not self._pass_starts:
            return (0, 0)
        stop = self._pass_starts[p + 1] if p + 1 < len(self._pass_starts) else len(self._events)
        return (self._pass_starts[p], stop)

    def pass_nodes(self, p):
        """The ids drawn for pass p: nodes its events touch, with the inputs of its computed nodes."""
        self._check_caches()
        if p in self._pass_nodes:
            return self._pass_nodes[p]
        start, stop = self.pass_range(p)
        ids = set()
        for ev in self._events[start:stop]:
            ids.add(ev[1])
            if ev[0] == FORWARD:
                ids.update(self._parents[ev[1]])
            elif ev[0] == BACKWARD:
                ids.add(ev[2])
        if not ids and not self._events:
            ids = set(range(len(self._ops)))
        result = tuple(sorted(ids))
        self._pass_nodes[p] = result
        return result

    # ---- snapshots ----
    def _initial_state(self):
        return list(self._init), [None] * len(self._ops)

    def _apply(self, values, grads, i):
        ev = self._events[i]
        kind = ev[0]
        if kind == FORWARD:
            values[ev[1]] = ev[2]
        elif kind == BACKWARD:
            grads[ev[1]] = ev[8]
        elif kind == SEED:
            # interior gradients start afresh in every backward pass (as in the engine)
            kinds = self._kinds
            for nid in self.pass_nodes(self.pass_of(i)):
                if kinds[nid] == "computed":
                    grads[nid] = None
            grads[ev[1]] = ev[3]
        elif kind == UPDATE:
            values[ev[1]] = ev[3]
        else:
            grads[ev[1]] = ev[3]

    def _build_checkpoints(self):
        # A checkpoint every `every` events keeps memory proportional to the number of events
        # (not events x nodes), and any snapshot is at most `every` replayed events away.
        every = max(256, len(self._ops))
        values, grads = self._initial_state()
        checkpoints = [(0, list(values), list(grads))]
        for i in range(len(self._events)):
            self._apply(values, grads, i)
            if (i + 1) % every == 0:
                checkpoints.append((i + 1, list(values), list(grads)))
        self._checkpoints = checkpoints

    def snapshot(self, k):
        """The state after the first k events (k = 0 .. len(trace))."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"snapshot(k) takes a step number, not {type(k).__name__}.")
        k = int(k)
        if not 0 <= k <= len(self._events):
            raise IndexError(f"step {k} does not exist: this trace has steps 0 to {len(self._events)}.")
        self._check_caches()
        if not self._checkpoints:
            self._build_checkpoints()
        pos = 0
        for j, cp in enumerate(self._checkpoints):
            if cp[0] <= k:
                pos = j
            else:
                break
        start, values, grads = self._checkpoints[pos]
        values, grads = list(values), list(grads)
        for i in range(start, k):
            self._apply(values, grads, i)
        return Snapshot(self, k, values, grads)

    # ---- JSON ----
    def to_json(self, indent=None):
        """The whole trace as JSON text (see Trace.from_json)."""
        from backprop_viz import trace_json

        return trace_json.dumps(self, indent)

    @classmethod
    def from_json(cls, text):
        """A trace from the text of `to_json()`; ValueError saying what is wrong otherwise."""
        from backprop_viz import trace_json

        return trace_json.loads(cls, text)


class Snapshot:
    """The state of a recorded graph after step k: values, gradients, what is active, the phase."""

    __slots__ = ("trace", "step", "values", "grads", "event", "pass_index", "phase",
                 "active_node", "active_edge")

    def __init__(self, trace, k, values, grads):
        self.trace = trace
        self.step = k
        self.values = values
        self.grads = grads
        self.event = trace.event(k - 1) if k > 0 else None
        self.active_node = self.active_edge = None
        if self.event is None:
            self.pass_index = 0
            first = trace._events[0][0] if trace._events else FORWARD
            self.phase = PHASES[first]
        else:
            ev = self.event
            self.pass_index = ev.pass_index
            self.phase = PHASES[KIND_NAMES.index(ev.kind)]
            self.active_node = ev.node
            if ev.kind == "backward":
                self.active_edge = (ev.child, ev.node, ev.slot)

    @property
    def nodes(self):
        return self.trace.pass_nodes(self.pass_index)

    def caption(self, lang="en", fmt="text"):
        """One sentence plus the formula with numbers, in English ("en") or Korean ("ko")."""
        from backprop_viz import captions

        return captions.caption(self, lang=lang, fmt=fmt)

    def __repr__(self):
        return f"<Snapshot step {self.step}/{len(self.trace)}, pass {self.pass_index + 1}, {self.phase}>"
