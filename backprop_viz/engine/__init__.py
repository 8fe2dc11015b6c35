"""The autograd engine: the Value type and its backward pass (value.py), each op's local derivatives
(rules.py), the fast path behind them (fast.py, fast_forward.py), and where events go while recording
(recording.py)."""

from backprop_viz.engine.value import Value, as_value, stack, topological_order, zero_grad

__all__ = ["Value", "as_value", "stack", "zero_grad", "topological_order"]
