"""A BackpropPlayer in predict mode in a real browser (JupyterLab, then Voilà): next stops before
the seed, a wrong answer keeps the step hidden, the right one (typed, then Enter) shows it."""
from __future__ import annotations

from pathlib import Path

import pytest

from . import pages

pytestmark = [pytest.mark.browser, pytest.mark.dot]

NOTEBOOK = Path(__file__).parent / "fixtures" / "predict.ipynb"
STEPS = 7  # e = a·b, L = e + a: 2 forward steps, the seed, 4 backward steps
SEED = 3  # the step the seed is shown at


def check_predict(page, screenshot, where):
    from playwright.sync_api import expect

    p = page.locator(".p")
    svg = p.locator(pages.PICTURE_STATUS)  # the status line the picture draws
    expect(svg).to_contain_text(f"step 0 of {STEPS}")
    p.locator(".bpv-last").click()  # as far as it may go: just before the seed
    expect(svg).to_contain_text(f"step {SEED - 1} of {STEPS}")
    question = p.locator(".bpv-predict-question")
    expect(question).to_contain_text("∂L/∂L")
    box = p.locator(".bpv-predict-box input")
    box.fill("5")
    box.press("Enter")
    feedback = p.locator(".bpv-predict-feedback")
    expect(feedback).to_contain_text("Not quite")
    expect(svg).to_contain_text(f"step {SEED - 1} of {STEPS}")  # still hidden
    p.locator(".bpv-next").click()
    expect(svg).to_contain_text(f"step {SEED - 1} of {STEPS}")  # next does not move past it
    box.fill("1")
    box.press("Enter")
    expect(svg).to_contain_text(f"step {SEED} of {STEPS}")  # right: shown, and the player moved on
    expect(feedback).to_contain_text("Right")
    expect(p.locator(".bpv-predict-score")).to_contain_text("1 of 1 predicted")
    expect(question).to_contain_text("What does L send back to e?")
    screenshot(page, f"{where}-predicted")
    box.fill("-6")  # ∂L/∂L · ∂(e + a)/∂e = 1, not −6
    p.locator(".bpv-predict-check").click()
    expect(feedback).to_contain_text("Multiply the upstream gradient ∂L/∂L")
    p.locator(".bpv-predict-reveal").click()
    expect(svg).to_contain_text(f"step {SEED + 1} of {STEPS}")
    ko = page.locator(".ko")
    ko.locator(".bpv-last").click()
    expect(ko.locator(".bpv-predict-question")).to_contain_text("역전파는 손실 L에서 시작합니다")
    expect(ko.locator(".bpv-predict-check")).to_have_text("확인")


def test_predict_player_in_jupyterlab(browser_context, jupyter_lab, screenshot):
    page = jupyter_lab(NOTEBOOK).open(browser_context)
    pages.lab_run_all(page)
    check_predict(page, screenshot, "lab")
    pages.assert_no_tracebacks(page)


def test_predict_player_in_voila(browser_context, voila, screenshot):
    page = voila(NOTEBOOK).open(browser_context)
    check_predict(page, screenshot, "voila")
    pages.assert_no_tracebacks(page)
