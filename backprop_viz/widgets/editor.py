"""Edit mode of the player: a box (and, for a number, a slider) per input and parameter leaf."""

from __future__ import annotations

import html
import math
import re

import ipywidgets as widgets
import numpy as np

from backprop_viz.trace.replay import editable_leaves

__all__ = ["ValueEditors"]

_SEPARATORS = re.compile(r"[\s,;\[\]()]+")


def _slider_range(x):
    """A symmetric range that holds x, 0 (to switch an input off) and room to saturate a tanh: ±3 at least."""
    return float(max(3.0, math.ceil(2.0 * abs(x)))) if math.isfinite(x) else 3.0


def _numbers_text(a):
    return ", ".join(repr(float(v)) for v in np.ravel(a))


class ValueEditors(widgets.VBox):
    """The editors of a player in edit mode: per leaf a labelled FloatText and a FloatSlider (a
    number) or a Text of comma-separated numbers (an array, row by row). A change calls
    `on_change(node id, data)`; the player replays its trace and calls `sync` and `say`."""

    def __init__(self, w, on_change):
        self._w, self._on_change = w, on_change
        self._quiet = False  # True while the editors are set from the trace (not by the student)
        self.boxes, self.sliders, self._shapes = {}, {}, {}  # node id -> its box / slider (numbers) / shape
        self.title = widgets.HTML(f'<b>{html.escape(w["ed_title"])}</b>')
        self.message = widgets.HTML()
        self._rows = widgets.VBox()
        super().__init__([self.title, self._rows, self.message])
        self.add_class("bpv-editors")

    def show(self, trace):
        """An editor for every input and parameter leaf of `trace` (or the sentence why there is none)."""
        w = self._w
        self.boxes, self.sliders = {}, {}
        self._shapes = {nid: trace.shape(nid) for nid in editable_leaves(trace)}
        self.message.value = ""
        if any(trace.kind_at(i) == "update" for i in range(len(trace))):
            self._rows.children = ()
            self.say(w["ed_training"], "#b35900")
            return
        rows = []
        for nid in editable_leaves(trace):
            name, value = trace.name(nid), trace.initial(nid)
            if trace.shape(nid) == ():
                box = widgets.FloatText(value=value, description=name, tooltip=w["ed_box_tip"].format(name=name),
                                        style={"description_width": "auto"}, layout=widgets.Layout(width="190px"))
                r = _slider_range(value)
                slider = widgets.FloatSlider(value=value if math.isfinite(value) else 0.0, min=-r, max=r, step=r / 300,
                                             readout_format=".3g", continuous_update=False,
                                             tooltip=w["ed_slider_tip"].format(name=name),
                                             layout=widgets.Layout(width="320px"))
                slider.observe(lambda ch, n=nid: self._changed(n, ch["new"]), names="value")
                self.sliders[nid] = slider
                row = [box, slider]
            else:
                shape = trace.shape(nid)
                box = widgets.Text(value=_numbers_text(value), description=name, continuous_update=False,
                                   tooltip=w["ed_array_tip"].format(name=name, n=int(np.prod(shape)), shape=shape),
                                   style={"description_width": "auto"}, layout=widgets.Layout(width="520px"))
                row = [box]
            box.observe(lambda ch, n=nid: self._changed(n, ch["new"]), names="value")
            box.add_class("bpv-editor-box")
            self.boxes[nid] = box
            rows.append(widgets.HBox(row, layout=widgets.Layout(align_items="center")))
        self._rows.children = rows
        if not rows:
            self.say(w["ed_none"], "#6b6b6b")

    def sync(self, trace, nid):
        """Show leaf nid's value in `trace` in its box and slider, without calling on_change."""
        value = trace.initial(nid)
        self._quiet = True
        try:
            if nid in self.sliders:
                slider = self.sliders[nid]
                if math.isfinite(value):
                    if not slider.min <= value <= slider.max:  # a number typed beyond it widens the range
                        r = _slider_range(value)
                        slider.min, slider.max = -r, r
                        slider.step = r / 300
                    slider.value = value
                self.boxes[nid].value = value
            elif nid in self.boxes:
                self.boxes[nid].value = _numbers_text(value)
        finally:
            self._quiet = False

    def say(self, text, color="#333"):
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _changed(self, nid, new):
        if self._quiet:
            return
        if isinstance(new, str):
            new = self._parse(nid, new)
            if new is None:
                return
        self._on_change(nid, new)

    def _parse(self, nid, text):
        """The numbers typed for array leaf nid, in its shape; None (and a sentence) when they do not fit."""
        w, box = self._w, self.boxes[nid]
        parts = [p for p in _SEPARATORS.split(text) if p]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            self.say(w["ed_not_number"].format(text=text), "#b35900")
            return None
        shape = self._shapes[nid]
        if len(numbers) != int(np.prod(shape)):
            self.say(w["ed_bad_array"].format(name=box.description, shape=shape, n=int(np.prod(shape)),
                                              got=len(numbers)), "#b35900")
            return None
        return np.array(numbers, dtype=np.float64).reshape(shape)

