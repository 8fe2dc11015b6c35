"""Sandbox: type an expression, give its variables values, and step through its forward and backward pass."""

from __future__ import annotations

import html

import ipywidgets as widgets

from backprop_viz.expression import ExpressionError, expression, is_number, variables
from backprop_viz.text.words import words
from backprop_viz.trace import record
from backprop_viz.widgets.player import BackpropPlayer
from backprop_viz.widgets.quick import LIVE_PREFIX

__all__ = ["Sandbox"]

DEFAULT_VALUE = 1.0  # a variable typed without a value given starts here
RESULT = "f"  # the label of the expression's value, f(a, b, …), unless a variable is called f


class Sandbox(widgets.VBox):
    """A text box for an expression, a box per variable for its value, and a BackpropPlayer below.

    `Sandbox(text="a*b + a", lang="en", a=2.0, b=-3.0)`; lang="ko" for Korean. Changing the text
    (Enter, or leaving the box) or a value records expression(text, **values) and its backward()
    and shows the new trace from its start. A variable's box appears when the text first uses it
    (at the value given, else 1.0) and keeps its value while the text changes. A text that is not
    allowed shows a sentence under the box and leaves the last good picture. `player_options` go
    to BackpropPlayer (rankdir, max_nodes, …). Drive it from code with set_text(text) and
    set_value(name, x); read `trace`, `value` (the expression's Value), `error` (a sentence or None).
    """

    def __init__(self, text="a*b + a", lang="en", *, player_options=None, **values):
        w = self._w = words(lang)
        self.lang = lang
        for name, x in values.items():
            _check_number(name, x)
        self._values = {name: float(x) for name, x in values.items()}  # every value ever given or typed
        self._boxes = {}  # name -> its FloatText, kept while the name is out of the text
        self.trace, self.value, self.error = None, None, None
        self.text_box = widgets.Text(value=str(text), description=w["sb_expression"], tooltip=w["sb_expression_tip"],
                                     placeholder="tanh(x*w + b)", continuous_update=False,
                                     style={"description_width": "auto"}, layout=widgets.Layout(width="32em"))
        self.error_line = widgets.HTML(layout=widgets.Layout(display="none"))
        self.values_label = widgets.Label(w["sb_values"])
        self.values_box = widgets.HBox([self.values_label], layout=widgets.Layout(flex_flow="row wrap",
                                                                                   align_items="center"))
        with record() as empty:  # shown until a first expression draws
            pass
        self.player = BackpropPlayer(empty, lang=lang, **(player_options or {}))
        self.text_box.observe(self._on_text_box_change, names="value")
        super().__init__([self.text_box, self.error_line, self.values_box, self.player])
        self.add_class("bpv-sandbox")
        for control, css in ((self.text_box, "text"), (self.error_line, "error"), (self.values_box, "values")):
            control.add_class("bpv-sb-" + css)  # hooks for page styles and browser tests
        self._redraw()

    # ---- what a student does, as methods ----
    @property
    def text(self):
        """The expression in the text box."""
        return self.text_box.value

    @property
    def values(self):
        """{name: value} for every variable of the expression drawn last."""
        return {name: self._values[name] for name in self._names()}

    def set_text(self, text):
        """Type `text` into the expression box (as Enter would): redraws, or shows why it cannot."""
        self.text_box.value = str(text)  # _on_text_box_change redraws
        return self

    def set_value(self, name, x):
        """Type `x` into the box of variable `name`: the graph is recorded again with the new value."""
        if name not in self._names():
            shown = ", ".join(self._names()) or "none"
            raise KeyError(f"{name!r} is not a variable of the expression {self.text!r} (its variables: {shown}).")
        _check_number(name, x)
        self._boxes[name].value = float(x)  # _on_value_box_change redraws
        return self

    # ---- change handlers ----
    def _on_text_box_change(self, change):
        self._redraw()

    def _on_value_box_change(self, change):
        self._values[change["owner"].description] = float(change["new"])
        self._redraw()

    # ---- drawing ----
    def _names(self):
        return [box.description for box in self.values_box.children[1:]]

    def _redraw(self):
        text = self.text
        try:
            names = variables(text)
            self._show_boxes(names)
            with record() as trace:
                value = expression(text, label_steps=True, **{n: self._values[n] for n in names})
                if value.op and RESULT not in names:
                    value.label = RESULT
                value.backward()
        except ExpressionError as e:
            self._show_error(e.sentence(self.lang))
            return
        self.trace, self.value = trace, value
        self._show_error(None)
        self.player.load(trace, start=0)

    def _show_boxes(self, names):
        for name in names:
            if name not in self._boxes:
                box = widgets.FloatText(value=self._values.setdefault(name, DEFAULT_VALUE), description=name,
                                        tooltip=self._w["sb_value_tip"].format(name=name),
                                        style={"description_width": "auto"}, layout=widgets.Layout(width="11em"))
                box.add_class("bpv-sb-value")
                box.observe(self._on_value_box_change, names="value")
                self._boxes[name] = box
        children = (self.values_label, *(self._boxes[n] for n in names))
        if self.values_box.children != children:
            self.values_box.children = children

    def _show_error(self, sentence):
        self.error = sentence
        self.error_line.layout.display = "none" if sentence is None else "block"
        self.error_line.value = "" if sentence is None else (
            f'<div role="alert" style="color:#b3261e;font-size:14px">⚠ {html.escape(sentence)}</div>')

    def __repr__(self):
        return f"Sandbox({self.text!r}, {', '.join(f'{n}={v:g}' for n, v in self.values.items())})"

    def _ipython_display_(self, **kwargs):
        # As the player does: the live widget, then a still picture that shows only where the widget cannot.
        from IPython.display import display

        self.player.add_class(f"{LIVE_PREFIX}{self.player.model_id}")
        bundle = self._repr_mimebundle_()
        bundle["text/plain"] = repr(self)
        display(bundle, raw=True)
        display({"text/html": self.player.static_html(), "text/plain": repr(self)}, raw=True)


def _check_number(name, x):
    if not is_number(x):
        raise ExpressionError("ex_bad_value", name=name, given=type(x).__name__)
