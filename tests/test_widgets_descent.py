"""GradientDescentView driven headless: steps as nn.train takes them, runs, stop, reset, divergence."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_viz import GradientDescentView, data, nn  # noqa: E402
from backprop_viz.text.numbers import fmt  # noqa: E402
from widget_tools import HANGUL, controls  # noqa: E402

pytestmark = pytest.mark.dot


@pytest.fixture
def line_view():
    X, y = data.line(n=30, seed=2)
    return GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=0.1)


def test_descent_steps_like_nn_train(line_view):
    v = line_view
    X, y = v.X, v.y
    reference = nn.LinearRegression(w=-1.0, b=2.0)
    hist = nn.train(reference, X, y, nn.mse, lr=0.1, steps=3)
    pictures = (v.curve_image.value, v.fit_image.value, v.landscape_image.value)
    assert all(pictures) and v.t == 0 and v.losses == [pytest.approx(hist.losses[0])]
    v.step_button.click()
    assert v.t == 1 and [p.data for p in v.params] == pytest.approx(list(hist.params[1]))
    assert all(new != old for new, old in zip((v.curve_image.value, v.fit_image.value, v.landscape_image.value),
                                              pictures))
    v.step()
    v.step()
    assert v.losses == pytest.approx(hist.losses)
    assert np.allclose(v.thetas, hist.thetas)
    assert "step 3" in v.status.value and fmt(v.params[0].data) in v.params_table.value


def test_descent_run_reset_and_background_run(line_view):
    v = line_view
    start = [p.data for p in v.params]
    v.run(25)
    assert v.t == 25 and v.progress.value == 25 and "Ran 25 steps" in v.message.value
    assert v.losses[-1] < 0.5 * v.losses[0]
    v.reset_button.click()
    assert v.t == 0 and [p.data for p in v.params] == start and len(v.losses) == 1
    v.steps_box.value = 40
    v.run_button.click()  # runs in a thread: the kernel stays free for the stop button
    v.wait(60)
    assert v.t == 40 and not v.running and not v.run_button.disabled
    v.run(10**7, background=True)
    assert v.run_button.disabled and not v.stop_button.disabled
    v.stop_button.click()
    v.wait(60)
    assert 40 < v.t < 10**7 + 40 and "Stopped after" in v.message.value


def test_divergence_stops_the_run_with_a_message(line_view):
    v = line_view
    v.lr_slider.value = 3.0
    assert v.opt.lr == 3.0
    v.run(100)
    limit = v.explode * max(v.losses[0], 1.0)
    assert v.diverged and v.t < 100
    assert v.losses[-1] > limit and all(x <= limit for x in v.losses[:-1])  # stopped at the first bad step
    assert "too large" in v.message.value and "smaller learning rate" in v.message.value and "0.3" in v.message.value
    assert v.step_button.disabled and v.run_button.disabled
    t = v.t
    v.step()
    assert v.t == t  # nothing happens until reset
    v.reset()
    assert not v.diverged and not v.step_button.disabled and v.message.value == ""


def test_non_finite_loss_stops_the_run():
    X, y = data.line(n=30, seed=2)
    v = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=1000.0, explode=float("inf"))
    v.run(500)
    assert v.diverged and not np.isfinite(v.losses[-1]) and np.isfinite(v.losses[:-1]).all()
    assert "became" in v.message.value and "smaller learning rate" in v.message.value


def test_descent_classifier_boundary_and_sample_graph():
    X, y = data.moons(n=60, seed=0)
    model = nn.LogisticRegression(2, seed=0)
    v = GradientDescentView(model, X, y, loss="bce", lr=0.5, sample=3)
    assert v.fit_image.value and v.landscape_image not in list(controls(v))  # 3 parameters: no landscape
    v.run(5)
    trace = v.player.trace
    assert v.player.index == len(trace)
    last = trace.snapshot(len(trace))
    by_label = {trace.name(n): last.values[n] for n in range(len(trace.nodes))}
    assert [by_label[p.label] for p in model.parameters()] == [p.data for p in model.parameters()]
    assert "step 5" in v.graph_title.value and "sample 3" in v.graph_title.value


def test_descent_rejects_bad_input_with_sentences():
    X, y = data.line(n=10)
    model = nn.LinearRegression()
    with pytest.raises(ValueError, match="loss must be one of"):
        GradientDescentView(model, X, y, loss="l1")
    with pytest.raises(ValueError, match="learning rate"):
        GradientDescentView(model, X, y, lr=-1)
    with pytest.raises(ValueError, match="sample"):
        GradientDescentView(model, X, y, sample=99)
    with pytest.raises(TypeError, match="model"):
        GradientDescentView(42, X, y)


def test_descent_in_korean():
    X, y = data.line(n=10)
    v = GradientDescentView(nn.LinearRegression(), X, y, lang="ko")
    for c in controls(v):
        if isinstance(c, (widgets.Button, widgets.FloatLogSlider, widgets.BoundedIntText, widgets.Checkbox)):
            assert HANGUL.search(c.tooltip) and HANGUL.search(c.description), c
    v.lr_slider.value = 5.0
    v.run(50)
    assert "학습률" in v.message.value


def test_descent_draws_its_plots_in_its_language(monkeypatch):
    from backprop_viz import plots

    titles = []
    for name in ("loss_curve", "fitted_line", "decision_boundary", "loss_landscape"):
        def spy(*args, _real=getattr(plots, name), _name=name, **kwargs):  # the real plot, its title noted
            ax = _real(*args, **kwargs)
            titles.append((_name, ax.get_title()))
            return ax
        monkeypatch.setattr(plots, name, spy)
    X, y = data.line(n=10)
    GradientDescentView(nn.LinearRegression(), X, y, lang="ko").step()
    X, y = data.moons(n=20)
    GradientDescentView(nn.LogisticRegression(2), X, y, loss="bce", lang="ko")
    assert {name for name, _ in titles} == {"loss_curve", "fitted_line", "decision_boundary", "loss_landscape"}
    assert all(HANGUL.search(title) for _, title in titles), titles


def test_descent_table_of_a_network_lists_a_few_scalar_parameters():
    X, y = data.moons(n=40, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    v = GradientDescentView(model, X, y, loss="bce", lr=0.5)
    assert v.player is None  # 337 parameters: no per-sample graph unless asked
    v.run(3)
    table = v.params_table.value
    first = model.parameters()[0]
    assert "L1.N0.w0" in table and fmt(first.data) in table and fmt(first.grad) in table
    assert table.count("<tr>") == 1 + 12 + 1 and "and 325 more parameters" in table
    assert "L2.N0.w0" not in table
    ko = GradientDescentView(nn.MLP(2, [16, 16, 1], seed=0), X, y, loss="bce", lang="ko")
    assert "그 밖의 매개변수 325개" in ko.params_table.value
