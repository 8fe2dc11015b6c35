"""render.layout: which Graphviz lays graphs out (the one bundled in pygraphviz, in this process, else
the `dot` program), the same DOT text and frames every run, and its errors and time limit."""

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from backprop_viz import draw, frames, trace_of
from backprop_viz.render import clear_layout_cache, layout
from render_graphs import micrograd_first_example, random_graph

ROOT = Path(__file__).resolve().parents[1]
needs_bundled = pytest.mark.skipif(layout._pygraphviz() is None, reason="pygraphviz (bundled Graphviz) is not installed")
needs_system = pytest.mark.skipif(layout.shutil.which("dot") is None, reason="no `dot` program on PATH")


def _scene_dot(trace, rankdir="LR", lang="en"):
    from backprop_viz.render.collapse import DEFAULT_MAX_NODES, scene_for
    from backprop_viz.render.scene import structure_of

    return layout.layout_dot(scene_for(structure_of(trace, 0), lang, DEFAULT_MAX_NODES, ()), rankdir)


@needs_bundled
def test_the_bundled_graphviz_comes_first(monkeypatch):
    monkeypatch.delenv(layout.ENV, raising=False)
    assert layout.layout_engine() == "bundled"
    monkeypatch.setenv(layout.ENV, "system")
    if layout.shutil.which("dot"):
        assert layout.layout_engine() == "system"
    monkeypatch.setenv(layout.ENV, "graphviz-please")
    with pytest.raises(ValueError, match="bundled, system"):
        layout.layout_engine()


@needs_bundled
def test_the_bundled_layout_runs_in_this_process(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no program can run
    monkeypatch.delenv(layout.ENV, raising=False)
    lay = layout.parse_layout(layout.run_dot(_scene_dot(micrograd_first_example())))
    assert len(lay.nodes) == 10 and len(lay.edges) == 9 and lay.width > 0


_PRINT_HASHES = """
import hashlib, sys
sys.path.insert(0, "tests")
from render_graphs import micrograd_first_example, random_graph
from backprop_viz import draw, frames, trace_of
for t in (micrograd_first_example(), trace_of(random_graph(40, seed=3))):
    for lang in ("en", "ko"):
        fr = frames(t, lang=lang)
        print(hashlib.sha256("".join(fr).encode()).hexdigest(),
              hashlib.sha256(draw(t.snapshot(len(t) // 2), lang=lang).source.encode()).hexdigest())
"""


@pytest.mark.parametrize("engine", [pytest.param("bundled", marks=needs_bundled),
                                    pytest.param("system", marks=needs_system)])
def test_dot_text_and_frames_are_byte_identical_run_to_run(engine):
    """Two fresh processes (different hash seeds) give the same DOT text and the same SVG frames."""
    runs = [subprocess.run([sys.executable, "-c", _PRINT_HASHES], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": seed, layout.ENV: engine}, check=True).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1] and len(runs[0].split()) == 8


@needs_bundled
@needs_system
def test_both_engines_lay_out_the_same_boxes():
    """Same DOT text in, the same nodes and edges out, each box its fixed size; positions may differ
    (the bundled Graphviz is a newer version than a system one), so every frame of one trace
    keeps the positions of the one engine that laid it out."""
    for t in (micrograd_first_example(), trace_of(random_graph(30, seed=1))):
        source = _scene_dot(t)
        a, b = (layout.parse_layout(layout.run_dot(source, engine=e)) for e in ("bundled", "system"))
        assert a.nodes.keys() == b.nodes.keys() and a.edges.keys() == b.edges.keys()
        for key in a.nodes:
            assert abs(a.nodes[key][2] - b.nodes[key][2]) <= 1 and a.nodes[key][3] == b.nodes[key][3], key


@needs_bundled
def test_layouts_from_several_threads_match_one_at_a_time():
    t = trace_of(random_graph(30, seed=4))
    clear_layout_cache()
    alone = frames(t)[-1]
    found, errors = [], []

    def work():
        try:
            clear_layout_cache()
            found.append(frames(t)[-1])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and found == [alone] * 4


@pytest.mark.parametrize("engine", [pytest.param("bundled", marks=needs_bundled),
                                    pytest.param("system", marks=needs_system)])
def test_bad_dot_text_is_a_dot_error(engine):
    with pytest.raises(layout.DotError, match="failed on this graph"):
        layout.run_dot("digraph { a -> }", engine=engine)


def test_a_system_dot_that_hangs_is_stopped(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(layout, "TIMEOUT_S", 0.5)
    with pytest.raises(layout.DotError, match="took more than 0.5 s"):
        layout.run_dot("digraph { a }", engine="system")


@needs_bundled
def test_a_picture_saves_through_the_bundled_graphviz_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    t = micrograd_first_example()
    g = draw(t.snapshot(len(t)))
    assert layout.picture_engine() == "bundled"
    svg = g.pipe(format="svg", encoding="utf-8")
    assert 'id="v6"' in svg and svg.count("<g id=") >= 19
    out = g.render(tmp_path / "pic", format="pdf", cleanup=True)
    assert out == str(tmp_path / "pic.pdf") and Path(out).read_bytes()[:4] == b"%PDF"
    assert not (tmp_path / "pic").exists()  # cleanup removed the DOT source, as graphviz does
    out = g.render(outfile=tmp_path / "o.png")
    assert Path(out).read_bytes()[:4] == b"\x89PNG" and (tmp_path / "o.gv").is_file()


def test_without_any_graphviz_one_sentence_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(layout, "_BUNDLED", [None])
    with pytest.raises(layout.DotNotFoundError) as caught:
        layout.layout_engine()
    text = str(caught.value)
    assert text.count(". ") == 0 and "pip install pygraphviz" in text and "apt-get install graphviz" in text
    with pytest.raises(layout.DotNotFoundError):
        draw(micrograd_first_example().snapshot(0)).pipe(format="svg")


def test_the_layout_dot_text_does_not_depend_on_the_engine(monkeypatch):
    """The layout's DOT text is made before any engine is chosen: fixed-size boxes, the graph
    attributes, ids; the same text with the bundled Graphviz, the system one, or none at all."""
    import re

    texts = set()
    for engine in ("bundled", "system"):
        monkeypatch.setenv(layout.ENV, engine)
        texts.add(_scene_dot(micrograd_first_example()))
    monkeypatch.setattr(layout, "_BUNDLED", [None])
    monkeypatch.setenv("PATH", "")
    texts.add(_scene_dot(micrograd_first_example()))
    (source,) = texts
    assert source.startswith('digraph layout {\ngraph [rankdir="LR" ranksep="0.95" nodesep="0.22"];\n'
                             'node [label="" fixedsize="true"];\n'), source[:200]
    assert re.search(r'^v0 \[id="v0" shape="box" width="\d\.\d{4}" height="\d\.\d{4}"\];$', source, re.M), source


def test_no_module_but_layout_runs_graphviz():
    """Subprocess and platform code in one place: only render/layout.py starts a Graphviz."""
    offenders = []
    for path in (ROOT / "backprop_viz").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "layout.py" and ("import pygraphviz" in text or '"dot"' in text and "subprocess" in text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
