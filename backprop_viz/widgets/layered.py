"""A matplotlib figure as two PNG image widgets, one over the other: a frame redrawn only when it
changes, and a transparent layer of the artists that move."""

from __future__ import annotations

import io
import struct
import zlib

import ipywidgets as widgets
import numpy as np

__all__ = ["LayeredPicture", "DPI"]

DPI = 80  # with 10-12 pt text: 11-13 px letters at the picture's own size, readable on a projector


class LayeredPicture:
    """One matplotlib figure shown as two PNGs, one over the other: its frame (axes, ticks, labels,
    whatever stays still), drawn only when the frame changes, and a transparent layer holding only
    the artists that move, drawn every step.

    A step draws the moving artists alone onto a cleared canvas and encodes that mostly empty
    picture: a few ms and a few kB instead of a full draw's tick and text layout and a full picture.
    """

    def __init__(self, width, height):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.key, self.ax, self.moving = None, None, []
        self.background = widgets.Image(format="png")  # the frame
        self.layer = widgets.Image(format="png")  # what moves, over the frame
        for image in (self.background, self.layer):  # one grid cell: the layer lies exactly on the frame
            image.layout = widgets.Layout(grid_area="1 / 1", max_width="420px", width="auto", height="auto")
        self.box = widgets.GridBox([self.background, self.layer],
                                   layout=widgets.Layout(grid_template_columns="max-content", align_items="flex-start"))

    def draw(self, key, build, update):
        """Show the plot now. `build(ax)` draws the whole plot into a fresh axes (when `key` differs
        from the last one); `update(ax, previous)` changes the moving artists (or replaces `previous`,
        the last ones) and returns them; they are drawn in the order of their zorder, as a full draw
        would."""
        canvas = self.fig.canvas
        if key != self.key:
            self.fig.clear()
            self.ax = self.fig.add_subplot()
            build(self.ax)
            self.key = key
            moving = update(self.ax, [])
            for artist in moving:
                artist.set_animated(True)  # left out of the frame
                artist.set_in_layout(False)
            self.fig.set_layout_engine("constrained")
            canvas.draw()
            self.fig.set_layout_engine("none")  # the layout stays as drawn: updates never move the axes
            self.background.value = self._encode(alpha=False)
        else:
            moving = update(self.ax, self.moving)
        canvas.get_renderer().clear()  # transparent: the layer shows the frame beneath it
        for artist in sorted(moving, key=lambda a: a.get_zorder()):  # stable: in the order a full draw takes
            artist.set_animated(True)
            artist.set_in_layout(False)
            self.fig.draw_artist(artist)
        self.moving = moving
        self.layer.value = self._encode(alpha=True)

    def _encode(self, alpha):
        canvas = self.fig.canvas
        if alpha:
            return _png_rgba(np.asarray(canvas.buffer_rgba()))
        from PIL import Image

        width, height = canvas.get_width_height(physical=True)
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="png", compress_level=1)  # PIL's row filters suit the frame's shading
        return buf.getvalue()


def _png_rgba(pixels):
    """A PNG of an (h, w, 4) uint8 array, rows unfiltered: for a mostly clear layer, quicker than PIL's
    filtered rows (no filter is tried per row) and no larger."""
    h, w, _ = pixels.shape
    rows = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # each row starts with its filter type, 0: none
    rows[:, 1:] = pixels.reshape(h, 4 * w)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits per channel, RGBA, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))
