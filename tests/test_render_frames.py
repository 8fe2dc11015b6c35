"""Frames as compact SVG: every look a class of one stylesheet scoped under the frame's root,
coordinates with one decimal, the looks each state needs, and the GIF rasteriser drawing them."""

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_viz import Value, frames, record, trace_of
from backprop_viz.render import css, style
from render_graphs import random_graph, micrograd_first_example as small_trace
from svg_style import SVG, computed, parent_map, rules

pytestmark = pytest.mark.dot

STYLE_ATTRS = {"fill", "stroke", "stroke-dasharray", "font-family", "font-size", "font-weight", "text-anchor",
               "color", "opacity"}
NUMBER_ATTRS = ("x", "y", "width", "height", "r", "rx", "ry", "d", "points", "transform", "viewBox")



def array_trace():
    W = Value(np.arange(6.0).reshape(2, 3) - 2.0, "W", role="parameter")
    x = Value(np.array([1.0, -1.0]), "x")
    loss = (x @ W).tanh().sum()
    loss.label = "loss"
    return trace_of(loss)


def step_of(trace, kind, node=None, child=None):
    for i, ev in enumerate(trace.events):
        if ev.kind == kind and (node is None or ev.node == node) and (child is None or ev.child == child):
            return i + 1
    raise AssertionError("no such event")


class Frame:
    """A parsed frame with the style its own sheet gives each element."""

    def __init__(self, svg):
        self.root = ET.fromstring(svg)
        self.parents = parent_map(self.root)
        self.sheet = rules(self.root)

    def look(self, el):
        return computed(self.root, el, self.parents, self.sheet)

    def node(self, kind, local):
        return self.root.find(f".//{SVG}g[@class='bv-{kind}'][@data-node='{local}']")

    def edges(self):
        return [g for g in self.root.find(f"{SVG}g[@class='bv-graph']") if g.get("class")[0] in "eg"]

    def labels(self):
        return [g for g in self.root.iter(f"{SVG}g") if (g.get("class") or "").startswith("l ")]


def test_every_look_comes_from_one_stylesheet_scoped_under_the_root():
    t = small_trace()
    svgs = [frames(t)[k] for k in (0, step_of(t, "forward", node=4), len(t))]
    svgs += [frames(array_trace(), lang="ko", rankdir="TB")[-1], frames(trace_of(random_graph(30, seed=3)))[40]]
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("class") == css.ROOT
        [sheet] = root.iter(f"{SVG}style")
        # the same rules in every frame of every graph, language and direction: two players on one
        # page carry identical sheets, so neither can restyle the other
        assert sheet.text == css.STYLESHEET
        for parts, *_ in rules(root):
            assert parts[0] == f".{css.ROOT}", parts  # nothing outside a frame can match
        parents = parent_map(root)
        for el in root.iter():
            inline = STYLE_ATTRS & set(el.attrib)
            assert not inline, (el.tag, el.attrib)
            if "stroke-width" in el.attrib:  # the one number that varies: a gradient edge's pen
                edge = parents[el].get("class") in ("gp", "gn", "gz", "gm")
                legend = parents[parents[el]].get("class") == "bv-legend lg"
                assert el.tag == f"{SVG}path" and (edge or legend), el.attrib
    assert not (re.search(r"[<&]", css.STYLESHEET))  # plain text inside <style>, also in HTML


def test_coordinates_have_at_most_one_decimal():
    fr = frames(trace_of(random_graph(60, seed=2)))
    for k in (0, len(fr) // 2, len(fr) - 1):
        for el in ET.fromstring(fr[k]).iter():
            for name in NUMBER_ATTRS:
                for number in re.findall(r"\d*\.\d+", el.get(name, "")):
                    assert len(number.split(".")[1]) == 1, (name, el.get(name))


def test_forward_looks_pending_done_active_and_parameter():
    t = small_trace()
    f = Frame(frames(t)[step_of(t, "forward", node=4)])  # d = e + c is being computed
    box = lambda local: f.look(f.node("value", local).find(f"{SVG}rect"))  # noqa: E731
    active, done, pending, param = box(4), box(2), box(6), box(1)
    assert (active["fill"], active["stroke"], active["stroke-width"]) == (style.ACTIVE_FILL, style.ACTIVE_EDGE, "2.5")
    assert (done["fill"], done["stroke"]) == (style.DONE_FILL, style.DONE_EDGE) and "stroke-dasharray" not in done
    assert pending["fill"] == "#ffffff" and pending["stroke-dasharray"] == "4 3"
    assert (param["stroke"], param["stroke-width"]) == (style.PARAM_EDGE, "2")
    op = f.look(f.node("op", 4)[0])
    assert op["fill"] == style.ACTIVE_FILL
    title = f.node("value", 4).find(f"{SVG}text[@class='tt']")
    look = f.look(title)
    assert title.text == "d" and (look["font-weight"], look["text-anchor"]) == ("bold", "middle")
    numbers = [e for e in f.node("value", 4).iter(f"{SVG}text") if e.get("class") == "n"]
    assert [e.text for e in numbers] == ["4"] and f.look(numbers[0])["text-anchor"] == "end"
    assert not [e for e in f.node("value", 6).iter(f"{SVG}text") if e.get("class") == "n"]  # L: nothing yet
    heads = [f.look(e)["fill"] for e in f.node("value", 4).iter(f"{SVG}text") if e.get("class") == "h"]
    assert heads == [style.MUTED, style.MUTED]
    assert f.look(f.root.find(f".//{SVG}text[@class='bv-status']"))["font-weight"] == "bold"
    assert f.look(f.root)["font-family"].startswith("'DejaVu Sans Mono'")


def test_backward_looks_edge_colour_width_label_and_tint():
    t = small_trace()
    k = step_of(t, "backward", child=2)  # e = a·b hands a its share: dL/da = dL/de · b = -2 · -3 = 6
    fr = frames(t)
    f = Frame(fr[k])
    edges, scene = f.edges(), fr.view(0)[0].scene  # edges are drawn in the scene's order
    active, earlier = edges[scene.edge_of[(2, 0)]], edges[scene.edge_of[(4, 0)]]  # a -> ×, and e -> + (-2)
    curve, head = active.find(f"{SVG}path"), active.find(f"{SVG}polygon")
    assert f.look(curve)["stroke"] == style.POSITIVE and f.look(curve)["fill"] == "none"
    assert f.look(head)["fill"] == style.POSITIVE  # the arrowhead takes the edge's colour
    assert f.look(earlier.find(f"{SVG}path"))["stroke"] == style.NEGATIVE
    # the active edge is drawn 1.5 wider than it stays once delivered
    later = Frame(fr[k + 1]).edges()[scene.edge_of[(2, 0)]].find(f"{SVG}path")
    assert float(f.look(curve)["stroke-width"]) == pytest.approx(float(later.get("stroke-width")) + 1.5)
    [label] = [g for g in f.labels() if "la" in g.get("class").split()]
    plate, text = label.find(f"{SVG}rect"), label.find(f"{SVG}text")
    assert text.text == "← 6" and f.look(text)["font-weight"] == "bold"
    assert (f.look(plate)["fill"], f.look(plate)["stroke"]) == (style.ACTIVE_FILL, style.POSITIVE)
    quiet = [g for g in f.labels() if g is not label]
    assert quiet and all(f.look(g.find(f"{SVG}rect"))["fill"] == "#ffffff" for g in quiet)
    assert all("font-weight" not in f.look(g.find(f"{SVG}text")) for g in quiet)
    tint = f.node("value", 0).find(f"{SVG}rect[@class='tp']")  # a's gradient row, tinted as positive
    assert f.look(tint)["fill"] == style.TINT[1]
    pending = [g for g in edges if g.get("class") == "e1"]  # computed, no gradient yet
    assert pending and f.look(pending[0].find(f"{SVG}path"))["stroke-width"] == "1.2"


def test_hostile_labels_cannot_reach_the_stylesheet():
    labels = ["</style><style>rect{fill:red}", "}.bv-svg *{display:none}", "<![CDATA[x]]>"]
    values = [Value(float(i + 1), label) for i, label in enumerate(labels)]
    total = values[0] + values[1] + values[2]
    svg = frames(trace_of(total))[-1]
    root = ET.fromstring(svg)
    assert [s.text for s in root.iter(f"{SVG}style")] == [css.STYLESHEET]
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tt"]
    assert all(label in titles for label in labels)


def test_the_gif_rasteriser_draws_the_styles():
    """The GIF export's renderer (resvg, in-process) honours the stylesheet: the active box is
    yellow, the gradient row tinted, the card white, a positive edge vermillion — read from the pixels."""
    from PIL import Image

    from backprop_viz.export import gif
    from backprop_viz.export.common import _bare_svg

    t = small_trace()
    svg = frames(t)[step_of(t, "backward", child=2)]
    f = Frame(svg)
    bare = _bare_svg(svg)
    width = gif._svg_points(bare)[0]
    png = gif._rasterize(gif._framed(bare, None, width, pixels=2 * width))  # zoom 2
    image = Image.open(io.BytesIO(png)).convert("RGB")
    gx, gy = (float(v) for v in re.findall(r"[-\d.]+", f.root.find(f"{SVG}g[@class='bv-graph']").get("transform")))

    def pixel(x, y):  # user units (the viewBox's) -> the PNG's pixels
        scale = image.width / float(f.root.get("viewBox").split()[2])
        return image.getpixel((int(x * scale), int(y * scale)))

    def hexcolor(rgb):
        return "#%02x%02x%02x" % rgb

    def node_at(local, dx, dy):
        x0, y0 = (float(v) for v in re.findall(r"[-\d.]+", f.node("value", local).get("transform")))
        return pixel(gx + x0 + dx, gy + y0 + dy)

    assert hexcolor(node_at(0, 50, 24)) == style.ACTIVE_FILL  # a, the active node, between its rows
    assert hexcolor(node_at(0, 3, 40)) == style.TINT[1]  # its gradient row
    assert hexcolor(pixel(4, float(f.root.get("viewBox").split()[3]) / 2)) == style.BACKGROUND
    active = f.edges()[frames(t).view(0)[0].scene.edge_of[(2, 0)]]
    assert active.get("class") == "gp"
    corners = [tuple(map(float, p.split(","))) for p in active.find(f"{SVG}polygon").get("points").split()]
    cx, cy = (sum(c[0] for c in corners) / 3, sum(c[1] for c in corners) / 3)  # inside the arrowhead
    assert hexcolor(pixel(gx + cx, gy + cy)) == style.POSITIVE


def _translate(el):
    m = re.match(r"translate\(([-\d.]+) ([-\d.]+)\)", el.get("transform", ""))
    return (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_gradient_plates_stay_inside_the_picture_and_off_the_legend(rankdir):
    """Every gradient plate of the last frame (every edge has one by then) lies inside the SVG's
    width and above the legend, for graphs whose edges run along the layout's rim."""
    for trace in (small_trace(), trace_of(random_graph(40, seed=4)), array_trace()):
        svg = frames(trace, rankdir=rankdir)[len(trace)]
        root = ET.fromstring(svg)
        width, height = float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))
        graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "bv-graph")
        legend = next(g for g in root.iter(f"{SVG}g") if "bv-legend" in (g.get("class") or ""))
        gx, gy = _translate(graph)
        legend_top = _translate(legend)[1] - 9  # the legend's swatches start 9 units above its origin
        plates = [g.find(f"{SVG}rect") for g in graph.iter(f"{SVG}g") if (g.get("class") or "").split()[:1] == ["l"]]
        assert plates, "the last frame carries gradient plates"
        for r in plates:
            x, y, w, h = (float(r.get(a)) for a in ("x", "y", "width", "height"))
            assert 0 <= gx + x and gx + x + w <= width, (rankdir, x, w, width)
            assert 0 <= gy + y and gy + y + h <= legend_top <= height, (rankdir, y, h, legend_top)
