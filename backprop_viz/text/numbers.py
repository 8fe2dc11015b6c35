"""The one number format every text uses: pictures, tables, captions, pages."""

from __future__ import annotations

import math

import numpy as np

from backprop_viz.trace.events import ArraySummary

__all__ = ["fmt"]


def fmt(x, digits=4):
    """Short text of a number, array or summary, e.g. '-6.0', '0.5013', 'array 100×16'."""
    if x is None:
        return ""
    if isinstance(x, ArraySummary):
        return f"array {'×'.join(map(str, x.shape))} (mean {fmt(x.mean, digits)})"
    if isinstance(x, np.ndarray):
        if x.size <= 4 and x.ndim == 1:
            return "[" + ", ".join(fmt(float(v), digits) for v in x) + "]"
        with np.errstate(all="ignore"):
            return f"array {'×'.join(map(str, x.shape))} (mean {fmt(float(np.mean(x)), digits)})"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    exact = repr(x)
    if len(exact) <= digits + 2 and "e" not in exact:
        return exact  # short and exact, e.g. 0.5 or -0.25
    text = f"{x:#.{digits}g}"  # '#' keeps trailing zeros: 0.49996 shows as 0.5000, not as 0.5
    if text.endswith("."):  # 1195.0027 -> '1195.' : show one decimal instead of a bare point
        return f"{x:.1f}"
    return text.replace(".e", "e")

