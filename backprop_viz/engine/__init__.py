"""The autograd engine: the Value type, its local-derivative rules, and the fast path behind them."""

from backprop_viz.engine.value import Value, as_value, stack, zero_grad

__all__ = ["Value", "as_value", "stack", "zero_grad"]
