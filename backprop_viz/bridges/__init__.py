"""Bridges: graphs made elsewhere as traces — micrograd-style values, and PyTorch code (torch optional).

- `from_micrograd(value)` (also what `trace_of(value)` does for one): the graph of a micrograd
  `Value`, or the lecture's own class, rebuilt with our rules; its own `.grad` checked.
- Inside `with record() as trace:` PyTorch ops are recorded too, once the user has imported torch
  (bridges/torch.py); nothing here imports torch otherwise.
"""

from __future__ import annotations

import sys

from backprop_viz.bridges.micrograd import MICROGRAD_OPS, from_micrograd, is_micrograd_style

__all__ = ["from_micrograd", "is_micrograd_style", "foreign_trace", "MICROGRAD_OPS"]


def foreign_trace(loss):
    """The Trace of a value that is not the engine's, or None when no bridge knows its kind."""
    if is_micrograd_style(loss):
        return from_micrograd(loss)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(loss, torch.Tensor):
        raise TypeError("trace_of() takes an engine or micrograd-style value; to record PyTorch code, run it "
                        "(forward and loss.backward()) inside `with record() as trace:`.")
    return None
