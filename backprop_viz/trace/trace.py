"""The Trace: the nodes met and the events recorded, split into passes, with snapshots on demand."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine import value as engine
from backprop_viz.trace.events import BACKWARD, FORWARD, KIND_NAMES, SEED, UPDATE, Event, NodeInfo
from backprop_viz.trace import json_io, present
from backprop_viz.trace.snapshot import Snapshot

__all__ = ["Trace"]


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

    # ---- the read API (docs/trace_api.md): all another layer uses of a trace ----
    @property
    def num_nodes(self):
        """How many nodes the trace has met; their ids are 0 .. num_nodes - 1."""
        return len(self._ops)

    @property
    def nodes(self):
        """Every node as a NodeInfo, in id order."""
        return [self.node(i) for i in range(len(self._ops))]

    def node(self, nid):
        """Node `nid` as a NodeInfo (id, label, op, parents, kind, shape, pass_index, arg)."""
        return NodeInfo(nid, self._labels[nid], self._ops[nid], self._parents[nid], self._kinds[nid],
                        self._shapes[nid], self._node_pass[nid], self._args[nid])

    def label(self, nid):
        """The label given to node `nid`, or None."""
        return self._labels[nid]

    def op(self, nid):
        """The op that computed node `nid` ('+', 'tanh', '@', …), or '' for a leaf."""
        return self._ops[nid]

    def parents(self, nid):
        """The ids of the nodes `nid` was computed from, in operand order (a tuple)."""
        return self._parents[nid]

    def kind(self, nid):
        """'input', 'parameter', 'constant' or 'computed'."""
        return self._kinds[nid]

    def shape(self, nid):
        """The shape of node `nid`'s value: () for a number."""
        return self._shapes[nid]

    def arg(self, nid):
        """The op's constant argument: the exponent of **, the axis of sum/mean, a shape; else None."""
        return self._args[nid]

    def initial(self, nid):
        """The value a leaf held when the trace first met it (None for a computed node)."""
        return self._init[nid]

    def name(self, nid):
        """The name a student sees for node `nid` (its label, a constant's number, or a stable
        v-name); the text layer chooses it."""
        return present.name(self, nid)

    @property
    def events(self):
        """Every event as a named Event, in order."""
        return [self.event(i) for i in range(len(self._events))]

    def kind_at(self, i):
        """The kind of event i ('forward', 'seed', 'backward', 'update', 'grad'), without building it."""
        return KIND_NAMES[self._events[i][0]]

    def node_at(self, i):
        """The node event i is about, without building the event."""
        return self._events[i][1]

    def seed_steps(self):
        """The indices of the seed events (one per backward pass), in order."""
        return [i for i, ev in enumerate(self._events) if ev[0] == SEED]

    def events_between(self, start, stop, kind=None):
        """(i, Event) for the events start <= i < stop, only those of `kind` if given."""
        code = None if kind is None else KIND_NAMES.index(kind)
        events = self._events
        for i in range(max(start, 0), min(stop, len(events))):
            if code is None or events[i][0] == code:
                yield i, self.event(i)

    @property
    def pass_starts(self):
        """The index of the first event of every pass."""
        return tuple(self._pass_starts)

    def event(self, i):
        """Event i as a named Event."""
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
        return json_io.dumps(self, indent)

    @classmethod
    def from_json(cls, text):
        """A trace from the text of `to_json()`; ValueError saying what is wrong otherwise."""
        return json_io.loads(cls, text)

