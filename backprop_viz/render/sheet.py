"""A sheet: a run of frames as one SVG that holds every look of each element once, and per step the looks it shows."""

from __future__ import annotations

import secrets
from array import array

from backprop_viz.render.escape import xml_text
from backprop_viz.render.frames import status_text

__all__ = ["Sheet", "VARIANT", "HIDE_RULE", "hide_rule", "new_prefix", "show_rule"]

VARIANT = "bpv-vr"  # the class of every look that is shown at some steps only (each has its own class too)
# Hidden unless a step's look names it: `:where()` gives the rule no weight, so a plain class rule
# that shows a look wins wherever it stands on the page.
HIDE_RULE = f":where(.{VARIANT}){{display:none}}"
_TAGS = [secrets.randbelow(36 ** 4)]  # sheets of this process are named from here on (several kernels share a page)


def new_prefix():
    """A short class prefix no other sheet of this page uses: 'q' + 4 letters and digits."""
    _TAGS[0] = (_TAGS[0] + 1) % (36 ** 4)
    return "q" + _b36(_TAGS[0]).rjust(4, "0") + "-"


def _b36(i):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = digits[r] + out
        if not i:
            return out


class Sheet:
    """Frames first..last (inclusive, all of one pass) of a Frames as one SVG.

    Each element of the picture (the status line, every edge, node, gradient label and re-use
    badge) is written once per look it takes in these steps. A look it keeps at every step is
    written as it is; any other look sits in a group `<g class="bpv-vr <prefix><id>">`. `classes(k)`
    lists those classes of step k: hiding every `.bpv-vr` but those draws exactly `frames[k]`, element
    for element in the same order (a hidden group takes no part in drawing). So a player sends
    the sheet once and, per step, only that list."""

    def __init__(self, frames, first, last, snapshots=None, prefix=None):
        trace, lang = frames.trace, frames.lang
        if not 0 <= first <= last <= len(trace):
            raise ValueError(f"a sheet covers steps first..last of this trace (0 to {len(trace)}), not {first}..{last}.")
        snaps = snapshots or [trace.snapshot(k) for k in range(first, last + 1)]
        if len(snaps) != last - first + 1 or snaps[0].step != first:
            raise ValueError(f"snapshots must be those of steps {first} to {last}.")
        snap = snaps[0]
        self.first, self.last, self.pass_index = first, last, snap.pass_index
        if snaps[-1].pass_index != self.pass_index:
            raise ValueError(f"a sheet covers steps of one pass: {first}..{last} is not such a run.")
        view, tpl = frames.view(self.pass_index)
        n_nodes, n_edges = len(view.scene.nodes), len(view.scene.edges)
        # slots: status, edges, nodes, labels (by edge), badges (by node) — the order of a frame
        e0, n0 = 1, 1 + n_edges
        l0 = n0 + n_nodes
        b0 = l0 + n_edges
        n_slots = b0 + n_nodes
        looks = []  # variant id -> (slot, text)
        index = [dict() for _ in range(n_slots)]  # per slot: text -> variant id
        absent = [False] * n_slots  # a slot empty at some step (a label not written yet)
        rows = []

        def look(slot, text):
            seen = index[slot]
            v = seen.get(text)
            if v is None:
                v = seen[text] = len(looks)
                looks.append((slot, text))
            return v

        value, const, plain, edge, label, badge = tpl.value, tpl.const, tpl.plain, tpl.edge, tpl.label, tpl.badge
        prev_nodes = prev_edges = None
        prev_labels, prev_badges = {}, {}
        row = array("i", [-1]) * n_slots
        for snap in snaps:
            nodes, edges, labels = view.state(snap, lang)
            row = array("i", row)
            row[0] = look(0, tpl.status_open + xml_text(status_text(snap, lang)) + "</text>")
            for n, st in enumerate(nodes):
                if prev_nodes is None or st != prev_nodes[n]:
                    text = value(n, st) if type(st) is tuple else const(n, st) if type(st) is str else plain(n, st)
                    row[n0 + n] = look(n0 + n, text)
            for e, st in enumerate(edges):
                if prev_edges is None or st != prev_edges[e]:
                    row[e0 + e] = look(e0 + e, edge(e, st))
            now = {lab[0]: lab for lab in labels}
            for e in set(now) | set(prev_labels):
                lab = now.get(e)
                if lab != prev_labels.get(e):
                    row[l0 + e] = -1 if lab is None else look(l0 + e, label(*lab))
            prev_labels = now
            now = dict(view.badges(snap))
            for n in set(now) | set(prev_badges):
                uses = now.get(n)
                if uses != prev_badges.get(n):
                    row[b0 + n] = -1 if uses is None else look(b0 + n, badge(n, uses))
            prev_badges = now
            prev_nodes, prev_edges = nodes, edges
            rows.append(row)
        for r in rows:
            for slot in range(l0, n_slots):
                if r[slot] < 0:
                    absent[slot] = True
        # a look is fixed when its slot has no other look and is never empty
        fixed = [len(index[slot]) == 1 and not absent[slot] for slot, _ in looks]
        prefix = prefix or new_prefix()
        self._names = [None if fixed[v] else prefix + _b36(v) for v in range(len(looks))]
        self._rows = rows
        self._classes = {}
        by_slot = [[] for _ in range(n_slots)]
        for v, (slot, text) in enumerate(looks):
            by_slot[slot].append(text if fixed[v] else f'<g class="{VARIANT} {self._names[v]}">{text}</g>')
        self.looks = len(looks)
        self.svg = "".join((tpl.head, *by_slot[0], tpl.after_status, *("".join(s) for s in by_slot[1:]), tpl.post))

    def __contains__(self, k):
        return self.first <= k <= self.last

    def classes(self, k):
        """The classes of the looks step k shows, besides the fixed ones."""
        hit = self._classes.get(k)
        if hit is None:
            if k not in self:
                raise IndexError(f"step {k} is not on this sheet (steps {self.first} to {self.last}).")
            names = self._names
            hit = [names[v] for v in self._rows[k - self.first] if v >= 0 and names[v] is not None]
            if len(self._classes) > 4096:
                self._classes.clear()
            self._classes[k] = hit
        return hit

    def __repr__(self):
        return f"<Sheet: steps {self.first}..{self.last} of pass {self.pass_index + 1}, {self.looks} looks>"


def show_rule(classes):
    """The CSS that shows these looks: one plain class selector each (a browser files such rules
    by class, so a step's restyle stays quick; one `:is()` of a thousand classes takes seconds)."""
    return ",".join("." + c for c in classes) + "{display:inline}" if classes else ""


def hide_rule(classes):
    """The CSS that hides these looks over any plain rule that shows them (a doubled class weighs more)."""
    return ",".join(f".{c}.{c}" for c in classes) + "{display:none}" if classes else ""
