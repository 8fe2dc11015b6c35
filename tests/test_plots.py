import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, QuadMesh  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from backprop_viz import data, fonts, nn, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax):
    return ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


@pytest.fixture(scope="module")
def line_run():
    X, y = data.line(n=30, seed=2)
    model = nn.LinearRegression(w=-2.0, b=3.0)
    hist = nn.train(model, X, y, nn.mse, lr=0.1, steps=30)
    return model, X, y, hist


def test_loss_curve_draws_the_loss_history(line_run):
    hist = line_run[3]
    ax = plots.loss_curve(hist)
    (line,) = ax.get_lines()
    assert np.array_equal(line.get_ydata(), hist.losses)
    assert np.array_equal(line.get_xdata(), np.arange(len(hist.losses)))
    assert _labelled(ax) and ax.get_yscale() == "linear"
    assert isinstance(ax.figure, matplotlib.figure.Figure)


def test_loss_curve_log_scale_into_a_given_axes():
    fig, ax = plt.subplots()
    out = plots.loss_curve([4.0, 1.0, 0.25], log=True, ax=ax, label="lr = 0.1")
    assert out is ax and ax.get_yscale() == "log" and "log" in ax.get_ylabel()
    assert ax.get_legend().get_texts()[0].get_text() == "lr = 0.1"


def test_loss_curve_marks_divergence():
    ax = plots.loss_curve([1.0, 10.0, 1e200, float("inf")])
    ys = ax.get_lines()[0].get_ydata()
    assert ys[:3].tolist() == [1.0, 10.0, 1e200] and np.isnan(ys[3])
    assert any("diverged at step 3" in t.get_text() for t in ax.texts)


def test_landscape_path_points_are_the_parameter_history(line_run):
    model, X, y, hist = line_run
    ax = plots.loss_landscape(nn.loss_function(model, X, y, nn.mse), hist, resolution=30)
    (path,) = [ln for ln in ax.get_lines() if ln.get_gid() == "descent-path"]
    assert np.array_equal(np.column_stack([path.get_xdata(), path.get_ydata()]), hist.thetas)
    texts = [t.get_text() for t in ax.texts]
    assert "θ$_0$ (start)" in texts and "θ$_{30}$ (end)" in texts
    assert _labelled(ax) and (ax.get_xlabel(), ax.get_ylabel()) == ("w", "b")
    x0, x1 = ax.get_xlim()
    assert x0 < hist.thetas[:, 0].min() and hist.thetas[:, 0].max() < x1  # the view frames the path


def test_landscape_contour_grid_is_the_loss_function(line_run):
    model, X, y, _ = line_run
    f = nn.loss_function(model, X, y, nn.mse)
    ax = plots.loss_landscape(f, xlim=(-1.0, 3.0), ylim=(-2.0, 2.0), resolution=25)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    coords = mesh.get_coordinates()  # (rows, cols, 2): the (w, b) of each grid point
    Z = np.asarray(mesh.get_array()).reshape(coords.shape[:2])
    for i, j in [(0, 0), (3, 17), (12, 12), (24, 24), (24, 0)]:
        w, b = coords[i, j]
        assert Z[i, j] == pytest.approx(np.mean((w * X[:, 0] + b - y) ** 2), rel=1e-12)
    assert coords[0, 0].tolist() == [-1.0, -2.0] and coords[-1, -1].tolist() == [3.0, 2.0]


def test_landscape_grid_orientation():
    xs, ys, Z = plots.landscape_grid(lambda a, b: 10 * a + b, (0, 1), (0, 2), resolution=3)
    assert xs.tolist() == [0.0, 0.5, 1.0] and ys.tolist() == [0.0, 1.0, 2.0]
    assert Z[2, 1] == 10 * 0.5 + 2.0  # Z[i, j] = f(xs[j], ys[i])


def test_landscape_rejects_a_path_of_more_than_two_parameters():
    with pytest.raises(ValueError, match="exactly two parameters"):
        plots.loss_landscape(lambda a, b: a * a + b * b, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="low < high"):
        plots.landscape_grid(lambda a, b: 0.0, (1, 0), (0, 1))


def test_fitted_line_draws_data_and_model(line_run):
    model, X, y, _ = line_run
    ax = plots.fitted_line(model, X, y)
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.array_equal(points.get_offsets(), np.column_stack([X[:, 0], y]))
    (line,) = ax.get_lines()
    xs = line.get_xdata()
    assert xs.min() == X.min() and xs.max() == X.max()
    assert np.allclose(line.get_ydata(), model.w[0].data * xs + model.b.data, rtol=1e-12)
    assert _labelled(ax) and "·x" in ax.get_legend().get_texts()[1].get_text()


def test_decision_boundary_shades_the_model_and_shows_each_class():
    X, y = data.moons(n=60, seed=1)
    model = nn.LogisticRegression(2, seed=0)
    nn.train(model, X, y, nn.binary_cross_entropy, lr=1.0, steps=50)
    ax = plots.decision_boundary(model, X, y, resolution=40)
    (image,) = [im for im in ax.get_images() if isinstance(im, AxesImage)]
    prob = np.asarray(image.get_array())
    left, right, bottom, top = image.get_extent()
    rows, cols = prob.shape
    for i, j in [(0, 0), (10, 30), (39, 39), (20, 5)]:
        point = [left + (j + 0.5) * (right - left) / cols, bottom + (i + 0.5) * (top - bottom) / rows]
        assert prob[i, j] == pytest.approx(model.predict_proba(np.array([point]))[0], rel=1e-9)
    # a linear model's boundary is a straight line, so its contour points have logit exactly 0
    (contour,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert contour.levels.tolist() == [0.0]
    boundary = np.vstack([p.vertices for p in contour.get_paths() if len(p.vertices)])
    assert np.abs(model.predict(boundary)).max() < 1e-9
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(s.get_offsets()) for s in scatters] == [int((y == 0).sum()), int((y == 1).sum())]
    assert np.array_equal(scatters[1].get_offsets(), X[y == 1])
    assert _labelled(ax)


def test_decision_boundary_takes_signed_labels_and_checks_shapes():
    X, y = data.xor(n=40)
    model = nn.MLP(2, [4, 1])
    ax = plots.decision_boundary(model, X, data.as_signs(y), resolution=10)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.array_equal(scatters[0].get_offsets(), X[y == 0])
    with pytest.raises(ValueError, match=r"X of shape \(n, 2\)"):
        plots.decision_boundary(model, np.zeros((5, 3)), np.zeros(5))


# ---------------------------------------------------------------- languages


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def _korean_figures(line_run, lang="ko"):
    model, X, y, hist = line_run
    Xm, ym = data.moons(n=40, seed=0)
    return [
        plots.loss_curve([4.0, 1.0, float("inf")], log=True, label="η = 0.1", lang=lang),
        plots.loss_landscape(nn.loss_function(model, X, y, nn.mse), hist, resolution=15, lang=lang),
        plots.fitted_line(nn.MLP(1, [3, 1]), X, y, lang=lang),  # a model without a formula: "모델 ŷ(x)"
        plots.decision_boundary(nn.LogisticRegression(2), Xm, ym, resolution=15, lang=lang),
    ]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_figure_writes_a_subscript_as_an_underscore(line_run, lang):
    """θ_t on an axis is TeX a student would have to decode: a subscript is a subscript (θₜ, or
    maths text θ$_0$), in every label, title and legend of every figure, in both languages."""
    import re

    for ax in _korean_figures(line_run, lang):
        texts = [t.get_text() for t in _texts(ax.figure)] + [ln.get_label() for ln in ax.get_lines()
                                                              if not ln.get_label().startswith("_")]
        outside_maths = [re.sub(r"\$[^$]*\$", "", t) for t in texts]
        assert not [t for t in outside_maths if re.search(r"\w_[\w{]", t)], texts


@pytest.fixture(scope="module")
def cjk_font():
    family = fonts.hangul_family()
    if family is None:
        pytest.skip("no Hangul font: neither a system CJK font nor koreanize-matplotlib's NanumGothic")
    return family


@pytest.mark.filterwarnings("error")  # a Hangul glyph missing from the font would warn: make it fail
def test_korean_plots_have_korean_text_in_a_font_with_hangul(line_run, cjk_font):
    curve, landscape, fit, boundary = _korean_figures(line_run)
    expected = [
        (curve, ["학습 중의 손실", "단계 t", "손실 L(θₜ) (로그 눈금)", "단계 2에서 발산 (손실 = inf)"]),
        (landscape, ["손실 지형 L(w, b) 및 경사 하강 경로", "손실 L(w, b)", "θ₀ (시작)", "θ₃₀ (끝)"]),
        (fit, ["데이터와 학습된 모델", "데이터", "모델 ŷ(x)"]),
        (boundary, ["결정 경계 z(x) = 0", "클래스 0", "클래스 1", "σ(z) = P(클래스 1)"]),
    ]
    for ax, words in expected:
        texts = {t.get_text(): t for t in _texts(ax.figure)}
        assert set(words) <= set(texts), sorted(texts)
        for word in words:
            if any("\uac00" <= ch <= "\ud7a3" for ch in word):  # Hangul syllables need the CJK font
                assert cjk_font in texts[word].get_fontfamily()
        assert not any("class" in t or "step" in t or "loss" in t for t in texts)  # nothing left in English
        ax.figure.canvas.draw()  # glyphs are looked up when drawn


def test_english_is_the_default_and_other_languages_are_refused(line_run):
    ax = plots.loss_curve(line_run[3])
    assert (ax.get_title(), ax.get_xlabel()) == ("Loss during training", "step t")
    with pytest.raises(ValueError, match="'en' \\(English\\) or 'ko' \\(Korean\\), not 'fr'"):
        plots.fitted_line(*line_run[:3], lang="fr")


@pytest.mark.filterwarnings("error")
def test_korean_without_a_system_cjk_font_uses_the_hangul_font_pip_installed(line_run, monkeypatch):
    monkeypatch.setattr(fonts, "_found", {"system": {}})  # as on a machine without fonts-noto-cjk
    assert fonts.hangul_family() == fonts.PIP_HANGUL
    from matplotlib import font_manager

    path = font_manager.findfont(fonts.PIP_HANGUL, fallback_to_default=False)
    assert path in fonts.pip_hangul_files()
    for ax in _korean_figures(line_run):
        assert ax.get_title() != "Loss during training"
        ax.figure.canvas.draw()  # a Hangul glyph missing from the font would warn, and fail here


@pytest.fixture
def system_cjk_font(tmp_path):
    """A system Noto Sans CJK KR as matplotlib finds one (fonts-noto-cjk is not on this machine): a
    copy of the pip NanumGothic under that family name, in matplotlib's font list for the test."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    if not fonts.pip_hangul_files():
        pytest.skip("koreanize-matplotlib (the Hangul font the copy is made from) is not installed")
    font = TTFont(fonts.pip_hangul_files()[0])
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):  # family, full name, typographic family
            record.string = fonts.SYSTEM_CJK[0]
        elif record.nameID == 6:  # PostScript name
            record.string = "NotoSansCJKkr-Regular"
    path = tmp_path / "NotoSansCJKkr-Regular.ttf"
    font.save(path)
    before = list(font_manager.fontManager.ttflist)
    font_manager.fontManager.addfont(str(path))
    font_manager.fontManager._findfont_cached.cache_clear()
    yield str(path)
    font_manager.fontManager.ttflist[:] = before
    font_manager.fontManager._findfont_cached.cache_clear()


def test_a_system_cjk_font_is_preferred_to_the_one_pip_installed(line_run, monkeypatch, system_cjk_font):
    monkeypatch.setattr(fonts, "_found", {})  # looked up afresh, as in a new kernel
    assert fonts.system_cjk_files() == {fonts.SYSTEM_CJK[0]: [system_cjk_font]}
    assert fonts.hangul_family() == fonts.SYSTEM_CJK[0]
    svg = fonts.svg_font_files()
    assert system_cjk_font in svg and not set(fonts.pip_hangul_files()) & set(svg)
    for ax in _korean_figures(line_run):
        assert ax.get_title() != "Loss during training"
        ax.figure.canvas.draw()  # a Hangul glyph missing from the font would warn, and fail here
        hangul = [t for t in ax.figure.findobj(matplotlib.text.Text) if re.search("[\uac00-\ud7a3]", t.get_text())]
        assert hangul
        families = {tuple(t.get_fontproperties().get_family()) for t in hangul}
        assert all(fonts.SYSTEM_CJK[0] in f and fonts.PIP_HANGUL not in f for f in families), families


def test_korean_without_any_hangul_font_falls_back_to_english_with_one_warning(line_run, monkeypatch):
    monkeypatch.setattr(fonts, "_found", {"family": None})  # no system CJK font, no koreanize-matplotlib
    monkeypatch.setattr(plots, "_WARNED", [])
    with pytest.warns(UserWarning, match="pip install koreanize-matplotlib") as caught:
        figures = _korean_figures(line_run)
        for ax in figures:
            ax.figure.canvas.draw()
    assert len(caught) == 1  # once, and no missing-glyph warnings: nothing Korean is drawn
    assert figures[0].get_title() == "Loss during training"
    assert figures[3].get_legend().get_texts()[0].get_text() == "class 0"


# ---------------------------------------------------------------- nothing cut off


def _outside(fig):
    """Texts (titles, axis and tick labels, annotations, legends, colour-bar labels) whose drawn
    box leaves the figure, with their boxes in pixels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_ticklabels(which="both")}  # measured per axis below: only ticks in view are drawn
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in fig.findobj(matplotlib.text.Text)
             if text.get_text().strip() and text.get_visible() and id(text) not in ticks]
    boxes += [(f"tick labels of {ax.get_title() or 'an axes'}", axis.get_tightbbox(renderer))
              for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) if axis.get_tightbbox(renderer) is not None]
    return [(name, [round(v) for v in e.extents], [round(v) for v in box.extents]) for name, e in boxes
            if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1]


def _package_figures(line_run, lang):
    model, X, y, hist = line_run
    Xm, ym = data.moons(n=40, seed=0)
    f = nn.loss_function(model, X, y, nn.mse)
    short = nn.train(nn.LinearRegression(w=-2.0, b=3.0), X, y, nn.mse, lr=0.1, steps=3)
    return {
        "curve": plots.loss_curve(hist, lang=lang).figure,
        "curve diverged, log": plots.loss_curve([4.0, 1.0, float("inf")], log=True, label="η = 0.1", lang=lang).figure,
        "landscape": plots.loss_landscape(f, hist, resolution=15, lang=lang).figure,
        # the end label next to the right edge, the start label at the top: both stay inside
        "landscape, end at the edge": plots.loss_landscape(f, short, xlim=(-2.5, float(short.thetas[-1][0]) + 0.05),
                                                           ylim=(float(short.thetas[-1][1]) - 0.05, 3.1),
                                                           resolution=15, lang=lang).figure,
        "fit": plots.fitted_line(model, X, y, lang=lang).figure,
        "boundary": plots.decision_boundary(nn.LogisticRegression(2), Xm, ym, resolution=15, lang=lang).figure,
    }


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_text_of_any_figure_lies_outside_it(line_run, lang):
    if lang == "ko" and fonts.hangul_family() is None:
        pytest.skip("no CJK font installed")
    for name, fig in _package_figures(line_run, lang).items():
        assert _outside(fig) == [], name
        for ax in fig.axes:  # the path's labels stay in the plot, not over the colour bar
            frame = ax.get_window_extent()
            for note in ax.texts:
                e = note.get_window_extent()
                if note.get_text():
                    assert frame.x0 <= e.x0 and e.x1 <= frame.x1 and frame.y0 <= e.y0 and e.y1 <= frame.y1, \
                        (name, note.get_text())


def _descent_views(lang):
    from backprop_viz import GradientDescentView

    X, y = data.line(n=40, seed=0)
    line = GradientDescentView(nn.LinearRegression(w=-2.0, b=2.0), X, y, lr=0.1, sample=None, lang=lang)
    Xm, ym = data.moons(n=40, seed=0)
    boundary = GradientDescentView(nn.LogisticRegression(2), Xm, ym, loss="bce", lr=0.5, sample=None, lang=lang)
    return line, boundary


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_text_of_the_descent_view_pictures_lies_outside_them(lang):
    if lang == "ko" and fonts.hangul_family() is None:
        pytest.skip("no CJK font installed")
    line, boundary = _descent_views(lang)
    for t in (0, 3, 30):
        while line.t < t:
            line.step()
        for name, picture in (("curve", line._curve), ("fit", line._fit_picture), ("landscape", line._landscape)):
            assert _outside(picture.fig) == [], f"{name} at step {t}"
    boundary.run(5)
    assert _outside(boundary._fit_picture.fig) == []


def test_descent_path_labels_face_the_middle_of_the_view():
    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    artists = plots.descent_path(ax, [[1.0, 9.5], [5.0, 5.0], [9.8, 0.2]])
    start, end = [a for a in artists if isinstance(a, matplotlib.text.Annotation) and a.get_text()]
    assert start.get_ha() == "left" and start.get_va() == "top"   # top left corner: right of and below it
    assert end.get_ha() == "right" and end.get_va() == "bottom"  # bottom right corner: left of and above it
    assert {a.get_gid() for a in artists} >= {"descent-path"}


def test_descent_path_arrows_point_from_each_step_to_the_next_on_screen():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 100)  # unequal scales: an arrow's angle on screen is not its angle in data
    pts = np.array([[1.0, 90.0], [5.0, 50.0], [9.0, 10.0], [9.0, 10.0]])  # the last step does not move
    (arrows,) = [a for a in plots.descent_path(ax, pts, arrows=3) if isinstance(a, matplotlib.collections.LineCollection)]
    fig.canvas.draw()
    px = 100 / 72  # pixels per point
    screen = ax.transData.transform(pts)
    segments = arrows.get_segments()
    assert len(segments) == 4  # shaft and head of two arrows: the step that stayed put has none
    for k, (shaft, head) in enumerate(zip(segments[::2], segments[1::2])):
        a, b = screen[k], screen[k + 1]
        u = (b - a) / np.hypot(*(b - a))
        assert np.allclose(shaft, [a + 2 * px * u, b - 2 * px * u])  # 2 pt free at each end, as an annotation
        assert np.allclose(head[1], b - 2 * px * u)  # the head's point is the shaft's end
        for barb in (head[0], head[2]):  # 4 pt back, 2 pt aside
            back = barb - head[1]
            assert np.isclose(back @ -u, 4 * px) and np.isclose(abs(back @ [-u[1], u[0]]), 2 * px)


def test_a_prepared_end_label_is_drawn_without_laying_out_its_maths_again():
    from matplotlib.mathtext import MathTextParser

    fig, ax = plt.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    pts = np.linspace([1.0, 1.0], [9.0, 9.0], 742)
    for t, prepare in ((738, None), (739, False), (740, True), (741, False)):  # 738: θ_0 (start) is laid out
        for artist in list(ax.lines) + list(ax.texts) + list(ax.collections):
            artist.remove()
        if prepare:
            plots.prepare_end_label(ax, t)
        misses = MathTextParser._parse_cached.cache_info().misses
        artists = plots.descent_path(ax, pts[:t + 1])
        fig.canvas.draw()
        assert f"θ$_{{{t}}}$ (end)" in [a.get_text() for a in artists if isinstance(a, matplotlib.text.Annotation)]
        laid_out = MathTextParser._parse_cached.cache_info().misses - misses
        if prepare is not None:
            assert laid_out == (0 if prepare else 1), (t, laid_out)
    assert len(ax.texts) == 2  # the prepared label left nothing behind


def test_use_language_lets_a_notebook_draw_its_own_korean_titles(monkeypatch):
    """A lesson's own plt.title("…") in Korean draws every Hangul glyph after use_language("ko")."""
    import io
    import warnings

    from matplotlib.figure import Figure

    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    assert plots.use_language("en") is None and matplotlib.rcParams["font.family"] == ["sans-serif"]
    family = plots.use_language("ko")
    assert family and matplotlib.rcParams["font.family"] == ["sans-serif", family]
    assert plots.use_language("ko") == family and matplotlib.rcParams["font.family"].count(family) == 1
    fig = Figure()
    fig.add_subplot().set_title("손실 함수와 경사 하강법 (loss)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would fail here
        fig.savefig(io.BytesIO(), format="png")
    with pytest.raises(ValueError, match="lang must be 'en'"):
        plots.use_language("fr")
