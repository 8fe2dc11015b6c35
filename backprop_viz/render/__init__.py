"""Snapshots to pictures: draw() gives a graphviz.Digraph, frames() SVG frames on one layout."""

from backprop_viz.render.digraph import Picture, draw
from backprop_viz.render.frames import Frames, clear_layout_cache, frames, layout_runs
from backprop_viz.render.layout import DotNotFoundError

__all__ = ["draw", "frames", "Frames", "Picture", "DotNotFoundError", "clear_layout_cache", "layout_runs"]
