"""What each drawn node and edge looks like at one step: status, texts, gradient sign and width."""

from __future__ import annotations

from backprop_viz.render import style
from backprop_viz.render.escape import clean
from backprop_viz.render.template import ACTIVE, DONE, PENDING
from backprop_viz.trace import BACKWARD, ArraySummary

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
        # gradient events of this pass on the drawn edges: edge -> [(event index, contribution)]
        edge_of, local = scene.edge_of, self.local
        self.delivered = {}  # edge -> (event index, sign, magnitude, contribution)
        self.upstream = {}  # local child -> (first event index with it as child, sign, magnitude)
        drawn_out = set(scene.out_of)
        events = trace._events
        for i in range(self.start, self.stop):
            ev = events[i]
            if ev[0] != BACKWARD:
                continue
            c = local.get(ev[2])
            if c is None:
                continue
            e = edge_of.get((c, ev[3]))
            if e is not None and e not in self.delivered:
                self.delivered[e] = (i, ev[6])
            if c in drawn_out and c not in self.upstream:
                self.upstream[c] = (i, ev[4])
        top = max([style.magnitude(x) for _, x in self.delivered.values()] +
                  [style.magnitude(x) for _, x in self.upstream.values()] + [0.0])
        self.delivered = {e: (i, style.sign(x), style.edge_width(style.magnitude(x), top), x)
                          for e, (i, x) in self.delivered.items()}
        self.upstream = {c: (i, style.sign(x), style.edge_width(style.magnitude(x), top))
                         for c, (i, x) in self.upstream.items()}

    # ---- texts ----
    def _rows(self, x):
        """(first, second) row texts of a value: number and '', or mean and range for arrays."""
        if x is None:
            return "", ""
        if type(x) is float:
            key = x
        else:
            key = id(x)
        hit = self._texts.get(key)
        if hit is not None and (type(x) is float or hit[0] is x):
            return hit[1]
        if type(x) is float:
            rows = (style.number_text(x), "")
        elif isinstance(x, (ArraySummary,)) or getattr(x, "ndim", 0):
            mean, lo, hi = style.array_stats(x)
            rows = (f'{style.WORDS[self._lang]["mean"]} {style.number_text(mean)}',
                    f"{style.short_number(lo)}…{style.short_number(hi)}")
        else:
            rows = (style.number_text(float(x)), "")
        if len(self._texts) > 50000:
            self._texts.clear()
        self._texts[key] = (x, rows)
        return rows

    def state(self, snap, lang):
        """(nodes, edges, labels): per drawn node ('value', status, title, d1, d2, g1, g2, sign) or
        ('plain', status); per edge (status, sign or None, width); labels [(edge, text, sign, active)]."""
        self._lang = lang
        scene, ids, local, k = self.scene, self.ids, self.local, snap.step
        values, grads, trace = snap.values, snap.grads, self.trace
        ev = snap.event
        act_value = act_op = act_edge = act_out = None
        fwd_child = None
        if ev is not None and ev.pass_index == self.pass_index:
            n = local.get(ev.node)
            act_value = scene.value_of.get(n)
            if ev.kind == "forward":
                act_op = scene.op_of.get(n)
                fwd_child = n
            elif ev.kind == "backward":
                c = local.get(ev.child)
                act_op = scene.op_of.get(c)
                act_edge = scene.edge_of.get((c, ev.slot))
                act_out = c
        nodes = []
        for n, node in enumerate(scene.nodes):
            kind = node.kind
            if kind == "value":
                t = ids[node.local]
                v = values[t]
                status = ACTIVE if n == act_value else DONE if v is not None else PENDING
                title = node.text
                if title is None:
                    title = clean(trace.name(t), style.TITLE_CHARS)
                    if node.array:
                        title = f"{title} [{style.shape_text(scene.structure.shapes[node.local])}]"
                d1, d2 = self._rows(v)
                g = grads[t]
                g1, g2 = self._rows(g)
                nodes.append(("value", status, title, d1, d2, g1, g2, None if g is None else style.sign(g)))
            elif kind == "op":
                status = ACTIVE if n == act_op else DONE if values[ids[node.local]] is not None else PENDING
                nodes.append(("plain", status))
            else:
                nodes.append(("plain", DONE if kind == "const" else PENDING))
        edges, labels = [], []
        delivered, upstream = self.delivered, self.upstream
        for e, edge in enumerate(scene.edges):
            head = scene.nodes[edge.head]
            if edge.kind == "in":
                got = delivered.get(e)
                if got is not None and got[0] < k:
                    active = e == act_edge
                    edges.append((ACTIVE if active else DONE, got[1], got[2]))
                    if scene.labels or active:
                        labels.append((e, style.number_text(got[3]) if type(got[3]) is float
                                       else self._rows(got[3])[0], got[1], active))
                    continue
            elif edge.kind == "out":
                got = upstream.get(edge.child)
                if got is not None and got[0] < k:
                    edges.append((ACTIVE if edge.child == act_out else DONE, got[1], got[2]))
                    continue
            known = values[ids[head.local]] is not None if head.local is not None else False
            active = head.local == fwd_child and head.local is not None and edge.kind != "more"
            edges.append((ACTIVE if active else DONE if known else PENDING, None, None))
        return nodes, edges, labels
