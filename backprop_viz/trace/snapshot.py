"""A Snapshot: the state of a recorded graph after step k."""

from __future__ import annotations

from backprop_viz.trace import present
from backprop_viz.trace.events import FORWARD, KIND_NAMES, PHASES

__all__ = ["Snapshot"]

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
            self.phase = PHASES[KIND_NAMES.index(trace.kind_at(0))] if len(trace) else PHASES[FORWARD]
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
        return present.caption(self, lang, fmt)

    def __repr__(self):
        return f"<Snapshot step {self.step}/{len(self.trace)}, pass {self.pass_index + 1}, {self.phase}>"
