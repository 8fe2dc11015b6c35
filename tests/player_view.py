"""What a browser shows of a BackpropPlayer, assembled from its widgets' values alone.

The player sends a sheet (every look of the picture and the table over a run of steps) once, and
per step a small stylesheet (the `look` widget). These helpers apply that stylesheet as a browser
does — every `.bpv-vr` hidden but the classes its rule shows, the marked table rows, the
rows it hides — so tests can compare the result with frames(trace)[k] and table_html(snapshot k).
"""
from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import ipywidgets as widgets

from backprop_viz.render.sheet import show_rule

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)

_MARK = re.compile(r'\.[\w-]+r(\d+)\{background:(#[0-9a-f]{6})')  # a row's class ends in r<node id>
_HIDE_BEFORE = re.compile(r"tr:nth-child\(-n\+(\d+)\)")
_HIDE_AFTER = re.compile(r"tr:nth-child\(n\+(\d+)\)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def _rules(player):
    """(selectors, body) of every rule of the player's two look stylesheets, base first."""
    out = []
    for html in (player.look.value, player.step_look.value):
        for css in _STYLE.findall(html):
            out += [(sel.split(","), body) for sel, body in _RULE.findall(css)]
    return out


def canonical(svg):
    """An SVG's canonical XML text (C14N 2.0), for comparing two documents element for element."""
    return ET.canonicalize(ET.tostring(ET.fromstring(svg), encoding="unicode"))


def shown_classes(player):
    """The look classes the two stylesheets show: those the base shows and the step's part does
    not hide (`.c.c{display:none}`), and those the step's part shows."""
    shown, hidden = set(), set()
    for selectors, body in _rules(player):
        if body == "display:inline":
            shown |= {sel[1:] for sel in selectors}
        elif body == "display:none" and all(re.fullmatch(r"(\.[\w-]+)\1", sel) for sel in selectors):
            hidden |= {sel[1:sel.index(".", 1)] for sel in selectors}
    return shown - hidden


def drawn_svg(svg, shown):
    """An SVG sheet as a browser draws it (canonical XML): every `.bpv-vr` group taken out but
    those with a class in `shown`, which stand in their place."""
    root = ET.fromstring(svg)

    def rebuild(el):
        kids = list(el)
        for c in kids:
            el.remove(c)
        for c in kids:
            cls = c.get("class", "").split()
            if "bpv-vr" not in cls:
                rebuild(c)
                el.append(c)
            elif shown & set(cls):
                for g in list(c):
                    rebuild(g)
                    el.append(g)

    rebuild(root)
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


def shown_picture(player):
    """The picture the browser draws (canonical XML): the sheet with every hidden look taken out
    and every shown one in its place."""
    frame = player.frame.value
    return drawn_svg(frame[frame.index("<svg"):frame.rindex("</svg>") + len("</svg>")], shown_classes(player))


def shows(player, svg):
    """Whether the player's frame box shows exactly this SVG frame."""
    return shown_picture(player) == canonical(svg)


def shown_table(player):
    """The table the browser shows, written as BackpropPlayer.table_html writes one step's table."""
    look, table = player.step_look.value, player.table.value
    shown = shown_classes(player)
    marks = {int(n): color for n, color in _MARK.findall(look)}
    before = _HIDE_BEFORE.search(look)
    after = _HIDE_AFTER.search(look)
    lo = int(before.group(1)) + 1 if before else 1
    hi = int(after.group(1)) - 1 if after else None
    head, rest = table.split("<tbody>", 1)
    body, tail = rest.split("</tbody>", 1)
    rows = []
    for i, (nid, cells) in enumerate(re.findall(r'<tr data-node="(\d+)" class="[\w-]+">(.*?)</tr>', body), start=1):
        if i < lo or (hi is not None and i > hi):
            continue
        out = []
        for cell in re.findall(r"<td>(.*?)</td>", cells):
            looks = re.findall(r'<span class="bpv-vr ([\w-]+)">(.*?)</span>', cell)
            if looks:
                cell = "".join(text for name, text in looks if name in shown)
            out.append(cell)
        color = marks.get(int(nid))
        mark = {"#f0e442": ' class="bpv-active"', "#d6e9f5": ' class="bpv-source"', None: ""}[color]
        rows.append(f'<tr data-node="{nid}"{mark}>' + "".join(f"<td>{c}</td>" for c in out) + "</tr>")
    return f"{head}<tbody>{''.join(rows)}</tbody>{tail}"


def widget_states(root):
    """{model id: state} of a widget and every widget it holds."""
    out, todo = {}, [root]
    while todo:
        w = todo.pop()
        if w.model_id in out:
            continue
        out[w.model_id] = w.get_state()
        for name in w.keys:
            value = getattr(w, name)
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, widgets.Widget):
                    todo.append(v)
    return out


def changed_bytes(before, after):
    """The bytes of JSON a front-end receives for what changed between two widget_states."""
    total = 0
    for mid, state in after.items():
        old = before.get(mid)
        for key, value in state.items():
            if old is None or old.get(key) != value:  # binary values (an image) travel as buffers
                total += len(key) + len(value) if isinstance(value, (bytes, memoryview)) else len(json.dumps({key: value}))
    return total


def quick_steps(player):
    """The quick steps' data of the sheet the player sent, read as the page's script reads it:
    {on, first, last, n, looks: [classes of each step], rows: [table marks' CSS of each step],
    status: [the status line's HTML at each step]}."""
    m = re.search(r'<i class="bpv-steps" hidden data-steps="([^"]*)">', player.frame.value)
    d = json.loads(html.unescape(m.group(1)))
    words = lambda text: [d["prefix"] + c for c in text.split(" ")] if text else []  # noqa: E731
    now, looks = set(words(d["base"])), []
    looks.append(set(now))
    for diff in d["diffs"].split(";") if d["diffs"] else []:
        hidden, shown = diff.split("/")
        now = (now - set(words(hidden))) | set(words(shown))
        looks.append(set(now))
    return {**{key: d[key] for key in ("on", "first", "last", "n")}, "looks": looks, "rows": d["rows"],
            "status": [f"{d['pills'][pill]} {text}" for pill, text in d["status"]]}


def quick_view(player, k):
    """The player as the page shows it after a quick step to k: its sheet, with the page's own
    stylesheet in place of the kernel's two (for shown_picture and shown_table)."""
    d = quick_steps(player)
    classes = sorted(d["looks"][k - d["first"]])
    css = f"<style>{show_rule(classes)}{d['rows'][k - d['first']]}</style>"
    return SimpleNamespace(frame=player.frame, table=player.table, look=SimpleNamespace(value=css),
                           step_look=SimpleNamespace(value=css))
