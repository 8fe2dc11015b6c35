"""focus=: only the paths from one chosen value to the loss, with the other inputs of those steps."""

import re
import xml.etree.ElementTree as ET

import pytest

from backprop_viz import Value, draw, frames, record, trace_of
from backprop_viz.render import layout_runs
from render_graphs import micrograd_demo_loss

SVG = "{http://www.w3.org/2000/svg}"


def branching():
    """L = m + s with m = (a·b + c)·f and s = h·h, h = x·y: b reaches L through e, d, m only."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b", role="parameter"), Value(10.0, "c"), Value(-2.0, "f")
    x, y = Value(0.5, "x"), Value(4.0, "y")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    m = d * f
    m.label = "m"
    h = x * y
    h.label = "h"
    s = h * h
    s.label = "s"
    L = m + s
    L.label = "L"
    return trace_of(L)


def drawn_values(source):
    """{name: DOT line} of the value boxes in draw()'s DOT text."""
    out = {}
    for line in source.splitlines():
        m = re.match(r"\s*(v\d+) \[label=<<TABLE.*?<B>(.*?)</B>", line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def edges_into(source):
    """{node key: number of edges ending in it}."""
    heads = re.findall(r"^\s*\w+ -> (\w+) ", source, re.M)
    return {h: heads.count(h) for h in heads}


def test_only_the_paths_from_the_focus_to_the_loss_and_their_other_inputs():
    t = branching()
    src = draw(t.snapshot(len(t)), focus="b").source
    boxes = drawn_values(src)
    path, other_inputs, elsewhere = {"b", "e", "d", "m", "L"}, {"a", "c", "f", "s"}, {"x", "y", "h"}
    assert set(boxes) == path | other_inputs
    assert not elsewhere & set(boxes)
    # every step on the path is drawn with its op; the other inputs are leaves: nothing flows into them
    into = edges_into(src)
    ops_into = {name: into.get("o" + key[1:], 0) for name, key in boxes.items()}
    assert {name for name, k in ops_into.items() if k} == path - {"b"}
    assert all(into.get(boxes[name], 0) == 0 for name in other_inputs | {"b"})
    note = "Only the paths from b to L: 5 of 12 values, and 4 other inputs of those steps"
    assert note in src
    # a node id works as well as a label, and gives the same picture
    assert draw(t.snapshot(len(t)), focus=1).source == src


def test_focus_on_a_later_value_and_in_korean():
    t = branching()
    src = draw(t.snapshot(len(t)), focus="h", lang="ko").source
    assert set(drawn_values(src)) == {"h", "s", "L", "x", "y", "m"}  # h's own inputs are drawn too
    assert "h에서 L까지 가는 경로만" in src


def test_unknown_or_unclear_focus_gets_a_clear_message():
    t = branching()
    with pytest.raises(ValueError, match=r"focus='bb': no value of this trace is called that\. Did you mean 'b'\?"):
        frames(t, focus="bb")
    with pytest.raises(ValueError, match=r"Its labelled values: 'L', 'a', 'b', .*A node id \(0 to 11\) works too"):
        draw(t.snapshot(0), focus="zzz")
    with pytest.raises(ValueError, match=r"focus=12 is not a node of this trace: its node ids are 0 to 11"):
        frames(t, focus=12)
    with pytest.raises(TypeError, match=r"give its label, e\.g\. focus='w1'"):
        frames(t, focus=Value(1.0, "b"))
    with pytest.raises(TypeError, match="node id"):
        frames(t, focus=True)
    w1, w2 = Value(1.0, "w", role="parameter"), Value(2.0, "w", role="parameter")
    twins = trace_of(w1 * w2)
    with pytest.raises(ValueError, match=r"focus='w' names 2 values of pass 1 \(node ids 0, 1\).*focus=0"):
        frames(twins, focus="w")
    assert set(drawn_values(draw(twins.snapshot(0), focus=1).source)) == {"w", "v1"}  # w2, and w1 as input


def test_a_pass_the_focus_takes_no_part_in_is_drawn_whole_with_a_note():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    with record() as t:
        L1 = a * b
        L1.label = "L1"
        L1.backward()
        L2 = b * c
        L2.label = "L2"
        L2.backward()
    assert t.passes == 2
    second = draw(t.snapshot(len(t)), focus="a").source
    assert set(drawn_values(second)) == {"b", "c", "L2"}
    assert "a takes no part in computing L2 in this pass: every value is drawn." in second
    first = draw(t.snapshot(2), focus="a").source
    assert "Only the paths from a to L1" in first


# ---- with the `dot` program ----

def titles(svg):
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "tt"]


@pytest.mark.dot
def test_focused_frames_render_on_one_layout():
    t = branching()
    before = layout_runs()
    fr = frames(t, focus="b")
    svgs = list(fr)
    assert len(svgs) == len(t) + 1 and layout_runs() - before <= 1
    for svg in svgs:
        assert sorted(titles(svg)) == sorted("b e d m L a c f s".split())
    where = {re.search(r'data-node="(\d+)" transform="([^"]+)"', g).groups() for g in
             re.findall(r'<g class="bv-(?:value|op)"[^>]*>', svgs[0])}
    assert all(where == {re.search(r'data-node="(\d+)" transform="([^"]+)"', g).groups() for g in
                         re.findall(r'<g class="bv-(?:value|op)"[^>]*>', svg)} for svg in svgs)
    # computing h = x·y happens off the path: no node of the picture is active then
    k = next(i + 1 for i, ev in enumerate(t.events) if ev.kind == "forward" and t.name(ev.node) == "h")
    def active(svg):
        graph = ET.fromstring(svg).find(f"{SVG}g[@class='bv-graph']")
        return [el for el in graph.iter() if "s2" in (el.get("class") or "").split()]

    assert t.name(t.event(k - 2).node) == "m" and active(svgs[k - 1])  # the step before: m, on the path
    assert not active(svgs[k])
    last = svgs[-1]
    assert "Only the paths from b to L" in last
    assert "← −4<" in last  # the last step: b's gradient dL/db = dL/de · a = f · a = -4 on its edge
    dot_svg = draw(t.snapshot(len(t)), focus="b").pipe(format="svg", encoding="utf-8")
    assert {"b", "e", "d", "m", "L"} <= set("".join(ET.fromstring(dot_svg).itertext()).split())


@pytest.mark.dot
def test_focus_on_a_weight_of_the_65k_node_graph_gives_a_picture_of_its_way_to_the_loss():
    t = trace_of(micrograd_demo_loss())
    w = next(i for i, node in enumerate(t.nodes) if node.kind == "parameter")  # a first-layer weight
    fr = frames(t, focus=w)
    svg = fr[len(fr) - 1]
    notes = " ".join(x.text for x in ET.fromstring(svg).iter(f"{SVG}text") if x.get("class") == "bv-note")
    loss = t.num_nodes - 1
    assert f"Only the paths from {t.name(w)} to {t.name(loss)}" in notes and t.name(w) == "θ1"
    assert f"a shortest path from {t.name(w)}" in notes
    shown = titles(svg)
    assert t.name(w) in shown and t.name(loss) in shown and len(shown) < 80


@pytest.mark.dot
def test_training_passes_share_one_focused_layout():
    from backprop_viz.render import clear_layout_cache

    w, b = Value(0.5, "w", role="parameter"), Value(0.0, "b", role="parameter")
    with record() as t:
        for x, y in [(1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]:
            w.zero_grad()
            b.zero_grad()
            loss = (w * x + b - y) ** 2
            loss.label = "loss"
            loss.backward()
            w.data -= 0.05 * w.grad
            b.data -= 0.05 * b.grad
    clear_layout_cache()
    before = layout_runs()
    fr = frames(t, focus="w")
    starts = [t.pass_range(p)[0] + 1 for p in range(3)]
    for k in starts:
        shown = titles(fr[k])
        assert "w" in shown and "loss" in shown and "Only the paths from w to loss" in fr[k]
    assert layout_runs() - before == 1  # the three passes have one focused structure: one dot run
