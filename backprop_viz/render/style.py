"""The visual language: colours, sizes, fonts, number texts and the words of the picture."""

from __future__ import annotations

import math
import unicodedata

import numpy as np

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
NUMBER_CHARS = 9  # the widest text number_text() gives
TITLE_CHARS = 32  # longer labels are cut with …

LANGS = ("en", "ko")

WORDS = {
    "en": {
        "data": "data", "grad": "grad", "mean": "mean", "range": "range",
        "forward": "forward", "backward": "backward", "update": "update",
        "step": "step {k} of {n}", "pass": "pass {p} of {n}",
        "legend_active": "active step", "legend_done": "computed", "legend_pending": "not computed yet",
        "legend_param": "parameter", "legend_pos": "gradient > 0", "legend_neg": "gradient < 0",
        "legend_mixed": "mixed signs", "legend_width": "thicker = larger |gradient|",
        "legend_label": "← n: gradient sent back along the edge",
        "input": "input", "parameter": "parameter", "constant": "constant", "computed": "computed",
        "neuron": "neuron", "more": "{n} more",
        "plural": {"input": "inputs", "parameter": "parameters", "constant": "constants", "computed": "values"},
        "collapsed": "Too big to draw node by node ({n} values): {what}.",
        "neurons": "each neuron drawn as one node (its weights and bias inside)",
        "sums": "chains of + drawn as one Σ",
        "summary": "Too big to draw ({n} nodes): showing the {shown} values nearest the output. "
                   "Left out: {left} nodes ({ops}).",
        "empty": "Nothing recorded yet.",
        "focus": "Only the paths from {name} to {loss}: {path} of {n} values, and {inputs} other inputs of "
                 "those steps (drawn without their own inputs).",
        "focus_absent": "{name} takes no part in computing {loss} in this pass: every value is drawn.",
        "output": "the output",
        "summary_focus": "Still too big to draw ({n} nodes): showing a shortest path from {name} and the values "
                         "nearest the output, {shown} in all. Left out: {left} nodes ({ops}).",
    },
    "ko": {
        "data": "값", "grad": "기울기", "mean": "평균", "range": "범위",
        "forward": "순전파", "backward": "역전파", "update": "갱신",
        "step": "{n}단계 중 {k}", "pass": "{n}회 중 {p}회차",
        "legend_active": "지금 단계", "legend_done": "계산됨", "legend_pending": "아직 계산 전",
        "legend_param": "매개변수", "legend_pos": "기울기 > 0", "legend_neg": "기울기 < 0",
        "legend_mixed": "부호 섞임", "legend_width": "굵을수록 |기울기|가 큼",
        "legend_label": "← n: 간선을 따라 거꾸로 보낸 기울기",
        "input": "입력", "parameter": "매개변수", "constant": "상수", "computed": "계산값",
        "neuron": "뉴런", "more": "{n}개 더",
        "plural": {"input": "입력", "parameter": "매개변수", "constant": "상수", "computed": "계산값"},
        "collapsed": "노드가 너무 많아 ({n}개 값) 줄여서 그렸습니다: {what}.",
        "neurons": "뉴런 하나를 노드 하나로 (가중치와 편향은 안에)",
        "sums": "+ 의 사슬을 Σ 하나로",
        "summary": "너무 커서 ({n}개 노드) 출력에 가까운 값 {shown}개만 그렸습니다. "
                   "생략: {left}개 노드 ({ops}).",
        "empty": "아직 기록된 것이 없습니다.",
        "focus": "{name}에서 {loss}까지 가는 경로만 그렸습니다: 값 {n}개 중 {path}개, 그리고 그 단계들의 "
                 "다른 입력 {inputs}개 (그 입력의 입력은 생략).",
        "focus_absent": "이 회차에서 {name}은(는) {loss} 계산에 쓰이지 않아 모든 값을 그렸습니다.",
        "output": "출력",
        "summary_focus": "그래도 너무 커서 ({n}개 노드) {name}에서 가는 가장 짧은 경로와 출력에 가까운 값, 모두 {shown}개만 "
                         "그렸습니다. 생략: {left}개 노드 ({ops}).",
    },
}

OP_TEXT = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "@": "@", "T": "ᵀ",
           "sigmoid": "σ", "relu": "ReLU", "exp": "exp", "log": "log", "tanh": "tanh"}


def check_lang(lang):
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, not {lang!r}.")
    return lang


def op_text(op, arg=None):
    """How an op is written in its node: + − × ÷ tanh σ ReLU ^2 sum(axis=0) …"""
    if op == "**":
        return f"^{arg:g}" if isinstance(arg, (int, float)) else "^"
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
    """At most 9 characters: 4 decimals below 1000 ('-0.5000'), 1 decimal below a million,
    scientific beyond ('1.23e+07'), and nan / inf / -inf."""
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0:
        return "0.0000"
    if 1e-4 <= a < 1000:
        return f"{x:.4f}"
    if 1000 <= a < 1e6:
        return f"{x:.1f}"
    return f"{x:.2e}"


def short_number(x):
    """At most 9 characters with 3 significant digits: for the range of an array."""
    if x != x or x in (math.inf, -math.inf):
        return number_text(x)
    return f"{x:.3g}"


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
