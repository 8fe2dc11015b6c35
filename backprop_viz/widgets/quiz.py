"""GradientQuiz: the student computes a gradient or a local derivative of a small graph; the widget checks it."""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import numpy as np

from backprop_viz.engine import Value
from backprop_viz.text.numbers import fmt
from backprop_viz.text.rules import PLAIN, expression, local_rule, rule_text
from backprop_viz.trace import Trace, trace_of
from backprop_viz.widgets.answers import _read_number, parse_number
from backprop_viz.widgets.player import BackpropPlayer, _button
from backprop_viz.text.words import words

__all__ = ["GradientQuiz", "parse_number"]

KINDS = ("total", "local", "mixed")


def example_graph(seed=0):
    """A small scalar graph with labelled nodes and small whole numbers, chosen by `seed`:
    one of  L = (a·b + c)·f,  L = (a + b)·(b − c)  (b used twice),  L = tanh(x·w + b)·a.
    It is built from Values, so its gradients come from the engine, never from this function."""
    rng = np.random.default_rng(seed)

    def num(name):
        return Value(float(rng.choice([-3, -2, -1, 1, 2, 3, 4])), name)

    form = int(rng.integers(3))
    if form == 0:
        a, b, c, f = num("a"), num("b"), num("c"), num("f")
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        L = d * f
    elif form == 1:
        a, b, c = num("a"), num("b"), num("c")
        s = a + b
        s.label = "s"
        t = b - c
        t.label = "t"
        L = s * t
    else:
        x, w, b, a = num("x"), Value(float(rng.choice([-0.5, 0.5, 0.25])), "w"), num("b"), num("a")
        u = x * w
        u.label = "u"
        z = u + b
        z.label = "z"
        h = z.tanh()
        h.label = "h"
        L = h * a
    L.label = "L"
    return L


class GradientQuiz(widgets.VBox):
    """Asks for ∂L/∂(node) ("total") or a local derivative ∂child/∂node ("local") in a small graph,
    checks the typed answer, gives a hint (local derivative and upstream gradient) and shows the
    answer on the graph.

    `GradientQuiz(graph=None, *, kind="total", seed=0, lang="en", tolerance=0.01)`: `graph` is a
    loss Value or a Trace (default: `example_graph(seed)`). An answer x counts as right when
    |x − answer| ≤ tolerance · max(1, |answer|). Methods: check(text), hint(), show(), new_question().
    """

    def __init__(self, graph=None, *, kind="total", seed=0, lang="en", tolerance=0.01):
        w = self._w = words(lang)
        if kind not in KINDS:
            raise ValueError(f"kind must be 'total' (∂L/∂node), 'local' (∂child/∂node) or 'mixed', not {kind!r}.")
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance > 0:
            raise ValueError(f"tolerance must be a positive number (relative), not {tolerance!r}.")
        if graph is None:
            graph = example_graph(seed)
        if isinstance(graph, Value):
            graph = trace_of(graph)
        if not isinstance(graph, Trace):
            raise TypeError(f"GradientQuiz takes a loss Value or a Trace, not {type(graph).__name__}.")
        self.trace, self.kind, self.lang, self.tolerance = graph, kind, lang, float(tolerance)
        self._rng = np.random.default_rng(seed)
        self._questions = self._candidates()
        if not self._questions:
            raise ValueError("this graph has no scalar gradient to ask about: give a graph of scalar Values "
                             "that ends in a loss.")
        self.right = self.asked = 0
        self.question = widgets.HTML()
        self.answer_box = widgets.Text(placeholder="-3, 0.5, 1/4 …", description=w["q_answer"],
                                       tooltip=w["q_answer_tip"], continuous_update=False,
                                       style={"description_width": "auto"})
        self.check_button = _button(w["q_check"], w["q_check_tip"])
        self.hint_button = _button(w["q_hint"], w["q_hint_tip"])
        self.show_button = _button(w["q_show"], w["q_show_tip"])
        self.new_button = _button(w["q_new"], w["q_new_tip"])
        self.check_button.button_style = "primary"
        self.feedback = widgets.HTML()
        self.hint_text = widgets.HTML()
        self.score = widgets.HTML()
        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self.hint())
        self.show_button.on_click(lambda _: self.show())
        self.new_button.on_click(lambda _: self.new_question())
        self.answer_box.observe(self._on_answer_box_change, names="value")  # Enter checks too
        self.player = BackpropPlayer(self.trace, lang=lang, start=self._forward_done())
        row = widgets.HBox([self.answer_box, self.check_button, self.hint_button, self.show_button,
                            self.new_button, self.score], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([self.question, row, self.feedback, self.hint_text, self.player])
        self.add_class("bpv-quiz")
        for name in ("question", "answer_box", "check_button", "hint_button", "show_button", "new_button",
                     "feedback", "hint_text", "score"):  # hooks for page styles and browser tests
            getattr(self, name).add_class("bpv-q-" + re.sub("_(button|box)$", "", name).replace("_", "-"))
        self._last = None
        self.new_question()

    # ---- questions ----
    def _forward_done(self):
        """The step where every value is known and no gradient yet: just before the seed."""
        seeds = self.trace.seed_steps()
        return seeds[0] if seeds else len(self.trace)

    def _candidates(self):
        """(kind, node, event index) of every askable question: scalar final gradients of the
        first backward pass, and scalar local derivatives along its edges."""
        t, out = self.trace, []
        final = {}
        for i, ev in t.events_between(*t.pass_range(0), "backward") if len(t) else ():
            if isinstance(ev.after, float):
                final[ev.node] = i  # the last contribution makes the gradient final
                if self.kind in ("local", "mixed") and isinstance(ev.local, float):
                    out.append(("local", ev.node, i))
        if self.kind in ("total", "mixed"):
            out += [("total", nid, i) for nid, i in sorted(final.items())]
        return out

    def new_question(self):
        """Pick another question (seeded: the same seed asks the same questions in the same order)."""
        choices = [q for q in self._questions if q != self._last] or self._questions
        self.current = choices[int(self._rng.integers(len(choices)))]
        self._last = self.current
        self._solved = False
        self._checked = None  # (question, answer, result, feedback) of the last answer counted
        kind, nid, i = self.current
        t, w = self.trace, self._w
        if kind == "total":
            text = w["q_total"].format(d=self._d(t.name(self._root()), t.name(nid)), root=t.name(self._root()),
                                       node=t.name(nid))
        else:
            child = t.event(i).child
            text = w["q_local"].format(d=self._d(t.name(child), t.name(nid)), node=t.name(nid), child=t.name(child))
        self.question.value = f"<b>{html.escape(text)}</b>"
        self.answer_box.value = ""
        self.feedback.value = self.hint_text.value = ""
        self.player.goto(self._forward_done())
        self._score()
        return self

    @property
    def answer(self):
        """The right answer to the current question."""
        kind, nid, i = self.current
        ev = self.trace.event(i)
        return float(ev.after if kind == "total" else ev.local)

    # ---- the student's actions ----
    def check(self, text=None):
        """Check an answer (the text box's when `text` is None): True if right, False if wrong,
        None if the text is not a number (a friendly sentence says so). One answer is one attempt:
        checking the same answer again (leaving the box checks it, then the button) counts once."""
        w = self._w
        if text is not None:
            self._quiet_set(str(text))
        text = self.answer_box.value
        x, why = _read_number(text)
        if x is None:
            shown = text.strip()
            shown = shown if len(shown) <= 24 else shown[:23] + "…"  # a 400-digit answer is not repeated whole
            self._say(w[why].format(text=shown, quoted=f"“{shown}”"), "#b35900")
            return None
        if self._checked is not None and self._checked[:2] == (self.current, x):
            self.feedback.value = self._checked[3]  # already counted: say again what was said
            return self._checked[2]
        truth = self.answer
        self.asked += 1
        ok = abs(x - truth) <= self.tolerance * max(1.0, abs(truth))
        if ok:
            self.right += 1
            self._solved = True
            self._say(w["q_right"].format(d=self._question_symbol(), answer=fmt(truth)), "#007a4d")
        elif truth != 0 and abs(x + truth) <= self.tolerance * max(1.0, abs(truth)):
            self._say(w["q_sign"].format(given=fmt(x)), "#b30000")
        else:
            self._say(w["q_wrong"].format(given=fmt(x), d=self._question_symbol()), "#b30000")
        self._checked = (self.current, x, ok, self.feedback.value)
        self._score()
        return ok

    def hint(self):
        """Show the local derivative(s) and upstream gradient(s) the answer is built from."""
        kind, nid, i = self.current
        t, w = self.trace, self._w
        if kind == "total":
            # each local factor is written with the op it comes from, ∂(d · a)/∂d = a = 2, never as
            # ∂L/∂d: that is the question's own symbol when the child is the loss
            root = t.name(self._root())
            start, _ = t.pass_range(0)
            edges = [ev for _, ev in t.events_between(start, i + 1, "backward") if ev.node == nid]
            lines = [w["q_hint_edge"].format(up=self._d(root, t.name(ev.child)), upv=fmt(ev.upstream),
                                             rule=self._rule(ev, own_symbol=False))
                     for ev in edges]
            head = w["q_hint_total"].format(node=t.name(nid), n=len(edges))
        else:
            child = t.event(i).child
            values = self._values()
            shown = ", ".join(f"{t.name(p)} = {fmt(values[p])}" for p in dict.fromkeys(t.parents(child))
                              if t.kind(p) != "constant" or t.label(p))  # not '−1 = −1'
            shown = f"{shown}, " if shown else ""
            shown += f"{t.name(child)} = {fmt(values[child])}"
            head = w["q_hint_local"].format(child=t.name(child), rule=self._rule(t.event(i), own_symbol=True),
                                            values=shown)
            lines = []
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        self.hint_text.value = f"<div>{html.escape(head)}</div>" + (f"<ul>{items}</ul>" if items else "")
        return self

    def show(self):
        """Reveal the answer: the player jumps to the step where it is computed."""
        kind, nid, i = self.current
        self.player.goto(i + 1)
        self._say(self._w["q_shown"].format(d=self._question_symbol(), answer=fmt(self.answer)), "#1a1a1a")
        return self

    # ---- helpers ----
    def _values(self):
        """Every node's value once the forward pass is done."""
        return self.trace.snapshot(self._forward_done()).values

    def _term(self, nid):
        """A node's name inside an expression: a negative constant in parentheses, a compound label too."""
        t = self.trace
        if t.kind(nid) == "constant" and not t.label(nid):
            return PLAIN.num(t.initial(nid), paren=True)
        name = t.name(nid)
        return f"({name})" if t.label(nid) and re.search(r"[\s+·/*−-]", name) else name

    def _rule(self, ev, own_symbol):
        """The local rule of the edge ev.node → ev.child in this graph's names: 't = b − c, so ∂t/∂b = +1'
        (own_symbol: the question's ∂child/∂node = the rule, without its number unless the rule is one),
        or 'L = d · a, so ∂(d · a)/∂d = a = 2' (the factor written with its op, and its number)."""
        t, values = self.trace, self._values()
        child, nid, op = ev.child, ev.node, self.trace.op(ev.child)
        inputs = t.parents(child)
        names = [self._term(q) for q in inputs]
        expr = expression(op, names, t.arg(child), PLAIN)
        constant = {k for k, q in enumerate(inputs) if t.kind(q) == "constant" and not t.label(q)}
        rule = local_rule(op, ev.slot, names, [values[q] for q in inputs], t.name(child) if t.label(child) else None,
                          values[child], t.arg(child), PLAIN, constant)
        if own_symbol:
            derivative = self._d(t.name(child), t.name(nid))
            if rule.symbolic is not None:
                derivative += f" = {rule.symbolic}" + (f"  ({rule.condition})" if rule.condition else "")
        else:
            derivative = rule_text(self._d(f"({expr})", t.name(nid)), rule, ev.local, PLAIN)
        return self._w["q_rule"].format(definition=f"{t.name(child)} = {expr}", derivative=derivative)

    def _on_answer_box_change(self, change):
        if not getattr(self, "_quiet", False) and change["new"].strip():
            self.check()

    def _quiet_set(self, text):
        self._quiet = True
        try:
            self.answer_box.value = text
        finally:
            self._quiet = False

    def _root(self):
        seeds = self.trace.seed_steps()
        return self.trace.node_at(seeds[0]) if seeds else self.trace.num_nodes - 1

    @staticmethod
    def _d(top, bottom):
        return f"∂{top}/∂{bottom}"

    def _question_symbol(self):
        kind, nid, i = self.current
        t = self.trace
        if kind == "total":
            return self._d(t.name(self._root()), t.name(nid))
        return self._d(t.name(t.event(i).child), t.name(nid))

    def _say(self, text, color):
        self.feedback.value = f'<span style="color:{color};font-weight:bold">{html.escape(text)}</span>'

    def _score(self):
        self.score.value = html.escape(self._w["q_score"].format(right=self.right, asked=self.asked))
