"""BackpropPlayer in a real browser: JupyterLab (Run All, as a user would) and Voilà — next, play,
caption, table, click → picture latency on a ~200-node graph; and without a kernel, the still picture."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from . import pages

pytestmark = [pytest.mark.browser, pytest.mark.dot]

TESTS = Path(__file__).resolve().parents[1]
NOTEBOOK = Path(__file__).parent / "fixtures" / "player.ipynb"
GRAPHS = TESTS / "render_graphs.py"  # the notebook imports random_graph from it
SMALL_STEPS = 7
CLICKS = 15
SMOOTHING, SMOOTHED_PIXELS = 12, 200  # how far anti-aliasing may differ between two identical pictures


def big_steps():
    sys.path.insert(0, str(TESTS))
    from render_graphs import random_graph

    from backprop_viz import trace_of

    return len(trace_of(random_graph(200, seed=1)))


def check_player(page, screenshot, where):
    """Next and play on the small player: the SVG, caption, status and table follow."""
    from playwright.sync_api import expect

    small = page.locator(".small")
    svg = small.locator(pages.PICTURE_STATUS)  # the status line the picture draws
    expect(svg).to_contain_text(f"step 0 of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("Nothing computed yet")
    expect(page.locator(".bpv-static").first).to_be_hidden()  # the still picture gives way to the live player
    screenshot(page, f"{where}-start")
    small.locator(".bpv-next").click()
    expect(svg).to_contain_text(f"step 1 of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("Forward: compute e from a, b")
    expect(small.locator(".bpv-status")).to_contain_text(f"forward step 1 of {SMALL_STEPS}")
    # the active row, marked by the step's look: e = a * b in Okabe–Ito yellow, the others plain
    expect(small.locator(".bpv-table tr").filter(has_text="a * b")).to_have_css("background-color", "rgb(240, 228, 66)")
    expect(small.locator(".bpv-table tr").filter(has_text="e + a")).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    small.locator(".bpv-play button").first.click()  # the play/pause button: the browser keeps time
    expect(svg).to_contain_text(f"step {SMALL_STEPS} of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("from e back to b")
    expect(small.locator(".bpv-status")).to_contain_text("backward")
    expect(small.locator(".bpv-next")).to_be_disabled()
    screenshot(page, f"{where}-after-play")
    small.locator(".bpv-first").click()
    expect(svg).to_contain_text(f"step 0 of {SMALL_STEPS}")


# Per drawn element of an SVG, in drawing order, what a student sees of it: its text and its
# computed colours and pen width; elements that are not drawn (display:none, or inside such a
# group) are left out. The live picture and a standalone frame must give the same list.
_DRAWN = """svg => { const out = [];
  const walk = el => { const cs = getComputedStyle(el); if (cs.display === 'none') return;
    const tag = el.localName;
    if (['rect', 'path', 'polygon', 'circle', 'ellipse', 'text'].includes(tag))
      out.push([tag, tag === 'text' ? el.textContent : '', cs.fill, cs.stroke, cs.strokeWidth,
                cs.strokeDasharray, cs.fontWeight, el.getAttribute('d') || el.getAttribute('points') || '']);
    if (tag !== 'text' && tag !== 'style' && tag !== 'title') for (const c of el.children) walk(c); };
  walk(svg); return out; }"""


# (left, top, right, bottom) of the picture that its scroll box shows, in pixels of the picture
_SEEN = """svg => { const b = svg.closest('.bpv-scroll'), s = svg.getBoundingClientRect(), o = b.getBoundingClientRect();
  const l = o.left + b.clientLeft, t = o.top + b.clientTop;
  return [Math.ceil(Math.max(0, l - s.left)), Math.ceil(Math.max(0, t - s.top)),
          Math.floor(Math.min(s.width, l + b.clientWidth - s.left)), Math.floor(Math.min(s.height, t + b.clientHeight - s.top))]; }"""


def goto_step(page, scope, k, n):
    """Click the player in `scope` to step k: from the first step with next, or from the last with back."""
    from playwright.sync_api import expect

    status = page.locator(f"{scope} {pages.PICTURE_STATUS}")
    kernel = page.locator(f"{scope} .bpv-status")  # the kernel's (the picture may show a step before it)
    page.wait_for_function(_SETTLED_AT, arg=scope)  # the kernel has handled every click before this one
    start, button, by = (0, "first", 1) if k <= n - k else (n, "last", -1)
    jump = page.locator(f"{scope} .bpv-{button}")
    if not jump.is_disabled():
        jump.click()
    expect(status).to_contain_text(f"step {start} of {n}")
    expect(kernel).to_contain_text(f"step {start} of {n}")
    for j in range(start + by, k + by, by) if k != start else ():
        page.locator(f"{scope} .bpv-{'next' if by > 0 else 'back'}").click()
        expect(status).to_contain_text(f"step {j} of {n}")
        expect(kernel).to_contain_text(f"step {j} of {n}")


_SWAP = """(box, svg) => { const keep = box.innerHTML, t = document.createElement('template');
  t.innerHTML = svg; box.replaceChildren(t.content.firstElementChild); return keep; }"""


def by_itself(page, scope, svg, measure):
    """`measure(svg locator)` of the picture box of `scope` while it shows `svg` instead of the
    player's own picture (same box, same place, same size rule), then the player's picture back."""
    box = page.locator(f"{scope} .bpv-frame .bpv-scroll")
    keep = box.evaluate(_SWAP, svg)
    try:
        return measure(box.locator("svg"))
    finally:
        box.evaluate("(box, keep) => { box.innerHTML = keep; }", keep)


def compare_with_frames(page, screenshot, where):
    """The picture the player assembles (its sheet and the step's look) against frames(trace)[k]
    shown by itself in the same box: the same drawn elements with the same colours and pen widths
    on the ~200-node graph, and the same pixels on the small one."""
    from io import BytesIO

    from PIL import Image, ImageChops

    from backprop_viz import frames, trace_of

    sys.path.insert(0, str(TESTS))
    from render_graphs import random_graph
    from test_widgets import small_trace  # the notebook's small graph: e = a·b, L = e + a

    def pixels(svg):
        seen = svg.evaluate(_SEEN)  # the part of the picture its scroll box shows
        return seen, Image.open(BytesIO(svg.screenshot())).convert("RGB").crop(seen)

    f = frames(small_trace())
    for k in (1, 3, 4, 6, SMALL_STEPS):
        goto_step(page, ".small", k, SMALL_STEPS)
        live = page.locator(".small .bpv-frame svg")
        drawn, (seen, shot) = live.evaluate(_DRAWN), pixels(live)
        alone_drawn, (alone_seen, alone) = by_itself(page, ".small", f[k],
                                                     lambda svg: (svg.evaluate(_DRAWN), pixels(svg)))
        assert drawn == alone_drawn, f"small graph, step {k}"
        assert seen == alone_seen and seen[2] - seen[0] > 300 and seen[3] - seen[1] > 150  # most of it compared
        # Pixel for pixel, up to the rasteriser's smoothing: the same curve drawn among other
        # (hidden) elements may round its anti-aliased edge a few levels differently (seen: ≤ 4 of
        # 255, on ≤ 20 pixels). A wrong look — another colour, width or text — differs by far more.
        diff = ImageChops.difference(shot, alone).convert("L")
        off = sum(diff.histogram()[1:])
        assert diff.getextrema()[1] <= SMOOTHING and off <= SMOOTHED_PIXELS, \
            f"step {k}: the live picture differs from frames(trace)[{k}] in {off} pixels, by up to {diff.getextrema()[1]}"
    screenshot(page, f"{where}-assembled-step-{SMALL_STEPS}")
    big = trace_of(random_graph(200, seed=1))
    fb, n = frames(big), len(big)
    for k in (2, n - 3, n):  # forward, backward with gradient plates, the end
        goto_step(page, ".big", k, n)
        drawn = page.locator(".big .bpv-frame svg").evaluate(_DRAWN)
        alone = by_itself(page, ".big", fb[k], lambda svg: svg.evaluate(_DRAWN))
        assert len(drawn) == len(alone) > 1000 and drawn == alone, f"~200-node graph, step {k}"
    goto_step(page, ".big", 0, n)
    goto_step(page, ".small", 0, SMALL_STEPS)


# What a student sees of the table: per row shown, its node, background and the cell texts drawn.
_TABLE = """p => [...p.querySelectorAll('.bpv-table tbody tr')].filter(tr => getComputedStyle(tr).display !== 'none')
  .map(tr => [tr.dataset.node, getComputedStyle(tr).backgroundColor,
              [...tr.querySelectorAll('td')].map(td => [...td.childNodes].filter(c => c.nodeType === 3
                || getComputedStyle(c).display !== 'none').map(c => c.textContent).join(''))])"""
# Clicks a player's button `times` times and, in the same task (no kernel message can come in
# between), returns what its picture and table show and whether the browser drew it by itself.
# Which of first, back, next and last are off.
_ENDS = """p => ['first', 'back', 'next', 'last'].map(b => p.querySelector('button.bpv-' + b).disabled)"""
_CLICK_NOW = """([scope, button, times]) => { const p = document.querySelector(scope);
  const b = p.querySelector('.bpv-' + button); for (let i = 0; i < times; i++) b.click();
  return [(%s)(p.querySelector('.bpv-frame svg')), (%s)(p), p.hasAttribute('data-bpv-quick-step'),
          (%s)(p), p.querySelector('.bpv-status').innerText, (%s)(p), (%s)(p)]; }"""
# Types step k into the slider's number and presses Enter, then (after the page's own reactions,
# before any kernel message) returns what the picture and table show, as _CLICK_NOW does.
_ENTER_NOW = """async ([scope, k]) => { const p = document.querySelector(scope);
  const number = p.querySelector('.bpv-slider .widget-readout');
  number.textContent = String(k);
  number.dispatchEvent(new KeyboardEvent('keydown', {keyCode: 13, which: 13, key: 'Enter', bubbles: true}));
  await Promise.resolve();
  return [(%s)(p.querySelector('.bpv-frame svg')), (%s)(p), p.hasAttribute('data-bpv-quick-step'),
          (%s)(p), p.querySelector('.bpv-status').innerText, (%s)(p), (%s)(p)]; }"""
# The slider as a student sees it: its number, and where its handle is (% of the handle's travel).
_SLIDER = """p => { const o = p.querySelector('.bpv-slider .noUi-origin');
  return [p.querySelector('.bpv-slider .widget-readout').textContent,
          parseFloat(/translate\\(([-\\d.e]+)%/.exec(o.style.transform)[1])]; }"""
# Whether the caption is marked stale, and the fade its style then starts: [property, delay ms, opacity at the end].
_STALE = """p => { const c = p.querySelector('.bpv-caption'); getComputedStyle(c).opacity;
  return [c.classList.contains('bpv-stale'), c.getAnimations().map(a => [a.transitionProperty,
          a.effect.getTiming().delay, a.effect.getKeyframes().slice(-1)[0].opacity])]; }"""
# The kernel's look shows again: the player no longer marked, no element left with a style of the page's own.
_SETTLED_AT = """scope => { const p = document.querySelector(scope); return !p.hasAttribute('data-bpv-quick-step')
  && [...p.querySelectorAll('.bpv-vr, .bpv-table tr')].every(e => !e.style.cssText); }"""


def check_quick_steps(page, where):
    """first, back, next, last and the slider change the picture, table, buttons and status line in the page at once, before the kernel
    answers (what the browser draws by itself equals frames(trace)[k], the kernel's look of step k
    once it has caught up, and its table); several clicks in a row end where the kernel ends."""
    from playwright.sync_api import expect

    from backprop_viz import frames, trace_of

    sys.path.insert(0, str(TESTS))
    from render_graphs import random_graph

    big = trace_of(random_graph(200, seed=1))
    fb, n = frames(big), len(big)
    player = page.locator(".big")
    status = player.locator(pages.PICTURE_STATUS)
    goto_step(page, ".big", 0, n)
    k = 0
    for button, times in (("next", 3), ("last", 1), ("back", 2), ("next", 1), ("first", 1), ("slider", 200)):
        page.wait_for_function(_SETTLED_AT, arg=".big")
        if button == "slider":  # the slider moved in the page: its number entered
            drawn, table, by_browser, ends, said, stale, slider = page.evaluate(
                _ENTER_NOW % (_DRAWN, _TABLE, _ENDS, _STALE, _SLIDER), [".big", times])
        else:
            drawn, table, by_browser, ends, said, stale, slider = page.evaluate(
                _CLICK_NOW % (_DRAWN, _TABLE, _ENDS, _STALE, _SLIDER), [".big", button, times])
        k = {"next": min(k + times, n), "back": max(k - times, 0), "first": 0, "last": n, "slider": times}[button]
        assert by_browser, f"{where}: step {k} ({button}) was not drawn in the page"
        # the caption still tells the step before: marked, and it fades if the kernel is slow to answer
        assert stale == [True, [["opacity", 250, "0.35"]]], f"{where}: the caption after {button}: {stale}"
        expect(status).to_contain_text(f"step {k} of {n}")
        expect(player.locator(".bpv-status")).to_contain_text(f"step {k} of {n}")  # the kernel followed
        page.wait_for_function(_SETTLED_AT, arg=".big")  # the kernel's look again
        caption = player.locator(".bpv-caption")
        expect(caption).not_to_have_class(re.compile(r"\bbpv-stale\b"))  # the kernel's caption of step k
        expect(caption).to_have_css("opacity", "1")
        assert drawn == player.locator(".bpv-frame svg").evaluate(_DRAWN), f"{where}: {button} → step {k}"
        assert table == player.evaluate(_TABLE), f"{where}: the table after {button} → step {k}"
        assert ends == player.evaluate(_ENDS) == [k == 0, k == 0, k == n, k == n], f"{where}: buttons at step {k}"
        assert said == player.locator(".bpv-status").inner_text() and f"step {k} of {n}" in said, \
            f"{where}: the status line at step {k}: {said!r}"
        # the slider's number and handle moved with the picture, where the kernel then puts them
        number, at = player.evaluate(_SLIDER)
        assert slider[0] == number == str(k) and abs(slider[1] - at) < 0.01, \
            f"{where}: the slider after {button} → step {k}: {slider} in the page, then {[number, at]}"
        alone = by_itself(page, ".big", fb[k], lambda svg: svg.evaluate(_DRAWN))
        assert len(drawn) > 1000 and drawn == alone, f"{where}: {button} → step {k} is not frames(trace)[{k}]"
    goto_step(page, ".big", 0, n)


def measure_big(page, report_latency, where):
    """Click next on the ~200-node player; time click → SVG showing the new step, in the page."""
    from playwright.sync_api import expect

    n = big_steps()
    frame = page.locator(f".big {pages.PICTURE_STATUS}")
    expect(frame).to_contain_text(f"step 0 of {n}")
    latencies = [pages.click_latency(page, ".big .bpv-next", ".big .bpv-frame", text=f"step {k} of {n}")
                 for k in range(1, CLICKS + 1)]
    ms = pages.median(latencies)
    print(f"\n{where}: click → SVG updated, ~200-node graph: median {ms:.1f} ms "
          f"(min {min(latencies):.1f}, max {max(latencies):.1f}; goal ≤ 100 ms)")
    report_latency(f"{where}: player next, ~200-node graph", latencies)
    return latencies


def test_player_in_jupyterlab(browser_context, jupyter_lab, screenshot, report_latency):
    page = jupyter_lab(NOTEBOOK, GRAPHS).open(browser_context)
    pages.lab_run_all(page)
    check_player(page, screenshot, "lab")
    compare_with_frames(page, screenshot, "lab")
    check_quick_steps(page, "JupyterLab")
    measure_big(page, report_latency, "JupyterLab")
    screenshot(page, "lab-big")
    pages.assert_no_tracebacks(page)


def test_player_in_voila(browser_context, voila, screenshot, report_latency):
    from playwright.sync_api import expect

    page = voila(NOTEBOOK, GRAPHS).open(browser_context)
    assert "BackpropPlayer(" not in page.inner_text("body"), "Voilà must not show code"
    check_player(page, screenshot, "voila")
    ko = page.locator(".ko")
    expect(ko.locator(".bpv-next")).to_have_text("다음")
    ko.locator(".bpv-next").click()
    expect(ko.locator(".bpv-caption")).to_contain_text("순전파: a, b로 e를 계산합니다")
    # The frame's own status line and legend, in Korean (its text also holds CSS, so digits alone prove nothing).
    expect(ko.locator(pages.PICTURE_STATUS)).to_contain_text(f"순전파 · {SMALL_STEPS}단계 중 1")
    expect(ko.locator(".bpv-frame svg")).to_contain_text("계산됨")
    ko.scroll_into_view_if_needed()
    screenshot(page, "voila-korean")
    check_quick_steps(page, "Voilà")
    measure_big(page, report_latency, "Voilà")
    pages.assert_no_tracebacks(page)


@pytest.fixture
def executed(tmp_path):
    sys.path.insert(0, str(TESTS))
    from test_widgets import executed_player_notebook

    return executed_player_notebook(tmp_path)


def test_exported_html_without_kernel_shows_the_last_frame(browser_context, executed, screenshot, tmp_path):
    from nbconvert import HTMLExporter
    from playwright.sync_api import expect

    nb, _ = executed
    body, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "player.html"
    path.write_text(body, encoding="utf-8")
    page = pages.blank_page(browser_context)
    page.route(re.compile(r"^file://"), lambda route: route.continue_())  # a local file is no network
    page.goto(path.as_uri())
    still = page.locator(".bpv-static img").first
    expect(still).to_be_visible()
    assert still.evaluate("img => img.complete && img.naturalWidth") > 100  # the SVG decoded as a picture
    assert page.locator(".bpv-player").count() == 0  # no widget manager offline: only the still shows
    expect(page.locator(".bpv-static").first).to_contain_text("Backward: the gradient flows from e back to b")
    screenshot(page, "nbconvert-html")


def test_saved_notebook_opened_in_lab_shows_the_last_frame(browser_context, jupyter_lab, executed, screenshot):
    """A saved notebook, opened again: its widgets have no kernel-side model, the still picture
    (sanitised HTML: the notebook is not trusted here) shows the last step."""
    from playwright.sync_api import expect

    _, path = executed
    page = jupyter_lab(path, GRAPHS).open(browser_context)
    still = page.locator(".bpv-static img").first
    expect(still).to_be_visible()
    assert still.evaluate("img => img.complete && img.naturalWidth") > 100
    expect(page.locator(".bpv-static").first).to_contain_text("Recorded steps: 7")
    screenshot(page, "lab-saved-notebook")
