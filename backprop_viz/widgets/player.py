"""BackpropPlayer: step through a recorded trace — picture, caption with maths, phase, values table."""

from __future__ import annotations

import base64
import html
import re

import ipywidgets as widgets

from backprop_viz.render.sheet import HIDE_RULE, Sheet, hide_rule, new_prefix, show_rule
from backprop_viz.text.numbers import fmt
from backprop_viz.trace import Trace
from backprop_viz.text.words import phase_key, words
from backprop_viz.widgets.predict import PredictPanel, mode_of
from backprop_viz.widgets.quick import LIVE_PREFIX, STALE_CSS, follow_image, hook_image, step_marker, steps_element
from backprop_viz.trace.replay import leaf_id
from backprop_viz.widgets.editor import ValueEditors
from backprop_viz.widgets.table import ACTIVE_ROW, MAX_ROWS, SOURCE_ROW, TableSheet, table_html  # noqa: F401 (MAX_ROWS)

__all__ = ["BackpropPlayer"]

SPEEDS = (0.5, 1, 2, 4, 8, 16)  # steps per second the speed control offers
# Picture sizes the zoom buttons step through. The picture is never shrunk to fit its output:
# at 0.9 its smallest text (the legend and edge labels, 9.5 SVG units of 1 pt) is 11.4 CSS px,
# the least a student at the back of a lecture hall can read; a wider or taller picture scrolls.
ZOOMS = (0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
PICTURE_MAX_HEIGHT = "62vh"  # controls, picture and caption fit one screen together
# The frame's content may not widen the widget (a flex item's min-width is its content's), and the
# box shows that it scrolls: always-visible scroll bars, also where the system hides them.
_SCROLL_CSS = (".bpv-frame>.widget-html-content{min-width:0}"
               ".bpv-scroll{scrollbar-width:auto;scrollbar-color:#8c8c8c #ececec;color-scheme:light}"
               ".bpv-scroll-hint{color:#6b6b6b;font-size:13px;margin-top:2px}"
               ".bpv-scroll::-webkit-scrollbar{width:12px;height:12px}"
               ".bpv-scroll::-webkit-scrollbar-track{background:#ececec;border-radius:6px}"
               ".bpv-scroll::-webkit-scrollbar-thumb{background:#8c8c8c;border-radius:6px;border:2px solid #ececec}"
               + STALE_CSS)
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"')
# A sheet (the picture's and the table's every look over a run of steps) is sent once; a step
# then sends only its look: which looks to show. Up to this many (elements drawn × steps) go on one
# sheet: a ~200-node graph's whole pass; a longer pass gets sheets of a window of steps. In predict
# mode a sheet ends at the step still to predict, so the page never holds a number to be predicted.
SHEET_BUDGET = 1_000_000
REBASE_LOOKS = 160  # a step that differs from the base step in more looks than this becomes the base
# The phase as a coloured pill (Okabe–Ito): forward blue, backward vermillion, update green.
_PHASE_COLORS = {"forward": "#0072b2", "backward": "#d55e00", "update": "#009e73"}


def _button(text, tip, icon="", width="auto"):
    # Font Awesome icons (shipped with Lab, Notebook and Voilà): the ⏮ ⏭ characters are missing
    # from many fonts.
    return widgets.Button(description=text, tooltip=tip, icon=icon, layout=widgets.Layout(width=width))


class BackpropPlayer(widgets.VBox):
    """Step through a recorded trace: the picture of each step, its caption, phase and values.

    `BackpropPlayer(trace, lang="en")`; lang="ko" for Korean captions and controls. The player
    starts at step `start` (0: nothing computed yet). rankdir "LR" or "TB", max_nodes and focus
    (a label or node id: only the paths from that value to the loss) go to frames(). Drive it from code with step(), back(),
    first(), last(), goto(k), next_pass(), previous_pass(), goto_pass(p), play() and pause();
    `index` is the step shown.

    Edit mode (`editable=True`): a box per input and parameter leaf (and a slider for a number);
    a new value replays the trace (`set_value(name, value)` from code), so `trace` is then the
    replayed one: the picture keeps its layout, the step stays, and caption, table and picture show
    the new numbers. A trace with training steps cannot be replayed: the editors say so.

    Predict mode (`predict=True`; `predict="all"` asks for forward values too): before the player
    shows a backward step (or the seed) it asks for the number that step produces, upstream ×
    local; `predict(text)` (the box, Enter or the check button) returns True (right: the step is
    shown), False (wrong: it stays hidden; a second wrong answer adds a hint) or None (not a
    number), and `reveal()` shows it without scoring. Steps are revealed in order, as a teacher
    expects: next, last, play and the slider move freely back and over steps already revealed, and
    stop just before the first step still to predict; `score` is (right, asked). Displayed in a notebook, it is followed by a still picture of the
    last step that only shows where the live widget cannot (a saved notebook, an exported page).
    """

    def __init__(self, trace, lang="en", *, start=0, speed=2, rankdir="LR", max_nodes=None, focus=None,
                 predict=False, editable=False):
        w = words(lang)
        self._predict = PredictPanel(mode_of(predict), lang, w, _button)
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {', '.join(map(str, SPEEDS))} steps per second, not {speed!r}.")
        self.lang, self._w = lang, w
        self._editors = ValueEditors(w, self._on_editor_change) if editable else None
        self._frame_options = {"rankdir": rankdir, "lang": lang}
        if max_nodes is not None:
            self._frame_options["max_nodes"] = max_nodes
        if focus is not None:
            self._frame_options["focus"] = focus
        self.first_button = _button(w["first"], w["first_tip"], "fast-backward")
        self.back_button = _button(w["back"], w["back_tip"], "step-backward")
        self.next_button = _button(w["next"], w["next_tip"], "step-forward")
        self.last_button = _button(w["last"], w["last_tip"], "fast-forward")
        self.play_control = widgets.Play(min=0, max=0, step=1, interval=int(1000 / speed), show_repeat=False,
                                         description=w["play"], tooltip=w["play_tip"],
                                         style={"description_width": "auto"})
        self.speed = widgets.SelectionSlider(options=[(f"{s:g}/s", s) for s in SPEEDS], value=speed,
                                             description=w["speed"], tooltip=w["speed_tip"],
                                             style={"description_width": "auto"},
                                             layout=widgets.Layout(width="220px"))
        self.slider = widgets.IntSlider(min=0, max=0, description=w["step"], tooltip=w["step_tip"],
                                        continuous_update=True, layout=widgets.Layout(width="100%"),
                                        style={"description_width": "auto"})
        self.pass_select = widgets.Dropdown(description=w["pass"], tooltip=w["pass_tip"],
                                            style={"description_width": "auto"},
                                            layout=widgets.Layout(width="auto"))
        self.prev_pass_button = _button(w["prev_pass"], w["prev_pass_tip"], "backward")
        self.next_pass_button = _button(w["next_pass"], w["next_pass_tip"], "forward")
        self.status = widgets.HTML()
        self.zoom_out_button = _button(w["zoom_out"], w["zoom_out_tip"], "search-minus")
        self.zoom_in_button = _button(w["zoom_in"], w["zoom_in_tip"], "search-plus")
        self.zoom_text = widgets.HTML()
        self._zoom = ZOOMS.index(1.0)
        self.frame = widgets.HTML(layout=widgets.Layout(width="100%"))
        # the step's look, as a base step's look and the step's difference from it (see _show_look):
        # small stylesheets (and the follow image) that pick the looks of the frame's sheet
        self.look = widgets.HTML(layout=widgets.Layout(height="0px", margin="0px", overflow="hidden"))
        self.step_look = widgets.HTML(layout=widgets.Layout(height="0px", margin="0px", overflow="hidden"))
        self._base = None
        self.caption = widgets.HTMLMath(layout=widgets.Layout(min_height="3em"))
        self.table = widgets.HTML(layout=widgets.Layout(max_height="320px", overflow="auto"))
        self.note = widgets.HTML(layout=widgets.Layout(display="none"))  # the trace's note, see _show_note
        # The Play timer runs in the browser; linking it to the slider there keeps playing smooth.
        self._link = widgets.jslink((self.play_control, "value"), (self.slider, "value"))

        self._clicks = 0  # clicks on first, back, next and last handled (quick steps wait for them)
        self.first_button.on_click(lambda _: self._clicked(self.first))
        self.back_button.on_click(lambda _: self._clicked(self.back))
        self.next_button.on_click(lambda _: self._clicked(self.step))
        self.last_button.on_click(lambda _: self._clicked(self.last))
        self.prev_pass_button.on_click(lambda _: self.previous_pass())
        self.next_pass_button.on_click(lambda _: self.next_pass())
        self.zoom_out_button.on_click(lambda _: self.zoom_out())
        self.zoom_in_button.on_click(lambda _: self.zoom_in())
        self.slider.observe(self._on_slider_change, names="value")
        self.speed.observe(self._on_speed_change, names="value")
        self.pass_select.observe(self._on_pass_select_change, names="value")

        buttons = widgets.HBox([self.first_button, self.back_button, self.next_button, self.last_button,
                                self.play_control, self.speed], layout=widgets.Layout(flex_flow="row wrap"))
        self._pass_box = widgets.HBox([self.prev_pass_button, self.pass_select, self.next_pass_button])
        zoom = widgets.HBox([self.zoom_out_button, self.zoom_text, self.zoom_in_button],
                            layout=widgets.Layout(align_items="center"))
        super().__init__([buttons, self.slider, widgets.HBox([self.status, self._pass_box, zoom],
                          layout=widgets.Layout(justify_content="space-between", flex_flow="row wrap")),
                          self.note, self.frame, self.look, self.step_look, *self._predict.shown, self.caption,
                          self.table])
        self.add_class("bpv-player")
        self.add_class(f"bpv-p-{self.model_id}")
        if self._editors is not None:  # edit mode: the editors just above the picture
            kids = list(self.children)
            kids.insert(kids.index(self.note), self._editors)
            self.children = kids
        for name, css in (("first_button", "first"), ("back_button", "back"), ("next_button", "next"),
                          ("last_button", "last"), ("play_control", "play"), ("speed", "speed"), ("slider", "slider"),
                          ("pass_select", "pass"), ("prev_pass_button", "prev-pass"),
                          ("next_pass_button", "next-pass"), ("status", "status"), ("frame", "frame"), ("look", "look"), ("step_look", "step-look"),
                          ("zoom_out_button", "zoom-out"), ("zoom_in_button", "zoom-in"), ("zoom_text", "zoom"),
                          ("caption", "caption"), ("table", "table"),
                          ("note", "note")):  # hooks for page styles and browser tests
            getattr(self, name).add_class("bpv-" + css)
        self._quiet = False  # True while the player sets its own controls
        self._predict.check_button.on_click(lambda _: self.predict())
        self._predict.reveal_button.on_click(lambda _: self.reveal())
        self._predict.box.observe(self._on_predict_box_change, names="value")
        self.load(trace, start)

    def load(self, trace, start=0):
        """Show another trace (e.g. the next training step's graph) in this player, at step `start`."""
        from backprop_viz.render import frames

        if not isinstance(trace, Trace):
            hint = " (for a graph you already built, use trace_of(loss))" if type(trace).__name__ == "Value" else ""
            raise TypeError(f"BackpropPlayer takes a Trace from record() or trace_of(), not "
                            f"{type(trace).__name__}{hint}.")
        self.pause()
        self.trace = trace
        start = self._step_number(start, "start")
        self._predict.reset(trace, start)
        self.frames = frames(trace, **self._frame_options)
        self._sheet = self._table_sheet = None
        n, w = len(trace), self._w
        self._quiet = True
        try:
            for control in (self.slider, self.play_control):
                control.max = max(n, control.value)
                control.value = start
                control.max = n
            self.pass_select.options = [(w["pass_option"].format(p=p + 1, n=trace.passes), p)
                                        for p in range(trace.passes)] or [(w["pass_none"], 0)]
        finally:
            self._quiet = False
        self._pass_box.layout.display = "flex" if trace.passes > 1 else "none"
        self._show_note()
        if self._editors is not None:
            self._editors.show(trace)
        self._show(start)
        return self

    # ---- edit mode ----
    def set_value(self, name, value):
        """Give the input or parameter `name` (its label or node id) a new value: `trace` becomes
        trace.replay({name: value}), every value and gradient computed again; the picture keeps its
        layout and the player stays on the step it shows. A KeyError names the leaves one can change."""
        from backprop_viz.render import frames

        nid = leaf_id(self.trace, name)
        new = self.trace.replay({nid: value})
        k = self.index
        self.trace = new
        self.frames = frames(new, **self._frame_options)  # the same structure: the same layout, no dot run
        self._sheet = self._table_sheet = None
        self._show_note()
        self._show(k)
        if self._editors is not None:
            self._editors.sync(new, nid)
            self._editors.say(self._w["ed_changed"].format(name=new.name(nid), value=fmt(new.initial(nid))))
        return self

    def _on_editor_change(self, nid, value):
        try:
            self.set_value(nid, value)
        except (ValueError, TypeError) as e:  # the sentence of the refusal, where the student typed
            self._editors.say(self._w["ed_failed"].format(reason=str(e)), "#b35900")
            self._editors.sync(self.trace, nid)

    def _show_note(self):
        """The trace's note (trace.note(lang)), above the picture, when it has one: e.g. which nodes'
        own gradients in a student's micrograd graph differ from the chain rule's."""
        text = self.trace.note(self.lang)
        self.note.value = "" if text is None else (
            '<div style="border-left:4px solid #e69f00;background:#fdf3e1;padding:4px 10px;font-size:14px">'
            f"{html.escape(text)}</div>")
        self.note.layout.display = "none" if text is None else "block"

    # ---- what the buttons do ----
    def _clicked(self, action):
        """A button's action, counted: the step's look says how many clicks it answers, so the
        browser's quick step (widgets/quick.py) knows when the kernel's look has caught up. A click
        that changes nothing still sends the look with the new count."""
        self._clicks += 1
        k = self.index
        action()
        if self.index == k:
            self._show_look()

    @property
    def index(self):
        """The step shown: 0 (nothing done yet) … len(trace) (everything recorded has happened)."""
        return self.slider.value

    def _step_number(self, k, what="goto()"):
        if isinstance(k, bool) or not hasattr(k, "__index__"):
            raise TypeError(f"{what} takes a step number (an int), not {type(k).__name__}.")
        k = k.__index__()
        if not 0 <= k <= len(self.trace):
            raise IndexError(f"step {k} does not exist: this recording has steps 0 to {len(self.trace)}.")
        return k

    def goto(self, k):
        """Show snapshot k (0 … len(trace))."""
        k = self._step_number(k)
        allowed = self._predict.allowed(k)
        if allowed != k:
            self.pause()
            self._predict.say(self._w["pr_blocked"], "#b35900")
        self.slider.value = allowed  # _on_slider_change shows it
        return self

    def step(self):
        """One step forward (stays at the last step)."""
        return self.goto(min(self.index + 1, len(self.trace)))

    def back(self):
        """One step back (stays at step 0)."""
        return self.goto(max(self.index - 1, 0))

    def first(self):
        return self.goto(0)

    def last(self):
        return self.goto(len(self.trace))

    def goto_pass(self, p):
        """Show the first step of pass p (0-based; pass 0 starts at step 0, before anything is computed)."""
        if isinstance(p, bool) or not hasattr(p, "__index__"):
            raise TypeError(f"goto_pass() takes a pass number (an int), not {type(p).__name__}.")
        p = p.__index__()
        if not self.trace.passes:  # an empty recording: pass 0 is its only step, step 0
            if p != 0:
                raise IndexError(self._w["no_passes"].format(p=p))
            return self.goto(0)
        if not 0 <= p < self.trace.passes:
            raise IndexError(f"pass {p} does not exist: this recording has passes 0 to {self.trace.passes - 1}.")
        return self.goto(self.trace.pass_steps(p)[0])

    @property
    def pass_index(self):
        """The pass the step shown belongs to (0-based)."""
        return self._snapshot.pass_index

    def next_pass(self):
        return self.goto_pass(min(self.pass_index + 1, max(self.trace.passes - 1, 0)))

    def previous_pass(self):
        """The start of this pass, or of the previous one when already at its start."""
        p = self.pass_index
        if not self.trace.passes:
            return self.goto(0)
        at_start = self.index == self.trace.pass_steps(p)[0]
        return self.goto_pass(max(p - 1, 0) if at_start else p)

    def play(self):
        """Start playing from the step shown (from the start when at the end); the browser keeps time."""
        if self.index >= len(self.trace):
            self.first()
        self.play_control.playing = True
        return self

    def pause(self):
        self.play_control.playing = False
        return self

    @property
    def playing(self):
        return bool(self.play_control.playing)

    # ---- picture size ----
    @property
    def zoom(self):
        """The picture's size: 1.0 is its natural size (1 pt per unit), never below ZOOMS[0]."""
        return ZOOMS[self._zoom]

    @zoom.setter
    def zoom(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in ZOOMS:
            raise ValueError(f"zoom must be one of {', '.join(f'{z:g}' for z in ZOOMS)}, not {value!r}.")
        self._zoom = ZOOMS.index(value)
        self._show_look()

    def zoom_in(self):
        """A bigger picture (for the back row); it scrolls when it is wider or taller than its box."""
        self.zoom = ZOOMS[min(self._zoom + 1, len(ZOOMS) - 1)]
        return self

    def zoom_out(self):
        """A smaller picture, down to the size whose smallest text is still readable (never fit-to-width)."""
        self.zoom = ZOOMS[max(self._zoom - 1, 0)]
        return self

    @property
    def picture(self):
        """The SVG of the step shown (frames(trace)[index]): what the frame box shows, at `zoom`."""
        return self.frames.render(self._snapshot)

    def _sheet_steps(self, k):
        """(first, last): the steps of the sheet that shows step k."""
        p = self._snapshot.pass_index
        first, last = self.trace.pass_steps(p)
        if self._predict.mode:
            last = min(last, self._predict.allowed(len(self.trace)))
        scene = self.frames.view(p)[0].scene
        most = max(16, SHEET_BUDGET // (2 * (len(scene.nodes) + len(scene.edges)) + 1))
        if last - first + 1 > most:
            first = max(first, min(k - most // 4, last - most + 1))
            last = first + most - 1
        return first, last

    def _show_frame(self):
        """The sheet that holds step k, when the one shown does not: picture and table, sent once."""
        k = self.index
        if self._sheet is not None and k in self._sheet and self._sheet.pass_index == self._snapshot.pass_index:
            return
        first, last = self._sheet_steps(k)
        snaps = [self.trace.snapshot(j) for j in range(first, last + 1)]
        prefix = new_prefix()  # the looks' classes, shown by plain class rules: unique on the page
        sheet = self._sheet = Sheet(self.frames, first, last, snaps, prefix)
        self._table_sheet = TableSheet(self.trace, snaps, self._w, prefix.replace("-", "_"))
        uid = self.model_id
        m = _SVG_SIZE.search(sheet.svg)
        self._picture_width = float(m.group(1)) if m else None
        looks, rows = zip(*(self._look_parts(j) for j in range(first, last + 1)))
        quick = steps_element(first, last, len(self.trace), looks, rows,
                              [self._status_parts(snap) for snap in snaps], on=not self._predict.mode)
        self.frame.value = (f'<style>{HIDE_RULE}{_SCROLL_CSS}</style>{quick}'
                            f'<div class="bpv-scroll bpv-scroll-{uid}" style="overflow:auto;'
                            f'max-height:{PICTURE_MAX_HEIGHT};max-width:100%">{sheet.svg}</div>'
                            f'<div class="bpv-scroll-hint" style="display:none">⇆ '
                            f'{html.escape(self._w["scroll_hint"])}</div>{hook_image()}')
        self.table.value = self._table_sheet.html

    def _show_look(self):
        """The step's look, in two parts. `look` shows the looks of a base step (and the picture's
        size); `step_look` hides those the step shown does not have, shows those it has instead,
        marks the table's active and source rows, hides rows outside the step's window, and holds
        the image that scrolls the active node into view. A click usually changes a few looks, so
        it sends only `step_look`, and the browser restyles only the elements it names; when the
        difference grows past REBASE_LOOKS, the step shown becomes the base."""
        k, uid, sheet = self.index, self.model_id, self._sheet
        now, row_rules = self._look_parts(k)
        size = f"{self._picture_width * self.zoom:.1f}pt" if self._picture_width else "auto"
        base = self._base
        if base is None or base[0] is not sheet or base[1] != size:
            base = None
        else:
            shown = set(now)
            hide = [c for c in base[2] if c not in shown]
            show = [c for c in now if c not in base[3]]
            if len(hide) + len(show) > REBASE_LOOKS:
                base = None
        if base is None:
            # The rules end in a class (but the window's rows, only for a pass of over MAX_ROWS
            # nodes): a rule ending in svg or tr makes a browser restyle the whole page.
            self._base = (sheet, size, now, set(now))
            hide, show = [], []
        rules = hide_rule(hide) + show_rule(show) + row_rules
        # The two parts reach the browser one after the other. A new base goes second, after a
        # step part without differences: in between the old base shows, one whole earlier step,
        # never the old difference on the new base (two steps' looks at once).
        # The image that scrolls to the active node goes in the part that arrives last, so it finds
        # the node where the step shows it.
        last = follow_image(k, self._clicks)
        self.step_look.value = f"<style>{rules}</style>{step_marker(k, self._clicks) if base is None else last}"
        if base is None:
            self.look.value = (f"<style>.bpv-scroll-{uid}>.bv-svg{{width:{size};height:auto;max-width:none;"
                               f"display:block}}{show_rule(now)}</style>{last}")
        self.zoom_text.value = f"{self.zoom * 100:.0f} %"
        self.zoom_out_button.disabled = self._zoom == 0
        self.zoom_in_button.disabled = self._zoom == len(ZOOMS) - 1

    def _look_parts(self, k):
        """Step k's look on the sheet: (the classes it shows, in the picture and the table; the CSS of
        its table marks: its active and source rows, and the rows outside its window)."""
        table = self._table_sheet
        classes, active, source, (lo, hi) = table.look(k)
        rules = []
        row = table.row_class
        if active is not None:
            rules.append(f".{row(active)}{{{ACTIVE_ROW}}}")
        if source is not None and source != active:
            rules.append(f".{row(source)}{{{SOURCE_ROW}}}")
        scope = f".bpv-p-{self.model_id}"
        hidden = ([f"{scope} .bpv-table tbody tr:nth-child(-n+{lo - 1})"] if lo > 1 else []) + \
                 ([f"{scope} .bpv-table tbody tr:nth-child(n+{hi + 1})"] if hi < table.rows else [])
        if hidden:
            rules.append(f"{','.join(hidden)}{{display:none}}")
        return self._sheet.classes(k) + classes, "".join(rules)

    # ---- change handlers ----
    def _on_slider_change(self, change):
        if not self._quiet:
            k = self._predict.allowed(change["new"])
            if k != change["new"]:  # dragged or played past a step still to predict: back to just before it
                self.pause()
                self._quiet = True
                try:
                    self.slider.value = k
                finally:
                    self._quiet = False
            self._show(k)

    def _on_speed_change(self, change):
        self.play_control.interval = int(1000 / change["new"])

    def _on_pass_select_change(self, change):
        if not self._quiet and change["new"] is not None and change["new"] != self.pass_index:
            self.goto_pass(change["new"])

    # ---- what is shown ----
    def _show(self, k):
        snap = self.trace.snapshot(k)
        self._snapshot = snap
        # the caption goes before the look: the look's last part ends a quick step in the page
        # (widgets/quick.py), and the caption it then shows is this step's
        # (a caption's second line, fan-out or a carried gradient, is a line of its own)
        self.caption.value = html.escape(snap.caption(self.lang, fmt="latex"), quote=False).replace("\n", "<br>")
        self._show_frame()
        self._show_look()
        self.status.value = self._status_html(snap)
        n = len(self.trace)
        self.first_button.disabled = self.back_button.disabled = k == 0
        self.next_button.disabled = self.last_button.disabled = k == n
        if k == n:  # played to the end: stopped now, so a click on first that comes before the
            self.pause()  # timer's next tick does not start it over
        self._predict.show(k)
        if self.trace.passes:
            self._quiet = True
            try:
                self.pass_select.value = snap.pass_index
            finally:
                self._quiet = False
            self.prev_pass_button.disabled = k == 0
            self.next_pass_button.disabled = snap.pass_index >= self.trace.passes - 1

    def _status_parts(self, snap):
        """The status line above the picture as (the phase as a coloured pill, where the step is)."""
        color = _PHASE_COLORS[snap.phase]
        return (f'<span style="background:{color};color:#fff;border-radius:9px;padding:1px 9px;'
                f'font-weight:bold">{html.escape(self._w[phase_key(snap)])}</span>',
                html.escape(self.status_text(snap, phase=False)))

    def _status_html(self, snap):
        return " ".join(self._status_parts(snap))

    def status_text(self, snap, phase=True):
        """'backward · pass 2 of 3 · step 17 of 40' (the pass only when there are several)."""
        w, trace = self._w, self.trace
        if trace.passes > 1:
            text = w["status"].format(p=snap.pass_index + 1, n=trace.passes, k=snap.step, total=len(trace))
        else:
            text = w["status_one"].format(k=snap.step, total=len(trace))
        return f"{w[phase_key(snap)]} · {text}" if phase else text

    def table_html(self, snap):
        """An HTML table of every node of the pass shown: name, how it was made, value, gradient;
        the active node's row highlighted (and the node the active gradient comes from). The
        table box shows this table of the step shown, assembled from its sheet and the step's look."""
        return table_html(self.trace, snap, self._w)

    # ---- predict mode ----
    @property
    def predicting(self):
        """The step whose number the player asks for now (shown once predicted), or None."""
        return self._predict.pending(self.index)

    @property
    def score(self):
        """(right, asked): steps predicted right, and steps given at least one number."""
        return self._predict.right, self._predict.asked

    def predict(self, text=None):
        """Check a prediction of the step asked for (the box's text when `text` is None): True if
        right (within 1 %: the step is shown), False if wrong (it stays hidden; the feedback says what
        to multiply, and from the second wrong answer gives a hint), None if it is not a number or
        nothing is asked here. The same answer given twice counts once."""
        box = self._predict.box
        if text is not None:
            self._quiet_box(str(text))
        ok, k = self._predict.check(self.index, box.value)
        if ok:
            said = self._predict.feedback.value
            self._quiet_box("")
            self.goto(k)
            self._predict.feedback.value = said
        return ok

    def reveal(self):
        """Show the step asked for without a prediction (not scored)."""
        k = self._predict.reveal(self.index)
        if k is not None:
            said = self._predict.feedback.value
            self._quiet_box("")
            self.goto(k)
            self._predict.feedback.value = said
        return self

    def _quiet_box(self, text):
        self._quiet_predict = True
        try:
            self._predict.box.value = text
        finally:
            self._quiet_predict = False

    def _on_predict_box_change(self, change):
        if not getattr(self, "_quiet_predict", False) and change["new"].strip():
            self.predict()

    def __repr__(self):
        return (f"BackpropPlayer: {len(self.trace)} steps in {self.trace.passes} pass(es), showing step "
                f"{self.index} (run the notebook to use its controls)")

    # ---- without a live kernel ----
    def static_html(self):
        """The last step as a still picture (an <img> of the SVG, which survives HTML sanitisers),
        with its caption. A style rule hides it wherever the live player is on the page: the live
        player's script (widgets/quick.py) marks the page's root with the player's `bpv-live-` class.
        (Not `body:has(.bpv-live-…)`: with a :has() rule on the body, every element added anywhere
        makes the browser restyle the whole page, 15-20 ms a widget update in JupyterLab.)"""
        last = self.trace.snapshot(len(self.trace))
        svg = self.frames.render(last)
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        uid = self.model_id
        caption = html.escape(last.caption(self.lang, fmt="text"))
        note = html.escape(self._w["static_note"].format(n=len(self.trace)))
        return (f'<div class="bpv-static bpv-static-{uid}">'
                f'<style>.{LIVE_PREFIX}{uid} .bpv-static-{uid}{{display:none}}</style>'
                f'<div style="overflow:auto;max-width:100%"><img alt="{caption}" '
                f'src="data:image/svg+xml;base64,{data}" style="max-width:none"></div>'
                f'<p>{caption.replace(chr(10), "<br>")}</p><p style="color:#6b6b6b"><small>{note}</small></p></div>')

    def _ipython_display_(self, **kwargs):
        # Two outputs: the live widget, then the still picture. nbconvert and JupyterLab show only
        # one mimetype per output and always choose the widget view when there is one, so a
        # text/html fallback inside the widget's own bundle never shows; a separate output does.
        from IPython.display import display

        self.add_class(f"{LIVE_PREFIX}{self.model_id}")
        bundle = self._repr_mimebundle_()
        bundle["text/plain"] = repr(self)  # what a front-end without the widget's model shows
        display(bundle, raw=True)
        last = self.trace.snapshot(len(self.trace)).caption(self.lang)
        display({"text/html": self.static_html(), "text/plain": f"{self.status_text(self.trace.snapshot(len(self.trace)))}: {last}"}, raw=True)
