"""The Trace: the nodes met and the events recorded, split into passes, with snapshots on demand."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine.numeric import _shape
from backprop_viz.trace.events import (BACKWARD, FORWARD, KIND_NAMES, NODE_ROW, ROW, SEED, STEP, UPDATE, Event,
                                       EventColumns, NodeColumns, NodeInfo)
from backprop_viz.trace import json_io, present, runs
from backprop_viz.trace.snapshot import Snapshot

__all__ = ["Trace"]


class Trace:
    """Everything recorded: the nodes met, the events in order, split into passes.

    Stored as flat columns, so that recording a node or an event allocates nothing that Python's
    cyclic collector must later scan, only the numbers themselves:
    - node i: `_nodes[NODE_ROW * i : NODE_ROW * (i + 1)]` = its op, the ids of its first and second
      parent (-1 where absent; nodes with more parents, from stack(), keep a tuple of their ids in
      `_many`) and its pass; the fields most nodes leave
      at their default live in dicts by id: `_labels` (None), `_leaf_kinds` (computed, for nodes
      with an op), `_shapes` (()), `_args` (None), `_init` (None);
    - event i: `_events[ROW * i : ROW * (i + 1)]`, laid out as events.py says.
    While recording, a scalar step's backward events arrive as one short record in `_steps` (laid
    out as engine/recording.py's STEP says), and the forward events of numbers as two lists (node
    ids, values); `_runs` says where each run of them goes among the events, and the first read of
    `_events` expands them into whole rows (_expand), once.
    """

    def __init__(self):
        self._nodes, self._many = [], {}
        self._labels, self._leaf_kinds, self._shapes, self._args, self._init = {}, {}, {}, {}, {}
        self._rows = []  # whole event rows; with the runs of step records expanded: every event
        self._steps, self._runs, self._run_events = [], [], 0  # step records, (event, start, stop), their events
        self._steps_placed = 0  # the records before this place belong to a run
        self._live = None  # while a recording fills the trace: have it hand over what it holds
        self._pass_starts = []
        self._checkpoints = []
        self._pass_nodes = {}
        self._columns = None  # NodeColumns of the nodes met so far (rebuilt when the trace has grown)
        self._cache_key = (0, 0)  # (events, nodes) the caches above were computed for
        self._note = None  # {lang: text} a bridge leaves for the reader (see note())

    def _add_node(self, op, parents, pass_index, label=None, kind="computed", shape=(), arg=None, init=None):
        nid = len(self._nodes) // NODE_ROW
        if len(parents) > 2:
            self._many[nid] = parents
            parents = ()
        self._nodes += (op, *parents, *(-1,) * (2 - len(parents)), pass_index)
        if label is not None:
            self._labels[nid] = label
        if not op:
            self._leaf_kinds[nid] = kind
        if shape != ():
            self._shapes[nid] = shape
        if arg is not None:
            self._args[nid] = arg
        if init is not None:
            self._init[nid] = init
        return nid

    def _append_node(self, v, parents, init=None, pass_index=None):
        """Add Value v as a node with these parent ids, the value it held (init), in this pass."""
        if pass_index is None:
            pass_index = max(len(self._pass_starts) - 1, 0)
        return self._add_node(v.op, parents, pass_index, v._label, v.role, _shape(v._data), v._arg, init)

    def _append(self, *row):
        """Append one event: (kind, node, ...) as laid out in events.py, padded to a full row."""
        self._rows += row + (None,) * (ROW - len(row))

    @property
    def _events(self):
        """Every event as ROW values in one flat list (the step records expanded first)."""
        if self._live is not None:
            self._live()
        if self._runs:
            self._expand()
        return self._rows

    @_events.setter
    def _events(self, rows):
        self._rows = rows
        self._steps, self._runs, self._run_events, self._steps_placed = [], [], 0, 0

    def _count(self):
        """How many events there are, expanded or not."""
        return len(self._rows) // ROW + self._run_events

    def _place_steps(self):
        """The step records written since the last call hold the events that come next (recording.py's STEP)."""
        start, stop = self._steps_placed, len(self._steps)
        if stop != start:
            slots = self._steps[start:stop:STEP]
            self._runs.append((self._count(), start, stop))
            self._run_events += len(slots) + slots.count(3)
            self._steps_placed = stop

    def _add_forwards(self, nids, values):
        """The next events are forward events: node nids[j] computed values[j] (numbers)."""
        if nids:
            self._runs.append((self._count(), nids, values))
            self._run_events += len(nids)

    def _expand(self):
        """Rebuild the whole rows of the runs (runs.py), in place: a recorder holds the lists."""
        rows = self._rows
        rows[:] = runs.expanded(rows, self._runs, self._steps, self._nodes)
        self._steps.clear()  # in place, as the rows: a recorder may still be writing to both
        self._runs, self._run_events, self._steps_placed = [], 0, 0

    def _row(self, i):
        r = ROW * i
        return self._events[r:r + ROW]

    def _nid(self, nid):
        """Node id nid (negative counts from the end, as for a list); IndexError outside."""
        n = self.num_nodes
        if nid < 0:
            nid += n
        if not 0 <= nid < n:
            raise IndexError(f"node {nid} does not exist: this trace has {n} nodes.")
        return nid

    def _parents_of(self, nid):
        if nid in self._many:
            return self._many[nid]
        a, b = self._nodes[NODE_ROW * nid + 1], self._nodes[NODE_ROW * nid + 2]
        return () if a < 0 else (a,) if b < 0 else (a, b)

    def _kind_of(self, nid):
        return self._leaf_kinds[nid] if nid in self._leaf_kinds else "computed"

    def _check_caches(self):
        """Drop checkpoints and pass nodes computed before the trace grew (recording appends only)."""
        key = (len(self), len(self._nodes))
        if key != self._cache_key:
            self._checkpoints = []
            self._pass_nodes = {}
            self._cache_key = key

    # ---- nodes and events ----
    def __len__(self):
        if self._live is not None:
            self._live()
        return len(self._rows) // ROW + self._run_events

    def __repr__(self):
        return f"<Trace: {self.num_nodes} nodes, {len(self)} steps, {self.passes} pass(es)>"

    # ---- the read API (docs/trace_api.md): all another layer uses of a trace ----
    @property
    def num_nodes(self):
        """How many nodes the trace has met; their ids are 0 .. num_nodes - 1."""
        if self._live is not None:
            self._live()
        return len(self._nodes) // NODE_ROW

    @property
    def nodes(self):
        """Every node as a NodeInfo, in id order."""
        return [self.node(i) for i in range(self.num_nodes)]

    def node(self, nid):
        """Node `nid` as a NodeInfo (id, label, op, parents, kind, shape, pass_index, arg)."""
        nid = self._nid(nid)
        r = NODE_ROW * nid
        return NodeInfo(nid, self._labels.get(nid), self._nodes[r], self._parents_of(nid), self._kind_of(nid),
                        self._shapes.get(nid, ()), self._nodes[r + 3], self._args.get(nid))

    def node_columns(self):
        """Every node as columns (a NodeColumns: label, op, parents, kind, shape, pass_index, arg,
        each a tuple by node id): what `nodes` gives, without one NodeInfo per node."""
        n = self.num_nodes
        cols = self._columns
        if cols is not None and len(cols.op) == n:
            return cols
        nodes, many = self._nodes, self._many
        firsts, seconds = nodes[1::NODE_ROW], nodes[2::NODE_ROW]
        parents = [() if a < 0 else (a,) if b < 0 else (a, b) for a, b in zip(firsts, seconds)]
        for nid, ps in many.items():
            parents[nid] = ps
        labels, kinds, shapes, args = [None] * n, ["computed"] * n, [()] * n, [None] * n
        for column, values in ((labels, self._labels), (kinds, self._leaf_kinds), (shapes, self._shapes),
                               (args, self._args)):
            for nid, value in values.items():
                column[nid] = value
        cols = self._columns = NodeColumns(tuple(labels), tuple(nodes[0::NODE_ROW]), tuple(parents), tuple(kinds),
                                           tuple(shapes), tuple(nodes[3::NODE_ROW]), tuple(args))
        return cols

    def label(self, nid):
        """The label given to node `nid`, or None."""
        return self._labels.get(self._nid(nid))

    def op(self, nid):
        """The op that computed node `nid` ('+', 'tanh', '@', …), or '' for a leaf."""
        return self._nodes[NODE_ROW * self._nid(nid)]

    def parents(self, nid):
        """The ids of the nodes `nid` was computed from, in operand order (a tuple)."""
        return self._parents_of(self._nid(nid))

    def kind(self, nid):
        """'input', 'parameter', 'constant' or 'computed'."""
        return self._kind_of(self._nid(nid))

    def shape(self, nid):
        """The shape of node `nid`'s value: () for a number."""
        return self._shapes.get(self._nid(nid), ())

    def arg(self, nid):
        """The op's constant argument: the exponent of **, the axis of sum/mean, a shape; else None."""
        return self._args.get(self._nid(nid))

    def initial(self, nid):
        """The value a leaf held when the trace first met it (None for a computed node)."""
        return self._init.get(self._nid(nid))

    def name(self, nid):
        """The name a student sees for node `nid` (its label, a constant's number, or a stable
        v-name); the text layer chooses it."""
        return present.name(self, nid)

    @property
    def events(self):
        """Every event as a named Event, in order."""
        return [self.event(i) for i in range(len(self))]

    def kind_at(self, i):
        """The kind of event i ('forward', 'seed', 'backward', 'update', 'grad'), without building it."""
        return KIND_NAMES[self._events[ROW * self._index(i)]]

    def node_at(self, i):
        """The node event i is about, without building the event."""
        return self._events[ROW * self._index(i) + 1]

    def seed_steps(self):
        """The indices of the seed events (one per backward pass), in order."""
        events = self._events
        return [r // ROW for r in range(0, len(events), ROW) if events[r] == SEED]

    def events_between(self, start, stop, kind=None):
        """(i, Event) for the events start <= i < stop, only those of `kind` if given."""
        code = None if kind is None else KIND_NAMES.index(kind)
        events = self._events
        for i in range(max(start, 0), min(stop, len(self))):
            if code is None or events[ROW * i] == code:
                yield i, self.event(i)

    def event_columns(self, kind, start=0, stop=None):
        """The events of `kind` with start <= i < stop (stop None: to the end) as columns (an
        EventColumns: `index`, then a list per Event field): what `events_between(start, stop,
        kind)` gives, without one Event per event."""
        if kind not in KIND_NAMES:
            raise ValueError(f"kind must be one of {', '.join(KIND_NAMES)}, not {kind!r}.")
        code, events = KIND_NAMES.index(kind), self._events
        start, stop = max(start, 0), len(self) if stop is None else min(stop, len(self))
        index = [start + j for j, c in enumerate(events[ROW * start:ROW * stop:ROW]) if c == code] \
            if start < stop else []
        runs, begin = [], 0  # runs of consecutive events: each field of a run is one slice
        for j in range(1, len(index) + 1):
            if j == len(index) or index[j] != index[j - 1] + 1:
                runs.append((index[begin], index[j - 1] + 1))
                begin = j

        def rows(off):
            if len(runs) == 1:
                a, b = runs[0]
                return events[ROW * a + off:ROW * b:ROW]
            return [x for a, b in runs for x in events[ROW * a + off:ROW * b:ROW]]

        return EventColumns(kind, rows, index)

    def _index(self, i):
        """Event index i (negative counts from the end, as for a list); IndexError outside."""
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"event indices are whole numbers, not {type(i).__name__}.")
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"event {i} does not exist: this trace has {n} events.")
        return i

    @property
    def pass_starts(self):
        """The index of the first event of every pass."""
        if self._live is not None:
            self._live()
        return tuple(self._pass_starts)

    def event(self, i):
        """Event i as a named Event."""
        i = self._index(i)
        ev = self._row(i)
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
        if self._live is not None:
            self._live()
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
        stop = self._pass_starts[p + 1] if p + 1 < len(self._pass_starts) else len(self)
        return (self._pass_starts[p], stop)

    def pass_steps(self, p):
        """(first, last): the snapshots that show pass p. Snapshot k shows event k - 1, and
        snapshot 0 (nothing computed yet) belongs to pass 0."""
        start, stop = self.pass_range(p)
        return (start + 1 if p else 0), stop

    def pass_nodes(self, p):
        """The ids drawn for pass p: nodes its events touch, with the inputs of its computed nodes."""
        self._check_caches()
        if p in self._pass_nodes:
            return self._pass_nodes[p]
        start, stop = self.pass_range(p)
        ids = set()
        events = self._events
        for r in range(ROW * start, ROW * stop, ROW):
            ids.add(events[r + 1])
            if events[r] == FORWARD:
                ids.update(self._parents_of(events[r + 1]))
            elif events[r] == BACKWARD:
                ids.add(events[r + 2])
        if not ids and not self._events:
            ids = set(range(self.num_nodes))
        result = tuple(sorted(ids))
        self._pass_nodes[p] = result
        return result

    # ---- snapshots ----
    def _initial_state(self):
        values = [None] * self.num_nodes
        for nid, value in self._init.items():
            values[nid] = value
        return values, [None] * self.num_nodes

    def _apply(self, values, grads, i):
        ev, r = self._rows, ROW * i  # expanded: the callers read _events first
        kind = ev[r]
        if kind == FORWARD:
            values[ev[r + 1]] = ev[r + 2]
        elif kind == BACKWARD:
            grads[ev[r + 1]] = ev[r + 8]
        elif kind == SEED:
            # interior gradients start afresh in every backward pass (as in the engine)
            nodes = self._nodes
            for nid in self.pass_nodes(self.pass_of(i)):
                if nodes[NODE_ROW * nid]:  # computed (it has an op)
                    grads[nid] = None
            grads[ev[r + 1]] = ev[r + 3]
        elif kind == UPDATE:
            values[ev[r + 1]] = ev[r + 3]
        else:
            grads[ev[r + 1]] = ev[r + 3]

    def _build_checkpoints(self):
        # A checkpoint every `every` events keeps memory proportional to the number of events
        # (not events x nodes), and any snapshot is at most `every` replayed events away.
        every = max(256, self.num_nodes)
        self._events  # the step records expanded, for _apply
        values, grads = self._initial_state()
        checkpoints = [(0, list(values), list(grads))]
        for i in range(len(self)):
            self._apply(values, grads, i)
            if (i + 1) % every == 0:
                checkpoints.append((i + 1, list(values), list(grads)))
        self._checkpoints = checkpoints

    def snapshot(self, k):
        """The state after the first k events (k = 0 .. len(trace))."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"snapshot(k) takes a step number, not {type(k).__name__}.")
        k = int(k)
        if not 0 <= k <= len(self):
            raise IndexError(f"step {k} does not exist: this trace has steps 0 to {len(self)}.")
        self._check_caches()
        self._events  # the step records expanded, for _apply
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

    # ---- a note for the reader ----
    def note(self, lang="en"):
        """A sentence about the whole trace, in `lang` ('en' or 'ko'), or None: e.g. which nodes' own
        gradients (a micrograd graph's `.grad`) differ from the ones recorded here."""
        if not self._note:
            return None
        return self._note.get(lang, self._note.get("en"))

    def set_note(self, texts):
        """Attach the note: {lang: text}, with an 'en' text; None removes it. The JSON keeps it."""
        if texts is not None:
            if not isinstance(texts, dict) or "en" not in texts or \
                    not all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items()):
                raise TypeError("set_note() takes {lang: text} with an 'en' text (or None).")
            texts = dict(texts)
        self._note = texts

    # ---- JSON ----
    def to_json(self, indent=None):
        """The whole trace as JSON text (see Trace.from_json)."""
        return json_io.dumps(self, indent)

    @classmethod
    def from_json(cls, text):
        """A trace from the text of `to_json()`; ValueError saying what is wrong otherwise."""
        return json_io.loads(cls, text)

    # ---- replay ----
    def replay(self, values):
        """A new Trace, the same graph with the leaves in `values` ({label or node id: data}) changed and
        every value and gradient recomputed (see replay.py)."""
        from backprop_viz.trace.replay import replay
        return replay(self, values)
