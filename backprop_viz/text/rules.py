"""Local derivatives written with the node's own names and numbers: ∂(d · a)/∂d = a = 2, 1 − o² = 0.5."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from backprop_viz.text.numbers import MINUS, fmt
from backprop_viz.trace.events import ArraySummary

__all__ = ["Style", "PLAIN", "LATEX", "Rule", "expression", "local_rule", "rule_text"]

_LATEX_ESCAPES = {"$": r"\$", "{": r"\{", "}": r"\}", "\\": r"\backslash{}", "_": r"\_", "^": r"\hat{}",
                  "&": r"\&", "%": r"\%", "#": r"\#", "~": r"\sim{}", "<": r"\lt{}", ">": r"\gt{}"}
_LATEX_SPLIT = re.compile(r"([^$}{\\_^&%#~<>]+)|([$}{\\_^&%#~<>])", re.S)
_SUPERSCRIPT = str.maketrans("0123456789" + MINUS, "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
BINARY = {"+": ("+", "+"), "-": ("−", "-"), "*": ("·", r"\cdot"), "/": ("/", "/"), "@": ("@", r"\,@\,")}
_FUNC = {"tanh": ("tanh", r"\tanh"), "log": ("log", r"\log"), "sigmoid": ("σ", r"\sigma"),
         "relu": ("relu", r"\operatorname{relu}")}


class Style:
    """How names, numbers and symbols are written: plain text or LaTeX (inside $…$)."""

    def __init__(self, latex):
        self.latex = latex
        self.minus = "-" if latex else "−"
        self.cdot = r"\cdot" if latex else "·"
        self.times = r"\times" if latex else "×"
        self.plus_eq = r"\mathrel{+}=" if latex else "+="
        self.arrow = r"\leftarrow" if latex else "←"
        self.gt, self.le = (r"\gt", r"\le") if latex else (">", "≤")

    def name(self, text):
        if not self.latex:
            return text
        m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", text)
        if m:
            return rf"\mathrm{{{m.group(1)}}}_{{{m.group(2)}}}"
        if re.fullmatch(r"[A-Za-z]", text):
            return text
        # A label is data: runs of harmless characters go in \text{}, each special one is escaped in
        # math mode, so no label can end the formula, open a group, start a command or an HTML tag.
        parts = [rf"\text{{{run}}}" if run else _LATEX_ESCAPES[special]
                 for run, special in re.findall(_LATEX_SPLIT, text)]
        return "{" + "".join(parts) + "}"

    def num(self, x, paren=False):
        text = fmt(x)
        negative = text.startswith(MINUS)
        if self.latex:
            text = text.replace(MINUS, "-")
            if isinstance(x, ArraySummary) or text.startswith("array"):
                text = rf"\text{{{text}}}"
            elif text in ("nan", "inf", "-inf"):
                text = {"nan": r"\text{nan}", "inf": r"\infty", "-inf": r"-\infty"}[text]
            else:
                text = re.sub(r"e([+-])0*(\d+)", lambda m: rf"\times 10^{{{m.group(1).lstrip('+')}{m.group(2)}}}", text)
        return f"({text})" if paren and negative else text

    def d(self, top, bottom):
        if self.latex:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return f"∂{top}/∂{bottom}"

    def power(self, base, n):
        """base to the power n: x², x⁻¹, x^1.5 (plain text), x^{2} (LaTeX)."""
        c = fmt(n)
        if self.latex:
            return f"{base}^{{{c.replace(MINUS, '-')}}}"
        whole = math.isfinite(float(n)) and float(n) == int(n)  # an exponent of nan or inf is written out
        return f"{base}{c.translate(_SUPERSCRIPT)}" if whole else f"{base}^{c}"

    def frac(self, top, bottom):
        if self.latex:
            return rf"\frac{{{top}}}{{{bottom}}}"
        return f"{top}/{_wrap(bottom)}"

    def func(self, op, arg):
        if op == "exp":
            return f"e^{{{arg}}}" if self.latex else f"e^{_wrap(arg)}"
        fn = _FUNC.get(op, (op, rf"\operatorname{{{op}}}"))[self.latex]
        return f"{fn}({arg})"

    def math(self, formula):
        return f"${formula}$" if self.latex else formula


def _wrap(text):
    """Parentheses around a compound text ('2·x', 'a + b'), none around a name or a number."""
    base = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+$", "", text)  # (−2)² is as much one piece as (−2)
    if base.startswith("(") and base.endswith(")") and _closes_at_end(base):
        return text
    return f"({text})" if re.search(r"[\s+·/−-]", base.lstrip("−-")) else text


def _closes_at_end(text):
    """True when the '(' that opens `text` is closed by its last character: '(a + b)', not '(a)·(b)'."""
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return k == len(text) - 1
    return False


PLAIN, LATEX = Style(False), Style(True)


def expression(op, names, arg, style):
    """The expression that defines a value: 'b − c', 'd · a', 'tanh(n)', 'x³', from its inputs' names."""
    if op in BINARY and len(names) == 2:
        return f"{names[0]} {BINARY[op][style.latex]} {names[1]}"
    if op == "neg":
        return f"{style.minus}{names[0]}"
    if op == "**":
        return style.power(_wrap(names[0]), arg)
    if op in _FUNC or op == "exp":
        return style.func(op, names[0])
    if op == "T":
        return f"{names[0]}^{{T}}" if style.latex else f"{names[0]}ᵀ"
    return f"{style.func(op, ', '.join(names))}"


class Rule(NamedTuple):
    """A local derivative as the student writes it: `symbolic` in names ('a', '1 − o²'), `numeric` the
    same with numbers ('1 − 0.7071²', None when it adds nothing), `exact` when `symbolic` is already
    the number ('1', '−1', a constant factor), `condition` a remark such as 'x = 2 > 0' (relu)."""

    symbolic: str | None
    numeric: str | None = None
    exact: bool = False
    condition: str | None = None


def local_rule(op, slot, names, values, out, out_value, arg, style, constant=()):
    """The rule of ∂out/∂(input `slot`) for `op` with inputs named `names` holding `values`.

    `out` is the output's name (None when it has no label of its own: the rule is then written
    with the op, e.g. 1 − tanh(n)²); `constant` the slots whose name is a constant's number."""
    def num(k, paren=True):
        return style.num(values[k], paren)

    scalar = all(type(v) is float for v in values) and type(out_value) is float
    m, dot = style.minus, style.cdot + (" " if style.latex else "")
    if op == "+":
        return Rule("1", exact=True)
    if op == "-":
        return Rule("+1" if slot == 0 else f"{m}1", exact=True)  # +1: the sign is the point
    if op == "neg":
        return Rule(f"{m}1", exact=True)
    if op == "*":
        other = 1 - slot
        if other in constant:  # a number written in the code: the rule is that number
            return Rule(num(other, paren=False), exact=True)
        return Rule(names[other])
    if op == "/":
        if slot == 0:
            return Rule(style.frac("1", names[1]), style.frac("1", num(1)) if scalar else None)
        return Rule(f"{m}{style.frac(names[0], style.power(_wrap(names[1]), 2))}",
                    f"{m}{style.frac(num(0), style.power(num(1), 2))}" if scalar else None)
    if op == "**":
        n = float(arg)
        if n == 1 or n == 0:
            return Rule(fmt(n), exact=True)
        coef = style.num(n, paren=False)
        if n == 2:
            return Rule(f"{coef}{dot}{_wrap(names[0])}", f"{coef}{dot}{num(0)}" if scalar else None)
        return Rule(f"{coef}{dot}{style.power(_wrap(names[0]), n - 1)}",
                    f"{coef}{dot}{style.power(num(0), n - 1)}" if scalar else None)
    if op == "exp":
        return Rule(style.func("exp", names[0]), style.func("exp", num(0, False)) if scalar else None)
    if op == "log":
        return Rule(style.frac("1", names[0]), style.frac("1", num(0)) if scalar else None)
    if op in ("tanh", "sigmoid"):
        o = out if out is not None else style.func(op, names[0])
        ov = style.num(out_value, paren=True) if scalar else None
        if op == "tanh":
            return Rule(f"1 {m} {style.power(_wrap(o), 2)}", f"1 {m} {style.power(ov, 2)}" if scalar else None)
        return Rule(f"{_wrap(o)}{dot}(1 {m} {o})", f"{ov}{dot}(1 {m} {ov})" if scalar else None)
    if op == "relu" and scalar:
        positive = values[0] > 0
        cond = f"{names[0]} = {num(0, False)} {style.gt if positive else style.le} 0"
        return Rule("1" if positive else "0", exact=True, condition=cond)
    return Rule(None)


def rule_text(derivative, rule, local, style):
    """'∂(d · a)/∂d = a = 2', '∂o/∂n = 1 − o² = 1 − 0.7071² = 0.5', '∂t/∂b = 1': the rule, then its number."""
    parts = [derivative]
    if rule.symbolic is not None:
        parts.append(rule.symbolic)
    if rule.numeric is not None:
        parts.append(rule.numeric)
    if not rule.exact or rule.symbolic is None:
        value = style.num(local)
        if value != parts[-1]:
            parts.append(value)
    text = " = ".join(parts)
    if rule.condition:
        text += rf"\quad ({rule.condition})" if style.latex else f"  ({rule.condition})"
    return text
