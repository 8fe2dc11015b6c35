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


def big_steps():
    sys.path.insert(0, str(TESTS))
    from render_graphs import random_graph

    from backprop_viz import trace_of

    return len(trace_of(random_graph(200, seed=1)))


def check_player(page, screenshot, where):
    """Next and play on the small player: the SVG, caption, status and table follow."""
    from playwright.sync_api import expect

    small = page.locator(".small")
    svg = small.locator(".bpv-frame svg")
    expect(svg).to_contain_text(f"step 0 of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("Nothing computed yet")
    expect(page.locator(".bpv-static").first).to_be_hidden()  # the still picture gives way to the live player
    screenshot(page, f"{where}-start")
    small.locator(".bpv-next").click()
    expect(svg).to_contain_text(f"step 1 of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("Forward: compute e from a, b")
    expect(small.locator(".bpv-status")).to_contain_text(f"forward step 1 of {SMALL_STEPS}")
    expect(small.locator(".bpv-table tr.bpv-active")).to_contain_text("a * b")
    small.locator(".bpv-play button").first.click()  # the play/pause button: the browser keeps time
    expect(svg).to_contain_text(f"step {SMALL_STEPS} of {SMALL_STEPS}")
    expect(small.locator(".bpv-caption")).to_contain_text("from e back to b")
    expect(small.locator(".bpv-status")).to_contain_text("backward")
    expect(small.locator(".bpv-next")).to_be_disabled()
    screenshot(page, f"{where}-after-play")
    small.locator(".bpv-first").click()
    expect(svg).to_contain_text(f"step 0 of {SMALL_STEPS}")


def measure_big(page, report_latency, where):
    """Click next on the ~200-node player; time click → SVG showing the new step, in the page."""
    from playwright.sync_api import expect

    n = big_steps()
    frame = page.locator(".big .bpv-frame svg")
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
    expect(ko.locator(".bpv-frame svg")).to_contain_text(f"순전파 · {SMALL_STEPS}단계 중 1")
    expect(ko.locator(".bpv-frame svg")).to_contain_text("계산됨")
    ko.scroll_into_view_if_needed()
    screenshot(page, "voila-korean")
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
