"""Matplotlib figures of training: loss curve, loss landscape with the descent path, fitted line, decision boundary.

Every function draws into `ax` (or a new figure when none is given) and returns the Axes, so
the caller can restyle it (`ax.figure` is the Figure). Nothing here calls plt.show().
`lang="en"` or `"ko"` picks the language of titles, axis labels and legends; Korean text is set
in a system CJK font (Noto Sans CJK KR or JP) when there is one, else in NanumGothic, which pip
installed (backprop_viz.fonts); only without either it falls back to English, with one warning.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from matplotlib import colors, rcParams, transforms
from matplotlib.collections import LineCollection

from backprop_viz import fonts

from backprop_viz.text.words import PLOTS

__all__ = ["loss_curve", "landscape_grid", "loss_landscape", "descent_path", "fitted_line", "decision_boundary",
           "model_label", "update_fitted_line", "update_decision_boundary", "use_language", "prepare_end_label"]

# Colour-blind-safe pair (Okabe–Ito blue / vermillion) for the two classes.
_CLASS_STYLE = ({"color": "#0072B2", "marker": "o"}, {"color": "#D55E00", "marker": "s"})

_TEXT = PLOTS  # titles, axis labels and legends in each language, from the one vocabulary (text.words)
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_WARNED = []  # the missing-font warning is given once, not once per plot

NOTE_PT = 10  # the smallest text a plot writes (notes, legends): 11 px at the descent view's 80 dpi, 14 at 100


def _language(lang):
    """(words, text style) for `lang`: style is {} for English, a CJK font family for Korean."""
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' (English) or 'ko' (Korean), not {lang!r}.")
    if lang == "en":
        return _TEXT["en"], {}
    family = fonts.hangul_family()
    if family is None:
        if not _WARNED:
            _WARNED.append(True)
            warnings.warn("Korean plot labels need a font with Hangul, and none was found: the plots use "
                          "English labels. Install one with `pip install koreanize-matplotlib` (its "
                          "NanumGothic font) and restart the kernel.", UserWarning, stacklevel=3)
        return _TEXT["en"], {}
    # the usual font first (Latin, Greek, maths), the Hangul font for the glyphs it lacks
    return _TEXT["ko"], {"fontfamily": [*rcParams["font.family"], family]}


def use_language(lang):
    """Make the figures a notebook draws itself (plt.title, ax.set_xlabel, …) able to show `lang`:
    for "ko", matplotlib's sans-serif font is followed by a Hangul font — a system CJK font when
    there is one, else the NanumGothic that `pip install` brought. Returns the font family used
    for Hangul (None for English, or when no Hangul font exists: a warning says what to install)."""
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' (English) or 'ko' (Korean), not {lang!r}.")
    if lang == "en":
        return None
    _, style = _language(lang)
    if not style:
        return None
    family = style["fontfamily"][-1]
    current = [f for f in rcParams["font.family"] if f != family]
    rcParams["font.family"] = [*current, family]
    return family


def _legend(ax, style, **kwargs):
    if style:  # a legend takes its font as prop, and then ignores fontsize
        kwargs["prop"] = {"family": style["fontfamily"], "size": kwargs.pop("fontsize", rcParams["legend.fontsize"])}
    return ax.legend(**kwargs)


def _axes(ax, size=(5.5, 4.0)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when we make the figure: pyplot shows it in notebooks

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _series(values, name):
    try:
        arr = np.asarray([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers.") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: train at least one step first.")
    return arr


def loss_curve(losses, *, log=False, ax=None, label=None, title=None, lang="en"):
    """Plot L(θ_t) against the step t = 0, 1, …; `log=True` puts the loss on a log scale.

    `losses` is a sequence of numbers or a History from nn.train. Non-finite losses (a diverging
    learning rate) end the line, and a note says at which step it diverged.
    """
    words, style = _language(lang)
    losses = _series(getattr(losses, "losses", losses), "losses")
    ax = _axes(ax)
    steps = np.arange(len(losses))
    shown = np.where(np.isfinite(losses), losses, np.nan)
    (line,) = ax.plot(steps, shown, marker="." if len(losses) <= 50 else None, label=label)
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        ax.annotate(words["diverged"].format(t=bad[0], loss=losses[bad[0]]), xy=(0.98, 0.95),
                    xycoords="axes fraction", ha="right", va="top", color="#D55E00", **style)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(words["step"], **style)
    ax.set_ylabel(words["loss_t"] + (words["log"] if log else ""), **style)
    ax.set_title(words["curve_title"] if title is None else title, **style)
    if label is not None:
        _legend(ax, style)
    return ax


def _check_lim(name, lim):
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of numbers (low, high), not {lim!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite numbers with low < high, not {lim!r}.")
    return lo, hi


def landscape_grid(loss_fn, xlim, ylim, resolution=60):
    """Sample the surface: returns xs (resolution,), ys (resolution,) and Z with Z[i, j] = loss_fn(xs[j], ys[i])."""
    xlim, ylim = _check_lim("xlim", xlim), _check_lim("ylim", ylim)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, not {resolution!r}.")
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    Z = np.array([[float(loss_fn(x, y)) for x in xs] for y in ys])
    return xs, ys, Z


def _path_array(path):
    path = getattr(path, "thetas", path)
    arr = np.asarray(path, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(
            f"path must hold points (θ0, θ1), shape (T, 2), not {arr.shape}; the landscape is "
            "drawn for models with exactly two parameters (e.g. nn.LinearRegression)."
        )
    return arr


def _limits(path):
    if path is None or not np.isfinite(path).any():
        return (-3.0, 3.0), (-3.0, 3.0)
    pts = path[np.isfinite(path).all(axis=1)]
    lims = []
    for k in range(2):
        lo, hi = pts[:, k].min(), pts[:, k].max()
        pad = max(0.5 * (hi - lo), 1.0)
        lims.append((lo - pad, hi + pad))
    return tuple(lims)


def loss_landscape(loss_fn, path=None, *, xlim=None, ylim=None, resolution=60, log_colors=True,
                   names=("w", "b"), ax=None, title=None, arrows=25, lang="en"):
    """The loss surface L(θ0, θ1) of a two-parameter model as coloured contours, with the
    gradient-descent path θ_0, θ_1, … on top (markers, arrows, start and end labelled).

    `loss_fn(θ0, θ1) -> float`, e.g. nn.loss_function(model, X, y, nn.mse); `path` is an array
    of shape (T, 2) or a History from nn.train. Without limits, the view frames the path.
    """
    words, style = _language(lang)
    pts = None if path is None else _path_array(path)
    auto_x, auto_y = _limits(pts)
    xs, ys, Z = landscape_grid(loss_fn, xlim or auto_x, ylim or auto_y, resolution)
    ax = _axes(ax, (5.5, 4.5))
    finite = Z[np.isfinite(Z)]
    norm = None
    if log_colors and finite.size and finite.min() > 0:
        norm = colors.LogNorm(finite.min(), finite.max())
    mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(Z), shading="gouraud", cmap="viridis", norm=norm)
    if finite.size and finite.max() > finite.min():
        levels = (np.geomspace(finite.min(), finite.max(), 12) if norm is not None
                  else np.linspace(finite.min(), finite.max(), 12))
        ax.contour(xs, ys, np.ma.masked_invalid(Z), levels=levels, colors="white", linewidths=0.6, alpha=0.7)
    ax.figure.colorbar(mesh, ax=ax).set_label(words["surface"].format(a=names[0], b=names[1]), **style)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if pts is not None:
        _draw_path(ax, pts, arrows, words, style)
    ax.set_xlabel(names[0], **style)
    ax.set_ylabel(names[1], **style)
    ax.set_title(title or words["landscape_title"].format(a=names[0], b=names[1]), **style)
    return ax


def descent_path(ax, path, *, arrows=25, lang="en"):
    """Draw the gradient-descent path θ_0, θ_1, … on `ax` (markers, arrows, start and end labelled).

    Returns the artists it added, so a caller redrawing only the path can remove and redraw them.
    The labels sit on the side of their point that faces the middle of the view, so they stay inside it.
    """
    words, style = _language(lang)
    return _draw_path(ax, _path_array(path), arrows, words, style)


def _facing_offset(ax, point, below=False):
    """An offset (points) and alignment that put a label beside `point` on the side facing the view's middle."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx = (point[0] - x0) / (x1 - x0) if x1 != x0 else 0.5
    fy = (point[1] - y0) / (y1 - y0) if y1 != y0 else 0.5
    right = fx < 0.6
    up = fy < 0.75 and not (below and fy > 0.25)
    return (7 if right else -7, 6 if up else -6), "left" if right else "right", "bottom" if up else "top"


class _Arrows(LineCollection):
    """Arrows "->" from each of `starts` to the matching one of `ends` (data coordinates), shaped when
    drawn, as an annotation's arrow is: the angles on screen depend on the axes' final size. One
    artist for all of them: a path's 25 arrows draw in well under a millisecond."""

    HEAD = 4.0, 2.0  # points: the head's length and half-width ("->" at 10 pt)
    SHRINK = 2.0  # points left free at each end, as an annotation leaves them

    def __init__(self, starts, ends, **kwargs):
        super().__init__([], transform=transforms.IdentityTransform(), **kwargs)
        self.starts, self.ends = np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)

    def draw(self, renderer):
        a, b = self.axes.transData.transform(self.starts), self.axes.transData.transform(self.ends)
        px = renderer.points_to_pixels(1.0)
        d = b - a
        n = np.hypot(d[:, 0], d[:, 1])
        keep = n > 2 * self.SHRINK * px
        a, b, d, n = a[keep], b[keep], d[keep], n[keep, None]
        u = d / n
        v = np.column_stack([-u[:, 1], u[:, 0]])
        tail, tip = a + self.SHRINK * px * u, b - self.SHRINK * px * u
        length, half = self.HEAD[0] * px, self.HEAD[1] * px
        self.set_segments([seg for t0, t1, l, r in zip(tail, tip, tip - length * u + half * v, tip - length * u - half * v)
                           for seg in ((t0, t1), (l, t1, r))])
        super().draw(renderer)


def _draw_path(ax, pts, arrows, words, style):
    (line,) = ax.plot(pts[:, 0], pts[:, 1], "o-", color="#E69F00", markersize=3, linewidth=1, label="θₜ",
                      gid="descent-path")
    added = [line]
    segments = len(pts) - 1
    steps = np.unique(np.linspace(0, segments - 1, min(arrows, segments)).astype(int)) if segments > 0 else []
    steps = [t for t in steps if np.isfinite(pts[t : t + 2]).all()]
    if steps:
        added.append(ax.add_collection(_Arrows(pts[steps], pts[np.add(steps, 1)], color="#E69F00", linewidth=1.2),
                                       autolim=False))
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0}
    offset, ha, va = _facing_offset(ax, pts[0])
    added.append(ax.annotate(words["start"], pts[0], xytext=offset, textcoords="offset points", ha=ha, va=va,
                             fontsize=NOTE_PT, bbox=box, **style))
    end = np.flatnonzero(np.isfinite(pts).all(axis=1))[-1]
    if end > 0:
        added += ax.plot(*pts[end], "*", color="white", markersize=10, markeredgecolor="black")
        # below the end point when the start label is above it, so the two do not cover each other
        offset, ha, va = _facing_offset(ax, pts[end], below=True)
        added.append(_end_label(ax, end, pts[end], words, style, xytext=offset, ha=ha, va=va, bbox=box))
    return added


def _end_label(ax, t, point, words, style, **kwargs):
    return ax.annotate(words["end"].format(t=t, sub=str(t).translate(_SUBSCRIPT)), point, textcoords="offset points",
                       fontsize=NOTE_PT, **kwargs, **style)


def prepare_end_label(ax, t, *, lang="en"):
    """Lay out the label of the path's end θ_t (its maths text) ahead of time, so that drawing the
    path up to step t on `ax` later is quicker: matplotlib keeps laid-out maths text cached."""
    words, style = _language(lang)
    label = _end_label(ax, t, (0.0, 0.0), words, style, xytext=(0, 0))
    try:
        label.get_window_extent(ax.figure.canvas.get_renderer())
    finally:
        label.remove()


def _xy(X, y, d):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and d == 1:
        X = X.reshape(-1, 1)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != d or y.shape != (X.shape[0],):
        raise ValueError(f"expected X of shape (n, {d}) and y of shape (n,); got {X.shape} and {y.shape}.")
    return X, y


def fitted_line(model, X, y, *, ax=None, points=200, title=None, lang="en"):
    """The data (x_i, y_i) and the model's prediction ŷ(x) over the range of x (one-input models)."""
    words, style = _language(lang)
    X, y = _xy(X, y, 1)
    ax = _axes(ax)
    ax.scatter(X[:, 0], y, s=14, color="#0072B2", alpha=0.8, label=words["data"])
    lo, hi = X[:, 0].min(), X[:, 0].max()
    grid = np.linspace(lo, hi, points).reshape(-1, 1)
    ax.plot(grid[:, 0], model.predict(grid), color="#D55E00", linewidth=2, label=model_label(model, lang),
            gid="model-line")
    ax.set_xlabel("x", **style)
    ax.set_ylabel("y", **style)
    ax.set_title(title or words["fit_title"], **style)
    _legend(ax, style)
    return ax


def model_label(model, lang="en"):
    """The legend's name for the model's prediction: ŷ = w·x + b with its numbers for a line, else ŷ(x)."""
    words, _ = _language(lang)
    if hasattr(model, "w") and len(getattr(model, "w", ())) == 1:
        w, b = model.w[0].data, model.b.data
        return f"ŷ = {w:.3g}·x {'-' if b < 0 else '+'} {abs(b):.3g}"
    return words["model"]


def update_fitted_line(ax, model, lang="en"):
    """Redraw the prediction of an axes drawn by fitted_line for the model's parameters now.
    Returns the artists that changed (the line and the legend)."""
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "model-line"]
    line.set_ydata(model.predict(np.asarray(line.get_xdata()).reshape(-1, 1)))
    legend, label = ax.get_legend(), model_label(model, lang)
    for text in legend.get_texts():
        if text.get_text() == line.get_label():
            text.set_text(label)
    line.set_label(label)
    return [line, legend]


def _probability(model, x0, x1):
    """Z = z(x) on the grid x0 × x1 and σ(Z), stably."""
    G0, G1 = np.meshgrid(x0, x1)
    Z = model.predict(np.column_stack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    return Z, np.exp(-np.logaddexp(0.0, -Z))


def _boundary_line(ax, x0, x1, Z):
    if Z.min() < 0 < Z.max():
        contour = ax.contour(x0, x1, Z, levels=[0.0], colors="black", linewidths=1.5)
        contour.set_gid("boundary")
        return [contour]
    return []


def update_decision_boundary(ax, model):
    """Redraw the shading and the boundary of an axes drawn by decision_boundary for the model's
    parameters now. Returns the artists of the plot area, bottom to top (shading, boundary, data, legend)."""
    (image,) = [im for im in ax.get_images() if im.get_gid() == "probability"]
    x0, x1 = image.grid
    Z, prob = _probability(model, x0, x1)
    image.set_data(prob)
    for c in [c for c in ax.collections if c.get_gid() == "boundary"]:
        c.remove()
    data = [c for c in ax.collections if str(c.get_gid()).startswith("class-")]
    return [image, *_boundary_line(ax, x0, x1, Z), *data, ax.get_legend()]


def decision_boundary(model, X, y, *, ax=None, resolution=150, title=None, lang="en"):
    """Two-input classifier: shading σ(z(x)) = P(class 1), the boundary z(x) = 0, and the data.

    Labels y may be 0/1 or -1/+1 (class 1 is y > 0); the model outputs logits / scores z.
    """
    words, style = _language(lang)
    X, y = _xy(X, y, 2)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, not {resolution!r}.")
    ax = _axes(ax, (5.0, 4.5))
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.2
    x0 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], resolution)
    x1 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], resolution)
    Z, prob = _probability(model, x0, x1)
    h0, h1 = (x0[1] - x0[0]) / 2, (x1[1] - x1[0]) / 2  # pixel centres sit on the grid points
    image = ax.imshow(prob, extent=(x0[0] - h0, x0[-1] + h0, x1[0] - h1, x1[-1] + h1), origin="lower", aspect="auto",
                      cmap="RdBu_r", vmin=0.0, vmax=1.0, alpha=0.45, interpolation="bilinear")
    image.set_gid("probability")
    image.grid = (x0, x1)  # update_decision_boundary recomputes the shading on the same points
    ax.figure.colorbar(image, ax=ax).set_label(words["prob"], **style)
    _boundary_line(ax, x0, x1, Z)
    for cls, marker in zip((False, True), _CLASS_STYLE):
        sel = (y > 0) == cls
        ax.scatter(X[sel, 0], X[sel, 1], s=14, edgecolors="white", linewidths=0.4,
                   label=words["class"].format(k=int(cls)), gid=f"class-{int(cls)}", **marker)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel("x$_0$", **style)
    ax.set_ylabel("x$_1$", **style)
    ax.set_title(title or words["boundary_title"], **style)
    _legend(ax, style, loc="upper right", fontsize=NOTE_PT)
    return ax
