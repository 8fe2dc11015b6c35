"""What each drawn node and edge looks like at one step: status, texts, gradient sign and width."""

from __future__ import annotations

from backprop_viz.render import style
from backprop_viz.render.escape import clean
from backprop_viz.render.template import ACTIVE, DONE, PENDING
from backprop_viz.text.captions import upstream_uses
from backprop_viz.text.words import PICTURE
from backprop_viz.trace import ArraySummary

__all__ = ["PassView"]


class PassView:
    """One pass of a trace drawn on one scene: the gradient each edge carries in this pass is
    read from the events once, so a frame only compares event numbers with the step."""

    def __init__(self, trace, pass_index, scene):
        self.trace, self.pass_index, self.scene = trace, pass_index, scene
        s = scene.structure
        self.ids = s.ids
        self.local = {t: i for i, t in enumerate(s.ids)}
        self.start, self.stop = trace.pass_range(pass_index) if len(trace) else (0, 0)
        self._texts = {}
        self._nodes = self._edges = None
        self.lang = "en"
        # gradient events of this pass on the drawn edges: edge -> [(event index, contribution)]
        edge_of, local = scene.edge_of, self.local
        self.delivered = {}  # edge -> (event index, sign, magnitude, contribution)
        self.upstream = {}  # local child -> (first event index with it as child, sign, magnitude)
        drawn_out = set(scene.out_of)
        # re-use: backward event -> (drawn value node of the child, k, n) when ∂L/∂child, computed
        # once, is read by n > 1 steps of this pass (one per edge out of child) and this is the k-th
        self.reuse = {}
        # the pass's backward events as columns: a big pass has 100k of them, most on edges not drawn
        cols = trace.event_columns("backward", self.start, self.stop)
        steps, children, slots = cols.index, cols.child, cols.slot
        seeds = [j for j in trace.seed_steps() if self.start <= j < self.stop]
        seed = seeds[0] if len(seeds) == 1 else None  # the usual pass: one backward run, counted here
        root = trace.node_at(seed) if seed is not None else None
        value_of, ids = scene.value_of, self.ids
        # only the children a drawn element shows: a drawn value (its re-use badge), a drawn edge
        # into its op, or its op's drawn edge to it; by trace id
        shown = {ids[c] for c in {c for c, _ in edge_of} | set(value_of) | drawn_out}
        uses = {}  # drawn value (local id) -> the events that read its ∂L/∂child, in order
        contribution = upstream = None
        for j, child in enumerate(children):
            if child not in shown:
                continue
            if contribution is None:
                contribution, upstream = cols.contribution, cols.upstream
            c, i = local[child], steps[j]
            if c in value_of:
                uses.setdefault(c, []).append(i)
            e = edge_of.get((c, slots[j]))
            if e is not None and e not in self.delivered:
                self.delivered[e] = (i, contribution[j])
            if c in drawn_out and c not in self.upstream:
                self.upstream[c] = (i, upstream[j])
        for c, js in uses.items():
            if seed is not None:  # k-th of n reads, counted in this sweep (the same answer as upstream_uses)
                js = [i for i in js if i > seed] if ids[c] != root else []
                places = [(i, k + 1, len(js)) for k, i in enumerate(js)] if len(js) > 1 else []
            else:
                places = [(i, *upstream_uses(trace, i)) for i in js]
            for i, k, n in places:
                if k > 1:
                    self.reuse[i] = (value_of[c], k, n)
        top = max([style.magnitude(x) for _, x in self.delivered.values()] +
                  [style.magnitude(x) for _, x in self.upstream.values()] + [0.0])
        self.delivered = {e: (i, style.sign(x), style.edge_width(style.magnitude(x), top), x)
                          for e, (i, x) in self.delivered.items()}
        self.upstream = {c: (i, style.sign(x), style.edge_width(style.magnitude(x), top))
                         for c, (i, x) in self.upstream.items()}

    # ---- texts ----
    def _rows(self, x):
        """(first row, second row, sign) of a value: its number, or mean and range for an array."""
        if x is None:
            return _NONE
        key = x if type(x) is float else id(x)
        hit = self._texts.get(key)
        if hit is not None and (type(x) is float or hit[0] is x):
            return hit[1]
        if type(x) is float:
            rows = (style.number_text(x), "", style.sign(x))
        elif isinstance(x, ArraySummary) or getattr(x, "ndim", 0):
            mean, lo, hi = style.array_stats(x)
            rows = (f'{PICTURE[self.lang]["mean"]} {style.number_text(mean)}',
                    f"{style.short_number(lo)}…{style.short_number(hi)}", style.sign(x))
        else:
            x = float(x)
            rows = (style.number_text(x), "", style.sign(x))
        if len(self._texts) > 50000:
            self._texts.clear()
        self._texts[key] = (x, rows)
        return rows

    def _plan(self):
        """Per element what a frame needs, looked up once: node (index, kind, trace id, title);
        edge (kind, trace id of the value it leads to, delivered gradient or None, label text)."""
        scene, trace, ids = self.scene, self.trace, self.ids
        self._nodes = []
        for n, node in enumerate(scene.nodes):
            t = ids[node.local] if node.local is not None else None
            title = node.text
            if node.kind == "value" and title is None:
                title = clean(trace.name(t), style.TITLE_CHARS)
                if node.array:
                    title = f"{title} [{style.shape_text(scene.structure.shapes[node.local])}]"
            self._nodes.append((n, node.kind, t, title))
        self._edges = []
        for e, edge in enumerate(scene.edges):
            head = scene.nodes[edge.head]
            t = ids[head.local] if head.local is not None else None
            got = self.delivered.get(e) if edge.kind == "in" else self.upstream.get(edge.child)
            text = None
            if got is not None and edge.kind == "in":
                x = got[3]
                text = style.number_text(x) if type(x) is float else \
                    f'{PICTURE[self.lang]["mean"]} {style.short_number(style.array_stats(x)[0])}'
            self._edges.append((edge.kind, t, edge.child, got, text))

    def badges(self, snap):
        """[(drawn value node, n)]: the node whose upstream gradient the step shown re-uses, and
        how many steps of the pass use it (shown at its 2nd … n-th use)."""
        ev = snap.event
        hit = self.reuse.get(snap.step - 1) if ev is not None and ev.kind == "backward" else None
        return [] if hit is None else [(hit[0], hit[2])]

    def state(self, snap, lang):
        """(nodes, edges, labels): per drawn node (status, title, d1, d2, g1, g2, sign) for a value,
        the text of a constant, the status of any other; per edge (status, sign or None, width); labels [(edge, text, sign,
        active)]. Texts are already `clean`."""
        self.lang = lang
        if self._nodes is None:
            self._plan()
        scene, local, k = self.scene, self.local, snap.step
        values, grads = snap.values, snap.grads
        ev = snap.event
        act_value = act_op = act_edge = act_out = fwd_child = None
        if ev is not None and ev.pass_index == self.pass_index:
            n = local.get(ev.node)
            act_value = scene.value_of.get(n)
            if ev.kind == "forward":
                act_op = scene.op_of.get(n)
                fwd_child = ev.node
            elif ev.kind == "backward":
                c = local.get(ev.child)
                act_op = scene.op_of.get(c)
                act_edge = scene.edge_of.get((c, ev.slot))
                act_out = c
        rows = self._rows
        nodes = []
        add = nodes.append
        for n, kind, t, title in self._nodes:
            if kind == "value":
                v = values[t]
                d1, d2, _ = rows(v)
                g1, g2, gsign = rows(grads[t])
                add((ACTIVE if n == act_value else DONE if v is not None else PENDING,
                     title, d1, d2, g1, g2, gsign))
            elif kind == "op":
                add(ACTIVE if n == act_op else DONE if values[t] is not None else PENDING)
            elif kind == "const":
                add(title or rows(values[t])[0])
            else:
                add(PENDING)
        edges, labels = [], []
        add = edges.append
        all_labels = scene.labels
        for e, (kind, t, child, got, text) in enumerate(self._edges):
            if got is not None and got[0] < k:
                if kind == "in":
                    active = e == act_edge
                    if all_labels or active:
                        labels.append((e, text, got[1], active))
                else:
                    active = child == act_out
                add((ACTIVE if active else DONE, got[1], got[2]))
            elif t is None:
                add(_PLAIN_PENDING)
            elif values[t] is None:
                add(_PLAIN_PENDING)
            else:
                add(_PLAIN_ACTIVE if t == fwd_child and kind != "more" else _PLAIN_DONE)
        return nodes, edges, labels


_NONE = ("", "", None)
_PLAIN_PENDING = (PENDING, None, None)
_PLAIN_DONE = (DONE, None, None)
_PLAIN_ACTIVE = (ACTIVE, None, None)
