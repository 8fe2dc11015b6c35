"""The widgets at their edges: numbers too large for a float, data that is not finite, empty
recordings and data, learning rates of numpy types, and a descent view without Graphviz."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_viz import BackpropPlayer, GradientDescentView, GradientQuiz, data, nn, record  # noqa: E402
from backprop_viz.render import layout  # noqa: E402
from backprop_viz.widgets.quiz import parse_number  # noqa: E402

HUGE = "9" * 400 + "/1"


# ---- item 6: a number beyond the floats ----
def test_quiz_check_of_a_fraction_beyond_the_floats_says_so():
    q = GradientQuiz()
    assert q.check(HUGE) is None  # not OverflowError
    assert "too large" in q.feedback.value and "9" * 400 not in q.feedback.value
    assert q.asked == 0  # not counted as an attempt
    assert parse_number(HUGE) is None and parse_number("1e999") is None and parse_number("1/4") == 0.25


def test_quiz_box_typed_with_a_huge_number_says_so_in_korean():
    q = GradientQuiz(lang="ko")
    q.answer_box.value = HUGE  # typing and leaving the box checks it
    q.check()
    assert "너무 큰 수" in q.feedback.value and "”는" in q.feedback.value
    q.check("1e310")
    assert "”은" in q.feedback.value  # 1e310: 영 has a 받침


# ---- item 9: NaN in the data, and a divergence worded from what happened ----
def test_nan_in_X_is_named_by_its_row_not_blamed_on_the_learning_rate():
    X, y = data.line(n=30, seed=2)
    X = np.array(X, dtype=float)
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\[3\] holds nan") as info:
        GradientDescentView(nn.LinearRegression(), X, y, lr=0.0001, sample=None)
    assert "learning rate" not in str(info.value)
    y2 = np.array(data.line(n=30, seed=2)[1], dtype=float)
    y2[7] = np.inf
    with pytest.raises(ValueError, match=r"y\[7\]에 inf가 들어 있습니다"):
        GradientDescentView(nn.LinearRegression(), data.line(n=30, seed=2)[0], y2, lang="ko", sample=None)


def test_a_loss_that_turns_nan_while_falling_is_not_blamed_on_the_learning_rate():
    X, y = data.line(n=30, seed=2)
    model = nn.LinearRegression(w=-1.0, b=2.0)
    w = model.parameters()[0]

    def broken(pred, target):  # log(−0.75 − w) is not a number once w passes −0.75 (step 4)
        return nn.mse(pred, target) + 0.0 * (-0.75 - w).log()

    v = GradientDescentView(model, X, y, loss=broken, lr=0.01, sample=None)
    v.run(20)
    assert v.diverged and v.t == 4
    assert "not growing" in v.message.value and "too large" not in v.message.value
    assert v.losses[3] < v.losses[0]  # it was falling


def test_a_learning_rate_that_is_too_large_is_still_named():
    X, y = data.line(n=30, seed=2)
    v = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=5.0, sample=None)
    v.run(200)
    assert v.diverged and "too large" in v.message.value


# ---- item 14: empty recordings, numpy learning rates, explode=nan, empty X, no Graphviz ----
@pytest.mark.dot
def test_pass_methods_on_an_empty_recording():
    with record() as trace:
        pass
    p = BackpropPlayer(trace)
    p.pass_select.value = 0  # not a TraitError
    assert p.next_pass().index == 0 and p.previous_pass().index == 0 and p.goto_pass(0).index == 0
    with pytest.raises(IndexError, match="no passes") as info:
        p.goto_pass(1)
    assert "-1" not in str(info.value) and "−1" not in str(info.value)


def test_numpy_learning_rates_are_taken_as_sgd_takes_them():
    X, y = data.line(n=20, seed=1)
    v = GradientDescentView(nn.LinearRegression(), X, y, lr=np.float32(0.1), sample=None)
    assert v.opt.lr == pytest.approx(0.1) and type(v.lr_slider.value) is float
    v.step()
    assert v.t == 1
    GradientDescentView(nn.LinearRegression(), X, y, lr=np.int64(1), sample=None)
    with pytest.raises(ValueError, match="learning rate"):
        GradientDescentView(nn.LinearRegression(), X, y, lr=np.float32("nan"), sample=None)


def test_explode_nan_is_refused():
    X, y = data.line(n=20, seed=1)
    with pytest.raises(ValueError, match="explode must be a number above 1"):
        GradientDescentView(nn.LinearRegression(), X, y, explode=float("nan"), sample=None)
    GradientDescentView(nn.LinearRegression(), X, y, explode=math.inf, sample=None)  # no limit: allowed


def test_empty_X_is_one_sentence_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="X has no rows") as info:
            GradientDescentView(nn.LinearRegression(), np.zeros((0, 1)), np.zeros(0))
    assert "-1" not in str(info.value)


def test_without_graphviz_the_descent_view_shows_everything_but_the_graph(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program
    monkeypatch.setattr(layout, "_BUNDLED", [None])  # no pygraphviz
    X, y = data.line(n=20, seed=1)
    v = GradientDescentView(nn.LinearRegression(), X, y, lr=0.1)  # a small model: a graph is wanted
    assert v.player is None and "Graphviz" in v.graph_note.value and v.graph_note in v.children
    assert v.curve_image.value and v.fit_image.value
    v.step()
    assert v.t == 1 and "step 1" in v.status.value
    ko = GradientDescentView(nn.LinearRegression(), X, y, lr=0.1, lang="ko")
    assert "Graphviz가 필요" in ko.graph_note.value
