"""Layout: run Graphviz `dot` once on a scene of fixed-size boxes and read back where it put them."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

import graphviz

__all__ = ["DotNotFoundError", "DotError", "layout_dot", "run_dot", "parse_layout", "Layout", "check_dot",
           "graph_attrs"]

INSTALL = ("Drawing needs the Graphviz program `dot`, which was not found on PATH: install it with "
           "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
           "`conda install -c conda-forge graphviz`, then restart the kernel.")


class DotNotFoundError(graphviz.ExecutableNotFound):
    """The Graphviz `dot` program is not installed (the message says how to install it).
    A graphviz.ExecutableNotFound, so code catching that catches this too."""

    __module__ = "backprop_viz.render"

    def __init__(self, message=INSTALL):
        RuntimeError.__init__(self, message)


class DotError(RuntimeError):
    """`dot` ran but failed."""


def check_dot():
    """The path of `dot`; DotNotFoundError when it is missing."""
    path = shutil.which("dot")
    if path is None:
        raise DotNotFoundError()
    return path


def run_dot(source, fmt="svg"):
    """`dot -T<fmt>` on DOT text; the output as text (svg) or bytes."""
    try:
        done = subprocess.run([check_dot(), f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=120)
    except FileNotFoundError:
        raise DotNotFoundError() from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise DotError(f"Graphviz `dot` failed on this graph: {err[:500]}")
    return done.stdout.decode("utf-8") if fmt in ("svg", "dot", "json", "plain") else done.stdout


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


def parse_layout(svg):
    """A Layout from dot's SVG of `layout_dot`: coordinates shifted by dot's translate()."""
    m = re.search(r'viewBox="([-\d. ]+)"', svg)
    width, height = (float(v) for v in m.group(1).split()[2:4])
    t = re.search(r"translate\(([-\d.]+)[ ,]([-\d.]+)\)", svg)
    tx, ty = float(t.group(1)), float(t.group(2))
    nodes, edges = {}, {}
    for key, cls, body in _GROUP.findall(svg):
        if cls == "node":
            e = re.search(r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"', body)
            if e:
                cx, cy, rx, ry = map(float, e.groups())
                nodes[key] = (cx + tx, cy + ty, 2 * rx, 2 * ry)
            else:
                pts = [float(v) for v in _NUM.findall(re.search(r'points="([^"]+)"', body).group(1))]
                xs, ys = pts[0::2], pts[1::2]
                nodes[key] = ((min(xs) + max(xs)) / 2 + tx, (min(ys) + max(ys)) / 2 + ty,
                              max(xs) - min(xs), max(ys) - min(ys))
        else:
            d = re.search(r'<path[^>]* d="([^"]+)"', body).group(1)
            head = re.search(r'<polygon[^>]* points="([^"]+)"', body)
            edges[int(key[1:])] = (_shift_path(d, tx, ty), _shift_points(head.group(1), tx, ty) if head else [])
    return Layout(width, height, nodes, edges)


def _shift_path(d, tx, ty):
    """The points of dot's path 'Mx,y Cx,y x,y x,y …' shifted by (tx, ty): start, then the
    control and end points of each cubic Bézier piece."""
    nums = [float(v) for v in _NUM.findall(d)]
    return [(x + tx, y + ty) for x, y in zip(nums[0::2], nums[1::2])]


def _shift_points(points, tx, ty):
    """An arrowhead's corners shifted by (tx, ty); dot repeats the first corner at the end."""
    nums = [float(v) for v in _NUM.findall(points)]
    pts = [(x + tx, y + ty) for x, y in zip(nums[0::2], nums[1::2])]
    return pts[:-1] if len(pts) > 3 and pts[-1] == pts[0] else pts
