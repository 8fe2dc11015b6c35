"""Captions: what one recorded step did, as a sentence and the chain-rule formula with its numbers."""

from __future__ import annotations

import bisect
import contextlib
import gc
import math
import re
import weakref
from collections import defaultdict
from typing import NamedTuple

from backprop_viz.engine.recording import promote_untouched
from backprop_viz.text.names import short
from backprop_viz.text.rules import BINARY as _BINARY, LATEX, PLAIN, expression, local_rule, rule_text
from backprop_viz.text.numbers import fmt as fmt_number
from backprop_viz.text.words import SENTENCES, WORDS
from backprop_viz.trace.events import ArraySummary

__all__ = ["caption", "LANGS", "upstream_uses", "Prediction", "prediction", "predict_mode", "asked"]

LANGS = ("en", "ko")

_FUNCS = ("exp", "log", "tanh", "sigmoid", "relu")
_COMPOUND = re.compile(r"[\s+·/*−-]")  # a label such as 'ŷ − y' is put in parentheses inside an expression
_TEXT = PLAIN  # numbers inside sentences are plain text, in LaTeX captions too


def _name(trace, nid):
    """The name a caption shows: trace.name, a long label cut with … (as in the picture)."""
    return short(trace.name(nid))


def caption(snapshot, lang="en", fmt="text"):
    """The caption of a snapshot: a sentence, then the formula with numbers (LaTeX in $…$ if fmt='latex').

    A remark that stands on its own (fan-out, a carried gradient, the chain through named values)
    is a line of its own: the caption's lines are separated by '\\n'."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}.")
    if fmt not in ("text", "latex"):
        raise ValueError(f"fmt must be 'text' or 'latex', not {fmt!r}.")
    words = SENTENCES[lang]  # the sentence templates, from the one vocabulary
    if snapshot.step == 0:
        return words["start"]
    trace = snapshot.trace
    style = LATEX if fmt == "latex" else PLAIN
    i = snapshot.step - 1
    ev = snapshot.event

    def plain(nid):  # a name inside a sentence: text, with nothing MathJax would take for maths
        if trace.kind(nid) == "constant" and not trace.label(nid):
            return _TEXT.num(trace.initial(nid))
        name = _name(trace, nid)
        return name.replace("$", "＄").replace("\\", "＼") if style.latex else name

    def term(nid):  # a name inside a formula; a constant shows as its number
        if trace.kind(nid) == "constant" and not trace.label(nid):
            return style.num(trace.initial(nid), paren=True)
        return style.name(_name(trace, nid))

    def atom(nid):  # a name inside an expression: a compound label in parentheses, 'ŷ − y' -> '(ŷ − y)'
        text = term(nid)
        return f"({text})" if trace.label(nid) and _COMPOUND.search(trace.label(nid)) else text

    if ev.kind == "forward":
        return _forward(trace, ev, words, style, plain, term, atom, snapshot)
    if ev.kind == "seed":
        root, seed = term(ev.node), ev.value
        if type(seed) is float and seed == 1.0:
            return f"{words['seed'].format(root=plain(ev.node))} {style.math(f'{style.d(root, root)} = 1')}"
        # not '∂L/∂L = 2': the derivative of L by itself is 1; backward() was given a gradient to start from
        formula = f"{style.d(root, root)} {style.arrow} {style.num(seed)}"
        return f"{words['seed_given'].format(root=plain(ev.node))} {style.math(formula)}"
    if ev.kind == "backward":
        return _backward(trace, i, ev, words, style, plain, term, atom, snapshot)
    name = term(ev.node)
    if ev.kind == "update":
        grad = snapshot.grads[ev.node]  # an update leaves gradients as they were
        if isinstance(grad, float) and grad != 0 and isinstance(ev.before, float) and isinstance(ev.after, float):
            eta = float(f"{(ev.before - ev.after) / grad:.12g}")  # the learning rate, without rounding noise
            root = style.name(_root_name(trace, i))
            eta_dot = r"\eta\cdot " if style.latex else "η·"
            formula = (f"{name} {style.arrow} {name} {style.minus} {eta_dot}{style.d(root, name)} = "
                       f"{style.num(ev.before)} {style.minus} {style.num(eta)} {style.times} {style.num(grad, True)}"
                       f" = {style.num(ev.after)}")
            return f"{words['update'].format(node=plain(ev.node))} {style.math(formula)}"
        return words["update_plain"].format(node=plain(ev.node), before=_TEXT.num(ev.before),
                                            after=_TEXT.num(ev.after))
    return words["grad"].format(node=plain(ev.node), after=_TEXT.num(ev.after))


def _forward(trace, ev, words, style, plain, term, atom, snapshot):
    nid, value = ev.node, ev.value
    op, parents, arg = trace.op(nid), trace.parents(nid), trace.arg(nid)
    out = term(nid)
    names = [atom(p) for p in parents]
    vals = [style.num(snapshot.values[p], paren=op in _BINARY or op in ("neg", "**")) for p in parents]
    sentence = words["forward"].format(out=plain(nid), inputs=", ".join(plain(p) for p in parents))
    if (op in _BINARY and len(parents) == 2) or op in ("neg", "**") or op in _FUNCS:
        formula = (f"{out} = {expression(op, names, arg, style)} = {expression(op, vals, arg, style)} = "
                   f"{style.num(value)}")
    elif op in ("sum", "mean"):
        fn = rf"\operatorname{{{op}}}" if style.latex else op
        extra = f", axis={arg}" if arg is not None else ""
        formula = f"{out} = {fn}({names[0]}{extra}) = {fn}({vals[0]}{extra}) = {style.num(value)}"
    elif op == "T":
        formula = f"{out} = {expression(op, names, arg, style)} = {style.num(value)}"
    else:
        formula = f"{out} = {op}({', '.join(names)}) = {style.num(value)}"
    return f"{sentence} {style.math(formula)}"


def _backward(trace, i, ev, words, style, plain, term, atom, snapshot):
    parent, child, slot, upstream, local = ev.node, ev.child, ev.slot, ev.upstream, ev.local
    contribution, before, after = ev.contribution, ev.before, ev.after
    root_name = _root_name(trace, i)
    root = style.name(root_name)
    c, p = term(child), term(parent)
    sentence = words["backward"].format(child=plain(child), parent=plain(parent))
    op, inputs = trace.op(child), trace.parents(child)
    if op == "stack":  # each scalar receives its own element of the array's gradient
        upstream = contribution
    if local is not None:
        # The local factor: ∂c/∂p in the child's own name, or written with the op that made the child
        # when it has no name of its own or is the loss (∂L/∂a would be the gradient being accumulated).
        names = [atom(q) for q in inputs]
        own = bool(trace.label(child)) and _name(trace, child) != root_name
        d_local = style.d(c, p) if own else style.d(f"({expression(op, names, trace.arg(child), style)})", p)
        formula = (f"{style.d(root, p)} {style.plus_eq} {style.d(root, c)} {style.cdot} {d_local} = "
                   f"{style.num(upstream, True)} {style.times} {style.num(local, True)} = {style.num(contribution)}")
        constant = {k for k, q in enumerate(inputs) if trace.kind(q) == "constant" and not trace.label(q)}
        rule = local_rule(op, slot, names, [snapshot.values[q] for q in inputs],
                          c if trace.label(child) else None, snapshot.values[child], trace.arg(child), style,
                          constant)
        if rule.symbolic is not None and (not rule.exact or rule.condition):
            formula = f"{rule_text(d_local, rule, local, style)}{_THEN[style.latex]}{formula}"
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
    lines = [f"{sentence} {style.math(formula)}"]
    chain = _named_chain(trace, i, ev, style, term)
    if chain:
        via, formula = chain
        lines.append(f"{words['chain'].format(via=plain(via))} {style.math(formula)}")
    if _received_before(trace, i, parent):
        extra = words["fanout"]
    elif before is not None and _nonzero(before):
        extra = words["carried"]
    else:
        extra = None
    if extra:
        lines.append(extra.format(parent=plain(parent), before=_TEXT.num(before),
                                  contribution=_TEXT.num(contribution, True), after=_TEXT.num(after)))
    k, n = upstream_uses(trace, i)
    if k > 1:
        lines.append(words["reuse"].format(up=style.math(style.d(root, c)), k=k, n=n))
    return "\n".join(lines)


_THEN = (";  ", r",\quad ")  # between the local rule and the chain rule that uses it


def _named_chain(trace, i, ev, style, term):
    """(h, '∂y/∂x = ∂y/∂h · ∂h/∂x = 6 × 2 = 12') when the gradient reaches a named value x through
    values without names (2·x, then h = 2·x + 1) from a named h, by one path only; else None."""
    parent, child = ev.node, ev.child
    if not trace.label(parent) or type(ev.local) is not float:
        return None
    seed = _seed_of(trace, i)
    if seed is None:
        return None
    into = _contributions(trace, seed)
    root = trace.node_at(seed)
    if len(into.get(parent, ())) != 1:
        return None  # more than one path into x: ∂h/∂x would not be the product along this one
    factor, cur, up = ev.local, child, ev.upstream
    # Through values without names up to the first named one; from a named child, on up to the
    # loss's own input (y = g(h), h = f(…) = …: the lecture's ∂y/∂x = ∂y/∂h · ∂h/∂x).
    named_child = bool(trace.label(child))
    while not trace.label(cur) or named_child:
        js = into.get(cur, ())
        if cur == root or len(js) != 1:
            return None
        step = trace.event(js[0])
        if named_child and step.child == root:
            break  # cur is the loss's input
        if type(step.local) is not float or type(step.upstream) is not float:
            return None
        factor, cur, up = factor * step.local, step.child, step.upstream
    if cur == root or cur == parent or cur == child:
        return None  # through the loss itself, or no value in between: the chain says nothing new
    r, h, x = style.name(_root_name(trace, i)), term(cur), term(parent)
    return cur, (f"{style.d(r, x)} = {style.d(r, h)} {style.cdot} {style.d(h, x)} = {style.num(up, True)} "
                 f"{style.times} {style.num(factor, True)} = {style.num(ev.contribution)}")


def _matmul_rule(trace, child, slot, root, c, style):
    """'∂L/∂H @ Bᵀ = ' or 'Aᵀ @ ∂L/∂H = ' for a product of two matrices H = A @ B, else ''."""
    parents = trace.parents(child)
    if trace.op(child) != "@" or any(len(trace.shape(q)) != 2 for q in parents):
        return ""
    at, t = (r"\,@\,", "^{T}") if style.latex else (" @ ", "ᵀ")
    other = style.name(_name(trace, parents[1 - slot])) if trace.kind(parents[1 - slot]) != "constant" or \
        trace.label(parents[1 - slot]) else (r"\text{const}" if style.latex else "const")
    upstream = style.d(root, c)
    return f"{upstream}{at}{other}{t} = " if slot == 0 else f"{other}{t}{at}{upstream} = "


# ---- finding the seed and earlier contributions without rescanning the pass for every caption ----
_INDEX = weakref.WeakKeyDictionary()  # trace -> (number of events, seed positions, {seed: _run's two groupings})


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
    return "L" if seed is None else _name(trace, trace.node_at(seed))


def _contributions(trace, seed):
    """{node: [event indices]} of the contributions each node receives in the backward run of `seed`."""
    return _run(trace, seed)[0]


def _run(trace, seed):
    """The backward run of `seed`, grouped once: ({node: [its contributions]}, {child: [the steps that
    read ∂L/∂child]}, the loss's own ∂L/∂L left out), both in event order, from one read of its columns."""
    _, seeds, runs = _index(trace)
    hit = runs.get(seed)
    if hit is None:
        into, by_child, root = defaultdict(list), defaultdict(list), trace.node_at(seed)
        stop = next((s for s in seeds if s > seed), len(trace))
        cols = trace.event_columns("backward", seed + 1, stop)  # columns: no Event built per event
        with _collector_paused():
            for j, node, child in zip(cols.index, cols.node, cols.child):
                into[node].append(j)
                if child != root:
                    by_child[child].append(j)
        hit = runs[seed] = (dict(into), dict(by_child))  # (plain dicts: a look-up adds nothing)
    return hit


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic collector paused: a big pass's grouping makes a list per node and no cycle, so
    the collections it would set off (full ones among them, over the whole trace) find nothing. The
    lists then go to the oldest generation unscanned, as a recording's objects do (engine/recording.py)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            promote_untouched()
            gc.enable()


def _received_before(trace, i, parent):
    """True when `parent` already received a contribution earlier in this backward pass (fan-out)."""
    seed = _seed_of(trace, i)
    if seed is None:
        return False
    return _contributions(trace, seed).get(parent, [i])[0] < i


def _nonzero(x):
    if isinstance(x, ArraySummary):
        return x.min != 0 or x.max != 0
    try:
        return bool(abs(x) > 0) if isinstance(x, float) else bool((abs(x) > 0).any())
    except (TypeError, AttributeError):
        return False


def _count(trace, parent, child):
    return math.prod(trace.shape(parent)) // max(math.prod(trace.shape(child)), 1)


# ---- re-use: an upstream gradient computed once and used for every parent of its node ----
def upstream_uses(trace, i):
    """(k, n) for backward event i along child → parent: ∂L/∂child was computed once (when every
    contribution into child had arrived) and is read by n backward steps of this backward run, one
    per edge out of child to a parent that takes a gradient; step i is its k-th use. The loss's own
    ∂L/∂L (the seed, 1) is not counted as computed: (1, 1) for its edges and for any other event."""
    if trace.kind_at(i) != "backward":
        return 1, 1
    seed = _seed_of(trace, i)
    if seed is None:
        return 1, 1
    by_child = _run(trace, seed)[1]
    uses = by_child.get(trace.event(i).child, ())  # the run's steps that read ∂L/∂child, in order
    k = bisect.bisect_left(uses, i)
    return (k + 1, len(uses)) if k < len(uses) and uses[k] == i else (1, 1)


# ---- predict mode: the number a step produces, asked before the step is shown ----
class Prediction(NamedTuple):
    """What the student is asked for event i: `question` (the names of the edge and the formula whose
    number is wanted), `expected` (a float), `formula` (the formula alone) and a `hint` (the local rule
    in the graph's names and the upstream value: the factors, never their product). wrong(x) says
    what to multiply or compute, without the number."""

    kind: str
    question: str
    expected: float
    formula: str
    hint: str
    lang: str
    fields: dict

    def wrong(self, given):
        """The feedback for a wrong number `given`: the wrong sign, or what to multiply (compute)."""
        words, x, truth = WORDS[self.lang], given, self.expected
        shown = fmt_number(x)
        if truth != 0 and math.isclose(x, -truth, rel_tol=1e-9, abs_tol=1e-12):
            return words["pr_sign"].format(given=shown)
        return f'{words["pr_not"].format(given=shown)} {self.advice()}'

    def advice(self):
        """What to multiply (or compute) for this step, without any number."""
        return WORDS[self.lang][f"pr_wrong_{self.kind}"].format(**self.fields)

    def right(self):
        return WORDS[self.lang]["pr_right"].format(formula=self.formula, answer=fmt_number(self.expected))

    def revealed(self):
        return WORDS[self.lang]["pr_revealed"].format(formula=self.formula, answer=fmt_number(self.expected))


def prediction(trace, i, lang="en"):
    """The Prediction for event i, or None when its number is not one float (an array, an update step)."""
    wide = WORDS[lang]
    ev = trace.event(i)
    style = PLAIN
    if ev.kind == "backward":
        expected = ev.contribution
    elif ev.kind in ("seed", "forward"):
        expected = ev.value
    else:
        return None
    if type(expected) is not float:
        return None

    def term(nid):
        if trace.kind(nid) == "constant" and not trace.label(nid):
            return style.num(trace.initial(nid), paren=True)
        return _name(trace, nid)  # a long label cut with …, as in the caption

    def atom(nid):
        text = term(nid)
        return f"({text})" if trace.label(nid) and _COMPOUND.search(trace.label(nid)) else text

    values = trace.snapshot(i).values  # the values known before the step
    if ev.kind == "seed":
        root = term(ev.node)
        formula = style.d(root, root)
        return Prediction("seed", wide["pr_seed"].format(root=root, formula=formula), expected, formula,
                          str(wide["pr_hint_seed"]), lang, {"root": root})
    if ev.kind == "forward":
        nid = ev.node
        op, parents = trace.op(nid), trace.parents(nid)
        if not parents:
            return None
        out = term(nid)
        definition = f"{out} = {expression(op, [atom(q) for q in parents], trace.arg(nid), style)}"
        shown = ", ".join(f"{term(q)} = {fmt_number(values[q])}" for q in dict.fromkeys(parents)
                          if trace.kind(q) != "constant" or trace.label(q))
        return Prediction("forward", wide["pr_forward"].format(out=out, formula=definition), expected, definition,
                          wide["pr_hint_forward"].format(definition=definition, values=shown or definition), lang,
                          {"definition": definition})
    parent, child, slot = ev.node, ev.child, ev.slot
    root_name = _root_name(trace, i)
    c, p = term(child), term(parent)
    op, inputs = trace.op(child), trace.parents(child)
    names = [atom(q) for q in inputs]
    expr = expression(op, names, trace.arg(child), style)
    own = bool(trace.label(child)) and _name(trace, child) != root_name
    d_local = style.d(c, p) if own else style.d(f"({expr})", p)
    up = style.d(root_name, c)
    formula = f"{up} · {d_local}"
    if ev.local is None:
        rule = f"{c} = {expr}"
    else:
        constant = {k for k, q in enumerate(inputs) if trace.kind(q) == "constant" and not trace.label(q)}
        r = local_rule(op, slot, names, [values[q] for q in inputs], c if trace.label(child) else None,
                       values[child], trace.arg(child), style, constant)
        rule = wide["q_rule"].format(definition=f"{c} = {expr}", derivative=rule_text(d_local, r, ev.local, style))
    return Prediction("backward", wide["pr_backward"].format(child=c, parent=p, formula=formula), expected, formula,
                      wide["pr_hint_backward"].format(rule=rule, up=up, upv=fmt_number(ev.upstream)), lang,
                      {"up": up, "local": d_local})


_MODES = {False: None, None: None, True: "backward", "backward": "backward", "all": "all"}


def predict_mode(predict):
    """'backward' (predict=True), 'all' (forward steps too) or None (off); a ValueError otherwise."""
    if isinstance(predict, (bool, str, type(None))) and predict in _MODES:
        return _MODES[predict]
    raise ValueError(f"predict must be False, True (backward steps) or 'all' (forward steps too), not {predict!r}.")


def asked(trace, i, mode):
    """True when predict mode `mode` asks for event i's number: the seed and backward steps (and in
    mode 'all' the forward steps), when that number is one float (array steps are shown as usual)."""
    kind = trace.kind_at(i)
    if mode is None or kind not in (("seed", "backward", "forward") if mode == "all" else ("seed", "backward")):
        return False
    ev = trace.event(i)
    if kind == "forward" and not trace.parents(ev.node):
        return False
    return type(ev.contribution if kind == "backward" else ev.value) is float
