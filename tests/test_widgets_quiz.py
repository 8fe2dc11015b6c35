"""GradientQuiz driven headless: right, wrong, not a number, hints, show me, seeded questions."""

import html
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings

from backprop_viz import GradientQuiz, Value
from backprop_viz.text.numbers import fmt
from backprop_viz.widgets.quiz import example_graph, parse_number
from strategies import build_scalar_graph, scalar_graphs
from player_view import shown_table
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
    q.answer_box.value = "12345"  # Enter in the text box (or leaving it) checks
    assert q.asked == 1 and "Not quite" in q.feedback.value
    q.check_button.click()  # then the button checks the same answer: still one attempt
    assert q.asked == 1 and "0 of 1 right" in q.score.value and "Not quite" in q.feedback.value
    q.answer_box.value = "54321"
    q.check_button.click()
    assert q.asked == 2
    q.hint_button.click()
    edges = [ev for ev in t.events if ev.kind == "backward" and ev.node == nid and ev.pass_index == 0]
    for ev in edges:
        assert fmt(ev.upstream) in q.hint_text.value and fmt(ev.local) in q.hint_text.value
    assert sum(ev.upstream * ev.local for ev in edges) == pytest.approx(q.answer)
    q.show_button.click()
    assert q.player.index == i + 1 and t.snapshot(i + 1).grads[nid] == pytest.approx(q.answer)
    assert re.search(rf'<tr data-node="{nid}" class="bpv-active">', shown_table(q.player))
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


def _plain(html_text):
    return html.unescape(re.sub(r"<[^>]+>", "\n", html_text))


def _operand(t, nid):
    """An operand as a hint writes it: its name, a negative constant in parentheses."""
    name = t.name(nid)
    return f"({name})" if t.kind(nid) == "constant" and not t.label(nid) and name.startswith("−") else name


def _factor(t, nid):
    """The other operand of a product as its rule writes it: its name, or a constant's number."""
    return t.name(nid) if t.kind(nid) != "constant" or t.label(nid) else fmt(t.initial(nid))


def _quiz(graph, kind):
    _, _, loss = build_scalar_graph(graph)
    return GradientQuiz(loss, kind=kind, seed=0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scalar_graphs(max_steps=5))
def test_local_hints_name_the_node_asked_about_with_its_own_rule(graph):
    assume(graph[1])
    q = _quiz(graph, "local")
    t = q.trace
    for question in q._questions:
        q.current = question
        _, nid, i = question
        ev = t.event(i)
        child, op = ev.child, t.op(ev.child)
        q.hint()
        text = _plain(q.hint_text.value)
        a, b = (t.parents(child) + (None,))[:2]
        symbol = f"∂{t.name(child)}/∂{t.name(nid)}"
        assert f"{t.name(child)} = " in text and f"so {symbol} = " in text, text
        # the rule is the one for this operand, in this graph's names: a − b is +1 for a and −1 for b
        expected = {"+": "1", "-": "+1" if ev.slot == 0 else "−1", "neg": "−1",
                    "*": _factor(t, t.parents(child)[1 - ev.slot]) if op == "*" else None,
                    "/": (f"1/{_operand(t, b)}" if ev.slot == 0 else f"−{_operand(t, a)}/{_operand(t, b)}²")
                    if op == "/" else None}.get(op)
        if expected is not None:
            assert f"so {symbol} = {expected}. " in text, (expected, text)
        if op in ("+", "-", "neg"):
            assert q.answer == parse_number(expected)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scalar_graphs(max_steps=5))
def test_total_hints_give_the_engine_numbers_and_never_the_question_symbol(graph):
    assume(graph[1])
    q = _quiz(graph, "total")
    t = q.trace
    root = t.name(q._root())
    for question in q._questions:
        q.current = question
        _, nid, i = question
        q.hint()
        text = _plain(q.hint_text.value)
        assert f"∂{root}/∂{t.name(nid)} =" not in text, text  # the question's own symbol is never given a value
        edges = [ev for ev in t.events if ev.kind == "backward" and ev.node == nid and ev.pass_index == 0]
        lines = [line for line in text.split("\n") if "(upstream)" in line]
        assert len(lines) == len(edges)
        for ev, line in zip(edges, lines):
            up = re.match(r"∂(.+?)/∂(\S+) = (\S+) \(upstream\)", line)
            assert up and up[1] == root and up[2] == t.name(ev.child) and up[3] == fmt(ev.upstream), line
            local = re.search(rf"so ∂\((.+)\)/∂{re.escape(t.name(nid))} = .*?(\S+)(  \(.+ [>≤] 0\))? \(local\)$", line)
            assert local and local[2].lstrip("+") == fmt(ev.local), line  # the factor written with its op, then its number
            assert parse_number(local[2]) == pytest.approx(ev.local, rel=6e-4)


def test_the_issue_hints():
    q = GradientQuiz(seed=1, kind="local")  # L = (a + b)·(b − c)
    t = q.trace
    for question in q._questions:
        q.current = question
        ev = t.event(question[2])
        if t.name(ev.child) == "t":
            q.hint()
            want = "t = b − c, so ∂t/∂b = +1" if t.name(ev.node) == "b" else "t = b − c, so ∂t/∂c = −1"
            assert want in _plain(q.hint_text.value)
    a, d = Value(2.0, "a"), Value(3.0, "d")
    L = d * a
    L.label = "L"
    q = GradientQuiz(L, kind="total")
    q.current = next(x for x in q._questions if q.trace.name(x[1]) == "d")
    q.hint()
    text = _plain(q.hint_text.value)
    assert "L = d · a, so ∂(d · a)/∂d = a = 2 (local)" in text and "∂L/∂d =" not in text
