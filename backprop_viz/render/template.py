"""The laid-out SVG as a template: static geometry, and per-element strings chosen per frame."""

from __future__ import annotations

import re

from backprop_viz.render import style
from backprop_viz.render.escape import clean, xml_text

__all__ = ["Template", "PENDING", "DONE", "ACTIVE"]

PENDING, DONE, ACTIVE = 0, 1, 2
MARGIN = 10.0
HEADER_H = 22.0
LEGEND_ROW = 17.0

# (fill, stroke, stroke-width, dash) for boxes and op nodes in each state
_BOX = {
    PENDING: ("#ffffff", style.PENDING, "1", ' stroke-dasharray="4 3"'),
    DONE: (style.DONE_FILL, style.DONE_EDGE, "1", ""),
    ACTIVE: (style.ACTIVE_FILL, style.ACTIVE_EDGE, "2.5", ""),
}
# edge looks without a gradient: (stroke, width, dash)
_EDGE = {
    PENDING: (style.PENDING, "1", ' stroke-dasharray="4 3"'),
    DONE: (style.DONE_EDGE, "1.2", ""),
    ACTIVE: (style.ACTIVE_EDGE, "2.4", ""),
}


def _lit(text):
    """Static text baked into a format string: XML-escaped, braces doubled for str.format."""
    return xml_text(text).replace("{", "{{").replace("}", "}}")


def _f(x):
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _point(d, u):
    """The point a fraction u along a dot path 'Mx,y C x,y x,y x,y ...' (by Bézier parameter)."""
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    pts = list(zip(nums[0::2], nums[1::2]))
    segs = max((len(pts) - 1) // 3, 1)
    k, t = divmod(u * segs, 1.0)
    p0, p1, p2, p3 = (pts + pts[-1:] * 4)[3 * int(k):3 * int(k) + 4]
    s = 1 - t
    return tuple(s ** 3 * a + 3 * s * s * t * b + 3 * s * t * t * c + t ** 3 * e
                 for a, b, c, e in zip(p0, p1, p2, p3))


class Template:
    """One laid-out scene. `frame()` joins the static parts with one string per edge, node and
    gradient label; those strings come from small per-element caches, so a frame costs a few
    dictionary look-ups per element and one join."""

    def __init__(self, scene, layout, rankdir, lang):
        self.scene, self.layout, self.lang = scene, layout, lang
        self.words = style.WORDS[lang]
        self.arrow = "←" if rankdir == "LR" else "↑"
        legend, legend_w, legend_h = self._legend()
        note_lines = self._wrap(scene.note, max(layout.width, 360.0)) if scene.note else []
        note_h = len(note_lines) * 15.0 + (6 if note_lines else 0)
        self.width = round(max(layout.width, legend_w) + 2 * MARGIN, 2)
        self.ox = MARGIN + (self.width - 2 * MARGIN - layout.width) / 2
        self.oy = MARGIN + HEADER_H + note_h
        self.height = round(self.oy + layout.height + legend_h + MARGIN, 2)
        w, h = _f(self.width), _f(self.height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" '
            f'font-family="{style.MONO}" font-size="{style.ROW_SIZE}" fill="{style.INK}" '
            f'style="max-width:100%;height:auto">'
            f'<rect class="bv-card" x="0.5" y="0.5" width="{_f(self.width - 1)}" height="{_f(self.height - 1)}" '
            f'rx="6" fill="{style.BACKGROUND}" stroke="{style.CARD_EDGE}"/>'
            f'<text class="bv-status" x="{MARGIN + 2}" y="{MARGIN + 12}" font-family="{style.SANS}" '
            f'font-size="12" font-weight="bold" fill="{style.INK}">'
        )
        notes = "".join(
            f'<text class="bv-note" x="{MARGIN + 2}" y="{_f(MARGIN + HEADER_H + 11 + 15 * i)}" '
            f'font-family="{style.SANS}" font-size="{style.NOTE_SIZE}" fill="{style.INK}">{xml_text(line)}</text>'
            for i, line in enumerate(note_lines))
        self.pre = head
        self.mid = f"</text>{notes}<g class=\"bv-graph\" transform=\"translate({_f(self.ox)} {_f(self.oy)})\">"
        ly = self.oy + layout.height + 8
        self.post = f'</g><g class="bv-legend" transform="translate({MARGIN + 2} {_f(ly)})">{legend}</g></svg>'
        self._geometry()

    # ---- static parts ----
    def _legend(self):
        w = self.words
        box = '<rect x="0" y="-9" width="16" height="11" rx="2" fill="{}" stroke="{}"{}/>'
        line = '<line x1="0" y1="-3.5" x2="16" y2="-3.5" stroke="{}" stroke-width="{}"/>'
        items = [
            (box.format(style.ACTIVE_FILL, style.ACTIVE_EDGE, ' stroke-width="1.5"'), w["legend_active"]),
            (box.format(style.DONE_FILL, style.DONE_EDGE, ""), w["legend_done"]),
            (box.format("#ffffff", style.PENDING, ' stroke-dasharray="3 2"'), w["legend_pending"]),
            (box.format("#ffffff", style.PARAM_EDGE, ' stroke-width="2"'), w["legend_param"]),
            (line.format(style.POSITIVE, 3), w["legend_pos"]),
            (line.format(style.NEGATIVE, 3), w["legend_neg"]),
        ]
        if self.scene.arrays:
            items.append((line.format(style.MIXED, 3), w["legend_mixed"]))
        items.append((line.format(style.DONE_EDGE, 1) + line.format(style.DONE_EDGE, 4).replace(
            'x1="0"', 'x1="8"'), w["legend_width"]))
        items.append(("", w["legend_label"].replace("←", self.arrow)))
        limit = max(self.layout.width, 420.0)
        parts, x, y, widest = [], 0.0, 0.0, 0.0
        for swatch, text in items:
            tw = style.text_width(text, style.LABEL_SIZE) * 0.92 + (22 if swatch else 0)
            if x and x + tw > limit:
                x, y = 0.0, y + LEGEND_ROW
            tx = x + (22 if swatch else 0)
            parts.append(f'<g transform="translate({_f(x)} {_f(y)})">{swatch}</g>'
                         f'<text x="{_f(tx)}" y="{_f(y)}" font-family="{style.SANS}" '
                         f'font-size="{style.LABEL_SIZE}" fill="{style.MUTED}">{xml_text(text)}</text>')
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
        """Per node and edge, the format string of its element, with the layout baked in."""
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
            d, head = lay.edges[k]
            self._edge_fmt.append(
                f'<g class="bv-edge" data-edge="{k}"><path d="{d}" fill="none" stroke="{{0}}" '
                f'stroke-width="{{1}}"{{2}}/><polygon points="{head}" fill="{{0}}" stroke="{{0}}"/></g>')
            self._edge_cache.append({})
            # top to bottom, edges into one op meet near it: labels sit nearer the tail, apart
            self.label_at.append(_point(d, 0.5 if self.arrow == "←" else 0.3) if e.kind == "in" else None)

    def _fmt_value(self, n, node, cx, cy, w, h):
        x0, y0 = cx - w / 2, cy - h / 2
        x1 = x0 + w
        words = self.words
        kind = _lit(words[self.scene.structure.kinds[node.local]])
        rows = 2 if node.array else 1
        g_y = y0 + style.TITLE_H + rows * style.ROW_H
        param = (f'<rect x="{_f(x0 + 1.5)}" y="{_f(y0 + 1.5)}" width="{_f(w - 3)}" height="{_f(style.TITLE_H - 2)}" '
                 f'fill="{style.PARAM_TINT}"/>') if node.param else ""
        out = [
            f'<g class="bv-value" data-node="{node.local}"><title>{{5}} ({kind})</title>'
            f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(w)}" height="{_f(h)}" rx="4" fill="{{0}}" '
            f'stroke="{{1}}" stroke-width="{{2}}"{{3}}/>',
            param,
            f'<rect x="{_f(x0 + 1.5)}" y="{_f(g_y)}" width="{_f(w - 3)}" height="{_f(rows * style.ROW_H + 1)}" '
            f'fill="{{4}}"/>',
            f'<path d="M{_f(x0)} {_f(y0 + style.TITLE_H)}H{_f(x1)}" stroke="{style.PENDING}" stroke-width="0.8"/>',
            f'<text class="bv-title" x="{_f(cx)}" y="{_f(y0 + 12.5)}" text-anchor="middle" font-weight="bold" '
            f'font-size="{style.TITLE_SIZE}">{{5}}</text>',
        ]
        heads = [words["data"], "", words["grad"], ""] if node.array else [words["data"], words["grad"]]
        fields = (6, 7, 8, 9) if node.array else (6, 8)  # d1 d2 g1 g2 in value()
        for r, head in enumerate(heads):
            y = _f(y0 + style.TITLE_H + r * style.ROW_H + 10.5)
            if head:
                out.append(f'<text x="{_f(x0 + style.PAD)}" y="{y}" fill="{style.MUTED}">{_lit(head)}</text>')
            out.append(f'<text class="bv-{"data" if r < len(heads) // 2 else "grad"}" x="{_f(x1 - style.PAD)}" '
                       f'y="{y}" text-anchor="end">{{{fields[r]}}}</text>')
        out.append("</g>")
        return "".join(out)

    def _fmt_const(self, n, node, cx, cy, w, h):
        return (f'<g class="bv-const" data-node="{node.local}"><title>{_lit(self.words["constant"])}</title>'
                f'<rect x="{_f(cx - w / 2)}" y="{_f(cy - h / 2)}" width="{_f(w)}" height="{_f(h)}" rx="3" '
                f'fill="{style.DONE_FILL}" stroke="{style.PENDING}"/><text x="{_f(cx)}" y="{_f(cy + 3.5)}" '
                f'text-anchor="middle" fill="{style.MUTED}">{{0}}</text></g>')

    def _fmt_op(self, n, node, cx, cy, w, h):
        return (f'<g class="bv-op" data-node="{node.local}"><ellipse cx="{_f(cx)}" cy="{_f(cy)}" rx="{_f(w / 2)}" '
                f'ry="{_f(h / 2)}" fill="{{0}}" stroke="{{1}}" stroke-width="{{2}}"{{3}}/><text x="{_f(cx)}" '
                f'y="{_f(cy + 4)}" text-anchor="middle" font-size="{style.TITLE_SIZE}">{_lit(node.text)}</text></g>')

    def _fmt_more(self, n, node, cx, cy, w, h):
        return (f'<g class="bv-more"><rect x="{_f(cx - w / 2)}" y="{_f(cy - h / 2)}" width="{_f(w)}" '
                f'height="{_f(h)}" rx="9" fill="#ffffff" stroke="{style.PENDING}" stroke-dasharray="3 2"/>'
                f'<text x="{_f(cx)}" y="{_f(cy + 3.5)}" text-anchor="middle" fill="{style.MUTED}">'
                f'{_lit(node.text)}</text></g>')

    # ---- per frame ----
    def value(self, n, st):
        """The element of value node n in state st = (status, title, d1, d2, g1, g2, sign)."""
        cache = self._cache[n]
        s = cache.get(st)
        if s is None:
            status, title, d1, d2, g1, g2, gsign = st
            fill, stroke, sw, dash = _BOX[status]
            if self.scene.nodes[n].param and status != ACTIVE:
                stroke, sw = style.PARAM_EDGE, "2"
            tint = "none" if gsign is None else style.TINT[gsign]
            s = self._fmt[n].format(fill, stroke, sw, dash, tint, xml_text(title), xml_text(d1), xml_text(d2),
                                    xml_text(g1), xml_text(g2))
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
            s = cache[status] = self._fmt[n].format(*_BOX[status])
        return s

    def edge(self, k, st):
        """Edge k in state st = (status, sign, width): by forward status when sign is None, else
        coloured by the gradient's sign with that pen width."""
        cache = self._edge_cache[k]
        s = cache.get(st)
        if s is None:
            status, gsign, width = st
            if gsign is None:
                s = self._edge_fmt[k].format(*_EDGE[status])
            else:
                w = width + 1.5 if status == ACTIVE else width
                s = self._edge_fmt[k].format(style.SIGN_COLOR[gsign], _f(w), "")
            cache[st] = s
        return s

    def label(self, k, text, gsign, active):
        """The gradient written on edge k, half way along it, on a small plate."""
        x, y = self.label_at[k]
        text = f"{self.arrow} {text}"
        tw = style.text_width(text, style.LABEL_SIZE) + 6
        color = style.SIGN_COLOR[gsign]
        plate = style.ACTIVE_FILL if active else "#ffffff"
        weight = ' font-weight="bold"' if active else ""
        return (f'<g class="bv-label" data-edge="{k}"><rect x="{_f(x - tw / 2)}" y="{_f(y - 7)}" width="{_f(tw)}" '
                f'height="13" rx="3" fill="{plate}" stroke="{color}" stroke-width="0.8"/><text x="{_f(x)}" '
                f'y="{_f(y + 3)}" text-anchor="middle" font-size="{style.LABEL_SIZE}" fill="{style.INK}"{weight}>'
                f'{xml_text(text)}</text></g>')

    def frame(self, status, edges, nodes, labels):
        """The SVG text of one frame from the per-element strings."""
        return "".join((self.pre, xml_text(status), self.mid, "".join(edges), "".join(nodes), "".join(labels),
                        self.post))
