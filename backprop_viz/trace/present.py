"""Words about a trace come from the text layer above this one; the package root plugs them in here.

So `snapshot.caption("ko")` and `trace.name(nid)` work without the recording layer importing
the text layer (see backprop_viz/__init__.py).
"""

from __future__ import annotations


def _unconnected(*args, **kwargs):
    raise RuntimeError("backprop_viz.text is not connected: import backprop_viz first.")


caption = _unconnected  # (snapshot, lang, fmt) -> the caption text
name = _unconnected  # (trace, node id) -> the name a student sees
