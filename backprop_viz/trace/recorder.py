"""The recorder: what the engine calls while a `record()` block is active, turned into a Trace's events."""

from __future__ import annotations

import contextlib
from operator import attrgetter

from backprop_viz.engine import recording
from backprop_viz.engine.numeric import _shape
from backprop_viz.trace.events import BACKWARD, FORWARD, GRAD, NODE_ROW, SEED, UPDATE, _store
from backprop_viz.trace.trace import Trace

__all__ = ["record"]

_tid_of, _data_of = attrgetter("_tid"), attrgetter("_data")


class _Recorder(recording.Recorder):
    """Receives the engine's calls while a `record()` block is active and appends events to a Trace.

    The hot path (forward, backward) is written out by hand: it runs once per node and once per
    edge of graphs with tens of thousands of nodes, and recording must stay within 1.5x of not
    recording (benchmarks/bench_trace.py). It appends to the trace's flat columns and allocates
    nothing per node or event but the numbers; the engine's fast path writes scalar steps' short
    records straight into the trace's `steps` list, which the trace expands into events when first
    read (_close_run marks where they go). `forward_scalar` is a list's own append: the
    fast path's numbers wait in `_pending` (no Python call per node) until the next call of any
    other kind, or the block's end, takes them in one loop (_take_pending), in the order made.
    """

    __slots__ = ("trace", "_pass", "_has_backward", "_ends_on_forward", "_values", "_saved",
                 "_nodes", "_many", "_labels", "_shapes", "_args", "events", "steps", "_pending",
                 "forward_scalar")

    def __init__(self, trace):
        self.trace = trace
        self._pass = -1  # no pass yet: the first event starts pass 0
        self._has_backward = False  # the current pass has had its seed
        self._ends_on_forward = True  # the current pass had a backward or an update: a forward starts the next
        self._values = {}  # node id -> value after its last update event
        self._saved = []  # (value, recorder, id) of values another recording had given ids, see _restore
        # the trace's columns, bound here so the hot path does not look them up per node
        self._nodes, self._many = trace._nodes, trace._many
        self._labels, self._shapes, self._args = trace._labels, trace._shapes, trace._args
        self.events, self.steps = trace._rows, trace._steps
        self._pending = []  # numbers made since the last call of another kind, in creation order
        self.forward_scalar = self._pending.append

    def _detach(self):
        """Let go of the trace when recording ends: values keep pointing at this recorder (their ids
        belong to it), and must not keep a trace alive that its owner has dropped."""
        if self.trace is not None:
            self.trace._live = None
        self.trace = self._nodes = self._many = self.events = self.steps = None
        self._labels = self._shapes = self._args = self._values = None
        self._pending = self.forward_scalar = None

    def _restore(self):
        """Give back the ids an enclosing recording had given: a `with record()` inside another one
        must not change the outer trace's ids of the values both use."""
        for v, recorder, tid in reversed(self._saved):
            v._trec, v._tid = recorder, tid
        self._saved = None

    # ---- passes and node ids ----
    def _start_pass(self):
        self.trace._pass_starts.append(self.trace._count())
        self._pass += 1
        self._has_backward = self._ends_on_forward = False

    def _id(self, v):
        if self._pending:
            self._take_pending()
        return v._tid if v._trec is self else self._register(v)

    def _register(self, v):
        """Give a value made outside the recording an id (its ancestors first), known from the start."""
        if v._a is None:  # a leaf (most often): no ancestors to walk
            if v._trec is not None:
                self._saved.append((v, v._trec, v._tid))
            v._tid = nid = self.trace._add_node("", (), max(self._pass, 0), v._label, v._role, _shape(v._data),
                                                v._arg, _store(v._data))
            v._trec = self
            return nid
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

    def _close_run(self):
        """Tell the trace where the step records written since the last call go among its events."""
        trace = self.trace
        if len(self.steps) != trace._steps_placed:
            trace._place_steps()

    def _sync(self):
        """Everything received so far in the trace's columns (a read of the trace inside the block)."""
        self._close_run()
        self._take_pending()

    def _event(self, starts_pass, *row):
        self._close_run()
        if self._pending:
            self._take_pending()
        if starts_pass or self._pass < 0:
            self._start_pass()
        self.trace._append(*row)

    def _take_pending(self):
        """The numbers forward_scalar collected, taken in as forward() takes one: the same ids, nodes
        and events, in the same order (a label given meanwhile is read from the value)."""
        pending = self._pending
        if not pending:
            return
        self._close_run()  # a backward pass's steps come before the numbers made after it
        if self._ends_on_forward:
            self._start_pass()
        me, nodes, labels, args, p = self, self._nodes, self._labels, self._args, self._pass
        register, row = self._register, NODE_ROW
        nid = len(nodes) // row
        for v in pending:
            a, b = v._a, v._b
            if a._trec is not me:
                register(a)
                nid = len(nodes) // row
            if b is None:
                nodes += (v.op, a._tid, -1, p)
            else:
                if b._trec is not me:
                    register(b)
                    nid = len(nodes) // row
                nodes += (v.op, a._tid, b._tid, p)
            v._trec = me
            v._tid = nid
            nid += 1
            if v._label is not None:
                labels[nid - 1] = v._label
            if v._arg is not None:
                args[nid - 1] = v._arg
        # their forward events, one run the trace expands when first read (numbers: stored as they are)
        self.trace._add_forwards(list(map(_tid_of, pending)), list(map(_data_of, pending)))
        pending.clear()

    # ---- what the engine calls ----
    def forward(self, v):
        self._close_run()
        if self._pending:
            self._take_pending()
        if self._ends_on_forward:
            self._start_pass()
        a, b = v._a, v._b
        if a._trec is not self:
            self._register(a)
        nodes = self._nodes  # a local: `+=` then extends the list in place, with no attribute store
        if b is None:
            nid = len(nodes) // NODE_ROW
            nodes += (v.op, a._tid, -1, self._pass)
        elif type(b) is not tuple:
            if b._trec is not self:
                self._register(b)
            nid = len(nodes) // NODE_ROW
            nodes += (v.op, a._tid, b._tid, self._pass)
        else:  # stack(): one or more parents
            for p in b:
                if p._trec is not self:
                    self._register(p)
            nid = self.trace._add_node(v.op, tuple([p._tid for p in b]), self._pass)
        v._trec = self
        v._tid = nid  # a computed node is made unlabelled: a label given later arrives by relabel()
        if v._arg is not None:
            self._args[nid] = v._arg
        d = v._data
        events = self.events
        if type(d) is float:
            events += (FORWARD, nid, d, None, None, None, None, None, None)
        else:
            self._shapes[nid] = d.shape
            events += (FORWARD, nid, _store(d), None, None, None, None, None, None)

    def seed(self, root, seed):
        """A backward pass starts: the root is registered with all its ancestors, so every node the
        pass meets has its id."""
        nid = self._id(root)
        self._event(self._has_backward, SEED, nid, _store(seed), _store(root._grad))
        self._has_backward = self._ends_on_forward = True

    def backward(self, parent, child, slot, upstream, local, contribution, before, after):
        self._close_run()
        if self._pending:  # (the seed has taken them; a recorder driven by hand may not have one)
            self._take_pending()
        if type(after) is float and type(local) is float and type(upstream) is float:
            self.events += (BACKWARD, parent._tid, child._tid, slot, upstream, local, contribution, before, after)
        else:
            self.events += (BACKWARD, parent._tid, child._tid, slot, _store(upstream), _store(local),
                            _store(contribution), _store(before), _store(after))

    def update(self, v, new):
        nid = self._id(v)
        # The value the trace holds, not v.data: `p.data -= ...` on an array has already changed it in place.
        before = self._values[nid] if nid in self._values else self.trace._init.get(nid)
        if before is None:
            before = _store(v._data)
        after = self._values[nid] = _store(new)
        self._event(False, UPDATE, nid, before, after)
        self._ends_on_forward = True

    def set_grad(self, v, new):
        nid = self._id(v)
        # zero_grad alone does not end a pass: `zero_grad(); forward; backward; step` stays one pass
        self._event(False, GRAD, nid, _store(v.grad), _store(new))

    def relabel(self, v):
        if self._pending:
            self._take_pending()
        if v._label is None:
            self._labels.pop(v._tid, None)
        else:
            self._labels[v._tid] = v._label
        self.trace._columns = None  # node_columns() read the old label


# ---- recording extensions: what else a record() block records (PyTorch code, bridges/torch.py) ----
_extensions = []


def add_extension(extension):
    """Have every record() block call `extension(trace)` as it opens, once the engine's recorder is
    installed: it returns a context manager, entered for the block and exited before the block
    closes (so what it does with Values inside is recorded), or None when it has nothing to record.
    The root package adds the PyTorch one; adding the same extension twice adds it once."""
    if extension not in _extensions:
        _extensions.append(extension)


@contextlib.contextmanager
def record():
    """Record everything the engine does inside the block, in this thread: `with record() as trace: ...`.

    Another thread's arithmetic never lands in the trace, and blocks may nest. Python's cyclic
    collector is paused while a block is open (see engine/recording.py): the graph and the trace
    hold no reference cycles. Recording extensions (add_extension) record more, e.g. PyTorch ops.
    """
    trace = Trace()
    recorder = _Recorder(trace)
    trace._live = recorder._sync  # a read inside the block sees everything received so far
    try:
        # this thread's and context's events only; the extensions are entered inside the recording
        with recording.recording(recorder):
            try:
                with contextlib.ExitStack() as extensions:
                    for extension in _extensions:
                        entered = extension(trace)
                        if entered is not None:
                            extensions.enter_context(entered)
                    yield trace
            finally:  # while the collector is still paused
                recorder._sync()
    finally:
        recorder._restore()
        recorder._detach()
