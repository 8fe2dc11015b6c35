"""Standalone exports: a self-contained HTML player page and an animated GIF."""

from backprop_viz.export.gif import RsvgNotFoundError, export_gif
from backprop_viz.export.html import export_html

__all__ = ["export_html", "export_gif", "RsvgNotFoundError"]
