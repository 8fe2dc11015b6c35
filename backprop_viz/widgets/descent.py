"""GradientDescentView: train a model step by step and watch the loss curve, the fit and the landscape."""

from __future__ import annotations

import html
import math
import numbers
import re
import threading
import time

import ipywidgets as widgets
import numpy as np

from backprop_viz import nn, plots
from backprop_viz.engine import Value
from backprop_viz.optim import _unrecorded
from backprop_viz.render import DotNotFoundError
from backprop_viz.text.numbers import fmt
from backprop_viz.trace import trace_of
from backprop_viz.widgets.layered import LayeredPicture
from backprop_viz.widgets.player import BackpropPlayer, _button
from backprop_viz.text.words import words

__all__ = ["GradientDescentView"]

LOSSES = {"mse": nn.mse, "bce": nn.binary_cross_entropy, "binary_cross_entropy": nn.binary_cross_entropy,
          "hinge": nn.hinge}
DRAW_EVERY = 0.1  # seconds: during a run the pictures are redrawn at most this often
CHUNK_TIME = 0.05  # seconds of training between two looks at the stop button and the progress bar
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
GRAPH_MAX_PARAMETERS = 40  # models with more parameters get no per-sample graph unless asked
TABLE_MAX_ROWS = 12  # the parameters table lists this many (an MLP has hundreds) and counts the rest
LOOKAHEAD_STEPS = 1000  # a two-parameter model's first landscape frames this many steps of descent


def _nice_above(x, smallest=10):
    """The smallest of 10, 20, 50, 100, 200, … that is ≥ x: an axis end that changes rarely."""
    top = smallest
    while top < x:
        top = top * 5 // 2 if str(top)[0] == "2" else top * 2
    return top


def _check_data(a, name, w):
    """ValueError with a sentence when `a` (X or y) has no rows or a row with nan or ±inf in it."""
    if a.ndim == 0 or len(a) == 0:
        raise ValueError(w["gd_data_empty"].format(name=name))
    bad = ~np.isfinite(a)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        value = a[row] if a.ndim == 1 else a[row][~np.isfinite(a[row])].flat[0]
        raise ValueError(w["gd_data_not_finite"].format(name=name, row=row, value=fmt(float(value))))


def _growing(losses):
    """Whether the losses were growing before the last of them: the latest above the one before,
    or above the first."""
    if len(losses) < 2:
        return False
    return losses[-1] > losses[-2] or losses[-1] > losses[0]


def _backward_start(trace):
    """The step where the backward pass begins: forward done, the next press sends the first gradient."""
    kinds = [ev.kind for ev in trace.events]
    return kinds.index("seed") if "seed" in kinds else 0


def _named_forward(model, x):
    """model(x) for one sample; an MLP's hidden values are named h0, h1, … (h1.0, h2.0, … for several layers)."""
    if not isinstance(model, nn.MLP):
        return model(x)
    layers, h = model.layers, x
    for k, layer in enumerate(layers[:-1]):
        h = layer(h)
        for i, v in enumerate(h):
            v.label = f"h{i}" if len(layers) == 2 else f"h{k + 1}.{i}"
    out = layers[-1](h)
    return out[0] if len(out) == 1 else out


def _name_nodes(loss, target, label):
    """Name the target in `ŷ - y` (the unnamed constant subtracted from the prediction), then every
    unnamed product or difference of two short names after them: w·x, ŷ − y."""
    symbol, short, done = {}, 3, set()

    def visit(v):
        if id(v) in done:
            return
        done.add(id(v))
        parents = v.parents
        for parent in parents:
            visit(parent)
        if v.op == "-" and len(parents) == 2:
            t = parents[1]
            if not t.parents and t.role == "constant" and t.label is None and t.data == target:
                t.label, symbol[id(t)] = label, "y"
        names = [symbol.get(id(q), q.label) for q in parents]
        if v.label is None and v.op in ("*", "-") and len(names) == 2 and all(n and len(n) <= short for n in names):
            v.label = f"{names[0]}·{names[1]}" if v.op == "*" else f"{names[0]} − {names[1]}"

    visit(loss)


_TARGET = {"en": "y (target)", "ko": "y (정답)"}  # until text.words has the term


class GradientDescentView(widgets.VBox):
    """Gradient descent you can watch: θ_{t+1} = θ_t − lr · ∂L/∂θ(θ_t) on a model and its data.

    `GradientDescentView(model, X, y, loss="mse", lr=0.1, *, steps=100, sample="auto", lang="en")`.
    Buttons (and methods): step() one step, run(n) n steps, stop(), reset() back to θ_0; the
    learning rate on a log scale. Shows the loss curve L(θ_t), the fitted line (one input) or
    decision boundary (two inputs), the parameters, for a two-parameter model the loss landscape
    with the path θ_0, θ_1, …, and the graph of the current step for one sample (`sample`: its
    index, "auto" for small models, None for none). A loss that stops being finite or grows
    `explode` times above max(L(θ_0), 1) stops the run with a message.

    set_start(θ) starts again from another θ_0. For a two-parameter model a box and a slider per
    parameter set θ_0 too: the landscape is a picture (an Image widget has no click events), so θ_0
    is typed or slid there rather than dragged on it.
    """

    def __init__(self, model, X, y, loss="mse", lr=0.1, *, steps=100, sample="auto", lang="en",
                 explode=1e4, landscape_lims=None, focus=None):
        w = self._w = words(lang)
        if not (hasattr(model, "parameters") and callable(model)):
            raise TypeError(f"GradientDescentView takes a model (e.g. nn.LinearRegression()), not {type(model).__name__}.")
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function, not {loss!r}.")
            loss = LOSSES[loss]
        elif not callable(loss):
            raise TypeError(f"loss must be a name ('mse', 'bce', 'hinge') or a function (pred, y) -> Value, not {loss!r}.")
        if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
            raise ValueError(f"lr (the learning rate) must be a positive number, not {lr!r}.")
        lr = float(lr)  # np.float32(0.1) as SGD takes it
        if isinstance(explode, (bool, np.bool_)) or not isinstance(explode, numbers.Real) or not explode > 1:
            raise ValueError(f"explode must be a number above 1 (how many times max(L(θ_0), 1) the loss may grow "
                             f"before a run stops), or math.inf for no limit, not {explode!r}.")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive int (how many steps 'run' takes), not {steps!r}.")
        self.model, self.X, self.y, self.loss = model, np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64), loss
        _check_data(self.X, "X", w)
        _check_data(self.y, "y", w)
        self.lang, self.explode = lang, float(explode)
        self.params = model.parameters()
        self._start = [p.data if type(p.data) is float else p.data.copy() for p in self.params]
        self.opt = nn.SGD(self.params, lr)
        first = loss(model(self.X), self.y)  # bad shapes or labels fail here, with the loss's own sentence
        if first.shape != ():
            raise ValueError(f"the loss must be one number (a scalar Value), not an array of shape {first.shape}.")
        if not math.isfinite(float(first.data)):
            raise ValueError(w["gd_not_finite_start"].format(loss=fmt(float(first.data))))
        self._two = model.num_parameters() == 2 if hasattr(model, "num_parameters") else False
        n_in = getattr(model, "n_in", None)
        self._fit = {1: "line", 2: "boundary"}.get(n_in) if hasattr(model, "predict") else None
        if sample == "auto":
            small = hasattr(model, "num_parameters") and model.num_parameters() <= GRAPH_MAX_PARAMETERS
            sample = 0 if small else None
        if sample is not None and not (isinstance(sample, int) and 0 <= sample < len(self.X)):
            raise ValueError(f"sample must be the index of a row of X (0 to {len(self.X) - 1}), 'auto' or None, not {sample!r}.")
        self.sample = sample
        self._lims = landscape_lims
        self._curve, self._fit_picture, self._landscape = LayeredPicture(4.2, 3.2), LayeredPicture(4.2, 3.2), LayeredPicture(4.6, 3.4)

        lo = min(-4.0, math.floor(math.log10(lr)) - 1)
        hi = max(1.0, math.ceil(math.log10(lr)) + 2)  # room to find the rate where descent diverges
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=lo, max=hi, step=0.1, description=w["gd_lr"],
                                                tooltip=w["gd_lr_tip"], readout_format=".3g",
                                                style={"description_width": "auto"}, continuous_update=False)
        self.step_button = _button(w["gd_step"], w["gd_step_tip"])
        self.run_button = _button(w["gd_run"], w["gd_run_tip"])
        self.steps_box = widgets.BoundedIntText(value=steps, min=1, max=1_000_000, description=w["gd_steps"],
                                                tooltip=w["gd_steps_tip"], style={"description_width": "auto"},
                                                layout=widgets.Layout(width="150px"))
        self.stop_button = _button(w["gd_stop"], w["gd_stop_tip"])
        self.reset_button = _button(w["gd_reset"], w["gd_reset_tip"])
        self.log_box = widgets.Checkbox(value=False, description=w["gd_log"], tooltip=w["gd_log_tip"],
                                        indent=False, layout=widgets.Layout(width="auto"))
        self.run_button.button_style = "primary"
        self.stop_button.disabled = True
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description=w["gd_progress"],
                                            style={"description_width": "auto"})
        self.progress_text = widgets.Label()
        self.message = widgets.HTML()
        self.status = widgets.HTML()
        # each picture: its frame, and over it a transparent layer of what a step moves (see LayeredPicture)
        self.curve_image, self.curve_background = self._curve.layer, self._curve.background
        self.fit_image, self.fit_background = self._fit_picture.layer, self._fit_picture.background
        self.landscape_image, self.landscape_background = self._landscape.layer, self._landscape.background
        self.params_table = widgets.HTML()
        self.graph_title = widgets.HTML()
        self.graph_note = widgets.HTML()  # where the graph would be, when it cannot be drawn
        self.player = None
        self.step_button.on_click(lambda _: self.step())
        self.run_button.on_click(lambda _: self.run(background=True))
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        self.log_box.observe(lambda _: self._draw(), names="value")
        self.lr_slider.observe(self._on_lr_slider_change, names="value")

        pictures = [self._curve.box]
        if self._fit:
            pictures.append(self._fit_picture.box)
        if self._two:
            pictures.append(self._landscape.box)
        children = [
            widgets.HBox([self.step_button, self.run_button, self.steps_box, self.stop_button, self.reset_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.lr_slider, self.log_box], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.progress, self.progress_text]),
            self.message, self.status,
            widgets.HBox(pictures, layout=widgets.Layout(flex_flow="row wrap")),
            self.params_table,
        ]
        if self._two:  # θ_0 typed or slid, beside the landscape (see set_start)
            children.insert(children.index(self.params_table), self._start_controls(w))
        if sample is not None:
            trace = self._sample_trace()
            try:
                self.player = BackpropPlayer(trace, lang=lang, start=_backward_start(trace), focus=focus)
            except DotNotFoundError:  # only the graph needs Graphviz: the rest of the view works without
                self.graph_note.value = f'<span style="color:#b35900">{html.escape(w["gd_no_graph"])}</span>'
                children.append(self.graph_note)
            else:
                children += [self.graph_title, self.player]
        super().__init__(children)
        self.add_class("bpv-descent")
        for name in ("step_button", "run_button", "steps_box", "stop_button", "reset_button", "lr_slider", "log_box",
                     "progress", "progress_text", "message", "status", "curve_image", "fit_image", "landscape_image",
                     "curve_background", "fit_background", "landscape_background", "params_table", "graph_title",
                     "graph_note"):  # hooks for page styles and browser tests
            getattr(self, name).add_class("bpv-gd-" + re.sub("_(button|box|slider|image)$", "", name).replace("_", "-"))
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._restart(float(first.data))

    # ---- state ----
    def _restart(self, first_loss):
        self.losses = [first_loss]  # losses[t] = L(θ_t)
        self.thetas = [self._theta()] if self._two else []  # θ_t (the landscape's path)
        if self._two and self._lims is None:
            self._lims = self._frame(self._lookahead())
        self.diverged = False
        self.message.value = ""
        self.progress.value, self.progress.max = 0, 1
        self.progress_text.value = ""
        self._set_buttons(running=False)
        self._draw()
        self._prepare_next_step()

    def _theta(self):
        return np.concatenate([np.ravel(p.data) for p in self.params])

    @property
    def t(self):
        """The number of steps taken since θ_0."""
        return len(self.losses) - 1

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    # ---- the buttons ----
    def step(self):
        """One gradient-descent step."""
        return self.run(1)

    def _prepare_next_step(self):
        """Once the pictures are sent: lay out the landscape's next end label θ_{t+1} (maths text,
        a third of a step's drawing), which the next step click would otherwise wait for."""
        if self._two and not self.diverged and self._landscape.ax is not None:
            plots.prepare_end_label(self._landscape.ax, self.t + 1, lang=self.lang)

    def run(self, n=None, *, background=False):
        """Take n steps (the steps box when n is None). With background=True (the run button) the
        steps run in a thread, so stop() and the other controls stay responsive; wait() joins it."""
        n = self.steps_box.value if n is None else n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"run() takes a positive number of steps, not {n!r}.")
        if self.diverged or not self._busy.acquire(blocking=False):
            return self  # diverged: reset first (the message says so); busy: a run is going on
        self._stop.clear()
        if background or n > 1:  # a single step is over before a disabled button could be seen
            self._set_buttons(running=True)
        if background:
            self._thread = threading.Thread(target=self._run, args=(int(n),), daemon=True)
            self._thread.start()
        else:
            self._run(int(n))
        return self

    def stop(self):
        """Stop a run after the step in progress."""
        self._stop.set()
        return self

    def wait(self, timeout=None):
        """Wait until a background run has finished."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self

    def reset(self):
        """Stop any run and go back to the starting parameters θ_0."""
        self.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        for p, d in zip(self.params, self._start):
            p.data = d if type(d) is float else d.copy()
            p.grad = 0.0
        with _unrecorded():
            first = float(self.loss(self.model(self.X), self.y).data)
        self._restart(first)
        return self

    def set_start(self, theta):
        """Start again from θ_0 = theta: one number per parameter entry, in parameters() order (for a
        line, (w, b)). Stops any run, goes back to step 0 there; the landscape's view moves only when
        θ_0 is outside it (and was not given as landscape_lims)."""
        n = sum(np.size(d) for d in self._start)
        try:
            flat = np.asarray(theta, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise TypeError(f"set_start() takes {n} numbers (θ_0, one per parameter entry), not {theta!r}.") from None
        if flat.size != n:
            raise ValueError(f"set_start() takes {n} numbers (θ_0, one per parameter entry), not {flat.size}.")
        if not np.isfinite(flat).all():
            raise ValueError(f"θ_0 must be finite numbers, not {flat.tolist()}.")
        start, k = [], 0
        for d in self._start:
            size = np.size(d)
            start.append(float(flat[k]) if type(d) is float else flat[k:k + size].reshape(np.shape(d)).copy())
            k += size
        self._start = start
        if self._two and not self._fixed_lims and not self._inside(flat[None, :]):
            self._lims = None  # _restart frames the landscape around descent from the new θ_0
        self.reset()
        self._show_start()
        return self

    def _start_controls(self, w):
        """A FloatText and a FloatSlider per entry of θ_0 (two-parameter models)."""
        self._fixed_lims = self._lims is not None
        names = [f"{p.label or f'θ{i}'}[{j}]" if np.size(p.data) > 1 else (p.label or f"θ{i}")
                 for i, p in enumerate(self.params) for j in range(np.size(p.data))]
        theta = self._theta()
        self.start_boxes, self.start_sliders = [], []
        self._start_quiet = False
        for i, (name, v) in enumerate(zip(names, theta)):
            tip = w["gd_start_tip"].format(name=name)
            r = float(max(3.0, math.ceil(2.0 * abs(v))))
            box = widgets.FloatText(value=float(v), description=f"{name}₀", tooltip=tip,
                                    style={"description_width": "auto"}, layout=widgets.Layout(width="150px"))
            slider = widgets.FloatSlider(value=float(v), min=-r, max=r, step=r / 300, readout_format=".3g",
                                         continuous_update=False, tooltip=tip, layout=widgets.Layout(width="260px"))
            for control in (box, slider):
                control.observe(lambda ch, i=i: self._on_start_change(i, ch["new"]), names="value")
            self.start_boxes.append(box)
            self.start_sliders.append(slider)
        rows = [widgets.HBox([b, s], layout=widgets.Layout(align_items="center"))
                for b, s in zip(self.start_boxes, self.start_sliders)]
        note = widgets.HTML(f'<span style="color:#6b6b6b">{html.escape(w["gd_start_note"])}</span>')
        box = widgets.VBox([note, *rows])
        box.add_class("bpv-gd-start")
        return box

    def _on_start_change(self, i, value):
        if self._start_quiet or not math.isfinite(value):
            return
        theta = np.concatenate([np.ravel(d) for d in self._start])
        theta[i] = value
        self.set_start(theta)

    def _show_start(self):
        """θ_0 in its boxes and sliders (a slider's range widens to hold a number typed beyond it)."""
        if not self._two:
            return
        self._start_quiet = True
        try:
            for v, box, slider in zip(np.concatenate([np.ravel(d) for d in self._start]), self.start_boxes,
                                      self.start_sliders):
                v = float(v)
                if not slider.min <= v <= slider.max:
                    r = float(max(3.0, math.ceil(2.0 * abs(v))))
                    slider.min, slider.max, slider.step = -r, r, r / 300
                slider.value = box.value = v
        finally:
            self._start_quiet = False

    # ---- the work ----
    def _run(self, n):
        w = self._w
        try:
            with self.progress.hold_sync():  # one message, not two
                self.progress.max = n
                if n > 1:  # a single step's bar goes straight to its end: one message fewer per click
                    self.progress.value = 0
            done, chunk, last_draw, draw_cost = 0, 1, 0.0, 0.0
            while done < n and not self._stop.is_set() and not self.diverged:
                self.opt.lr = float(self.lr_slider.value)
                began = time.perf_counter()
                done += self._advance(min(chunk, n - done))
                spent = time.perf_counter() - began
                chunk = max(1, min(int(chunk * CHUNK_TIME / max(spent, 1e-6)), 10 * chunk))
                self.progress.value = min(done, n)
                self.progress_text.value = f"{done} / {n}"
                now = time.perf_counter()
                if done < n and now - last_draw >= max(DRAW_EVERY, 2 * draw_cost):
                    self._draw()
                    draw_cost, last_draw = time.perf_counter() - now, time.perf_counter()
            if not self.diverged:
                key = "gd_done" if done >= n else "gd_stopped"
                self.message.value = html.escape(w[key].format(n=done, t=done)) if n > 1 else ""
        except Exception as e:  # a classroom widget reports, it does not die with a traceback
            self.message.value = f'<span style="color:#b30000">{html.escape(f"{type(e).__name__}: {e}")}</span>'
        finally:
            self._draw()
            self._set_buttons(running=False)
            if n == 1:  # a step click: the next one is likely a step too
                self._prepare_next_step()
            self._busy.release()

    def _advance(self, k):
        """Up to k steps with nn.train; on divergence, end exactly at the first bad step. Returns steps taken."""
        t0 = self.t
        saved = [p.data if type(p.data) is float else p.data.copy() for p in self.params]
        hist = self._train(k)
        bad = self._first_bad(t0)
        if bad is None and not hist.diverged:
            return self.t - t0
        if bad is not None and bad < self.t:
            # Full-batch descent is deterministic: replay from the chunk's start to the first bad step.
            for p, d in zip(self.params, saved):
                p.data = d
            del self.losses[t0 + 1:]
            del self.thetas[t0 + 1:]
            self._train(bad - t0)
        self._diverged_message(self.t)
        return self.t - t0

    def _train(self, k):
        hist = nn.train(self.model, self.X, self.y, self.loss, steps=k, optimizer=self.opt)
        self.losses += [float(v) for v in hist.losses[1:]]
        if self._two:
            self.thetas += [np.concatenate([np.ravel(d) for d in ps]) for ps in hist.params[1:]]
        return hist

    def _first_bad(self, start):
        """The first step t > start whose loss is not finite or above the explosion limit."""
        limit = self.explode * max(abs(self.losses[0]), 1.0)
        return next((t for t in range(start + 1, len(self.losses))
                     if not math.isfinite(self.losses[t]) or self.losses[t] > limit), None)

    def _diverged_message(self, t):
        self.diverged = True
        lr = self.opt.lr
        loss, smaller = self.losses[t], f"{lr / 10:.3g}"
        if not math.isfinite(loss) and not _growing(self.losses[:t]) and (t >= 2 or math.isnan(loss)):
            # finite data (checked up front), a loss that was not growing, then not finite in one
            # step: the model or the loss broke (log 0, 0/0), not a step too long
            text = self._w["gd_nan_jump"].format(loss=fmt(loss), t=t, prev=t - 1, before=fmt(self.losses[t - 1]))
        elif math.isfinite(loss):
            text = self._w["gd_exploded"].format(first=fmt(self.losses[0]), loss=fmt(loss), t=t,
                                                 lr=f"{lr:.3g}", smaller=smaller)
        else:
            text = self._w["gd_diverged"].format(loss=fmt(loss), t=t, lr=f"{lr:.3g}", smaller=smaller)
        self.message.value = f'<span style="color:#b30000;font-weight:bold">{html.escape(text)}</span>'

    def _on_lr_slider_change(self, change):
        self.opt.lr = float(change["new"])

    def _set_buttons(self, running):
        self.step_button.disabled = self.run_button.disabled = running or self.diverged
        self.stop_button.disabled = not running

    # ---- pictures ----
    def _draw(self):
        # The texts and the sample graph first: the browser lays them out (and typesets the graph's
        # caption) while the kernel draws the three pictures.
        t = self.t
        finite = all(math.isfinite(v) for v in self._theta())
        self.status.value = html.escape(self._w["gd_loss_at"].format(t=t, sub=str(t).translate(_SUBSCRIPT),
                                                                     loss=fmt(self.losses[-1])))
        self._gradient_now()
        self.params_table.value = self._params_html()
        if self.player is not None:
            x, y = self.X[self.sample], self.y[self.sample]
            self.graph_title.value = "<b>" + html.escape(self._w["gd_graph"].format(
                t=t, i=self.sample, x=", ".join(fmt(v) for v in np.ravel(x)), y=fmt(float(y)))) + "</b>"
            if finite:
                trace = self._sample_trace()
                same = len(self.player.trace) == len(trace)  # the same graph, new numbers: stay on the step shown
                self.player.load(trace, start=self.player.index if same else _backward_start(trace))
        self._draw_curve()
        if self._fit and finite:
            self._draw_fit()
        if self._two:
            self._draw_landscape()

    def _gradient_now(self):
        """∂L/∂θ at θ_t into every parameter's grad, for the table (nn.train leaves θ_{t-1}'s there)."""
        with _unrecorded(), np.errstate(all="ignore"):
            self.opt.zero_grad()
            self.loss(self.model(self.X), self.y).backward()

    def _draw_curve(self):
        losses = np.asarray(self.losses)
        log = bool(self.log_box.value) and min(self.losses) > 0
        seen = losses[np.isfinite(losses)]
        if log:
            lo, hi = 10.0 ** math.floor(math.log10(seen.min())), 10.0 ** math.ceil(math.log10(seen.max()))
            hi = hi * 10 if hi <= lo else hi
        else:  # the top moves in steps of 25 %: a growing loss redraws the frame rarely
            top = max(float(seen.max()), 1e-12)
            lo, hi = min(0.0, float(seen.min()) * 1.1), 1.02 * 1.25 ** math.ceil(math.log(top, 1.25))
        end = _nice_above(len(losses) - 1)
        key = (log, end, lo, hi, len(seen) < len(losses))

        def build(ax):
            plots.loss_curve(self.losses, log=log, ax=ax, lang=self.lang)
            ax.set_xlim(-0.02 * end, 1.02 * end)
            ax.set_ylim(lo, hi)

        def update(ax, previous):
            line = ax.get_lines()[0]
            line.set_data(np.arange(len(losses)), np.where(np.isfinite(losses), losses, np.nan))
            line.set_marker("." if len(losses) <= 50 else "None")
            return [line]

        self._curve.draw(key, build, update)

    def _draw_fit(self):
        if self._fit == "line":
            def build(ax):
                plots.fitted_line(self.model, self.X, self.y, ax=ax, lang=self.lang)
                lo, hi = float(self.y.min()), float(self.y.max())
                ax.set_ylim(lo - 0.1 * (hi - lo) - 0.1, hi + 0.1 * (hi - lo) + 0.1)  # the data's frame stays while the line turns

            def update(ax, previous):
                return plots.update_fitted_line(ax, self.model, lang=self.lang)
        else:
            def build(ax):
                plots.decision_boundary(self.model, self.X, self.y, ax=ax, resolution=60, lang=self.lang)

            def update(ax, previous):
                # the shading fills the axes: the spines go over it, as a full draw puts them
                return [*plots.update_decision_boundary(ax, self.model), *ax.spines.values()]
        self._fit_picture.draw(self._fit, build, update)

    def _draw_landscape(self):
        path = np.array(self.thetas)
        finite = path[np.isfinite(path).all(axis=1)]
        if self._lims is None or not self._inside(finite):
            self._lims = self._frame(finite)
        names = tuple(p.label or f"θ{i}" for i, p in enumerate(self.params))
        (x0, x1), (y0, y1) = self._lims

        def build(ax):
            f = nn.loss_function(self.model, self.X, self.y, self.loss)
            plots.loss_landscape(f, xlim=(x0, x1), ylim=(y0, y1), resolution=40, names=names, ax=ax, lang=self.lang)

        def update(ax, previous):
            for artist in previous:
                artist.remove()
            return plots.descent_path(ax, finite, lang=self.lang)

        self._landscape.draw(self._lims, build, update)

    def _inside(self, pts):
        (x0, x1), (y0, y1) = self._lims
        return bool(((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)).all())

    def _frame(self, pts):
        """View limits around `pts` and the old view; a diverging path stops widening it."""
        old = self._lims
        if old is not None:
            pts = np.vstack([pts, [[old[0][0], old[1][0]], [old[0][1], old[1][1]]]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = max(0.15 * float((hi - lo).max()), 0.5)
        lims = tuple((float(lo[k] - pad), float(hi[k] + pad)) for k in range(2))
        if old is not None and (lims[0][1] - lims[0][0]) > 100 * (old[0][1] - old[0][0]):
            return old
        return lims

    def _lookahead(self):
        """Where descent from θ_0 goes: the path of a run of the steps box's length at the current
        learning rate, and the point it settles at after LOOKAHEAD_STEPS (when that run diverges,
        at a 10× or 100× smaller rate): the minimum. The landscape's first frame holds all of them.
        Nothing is recorded and the parameters are put back."""
        saved = [p.data if type(p.data) is float else p.data.copy() for p in self.params]
        limit = self.explode * max(abs(self.losses[0]), 1.0)
        points = [self._theta()[None, :]]
        try:
            with _unrecorded(), np.errstate(all="ignore"):
                for k, lr in enumerate((self.opt.lr, self.opt.lr / 10, self.opt.lr / 100)):
                    for p, d in zip(self.params, saved):
                        p.data = d if type(d) is float else d.copy()
                    hist = nn.train(self.model, self.X, self.y, self.loss, lr=lr, steps=LOOKAHEAD_STEPS)
                    thetas, losses = hist.thetas, np.asarray(hist.losses[:len(hist.thetas)], dtype=np.float64)
                    good = np.isfinite(losses) & (losses <= limit) & np.isfinite(thetas).all(axis=1)
                    n = len(good) if good.all() else int(np.argmin(good))
                    if k == 0:  # the run button's path, up to where the view would stop it
                        points.append(thetas[:min(n, self.steps_box.value + 1)])
                    if n == len(good):
                        points.append(thetas[-1:])
                        break
        finally:
            for p, d in zip(self.params, saved):
                p.data = d
                p.grad = 0.0
        return np.vstack(points)

    def _sample_trace(self):
        """The graph of L(θ_t) for one sample: forward and backward, as a trace (gradients untouched).

        Its values have the names the lessons use: the inputs x (data: no gradient flows into
        them), hidden values h, the output ŷ (z for a classifier's score), the target y."""
        with _unrecorded():
            x = np.ravel(self.X[self.sample])
            form = getattr(self.model, "input_label", None)
            if form is not None:  # the sample is data: constants, so the graph sends no gradient into it
                x = [Value(float(v), label=form.format(i), role="constant") for i, v in enumerate(x)]
            pred = _named_forward(self.model, x)
            # fresh Values every time: naming them touches nothing of the caller's (an MLP's output
            # comes named after its neuron, L2.N0: the lessons call it ŷ or z)
            if isinstance(pred, Value) and (pred.label is None or isinstance(self.model, nn.MLP)):
                pred.label = "z" if self.loss in (nn.binary_cross_entropy, nn.hinge) else "ŷ"
            loss = self.loss(pred, self.y[self.sample])
            if loss.label is None:
                loss.label = "L"
            _name_nodes(loss, float(self.y[self.sample]), self._w.get("gd_target") or _TARGET.get(self.lang, "y"))
            return trace_of(loss)

    def _params_html(self):
        w = self._w
        cell = "padding:1px 10px;text-align:{};border-bottom:1px solid #e2e2e2"
        left, right = cell.format("left"), cell.format("right") + ";font-family:monospace"
        rows = "".join(
            f"<tr><td style='{left}'>{html.escape(p.label or f'θ{i}')}</td><td style='{right}'>"
            f"{html.escape(fmt(p.data))}</td><td style='{right}'>{html.escape(fmt(p.grad))}</td></tr>"
            for i, p in enumerate(self.params[:TABLE_MAX_ROWS]))
        if len(self.params) > TABLE_MAX_ROWS:
            more = w["gd_more_params"].format(n=len(self.params) - TABLE_MAX_ROWS)
            rows += f"<tr><td colspan='3' style='{left};color:#6b6b6b'>{html.escape(more)}</td></tr>"
        return (f"<table style='border-collapse:collapse'><tr><th style='{left}'>{html.escape(w['gd_params'])}</th>"
                f"<th style='{right}'>{html.escape(w['col_value'])}</th><th style='{right}'>∂L/∂θ</th></tr>"
                f"{rows}</table>")
