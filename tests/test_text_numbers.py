"""One number format: 4 significant digits, no trailing zeros, a real minus; the same text in every view."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, strategies as st

from backprop_viz import BackpropPlayer, Value, frames, record
from backprop_viz.render import style
from backprop_viz.text.numbers import fmt


@pytest.mark.parametrize("x, text", [
    (-4.0, "−4"), (0.5, "0.5"), (0.70710678, "0.7071"), (1.5e-5, "1.5e-5"), (-0.0, "0"), (12345.67, "12350"),
    (-1195.0027, "−1195"), (0.49996, "0.5"), (2 / 3, "0.6667"), (0.001, "0.001"), (-1.2345e7, "−1.234e+7"),
    (float("nan"), "nan"), (float("-inf"), "−inf"), (np.array([0.5, -1.0]), "[0.5, −1]"),
    (1.7975e308, "1.797e+308"), (-1.7976931348623157e308, "−1.798e+308"),  # rounding past the largest float
])
def test_examples(x, text):
    assert fmt(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e99, max_value=1e99))
def test_every_number_reads_back_within_its_digits_and_fits_the_picture(x):
    text = fmt(x)
    assert len(style.number_text(x)) <= style.NUMBER_CHARS  # the picture's room, for every step
    if x == 0 or 1e-9 < abs(x) < 1e9:  # a one-digit exponent: the picture writes it as every other view
        assert style.number_text(x) == text
    assert "-" not in text.split("e")[0] and not re.search(r"\.\d*0(e|$)", text)  # no trailing zeros
    assert float(text.replace("−", "-")) == pytest.approx(x, rel=5.1e-4, abs=0)


def test_the_picture_the_table_and_the_caption_write_a_value_the_same_way():
    a, b = Value(-4.0, "a"), Value(0.70710678, "b")
    with record() as trace:
        c = a * b
        c.label = "c"
        c.backward()
    svg = frames(trace)[len(trace)]
    table = BackpropPlayer(trace).table_html(trace.snapshot(len(trace)))
    caption = trace.snapshot(1).caption()
    for text in ("−4", "0.7071", "−2.828"):
        assert f">{text}<" in svg and f"<td>{text}</td>" in table and text in caption
