"""Tests for backprop_viz.render: DOT text (no `dot` needed), SVG frames on one layout, big graphs, escaping."""

import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

from backprop_viz import Value, draw, frames, record, trace_of
from backprop_viz.render import DotNotFoundError, Picture, layout_runs
from backprop_viz.render import style
from backprop_viz.render.collapse import SUMMARY_NODES
from backprop_viz.text.words import PICTURE
from render_graphs import micrograd_demo_loss, random_graph, micrograd_first_example as small_trace
from svg_style import computed

SVG = "{http://www.w3.org/2000/svg}"
NASTY = ["<script>alert(1)</script>", 'say "hi"', "{ } | < >", "back\\slash \\n \\l", "two\nlines", "기울기 손실"]



def node_line(source, key):
    return next(line for line in source.splitlines() if line.strip().startswith(f"{key} ["))


def edge_lines(source, tail, head):
    return [line for line in source.splitlines() if line.strip().startswith(f"{tail} -> {head} ")]


def step_of(trace, kind, node=None, child=None):
    for i, ev in enumerate(trace.events):
        if ev.kind == kind and (node is None or ev.node == node) and (child is None or ev.child == child):
            return i + 1
    raise AssertionError("no such event")


def texts(svg):
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def positions(svg):
    """data-node -> where each value box, constant and op node sits in a frame, and each edge's path."""
    out, edges = {}, 0
    for g in ET.fromstring(svg).find(f"{SVG}g[@class='bv-graph']"):
        cls = g.get("class")
        if cls in ("bv-value", "bv-const", "bv-op"):
            out[(cls, g.get("data-node"))] = g.get("transform")
        elif cls[0] in "eg":  # an edge: e0 e1 e2 before its gradient, g<sign> after
            out[("edge", edges)] = g.find(f"{SVG}path").get("d")
            edges += 1
    return out


# ---- DOT text: no `dot` program needed ----

def test_same_trace_gives_the_same_dot_text_every_run():
    first, second = small_trace(), small_trace()
    for k in range(len(first) + 1):
        assert draw(first.snapshot(k)).source == draw(second.snapshot(k)).source
    script = textwrap.dedent("""
        import hashlib, sys
        sys.path.insert(0, "tests")
        from render_graphs import random_graph
        from backprop_viz import draw, trace_of
        t = trace_of(random_graph(40, seed=3))
        text = "".join(draw(t.snapshot(k)).source for k in range(0, len(t) + 1, 7))
        print(hashlib.sha256(text.encode()).hexdigest())
    """)
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(digests) == 1  # set or dict order never leaks into the picture


def test_forward_fills_computed_nodes_and_highlights_the_active_one():
    t = small_trace()  # ids: a0 b1 e2 c3 d4 f5 L6
    k = step_of(t, "forward", node=4)  # d = e + c
    src = draw(t.snapshot(k)).source
    assert style.ACTIVE_FILL in node_line(src, "v4") and "2.5" in node_line(src, "v4")
    assert style.ACTIVE_FILL in node_line(src, "o4")  # its op node too
    assert style.DONE_FILL in node_line(src, "v2")  # computed before
    assert "dashed" in node_line(src, "v6") and ">−8<" not in node_line(src, "v6")  # L not yet
    assert ">4<" in node_line(src, "v4")  # d = 2·(-3) + 10
    later = draw(t.snapshot(step_of(t, "forward", node=6))).source
    assert ">−8<" in node_line(later, "v6") and "dashed" not in node_line(later, "v6")


def test_backward_highlights_the_edge_with_its_signed_contribution():
    t = small_trace()
    k = step_of(t, "backward", child=2)  # e = a·b hands a its share first
    ev = t.event(k - 1)
    assert ev.node == 0 and ev.contribution == pytest.approx(6.0)  # dL/da = dL/de · b = -2 · -3
    src = draw(t.snapshot(k)).source
    [line] = edge_lines(src, "v0", "o2")
    assert style.POSITIVE in line and "← 6<" in line and "<B>" in line
    assert style.ACTIVE_FILL in node_line(src, "v0")
    k2 = k + 1  # then b: dL/db = dL/de · a = -2 · 2 = -4 < 0
    assert t.event(k2 - 1).node == 1
    [line_b] = edge_lines(draw(t.snapshot(k2)).source, "v1", "o2")
    assert style.NEGATIVE in line_b and "← −4<" in line_b
    # once delivered, an edge stays coloured, thinner than while active
    [later] = edge_lines(draw(t.snapshot(k2)).source, "v0", "o2")
    width = lambda line: float(re.search(r'penwidth="?([\d.]+)', line).group(1))  # noqa: E731
    assert style.POSITIVE in later and width(later) < width(line)
    # before the backward pass, no gradient colour anywhere
    forward_only = draw(t.snapshot(step_of(t, "seed") - 1)).source
    edges = [line for line in forward_only.splitlines() if " -> " in line]
    assert len(edges) == 9 and not any(c in line for line in edges for c in (style.POSITIVE, style.NEGATIVE))


def test_a_plus_a_draws_two_parallel_edges_and_accumulates_visibly():
    a = Value(3.0, "a")
    b = a + a
    b.label = "b"
    L = b * a  # a also fans out to the product: three contributions in all
    L.label = "L"
    t = trace_of(L)
    last = draw(t.snapshot(len(t))).source
    pair = edge_lines(last, "v0", "o1")
    assert len(pair) == 2
    assert {re.search(r'id="?(e1_\d)', line).group(1) for line in pair} == {"e1_0", "e1_1"}
    grads_of_a = []
    for k in range(len(t) + 1):
        ev = t.event(k - 1) if k else None
        if ev is not None and ev.kind == "backward" and ev.node == 0:
            line = node_line(draw(t.snapshot(k)).source, "v0")
            grads_of_a.append(re.findall(r'ALIGN="RIGHT"[^>]*>(−?\d+(?:\.\d+)?)<', line)[-1])
    # every += is visible: 6 (through the product), then 6 + 3 and 9 + 3 (the two edges of a + a)
    assert grads_of_a == ["6", "9", "12"]
    assert all("← 3<" in line for line in pair)  # both parallel edges keep their own label


def test_update_phase_highlights_the_parameter_with_its_new_value():
    w = Value(1.5, "w", role="parameter")
    with record() as t:
        loss = (w * 2.0 - 1.0) ** 2
        loss.backward()
        w.data = w.data - 0.1 * w.grad
    snap = t.snapshot(len(t))
    assert snap.phase == "update"
    line = node_line(draw(snap).source, f"v{snap.nodes.index(0)}")
    assert style.ACTIVE_FILL in line and style.number_text(w.data) in line


def test_array_nodes_show_shape_mean_and_range():
    W = Value(np.arange(6.0).reshape(2, 3) - 2.0, "W", role="parameter")
    x = Value(np.array([1.0, -1.0]), "x")
    loss = (x @ W).sum()
    loss.label = "loss"
    src = draw(trace_of(loss).snapshot(0)).source
    line = node_line(src, "v1")  # x enters first, as the first operand
    assert "W &#91;2×3&#93;" in line and "mean 0.5<" in line and "−2…3" in line
    assert PICTURE["en"]["legend_mixed"] in src  # arrays can carry gradients of both signs


def test_korean_and_top_to_bottom_options():
    t = small_trace()
    src = draw(t.snapshot(len(t)), rankdir="TB", lang="ko").source
    assert 'rankdir="TB"' in src or "rankdir=TB" in src
    assert "기울기" in src and "역전파" in src and "↑" in src and "←" not in src


def test_bad_arguments_get_clear_messages():
    t = small_trace()
    with pytest.raises(ValueError, match="rankdir must be 'LR'"):
        draw(t.snapshot(0), rankdir="RL")
    with pytest.raises(ValueError, match="lang must be one of"):
        frames(t, lang="fr")
    with pytest.raises(ValueError, match="max_nodes"):
        frames(t, max_nodes=0)
    with pytest.raises(TypeError, match=r"draw\(trace.snapshot\(k\)\)"):
        draw(t)
    with pytest.raises(TypeError, match="trace_of"):
        frames(Value(1.0))
    with pytest.raises(IndexError, match="frames 0 to"):
        frames(t)[len(t) + 1]


def test_labels_are_escaped_in_dot():
    values = [Value(float(i + 1), label) for i, label in enumerate(NASTY)]
    total = values[0]
    for v in values[1:]:
        total = total + v
    src = draw(trace_of(total).snapshot(0)).source
    assert "<script>" not in src and "&lt;script&gt;" in src
    assert "&quot;hi&quot;" in src and "&#123; &#125; &#124; &lt; &gt;" in src
    assert "two↵lines" in src and "\n" not in "".join(node_line(src, f"v{i}") for i in range(len(NASTY)))


def test_readable_sizes_are_collapsed_into_neurons():
    loss = micrograd_demo_loss(n_points=1)
    t = trace_of(loss)
    assert len(t.nodes) > 1000
    src = draw(t.snapshot(len(t))).source
    assert "each neuron drawn as one node" in src
    assert src.count("ReLU(Σwx+b)") == 32 and src.count("Σwx+b") == 33  # 16 + 16 hidden, 1 linear
    assert sum(1 for line in src.splitlines() if re.match(r"\s*v\d+ \[", line)) <= 200


@pytest.fixture(scope="module")
def demo_trace():
    """micrograd's demo loss: MLP 2-16-16-1 on 100 points, a scalar graph of 65,818 nodes."""
    return trace_of(micrograd_demo_loss())


def test_the_65k_node_graph_is_summarised(demo_trace):
    assert len(demo_trace.nodes) == 65_818
    src = draw(demo_trace.snapshot(len(demo_trace))).source
    drawn = [line for line in src.splitlines() if re.match(r"\s*v\d+ \[", line)]
    assert 0 < len(drawn) <= SUMMARY_NODES
    note = re.search(r"Too big to draw \(65,818 nodes\): showing the (\d+) values nearest the output\. "
                     r"Left out: ([\d,]+) nodes", src)
    assert note and int(note.group(2).replace(",", "")) == 65_818 - int(note.group(1))
    assert "ReLU" in src and "more" in src  # what was cut is named and marked


_NO_BUNDLED = "import sys\nsys.modules['pygraphviz'] = None  # as if its wheel were not installed\n"


def _run_without_dot(tmp_path, script, bundled=True):
    """The script run in a fresh Python whose PATH has no `dot` (and, with bundled=False, no pygraphviz)."""
    code = ("" if bundled else _NO_BUNDLED) + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PATH": str(tmp_path)}, cwd=os.path.dirname(os.path.dirname(__file__)))


def test_without_system_graphviz_everything_draws(tmp_path):
    """No `dot` on PATH: frames, draw()'s SVG display, pipe() and render() use the bundled Graphviz."""
    pytest.importorskip("pygraphviz")
    done = _run_without_dot(tmp_path, f"""
        import sys, shutil
        sys.path.insert(0, "tests")
        assert shutil.which("dot") is None
        from render_graphs import random_graph
        from backprop_viz import draw, frames, trace_of
        from backprop_viz.render.layout import layout_engine
        t = trace_of(random_graph(10))
        fr = frames(t)
        assert fr[0].startswith("<svg") and fr[-1] != fr[0]
        g = draw(t.snapshot(len(t)))
        assert 'id="v0"' in g._repr_mimebundle_()["image/svg+xml"]
        assert g.pipe(format="svg", encoding="utf-8").lstrip().startswith("<?xml")
        path = g.render({str(tmp_path / "pic")!r}, format="png")
        assert open(path, "rb").read(4) == b"\\x89PNG", path
        print(layout_engine(), "ok")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["bundled", "ok"]


def test_missing_all_graphviz_gives_one_clear_sentence(tmp_path):
    done = _run_without_dot(tmp_path, """
        sys.path.insert(0, "tests")
        from render_graphs import random_graph
        from backprop_viz import draw, frames, trace_of
        from backprop_viz.render import DotNotFoundError
        t = trace_of(random_graph(10))
        try:
            draw(t.snapshot(0)).pipe(format="svg")
        except DotNotFoundError as e:
            assert e.__cause__ is None and (e.__context__ is None or e.__suppress_context__), "a chained traceback"
            print("draw ok")
        frames(t)
    """, bundled=False)
    assert done.stdout.strip() == "draw ok", done.stderr
    assert done.returncode == 1
    err = done.stderr
    assert err.count("Traceback") == 1 and "During handling" not in err and "ExecutableNotFound" not in err
    message = err.strip().splitlines()[-1]
    assert message.startswith("backprop_viz.render.DotNotFoundError: Drawing needs Graphviz")
    sentence = message.split(": ", 1)[1]
    assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence
    for needle in ("pip install pygraphviz", "`dot`", "apt-get install graphviz", "brew install graphviz",
                   "conda install"):
        assert needle in message


def test_missing_all_graphviz_error_is_a_graphviz_error(monkeypatch, tmp_path):
    from backprop_viz.render import layout

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(layout, "_BUNDLED", [None])
    with pytest.raises(graphviz.ExecutableNotFound, match="pip install pygraphviz"):
        frames(small_trace())


# ---- with the `dot` program ----

@pytest.mark.dot
def test_frames_are_svg_one_per_snapshot_from_one_layout():
    t = trace_of(random_graph(30, seed=1))
    before = layout_runs()
    fr = frames(t)
    assert len(fr) == len(t) + 1
    svgs = list(fr)
    assert layout_runs() - before <= 1  # one dot run for the whole trace (none if cached)
    assert len(svgs) == len(fr) and fr[-1] == svgs[-1] and fr[2:5] == svgs[2:5]
    for svg in svgs:
        root = ET.fromstring(svg)
        card = root.find(f"{SVG}rect")
        assert card.get("class") == "bv-card" and computed(root, card)["fill"] == style.BACKGROUND  # own background
    assert svgs[0] != svgs[-1]


@pytest.mark.dot
def test_no_node_moves_between_frames():
    t = trace_of(random_graph(60, seed=2))
    fr = frames(t)
    first = positions(fr[0])
    assert len(first) > 60
    data = set()
    for svg in fr:
        assert positions(svg) == first
        data.add(tuple(texts(svg)))
    assert len(data) == len(fr)  # every frame shows something new, yet nothing moved


@pytest.mark.dot
def test_training_passes_with_the_same_structure_share_one_layout():
    w, b = Value(0.5, "w", role="parameter"), Value(0.0, "b", role="parameter")
    with record() as t:
        for x, y in [(1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]:
            w.zero_grad()
            b.zero_grad()
            loss = (w * x + b - y) ** 2
            loss.backward()
            w.data -= 0.05 * w.grad
            b.data -= 0.05 * b.grad
    assert t.passes == 3
    from backprop_viz.render import clear_layout_cache

    clear_layout_cache()
    before = layout_runs()
    fr = frames(t)
    svgs = list(fr)
    assert layout_runs() - before == 1
    starts = [t.pass_range(p)[0] + 1 for p in range(3)]
    assert len({tuple(sorted(positions(svgs[k]).values())) for k in starts}) == 1
    assert "pass 3 of 3" in texts(svgs[-1])[0]


@pytest.mark.dot
def test_draw_is_a_digraph_dot_renders(tmp_path):
    t = small_trace()
    g = draw(t.snapshot(len(t)))
    assert isinstance(g, graphviz.Digraph) and isinstance(g, Picture)
    svg = g.pipe(format="svg", encoding="utf-8")
    assert 'id="v6"' in svg and "−8" in texts(svg)  # L = (2·(-3) + 10)·(-2)
    g.attr(bgcolor="lightyellow")  # restyle, then save
    path = g.render(tmp_path / "graph", format="png")
    assert os.path.getsize(path) > 1000


@pytest.mark.dot
def test_nasty_labels_stay_text_in_dot_and_svg():
    values = [Value(float(i + 1), label) for i, label in enumerate(NASTY)]
    total = values[0]
    for v in values[1:]:
        total = total + v
    t = trace_of(total)
    dot_svg = draw(t.snapshot(len(t))).pipe(format="svg", encoding="utf-8")  # dot accepts the DOT
    frame = frames(t)[-1]
    for svg in (dot_svg, frame):
        found = " ".join(texts(svg))  # parses as XML: nothing was read as markup
        for label in NASTY:
            assert label.replace("\n", "↵") in found
        assert not list(ET.fromstring(svg).iter(f"{SVG}script"))


@pytest.mark.dot
def test_the_65k_node_graph_gives_a_summary_frame(demo_trace):
    fr = frames(demo_trace)
    svg = fr[len(fr) - 1]
    root = ET.fromstring(svg)
    values = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bv-value"]
    assert 0 < len(values) <= SUMMARY_NODES
    assert any("Left out:" in text for text in texts(svg))
    assert positions(fr[len(fr) // 2]) == positions(svg)


@pytest.mark.dot
def test_a_trace_loaded_from_json_draws_the_same_frames():
    from backprop_viz import Trace

    t = small_trace()
    back = Trace.from_json(t.to_json())
    assert list(frames(back)) == list(frames(t))
    assert draw(back.snapshot(5)).source == draw(t.snapshot(5)).source


@pytest.mark.dot
def test_draw_renders_graphs_with_array_values():
    A = Value(np.arange(6.0).reshape(2, 3), "A")
    w = Value(np.ones(3), "w")
    loss = (A * w).sum()
    trace = trace_of(loss)
    for k in (0, len(trace)):  # blank cells before values are known, two-line cells after
        svg = draw(trace.snapshot(k)).pipe(format="svg").decode()
        ET.fromstring(svg)
        assert ">A [2×3]<" in svg and ">w [3]<" in svg
