"""Sheets: a run of frames as one SVG whose looks a list of classes picks — each step draws frames[k]."""

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings

from backprop_viz import Value, frames, trace_of
from backprop_viz.render.sheet import Sheet
from player_view import SVG_NS, canonical, drawn_svg
from render_graphs import random_graph
from strategies import build_scalar_graph, scalar_graphs
from test_widgets import training_trace

pytestmark = pytest.mark.dot


def picked(sheet, k):
    """The sheet drawn as a browser draws it at step k (canonical XML)."""
    return drawn_svg(sheet.svg, set(sheet.classes(k)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scalar_graphs())
def test_every_step_of_a_sheet_draws_exactly_its_frame(graph):
    _, _, loss = build_scalar_graph(graph)
    t = trace_of(loss)
    f = frames(t)
    sheet = Sheet(f, 0, len(t))
    for k in range(len(t) + 1):
        assert picked(sheet, k) == canonical(f[k]), k


def test_each_look_is_written_once_and_a_step_shows_one_look_per_element():
    t = trace_of(random_graph(60, seed=4))
    f = frames(t)
    sheet = Sheet(f, 0, len(t))
    looks = re.findall(r'<g class="bpv-vr (q[\w-]+)">', sheet.svg)
    assert len(looks) == len(set(looks))  # a class names one look
    assert "step 0 of" in sheet.svg and f"step {len(t)} of" in sheet.svg  # every step's status line is there
    for k in (0, len(t) // 2, len(t)):
        shown = sheet.classes(k)
        assert len(shown) == len(set(shown)) and set(shown) <= set(looks)
        # one status line shown: exactly the one of step k
        statuses = re.findall(r'<g class="bpv-vr (q[\w-]+)"><text class="bv-status"[^>]*>([^<]*)</text>', sheet.svg)
        status = re.search(r'class="bv-status"[^>]*>([^<]*)<', f[k]).group(1)
        assert f"step {k} of {len(t)}" in status
        assert [text for name, text in statuses if name in shown] == [status]
    # a look kept at every step is written as it is: the sheet is smaller than all frames together
    assert len(sheet.svg) < sum(len(f[k]) for k in range(len(t) + 1)) / 4


def test_a_sheet_of_a_pass_of_a_training_recording_and_of_a_window():
    t = training_trace(3)
    f = frames(t)
    for p in range(t.passes):
        first, last = t.pass_steps(p)
        assert all(t.snapshot(k).pass_index == p for k in (first, last))
        sheet = Sheet(f, first, last)
        assert sheet.pass_index == p and first in sheet and last in sheet and last + 1 not in sheet
        for k in range(first, last + 1):
            assert picked(sheet, k) == canonical(f[k])
    first, last = t.pass_steps(1)
    window = Sheet(f, first + 3, first + 9)  # a part of a pass
    for k in range(first + 3, first + 10):
        assert picked(window, k) == canonical(f[k])
    with pytest.raises(IndexError, match="not on this sheet"):
        window.classes(first + 2)
    with pytest.raises(ValueError, match="one pass"):
        Sheet(f, first - 1, first + 1)  # across the start of pass 2


def test_a_collapsed_picture_and_a_focused_one():
    t = trace_of(random_graph(200, seed=2))
    for f in (frames(t, max_nodes=40), frames(t, focus="w3", rankdir="TB", lang="ko")):
        sheet = Sheet(f, len(t) - 40, len(t))
        for k in range(len(t) - 40, len(t) + 1, 5):
            assert picked(sheet, k) == canonical(f[k])


def test_labels_stay_text_on_a_sheet():
    a, b = Value(2.0, "<script>alert(1)</script>"), Value(-3.0, "b&c")
    L = a * b + a
    L.label = "L"
    t = trace_of(L)
    sheet = Sheet(frames(t), 0, len(t))
    assert "<script>" not in sheet.svg and "&lt;script&gt;" in sheet.svg and "b&amp;c" in sheet.svg
    ET.fromstring(sheet.svg)  # well-formed: nothing typed became markup
    assert ET.fromstring(sheet.svg).tag == f"{{{SVG_NS}}}svg"
