"""The name a student sees for a node: its label, a constant's number, or a v-name."""

from __future__ import annotations

from backprop_viz.text.numbers import fmt

__all__ = ["name"]


def name(trace, nid):
    """Node `nid`'s label; for an unlabelled constant its number; else v<id>."""
    label = trace.label(nid)
    if label:
        return label
    if trace.kind(nid) == "constant":
        return fmt(trace.initial(nid))
    return f"v{nid}"
