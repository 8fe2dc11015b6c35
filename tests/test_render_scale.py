"""Big and hostile graphs: neuron detection linear in the graph, scenes cached per structure, a
picture too big to lay out refused with a sentence, labels that Graphviz would expand, long labels
cut everywhere, and a system `dot` that hangs."""

import os

import pytest

from backprop_viz import BackpropPlayer, Value, draw, export_html, frames, record, trace_of
from backprop_viz.render import collapse, layout
from backprop_viz.render.frames import LAYOUT_MAX_NODES, GraphTooBigError
from backprop_viz.text.names import NAME_CHARS
from backprop_viz.render import style
from render_graphs import micrograd_first_example, mse_chain as mse, ones_chain as ones, random_graph

import importlib

frames_module = importlib.import_module("backprop_viz.render.frames")


def _walked(monkeypatch, loss):
    """How many nodes the + trees of collapse walk for the graph of `loss`."""
    count = [0]
    real = collapse._sum_tree

    def counting(s, top, uses, taken=()):
        inner, terms = real(s, top, uses, taken)
        count[0] += len(inner) + len(terms)
        return inner, terms

    monkeypatch.setattr(collapse, "_sum_tree", counting)
    trace = trace_of(loss)
    frames_module.clear_layout_cache()
    draw(trace.snapshot(len(trace)))
    return count[0], trace.num_nodes


@pytest.mark.parametrize("graph", [mse, ones])
def test_finding_neurons_and_sums_is_linear_in_the_graph(monkeypatch, graph):
    small, n_small = _walked(monkeypatch, graph(1000))
    big, n_big = _walked(monkeypatch, graph(4000))
    assert n_big >= 3.9 * n_small
    assert big <= 5 * small  # quadratic would be 16 times; it was: every + walked its whole tree
    assert big <= 3 * n_big


def test_a_picture_is_made_once_per_structure(monkeypatch):
    calls = [0]
    real = frames_module.scene_for

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(frames_module, "scene_for", counting)
    frames_module.clear_layout_cache()
    trace = trace_of(mse(300))
    for k in (0, len(trace) // 2, len(trace)):
        draw(trace.snapshot(k))
    assert calls[0] == 1


def test_collapsing_finds_the_same_neurons_as_before():
    """An MLP's neurons still collapse: Σwx+b groups, one per neuron."""
    from render_graphs import micrograd_demo_loss

    trace = trace_of(micrograd_demo_loss(n_points=2))
    s = frames_module.structure_of(trace, 0)
    groups, what = collapse._groups(s)
    kinds = [text for text, _, _ in groups.values()]
    assert "neurons" in what and kinds.count("ReLU(Σwx+b)") == 2 * 32 and kinds.count("Σwx+b") == 2


# ---- item 4: too big to lay out ----
def _big_trace():
    return trace_of(random_graph(1500, seed=3))


def test_a_picture_too_big_to_lay_out_is_refused_with_a_sentence():
    trace = _big_trace()
    runs = frames_module.layout_runs()
    with pytest.raises(GraphTooBigError, match="focus=") as info:
        draw(trace.snapshot(0), max_nodes=5000)
    text = str(info.value)
    assert f"{LAYOUT_MAX_NODES:,}" in text and "max_nodes=5000" in text and "max_nodes (200 by default)" in text
    assert isinstance(info.value, ValueError)
    with pytest.raises(GraphTooBigError, match="뉴런과 합을 노드 하나로"):
        draw(trace.snapshot(0), max_nodes=5000, lang="ko")
    draw(trace.snapshot(0))  # the default collapses it: drawn
    assert frames_module.layout_runs() == runs  # no layout was started


@pytest.mark.dot
def test_frames_and_the_player_refuse_it_too():
    trace = _big_trace()
    with pytest.raises(GraphTooBigError, match="focus="):
        frames(trace, max_nodes=5000)[0]
    with pytest.raises(GraphTooBigError, match="focus="):
        BackpropPlayer(trace, max_nodes=5000)


# ---- item 10: a dot that hangs ----
def test_the_system_timeout_fits_a_classroom():
    assert layout.TIMEOUT_S <= 30


def test_a_picture_piped_through_a_hanging_dot_is_one_dot_error(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(layout.ENV, "system")
    monkeypatch.setattr(layout, "TIMEOUT_S", 0.5)
    g = draw(micrograd_first_example().snapshot(0))
    with pytest.raises(layout.DotError, match=r"took more than 0.5 s to lay out this graph and was stopped: "
                                              r"draw less of it, e.g. with focus="):
        g.pipe(format="svg")
    with pytest.raises(layout.DotError, match="took more than 0.5 s"):
        g.render(tmp_path / "pic", format="png")


# ---- item 11: \N and \G stay as typed ----
def _one_label(text):
    a = Value(2.0, text)
    with record() as trace:
        L = a * 3.0
        L.label = "L"
        L.backward()
    return trace


def test_backslashes_in_labels_reach_dot_doubled():
    trace = _one_label(r"a\N\G")
    source = draw(trace.snapshot(len(trace))).source
    assert r"a\\N\\G" in source and r"a\N\G<" not in source


@pytest.mark.dot
def test_backslashes_in_labels_are_drawn_as_typed():
    import re

    trace = _one_label(r"a\N\G")
    svg = draw(trace.snapshot(len(trace))).pipe(format="svg", encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "a\\N\\G" in texts and not any("backprop" in t for t in texts)


# ---- item 13: long labels cut everywhere ----
def test_a_long_label_is_cut_in_captions_the_table_and_the_page(tmp_path):
    assert NAME_CHARS == style.TITLE_CHARS  # the picture cuts labels at the same length
    long = "z" * 1_000_000
    trace = _one_label(long)
    for k in range(len(trace) + 1):
        for lang in ("en", "ko"):
            for fmt in ("text", "latex"):
                assert len(trace.snapshot(k).caption(lang, fmt=fmt)) < 2_000
    assert "z" * (NAME_CHARS - 1) + "…" in trace.snapshot(1).caption()
    page = export_html(trace, tmp_path / "long.html")
    assert page.stat().st_size < 300_000  # was 22 MB for these 7 steps


@pytest.mark.dot
def test_the_table_cuts_a_long_label_and_keeps_it_in_a_tooltip():
    long = "q" * 5000
    trace = _one_label(long)
    player = BackpropPlayer(trace)
    player.last()
    table = player.table.value
    assert "q" * (NAME_CHARS - 1) + "…</span>" in table and 'title="' + "q" * 999 + "…" in table
    assert len(table) < 5000
