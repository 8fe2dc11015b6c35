"""GradientQuiz driven headless: right, wrong, not a number, hints, show me, seeded questions."""

import re

import pytest

from backprop_viz import GradientQuiz, Value
from backprop_viz.text.numbers import fmt
from backprop_viz.widgets.quiz import example_graph, parse_number
from widget_tools import HANGUL

pytestmark = pytest.mark.dot


def test_parse_number():
    assert parse_number(" -3 ") == -3.0 and parse_number("−2.5") == -2.5 and parse_number("1/4") == 0.25
    assert parse_number("2e-3") == 0.002
    for bad in ("", "abc", "1/0", "nan", "inf", "3,5", "--1"):
        assert parse_number(bad) is None


def engine_gradients(seed):
    """∂L/∂node for every labelled node of the example graph, from the engine's own backward()."""
    L = example_graph(seed)
    L.backward()
    out, stack, seen = {}, [L], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        out[v.label] = v.grad
        stack.extend(v.parents)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_quiz_accepts_right_rejects_wrong_explains_non_numbers(seed):
    q = GradientQuiz(seed=seed)
    kind, nid, _ = q.current
    name = q.trace.name(nid)
    truth = engine_gradients(seed)[name]
    assert q.answer == pytest.approx(truth)
    assert f"∂L/∂{name}" in q.question.value
    assert q.check(str(truth)) is True and "Correct" in q.feedback.value
    assert q.check(str(truth + 0.5 * 0.01 * max(1, abs(truth)))) is True  # within the tolerance
    assert q.check(str(truth + 1.5)) is False and "Not quite" in q.feedback.value
    assert q.check("seven") is None and "is not a number" in q.feedback.value and "Traceback" not in q.feedback.value
    assert q.check("") is None and "Type your answer first" in q.feedback.value
    assert (q.right, q.asked) == (2, 3) and "2 of 3 right" in q.score.value
    if truth != 0:
        q.check(str(-truth))
        assert "wrong sign" in q.feedback.value


def test_quiz_buttons_hint_and_show_me():
    q = GradientQuiz(seed=0)
    t = q.trace
    kind, nid, i = q.current
    start = q.player.index
    assert t.snapshot(start).grads == [None] * len(t.nodes)  # the graph starts with values, no gradients
    assert all(v is not None for v in t.snapshot(start).values)
    q.answer_box.value = "12345"  # Enter in the text box checks
    assert q.asked == 1 and "Not quite" in q.feedback.value
    q.check_button.click()
    assert q.asked == 2
    q.hint_button.click()
    edges = [ev for ev in t.events if ev.kind == "backward" and ev.node == nid and ev.pass_index == 0]
    for ev in edges:
        assert fmt(ev.upstream) in q.hint_text.value and fmt(ev.local) in q.hint_text.value
    assert sum(ev.upstream * ev.local for ev in edges) == pytest.approx(q.answer)
    q.show_button.click()
    assert q.player.index == i + 1 and t.snapshot(i + 1).grads[nid] == pytest.approx(q.answer)
    assert re.search(rf'<tr data-node="{nid}" class="bpv-active">', q.player.table.value)
    assert fmt(q.answer) in q.feedback.value
    before = q.current
    q.new_button.click()
    assert q.current != before and q.feedback.value == "" and q.answer_box.value == ""
    assert q.player.index == start


def test_quiz_local_derivatives_and_seeded_order():
    q = GradientQuiz(seed=5, kind="local")
    asked = []
    for _ in range(4):
        kind, nid, i = q.current
        ev = q.trace.event(i)
        assert kind == "local" and q.answer == ev.local
        child = q.trace.name(ev.child)
        assert f"∂{child}/∂{q.trace.name(nid)}" in q.question.value
        q.hint()
        assert "Only the operation that made" in q.hint_text.value
        asked.append(q.current)
        q.new_question()
    again = GradientQuiz(seed=5, kind="local")
    replay = []
    for _ in range(4):
        replay.append(again.current)
        again.new_question()
    assert replay == asked


def test_quiz_in_korean_and_on_a_given_graph():
    x, w = Value(3.0, "x"), Value(-2.0, "w")
    y = (x * w).tanh()
    y.label = "y"
    q = GradientQuiz(y, lang="ko", seed=1)
    assert HANGUL.search(q.question.value)
    q.check("모름")
    assert "숫자가 아닙니다" in q.feedback.value
    assert HANGUL.search(q.check_button.tooltip) and HANGUL.search(q.show_button.description)
    with pytest.raises(ValueError, match="kind"):
        GradientQuiz(kind="global")
    with pytest.raises(TypeError, match="loss Value or a Trace"):
        GradientQuiz(3.0)
