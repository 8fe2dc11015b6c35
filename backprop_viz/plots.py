"""Matplotlib figures of training: loss curve, loss landscape with the descent path, fitted line, decision boundary.

Every function draws into `ax` (or a new figure when none is given) and returns the Axes, so
the caller can restyle it (`ax.figure` is the Figure). Nothing here calls plt.show().
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colors

__all__ = ["loss_curve", "landscape_grid", "loss_landscape", "fitted_line", "decision_boundary"]

# Colour-blind-safe pair (Okabe–Ito blue / vermillion) for the two classes.
_CLASS_STYLE = ({"color": "#0072B2", "marker": "o"}, {"color": "#D55E00", "marker": "s"})


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


def loss_curve(losses, *, log=False, ax=None, label=None, title="Loss during training"):
    """Plot L(θ_t) against the step t = 0, 1, …; `log=True` puts the loss on a log scale.

    `losses` is a sequence of numbers or a History from nn.train. Non-finite losses (a diverging
    learning rate) end the line, and a note says at which step it diverged.
    """
    losses = _series(getattr(losses, "losses", losses), "losses")
    ax = _axes(ax)
    steps = np.arange(len(losses))
    shown = np.where(np.isfinite(losses), losses, np.nan)
    (line,) = ax.plot(steps, shown, marker="." if len(losses) <= 50 else None, label=label)
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        ax.annotate(f"diverged at step {bad[0]} (loss = {losses[bad[0]]})", xy=(0.98, 0.95),
                    xycoords="axes fraction", ha="right", va="top", color="#D55E00")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("loss L(θ_t)" + (" (log scale)" if log else ""))
    ax.set_title(title)
    if label is not None:
        ax.legend()
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
                   names=("w", "b"), ax=None, title=None, arrows=25):
    """The loss surface L(θ0, θ1) of a two-parameter model as coloured contours, with the
    gradient-descent path θ_0, θ_1, … on top (markers, arrows, start and end labelled).

    `loss_fn(θ0, θ1) -> float`, e.g. nn.loss_function(model, X, y, nn.mse); `path` is an array
    of shape (T, 2) or a History from nn.train. Without limits, the view frames the path.
    """
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
    ax.figure.colorbar(mesh, ax=ax, label=f"loss L({names[0]}, {names[1]})")
    if pts is not None:
        _draw_path(ax, pts, arrows)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title or f"Loss landscape L({names[0]}, {names[1]}) and the descent path")
    return ax


def _draw_path(ax, pts, arrows):
    ax.plot(pts[:, 0], pts[:, 1], "o-", color="#E69F00", markersize=3, linewidth=1, label="θ_t", gid="descent-path")
    segments = len(pts) - 1
    for t in np.unique(np.linspace(0, segments - 1, min(arrows, segments)).astype(int)) if segments > 0 else ():
        if np.isfinite(pts[t : t + 2]).all():
            ax.annotate("", xy=pts[t + 1], xytext=pts[t],
                        arrowprops={"arrowstyle": "->", "color": "#E69F00", "lw": 1.2})
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0}
    ax.annotate("θ$_0$ (start)", pts[0], xytext=(6, 6), textcoords="offset points", fontsize=9, bbox=box)
    end = np.flatnonzero(np.isfinite(pts).all(axis=1))[-1]
    if end > 0:
        ax.plot(*pts[end], "*", color="white", markersize=10, markeredgecolor="black")
        ax.annotate(f"θ$_{{{end}}}$ (end)", pts[end], xytext=(6, -14), textcoords="offset points",
                    fontsize=9, bbox=box)


def _xy(X, y, d):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 and d == 1:
        X = X.reshape(-1, 1)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != d or y.shape != (X.shape[0],):
        raise ValueError(f"expected X of shape (n, {d}) and y of shape (n,); got {X.shape} and {y.shape}.")
    return X, y


def fitted_line(model, X, y, *, ax=None, points=200, title=None):
    """The data (x_i, y_i) and the model's prediction ŷ(x) over the range of x (one-input models)."""
    X, y = _xy(X, y, 1)
    ax = _axes(ax)
    ax.scatter(X[:, 0], y, s=14, color="#0072B2", alpha=0.8, label="data")
    lo, hi = X[:, 0].min(), X[:, 0].max()
    grid = np.linspace(lo, hi, points).reshape(-1, 1)
    label = "model ŷ(x)"
    if hasattr(model, "w") and len(getattr(model, "w", ())) == 1:
        w, b = model.w[0].data, model.b.data
        label = f"ŷ = {w:.3g}·x {'-' if b < 0 else '+'} {abs(b):.3g}"
    ax.plot(grid[:, 0], model.predict(grid), color="#D55E00", linewidth=2, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or "Data and fitted model")
    ax.legend()
    return ax


def decision_boundary(model, X, y, *, ax=None, resolution=150, title=None):
    """Two-input classifier: shading σ(z(x)) = P(class 1), the boundary z(x) = 0, and the data.

    Labels y may be 0/1 or -1/+1 (class 1 is y > 0); the model outputs logits / scores z.
    """
    X, y = _xy(X, y, 2)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, not {resolution!r}.")
    ax = _axes(ax, (5.0, 4.5))
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.2
    x0 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], resolution)
    x1 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], resolution)
    G0, G1 = np.meshgrid(x0, x1)
    Z = model.predict(np.column_stack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    prob = np.exp(-np.logaddexp(0.0, -Z))
    h0, h1 = (x0[1] - x0[0]) / 2, (x1[1] - x1[0]) / 2  # pixel centres sit on the grid points
    image = ax.imshow(prob, extent=(x0[0] - h0, x0[-1] + h0, x1[0] - h1, x1[-1] + h1), origin="lower", aspect="auto",
                      cmap="RdBu_r", vmin=0.0, vmax=1.0, alpha=0.45, interpolation="bilinear")
    ax.figure.colorbar(image, ax=ax, label="σ(z) = P(class 1)")
    if Z.min() < 0 < Z.max():
        ax.contour(x0, x1, Z, levels=[0.0], colors="black", linewidths=1.5)
    for cls, style in zip((False, True), _CLASS_STYLE):
        sel = (y > 0) == cls
        ax.scatter(X[sel, 0], X[sel, 1], s=14, edgecolors="white", linewidths=0.4,
                   label=f"class {int(cls)}", **style)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel("x$_0$")
    ax.set_ylabel("x$_1$")
    ax.set_title(title or "Decision boundary z(x) = 0")
    ax.legend(loc="upper right", fontsize=8)
    return ax
