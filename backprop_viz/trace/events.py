"""The recorded data: event kinds, the named Event and NodeInfo records, and how values are stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from backprop_viz.engine.recording import BACKWARD, FORWARD, GRAD, ROW, SEED, STEP, UPDATE

__all__ = ["Event", "NodeInfo", "NodeColumns", "EventColumns", "ArraySummary", "FORWARD", "SEED", "BACKWARD", "UPDATE",
           "GRAD", "KIND_NAMES", "PHASES", "ROW", "STEP", "NODE_ROW"]


# Event kinds, small ints; a Trace keeps each event as ROW values in one flat list (the engine
# defines the layout, as it writes scalar backward rows itself while recording):
#   FORWARD, node, value
#   SEED, node, seed, after
#   BACKWARD, parent, child, slot, upstream, local, contribution, before, after
#   UPDATE, node, before, after
#   GRAD, node, before, after
# followed by None up to ROW values. A node is NODE_ROW values in a Trace's flat node list: its
# op, the ids of its first and second parent (-1 where absent), its pass.
NODE_ROW = 4
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


class NodeInfo(NamedTuple):
    """One node of a recorded graph: its id in the trace, how it was made, and what kind it is."""

    id: int
    label: str | None
    op: str
    parents: tuple
    kind: str  # input / parameter / constant / computed
    shape: tuple
    pass_index: int
    arg: Any = None


class Event(NamedTuple):
    """One recorded step. kind: forward (`value` computed for `node`), seed (dL/dL = `value` at
    `node`), backward (along the edge `child` -> `node`: `upstream` dL/dchild, `local`
    dchild/dnode, `contribution` = upstream * local, the node's gradient `before` and `after`
    the +=), update (`node`'s data from `before` to `after`), grad (its gradient set to `after`)."""

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


class NodeColumns(NamedTuple):
    """Every node of a trace as columns: field f of node i is `columns.f[i]` (tuples, in id order),
    the same values as `trace.node(i).f`; for code that reads every node of a big graph."""

    label: tuple
    op: tuple
    parents: tuple
    kind: tuple
    shape: tuple
    pass_index: tuple
    arg: tuple


# Where each Event field sits in a stored row, per event kind (the layout above).
FIELDS = {
    FORWARD: {"node": 1, "value": 2},
    SEED: {"node": 1, "value": 2, "after": 3},
    BACKWARD: {"node": 1, "child": 2, "slot": 3, "upstream": 4, "local": 5, "contribution": 6, "before": 7,
               "after": 8},
    UPDATE: {"node": 1, "before": 2, "after": 3, "value": 3},
    GRAD: {"node": 1, "before": 2, "after": 3},
}


class EventColumns:
    """The events of one kind in a range as columns: `index` (the event numbers, ascending), and
    per Event field a list in the same order (`node`, `child`, `contribution`, …; a field the
    kind does not set is all None), read from the trace the first time it is asked for."""

    def __init__(self, kind, rows, index):
        self.kind, self._rows, self.index, self._fields = kind, rows, index, {}

    def __len__(self):
        return len(self.index)

    def __getattr__(self, field):
        if field.startswith("_") or field not in Event._fields or field in ("kind", "pass_index"):
            raise AttributeError(f"EventColumns has no field {field!r}; the fields are index and "
                                 f"{', '.join(f for f in Event._fields if f not in ('kind', 'pass_index'))}.")
        hit = self._fields.get(field)
        if hit is None:
            off = FIELDS[KIND_NAMES.index(self.kind)].get(field)
            hit = self._fields[field] = [None] * len(self.index) if off is None else self._rows(off)
        return hit


def _store(x):
    """What the trace keeps of a value: a float, a copy of a small array, or a summary."""
    if x is None or type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return float(x)
        return x.copy() if x.size <= FULL_ARRAY_LIMIT else ArraySummary.of(x)
    return float(x)


