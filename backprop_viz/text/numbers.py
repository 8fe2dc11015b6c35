"""The one number format every text uses: pictures, tables, captions, hints, pages."""

from __future__ import annotations

import math

import numpy as np

from backprop_viz.trace.events import ArraySummary

__all__ = ["fmt", "MINUS", "DIGITS"]

MINUS = "−"  # U+2212, the minus sign of print; a typed '-' is read as the same
DIGITS = 4  # significant digits


def fmt(x, digits=DIGITS):
    """Short text of a number, array or summary: 4 significant digits, no trailing zeros, a real minus.

    '−4', '0.5', '0.7071', '12350', '1.5e-5' (scientific below 0.001 and from a million on),
    'nan', 'inf', '−inf'; a short vector '[0.5, −1]', a larger array 'array 100×16 (mean 0.5)'.
    """
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
        return "inf" if x > 0 else MINUS + "inf"
    if x == 0:
        return "0"  # also −0.0
    rounded = float(f"{x:.{digits}g}")
    if math.isinf(rounded):  # x rounds past the largest float (1.7975e308): write x's own digits
        rounded = x
    if 1e-3 <= abs(rounded) < 1e6:
        text = f"{rounded:.{digits + 3}f}".rstrip("0").rstrip(".")
    else:  # '1.5e-5', '1.235e+7': no exponent zeros, so any number fits in 9 characters
        mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
        text = f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent):+d}"
    return MINUS + text[1:] if text.startswith("-") else text
