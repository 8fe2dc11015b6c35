"""Predict mode of BackpropPlayer driven headless: a step stays hidden until its number is predicted."""

import pytest

from backprop_viz import BackpropPlayer, Value, record
from backprop_viz.text.numbers import fmt
from render_graphs import micrograd_first_recorded
from widget_tools import HANGUL, controls

pytestmark = pytest.mark.dot


def graph():
    """L = (a·b + c)·f: e = a·b, d = e + c; ∂L/∂d and ∂L/∂e are each used for two parents."""
    return micrograd_first_recorded()[0]


def at_seed(lang="en", predict=True):
    t = graph()
    p = BackpropPlayer(t, lang, predict=predict)
    seed = t.seed_steps()[0]
    p.goto(len(t))  # as far as it may go: just before the seed
    assert p.index == seed and p.predicting == seed + 1
    return t, p


def expected(t, k):
    ev = t.event(k - 1)
    return ev.contribution if ev.kind == "backward" else ev.value


def test_off_by_default_and_controls_hidden():
    t = graph()
    p = BackpropPlayer(t)
    assert p._predict.widget not in list(controls(p))
    p.last()
    assert p.index == len(t) and p.predicting is None and p.score == (0, 0)


def test_forward_is_free_and_next_stops_at_the_seed():
    t, p = at_seed()
    p.step()
    assert p.index == t.seed_steps()[0]  # next does not move past an unpredicted step
    assert "reveal" in p._predict.feedback.value
    assert "∂L/∂L" in p._predict.question.value


def test_wrong_answer_keeps_the_step_hidden_and_right_one_moves_on():
    t, p = at_seed()
    p.predict("1")  # the seed
    k = p.index + 1
    ev = t.event(k - 1)
    assert ev.kind == "backward" and p.predicting == k
    before = p.index
    assert "What does L send back to d?" in p._predict.question.value
    assert p.predict("123") is False
    assert p.index == before and p.predicting == k  # still hidden
    first = p._predict.feedback.value
    assert "Multiply the upstream gradient ∂L/∂L" in first and "Hint" not in first
    assert p.predict("124") is False
    second = p._predict.feedback.value
    assert "Hint" in second and "d · f" in second and "f = −2" in second
    assert fmt(ev.contribution) + "." not in second.replace("f = −2;", "")  # the factors, not the answer
    assert p.predict(str(ev.contribution)) is True
    assert p.index == k and "Right" in p._predict.feedback.value


def test_wrong_sign_is_named():
    t, p = at_seed()
    p.predict("1")
    assert p.predict(str(-expected(t, p.index + 1))) is False
    assert "wrong sign" in p._predict.feedback.value


def test_not_a_number_returns_none():
    t, p = at_seed()
    for text in ("abc", "", "1/0", "9" * 400 + "/1", "nan"):
        before = p.index
        assert p.predict(text) is None
        assert p.index == before
    assert p.score == (0, 0) and p._predict.attempts == 0
    assert "number" in p._predict.feedback.value


def test_tolerance_and_fractions():
    t, p = at_seed()
    assert p.predict("1.004") is True  # within 1 %
    k = p.index + 1
    assert p.predict(f"{expected(t, k) * 1.2}") is False


def test_score_counts_one_per_answer():
    t, p = at_seed()
    assert p._predict.score_text.value == "0 of 0 predicted"
    assert p.predict("5") is False
    assert p.predict("5") is False  # the same answer again (Enter, then the button) counts once
    assert p._predict.attempts == 1 and p.score == (0, 1)
    assert p.predict("1") is True
    assert p.score == (1, 1) and p._predict.attempts == 2
    p.reveal()  # not scored
    assert p.score == (1, 1)
    assert p.predict(str(expected(t, p.index + 1))) is True
    assert p.score == (2, 2) and p._predict.score_text.value == "2 of 2 predicted"


def test_revisiting_a_revealed_step_asks_nothing():
    t, p = at_seed()
    p.predict("1")
    p.predict(str(expected(t, p.index + 1)))
    shown = p.index
    p.first()
    assert p.index == 0 and p.predicting is None
    p.goto(shown)
    assert p.index == shown  # revealed steps are passed freely
    p.back()
    assert p.predicting is None and p._predict.check_button.disabled
    p.step()
    assert p.index == shown and p.predicting == shown + 1 and not p._predict.check_button.disabled
    p.slider.value = len(t)  # the slider forward only as far as the first step to predict
    assert p.index == shown
    assert p.predict("2") is None or p.index == shown  # nothing is skipped


def test_reveal_shows_without_scoring_and_last_finishes():
    t, p = at_seed()
    while p.predicting is not None:
        p.reveal()
        p.last()
    assert p.index == len(t) and p.score == (0, 0)
    assert "Every step" in p._predict.question.value
    assert p.predict("1") is None  # nothing asked any more


def test_all_asks_forward_values_too():
    t = graph()
    p = BackpropPlayer(t, predict="all")
    p.last()
    assert p.index == 0 and p.predicting == 1
    assert "What value does e take? e = a · b" in p._predict.question.value
    assert p.predict("-6") is True and p.index == 1


def test_bad_predict_option():
    with pytest.raises(ValueError, match="predict must be"):
        BackpropPlayer(graph(), predict="yes")


def test_korean_words():
    t, p = at_seed("ko")
    assert "∂L/∂L" in p._predict.question.value and HANGUL.search(p._predict.question.value)
    p.predict("3")
    assert HANGUL.search(p._predict.feedback.value)
    p.predict("1")
    assert "L이 d에 거꾸로 보내는 값은 얼마입니까?" in p._predict.question.value
    for control in (p._predict.box, p._predict.check_button, p._predict.reveal_button):
        label = getattr(control, "description", "")
        assert HANGUL.search(label) and HANGUL.search(control.tooltip)
    assert "예측" in p._predict.score_text.value


def test_every_predict_control_labelled_with_a_tooltip():
    p = BackpropPlayer(graph(), predict=True)
    shown = list(controls(p))
    for control in (p._predict.box, p._predict.check_button, p._predict.reveal_button):
        assert control in shown and control.description and control.tooltip


def test_check_button_and_box_drive_it():
    t, p = at_seed()
    p._predict.box.value = "1"  # Enter in the box checks it
    assert p.index == t.seed_steps()[0] + 1 and p._predict.box.value == ""
    p._predict.box.value = "777"
    assert p.score == (1, 2)
    p._predict.check_button.click()  # the same answer: counted once
    assert p.score == (1, 2)
    p._predict.reveal_button.click()
    assert p.index == t.seed_steps()[0] + 2


def test_load_starts_again():
    t, p = at_seed()
    p.predict("1")
    p.load(graph())
    assert p.score == (0, 0) and p.index == 0


def test_play_stops_before_a_step_to_predict():
    t, p = at_seed()
    p.first()
    p.play()
    assert p.playing
    p.slider.value = len(t)  # the browser's timer moves the slider on
    assert p.index == t.seed_steps()[0] and not p.playing


def test_export_embeds_the_numbers_only_in_predict_mode(tmp_path):
    import json
    import re

    from backprop_viz import export_html

    t = graph()

    def data(**kw):
        text = open(export_html(t, tmp_path / "p.html", **kw), encoding="utf-8").read()
        return json.loads(re.search(r'id="bpv-data">(.*?)</script>', text, re.S).group(1))

    assert "predict" not in data()
    asks = data(predict=True)["predict"]
    seed = t.seed_steps()[0]
    assert asks[seed + 1]["x"] == 1.0 and all(a is None for a in asks[:seed + 1])
    assert [a["x"] for a in asks[seed + 1:]] == [1.0] + [ev.contribution for _, ev in
                                                      t.events_between(seed + 1, len(t), "backward")]
    assert "d가" in asks[-1]["question"]["ko"] or "e가" in asks[-1]["question"]["ko"]
    assert data(predict="all")["predict"][1]["x"] == -6.0
    with pytest.raises(ValueError, match="predict must be"):
        export_html(t, tmp_path / "q.html", predict="yes")


def test_a_long_label_is_cut_in_the_question():
    a, b = Value(2.0, "a" * 200), Value(-3.0, "b")
    with record() as t:
        L = a * b
        L.label = "L"
        L.backward()
    p = BackpropPlayer(t, predict=True)
    p.last()
    p.predict("1")
    assert "…" in p._predict.question.value and "a" * 200 not in p._predict.question.value
