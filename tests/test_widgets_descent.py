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
    assert v.player.index == [ev.kind for ev in trace.events].index("seed")  # forward done: next sends the first gradient
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


# ---------------------------------------------------------------- what the view shows is right


def _gradient_at(model, X, y, theta, loss=nn.mse):
    """∂L/∂θ at θ, on a fresh copy of a two-parameter line model: the reference for the table."""
    ref = nn.LinearRegression(w=float(theta[0]), b=float(theta[1]))
    L = loss(ref(X), y)
    L.backward()
    return [p.grad for p in ref.parameters()]


def _table(view):
    """(θ, ∂L/∂θ) as the table prints them, one row per parameter."""
    import re

    cells = re.findall(r"<td[^>]*>([^<]*)</td>", view.params_table.value)
    return [(cells[i + 1], cells[i + 2]) for i in range(0, len(cells), 3)]


def test_the_table_shows_the_gradient_at_the_theta_it_shows(line_view):
    v = line_view
    for k in (0, 1, 3):
        while v.t < k:
            v.step()
        theta = [p.data for p in v.params]
        expected = _gradient_at(v.model, v.X, v.y, theta)
        assert _table(v) == [(fmt(t), fmt(g)) for t, g in zip(theta, expected)], f"step {k}"
        assert [p.grad for p in v.params] == pytest.approx(expected, rel=1e-12)
        assert expected[0] != 0.0
    v.run(20)  # a run: the table is drawn after its last step
    theta = [p.data for p in v.params]
    assert _table(v) == [(fmt(t), fmt(g)) for t, g in zip(theta, _gradient_at(v.model, v.X, v.y, theta))]


def test_each_picture_after_steps_is_its_full_redraw(line_view):
    v = line_view
    v.run(7)
    v.step()
    pictures = {"curve": (v._curve, v.curve_image), "fit": (v._fit_picture, v.fit_image),
                "landscape": (v._landscape, v.landscape_image)}
    shown = {name: image.value for name, (_, image) in pictures.items()}
    frames = {name: picture.background.value for name, (picture, _) in pictures.items()}
    for picture, _ in pictures.values():
        picture.key = None  # the next draw is a full one
    v._draw()
    for name, (_, image) in pictures.items():
        assert image.value == shown[name], f"the {name} drawn over its background differs from a full redraw"
    for name, (picture, _) in pictures.items():
        assert picture.background.value == frames[name], f"the {name}'s frame differs from a full redraw"


def _png(data):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("kind", ["line", "classifier"])
def test_the_layer_over_the_frame_is_the_whole_figure(kind):
    """What the student sees, the moving layer laid over the frame, is the figure drawn at once."""
    from PIL import Image

    if kind == "line":
        X, y = data.line(n=30, seed=2)
        v = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=0.1)
    else:
        X, y = data.moons(n=40, seed=0)
        v = GradientDescentView(nn.LogisticRegression(2, seed=0), X, y, loss="bce", lr=0.5, sample=None)
    v.run(7)
    v.step()
    pictures = [v._curve, v._fit_picture] + ([v._landscape] if kind == "line" else [])
    for picture in pictures:
        frame, layer = _png(picture.background.value), _png(picture.layer.value)
        assert frame.size == layer.size and layer.mode == "RGBA"
        clear = np.asarray(layer)[..., 3] == 0
        seen = np.asarray(Image.alpha_composite(frame.convert("RGBA"), layer).convert("RGB"), dtype=int)
        for artist in picture.moving:
            artist.set_animated(False)
        picture.fig.canvas.draw()  # every artist at once, as savefig would draw it
        whole = np.asarray(picture.fig.canvas.buffer_rgba())[..., :3].astype(int)
        differ = np.abs(seen - whole).max(axis=2) > 3
        # a full draw puts the tick marks over a boundary's shading, the layer lays the shading over
        # their ends: a pixel per tick on the spine
        assert differ.sum() <= (0 if kind == "line" else 12), (picture.ax.get_title(), np.argwhere(differ))
        if picture is not v._fit_picture or kind == "line":  # a boundary's shading covers its whole plot
            assert clear.mean() > 0.5, picture.ax.get_title()  # the layer holds what moves, little else


def test_a_step_sends_the_moving_layers_and_not_the_frames(line_view):
    v = line_view
    v.step()
    pictures = (v._curve, v._fit_picture, v._landscape)
    frames, layers = [p.background.value for p in pictures], [p.layer.value for p in pictures]
    v.step()
    assert [p.background.value for p in pictures] == frames
    assert all(p.layer.value != old for p, old in zip(pictures, layers))
    assert sum(map(len, (p.layer.value for p in pictures))) < 0.5 * sum(map(len, frames))


def test_a_step_redraws_only_what_moves(line_view, monkeypatch):
    v = line_view
    v.step()
    full = []
    for picture in (v._curve, v._fit_picture, v._landscape):
        monkeypatch.setattr(picture.fig.canvas, "draw", lambda *a, _real=picture.fig.canvas.draw: (full.append(1), _real())[1])
    for _ in range(3):
        v.step()
    assert full == []  # axes, ticks and labels stay: only the moving artists are drawn again
    v.run(10)  # past step 10 the curve's axis grows to 20: one full redraw of the curve
    assert len(full) == 1


def test_landscape_frames_the_whole_run_and_the_minimum_from_the_first_frame():
    X, y = data.line(n=40, seed=0)
    v = GradientDescentView(nn.LinearRegression(w=-2.0, b=2.0), X, y, lr=0.1)
    first = v._lims
    w_best, b_best = np.linalg.lstsq(np.c_[X[:, 0], np.ones(len(X))], y, rcond=None)[0]
    (x0, x1), (y0, y1) = first
    assert x0 < -2.0 < w_best < x1 and y0 < min(2.0, b_best) and max(2.0, b_best) < y1
    v.run()  # the run button's steps
    assert v._lims == first
    assert ((v.thetas[0] >= [x0, y0]) & (v.thetas[0] <= [x1, y1])).all()
    pts = np.array(v.thetas)
    assert (pts[:, 0] > x0).all() and (pts[:, 0] < x1).all() and (pts[:, 1] > y0).all() and (pts[:, 1] < y1).all()


def test_sample_graph_names_what_the_lesson_draws_and_sends_no_gradient_into_data():
    X, y = data.line(n=40, seed=0)
    v = GradientDescentView(nn.LinearRegression(w=-2.0, b=2.0), X, y, lr=0.1)
    trace = v.player.trace
    names = {trace.name(n): n for n in range(len(trace.nodes))}
    assert {"w", "b", "x", "w·x", "ŷ", "y (target)", "ŷ − y", "L"} <= set(names)
    last = trace.snapshot(len(trace))
    assert trace.kind(names["x"]) == "constant" and trace.kind(names["y (target)"]) == "constant"
    backward = [ev for ev in trace.events if ev.kind == "backward"]
    assert {names["x"], names["y (target)"]} & {ev.node for ev in backward} == set()  # no gradient into data
    assert last.values[names["y (target)"]] == pytest.approx(y[0])
    v.player.step()
    at = v.player.index
    v.step()  # the same graph with new numbers: the player stays on the step the student is at
    assert v.player.index == at and v.player.trace is not trace


def test_a_network_sample_graph_names_hidden_values_and_can_follow_one_weight():
    X, y = data.moons(n=40, seed=0)
    v = GradientDescentView(nn.MLP(2, [3, 1], seed=0), X, y, loss="bce", lr=0.5, sample=0, focus="L1.N0.w0")
    trace = v.player.trace
    names = {trace.name(n) for n in range(len(trace.nodes))}
    assert {"h0", "h1", "h2", "z", "L", "x0", "x1"} <= names
    assert "L1.N0.w0" in v.player.frame.value and "L1.N1.w0" not in v.player.frame.value


def test_a_step_click_lays_out_the_next_steps_end_label_ahead(line_view):
    from matplotlib.mathtext import MathTextParser

    v = line_view
    v.step_button.click()  # step 1 shown, θ_2's label laid out afterwards
    misses = MathTextParser._parse_cached.cache_info().misses
    v._train(1)
    v._draw()  # what the next click draws: step 2
    assert MathTextParser._parse_cached.cache_info().misses == misses
    assert "θ$_{2}$ (end)" in [t.get_text() for t in v._landscape.ax.texts]


def test_a_step_click_sends_the_texts_and_graph_first_and_toggles_no_button(line_view):
    v = line_view
    v.step()
    changed = []
    watched = {"status": v.status, "table": v.params_table, "graph": v.player.frame, "curve": v.curve_image,
               "fit": v.fit_image, "landscape": v.landscape_image}
    for name, w in watched.items():
        w.observe(lambda ch, name=name: changed.append(name), names="value")
    for button in (v.step_button, v.run_button, v.stop_button):
        button.observe(lambda ch: changed.append("button"), names="disabled")
    v.step_button.click()
    # the browser lays out the texts and the graph while the kernel draws the pictures
    assert changed == ["status", "table", "graph", "curve", "fit", "landscape"]
    del changed[:]
    v.run(5)  # several steps from a cell: the buttons say a run is going on
    assert changed.count("button") == 6 and not v.step_button.disabled


def test_a_layer_png_decodes_to_its_pixels_exactly():
    from backprop_viz.widgets.layered import _png_rgba

    pixels = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    pixels[2:4] = 0  # clear rows, as most of a layer is
    image = _png(_png_rgba(pixels))
    assert image.mode == "RGBA" and image.size == (5, 7)
    assert np.array_equal(np.asarray(image), pixels)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("kind", ["line", "classifier"])
def test_every_text_of_the_pictures_reads_on_a_projector(kind, lang):
    """At the pictures' own size (the page shows them so: 420 px at most, each is narrower), no text
    is under 11 px: ticks, labels, titles, legends and the start and end notes on the landscape."""
    from matplotlib.text import Text

    from backprop_viz.widgets.layered import DPI

    if kind == "line":
        X, y = data.line(n=30, seed=2)
        v = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=0.1, lang=lang)
    else:
        X, y = data.moons(n=60, seed=0)
        v = GradientDescentView(nn.LogisticRegression(2, seed=0), X, y, loss="bce", lr=0.5, lang=lang)
    v.run(3)
    for picture in (v._curve, v._fit_picture, v._landscape):
        if picture.ax is None:
            continue
        fig = picture.fig
        fig.canvas.draw()  # the tick labels are set when drawn
        assert fig.get_size_inches()[0] * DPI <= 420
        small = [(t.get_text(), round(t.get_fontsize() * DPI / 72, 1)) for t in fig.findobj(Text)
                 if t.get_visible() and t.get_text().strip() and t.get_fontsize() * DPI / 72 < 11]
        assert not small, f"{kind}, {lang}: text under 11 px: {small}"
