"""Frames' stylesheet in a real browser: two frames on one page keep their own looks and leave the
page alone; JupyterLab's dark theme does not restyle a player's frame."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from . import pages

pytestmark = [pytest.mark.browser, pytest.mark.dot]

TESTS = Path(__file__).resolve().parents[1]
NOTEBOOK = Path(__file__).parent / "fixtures" / "player.ipynb"
GRAPHS = TESTS / "render_graphs.py"

# Elements of the page outside any frame, carrying the frames' own short class names.
HOST = """<p id="host-p" class="s2 h n tt e1 gp la">page text</p>
<svg id="host-svg" width="60" height="30"><rect class="s0 s2 pm" width="20" height="20"/>
<text class="h n tt" x="25" y="15">t</text><path class="e0 gp" d="M0 25h60"/></svg>"""
HOST_PROPS = ("color", "fill", "stroke", "stroke-width", "stroke-dasharray", "font-weight", "font-family",
              "font-size", "text-anchor", "background-color")
_LOOKS = """(ids) => ids.map(sel => { const el = document.querySelector(sel), cs = getComputedStyle(el);
  return %s.map(p => cs.getPropertyValue(p)); })""" % list(HOST_PROPS)
_ACTIVE_FILL = """(sel) => getComputedStyle(document.querySelector(sel + ' g.bv-value rect.s2')).fill"""


def two_frames():
    """A backward frame of L = (a·b + c)·f in English, left to right; the last frame of an array
    graph in Korean, top to bottom: other graphs, languages and sizes."""
    import numpy as np

    from backprop_viz import Value, frames, trace_of

    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b", role="parameter"), Value(10.0, "c"), Value(-2.0, "f")
    L = (a * b + c) * f
    L.label = "L"
    t = trace_of(L)
    first = frames(t)[len(t) - 2]
    W = Value(np.arange(6.0).reshape(2, 3) - 2.0, "W", role="parameter")
    x = Value(np.array([1.0, -1.0]), "x")
    loss = (x @ W).tanh().sum()
    second = frames(trace_of(loss), lang="ko", rankdir="TB")[3]
    return first, second


def _pixels(png):
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


def _same(png_a, png_b, corner=0):
    """Pixel-equal pictures; with `corner`, leaving out squares that size at the corners and the
    outermost pixels, where the page shows through (outside the card's rounded corners, and the
    last, partly covered pixel of a picture with a fractional size)."""
    from PIL import Image, ImageChops

    a, b = _pixels(png_a), _pixels(png_b)
    if a.size != b.size:
        return False
    diff = ImageChops.difference(a, b).convert("L")
    if corner:
        w, h = a.size
        for x, y in ((0, 0), (w - corner, 0), (0, h - corner), (w - corner, h - corner)):
            diff.paste(0, (x, y, x + corner, y + corner))
        diff = diff.crop((1, 1, w - 1, h - 1))
    return diff.getbbox() is None


def test_two_frames_on_one_page_keep_their_looks_and_leave_the_page_alone(browser_context, screenshot):
    first, second = two_frames()
    # Every piece at a fixed place, so a frame sits on the same pixels alone and together
    # (rasterisation depends on the position).
    f1 = f'<div id="f1" style="position:absolute;left:8px;top:8px">{first}</div>'
    f2 = f'<div id="f2" style="position:absolute;left:8px;top:560px">{second}</div>'
    host = f'<div style="position:absolute;left:8px;top:1500px">{HOST}</div>'
    page = pages.blank_page(browser_context)
    shots, looks = {}, {}
    for name, body in [("alone-1", f1), ("alone-2", f2), ("host", host), ("together", host + f1 + f2)]:
        page.set_content(f"<!DOCTYPE html><html><body>{body}</body></html>")
        for frame in ("#f1", "#f2"):
            if page.locator(frame).count():
                shots[(name, frame)] = page.locator(f"{frame} svg").screenshot()
                assert page.evaluate(_ACTIVE_FILL, frame) == "rgb(240, 228, 66)"  # the sheet applies
        if page.locator("#host-p").count():
            looks[name] = page.evaluate(_LOOKS, ["#host-p", "#host-svg rect", "#host-svg text", "#host-svg path"])
        screenshot(page, name)
    # each frame looks exactly as it does alone, pixel for pixel
    assert _same(shots[("alone-1", "#f1")], shots[("together", "#f1")])
    assert _same(shots[("alone-2", "#f2")], shots[("together", "#f2")])
    assert not _same(shots[("together", "#f1")], shots[("together", "#f2")])
    # and the page's own elements with the same class names are untouched
    assert looks["together"] == looks["host"]


def _theme_is(page, light):
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === String(light)"
        " && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''", arg=light)
    page.wait_for_timeout(300)  # the theme's stylesheet is applied on the next frames


def test_jupyterlab_dark_theme_does_not_restyle_the_frame(browser_context, jupyter_lab):
    from playwright.sync_api import expect

    pages.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = jupyter_lab(NOTEBOOK, GRAPHS).open(browser_context)
    pages.lab_run_all(page)
    frames = {name: page.locator(f".{name} .bpv-frame svg") for name in ("small", "ko")}
    status = {name: page.locator(f".{name} {pages.PICTURE_STATUS}") for name in frames}
    expect(status["small"]).to_contain_text("step 0 of 7")
    page.locator(".small .bpv-next").click()
    expect(status["small"]).to_contain_text("step 1 of 7")
    page.locator(".ko .bpv-last").click()  # two players on one page in different states
    expect(status["ko"]).to_contain_text("7단계 중 7")
    _theme_is(page, True)
    # The picture sits in a box that scrolls when it is wider: what the student sees is the box.
    boxes = {name: page.locator(f".{name} .bpv-frame .bpv-scroll") for name in frames}
    light = {}
    for name, loc in boxes.items():
        loc.scroll_into_view_if_needed()
        light[name] = loc.screenshot(path=str(pages.SCREENSHOTS / f"frame-css-lab-light-{name}.png"))
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    _theme_is(page, False)
    background = page.evaluate("() => getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), background  # the page did go dark
    for name, loc in boxes.items():
        loc.scroll_into_view_if_needed()
        dark = loc.screenshot(path=str(pages.SCREENSHOTS / f"frame-css-lab-dark-{name}.png"))
        corner = int(frames[name].evaluate(
            "svg => 8 * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")) + 1
        assert _same(light[name], dark, corner), f"the dark theme changed the {name} player's frame"
    card = page.evaluate("() => getComputedStyle(document.querySelector('.small .bpv-frame svg rect.bv-card')).fill")
    assert card == "rgb(255, 255, 255)"
    pages.assert_no_tracebacks(page)
