import base64
import html
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop_viz import (BackpropPlayer, GradientDescentView, GradientQuiz, Value, data, frames, nn,  # noqa: E402
                          record, trace_of)
from backprop_viz.trace import fmt  # noqa: E402
from backprop_viz.widgets.player import MAX_ROWS  # noqa: E402
from backprop_viz.widgets.quiz import example_graph, parse_number  # noqa: E402
from render_graphs import random_graph  # noqa: E402

pytestmark = pytest.mark.dot
HANGUL = re.compile("[\uac00-\ud7a3]")


def small_trace(label="L"):
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as t:
        e = a * b
        e.label = "e"
        L = e + a
        L.label = label
        L.backward()
    return t


def training_trace(passes=3):
    X, y = data.line(n=4, seed=1)
    model = nn.LinearRegression(w=0.5, b=0.0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    with record() as t:
        for _ in range(passes):
            opt.zero_grad()
            L = nn.mse([model([x]) for x in X[:, 0]], y)
            L.label = "L"
            L.backward()
            opt.step()
    return t


def controls(widget):
    """Every widget inside `widget` (depth first)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from controls(child)


def rows(table_html):
    return re.findall(r'<tr data-node="(\d+)"( class="bpv-(?:active|source)")?>(.*?)</tr>', table_html)


# ---------------------------------------------------------------- player
def test_player_buttons_step_through_every_frame():
    t = small_trace()
    f = frames(t)
    p = BackpropPlayer(t)
    assert p.index == 0 and p.frame.value == f[0]
    assert p.first_button.disabled and p.back_button.disabled and not p.next_button.disabled
    seen = [p.frame.value]
    for k in range(1, len(t) + 1):
        p.next_button.click()
        assert p.index == k and p.slider.value == k
        assert p.frame.value == f[k]
        assert p.caption.value == html.escape(t.snapshot(k).caption("en", fmt="latex"), quote=False)
        seen.append(p.frame.value)
    assert len(set(seen)) == len(seen)  # every step changes the picture
    assert p.next_button.disabled and p.last_button.disabled
    p.next_button.click()  # at the end: stays
    assert p.index == len(t)
    p.back_button.click()
    assert p.index == len(t) - 1 and p.frame.value == f[len(t) - 1]
    p.first_button.click()
    assert p.index == 0 and p.frame.value == f[0]
    p.last_button.click()
    assert p.index == len(t) and p.frame.value == f[len(t)]


def test_player_methods_and_slider_agree_with_snapshots():
    t = small_trace()
    p = BackpropPlayer(t)
    for k in (3, 0, len(t), 1):
        p.goto(k)
        snap = t.snapshot(k)
        assert p.index == k
        assert snap.phase in p.status.value and f"step {k} of {len(t)}" in p.status.value
    p.slider.value = 4  # what dragging the slider does
    assert p.index == 4 and p.frame.value == frames(t)[4]
    assert p.step().index == 5 and p.back().index == 4 and p.last().index == len(t) and p.first().index == 0
    with pytest.raises(IndexError, match="steps 0 to 7"):
        p.goto(8)
    with pytest.raises(IndexError):
        p.goto(-1)
    with pytest.raises(TypeError, match="step number"):
        p.goto(1.5)
    with pytest.raises(TypeError, match="trace_of"):
        BackpropPlayer(Value(1.0))
    with pytest.raises(ValueError, match="'en'.*'ko'"):
        BackpropPlayer(t, lang="fr")


def test_table_shows_every_value_and_gradient_and_marks_the_active_row():
    t = small_trace()
    p = BackpropPlayer(t)
    for k in range(len(t) + 1):
        p.goto(k)
        snap = t.snapshot(k)
        found = rows(p.table.value)
        assert [int(n) for n, _, _ in found] == list(snap.nodes)
        for n, mark, cells in found:
            tds = re.findall(r"<td>(.*?)</td>", cells)
            value, grad = snap.values[int(n)], snap.grads[int(n)]
            assert tds[0] == html.escape(t.name(int(n)))
            assert tds[2] == (fmt(value) if value is not None else "<i>not yet</i>")
            assert tds[3] == (fmt(grad) if grad is not None else "<i>not yet</i>")
            assert (mark == ' class="bpv-active"') == (int(n) == snap.active_node)
        if snap.active_edge:
            child = snap.active_edge[0]
            assert any(int(n) == child and "source" in mark for n, mark, _ in found) or child == snap.active_node


def test_labels_are_data_never_markup():
    t = small_trace(label="<img src=x onerror=alert(1)>")
    p = BackpropPlayer(t, start=len(t))
    for text in (p.table.value, p.caption.value, p.frame.value):
        assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in p.table.value
    p.goto(4)
    assert "&lt;img" in p.caption.value


def test_navigation_by_pass():
    t = training_trace(3)
    p = BackpropPlayer(t)
    assert [v for _, v in p.pass_select.options] == [0, 1, 2]
    assert "pass 1 of 3" in p.status.value and p._pass_box.layout.display == "flex"
    p.next_pass_button.click()
    start1, _ = t.pass_range(1)
    assert p.index == start1 + 1 and p.pass_index == 1 and "pass 2 of 3" in p.status.value
    assert p.pass_select.value == 1
    p.pass_select.value = 2  # choosing in the dropdown
    assert p.pass_index == 2 and p.index == t.pass_range(2)[0] + 1
    assert p.next_pass_button.disabled
    p.step().step()
    p.previous_pass()  # back to the start of this pass first
    assert p.index == t.pass_range(2)[0] + 1
    p.prev_pass_button.click()
    assert p.pass_index == 1
    p.goto_pass(0)
    assert p.index == 0
    assert BackpropPlayer(small_trace())._pass_box.layout.display == "none"


def test_play_pause_and_speed():
    t = small_trace()
    p = BackpropPlayer(t, start=len(t))
    assert p.play_control.max == len(t) and p.play_control.value == len(t)
    p.play()  # at the end, playing starts over
    assert p.playing and p.play_control.playing and p.index == 0
    p.pause()
    assert not p.playing
    p.speed.value = 8
    assert p.play_control.interval == 125
    assert BackpropPlayer(t, speed=16).play_control.interval == 62
    with pytest.raises(ValueError, match="speed"):
        BackpropPlayer(t, speed=3)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_control_is_labelled_in_its_language(lang):
    p = BackpropPlayer(training_trace(2), lang=lang)
    kinds = (widgets.Button, widgets.Play, widgets.IntSlider, widgets.SelectionSlider, widgets.Dropdown)
    found = [c for c in controls(p) if isinstance(c, kinds)]
    assert len(found) == 10
    for c in found:
        assert c.tooltip and (c.description or isinstance(c, widgets.Play))
        assert bool(HANGUL.search(c.tooltip)) == (lang == "ko"), c.tooltip
    p.goto(3)
    assert bool(HANGUL.search(p.caption.value)) == (lang == "ko")
    assert bool(HANGUL.search(p.status.value)) == (lang == "ko")
    assert bool(HANGUL.search(p.table.value)) == (lang == "ko")


def test_big_pass_table_shows_the_rows_around_the_active_node():
    t = trace_of(random_graph(320, seed=3))
    p = BackpropPlayer(t)
    p.goto(len(t) - 1)
    found = rows(p.table.value)
    assert len(found) == MAX_ROWS and "more rows not shown" in p.table.value
    active = t.snapshot(len(t) - 1).active_node
    assert any(int(n) == active and "active" in mark for n, mark, _ in found)


def test_load_switches_to_another_trace():
    p = BackpropPlayer(small_trace())
    t2 = training_trace(2)
    p.load(t2, start=5)
    assert p.trace is t2 and p.index == 5 and p.slider.max == len(t2) and p.play_control.max == len(t2)
    assert p.frame.value == frames(t2)[5] and len(p.pass_select.options) == 2


def test_static_picture_is_the_last_frame_and_hides_next_to_the_live_player():
    t = small_trace()
    p = BackpropPlayer(t)
    page = p.static_html()
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(src).decode() == frames(t)[len(t)]
    assert f"body:has(.bpv-live-{p.model_id}) .bpv-static-{p.model_id}{{display:none}}" in page
    assert repr(p).startswith("BackpropPlayer: 7 steps in 1 pass(es), showing step 0")


# ---------------------------------------------------------------- quiz
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


# ---------------------------------------------------------------- gradient descent
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


# ---------------------------------------------------------------- without a live kernel
PLAYER_NOTEBOOK = "tests/e2e/fixtures/player.ipynb"


def executed_player_notebook(tmp_path):
    """The player fixture notebook run by nbclient (as Run All would), saved with its outputs."""
    import shutil
    from pathlib import Path

    import nbclient
    import nbformat

    tests = Path(__file__).resolve().parent
    shutil.copy(tests / "render_graphs.py", tmp_path / "render_graphs.py")
    nb = nbformat.read(tests / "e2e" / "fixtures" / "player.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    return nb, path


@pytest.mark.slow
def test_saved_notebook_and_html_export_keep_the_last_frame(tmp_path):
    from nbconvert import HTMLExporter

    nb, _ = executed_player_notebook(tmp_path)
    outputs = nb.cells[1].outputs
    assert [sorted(o.data) for o in outputs] == [
        ["application/vnd.jupyter.widget-view+json", "text/plain"], ["text/html", "text/plain"]]
    expected = frames(small_trace())[7]
    assert "step 7 of 7" in expected
    page, _ = HTMLExporter().from_notebook_node(nb)  # what `jupyter nbconvert --to html` writes
    shown = [base64.b64decode(s).decode() for s in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert shown[0] == expected and len(shown) == 2  # the small player's last frame, then the big one's
    assert html.escape(small_trace().snapshot(7).caption()) in page
