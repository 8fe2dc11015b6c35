"""The browser-test harness, proved on a small ipywidgets + graphviz notebook in Lab and Voilà."""
from pathlib import Path

import pytest

from . import pages

pytestmark = pytest.mark.browser

SMOKE = Path(__file__).parent / "fixtures" / "smoke.ipynb"
BUTTON, VIEW = ".smoke-button", ".smoke-view"
CLICKS = 5


def _click_and_measure(page):
    """Click the button CLICKS times; each time the SVG must show the new count."""
    from playwright.sync_api import expect

    svg_text = page.locator(f"{VIEW} svg")
    expect(svg_text).to_contain_text("clicks = 0")
    latencies = []
    for n in range(1, CLICKS + 1):
        latencies.append(pages.click_latency(page, BUTTON, VIEW, text=f"clicks = {n}"))
        expect(svg_text).to_contain_text(f"clicks = {n}")
    expect(svg_text).not_to_contain_text("clicks = 0")
    return latencies


def test_lab_runs_notebook_and_button_redraws_svg(browser_context, jupyter_lab, screenshot,
                                                   report_latency):
    page = jupyter_lab(SMOKE).open(browser_context)
    pages.lab_run_all(page)
    screenshot(page, "after-run-all")
    latencies = _click_and_measure(page)
    screenshot(page, "after-clicks")
    print(f"lab click → SVG: {[round(ms, 1) for ms in latencies]} ms")
    report_latency("JupyterLab smoke (2-node graph)", latencies)


def test_voila_renders_notebook_and_button_redraws_svg(browser_context, voila, screenshot,
                                                        report_latency):
    page = voila(SMOKE).open(browser_context)
    screenshot(page, "rendered")
    latencies = _click_and_measure(page)
    screenshot(page, "after-clicks")
    assert "def _on_click" not in page.inner_text("body"), "Voilà must not show code cells"
    outside = "https://example.com/bpv-e2e-probe"
    fetched = page.evaluate(
        "url => fetch(url, {mode: 'no-cors'}).then(() => 'reached', () => 'blocked')", outside)
    assert fetched == "blocked" and outside in browser_context.problems.blocked
    print(f"voila click → SVG: {[round(ms, 1) for ms in latencies]} ms")
    report_latency("Voilà smoke (2-node graph)", latencies)
