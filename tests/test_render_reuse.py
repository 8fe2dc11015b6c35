"""The re-use badge: at the 2nd … n-th backward step that reads ∂L/∂child, the child's box says it was
computed once and is used n times; the caption says so too. Nodes never move."""

import re

import pytest

from backprop_viz import Value, frames, record
from backprop_viz.text.captions import upstream_uses
from render_graphs import micrograd_first_recorded

pytestmark = pytest.mark.dot

_BADGE = re.compile(r'<g class="bv-reuse"><title>([^<]*)</title><rect x="([\d.-]+)" y="([\d.-]+)"')
_NODE = re.compile(r'<g class="bv-(?:value|op|const)" data-node="(\d+)" transform="([^"]+)"')


def graph():
    return micrograd_first_recorded()


def badged(t, lang="en"):
    fr = frames(t, lang=lang)
    return fr, {k: _BADGE.findall(fr[k]) for k in range(len(t) + 1)}


def test_which_steps_badge_which_node():
    t, _ = graph()
    names = {nid: t.name(nid) for nid in range(t.num_nodes)}
    fr, marks = badged(t)
    want = {}
    for i, ev in t.events_between(0, len(t), "backward"):
        k, n = upstream_uses(t, i)
        if k > 1:
            want[i + 1] = names[ev.child]
    assert sorted(want.values()) == ["d", "e"]  # the loss's own ∂L/∂L = 1 is not counted as computed
    for k, found in marks.items():
        assert len(found) == (1 if k in want else 0), k
        if found:
            assert found[0][0] == "computed once, used ×2"
    # the badge sits on the child's box: right-aligned over it
    for k, child in want.items():
        nid = next(i for i in range(t.num_nodes) if names[i] == child)
        box = re.search(rf'data-node="{nid}" transform="translate\(([\d.-]+) ([\d.-]+)\)"><title>[^<]*</title>'
                        rf'<rect class="[^"]+" width="([\d.]+)"', fr[k])
        x0, y0, w = map(float, box.groups())
        _, bx, by = marks[k][0]
        assert float(by) < y0 and float(bx) < x0 + w


def test_uses_count_edges_out_of_the_child():
    t, v = graph()
    seen = {}
    for i, ev in t.events_between(0, len(t), "backward"):
        seen.setdefault(t.name(ev.child), []).append(upstream_uses(t, i))
    assert seen["d"] == [(1, 2), (2, 2)] and seen["e"] == [(1, 2), (2, 2)]
    assert seen["L"] == [(1, 1), (1, 1)]


def test_nodes_never_move_and_text_stays_readable():
    t, _ = graph()
    fr, marks = badged(t)
    positions = None
    for k in range(len(t) + 1):
        svg = fr[k]
        now = dict(_NODE.findall(svg))
        assert now, k
        positions = positions or now
        assert now == positions, k
        sizes = [float(x) for x in re.findall(r"font-size:([\d.]+)px", svg)]
        assert min(sizes) >= 9.5
        assert re.search(r'width="([\d.]+)pt"', svg).group(1) == re.search(r'width="([\d.]+)pt"', fr[0]).group(1)


def test_badge_fits_in_the_picture():
    t, _ = graph()
    fr, marks = badged(t)
    for k, found in marks.items():
        for _, x, y in found:
            oy = float(re.search(r'class="bv-graph" transform="translate\([\d.-]+ ([\d.-]+)\)', fr[k]).group(1))
            assert oy + float(y) >= 10 + 22 - 0.1  # below the status line


def test_korean_badge_and_caption():
    t, _ = graph()
    fr, marks = badged(t, "ko")
    texts = {m[0][0] for m in marks.values() if m}
    assert texts == {"한 번 계산, 2번 사용"}
    k = next(k for k, m in marks.items() if m)
    assert "한 번만 계산했고 여기에서 다시 씁니다(2번 중 2번째 사용)" in t.snapshot(k).caption("ko")
    assert "∂L/∂d was computed once and is used here again (2 of 2 uses)" in t.snapshot(k).caption("en")


def test_a_value_used_twice_by_one_op():
    a = Value(3.0, "a")
    with record() as t:
        s = a * a
        s.label = "s"
        L = s + a
        L.label = "L"
        L.backward()
    uses = [upstream_uses(t, i) for i, _ in t.events_between(0, len(t), "backward")]
    assert (2, 2) in uses  # s = a · a reads ∂L/∂s twice
    fr, marks = badged(t)
    assert sum(len(m) for m in marks.values()) == 1


def test_the_picture_counts_uses_as_the_captions_do():
    """A pass view counts re-uses in one sweep; every badge it plans is upstream_uses' (k, n)."""
    from render_graphs import random_graph

    from backprop_viz import trace_of
    from backprop_viz.render.collapse import scene_for
    from backprop_viz.render.scene import structure_of
    from backprop_viz.render.state import PassView

    for seed in range(4):
        t = trace_of(random_graph(60, seed=seed))
        view = PassView(t, 0, scene_for(structure_of(t, 0), "en"))
        expected = {i for i, _ in t.events_between(0, len(t), "backward") if upstream_uses(t, i)[0] > 1}
        drawn = {i for i in expected if t.event(i).child in view.local
                 and view.scene.value_of.get(view.local[t.event(i).child]) is not None}
        assert set(view.reuse) == drawn and drawn
        assert all(view.reuse[i][1:] == upstream_uses(t, i) for i in view.reuse)
