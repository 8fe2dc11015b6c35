"""Sandbox in a real browser (JupyterLab, Run All): type an expression and press Enter, the picture changes;
a new name brings its value box; a value typed redraws; a bad text shows its sentence and keeps the picture."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from . import pages

pytestmark = [pytest.mark.browser, pytest.mark.dot]

NOTEBOOK = Path(__file__).parent / "fixtures" / "sandbox.ipynb"


def _svg(sandbox):
    return sandbox.locator(".bpv-frame svg")


def test_sandbox_in_jupyterlab(browser_context, jupyter_lab, screenshot, report_latency):
    from playwright.sync_api import expect

    page = jupyter_lab(NOTEBOOK).open(browser_context)
    pages.lab_run_all(page)
    sb = page.locator(".sb-en")
    svg, text = _svg(sb), sb.locator(".bpv-sb-text input")
    status = sb.locator(pages.PICTURE_STATUS)
    expect(status).to_contain_text("step 0 of 7")  # a*b + a: 2 forward steps, the seed, 4 backward steps
    expect(sb.locator(".bpv-sb-text")).to_contain_text("expression")
    expect(sb.locator(".bpv-sb-value")).to_have_count(2)
    expect(sb.locator(".bpv-sb-error")).to_be_hidden()
    expect(page.locator(".bpv-static").first).to_be_hidden()  # the still picture gives way to the live sandbox
    screenshot(page, "sandbox-start")
    before = svg.inner_html()

    text.fill("tanh(a*b)")
    start = time.perf_counter()
    text.press("Enter")
    expect(pages.drawn(sb, "tanh")).not_to_have_count(0)
    expect(status).to_contain_text("step 0 of 6")
    report_latency("Lab: sandbox Enter → new picture (seen from Python)", [(time.perf_counter() - start) * 1000])
    assert svg.inner_html() != before
    expect(sb.locator("table.bpv-table")).to_contain_text("tanh(a·b)")  # a step is named by how it reads

    text.fill("a*c")  # a new name: its box appears at 1.0, b's box goes
    text.press("Enter")
    expect(sb.locator(".bpv-sb-value")).to_have_count(2)
    expect(sb.locator(".bpv-sb-value").nth(1)).to_contain_text("c")
    expect(sb.locator(".bpv-sb-value input").nth(1)).to_have_value("1")

    value = sb.locator(".bpv-sb-value input").nth(0)  # a
    value.fill("4")
    value.press("Enter")
    expect(sb.locator("table.bpv-table")).to_contain_text("4")
    expect(pages.drawn(sb, "4")).not_to_have_count(0)
    sb.locator(".bpv-last").click()
    expect(sb.locator(".bpv-caption")).to_contain_text("back to")

    shown = svg.inner_html()
    text.fill("open('x') * a")  # refused: the sentence under the box, the last picture stays
    text.press("Enter")
    error = sb.locator(".bpv-sb-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("open(…) is not a function you can use here")
    assert svg.inner_html() == shown
    assert "Traceback" not in page.inner_text(".sb-en")
    screenshot(page, "sandbox-error")
    text.fill("a*c + c")
    text.blur()  # leaving the box draws too
    expect(error).to_be_hidden()
    expect(sb.locator("table.bpv-table")).to_contain_text("a·c + c")

    ko = page.locator(".sb-ko")
    ko.scroll_into_view_if_needed()
    expect(ko.locator(".bpv-sb-text")).to_contain_text("식")
    ko_text = ko.locator(".bpv-sb-text input")
    ko_text.fill("a ** b")
    ko_text.press("Enter")
    expect(ko.locator(".bpv-sb-error")).to_contain_text("**의 지수는 b가 아니라 숫자여야 합니다")
    screenshot(page, "sandbox-korean")
    pages.assert_no_tracebacks(page)
