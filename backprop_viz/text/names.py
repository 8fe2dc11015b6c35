"""The name a student sees for a node: its label, a constant's number, or a name that stays put.

An unlabelled value is named by its place in its own pass, not by its node id, so the same code
run again (the next training step, the next backward pass) names the same value the same way:
computed values v1, v2, … in the order the pass computed them, inputs x1, x2, … in the order the
pass first used them, parameters θ1, θ2, … in the order the recording first met them (they live
across passes). A generated name that a label already uses gets a prime (v1′).
"""

from __future__ import annotations

import weakref

from backprop_viz.text.numbers import fmt

__all__ = ["name", "short", "NAME_CHARS"]

NAME_CHARS = 32  # a name longer than this is cut with … wherever it is shown (as render.style.TITLE_CHARS)
TOOLTIP_CHARS = 1000  # a tooltip shows the full name up to this many characters

_PREFIX = {"computed": "v", "input": "x", "parameter": "θ"}
_CACHE = weakref.WeakKeyDictionary()  # trace -> (its node_columns(), {node id: generated name})


def name(trace, nid):
    """Node `nid`'s label; for an unlabelled constant its number; else its stable generated name."""
    label = trace.label(nid)
    if label:
        return label
    kind = trace.kind(nid)
    if kind == "constant":
        return fmt(trace.initial(nid))
    return _generated(trace).get(nid) or f"v{nid}"


def _generated(trace):
    cols = trace.node_columns()  # the same object until the trace grows or a label changes
    hit = _CACHE.get(trace)
    if hit is not None and hit[0] is cols:
        return hit[1]
    labels, kinds, passes = cols.label, cols.kind, cols.pass_index
    taken = set(labels)
    counters, names = {}, {}
    for t, kind in enumerate(kinds):  # ids follow the order the recording met the nodes
        if kind not in _PREFIX or labels[t]:
            continue
        scope = (kind, None if kind == "parameter" else passes[t])
        counters[scope] = k = counters.get(scope, 0) + 1
        text = f"{_PREFIX[kind]}{k}"
        while text in taken:
            text += "′"
        names[t] = text
    _CACHE[trace] = (cols, names)
    return names


def short(text, limit=NAME_CHARS):
    """`text` cut to `limit` characters, the last one …, when it is longer: a 1 MB label must
    not make every caption and table a megabyte (the picture cuts it the same way)."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"
