"""Captions: a sentence and the formula with the event's own numbers, in English and Korean, text and LaTeX."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from backprop_viz import Value, record
from backprop_viz.text.numbers import fmt
from recording import record_program
from strategies import programs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = {  # a word each language's sentence must contain, per kind of step
    "en": {"forward": "Forward", "seed": "Backward starts", "backward": "Backward:", "fanout": "used more than once",
           "carried": "zero_grad was not called", "update": "Update", "grad": "(zero_grad)"},
    "ko": {"forward": "순전파", "seed": "역전파를 시작합니다", "backward": "역전파:", "fanout": "여러 번 쓰였으므로",
           "carried": "zero_grad를 호출하지", "update": "갱신", "grad": "기울기 초기화"},
}


def num(x, paren=False):
    """A number as captions write it in text: fmt() (a real minus sign), negatives in parentheses."""
    text = fmt(x)
    return f"({text})" if paren and text.startswith("−") else text


def check_latex(text):
    """At most one $…$ formula a line, the first line has one, braces balance, nothing in a formula a
    browser could take for a tag; returns the formulas, joined by ' | '."""
    formulas = []
    for n, line in enumerate(text.split("\n")):
        dollars = re.findall(r"(?<!\\)\$", line)
        assert len(dollars) in ((2,) if n == 0 else (0, 2)), text
        if not dollars:
            assert "\\" not in line, text
            continue
        formula = line[line.index("$") + 1:line.rindex("$")]
        outside = line[:line.index("$")] + line[line.rindex("$") + 1:]
        assert "\\" not in outside, text  # sentences around the formula are plain text, numbers too
        depth = 0
        for ch in re.sub(r"\\[{}$]", "", formula):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, text
        assert depth == 0 and "<" not in formula and ">" not in formula, text
        formulas.append(formula)
    return " | ".join(formulas)


def chain_rule_trace():
    """The issue's example: e = a · b, L = e + a (a fans out), backward."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        e.label = "e"
        L = e + a
        L.label = "L"
        L.backward()
    return trace


def captions(trace, k):
    s = trace.snapshot(k)
    return {lang: s.caption(lang) for lang in ("en", "ko")}, s.caption("en", "latex")


def test_forward_caption_shows_the_product_with_its_numbers():
    trace = chain_rule_trace()
    text, latex = captions(trace, 1)
    for lang in ("en", "ko"):
        assert text[lang].endswith("e = a · b = 2 · (−3) = −6") and WORDS[lang]["forward"] in text[lang]
    assert "compute e from a, b" in text["en"]
    assert check_latex(latex) == r"e = a \cdot b = 2 \cdot (-3) = -6"


def test_seed_caption():
    trace = chain_rule_trace()
    text, latex = captions(trace, 3)
    for lang in ("en", "ko"):
        assert text[lang].endswith("∂L/∂L = 1") and WORDS[lang]["seed"] in text[lang]
    assert check_latex(latex) == r"\frac{\partial L}{\partial L} = 1"
    x = Value(np.array([1.0, 2.0]), "x")
    with record() as t2:
        y = x * 3.0
        y.label = "y"
        y.backward(gradient=np.array([0.5, -1.0]))
    text, latex = captions(t2, 2)
    # the given gradient is not written '∂y/∂y = …' (that is 1): it is what the backward pass starts from
    assert "given to backward()" in text["en"] and text["en"].endswith("∂y/∂y ← [0.5, −1]")
    assert "backward()" in text["ko"] and check_latex(latex).endswith(r"\leftarrow [0.5, -1]")


def test_backward_caption_is_the_chain_rule_with_numbers():
    trace = chain_rule_trace()
    ev = trace.events[5]  # e -> a: the second path into a
    assert (ev.kind, ev.child, ev.node) == ("backward", 2, 0)
    text, latex = captions(trace, 6)
    for lang in ("en", "ko"):
        # the local rule in the graph's names and numbers, then the chain rule
        assert "∂e/∂a = b = −3;  ∂L/∂a += ∂L/∂e · ∂e/∂a = 1 × (−3) = −3" in text[lang]
        assert WORDS[lang]["backward"] in text[lang]
    formula = check_latex(latex)
    assert formula == (r"\frac{\partial e}{\partial a} = b = -3,\quad "
                       r"\frac{\partial L}{\partial a} \mathrel{+}= \frac{\partial L}{\partial e} \cdot "
                       r"\frac{\partial e}{\partial a} = 1 \times (-3) = -3")
    # out of the loss the local factor is written with the op that made L: ∂L/∂a would be the gradient itself
    text, latex = captions(trace, 5)
    for lang in ("en", "ko"):
        assert text[lang].endswith("∂L/∂a += ∂L/∂L · ∂(e + a)/∂a = 1 × 1 = 1")
    assert check_latex(latex).endswith(r"\cdot \frac{\partial (e + a)}{\partial a} = 1 \times 1 = 1")


def test_fan_out_caption_says_the_paths_add_up():
    trace = chain_rule_trace()
    first, second = [e for e in trace.events if e.kind == "backward" and e.node == 0]
    text, _ = captions(trace, trace.events.index(second) + 1)
    sum_text = f"{num(second.before)} + {num(second.contribution, True)} = {num(second.after)}"
    assert sum_text == "1 + (−3) = −2" and second.before == first.after
    for lang in ("en", "ko"):
        assert WORDS[lang]["fanout"] in text[lang] and sum_text in text[lang]
        formula, fanout = text[lang].split("\n")  # the sentence on a line of its own
        assert WORDS[lang]["fanout"] in fanout and fanout.startswith("a") and "+=" in formula
    text, _ = captions(trace, trace.events.index(first) + 1)
    assert all(WORDS[lang]["fanout"] not in text[lang] for lang in ("en", "ko"))


def test_a_gradient_carried_over_from_an_earlier_backward_is_named():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    with record() as trace:
        c = a * b
        c.label = "c"
        c.backward()
        c.backward()  # no zero_grad in between: a and b pile up
    assert trace.passes == 2
    start, stop = trace.pass_range(1)
    for k in range(start + 2, stop + 1):
        ev = trace.events[k - 1]
        text, latex = captions(trace, k)
        for lang in ("en", "ko"):
            assert WORDS[lang]["carried"] in text[lang] and WORDS[lang]["fanout"] not in text[lang]
            assert f"{num(ev.before)} + {num(ev.contribution, True)} = {num(ev.after)}" in text[lang]
        check_latex(latex)
    text, _ = captions(trace, 3)  # the first pass starts from zero
    assert WORDS["en"]["carried"] not in text["en"]


def test_update_and_zero_grad_captions():
    w, x = Value(0.5, "w", role="parameter"), Value(2.0, "x")
    lr = 0.1
    with record() as trace:
        loss = (w * x - 3.0) ** 2
        loss.label = "L"
        loss.backward()
        grad = w.grad
        w.data = w.data - lr * w.grad
        w.grad = 0
    new = 0.5 - lr * grad
    text, latex = captions(trace, len(trace) - 1)
    for lang in ("en", "ko"):
        assert text[lang].endswith(f"w ← w − η·∂L/∂w = 0.5 − 0.1 × {num(grad, True)} = {num(new)}")
        assert WORDS[lang]["update"] in text[lang]
    assert grad == -8.0 and check_latex(latex).startswith(r"w \leftarrow w - \eta\cdot \frac{\partial L}{\partial w}")
    text, latex = captions(trace, len(trace))
    for lang in ("en", "ko"):
        assert WORDS[lang]["grad"] in text[lang] and {"en": "to 0 ", "ko": "0으로"}[lang] in text[lang]
    assert "$" not in latex  # a sentence only


def test_an_update_without_a_gradient_says_old_and_new_value():
    p = Value(np.ones(2), "p", role="parameter")
    with record() as trace:
        p.data = p.data * 0.5
    text, _ = captions(trace, 1)
    assert "p changes from [1, 1] to [0.5, 0.5]" in text["en"] and "갱신" in text["ko"]


def test_array_rules_get_a_sentence():
    W, X = Value(np.arange(6.0).reshape(2, 3), "W", role="parameter"), Value(np.ones((4, 2)), "X")
    with record() as trace:
        H = X @ W
        H.label = "H"
        S = H.mean()
        S.label = "S"
        T = H.sum(axis=0).sum()
        T.label = "T"
        Z = S + T
        Z.label = "Z"
        Z.backward()
    said = {}
    for k in range(1, len(trace) + 1):
        ev = trace.events[k - 1]
        if ev.kind == "backward":
            text, latex = captions(trace, k)
            said[(trace.name(ev.child), trace.name(ev.node))] = text
            check_latex(latex)
    assert "every element of H gets the gradient of the mean divided by 12" in said[("S", "H")]["en"]
    assert "12" in said[("S", "H")]["ko"] and "평균" in said[("S", "H")]["ko"]
    assert "every element of H gets the gradient of the sum" in said[("v1", "H")]["en"]  # H.sum(axis=0): the one unlabelled value
    assert "matrix product" in said[("H", "X")]["en"] and "행렬 곱" in said[("H", "X")]["ko"]
    assert "∂Z/∂X += ∂Z/∂H @ Wᵀ = array 4×2" in said[("H", "X")]["en"]
    assert "∂Z/∂W += Xᵀ @ ∂Z/∂H = array 2×3" in said[("H", "W")]["en"]


@pytest.mark.parametrize("label", ["$x$", "{a", "b}", "c\\d", "<b>x</b>", "w_1_2", "a^2 & 100% #1 ~", "손실 L"])
def test_labels_with_special_characters_do_not_break_the_latex(label):
    x, y = Value(1.5, label), Value(-2.0, "y")
    with record() as trace:
        z = x * y
        z.label = label + "!"
        z.backward()
    for k in range(1, len(trace) + 1):
        latex = trace.snapshot(k).caption("en", "latex")
        check_latex(latex)
        assert "\\" not in latex[:latex.index("$")]  # the sentence before the formula stays plain text
        assert trace.snapshot(k).caption("en").count(label) >= 1  # the text caption shows it as is


def test_step_zero_and_bad_options():
    trace = chain_rule_trace()
    s = trace.snapshot(0)
    assert "Nothing computed yet" in s.caption() and "아직" in s.caption("ko")
    with pytest.raises(ValueError, match="lang must be one of en, ko, not 'fr'"):
        s.caption("fr")
    with pytest.raises(ValueError, match="fmt must be 'text' or 'latex', not 'html'"):
        trace.snapshot(1).caption("en", fmt="html")


@SETTINGS
@given(programs())
def test_every_caption_of_a_random_graph_has_the_event_numbers(program):
    trace, _, _, _ = record_program(program)
    for k in range(1, len(trace) + 1):
        ev = trace.events[k - 1]
        s = trace.snapshot(k)
        text = {lang: s.caption(lang) for lang in ("en", "ko")}
        for lang in ("en", "ko"):
            assert WORDS[lang][ev.kind] in text[lang], text[lang]
        formula = check_latex(s.caption("ko", "latex"))
        if ev.kind == "forward":
            assert text["en"].endswith(f"= {num(ev.value)}")
        elif ev.kind == "backward":
            assert r"\frac{\partial" in formula
            if ev.local is not None:
                # a stacked scalar is shown the element of the array's gradient it receives
                shown = ev.contribution if trace.nodes[ev.child].op == "stack" else ev.upstream
                assert f"= {num(shown, True)} × {num(ev.local, True)} = {num(ev.contribution)}" in text["en"]
            else:
                assert f"= {num(ev.contribution)}" in text["en"]


def test_negative_numbers_keep_their_parentheses():
    a = Value(-2.0, "a")
    with record() as trace:
        p = a ** 2
        p.label = "p"
        n = -a
        n.label = "n"
        m = a * -3.0
        m.label = "m"
        q = a ** -1.5
        q.label = "q"
    texts = [trace.snapshot(k).caption() for k in range(1, 5)]
    assert texts[0].endswith("p = a² = (−2)² = 4")
    assert texts[1].endswith("n = −a = −(−2) = 2")
    assert "compute m from a, −3" in texts[2] and texts[2].endswith("m = a · (−3) = (−2) · (−3) = 6")
    assert texts[3].endswith(f"q = a^−1.5 = (−2)^−1.5 = {num(q.data)}") and num(q.data) == "nan"
    assert check_latex(trace.snapshot(4).caption("en", "latex")).endswith(r"(-2)^{-1.5} = \text{nan}")
