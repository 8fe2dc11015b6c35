"""Predict mode of the player: the student gives a step's number before the player shows the step."""

from __future__ import annotations

import bisect
import html

import ipywidgets as widgets

from backprop_viz.text.captions import asked, predict_mode as mode_of, prediction
from backprop_viz.widgets.answers import _read_number

__all__ = ["PredictPanel", "mode_of"]

TOLERANCE = 0.01  # relative, as the quiz: 0.333 for 1/3 is right; 1 % of 1 at least near 0


class PredictPanel:
    """The box, check and reveal buttons, question, feedback and score of a player in predict mode.

    Steps to predict are the seed and the backward steps (mode 'backward'), and the forward steps
    too (mode 'all'), whenever their number is one float (array steps are shown as usual). They are
    revealed in order: `frontier` is the first step not yet revealed, and the player may show any
    step before it."""

    def __init__(self, mode, lang, w, button):
        self.mode, self.lang, self._w = mode, lang, w
        self.box = widgets.Text(description=w["pr_answer"], tooltip=w["pr_answer_tip"], placeholder="-3, 0.5, 1/4",
                                continuous_update=False, style={"description_width": "auto"},
                                layout=widgets.Layout(width="260px"))
        self.check_button = button(w["pr_check"], w["pr_check_tip"], "check")
        self.reveal_button = button(w["pr_reveal"], w["pr_reveal_tip"], "eye")
        self.question = widgets.HTML()
        self.feedback = widgets.HTML()
        self.score_text = widgets.HTML()
        self.widget = widgets.VBox(
            [self.question, widgets.HBox([self.box, self.check_button, self.reveal_button, self.score_text],
                                         layout=widgets.Layout(align_items="center", flex_flow="row wrap")),
             self.feedback],
            layout=widgets.Layout(display="flex" if mode else "none", border_left="4px solid #0072b2",
                                  padding="2px 8px", margin="4px 0"))
        for name, css in (("box", "predict-box"), ("check_button", "predict-check"),
                          ("reveal_button", "predict-reveal"), ("question", "predict-question"),
                          ("feedback", "predict-feedback"), ("score_text", "predict-score"),
                          ("widget", "predict")):
            getattr(self, name).add_class("bpv-" + css)
        self.reset(None, 0)

    @property
    def shown(self):
        """The panel, in a list, when predict mode is on; else no widget at all (nothing to hide)."""
        return [self.widget] if self.mode else []

    def reset(self, trace, start):
        """A new trace: the steps to predict, those up to `start` counted as revealed (not scored)."""
        self.trace = trace
        self.steps = []  # step numbers k (snapshot after event k - 1) whose number is asked
        self._questions = {}
        if trace is not None and self.mode:
            self.steps = [i + 1 for i in range(len(trace)) if asked(trace, i, self.mode)]
        self.done = bisect.bisect_right(self.steps, start)  # steps[:done] are revealed
        self.right = self.asked = self.attempts = 0
        self._tries = {}  # step -> wrong answers given
        self._last = None  # (step, number, result, feedback) of the last answer
        self.feedback.value = ""
        self._score()

    # ---- which steps may be shown ----
    @property
    def frontier(self):
        """The first step still to predict, or None when every step is revealed."""
        return self.steps[self.done] if self.mode and self.done < len(self.steps) else None

    def allowed(self, k):
        """The furthest step up to k the player may show: the step before the frontier."""
        f = self.frontier
        return k if f is None or k < f else f - 1

    def pending(self, index):
        """The step asked about when the player shows `index`, or None."""
        f = self.frontier
        return f if f is not None and index == f - 1 else None

    def ask(self, k):
        """The Prediction of step k (cached)."""
        p = self._questions.get(k)
        if p is None:
            p = self._questions[k] = prediction(self.trace, k - 1, self.lang)
        return p

    # ---- what the panel shows ----
    def show(self, index):
        """The question of the step after `index` when it is to be predicted, else nothing to do."""
        if not self.mode:
            return
        k = self.pending(index)
        waiting = k is not None
        for control in (self.box, self.check_button, self.reveal_button):
            control.disabled = not waiting
        if waiting:
            self.question.value = f"<b>{html.escape(self.ask(k).question)}</b>"
        elif self.frontier is None and self.steps:
            self.question.value = html.escape(self._w["pr_done"])
        else:
            self.question.value = ""
        if self._last is None or self._last[0] not in (k, index):
            self.feedback.value = ""  # what was said about another step

    def say(self, text, color):
        self.feedback.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _score(self):
        self.score_text.value = html.escape(self._w["pr_score"].format(right=self.right, asked=self.asked))

    # ---- the student's answers ----
    def check(self, index, text):
        """(result, step to show or None): True right, False wrong, None not a number or nothing asked."""
        w = self._w
        k = self.pending(index)
        if k is None:
            self.say(w["pr_nothing"], "#6b6b6b")
            return None, None
        x, why = _read_number(text)
        if x is None:
            shown = str(text).strip()
            shown = shown if len(shown) <= 24 else shown[:23] + "…"  # a 400-digit answer is not repeated whole
            self.say(w[why].format(text=shown, quoted=f"“{shown}”"), "#b35900")
            return None, None
        if self._last is not None and self._last[:2] == (k, x):
            self.feedback.value = self._last[3]  # the same answer again (Enter, then the button): counted once
            return self._last[2], None
        p = self.ask(k)
        self.attempts += 1
        tries = self._tries.get(k, 0)
        if tries == 0:
            self.asked += 1
        ok = abs(x - p.expected) <= TOLERANCE * max(1.0, abs(p.expected))
        if ok:
            self.right += 1
            self.done += 1
            self.say(p.right(), "#007a4d")
        else:
            self._tries[k] = tries + 1
            text = p.wrong(x)
            if tries + 1 >= 2:
                text = f"{text} {p.hint}"
            self.say(text, "#b30000")
        self._last = (k, x, ok, self.feedback.value)
        self._score()
        return ok, (k if ok else None)

    def reveal(self, index):
        """The step to show without scoring, or None when nothing is asked."""
        k = self.pending(index)
        if k is None:
            return None
        self.done += 1
        self.say(self.ask(k).revealed(), "#1a1a1a")
        self._last = (k, None, None, self.feedback.value)
        return k

