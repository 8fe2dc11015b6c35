"""Recording: the engine's steps as events, the Trace that holds them, snapshots, JSON, replay.

The read API (documented in docs/trace_api.md) is all another layer may use of a Trace.
"""

from backprop_viz.trace.build import trace_of
from backprop_viz.trace.events import ArraySummary, Event, NodeInfo
from backprop_viz.trace.recorder import record
from backprop_viz.trace.snapshot import Snapshot
from backprop_viz.trace.trace import Trace

__all__ = ["record", "trace_of", "Trace", "Snapshot", "NodeInfo", "Event", "ArraySummary"]
