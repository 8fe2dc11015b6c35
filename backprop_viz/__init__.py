"""backprop_viz: watch backpropagation happen, step by step, in Jupyter."""

from backprop_viz.engine import Value

__all__ = ["Value"]
__version__ = "0.1.0"
