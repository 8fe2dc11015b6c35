"""GradientDescentView: train a model step by step and watch the loss curve, the fit and the landscape."""

from __future__ import annotations

import html
import io
import math
import re
import threading
import time

import ipywidgets as widgets
import numpy as np

from backprop_viz import nn, plots
from backprop_viz.engine import Value
from backprop_viz.optim import _unrecorded
from backprop_viz.text.numbers import fmt
from backprop_viz.trace import trace_of
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


def _figure(width=4.2, height=3.2):
    from matplotlib.figure import Figure

    # Fixed margins: constrained layout would double the cost of every redraw.
    fig = Figure(figsize=(width, height), dpi=80)
    fig.subplots_adjust(left=0.17, right=0.96, bottom=0.15, top=0.9)
    return fig, fig.add_subplot()


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


class GradientDescentView(widgets.VBox):
    """Gradient descent you can watch: θ_{t+1} = θ_t − lr · ∂L/∂θ(θ_t) on a model and its data.

    `GradientDescentView(model, X, y, loss="mse", lr=0.1, *, steps=100, sample="auto", lang="en")`.
    Buttons (and methods): step() one step, run(n) n steps, stop(), reset() back to θ_0; the
    learning rate on a log scale. Shows the loss curve L(θ_t), the fitted line (one input) or
    decision boundary (two inputs), the parameters, for a two-parameter model the loss landscape
    with the path θ_0, θ_1, …, and the graph of the current step for one sample (`sample`: its
    index, "auto" for small models, None for none). A loss that stops being finite or grows
    `explode` times above max(L(θ_0), 1) stops the run with a message.
    """

    def __init__(self, model, X, y, loss="mse", lr=0.1, *, steps=100, sample="auto", lang="en",
                 explode=1e4, landscape_lims=None):
        w = self._w = words(lang)
        if not (hasattr(model, "parameters") and callable(model)):
            raise TypeError(f"GradientDescentView takes a model (e.g. nn.LinearRegression()), not {type(model).__name__}.")
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a function, not {loss!r}.")
            loss = LOSSES[loss]
        elif not callable(loss):
            raise TypeError(f"loss must be a name ('mse', 'bce', 'hinge') or a function (pred, y) -> Value, not {loss!r}.")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
            raise ValueError(f"lr (the learning rate) must be a positive number, not {lr!r}.")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive int (how many steps 'run' takes), not {steps!r}.")
        self.model, self.X, self.y, self.loss = model, np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64), loss
        self.lang, self.explode = lang, float(explode)
        self.params = model.parameters()
        self._start = [p.data if type(p.data) is float else p.data.copy() for p in self.params]
        self.opt = nn.SGD(self.params, lr)
        first = loss(model(self.X), self.y)  # bad shapes or labels fail here, with the loss's own sentence
        if first.shape != ():
            raise ValueError(f"the loss must be one number (a scalar Value), not an array of shape {first.shape}.")
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
        self._landscape_cache = {}

        lo = min(-4.0, math.floor(math.log10(lr)) - 1)
        hi = max(1.0, math.ceil(math.log10(lr)) + 1)
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
        self.curve_image = widgets.Image(format="png")
        self.fit_image = widgets.Image(format="png")
        self.landscape_image = widgets.Image(format="png")
        self.params_table = widgets.HTML()
        self.graph_title = widgets.HTML()
        self.player = None
        self.step_button.on_click(lambda _: self.step())
        self.run_button.on_click(lambda _: self.run(background=True))
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        self.log_box.observe(lambda _: self._draw(), names="value")
        self.lr_slider.observe(self._on_lr_slider_change, names="value")

        pictures = [self.curve_image]
        if self._fit:
            pictures.append(self.fit_image)
        if self._two:
            pictures.append(self.landscape_image)
        for image in pictures:
            image.layout = widgets.Layout(max_width="420px", width="auto", height="auto")
        children = [
            widgets.HBox([self.step_button, self.run_button, self.steps_box, self.stop_button, self.reset_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.lr_slider, self.log_box], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.progress, self.progress_text]),
            self.message, self.status,
            widgets.HBox(pictures, layout=widgets.Layout(flex_flow="row wrap")),
            self.params_table,
        ]
        if sample is not None:
            trace = self._sample_trace()
            self.player = BackpropPlayer(trace, lang=lang, start=len(trace))
            children += [self.graph_title, self.player]
        super().__init__(children)
        self.add_class("bpv-descent")
        for name in ("step_button", "run_button", "steps_box", "stop_button", "reset_button", "lr_slider", "log_box",
                     "progress", "progress_text", "message", "status", "curve_image", "fit_image",
                     "landscape_image", "params_table", "graph_title"):  # hooks for page styles and browser tests
            getattr(self, name).add_class("bpv-gd-" + re.sub("_(button|box|slider|image)$", "", name).replace("_", "-"))
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._restart(float(first.data))

    # ---- state ----
    def _restart(self, first_loss):
        self.losses = [first_loss]  # losses[t] = L(θ_t)
        self.thetas = [self._theta()] if self._two else []  # θ_t (the landscape's path)
        self.diverged = False
        self.message.value = ""
        self.progress.value, self.progress.max = 0, 1
        self.progress_text.value = ""
        self._set_buttons(running=False)
        self._draw()

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

    def run(self, n=None, *, background=False):
        """Take n steps (the steps box when n is None). With background=True (the run button) the
        steps run in a thread, so stop() and the other controls stay responsive; wait() joins it."""
        n = self.steps_box.value if n is None else n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"run() takes a positive number of steps, not {n!r}.")
        if self.diverged or not self._busy.acquire(blocking=False):
            return self  # diverged: reset first (the message says so); busy: a run is going on
        self._stop.clear()
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

    # ---- the work ----
    def _run(self, n):
        w = self._w
        try:
            self.progress.max, self.progress.value = n, 0
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
        if math.isfinite(loss):
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
        t = self.t
        self.status.value = html.escape(self._w["gd_loss_at"].format(t=t, sub=str(t).translate(_SUBSCRIPT),
                                                                     loss=fmt(self.losses[-1])))
        fig, ax = _figure()
        plots.loss_curve(self.losses, log=self.log_box.value and min(self.losses) > 0, ax=ax, lang=self.lang)
        self.curve_image.value = _png(fig)
        if self._fit and all(math.isfinite(v) for v in self._theta()):
            fig, ax = _figure()
            if self._fit == "line":
                plots.fitted_line(self.model, self.X, self.y, ax=ax, lang=self.lang)
            else:
                plots.decision_boundary(self.model, self.X, self.y, ax=ax, resolution=60, lang=self.lang)
            self.fit_image.value = _png(fig)
        if self._two:
            self.landscape_image.value = self._landscape_png()
        self.params_table.value = self._params_html()
        if self.player is not None:
            x, y = self.X[self.sample], self.y[self.sample]
            self.graph_title.value = "<b>" + html.escape(self._w["gd_graph"].format(
                t=t, i=self.sample, x=", ".join(fmt(v) for v in np.ravel(x)), y=fmt(float(y)))) + "</b>"
            if all(math.isfinite(v) for v in self._theta()):
                trace = self._sample_trace()
                self.player.load(trace, start=len(trace))

    def _sample_trace(self):
        """The graph of L(θ_t) for one sample: forward and backward, as a trace (gradients untouched)."""
        with _unrecorded():
            pred = self.model(self.X[self.sample])
            if isinstance(pred, Value) and pred.label is None:  # fresh Values every time: naming them touches nothing of the caller's
                pred.label = "ŷ"
            loss = self.loss(pred, self.y[self.sample])
            if loss.label is None:
                loss.label = "L"
            return trace_of(loss)

    def _landscape_png(self):
        path = np.array(self.thetas)
        finite = path[np.isfinite(path).all(axis=1)]
        if self._lims is None or not self._inside(finite):
            self._lims = self._frame(finite)
        f = nn.loss_function(self.model, self.X, self.y, self.loss)
        cache = self._landscape_cache

        def cached(a, b):  # the grid stays put between redraws: each point is computed once
            key = (a, b)
            if key not in cache:
                cache[key] = f(a, b)
            return cache[key]

        names = tuple(p.label or f"θ{i}" for i, p in enumerate(self.params))
        fig, ax = _figure(4.6, 3.4)
        plots.loss_landscape(cached, finite, xlim=self._lims[0], ylim=self._lims[1], resolution=40,
                             names=names, ax=ax, lang=self.lang)
        return _png(fig)

    def _inside(self, pts):
        (x0, x1), (y0, y1) = self._lims
        return bool(((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)).all())

    def _frame(self, pts):
        """View limits around the path (at least ±3 around θ_0); a diverging path stops widening it."""
        old = self._lims
        lims = []
        for k in range(2):
            lo, hi = pts[:, k].min(), pts[:, k].max()
            pad = max(0.5 * (hi - lo), 3.0 if old is None else 1.0)
            lims.append((float(lo - pad), float(hi + pad)))
        if old is not None and (lims[0][1] - lims[0][0]) > 100 * (old[0][1] - old[0][0]):
            return old
        return tuple(lims)

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
