"""Which recorder, if any, receives the events of the code running now: one slot per thread and context.

The engine *emits*: every op calls `recorder.forward(v)` (the fast path's numbers made from numbers
`recorder.forward_scalar(v)`), a backward pass calls `seed` and then one
`backward(...)` per contribution, assigning `.data` / `.grad` calls `update` / `set_grad`. Which
recorder that is comes from a `contextvars.ContextVar`, so a `record()` block sees only what its
own thread (and context) computes: a model training in a background thread never lands in it.

`active` counts the blocks open in any thread. While it is 0 (the usual case) an op pays one
module-attribute test and nothing else; only when some block is open does it ask the slot.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import threading

__all__ = ["Recorder", "active", "current", "recording", "unrecorded", "promote_untouched",
           "FORWARD", "SEED", "BACKWARD", "UPDATE", "GRAD", "ROW", "STEP"]

# Event kinds. The recorder keeps every event as ROW values in one flat list: the kind, the node's
# id, then (backward only) the child's id and the edge's slot, then the stored values, unused
# places None:
#   FORWARD  node value
#   SEED     node seed after
#   BACKWARD parent child slot upstream local contribution before after
#   UPDATE   node before after
#   GRAD     node before after
# The fast path (fast.py) writes the backward events of a scalar step shorter, one STEP-long record
# per node into the recorder's `steps` list, with only what cannot be worked out again:
#   slots child upstream before0 before1 local0 local1
# `slots` says which parents took a contribution (1: the first, 2: the second, 3: both; constants
# take none), `beforeN` is that parent's gradient before its +=, `localN` its local derivative, or
# None for a + (local 1, contribution = upstream itself). The parents' ids are the child's, the
# contribution is upstream * local and the gradient after is before + contribution, the engine's
# own operations, so the recorder rebuilds whole events from a record bit for bit.
FORWARD, SEED, BACKWARD, UPDATE, GRAD = range(5)
ROW = 9
STEP = 7

active = 0  # record() blocks open, in all threads together
_lock = threading.Lock()
_resume_gc = False  # whether the collector was running when the first open block paused it
_slot = contextvars.ContextVar("backprop_viz_recorder", default=None)
slot_value = _slot.get  # the hot path's read, for when `active` says some block is open


def current():
    """The recorder receiving this thread's (and context's) events, or None."""
    return _slot.get() if active else None


class Recorder:
    """What receives the engine's events while a `recording(...)` block is open.

    backprop_viz.trace implements it; every method receives Values. `steps` is the flat list the
    fast path appends its scalar steps' records to (see STEP above): they come after the recorder's
    last call and before its next; `_tid` on a Value is the id this recorder gave it (valid while
    `v._trec is recorder`).
    """

    __slots__ = ("_previous", "_open")

    def forward(self, v):
        """v was just computed from its parents."""

    def forward_scalar(self, v):
        """v, a number, was just computed from numbers: as forward(v), but the recorder may take v in
        later, before its next call of any other kind (a number changes only by assignment to
        `.data`, which calls update() first; a label given meanwhile is on v)."""
        self.forward(v)

    def seed(self, root, seed):
        """A backward pass starts at root: dL/dL = seed, root.grad is now `root._grad`."""

    def backward(self, parent, child, slot, upstream, local, contribution, before, after):
        """parent.grad went from `before` to `after` = before + contribution, contribution = upstream * local."""

    def update(self, v, new):
        """v.data is being set to `new`."""

    def set_grad(self, v, new):
        """v.grad is being set to `new`."""

    def relabel(self, v):
        """v.label changed (v was met by this recorder)."""


def _innermost_open(recorder):
    """The first recorder still open along the chain of blocks entered before this one."""
    while recorder is not None and not recorder._open:
        recorder = recorder._previous
    return recorder


@contextlib.contextmanager
def recording(recorder):
    """Send this thread's (and context's) events to `recorder` inside the block.

    Blocks nest. They may also close out of order (a generator, two blocks entered by hand):
    closing one gives the slot back to the innermost block still open, or to none, so no
    interleaving leaves a finished recorder installed. Python's cyclic collector is paused while
    any block is open in any thread (our graphs and traces hold no reference cycles; the events
    would otherwise bring full-heap collections sooner) and resumed, if it ran, when the last closes.
    """
    global active, _resume_gc
    with _lock:
        if active == 0:
            _resume_gc = gc.isenabled()
            gc.disable()
        active += 1
    recorder._previous = _slot.get()
    recorder._open = True
    _slot.set(recorder)
    try:
        yield recorder
    finally:
        recorder._open = False
        _slot.set(_innermost_open(_slot.get()))
        with _lock:
            active -= 1
            if active == 0 and _resume_gc:
                promote_untouched()
                gc.enable()


def promote_untouched():
    """Move every object the collector tracks into its oldest generation, without scanning them.

    What a recording allocates (the graph's nodes, the trace's columns) holds no reference cycles:
    reference counting frees it, and a scan finds nothing. Left young, the whole block would be
    scanned by the first collection after it (65,000 nodes for micrograd's demo step: about 35 ms,
    more than the recording itself). freeze() + unfreeze() is that move, with no scan; a freeze
    someone else made is left alone.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


@contextlib.contextmanager
def unrecorded():
    """Run engine code that is not part of the lesson (a look at the loss, a widget's evaluation):
    nothing inside the block is recorded, in this thread and context."""
    previous = _slot.get()
    _slot.set(None)
    try:
        yield
    finally:
        _slot.set(_innermost_open(previous))
