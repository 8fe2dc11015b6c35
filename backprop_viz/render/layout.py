"""Layout: run Graphviz once on a scene of fixed-size boxes and read back where it put them.

The one place that chooses a Graphviz: the libraries bundled in the pygraphviz wheel, in this
process (what `pip install` brings on Linux x86-64, Windows and macOS), else the system program
`dot` as a subprocess. Every error sentence and time limit of running Graphviz lives here."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

import graphviz

__all__ = ["DotNotFoundError", "DotError", "layout_dot", "run_dot", "parse_layout", "Layout", "check_dot",
           "graph_attrs", "layout_engine", "picture_engine", "pipe_source", "ENGINES"]

ENGINES = ("bundled", "system")  # in the order they are tried
TIMEOUT_S = 30  # a system `dot` run longer than this is stopped: a class does not wait longer (graphs
# too big to lay out in seconds are refused before, see frames.LAYOUT_MAX_NODES)
# BACKPROP_VIZ_GRAPHVIZ=system (or bundled) picks one engine, e.g. to compare them; unset: the first found.
ENV = "BACKPROP_VIZ_GRAPHVIZ"

INSTALL = ("Drawing needs Graphviz, and none was found: neither the pygraphviz wheel (which brings its "
           "own Graphviz; `pip install pygraphviz`, on Linux x86-64, Windows and macOS) nor the program "
           "`dot` on PATH (`sudo apt-get install graphviz` on Debian/Ubuntu, `brew install graphviz` on "
           "macOS, `conda install -c conda-forge graphviz`), so install one and restart the kernel.")


class DotNotFoundError(graphviz.ExecutableNotFound):
    """No Graphviz at all: neither the pygraphviz wheel nor the `dot` program (the message says
    what to install). A graphviz.ExecutableNotFound, so code catching that catches this too."""

    __module__ = "backprop_viz.render"

    def __init__(self, message=INSTALL):
        RuntimeError.__init__(self, message)


class DotError(RuntimeError):
    """Graphviz ran but failed."""


_BUNDLED = []  # [pygraphviz module or None], looked up once
_LOCK = threading.Lock()  # the Graphviz libraries keep global state: one layout at a time


def _pygraphviz():
    """The pygraphviz module when its wheel (and so its Graphviz) can be loaded, else None."""
    if not _BUNDLED:
        try:
            import pygraphviz
        except (ImportError, OSError):  # not installed, or its libraries do not load here
            pygraphviz = None
        _BUNDLED.append(pygraphviz)
    return _BUNDLED[0]


def _wanted():
    want = os.environ.get(ENV, "").strip().lower()
    if want and want not in ENGINES:
        raise ValueError(f"{ENV} must be one of {', '.join(ENGINES)} (or unset), not {want!r}.")
    return (want,) if want else ENGINES


def layout_engine():
    """'bundled' (pygraphviz's Graphviz, in this process) or 'system' (the `dot` program), the
    first one found; DotNotFoundError when there is neither."""
    for engine in _wanted():
        if engine == "bundled" and _pygraphviz() is not None:
            return engine
        if engine == "system" and shutil.which("dot") is not None:
            return engine
    raise DotNotFoundError()


def check_dot():
    """The engine that will lay graphs out (see layout_engine); DotNotFoundError when none."""
    return layout_engine()


def run_dot(source, fmt="svg", engine=None):
    """Graphviz `dot` laying out DOT text and writing it as `fmt`: text for svg/dot/json/plain,
    bytes otherwise. engine: 'bundled', 'system' or None (the first found)."""
    out = pipe_source(source, fmt, engine=engine or layout_engine())
    return out.decode("utf-8") if fmt in ("svg", "dot", "json", "plain") else out


def picture_engine(prog="dot"):
    """The engine for showing or saving a draw() picture: the system program when it is there
    (graphviz's own behaviour, every format it has), else the bundled one."""
    for engine in reversed(_wanted()):
        if engine == "system" and shutil.which(prog) is not None:
            return engine
        if engine == "bundled" and _pygraphviz() is not None:
            return engine
    raise DotNotFoundError()


def pipe_source(source, fmt="svg", prog="dot", engine="bundled"):
    """The bytes of DOT text laid out by Graphviz program `prog` ('dot', 'neato', …) and written
    as `fmt` ('svg', 'png', 'pdf', 'png:cairo', …) by `engine` ('bundled' or 'system')."""
    return _pipe_bundled(source, fmt, prog) if engine == "bundled" else _pipe_system(source, fmt, prog)


def _pipe_bundled(source, fmt, prog):
    pgv = _pygraphviz()
    if pgv is None:
        raise DotNotFoundError()
    # pygraphviz writes "layout may take a long time" to sys.stderr past 1000 nodes: big graphs
    # are summarised before they get here, and a student need not read it
    with _LOCK, contextlib.redirect_stderr(io.StringIO()), _without_fontconfig_warnings():
        try:
            return pgv.AGraph(string=source).draw(format=fmt, prog=prog)
        except (ValueError, pgv.DotError) as e:
            raise DotError(f"Graphviz (bundled with pygraphviz) failed on this graph: {str(e)[:500]}") from None


@contextlib.contextmanager
def _without_fontconfig_warnings():
    """The Fontconfig inside the wheel is older than many systems' configuration files and, the
    first time it measures text, warns on file descriptor 2 about elements it does not know
    (a red line under a student's cell, though nothing is wrong): those lines are dropped,
    anything else Graphviz writes there is passed on."""
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (some embedded interpreters): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode("utf-8", "replace").splitlines()
                    if line and not line.startswith("Fontconfig warning")]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


def _pipe_system(source, fmt, prog):
    path = shutil.which(prog)
    if path is None:
        raise DotNotFoundError()
    try:
        done = subprocess.run([path, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_S)
    except FileNotFoundError:
        raise DotNotFoundError() from None
    except subprocess.TimeoutExpired:
        raise DotError(f"Graphviz `{prog}` took more than {TIMEOUT_S} s to lay out this graph and was stopped: "
                       "draw less of it, e.g. with focus='w1' (only the paths from w1 to the loss) or a "
                       "smaller max_nodes (neurons and sums drawn as one node each).") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise DotError(f"Graphviz `{prog}` failed on this graph: {err[:500]}")
    return done.stdout


def graph_attrs(scene, rankdir):
    """Graph attributes shared by the layout and draw(): both place nodes the same way."""
    if rankdir == "LR":
        ranksep, nodesep = (1.3 if scene.arrays else 0.95) if scene.labels else 0.55, 0.22
    else:  # labels are wide: keep the edges into one op apart
        ranksep, nodesep = (0.5, 0.4) if scene.labels else (0.4, 0.22)
    attrs = {"rankdir": rankdir, "ranksep": f"{ranksep:g}", "nodesep": f"{nodesep:g}"}
    if len(scene.nodes) > 500:  # dot's placement search grows fast; cap it (seconds -> ~1 s at 1000 values)
        attrs.update(nslimit="0.5", mclimit="0.5")
    return attrs


def _inches(points):
    return f"{points / 72:.4f}"


def node_attrs(node):
    """Layout attributes of a drawn node: its fixed size and shape."""
    shape = "ellipse" if node.kind == "op" else "box"
    return {"shape": shape, "fixedsize": "true", "width": _inches(node.width), "height": _inches(node.height)}


def layout_dot(scene, rankdir):
    """DOT text with every node a fixed-size empty box: the layout cannot depend on any number."""
    lines = ["digraph layout {"]
    lines.append("graph [" + " ".join(f'{k}="{v}"' for k, v in graph_attrs(scene, rankdir).items()) + "];")
    lines.append('node [label="" fixedsize="true"];')
    for node in scene.nodes:
        a = node_attrs(node)
        lines.append(f'{node.key} [id="{node.key}" shape="{a["shape"]}" width="{a["width"]}" height="{a["height"]}"];')
    for k, e in enumerate(scene.edges):
        lines.append(f'{scene.nodes[e.tail].key} -> {scene.nodes[e.head].key} [id="e{k}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Layout:
    """Where dot put things, in SVG points (y grows downwards): the drawing's size, each node's
    centre and size, and each edge's path points (start, then Bézier control and end points)
    and arrowhead corners."""

    width: float
    height: float
    nodes: dict  # key -> (cx, cy, w, h)
    edges: dict  # edge index -> ([(x, y) path points], [(x, y) arrowhead corners])


_GROUP = re.compile(r'<g id="([^"]+)" class="(node|edge)">(.*?)</g>', re.S)
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
# the shapes inside one group of dot's SVG: a node's ellipse or polygon, an edge's path then arrowhead
_ELLIPSE = re.compile(r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"')
_POINTS = re.compile(r'<polygon[^>]* points="([^"]+)"')
_PATH = re.compile(r'<path[^>]* d="([^"]+)"')


def parse_layout(svg):
    """A Layout from dot's SVG of `layout_dot`: coordinates shifted by dot's translate()."""
    m = re.search(r'viewBox="([-\d. ]+)"', svg)
    width, height = (float(v) for v in m.group(1).split()[2:4])
    t = re.search(r"translate\(([-\d.]+)[ ,]([-\d.]+)\)", svg)
    tx, ty = float(t.group(1)), float(t.group(2))
    nodes, edges = {}, {}
    for key, cls, body in _GROUP.findall(svg):
        if cls == "node":
            e = _ELLIPSE.search(body)
            if e:
                cx, cy, rx, ry = map(float, e.groups())
                nodes[key] = (cx + tx, cy + ty, 2 * rx, 2 * ry)
            else:
                pts = _numbers(_POINTS.search(body).group(1))
                xs, ys = pts[0::2], pts[1::2]
                nodes[key] = ((min(xs) + max(xs)) / 2 + tx, (min(ys) + max(ys)) / 2 + ty,
                              max(xs) - min(xs), max(ys) - min(ys))
        else:
            d = _PATH.search(body).group(1)
            head = _POINTS.search(body)
            edges[int(key[1:])] = (_shift_path(d, tx, ty), _shift_points(head.group(1), tx, ty) if head else [])
    return Layout(width, height, nodes, edges)


_SEPARATORS = str.maketrans("MC,", "   ")  # what separates the numbers of dot's paths and points


def _numbers(text):
    """The numbers of a path 'Mx,y Cx,y x,y …' or of points 'x,y x,y …' (str.split is a few
    times faster than a regular expression, and a layout has thousands of them)."""
    try:
        return [float(v) for v in text.translate(_SEPARATORS).split()]
    except ValueError:  # anything else dot may write some day
        return [float(v) for v in _NUM.findall(text)]


def _shift_path(d, tx, ty):
    """The points of dot's path 'Mx,y Cx,y x,y x,y …' shifted by (tx, ty): start, then the
    control and end points of each cubic Bézier piece."""
    nums = _numbers(d)
    return [(x + tx, y + ty) for x, y in zip(nums[0::2], nums[1::2])]


def _shift_points(points, tx, ty):
    """An arrowhead's corners shifted by (tx, ty); dot repeats the first corner at the end."""
    nums = _numbers(points)
    pts = [(x + tx, y + ty) for x, y in zip(nums[0::2], nums[1::2])]
    return pts[:-1] if len(pts) > 3 and pts[-1] == pts[0] else pts
