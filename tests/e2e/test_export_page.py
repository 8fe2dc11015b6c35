"""The page export_html writes, opened from file:// in Chromium: it steps, plays, switches language,
touches no network, and shows a hostile label as text."""
from __future__ import annotations

import re

import pytest

from backprop_viz import Value, export_html, record

from . import pages
from render_graphs import weighted_sum_trace

pytestmark = [pytest.mark.browser, pytest.mark.dot]

HOSTILE = "<img src=x onerror=alert(1)>"


def neuron_trace():
    """One tanh neuron, o = tanh(x1·w1 + x2·w2 + b), and its backward pass."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1", role="parameter"), Value(1.0, "w2", role="parameter")
    b = Value(6.8813735870195432, "b", role="parameter")
    with record() as trace:
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        o = n.tanh()
        o.label = "o"
        o.backward()
    return trace


def hostile_trace():
    a, b = Value(2.0, HOSTILE), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        e.label = "e"
        loss = e + a
        loss.label = "L"
        loss.backward()
    return trace


def _open(context, path):
    """The page from file://, with every dialog and every request it makes recorded."""
    page = pages.blank_page(context)
    # The harness aborts every URL that is not loopback http(s); a local file is no network.
    page.route(re.compile(r"^file://"), lambda route: route.continue_())
    page.dialogs, page.requests = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(path.as_uri())
    return page


def _svg(page):
    return page.locator("#bpv-figure svg").evaluate("el => el.outerHTML")


def test_exported_page_steps_plays_and_switches_language_offline(browser_context, screenshot, tmp_path):
    from playwright.sync_api import expect

    trace = neuron_trace()
    n = len(trace)
    path = export_html(trace, tmp_path / "neuron.html")
    page = _open(browser_context, path)
    step, caption = page.locator("#bpv-step"), page.locator("#bpv-caption")

    expect(step).to_have_text(f"Step 0 of {n}")
    expect(caption).to_have_text(trace.snapshot(0).caption("en"))
    expect(page.locator("#bpv-prev")).to_be_disabled()
    shown = [_svg(page)]

    page.keyboard.press("ArrowRight")
    expect(step).to_have_text(f"Step 1 of {n}")
    expect(caption).to_have_text(trace.snapshot(1).caption("en"))
    shown.append(_svg(page))
    page.locator("#bpv-next").click()
    expect(step).to_have_text(f"Step 2 of {n}")
    shown.append(_svg(page))
    assert len(set(shown)) == 3, "each step must change the picture"

    page.locator("#bpv-last").click()
    expect(step).to_have_text(f"Step {n} of {n}")
    expect(page.locator("#bpv-next")).to_be_disabled()
    expect(caption).to_have_text(trace.snapshot(n).caption("en"))
    page.keyboard.press("ArrowLeft")
    expect(step).to_have_text(f"Step {n - 1} of {n}")
    page.keyboard.press("Home")
    expect(step).to_have_text(f"Step 0 of {n}")
    assert _svg(page) == shown[0], "going back must show the first frame exactly again"

    k = n // 2 + 2  # a backward step
    page.locator("#bpv-slider").fill(str(k))
    expect(step).to_have_text(f"Step {k} of {n}")
    expect(caption).to_have_text(trace.snapshot(k).caption("en"))
    page.get_by_role("button", name="한국어").click()
    expect(caption).to_have_text(trace.snapshot(k).caption("ko"))
    expect(step).to_have_text(f"단계 {k} / {n}")
    expect(page.locator("#bpv-next")).to_have_attribute("aria-label", "다음")
    page.get_by_role("button", name="English").click()
    expect(caption).to_have_text(trace.snapshot(k).caption("en"))
    screenshot(page, "step")

    page.locator("#bpv-speed").select_option("4")
    page.locator("#bpv-play").click()
    expect(step).to_have_text(f"Step {n} of {n}", timeout=20_000)
    expect(page.locator("#bpv-play")).to_have_attribute("aria-pressed", "false")  # stopped at the end

    assert page.dialogs == []
    assert all(url.startswith("file://") for url in page.requests), page.requests
    assert browser_context.problems.blocked == []


def test_exported_page_shows_a_hostile_label_as_text(browser_context, screenshot, tmp_path):
    from playwright.sync_api import expect

    trace = hostile_trace()
    path = export_html(trace, tmp_path / "hostile.html", title=HOSTILE)
    page = _open(browser_context, path)
    expect(page.locator("#bpv-title")).to_have_text(HOSTILE)
    for k in range(len(trace) + 1):
        expect(page.locator("#bpv-caption")).to_have_text(trace.snapshot(k).caption("en"))
        svg_text = page.locator("#bpv-figure svg").text_content()
        assert "<img src=x onerror=al" in svg_text, "the label must be drawn as its own characters"
        page.keyboard.press("ArrowRight")
    assert any(HOSTILE in trace.snapshot(k).caption("en") for k in range(len(trace) + 1))
    assert page.locator("img").count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    page.wait_for_timeout(300)  # an injected onerror would fire as the broken image loads
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert all(url.startswith("file://") for url in page.requests), page.requests
    screenshot(page, "hostile")


def test_exported_page_of_a_200_node_graph_steps_quickly(browser_context, tmp_path, report_latency):
    """Each step rebuilds the frame from its stored pieces and draws it; measured in the page."""
    from playwright.sync_api import expect

    trace = weighted_sum_trace(50)
    n = len(trace)
    assert len(trace.nodes) >= 200
    page = _open(browser_context, export_html(trace, tmp_path / "big.html"))
    expect(page.locator("#bpv-step")).to_have_text(f"Step 0 of {n}")
    page.locator("#bpv-slider").fill(str(n // 2))
    latencies = []
    for k in range(n // 2 + 1, n // 2 + 11):
        latencies.append(pages.click_latency(
            page, "#bpv-next", "#bpv-step", until=f"el => el.textContent === 'Step {k} of {n}'"))
    expect(page.locator("#bpv-caption")).to_have_text(trace.snapshot(n // 2 + 10).caption("en"))
    report_latency(f"exported page, {len(trace.nodes)} nodes: next → frame drawn", latencies)
