"""trace_of: the trace of a graph that was built without recording."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine import Value, topological_order
from backprop_viz.engine.numeric import _quiet, _zero_like
from backprop_viz.engine.rules import contributions
from backprop_viz.trace.events import BACKWARD, FORWARD, SEED, _store
from backprop_viz.trace.trace import Trace

__all__ = ["trace_of"]

# The trace of a value that is not the engine's (a micrograd-style value): `foreign(loss)` gives a
# Trace, or None when it does not know that kind of value. The bridges (backprop_viz.bridges, a
# layer above this one) do the work; the root package sets this hook, as it sets present.py's.
foreign = None


def trace_of(loss):
    """The trace of an already-built graph: its forward steps in order, then its backward pass.

    Gives the same events as recording the computation and `loss.backward()` live, starting
    from zero gradients. The graph's own `.grad` values are not touched. A micrograd-style value
    (`data`, `grad`, `_prev`, `_op`) is rebuilt with this engine's rules first
    (backprop_viz.bridges.micrograd).
    """
    if not isinstance(loss, Value):
        trace = foreign(loss) if foreign is not None else None
        if trace is not None:
            return trace
        raise TypeError(f"trace_of() takes the Value a graph ends in (e.g. the loss), not {type(loss).__name__}.")
    d = loss._data
    if type(d) is not float and d.size != 1:
        raise ValueError(f"trace_of() needs a scalar to run backward from; this value has shape {d.shape}.")
    trace = Trace()
    trace._pass_starts.append(0)
    ids = {}  # kept here, not on the values, so the caller's graph stays unmarked
    for v in topological_order(loss):
        parents = v.parents
        if not parents:
            continue
        for p in parents:  # leaves enter when first used, as in a live recording
            if p not in ids:
                ids[p] = trace._append_node(p, (), _store(p._data))
        ids[v] = trace._append_node(v, tuple(ids[p] for p in parents))
        trace._append(FORWARD, ids[v], _store(v._data))
    if loss not in ids:
        ids[loss] = trace._append_node(loss, (), _store(d))
    # the backward pass, replayed on a side table so the graph's own gradients stay as they are
    order = list(ids)
    grads = {v: _zero_like(v._data) for v in order}
    seed = 1.0 if type(d) is float else np.ones_like(d)
    grads[loss] = grads[loss] + seed
    trace._append(SEED, ids[loss], _store(seed), _store(grads[loss]))
    with _quiet():  # as in Value.backward: an inf or nan flows on without numpy warnings
        for node in sorted(order, key=lambda v: v._seq, reverse=True):
            parents = node.parents
            if not parents:
                continue
            g = grads[node]
            for slot, local, contribution in contributions(node, g):
                parent = parents[slot]
                if parent.role == "constant":
                    continue
                before = grads[parent]
                grads[parent] = after = before + contribution
                trace._append(BACKWARD, ids[parent], ids[node], slot, _store(g), _store(local),
                              _store(contribution), _store(before), _store(after))
    return trace

