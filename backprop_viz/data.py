"""Seeded toy data sets made with numpy only: a noisy line, two moons, XOR, circles.

Every function returns `(X, y)`: `X` is a float array of shape (n, d) (one row per sample;
d = 1 for the line, 2 for the others) and `y` a float array of shape (n,). Class labels are
0.0 and 1.0; `as_signs(y)` turns them into -1.0 and +1.0 (for the hinge loss), `as_bits(y)`
turns them back. The same seed gives the same data, on every machine.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["line", "moons", "xor", "circles", "as_signs", "as_bits"]


def _rng(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int (the same seed gives the same data), not {seed!r}.")
    return np.random.default_rng(int(seed))


def _check_n(n, minimum):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"n (the number of samples) must be an int >= {minimum}, not {n!r}.")
    return int(n)


def _check_number(name, x, minimum=None):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, not {x!r}.")
    if minimum is not None and x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {x!r}.")
    return float(x)


def _shuffled(rng, X, y):
    order = rng.permutation(len(y))
    return X[order], y[order]


def line(n=50, *, slope=2.0, intercept=-1.0, noise=0.5, low=-2.0, high=2.0, seed=0):
    """A noisy line: x uniform in [low, high], y = slope·x + intercept + ε with ε ~ N(0, noise²).

    Returns X of shape (n, 1) and y of shape (n,).
    """
    n = _check_n(n, 1)
    slope, intercept = _check_number("slope", slope), _check_number("intercept", intercept)
    noise = _check_number("noise", noise, 0.0)
    low, high = _check_number("low", low), _check_number("high", high)
    if not low < high:
        raise ValueError(f"low must be below high; got low={low}, high={high}.")
    rng = _rng(seed)
    x = rng.uniform(low, high, n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    return x.reshape(n, 1), y


def moons(n=200, *, noise=0.1, seed=0):
    """Two interleaving half circles: class 0 is the upper arc (cos t, sin t), class 1 the lower
    arc (1 - cos t, 1/2 - sin t), t uniform in [0, π], plus Gaussian noise of std `noise`.

    Returns X of shape (n, 2) and y of shape (n,) with labels 0.0 / 1.0 (n // 2 of class 0).
    """
    n = _check_n(n, 2)
    noise = _check_number("noise", noise, 0.0)
    rng = _rng(seed)
    n0 = n // 2
    t = rng.uniform(0.0, math.pi, n)
    upper = np.column_stack([np.cos(t[:n0]), np.sin(t[:n0])])
    lower = np.column_stack([1.0 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _shuffled(rng, X, y)


def xor(n=200, *, noise=0.25, seed=0):
    """XOR: four clusters around (±1, ±1) with Gaussian noise of std `noise`; the label is 1.0
    where the two coordinates have different signs (x0·x1 < 0 at the centres), else 0.0.

    Returns X of shape (n, 2) and y of shape (n,); the clusters differ in size by at most one.
    """
    n = _check_n(n, 4)
    noise = _check_number("noise", noise, 0.0)
    rng = _rng(seed)
    centres = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = np.array([0.0, 0.0, 1.0, 1.0])
    k = np.arange(n) % 4
    X = centres[k] + noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, labels[k])


def circles(n=200, *, noise=0.05, factor=0.5, seed=0):
    """Two circles around the origin: class 0 on the circle of radius 1, class 1 on the circle of
    radius `factor` (0 < factor < 1), angles uniform, plus Gaussian noise of std `noise`.

    Returns X of shape (n, 2) and y of shape (n,) with labels 0.0 / 1.0 (n // 2 of class 0).
    """
    n = _check_n(n, 2)
    noise = _check_number("noise", noise, 0.0)
    factor = _check_number("factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be between 0 and 1, not {factor}.")
    rng = _rng(seed)
    n0 = n // 2
    t = rng.uniform(0.0, 2.0 * math.pi, n)
    radius = np.r_[np.ones(n0), np.full(n - n0, factor)]
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)]) + noise * rng.standard_normal((n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _shuffled(rng, X, y)


def _labels(y, allowed, fix):
    y = np.asarray(y, dtype=np.float64)
    if not np.isin(y, allowed).all():
        found = ", ".join(f"{v:g}" for v in np.unique(y)[:5])
        raise ValueError(f"labels must be {allowed[0]:g} or {allowed[1]:g}, but found {found}; {fix}")
    return y


def as_signs(y):
    """Labels 0/1 -> -1/+1 (y ↦ 2y - 1), as the hinge loss wants them. -1/+1 labels pass unchanged."""
    y = np.asarray(y, dtype=np.float64)
    if np.isin(y, (-1.0, 1.0)).all():
        return y.copy()
    return 2.0 * _labels(y, (0.0, 1.0), "pass class labels 0/1 or -1/+1.") - 1.0


def as_bits(y):
    """Labels -1/+1 -> 0/1 (y ↦ (y + 1) / 2), as cross-entropy wants them. 0/1 labels pass unchanged."""
    y = np.asarray(y, dtype=np.float64)
    if np.isin(y, (0.0, 1.0)).all():
        return y.copy()
    return (_labels(y, (-1.0, 1.0), "pass class labels 0/1 or -1/+1.") + 1.0) / 2.0
