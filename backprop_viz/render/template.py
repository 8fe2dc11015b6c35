"""The laid-out SVG as a template: static geometry, and per-element strings chosen per frame."""

from __future__ import annotations

from backprop_viz.render import css, style
from backprop_viz.render.escape import clean, xml_text
from backprop_viz.text.words import PICTURE

__all__ = ["Template", "PENDING", "DONE", "ACTIVE"]

PENDING, DONE, ACTIVE = 0, 1, 2
MARGIN = 10.0
HEADER_H = 22.0
LEGEND_ROW = 17.0
BADGE_ABOVE = 12.0  # the re-use badge's plate rises this far above its value box


def _lit(text):
    """Static text baked into a format string: XML-escaped, braces doubled for str.format."""
    return xml_text(text).replace("{", "{{").replace("}", "}}")


def _f(x):
    """A coordinate with at most one decimal and no trailing zero: 12, 12.5, -0.4."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _tenths(t):
    """An int count of tenths as the shortest SVG number: 12, 12.5, .5, -.5."""
    whole, tenth = divmod(abs(t), 10)
    text = (str(whole) if whole else "") + (f".{tenth}" if tenth else "") or "0"
    return "-" + text if t < 0 else text


def _numbers(values):
    """SVG numbers joined by spaces, none needed before a minus sign."""
    out = []
    for v in values:
        if out and not v.startswith("-"):
            out.append(" ")
        out.append(v)
    return "".join(out)


def _local(x0, y0):
    """(translate(x0 y0), x, y) for a node drawn in its own coordinates: x(a) and y(b) are the
    offsets from the node's rounded origin to the rounded point x0 + a, y0 + b, so every point
    lands exactly where absolute coordinates with one decimal would put it."""
    ox, oy = round(x0, 1), round(y0, 1)
    return (f"translate({_f(ox)} {_f(oy)})", lambda a: _f(round(x0 + a, 1) - ox),
            lambda b: _f(round(y0 + b, 1) - oy))


def _path(points):
    """A dot edge (start, then Bézier control and end points) as a compact path: an absolute
    start, then relative cubic pieces. Deltas are taken between points already rounded to a
    tenth, so rounding never accumulates along the curve."""
    pts = [(round(x * 10), round(y * 10)) for x, y in points]
    (x0, y0), out = pts[0], []
    for i in range(1, len(pts) - 2, 3):
        out += [_tenths(v) for p in pts[i:i + 3] for v in (p[0] - x0, p[1] - y0)]
        x0, y0 = pts[i + 2]
    return f"M{_tenths(pts[0][0])} {_tenths(pts[0][1])}c{_numbers(out)}"


def _point(pts, u):
    """The point a fraction u along a dot path [start, c1, c2, end, …] (by Bézier parameter)."""
    segs = max((len(pts) - 1) // 3, 1)
    k, t = divmod(u * segs, 1.0)
    p0, p1, p2, p3 = (pts + pts[-1:] * 4)[3 * int(k):3 * int(k) + 4]
    s = 1 - t
    return tuple(s ** 3 * a + 3 * s * s * t * b + 3 * s * t * t * c + t ** 3 * e
                 for a, b, c, e in zip(p0, p1, p2, p3))


class Template:
    """One laid-out scene. `frame()` joins the static parts with one string per edge, node and
    gradient label; those strings come from small per-element caches, so a frame costs a few
    dictionary look-ups per element and one join. Every look is a class of the one stylesheet
    (css.STYLESHEET); value and op nodes sit in a translate() of their top-left corner (value)
    or centre (op), so their insides are written in short local coordinates."""

    def __init__(self, scene, layout, rankdir, lang):
        self.scene, self.layout, self.lang = scene, layout, lang
        self.words = PICTURE[lang]
        self.arrow = "←" if rankdir == "LR" else "↑"
        self._geometry()
        # The graph's extent, gradient plates included: a plate half way along an edge at the rim
        # of the layout may stick out of it, and must neither be cut off nor sit on the legend.
        x0, y0, x1, y1 = self._extent()
        legend, legend_w, legend_h = self._legend()
        note_lines = self._wrap(scene.note, max(layout.width, 360.0)) if scene.note else []
        note_h = len(note_lines) * 15.0 + (6 if note_lines else 0)
        self.width = round(max(x1 - x0, legend_w) + 2 * MARGIN, 2)
        self.ox = MARGIN + (self.width - 2 * MARGIN - (x1 - x0)) / 2 - x0
        self.oy = MARGIN + HEADER_H + note_h - y0
        self.height = round(self.oy + y1 + legend_h + MARGIN, 2)
        w, h = _f(self.width), _f(self.height)
        # head, the status line's element (status_open + text + </text>), then after_status
        self.head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css.ROOT}" width="{w}pt" height="{h}pt" '
            f'viewBox="0 0 {w} {h}"><style>{css.STYLESHEET}</style>'
            f'<rect class="bv-card" x="0.5" y="0.5" width="{_f(self.width - 1)}" height="{_f(self.height - 1)}" '
            f'rx="6"/>'
        )
        self.status_open = f'<text class="bv-status" x="{_f(MARGIN + 2)}" y="{_f(MARGIN + 12)}">'
        self.pre = self.head + self.status_open
        notes = "".join(
            f'<text class="bv-note" x="{_f(MARGIN + 2)}" y="{_f(MARGIN + HEADER_H + 11 + 15 * i)}">'
            f'{xml_text(line)}</text>' for i, line in enumerate(note_lines))
        self.after_status = f'{notes}<g class="bv-graph" transform="translate({_f(self.ox)} {_f(self.oy)})">'
        self.mid = "</text>" + self.after_status
        ly = self.oy + y1 + 8
        self.post = f'</g><g class="bv-legend lg" transform="translate({_f(MARGIN + 2)} {_f(ly)})">{legend}</g></svg>'

    def _extent(self):
        """(x0, y0, x1, y1) of the layout and of the widest gradient plate any edge can carry."""
        widest = style.text_width(f"{self.arrow} {self.words['mean']} " + "0" * style.NUMBER_CHARS, style.LABEL_SIZE)
        half = widest / 2 + 3
        x0, y0, x1, y1 = 0.0, 0.0, self.layout.width, self.layout.height
        for at in self.label_at:
            if at is not None:
                x, y = at
                x0, x1 = min(x0, x - half), max(x1, x + half)
                y0, y1 = min(y0, y - 7), max(y1, y + 6)
        # a value made from two or more inputs may carry the re-use badge above its box
        into = {}
        for e in self.scene.edges:
            if e.kind == "in":
                into[e.child] = into.get(e.child, 0) + 1
        for n, node in enumerate(self.scene.nodes):
            if node.kind == "value" and into.get(node.local, 0) > 1:
                y0 = min(y0, self.box[n][1] - BADGE_ABOVE)
        return x0, y0, x1, y1

    # ---- static parts ----
    def _legend(self):
        w = self.words
        box = '<rect class="{}" y="-9" width="16" height="11" rx="2"/>'
        line = '<path class="{}" d="M{} -3.5h{}" stroke-width="{}"/>'
        items = [(box.format(css.BOX[ACTIVE]), w["legend_active"]), (box.format(css.BOX[DONE]), w["legend_done"]),
                 (box.format(css.BOX[PENDING]), w["legend_pending"]), (box.format("pm"), w["legend_param"]),
                 (line.format("gp", 0, 16, 3), w["legend_pos"]), (line.format("gn", 0, 16, 3), w["legend_neg"])]
        if self.scene.arrays:
            items.append((line.format("gm", 0, 16, 3), w["legend_mixed"]))
        items.append((line.format("e1", 0, 16, 1) + line.format("e1", 8, 8, 4), w["legend_width"]))
        items.append(("", w["legend_label"].replace("←", self.arrow)))
        limit = max(self.layout.width, 420.0)
        parts, x, y, widest = [], 0.0, 0.0, 0.0
        for swatch, text in items:
            tw = style.text_width(text, style.LABEL_SIZE) * 0.92 + (22 if swatch else 0)
            if x and x + tw > limit:
                x, y = 0.0, y + LEGEND_ROW
            tx = x + (22 if swatch else 0)
            if swatch:
                parts.append(f'<g transform="translate({_f(x)} {_f(y)})">{swatch}</g>')
            parts.append(f'<text x="{_f(tx)}" y="{_f(y)}">{xml_text(text)}</text>')
            x += tw + 16
            widest = max(widest, x)
        return "".join(parts), widest, y + LEGEND_ROW + 8

    def _wrap(self, text, width):
        per_line = max(int(width / (0.55 * style.NOTE_SIZE)), 30)
        lines, cur = [], ""
        for word in clean(text).split(" "):
            if cur and len(cur) + 1 + len(word) > per_line:
                lines.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}" if cur else word
        return lines + [cur] if cur else lines

    def _geometry(self):
        """Per node and edge, the static parts of its element, with the layout baked in."""
        scene, lay = self.scene, self.layout
        self.box = {}  # node index -> (x0, y0, w, h)
        self._fmt, self._cache = [], []
        for n, node in enumerate(scene.nodes):
            cx, cy, w, h = lay.nodes[node.key]
            self.box[n] = (cx - w / 2, cy - h / 2, w, h)
            self._fmt.append(getattr(self, f"_fmt_{node.kind}")(n, node, cx, cy, w, h))
            self._cache.append({})
        self._edge_fmt, self._edge_cache, self.label_at = [], [], []
        for k, e in enumerate(scene.edges):
            pts, head = lay.edges[k]
            pts = [(round(x, 1), round(y, 1)) for x, y in pts]  # the label sits on the curve as drawn
            corners = " ".join(f"{_f(x)},{_f(y)}" for x, y in head)
            self._edge_fmt.append((f'"><path d="{_path(pts)}"', f'/><polygon points="{corners}"/></g>'))
            self._edge_cache.append({})
            # top to bottom, edges into one op meet near it: labels sit nearer the tail, apart
            self.label_at.append(_point(pts, 0.5 if self.arrow == "←" else 0.3) if e.kind == "in" else None)

    def _fmt_value(self, n, node, cx, cy, w, h):
        """(open, tint, title, rows): format strings of the group's start (box classes, title),
        the gradient rows' tint (sign suffix) and the title; rows: [(row head element, start of
        the number's element)], data rows then grad rows."""
        at, x, y = _local(cx - w / 2, cy - h / 2)
        kind = _lit(self.words[self.scene.structure.kinds[node.local]])
        rows = 2 if node.array else 1
        g_y = style.TITLE_H + rows * style.ROW_H
        param = (f'<rect class="pt" x="{x(1.5)}" y="{y(1.5)}" width="{_f(w - 3)}" height="{_f(style.TITLE_H - 2)}"/>'
                 if node.param else "")
        open_ = (f'<g class="bv-value" data-node="{node.local}" transform="{at}"><title>{{1}} ({kind})</title>'
                 f'<rect class="{{0}}" width="{_f(w)}" height="{_f(h)}" rx="4"/>{param}')
        tint = (f'<rect class="t{{0}}" x="{x(1.5)}" y="{y(g_y)}" width="{_f(w - 3)}" '
                f'height="{_f(rows * style.ROW_H + 1)}"/>')
        title = (f'<path class="sp" d="M0 {y(style.TITLE_H)}h{x(w)}"/>'
                 f'<text class="tt" x="{x(w / 2)}" y="{y(12.5)}">{{0}}</text>')
        heads = [self.words["data"], "", self.words["grad"], ""] if node.array else [self.words["data"],
                                                                                    self.words["grad"]]
        rows_out = []
        for r, head in enumerate(heads):
            ty = y(style.TITLE_H + r * style.ROW_H + 10.5)
            head_el = f'<text class="h" x="{x(style.PAD)}" y="{ty}">{xml_text(head)}</text>' if head else ""
            rows_out.append((head_el, f'<text class="n" x="{x(w - style.PAD)}" y="{ty}">'))
        return open_, tint, title, rows_out

    def _fmt_const(self, n, node, cx, cy, w, h):
        at, x, y = _local(cx - w / 2, cy - h / 2)
        return (f'<g class="bv-const" data-node="{node.local}" transform="{at}">'
                f'<title>{_lit(self.words["constant"])}</title><rect class="cb" width="{_f(w)}" height="{_f(h)}" '
                f'rx="3"/><text class="m" x="{x(w / 2)}" y="{y(h / 2 + 3.5)}">{{0}}</text></g>')

    def _fmt_op(self, n, node, cx, cy, w, h):
        at, _, y = _local(cx, cy)
        shape = (f'<circle class="{{0}}" r="{_f(w / 2)}"/>' if w == h else
                 f'<ellipse class="{{0}}" rx="{_f(w / 2)}" ry="{_f(h / 2)}"/>')
        return (f'<g class="bv-op" data-node="{node.local}" transform="{at}">{shape}'
                f'<text y="{y(4)}">{_lit(node.text)}</text></g>')

    def _fmt_more(self, n, node, cx, cy, w, h):
        at, x, y = _local(cx - w / 2, cy - h / 2)
        return (f'<g class="bv-more" transform="{at}"><rect class="mb" width="{_f(w)}" height="{_f(h)}" rx="9"/>'
                f'<text class="m" x="{x(w / 2)}" y="{y(h / 2 + 3.5)}">{_lit(node.text)}</text></g>')

    # ---- per frame ----
    def value(self, n, st):
        """The element of value node n in state st = (status, title, d1, d2, g1, g2, sign)."""
        cache = self._cache[n]
        s = cache.get(st)
        if s is None:
            status, title, d1, d2, g1, g2, gsign = st
            open_, tint, title_fmt, rows = self._fmt[n]
            cls = css.BOX[status]
            if self.scene.nodes[n].param and status != ACTIVE:
                cls += " pm"
            title = xml_text(title)
            parts = [open_.format(cls, title), "" if gsign is None else tint.format(css.SIGN[gsign]),
                     title_fmt.format(title)]
            texts = (d1, d2, g1, g2) if len(rows) == 4 else (d1, g1)
            for (head_el, number), text in zip(rows, texts):
                parts.append(head_el)
                if text:  # nothing known yet: no empty element
                    parts += (number, xml_text(text), "</text>")
            parts.append("</g>")
            s = "".join(parts)
            if len(cache) > 64:
                cache.clear()
            cache[st] = s
        return s

    def const(self, n, text):
        """The element of constant n showing `text` (already `clean`)."""
        cache = self._cache[n]
        s = cache.get(text)
        if s is None:
            s = cache[text] = self._fmt[n].format(xml_text(text))
        return s

    def plain(self, n, status):
        """The element of an op or 'more' node n in `status`."""
        cache = self._cache[n]
        s = cache.get(status)
        if s is None:
            s = cache[status] = self._fmt[n].format(css.BOX[status])
        return s

    def edge(self, k, st):
        """Edge k in state st = (status, sign, width): by forward status when sign is None, else
        coloured by the gradient's sign with that pen width."""
        cache = self._edge_cache[k]
        s = cache.get(st)
        if s is None:
            status, gsign, width = st
            body, tail = self._edge_fmt[k]
            if gsign is None:
                s = f'<g class="{css.EDGE[status]}{body}{tail}'
            else:
                w = width + 1.5 if status == ACTIVE else width
                s = f'<g class="g{css.SIGN[gsign]}{body} stroke-width="{_f(w)}"{tail}'
            cache[st] = s
        return s

    def label(self, k, text, gsign, active):
        """The gradient written on edge k, half way along it, on a small plate."""
        x, y = self.label_at[k]
        text = f"{self.arrow} {text}"
        tw = style.text_width(text, style.LABEL_SIZE) + 6
        cls = f"l l{css.SIGN[gsign]}" + (" la" if active else "")
        return (f'<g class="{cls}"><rect x="{_f(x - tw / 2)}" y="{_f(y - 7)}" width="{_f(tw)}" height="13" rx="3"/>'
                f'<text x="{_f(x)}" y="{_f(y + 3)}">{xml_text(text)}</text></g>')

    def badge(self, n, uses):
        """The re-use badge of value node n: 'computed once, used ×2' on a plate astride the top
        of its box (right-aligned), over the picture; the layout is not touched."""
        key = ("badge", uses)
        cache = self._cache[n]
        s = cache.get(key)
        if s is None:
            x0, y0, w, _ = self.box[n]
            text = self.words["reuse_badge"].format(n=uses)
            tw = style.text_width(text, style.LABEL_SIZE) + 8
            x = x0 + w - tw
            s = cache[key] = (f'<g class="bv-reuse"><title>{xml_text(text)}</title><rect x="{_f(x)}" '
                              f'y="{_f(y0 - BADGE_ABOVE)}" width="{_f(tw)}" height="13" rx="6"/><text x="{_f(x + tw / 2)}" '
                              f'y="{_f(y0 - BADGE_ABOVE + 9.8)}">{xml_text(text)}</text></g>')
        return s

    def frame(self, status, edges, nodes, labels):
        """The SVG text of one frame from the per-element strings."""
        return "".join((self.pre, xml_text(status), self.mid, "".join(edges), "".join(nodes), "".join(labels),
                        self.post))
