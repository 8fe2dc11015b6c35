"""draw(snapshot): the same picture as a frame, as a graphviz.Digraph a user can restyle or save."""

from __future__ import annotations

import os
from collections import OrderedDict

import graphviz

from backprop_viz.render import style
from backprop_viz.render.collapse import DEFAULT_MAX_NODES
from backprop_viz.render.escape import clean, dot_html
from backprop_viz.render.focus import check_focus
from backprop_viz.render.frames import check_options, scene_and_template, status_text
from backprop_viz.render.layout import DotNotFoundError, graph_attrs, node_attrs, picture_engine, pipe_source
from backprop_viz.render.scene import row_header_width
from backprop_viz.render.state import PassView
from backprop_viz.render.template import ACTIVE, DONE, PENDING
from backprop_viz.text.words import PICTURE

__all__ = ["draw", "Picture"]

_BOX = {
    PENDING: {"fillcolor": "#ffffff", "color": style.PENDING, "penwidth": "1", "style": "filled,dashed"},
    DONE: {"fillcolor": style.DONE_FILL, "color": style.DONE_EDGE, "penwidth": "1", "style": "filled"},
    ACTIVE: {"fillcolor": style.ACTIVE_FILL, "color": style.ACTIVE_EDGE, "penwidth": "2.5", "style": "filled"},
}
_EDGE = {
    PENDING: {"color": style.PENDING, "penwidth": "1", "style": "dashed"},
    DONE: {"color": style.DONE_EDGE, "penwidth": "1.2"},
    ACTIVE: {"color": style.ACTIVE_EDGE, "penwidth": "2.4"},
}


_LEFT = '<BR ALIGN="LEFT"/>'


class Picture(graphviz.Digraph):
    """A graphviz.Digraph that shows and saves itself without the `dot` program: through the
    Graphviz bundled with pygraphviz when the program is missing, and with one clear sentence
    when there is no Graphviz at all."""

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
             engine=None, encoding=None):
        prog = engine or self.engine
        which = picture_engine(prog)
        if which == "system" and neato_no_op:
            try:
                return super().pipe(format, renderer=renderer, formatter=formatter, neato_no_op=neato_no_op,
                                    quiet=quiet, engine=engine, encoding=encoding)
            except graphviz.ExecutableNotFound:
                raise DotNotFoundError() from None
        # through render.layout, which stops a system program that runs too long with one DotError
        out = pipe_source(self.source, _fmt(format or self.format, renderer, formatter), prog, which)
        return out if encoding is None else out.decode(encoding)

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, renderer=None,
               formatter=None, neato_no_op=None, quiet=False, quiet_view=False, *, outfile=None, engine=None,
               raise_if_result_exists=False, overwrite_source=False):
        prog = engine or self.engine
        which = picture_engine(prog)
        if which == "system" and neato_no_op:
            try:
                return super().render(filename, directory=directory, view=view, cleanup=cleanup, format=format,
                                      renderer=renderer, formatter=formatter, neato_no_op=neato_no_op,
                                      quiet=quiet, quiet_view=quiet_view, outfile=outfile, engine=engine,
                                      raise_if_result_exists=raise_if_result_exists,
                                      overwrite_source=overwrite_source)
            except graphviz.ExecutableNotFound:
                raise DotNotFoundError() from None
        # the same files graphviz writes: the DOT source, then <source>.[formatter.][renderer.]<format>
        if outfile is not None:
            outfile = os.fspath(outfile)
            format = format or os.path.splitext(outfile)[1][1:].lower() or None
            if filename is None and directory is None:
                filename = os.path.splitext(outfile)[0] + ".gv"
        format = format or self.format
        source = self.save(filename, directory=directory)
        if outfile is None:
            outfile = f"{source}.{'.'.join(x for x in (formatter, renderer, format) if x)}"
        if raise_if_result_exists and os.path.exists(outfile):
            raise graphviz.FileExistsError(f"output file exists: {outfile!r}")
        data = pipe_source(self.source, _fmt(format, renderer, formatter), prog, which)
        with open(outfile, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(source)
        if view:
            self._view(outfile, format=format, quiet=quiet_view)
        return outfile


def _fmt(format, renderer, formatter):
    """Graphviz's -T value: format[:renderer[:formatter]]."""
    return ":".join(x for x in (format, renderer, formatter) if x)


def _font(text, color=None, bold=False, size=None):
    out = dot_html(text)
    if not out:
        return " "  # dot rejects an empty <FONT></FONT>; a blank cell keeps the row's height
    if bold:
        out = f"<B>{out}</B>"
    attrs = (f' COLOR="{color}"' if color else "") + (f' POINT-SIZE="{size}"' if size else "")
    return f"<FONT{attrs}>{out}</FONT>" if attrs else out


def _value_label(scene, node, st, words, lang):
    status, title, d1, d2, g1, g2, gsign = st
    head_w = row_header_width(lang) + 4
    value_w = max(int(node.width - 2 * style.PAD - head_w - 6), 10)
    tint = f' BGCOLOR="{style.TINT[gsign]}"' if gsign is not None else ""
    head = f' BGCOLOR="{style.PARAM_TINT}"' if node.param else ""
    rows = [f'<TR><TD COLSPAN="2"{head}>{_font(title, bold=True)}</TD></TR>']
    data = [(words["data"], d1), ("", d2)] if node.array else [(words["data"], d1)]
    grad = [(words["grad"], g1), ("", g2)] if node.array else [(words["grad"], g1)]
    for (h, text), cell in [(r, "") for r in data] + [(r, tint) for r in grad]:
        rows.append(f'<TR><TD ALIGN="LEFT"{cell}>{_font(h, style.MUTED)}</TD>'
                    f'<TD ALIGN="RIGHT" WIDTH="{value_w}"{cell}>{_font(text)}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _legend(scene, lang, rankdir):
    w = PICTURE[lang]
    items = [(style.ACTIVE_FILL, "■", w["legend_active"]), (style.DONE_EDGE, "□", w["legend_done"]),
             (style.PENDING, "⬚", w["legend_pending"]), (style.PARAM_EDGE, "□", w["legend_param"]),
             (style.POSITIVE, "━", w["legend_pos"]), (style.NEGATIVE, "━", w["legend_neg"])]
    if scene.arrays:
        items.append((style.MIXED, "━", w["legend_mixed"]))
    text = "   ".join(f'{_font(mark, color)} {_font(word, style.MUTED)}' for color, mark, word in items)
    arrow = "←" if rankdir == "LR" else "↑"
    return (text + _LEFT + _font(w["legend_width"] + " · " + w["legend_label"].replace("←", arrow), style.MUTED)
            + _LEFT)


def _edge_id(scene, edge, k):
    """in: 'e<child>_<slot>' (the two edges of a + a differ by slot); out: 'r<child>'."""
    if edge.kind == "in":
        return f"e{edge.child}_{edge.slot}"
    return f"r{edge.child}" if edge.kind == "out" else f"m{k}"


_VIEWS = OrderedDict()  # (trace id, pass, scene id) -> (trace, scene, PassView): the last few drawn
_MAX_VIEWS = 4


def _view(trace, pass_index, scene):
    """The PassView of one pass on one scene, kept for the next draw() of the same pass (reading a
    big pass's gradients from its events costs more than drawing it)."""
    key = (id(trace), pass_index, id(scene), trace.num_nodes, len(trace))
    hit = _VIEWS.get(key)
    if hit is not None and hit[0] is trace and hit[1] is scene:
        _VIEWS.move_to_end(key)
        return hit[2]
    view = PassView(trace, pass_index, scene)
    _VIEWS[key] = (trace, scene, view)
    while len(_VIEWS) > _MAX_VIEWS:
        _VIEWS.popitem(last=False)
    return view


def draw(snapshot, rankdir="LR", lang="en", max_nodes=DEFAULT_MAX_NODES, focus=None):
    """The picture of one snapshot as a graphviz.Digraph (display it, restyle it with .attr(),
    save it with .render()). Same scene, sizes and colours as the frames of frames(trace);
    focus (a node id or label) draws only the paths from that value to the loss, as frames()."""
    from backprop_viz.trace import Snapshot, Trace

    if not isinstance(snapshot, Snapshot):
        if isinstance(snapshot, Trace):
            raise TypeError("draw() takes one snapshot, e.g. draw(trace.snapshot(k)); "
                            "frames(trace) gives every step.")
        raise TypeError(f"draw() takes a Snapshot (trace.snapshot(k)), not {type(snapshot).__name__}.")
    check_options(rankdir, lang, max_nodes)
    trace = snapshot.trace
    focus = check_focus(trace, focus)
    scene, _ = scene_and_template(trace, snapshot.pass_index, rankdir, lang, max_nodes, layout=False, focus=focus)
    nodes, edges, labels = _view(trace, snapshot.pass_index, scene).state(snapshot, lang)
    words = PICTURE[lang]
    head = _font(status_text(snapshot, lang), style.INK, bold=True) + _LEFT
    if scene.note:
        head += _font(clean(scene.note), style.INK) + _LEFT
    head += _legend(scene, lang, rankdir)
    g = Picture(name="backprop", graph_attr={
        **graph_attrs(scene, rankdir), "bgcolor": style.BACKGROUND, "pad": "0.15",
        "labelloc": "t", "labeljust": "l", "fontname": style.SANS, "fontsize": "11", "label": f"<{head}>",
    }, node_attr={"fontname": style.MONO, "fontsize": str(style.ROW_SIZE), "fontcolor": style.INK},
        edge_attr={"fontname": style.MONO, "fontsize": str(style.LABEL_SIZE), "arrowsize": "0.8"})
    for n, node in enumerate(scene.nodes):
        st = nodes[n]
        status = st[0] if node.kind == "value" else DONE if node.kind == "const" else st
        attrs = {"id": node.key, **node_attrs(node), **_BOX[status]}
        if node.kind == "value":
            attrs["label"] = _value_label(scene, node, st, words, lang)
            attrs["style"] += ",rounded"
            if node.param and status != ACTIVE:
                attrs.update(color=style.PARAM_EDGE, penwidth="2")
        elif node.kind == "more":
            attrs.update(label=f"<{_font(node.text, style.MUTED)}>", style="rounded,dashed", color=style.PENDING)
        elif node.kind == "const":
            attrs.update(label=f"<{_font(st, style.MUTED)}>", style="filled,rounded", color=style.PENDING)
        else:
            attrs["label"] = f"<{_font(node.text)}>"
        g.node(node.key, **attrs)
    text_of = {e: (text, gsign, active) for e, text, gsign, active in labels}
    arrow = "←" if rankdir == "LR" else "↑"
    for k, edge in enumerate(scene.edges):
        status, gsign, width = edges[k]
        if gsign is None:
            attrs = dict(_EDGE[status])
        else:
            attrs = {"color": style.SIGN_COLOR[gsign], "penwidth": f"{width + (1.5 if status == ACTIVE else 0):g}"}
        if k in text_of:
            text, lsign, active = text_of[k]
            attrs["label"] = f"<{_font(f'{arrow} {text}', style.SIGN_COLOR[lsign], bold=active)}>"
        g.edge(scene.nodes[edge.tail].key, scene.nodes[edge.head].key, id=_edge_id(scene, edge, k), **attrs)
    return g
