"""An exported page with predict=True, in Chromium: it asks for each backward step's number before
showing it and checks the answer in JavaScript (no kernel)."""
from __future__ import annotations

import json
import re

import pytest

from backprop_viz import export_html

from .test_export_page import _open, neuron_trace

pytestmark = [pytest.mark.browser, pytest.mark.dot]


def test_predict_page_asks_checks_and_reveals(browser_context, screenshot, tmp_path):
    from playwright.sync_api import expect

    trace = neuron_trace()
    n = len(trace)
    seed = trace.seed_steps()[0]
    path = export_html(trace, tmp_path / "predict.html", predict=True)
    text = path.read_text(encoding="utf-8") if hasattr(path, "read_text") else open(path, encoding="utf-8").read()
    data = json.loads(re.search(r'id="bpv-data">(.*?)</script>', text, re.S).group(1))
    page = _open(browser_context, path if hasattr(path, "as_uri") else tmp_path / "predict.html")
    step, question, feedback = page.locator("#bpv-step"), page.locator("#bpv-pq"), page.locator("#bpv-pfeedback")
    expect(page.locator("#bpv-predict")).to_be_visible()

    page.locator("#bpv-last").click()  # as far as it may go: just before the seed
    expect(step).to_have_text(f"Step {seed} of {n}")
    expect(question).to_contain_text("∂o/∂o")
    box = page.locator("#bpv-pin")
    box.fill("7")
    box.press("Enter")
    expect(feedback).to_contain_text("Not quite")
    expect(step).to_have_text(f"Step {seed} of {n}")  # a wrong answer keeps the step hidden
    box.fill("abc")
    page.locator("#bpv-pcheck").click()
    expect(feedback).to_contain_text("not a number")
    box.fill("1")
    page.locator("#bpv-pcheck").click()  # right: the step is shown and the player moves on
    expect(step).to_have_text(f"Step {seed + 1} of {n}")
    expect(feedback).to_contain_text("Right")
    expect(page.locator("#bpv-pscore")).to_have_text("1 of 1 predicted")  # one step, however many answers
    nxt = data["predict"][seed + 2]  # what frame seed + 2 asks before it is shown
    expect(question).to_have_text(nxt["question"]["en"])
    box.fill(str(nxt["x"] + 5))
    box.press("Enter")
    box.fill(str(nxt["x"] + 6))
    box.press("Enter")
    expect(feedback).to_contain_text(nxt["hint"]["en"])  # a second wrong answer gives the hint
    page.get_by_role("button", name="한국어").click()
    expect(question).to_have_text(nxt["question"]["ko"])
    page.get_by_role("button", name="English").click()
    box.fill(repr(nxt["x"]))
    box.press("Enter")
    expect(step).to_have_text(f"Step {seed + 2} of {n}")
    expect(page.locator("#bpv-pscore")).to_have_text("2 of 2 predicted")
    page.locator("#bpv-preveal").click()  # shown without scoring
    expect(step).to_have_text(f"Step {seed + 3} of {n}")
    page.locator("#bpv-first").click()
    page.locator("#bpv-slider").fill(str(seed + 3))  # revealed steps are passed freely
    expect(step).to_have_text(f"Step {seed + 3} of {n}")
    screenshot(page, "predict")
    assert page.dialogs == []
