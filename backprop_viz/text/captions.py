"""Captions: what one recorded step did, as a sentence and the chain-rule formula with its numbers."""

from __future__ import annotations

import bisect
import math
import re
import weakref

from backprop_viz.text.numbers import fmt as _fmt
from backprop_viz.text.words import SENTENCES
from backprop_viz.trace.events import ArraySummary

__all__ = ["caption", "LANGS"]

LANGS = ("en", "ko")

_LATEX_ESCAPES = {"$": r"\$", "{": r"\{", "}": r"\}", "\\": r"\backslash{}", "_": r"\_", "^": r"\hat{}",
                  "&": r"\&", "%": r"\%", "#": r"\#", "~": r"\sim{}", "<": r"\lt{}", ">": r"\gt{}"}
_LATEX_SPLIT = re.compile(r"([^$}{\\_^&%#~<>]+)|([$}{\\_^&%#~<>])", re.S)
_BINARY = {"+": ("+", "+"), "-": ("−", "-"), "*": ("·", r"\cdot"), "/": ("/", "/"), "@": ("@", r"\,@\,")}
_FUNCS = ("exp", "log", "tanh", "sigmoid", "relu")


class _Style:
    """How names, numbers and symbols are written: plain text or LaTeX."""

    def __init__(self, latex):
        self.latex = latex

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
        text = _fmt(x)
        negative = text.startswith("-")
        if self.latex:
            if isinstance(x, (ArraySummary,)) or text.startswith("array"):
                text = rf"\text{{{text}}}"
            elif text in ("nan", "inf", "-inf"):
                text = {"nan": r"\text{nan}", "inf": r"\infty", "-inf": r"-\infty"}[text]
            else:
                text = re.sub(r"e([+-])0*(\d+)", lambda m: rf"\times 10^{{{m.group(1).lstrip('+')}{m.group(2)}}}", text)
        else:
            text = text.replace("-", "−")
        return f"({text})" if paren and negative else text

    def d(self, top, bottom):
        if self.latex:
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return f"∂{top}/∂{bottom}"

    @property
    def times(self):
        return r"\times" if self.latex else "×"

    @property
    def plus_eq(self):
        return r"\mathrel{+}=" if self.latex else "+="

    @property
    def arrow(self):
        return r"\leftarrow" if self.latex else "←"

    def math(self, formula):
        return f"${formula}$" if self.latex else formula


_TEXT = _Style(False)  # numbers inside sentences are plain text, in LaTeX captions too


def caption(snapshot, lang="en", fmt="text"):
    """The caption of a snapshot: a sentence, then the formula with numbers (LaTeX in $…$ if fmt='latex')."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}.")
    if fmt not in ("text", "latex"):
        raise ValueError(f"fmt must be 'text' or 'latex', not {fmt!r}.")
    words = SENTENCES[lang]  # the sentence templates, from the one vocabulary
    if snapshot.step == 0:
        return words["start"]
    trace = snapshot.trace
    style = _Style(fmt == "latex")
    i = snapshot.step - 1
    ev = snapshot.event

    def plain(nid):  # a name inside a sentence: text, with nothing MathJax would take for maths
        if trace.kind(nid) == "constant" and not trace.label(nid):
            return _TEXT.num(trace.initial(nid))
        name = trace.name(nid)
        return name.replace("$", "＄").replace("\\", "＼") if style.latex else name

    def term(nid):  # a name inside a formula; a constant shows as its number
        if trace.kind(nid) == "constant" and not trace.label(nid):
            return style.num(trace.initial(nid), paren=True)
        return style.name(trace.name(nid))

    if ev.kind == "forward":
        return _forward(trace, ev, words, style, plain, term, snapshot)
    if ev.kind == "seed":
        root, seed = term(ev.node), ev.value
        if type(seed) is float and seed == 1.0:
            return f"{words['seed'].format(root=plain(ev.node))} {style.math(f'{style.d(root, root)} = 1')}"
        formula = f"{style.d(root, root)} = {style.num(seed)}"
        return f"{words['seed_given'].format(root=plain(ev.node))} {style.math(formula)}"
    if ev.kind == "backward":
        return _backward(trace, i, ev, words, style, plain, term)
    name = term(ev.node)
    if ev.kind == "update":
        grad = snapshot.grads[ev.node]  # an update leaves gradients as they were
        if isinstance(grad, float) and grad != 0 and isinstance(ev.before, float) and isinstance(ev.after, float):
            eta = float(f"{(ev.before - ev.after) / grad:.12g}")  # the learning rate, without rounding noise
            root = style.name(_root_name(trace, i))
            formula = (f"{name} {style.arrow} {name} − η·{style.d(root, name)} = {style.num(ev.before)} − "
                       f"{style.num(eta)} {style.times} {style.num(grad, True)} = {style.num(ev.after)}")
            if style.latex:
                formula = formula.replace("−", "-").replace("η·", r"\eta\cdot ")
            return f"{words['update'].format(node=plain(ev.node))} {style.math(formula)}"
        return words["update_plain"].format(node=plain(ev.node), before=_TEXT.num(ev.before),
                                            after=_TEXT.num(ev.after))
    return words["grad"].format(node=plain(ev.node), after=_TEXT.num(ev.after))


def _forward(trace, ev, words, style, plain, term, snapshot):
    nid, value = ev.node, ev.value
    op, parents, arg = trace.op(nid), trace.parents(nid), trace.arg(nid)
    out = term(nid)
    names = [term(p) for p in parents]
    vals = [style.num(snapshot.values[p], paren=op in _BINARY or op in ("neg", "**")) for p in parents]
    sentence = words["forward"].format(out=plain(nid), inputs=", ".join(plain(p) for p in parents))
    if op in _BINARY:
        sym = _BINARY[op][1 if style.latex else 0]
        formula = f"{out} = {names[0]} {sym} {names[1]} = {vals[0]} {sym} {vals[1]} = {style.num(value)}"
    elif op == "neg":
        minus = "-" if style.latex else "−"
        formula = f"{out} = {minus}{names[0]} = {minus}{vals[0]} = {style.num(value)}"
    elif op == "**":
        c = _TEXT.num(arg).removesuffix(".0")
        power = f"^{{{c.replace('−', '-')}}}" if style.latex else f"^{c}"
        formula = f"{out} = {names[0]}{power} = {vals[0]}{power} = {style.num(value)}"
    elif op in _FUNCS or op in ("sum", "mean"):
        fn = rf"\operatorname{{{op}}}" if style.latex else op
        extra = f", axis={arg}" if op in ("sum", "mean") and arg is not None else ""
        formula = f"{out} = {fn}({names[0]}{extra}) = {fn}({vals[0]}{extra}) = {style.num(value)}"
    elif op == "T":
        t = "^{T}" if style.latex else "ᵀ"
        formula = f"{out} = {names[0]}{t} = {style.num(value)}"
    else:
        formula = f"{out} = {op}({', '.join(names)}) = {style.num(value)}"
    return f"{sentence} {style.math(formula)}"


def _backward(trace, i, ev, words, style, plain, term):
    parent, child, slot, upstream, local = ev.node, ev.child, ev.slot, ev.upstream, ev.local
    contribution, before, after = ev.contribution, ev.before, ev.after
    root = style.name(_root_name(trace, i))
    c, p = term(child), term(parent)
    sentence = words["backward"].format(child=plain(child), parent=plain(parent))
    op = trace.op(child)
    if op == "stack":  # each scalar receives its own element of the array's gradient
        upstream = contribution
    if local is not None:
        formula = (f"{style.d(root, p)} {style.plus_eq} {style.d(root, c)} \\cdot {style.d(c, p)} = "
                   f"{style.num(upstream, True)} {style.times} {style.num(local, True)} = {style.num(contribution)}")
        if not style.latex:
            formula = formula.replace("\\cdot", "·")
    else:
        formula = f"{style.d(root, p)} {style.plus_eq} {_matmul_rule(trace, child, slot, root, c, style)}" \
                  f"{style.num(contribution)}"
    if op == "@":
        rule = words["array_matmul"]
    elif op in ("sum", "mean") and trace.shape(parent) != ():
        rule = words["array_" + op].format(parent=plain(parent), n=_count(trace, parent, child))
    elif local is None:
        rule = words["array_shape"].format(parent=plain(parent))
    else:
        rule = None
    if rule:
        sentence = f"{sentence[:-1]}; {rule}."
    if _received_before(trace, i, parent):
        extra = words["fanout"]
    elif before is not None and _nonzero(before):
        extra = words["carried"]
    else:
        extra = None
    text = f"{sentence} {style.math(formula)}"
    if extra:
        text += " " + extra.format(parent=plain(parent), before=_TEXT.num(before),
                                   contribution=_TEXT.num(contribution, True), after=_TEXT.num(after))
    return text


def _matmul_rule(trace, child, slot, root, c, style):
    """'∂L/∂H @ Bᵀ = ' or 'Aᵀ @ ∂L/∂H = ' for a product of two matrices H = A @ B, else ''."""
    parents = trace.parents(child)
    if trace.op(child) != "@" or any(len(trace.shape(q)) != 2 for q in parents):
        return ""
    at, t = (r"\,@\,", "^{T}") if style.latex else (" @ ", "ᵀ")
    other = style.name(trace.name(parents[1 - slot])) if trace.kind(parents[1 - slot]) != "constant" or \
        trace.label(parents[1 - slot]) else (r"\text{const}" if style.latex else "const")
    upstream = style.d(root, c)
    return f"{upstream}{at}{other}{t} = " if slot == 0 else f"{other}{t}{at}{upstream} = "


# ---- finding the seed and earlier contributions without rescanning the pass for every caption ----
_INDEX = weakref.WeakKeyDictionary()  # trace -> (number of events, seed positions, {seed: {parent: first}})


def _index(trace):
    n = len(trace)
    hit = _INDEX.get(trace)
    if hit is None or hit[0] != n:
        hit = (n, trace.seed_steps(), {})
        _INDEX[trace] = hit
    return hit


def _seed_of(trace, i):
    """Position of the seed that starts the backward run event i belongs to, or None."""
    _, seeds, _ = _index(trace)
    k = bisect.bisect_right(seeds, i) - 1
    if k < 0 or seeds[k] < trace.pass_range(trace.pass_of(i))[0]:
        return None
    return seeds[k]


def _root_name(trace, i):
    """The name of the loss the backward pass of event i started from."""
    seed = _seed_of(trace, i)
    return "L" if seed is None else trace.name(trace.node_at(seed))


def _received_before(trace, i, parent):
    """True when `parent` already received a contribution earlier in this backward pass (fan-out)."""
    seed = _seed_of(trace, i)
    if seed is None:
        return False
    _, seeds, firsts = _index(trace)
    first = firsts.get(seed)
    if first is None:
        first = firsts[seed] = {}
        stop = next((s for s in seeds if s > seed), len(trace))
        for j in range(seed + 1, stop):
            if trace.kind_at(j) == "backward":
                first.setdefault(trace.node_at(j), j)
    return first.get(parent, i) < i


def _nonzero(x):
    if isinstance(x, ArraySummary):
        return x.min != 0 or x.max != 0
    try:
        return bool(abs(x) > 0) if isinstance(x, float) else bool((abs(x) > 0).any())
    except (TypeError, AttributeError):
        return False


def _count(trace, parent, child):
    return math.prod(trace.shape(parent)) // max(math.prod(trace.shape(child)), 1)
