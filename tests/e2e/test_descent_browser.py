"""GradientDescentView and GradientQuiz in Voilà: step, a run in the background that the stop
button ends, a diverging learning rate, and a quiz answered by typing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import pages

pytestmark = [pytest.mark.browser, pytest.mark.dot]

NOTEBOOK = Path(__file__).parent / "fixtures" / "descent.ipynb"


def test_descent_and_quiz_in_voila(browser_context, voila, screenshot):
    from playwright.sync_api import expect

    from backprop_viz import GradientQuiz

    page = voila(NOTEBOOK).open(browser_context)
    gd = page.locator(".gd")
    status, message = gd.locator(".bpv-gd-status"), gd.locator(".bpv-gd-message")
    expect(status).to_contain_text("step 0: loss")
    curve = gd.locator("img.bpv-gd-curve")
    before = curve.get_attribute("src")
    gd.locator(".bpv-gd-step").click()
    expect(status).to_contain_text("step 1: loss")
    expect(curve).not_to_have_attribute("src", before)  # the loss curve was redrawn
    gd.locator(".bpv-gd-run").click()  # 200 steps in a background thread
    expect(gd.locator(".bpv-gd-progress-text")).to_have_text("200 / 200")
    expect(message).to_contain_text("Ran 200 steps")
    expect(status).to_contain_text("step 201: loss")
    expect(gd.locator(".bpv-gd-run")).to_be_enabled()
    screenshot(page, "after-run")

    steps = gd.locator(".bpv-gd-steps input")
    steps.fill("1000000")
    steps.press("Enter")
    gd.locator(".bpv-gd-run").click()
    expect(gd.locator(".bpv-gd-progress-text")).to_have_text(re.compile(r"^[1-9]\d* / 1000000$"))
    expect(gd.locator(".bpv-gd-stop")).to_be_enabled()
    gd.locator(".bpv-gd-stop").click()  # the kernel is free while the run goes on: stop is heard
    expect(message).to_contain_text("Stopped after")
    expect(gd.locator(".bpv-gd-run")).to_be_enabled()

    gd.locator(".bpv-gd-reset").click()
    expect(status).to_contain_text("step 0: loss")
    readout = gd.locator(".bpv-gd-lr .widget-readout")
    readout.fill("3")
    readout.press("Enter")
    steps.fill("100")
    steps.press("Enter")
    gd.locator(".bpv-gd-run").click()
    expect(message).to_contain_text("too large")
    expect(message).to_contain_text("smaller learning rate")
    expect(gd.locator(".bpv-gd-step")).to_be_disabled()
    expect(gd.locator(".bpv-gd-stop")).to_be_disabled()  # the run is over, its last picture drawn
    screenshot(page, "diverged")

    quiz = page.locator(".quiz")
    answer = quiz.locator(".bpv-q-answer input")
    answer.fill("twelve")
    answer.press("Enter")
    expect(quiz.locator(".bpv-q-feedback")).to_contain_text("is not a number")
    answer.fill(str(GradientQuiz(seed=0).answer))
    answer.press("Enter")
    expect(quiz.locator(".bpv-q-feedback")).to_contain_text("Correct")
    quiz.locator(".bpv-q-show").click()
    expect(quiz.locator(".bpv-table tr.bpv-active")).to_be_visible()
    screenshot(page, "quiz")
    pages.assert_no_tracebacks(page)
