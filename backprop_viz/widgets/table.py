"""The player's values table: one step's table, and a sheet of a run of steps that a stylesheet switches."""

from __future__ import annotations

import html

from backprop_viz.render.sheet import VARIANT
from backprop_viz.text.names import TOOLTIP_CHARS, short
from backprop_viz.text.numbers import fmt

__all__ = ["MAX_ROWS", "table_html", "TableSheet", "made_by", "TABLE_CSS", "ACTIVE_ROW", "SOURCE_ROW"]

MAX_ROWS = 200  # a bigger pass shows the rows around the active node (sending 65k rows would freeze the page)
# The active row in Okabe–Ito yellow, as the active node in the picture; the node the active
# gradient comes from in a light blue. Numbers right-aligned, "not yet" greyed.
ACTIVE_ROW = "background:#f0e442;color:#000;font-weight:bold"
SOURCE_ROW = "background:#d6e9f5;color:#000"
TABLE_CSS = (".bpv-table{border-collapse:collapse;font-size:13px}"
             ".bpv-table td,.bpv-table th{padding:1px 8px;border-bottom:1px solid #e2e2e2;text-align:left}"
             ".bpv-table td:nth-child(n+3),.bpv-table th:nth-child(n+3){text-align:right;"
             "font-family:monospace}.bpv-table i{color:#8a8a8a}"
             f".bpv-table tr.bpv-active{{{ACTIVE_ROW}}}"
             f".bpv-table tr.bpv-source{{{SOURCE_ROW}}}")


def made_by(trace, nid, w):
    """How a node was made, in the names the student sees: 'a * b', 'tanh(n)', or 'input'.
    This is the code that made it, so a constant's minus is the '-' typed there: a - (-0.5)."""
    kind = trace.kind(nid)
    if kind != "computed":
        return w[f"kind_{kind}"]
    op = trace.op(nid)
    names = [trace.name(p).replace("−", "-") if trace.kind(p) == "constant" and not trace.label(p)
             else short(trace.name(p)) for p in trace.parents(nid)]
    names = [f"({n})" if n.startswith("-") else n for n in names]  # a - (-0.5), not a - -0.5
    if len(names) == 2:
        return f"{names[0]} {op} {names[1]}"
    if op == "neg":
        return f"-{names[0]}"
    if op == "**":
        return f"{names[0]} ** {fmt(trace.arg(nid)).replace('−', '-')}"
    if op == "T":
        return f"{names[0]}.T"
    return f"{op}({', '.join(names)})"


def _window(ids, snap):
    """(lo, hi): the rows shown, all of them or MAX_ROWS around the active node."""
    if len(ids) <= MAX_ROWS:
        return 0, len(ids)
    at = ids.index(snap.active_node) if snap.active_node in ids else 0
    lo = min(max(at - MAX_ROWS // 2, 0), len(ids) - MAX_ROWS)
    return lo, lo + MAX_ROWS


class _Cells:
    """The table's words and the two fixed cells of each row, shared by every step of a trace."""

    def __init__(self, trace, w):
        self.trace, self.w = trace, w
        self.unknown = f'<i>{html.escape(w["unknown"])}</i>'
        self.no_grad = f'<i title="{html.escape(w["no_grad"])}">–</i>'
        self.head = "".join(f"<th>{html.escape(w[c])}</th>" for c in ("col_node", "col_op", "col_value", "col_grad"))
        self._fixed = {}

    def fixed(self, nid):
        """The row's name and 'made by' cells: a long label cut as in the picture, the full one
        (up to TOOLTIP_CHARS) in a tooltip."""
        hit = self._fixed.get(nid)
        if hit is None:
            name = self.trace.name(nid)
            cut = f'<span title="{html.escape(short(name, TOOLTIP_CHARS))}">{html.escape(short(name))}</span>'
            hit = self._fixed[nid] = (html.escape(name) if len(name) == len(short(name)) else cut,
                                      html.escape(made_by(self.trace, nid, self.w)))
        return hit

    def value(self, value):
        return self.unknown if value is None else html.escape(fmt(value))

    def grad(self, nid, grad):
        return (html.escape(fmt(grad)) if grad is not None
                else self.no_grad if self.trace.kind(nid) == "constant" else self.unknown)

    def frame(self, rows, note):
        return (f"<style>{TABLE_CSS}</style><table class=\"bpv-table\"><thead><tr>{self.head}</tr></thead>"
                f'<tbody>{"".join(rows)}</tbody></table>{note}')

    def note(self, ids):
        if len(ids) <= MAX_ROWS:
            return ""
        return f'<p style="color:#6b6b6b">{html.escape(self.w["more_rows"].format(n=len(ids) - MAX_ROWS))}</p>'


def table_html(trace, snap, w, cells=None):
    """An HTML table of every node of the pass shown: name, how it was made, value, gradient;
    the active node's row highlighted (and the node the active gradient comes from)."""
    cells = cells or _Cells(trace, w)
    ids = list(snap.nodes)
    lo, hi = _window(ids, snap)
    source = snap.active_edge[0] if snap.active_edge else None
    rows = []
    for nid in ids[lo:hi]:
        name, made = cells.fixed(nid)
        row = (name, made, cells.value(snap.values[nid]), cells.grad(nid, snap.grads[nid]))
        mark = ' class="bpv-active"' if nid == snap.active_node else ' class="bpv-source"' if nid == source else ""
        rows.append(f'<tr data-node="{nid}"{mark}>' + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return cells.frame(rows, cells.note(ids))


_UNSEEN = object()


def _same(a, b):
    """Whether a and b are sure to read the same: one object, or equal non-zero floats (0.0 and
    -0.0 are equal but may not be written alike)."""
    return a is b or (type(a) is float and type(b) is float and a == b and a != 0.0)


class TableSheet:
    """The tables of steps first..last (one pass) as one table: every row any of them shows, each
    value and gradient cell with every text it takes there (a text shown at some steps only in a
    `<span class="vr q<id>">`). Per step, `look(k)` says what a stylesheet must do to turn it into
    table_html(snapshot k): the classes to show, the active and source rows, the rows to hide."""

    def __init__(self, trace, snaps, w, prefix):
        cells = _Cells(trace, w)
        ids = list(snaps[0].nodes)
        windows = [_window(ids, s) for s in snaps]
        self.lo, self.hi = min(lo for lo, _ in windows), max(hi for _, hi in windows)
        rows_ids = ids[self.lo:self.hi]
        # per row and column (value, gradient): text -> look number; per step the looks shown
        looks = [({}, {}) for _ in rows_ids]
        shown, now, before = [], [0] * (2 * len(rows_ids)), [_UNSEEN] * (2 * len(rows_ids))
        for s in snaps:
            values, grads, now = s.values, s.grads, list(now)
            for r, nid in enumerate(rows_ids):
                for col, x in ((0, values[nid]), (1, grads[nid])):
                    c = 2 * r + col
                    if not _same(x, before[c]):  # a number's text only where it changed
                        before[c] = x
                        text = cells.value(x) if col == 0 else cells.grad(nid, x)
                        seen = looks[r][col]
                        if text not in seen:
                            seen[text] = len(seen)
                        now[c] = seen[text]
            shown.append(now)
        self._shown, self._windows, self._prefix = shown, windows, prefix
        self._first = snaps[0].step
        self._marks = [(s.active_node, s.active_edge[0] if s.active_edge else None) for s in snaps]
        self._names = []  # per row and column: the class of each look, or None for a cell with one text
        rows = []
        for r, nid in enumerate(rows_ids):
            name, made = cells.fixed(nid)
            tds = [f"<td>{name}</td><td>{made}</td>"]
            for col in (0, 1):
                seen = looks[r][col]
                if len(seen) == 1:
                    self._names.append(None)
                    tds.append(f"<td>{next(iter(seen))}</td>")
                else:
                    names = [f"{prefix}{r}{'vg'[col]}{i}" for i in range(len(seen))]
                    self._names.append(names)
                    tds.append("<td>" + "".join(f'<span class="{VARIANT} {n}">{t}</span>'
                                                for n, t in zip(names, seen)) + "</td>")
            rows.append(f'<tr data-node="{nid}" class="{prefix}r{nid}">' + "".join(tds) + "</tr>")
        self.html = cells.frame(rows, cells.note(ids))
        self.rows = len(rows_ids)

    def row_class(self, nid):
        """The class of node nid's row (a step's look marks the active and the source row by it)."""
        return f"{self._prefix}r{nid}"

    def look(self, k):
        """(classes shown, active row id or None, source row id or None, (first, last) rows
        shown as 1-based positions in this table) at step k."""
        i = k - self._first
        names = self._names
        classes = [names[c][v] for c, v in enumerate(self._shown[i]) if names[c] is not None]
        lo, hi = self._windows[i]
        active, source = self._marks[i]
        return classes, active, source, (lo - self.lo + 1, hi - self.lo)
