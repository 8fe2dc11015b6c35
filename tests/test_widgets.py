"""BackpropPlayer driven headless: buttons, methods, slider, passes, table, languages, the still picture."""

import base64
import html
import re
import xml.etree.ElementTree as ET

import ipywidgets as widgets
import pytest

from backprop_viz import BackpropPlayer, Value, data, frames, nn, record, trace_of
from backprop_viz.text.numbers import fmt
from backprop_viz.widgets.player import MAX_ROWS
from render_graphs import random_graph, two_products
from player_view import shown_picture, shown_table, shows
from widget_tools import HANGUL, controls

pytestmark = pytest.mark.dot


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


def rows(table_html):
    return re.findall(r'<tr data-node="(\d+)"( class="bpv-(?:active|source)")?>(.*?)</tr>', table_html)


# ---------------------------------------------------------------- player
def test_player_buttons_step_through_every_frame():
    t = small_trace()
    f = frames(t)
    p = BackpropPlayer(t)
    assert p.index == 0 and p.picture == f[0] and shows(p, f[0])
    assert p.first_button.disabled and p.back_button.disabled and not p.next_button.disabled
    seen = [shown_picture(p)]
    for k in range(1, len(t) + 1):
        p.next_button.click()
        assert p.index == k and p.slider.value == k
        assert p.picture == f[k] and shows(p, f[k])
        lines = html.escape(t.snapshot(k).caption("en", fmt="latex"), quote=False).split("\n")
        assert p.caption.value == "<br>".join(lines)  # each line of the caption on a line of its own
        seen.append(shown_picture(p))
    assert len(set(seen)) == len(seen)  # every step changes the picture
    assert p.next_button.disabled and p.last_button.disabled
    p.next_button.click()  # at the end: stays
    assert p.index == len(t)
    p.back_button.click()
    assert p.index == len(t) - 1 and p.picture == f[len(t) - 1] and shows(p, f[len(t) - 1])
    p.first_button.click()
    assert p.index == 0 and p.picture == f[0] and shows(p, f[0])
    p.last_button.click()
    assert p.index == len(t) and p.picture == f[len(t)] and shows(p, f[len(t)])


def test_player_methods_and_slider_agree_with_snapshots():
    t = small_trace()
    p = BackpropPlayer(t)
    for k in (3, 0, len(t), 1):
        p.goto(k)
        snap = t.snapshot(k)
        assert p.index == k
        assert snap.phase in p.status.value and f"step {k} of {len(t)}" in p.status.value
    p.slider.value = 4  # what dragging the slider does
    assert p.index == 4 and p.picture == frames(t)[4] and shows(p, frames(t)[4])
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
        found = rows(shown_table(p))
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


def test_constants_show_no_gradient_and_negative_names_get_parentheses():
    a = Value(2.0, "a")
    with record() as t:
        L = a - (-0.5)
        L.label = "L"
        L.backward()
    p = BackpropPlayer(t, start=len(t))
    cells = {t.name(int(n)): re.findall(r"<td>(.*?)</td>", c) for n, _, c in rows(shown_table(p))}
    assert cells["−0.5"][1] == "constant" and cells["−0.5"][3].endswith(">–</i>")
    assert cells["L"][1] == "a - (-0.5)" and cells["a"][3] == fmt(1.0)


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
    assert len(found) == 12  # first back next last, play, speed, slider, pass: ◀ ▾ ▶, zoom − +
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
    found = rows(shown_table(p))
    assert len(found) == MAX_ROWS and "more rows not shown" in p.table.value
    active = t.snapshot(len(t) - 1).active_node
    assert any(int(n) == active and "active" in mark for n, mark, _ in found)


def test_load_switches_to_another_trace():
    p = BackpropPlayer(small_trace())
    t2 = training_trace(2)
    p.load(t2, start=5)
    assert p.trace is t2 and p.index == 5 and p.slider.max == len(t2) and p.play_control.max == len(t2)
    assert p.picture == frames(t2)[5] and shows(p, frames(t2)[5]) and len(p.pass_select.options) == 2


def value_titles(svg):
    """The names on the value boxes of a frame."""
    return sorted(t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
                  if t.get("class") == "tt")


def test_focus_shows_only_the_paths_from_one_value_to_the_loss():
    t = two_products()  # L = a·b + c·d
    whole = BackpropPlayer(t).last()
    p = BackpropPlayer(t, focus="a", rankdir="TB").last()
    assert value_titles(whole.picture) == sorted("a b c d e g L".split())
    assert value_titles(p.picture) == sorted("a b e g L".split())  # c and d are off a's path
    assert "Only the paths from a to L" in p.frame.value and "Only the paths" not in whole.frame.value
    assert p.picture == frames(t, focus="a", rankdir="TB")[len(t)] and shows(p, frames(t, focus="a", rankdir="TB")[len(t)])
    for k in range(len(t) + 1):  # every step is drawn on the focused picture, and the still picture too
        assert value_titles(p.goto(k).picture) == sorted("a b e g L".split())
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', p.static_html()).group(1)
    assert "Only the paths from a to L" in base64.b64decode(src).decode()
    a = next(i for i in range(len(t.nodes)) if t.name(i) == "a")
    ko = BackpropPlayer(t, "ko", focus=a).last()  # a node id works too
    assert value_titles(ko.picture) == sorted("a b e g L".split()) and "a에서 L까지 가는 경로만" in ko.frame.value
    with pytest.raises(ValueError, match="focus='aa': no value of this trace is called that. Did you mean 'a'"):
        BackpropPlayer(t, focus="aa")


def test_static_picture_is_the_last_frame_and_hides_next_to_the_live_player():
    t = small_trace()
    p = BackpropPlayer(t)
    page = p.static_html()
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(src).decode() == frames(t)[len(t)]
    # the live player's script puts its class on the page's root (tests/e2e checks the still picture hides)
    assert f".bpv-live-{p.model_id} .bpv-static-{p.model_id}{{display:none}}" in page
    assert "document.documentElement.classList.add" in p.frame.value and "bpv-live-" in p.frame.value
    assert repr(p).startswith("BackpropPlayer: 7 steps in 1 pass(es), showing step 0")


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
    assert shown[0] == expected and len(shown) == 3  # the small player's last frame, the big one's, the Korean one's
    assert html.escape(small_trace().snapshot(7).caption()) in page


def test_zoom_never_shrinks_the_picture_below_readable_and_is_kept_across_steps():
    """The picture shows at its natural size (1 pt per SVG unit) times the zoom, in a box that
    scrolls; zoom_out stops where the smallest text (9.5 units) is still 11 CSS px."""
    from backprop_viz.widgets.player import ZOOMS

    t = small_trace()
    p = BackpropPlayer(t)
    width = float(re.search(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"', p.picture).group(1))
    shown = lambda: float(re.search(r"\.bpv-scroll-\w+>\.bv-svg\{width:([\d.]+)pt", p.look.value).group(1))  # noqa: E731
    assert p.zoom == 1.0 and shown() == pytest.approx(width, abs=0.1)
    assert "overflow:auto" in p.frame.value and "max-width:none" in p.look.value
    p.zoom_in().zoom_in()
    assert p.zoom == ZOOMS[ZOOMS.index(1.0) + 2] and shown() == pytest.approx(width * p.zoom, abs=0.1)
    p.step().step()  # the size stays while stepping
    assert p.index == 2 and shown() == pytest.approx(width * p.zoom, abs=0.1) and p.picture == frames(t)[2]
    for _ in range(len(ZOOMS) + 2):
        p.zoom_out()
    assert p.zoom == ZOOMS[0] and p.zoom_out_button.disabled and not p.zoom_in_button.disabled
    assert 9.5 * 4 / 3 * p.zoom >= 11  # the legend's and edge labels' text, in CSS px
    with pytest.raises(ValueError, match="zoom must be one of"):
        p.zoom = 0.5
    assert p.zoom_text.value == f"{ZOOMS[0] * 100:.0f} %"


def test_nothing_a_player_writes_into_the_page_has_a_has_rule():
    """No :has() in any style a player or its still picture puts on the page: with a rule like
    body:has(.x) .y, every element added anywhere (each widget update) makes the browser restyle the
    whole page, 15-20 ms in JupyterLab with a ~200-node sheet, where it otherwise takes under 1 ms."""
    p = BackpropPlayer(small_trace())
    written = [p.static_html()]
    for _ in range(len(p.trace)):
        p.step()
        written += [w.value for w in (p.frame, p.table, p.look, p.step_look, p.status, p.caption)]
    assert all(":has(" not in text for text in written)

