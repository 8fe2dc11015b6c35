"""The visual language: colours, sizes, fonts and number texts (the picture's words are in text.words)."""

from __future__ import annotations

import math
import unicodedata

import numpy as np

from backprop_viz.text.numbers import DIGITS, fmt
from backprop_viz.trace import ArraySummary

# Okabe–Ito colours (safe for the common colour-vision deficiencies) on a white card of our
# own, so the picture reads the same on JupyterLab's light and dark themes.
BACKGROUND = "#ffffff"
CARD_EDGE = "#c8c8c8"
INK = "#1a1a1a"
MUTED = "#6b6b6b"
PENDING = "#b8b8b8"
DONE_FILL = "#f0f0f0"
DONE_EDGE = "#505050"
ACTIVE_FILL = "#f0e442"  # Okabe–Ito yellow
ACTIVE_EDGE = "#000000"
PARAM_EDGE = "#009e73"  # Okabe–Ito bluish green
PARAM_TINT = "#dff2eb"
POSITIVE = "#d55e00"  # Okabe–Ito vermillion
NEGATIVE = "#0072b2"  # Okabe–Ito blue
MIXED = "#cc79a7"  # Okabe–Ito reddish purple: an array gradient with both signs
ZERO = "#8c8c8c"
TINT = {1: "#fbe2d0", -1: "#d6e9f5", 0: "#ececec", 2: "#f5e1ec"}
SIGN_COLOR = {1: POSITIVE, -1: NEGATIVE, 0: ZERO, 2: MIXED}

MONO = "DejaVu Sans Mono,Menlo,Consolas,Liberation Mono,monospace"
SANS = "Helvetica,Arial,DejaVu Sans,sans-serif"
TITLE_SIZE = 11.0
ROW_SIZE = 10.5
LABEL_SIZE = 9.5
NOTE_SIZE = 10.5
ROW_H = 14.0
TITLE_H = 17.0
PAD = 5.0
NUMBER_CHARS = 9  # the widest text number_text() gives: "−0.001234", "−1.235e-5"
TITLE_CHARS = 32  # longer labels are cut with …

LANGS = ("en", "ko")

OP_TEXT = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "@": "@", "T": "ᵀ",
           "sigmoid": "σ", "relu": "ReLU", "exp": "exp", "log": "log", "tanh": "tanh"}


def check_lang(lang):
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, not {lang!r}.")
    return lang


def op_text(op, arg=None):
    """How an op is written in its node: + − × ÷ tanh σ ReLU ^2 sum(axis=0) …"""
    if op == "**":
        return f"^{fmt(arg)}" if isinstance(arg, (int, float)) else "^"
    if op in ("sum", "mean"):
        return op if arg is None else f"{op}({arg})"
    if op == "reshape":
        return "reshape"
    return OP_TEXT.get(op, op)


def shape_text(shape):
    return "×".join(map(str, shape))


def text_width(text, size):
    """Width in points of `text` in the monospaced font: 0.6 em a character, 1 em for wide
    (CJK) characters. Used to size boxes before anything is drawn."""
    w = 0.0
    for ch in text:
        w += 1.0 if ch > "\u10ff" and unicodedata.east_asian_width(ch) in "WF" else 0.6
    return w * size


def number_text(x):
    """A number as the picture writes it: text.numbers.fmt (4 significant digits, no trailing zeros,
    '−4', '0.7071', '1.5e-5'), never wider than NUMBER_CHARS so the layout holds for every step."""
    text, digits = fmt(x), DIGITS
    while len(text) > NUMBER_CHARS and digits > 1:  # only exponents of two or more digits: give up
        digits -= 1  # digits of the mantissa, never the exponent
        text = fmt(x, digits)
    return text


def short_number(x):
    """An end of an array's range: the same text as number_text (one format per view)."""
    return number_text(x)


def array_stats(x):
    """(mean, min, max) of an array or ArraySummary, as floats."""
    if isinstance(x, ArraySummary):
        return x.mean, x.min, x.max
    with np.errstate(all="ignore"):
        return float(np.mean(x)), float(np.min(x)), float(np.max(x))


def magnitude(x):
    """|x| for a number; root mean square for an array; max(|min|, |max|) for a summary."""
    if type(x) is float:
        return abs(x) if x == x else 0.0
    if isinstance(x, ArraySummary):
        m = max(abs(x.min), abs(x.max))
    else:
        with np.errstate(all="ignore"):
            m = float(np.sqrt(np.mean(np.square(x)))) if np.size(x) else 0.0
    return m if m == m else 0.0


def sign(x):
    """1, -1 or 0 by the sign of x; 2 for an array holding both signs."""
    if type(x) is float:
        return (x > 0) - (x < 0)
    lo, hi = (x.min, x.max) if isinstance(x, ArraySummary) else (np.min(x), np.max(x)) if np.size(x) else (0, 0)
    if lo < 0 < hi:
        return 2
    return 1 if hi > 0 else -1 if lo < 0 else 0


def edge_width(mag, top):
    """Pen width of a gradient edge: 1.2 to 5 points, growing with sqrt(|g| / max |g|)."""
    if not top or not mag:
        return 1.2
    return round(1.2 + 3.8 * min(1.0, math.sqrt(mag / top)), 2)
