"""Sandbox driven headless: text and value changes redraw, boxes follow the names, errors keep the picture."""

import ipywidgets as widgets
import pytest

from backprop_viz import BackpropPlayer, Sandbox, Value, expression
from backprop_viz.text.numbers import fmt
from widget_tools import HANGUL, controls

pytestmark = pytest.mark.dot


def ops(sandbox):
    return [n.op for n in sandbox.trace.nodes if n.op]


def boxes(sandbox):
    return {box.description: box.value for box in sandbox.values_box.children[1:]}


def test_the_default_sandbox_draws_its_expression_from_the_start():
    s = Sandbox(text="a*b + a", a=2.0, b=-3.0)
    assert isinstance(s.player, BackpropPlayer) and s.player in s.children
    assert s.error is None and s.error_line.layout.display == "none"
    assert boxes(s) == {"a": 2.0, "b": -3.0} and s.values == {"a": 2.0, "b": -3.0}
    assert ops(s) == ["*", "+"] and [n.label for n in s.trace.nodes] == ["a", "b", "a·b", "f"]  # a step is named by how it reads
    assert isinstance(s.value, Value) and s.value.data == -4.0 and s.value.label == "f"
    assert s.player.trace is s.trace and s.player.index == 0
    s.player.last()
    assert "the gradient flows from a·b back to b" in s.player.caption.value
    a, b = s.value.parents[0].parents
    assert (a.grad, b.grad) == (-2.0, 2.0)  # ∂f/∂a = b + 1, ∂f/∂b = a


def test_changing_the_text_records_a_new_trace_with_the_new_op():
    s = Sandbox("a*b + a", a=2.0, b=-3.0)
    s.player.last()
    before, picture = s.trace, s.player.picture
    s.set_text("tanh(a*b)")
    assert s.trace is not before and ops(s) == ["*", "tanh"] and s.player.trace is s.trace
    assert s.player.index == 0 and s.player.picture != picture and "tanh" in s.player.picture
    assert s.text_box.value == "tanh(a*b)" and s.error is None
    s.text_box.value = "a - b"  # what Enter in the browser does: the box's value changes
    assert ops(s) == ["-"] and s.value.data == 5.0


def test_value_boxes_follow_the_names_and_keep_what_was_typed():
    s = Sandbox("a*b", a=2.0, b=-3.0, c=5.0)
    s.set_value("b", 7.0)
    s.set_text("a*c + d")
    assert boxes(s) == {"a": 2.0, "c": 5.0, "d": 1.0}  # c as given, d new at 1.0, b's box gone
    assert s.value.data == 11.0
    s.set_text("b - a")
    assert list(boxes(s)) == ["b", "a"] and boxes(s)["b"] == 7.0  # back, with the value typed before
    for box in s.values_box.children[1:]:
        assert isinstance(box, widgets.FloatText) and box.tooltip and box.description


def test_changing_a_value_records_new_numbers():
    s = Sandbox("a*b + a", a=2.0, b=-3.0)
    s.player.last()
    picture, trace = s.player.picture, s.trace
    s.set_value("a", 4.0)
    assert s.trace is not trace and s.value.data == 4.0 * -3.0 + 4.0
    assert boxes(s)["a"] == 4.0 and s.player.index == 0
    s.player.last()
    assert s.player.picture != picture and fmt(-8.0) in s.player.picture
    assert fmt(-8.0) in s.player.table.value
    box = s.values_box.children[2]
    box.value = 0.5  # typing into b's box in the browser
    assert s.values == {"a": 4.0, "b": 0.5} and s.value.data == 6.0
    with pytest.raises(KeyError, match="not a variable"):
        s.set_value("z", 1.0)
    with pytest.raises(ValueError, match="must be a number"):
        s.set_value("a", "3")


@pytest.mark.parametrize("bad, words", [("a*", "not a complete expression"), ("open('x') * a", "open(…)"),
                                        ("a ** b", "exponent of ** must be a number"), ("", "empty"),
                                        ("a.__class__", "Attributes such as .__class__")])
def test_a_bad_text_shows_a_sentence_and_keeps_the_last_good_picture(bad, words):
    s = Sandbox("a*b + a", a=2.0, b=-3.0)
    s.player.goto(3)
    trace, value, picture = s.trace, s.value, s.player.picture
    s.set_text(bad)
    assert s.error is not None and words in s.error and "Traceback" not in s.error
    assert s.error_line.layout.display == "block" and words.split("(")[0] in s.error_line.value
    assert s.trace is trace and s.value is value and s.player.picture == picture and s.player.index == 3
    assert boxes(s) == {"a": 2.0, "b": -3.0}
    s.set_text("a + b")
    assert s.error is None and s.error_line.layout.display == "none" and s.error_line.value == ""
    assert ops(s) == ["+"]


def test_a_bad_first_text_shows_the_sentence_over_an_empty_player():
    s = Sandbox("x **", x=1.0)
    assert s.trace is None and s.value is None and "not a complete expression" in s.error
    assert len(s.player.trace) == 0
    s.set_text("x ** 2")
    assert ops(s) == ["**"] and s.error is None


def test_a_variable_called_f_keeps_the_result_unlabelled_and_a_lone_name_stays_itself():
    s = Sandbox("f * 2", f=3.0)
    assert s.value.label is None and s.value.data == 6.0
    s.set_text("f")
    assert s.value.label == "f" and s.value.op == ""


def test_the_result_is_what_expression_gives():
    s = Sandbox("sigmoid(x*w + b)", x=0.5, w=-1.5, b=0.2)
    assert s.value.data == expression("sigmoid(x*w + b)", x=0.5, w=-1.5, b=0.2).data
    assert ops(s) == ["*", "+", "sigmoid"]


def test_every_control_is_labelled_and_has_a_tooltip():
    s = Sandbox("tanh(x*w + b)", x=0.5, w=-1.5, b=0.2)
    inputs = [c for c in controls(s) if isinstance(c, (widgets.Text, widgets.FloatText, widgets.Button))]
    assert s.text_box in inputs and len([c for c in inputs if isinstance(c, widgets.FloatText)]) == 3
    for c in inputs:
        assert c.tooltip, c
        assert c.description or c.icon, c
    assert s.text_box.description == "expression" and "Enter" in s.text_box.tooltip
    assert s.values_label.value == "values"
    assert {"bpv-sandbox"} <= set(s._dom_classes) and "bpv-sb-text" in s.text_box._dom_classes


def test_the_sandbox_in_korean():
    s = Sandbox("a*b + a", lang="ko", a=2.0, b=-3.0)
    assert s.text_box.description == "식" and HANGUL.search(s.text_box.tooltip)
    assert s.values_label.value == "값"
    assert all(HANGUL.search(box.tooltip) for box in s.values_box.children[1:])
    assert s.player.next_button.description == "다음"
    s.set_text("a ** b")
    assert s.error.startswith("**의 지수는 b가 아니라 숫자여야 합니다.")
    assert HANGUL.search(s.error_line.value)
    s.set_text("open('f') * a")
    assert s.error.startswith("open(…) 함수는 여기에서 쓸 수 없습니다.")
    s.set_text("a*")
    assert "완전한 식이 아닙니다" in s.error
    with pytest.raises(ValueError, match="lang must be"):
        Sandbox("a", lang="de")


def test_player_options_reach_the_player_and_values_must_be_numbers():
    tall = Sandbox("a*b", player_options={"rankdir": "TB"}, a=1.0, b=2.0)
    wide = Sandbox("a*b", a=1.0, b=2.0)
    assert tall.player.picture != wide.player.picture  # the same graph laid out top to bottom
    with pytest.raises(ValueError, match="The value of a must be a number"):
        Sandbox("a*b", a="1")
    assert repr(Sandbox("a*b", a=2.0, b=0.5)) == "Sandbox('a*b', a=2, b=0.5)"


@pytest.mark.slow
def test_a_saved_notebook_keeps_a_still_picture_of_the_sandbox(tmp_path):
    """Run by nbclient (as Run All would): the live widget, then the still picture for where no kernel runs."""
    from pathlib import Path

    import nbclient
    import nbformat

    nb = nbformat.read(Path(__file__).parent / "e2e" / "fixtures" / "sandbox.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[1].outputs
    assert [sorted(o.data) for o in outputs] == [
        ["application/vnd.jupyter.widget-view+json", "text/plain"], ["text/html", "text/plain"]]
    assert 'class="bpv-static' in outputs[1].data["text/html"] and "<img" in outputs[1].data["text/html"]
    assert outputs[0].data["text/plain"] == "Sandbox('a*b + a', a=2, b=-3)"
