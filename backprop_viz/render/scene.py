"""What is drawn for one pass: value nodes, op nodes and edges, sized before layout."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from backprop_viz.render import style
from backprop_viz.render.escape import clean
from backprop_viz.text.words import PICTURE

__all__ = ["Structure", "structure_of", "Scene", "DNode", "DEdge", "full_scene"]


@dataclass(eq=False)
class Structure:
    """The graph of one pass in local ids 0..n-1 (positions in `ids`), without any numbers."""

    ids: tuple  # trace id of each local node
    names: tuple  # a label that never changes, or None: the name comes from the trace each frame
    ops: tuple
    parents: tuple  # local ids
    kinds: tuple
    shapes: tuple
    args: tuple
    drawable: tuple  # the op is drawn (all its parents belong to the pass)
    titles: tuple = ()  # the name a student sees for each node (trace.name), for notes; not part of `key`

    def __len__(self):
        return len(self.ids)

    @property
    def key(self):
        """Equal for two passes with the same structure: they share one layout."""
        return (self.names, self.ops, self.parents, self.kinds, self.shapes, self.args, self.drawable)


def structure_of(trace, pass_index):
    """The structure drawn for pass `pass_index`: its nodes plus every input of its computed nodes."""
    cols = trace.node_columns()  # columns, not a NodeInfo per node: a big graph has 100k nodes
    ops, parents_of = cols.op, cols.parents
    base = trace.pass_nodes(pass_index) if len(trace) else range(len(ops))
    ids = set(base)
    for t in base:
        if ops[t]:
            ids.update(parents_of[t])
    labels, kinds, shapes, args = cols.label, cols.kind, cols.shape, cols.arg
    # Unlabelled values (and constants: their number) are named each frame, so passes that differ
    # only in such names or numbers share one layout.
    if len(ids) == len(ops):  # every node (one pass): local ids are trace ids, every op is drawn
        ids = tuple(range(len(ops)))
        return Structure(ids, tuple(label or None for label in labels), ops, parents_of, kinds, shapes, args,
                         tuple(bool(op) for op in ops), _Titles(trace, ids))
    ids = tuple(sorted(ids))
    local = {t: i for i, t in enumerate(ids)}
    drawable = tuple(bool(ops[t]) and all(p in local for p in parents_of[t]) for t in ids)
    parents = tuple(tuple(local[p] for p in parents_of[t]) if d else () for t, d in zip(ids, drawable))
    return Structure(
        ids, tuple(labels[t] or None for t in ids), tuple(ops[t] if d else "" for t, d in zip(ids, drawable)),
        parents, tuple(kinds[t] for t in ids), tuple(shapes[t] for t in ids), tuple(args[t] for t in ids),
        drawable, _Titles(trace, ids),
    )


class _Titles:
    """trace.name of each local node, worked out when a note first needs one (naming every node of
    a big graph costs more than building its structure); holds the trace weakly, as caches do."""

    def __init__(self, trace, ids):
        self._trace, self._ids, self._names = weakref.ref(trace), ids, {}

    def __len__(self):
        return len(self._ids)

    def pick(self, indices):
        """The titles of the local nodes `indices` (in that order), still worked out when needed."""
        return _Titles(self._trace(), tuple(self._ids[i] for i in indices)) if self._trace() is not None else \
            tuple(self[i] for i in indices)

    def __getitem__(self, i):
        if i not in self._names:
            trace = self._trace()
            self._names[i] = trace.name(self._ids[i]) if trace is not None else f"v{self._ids[i]}"
        return self._names[i]


@dataclass(eq=False)
class DNode:
    """A drawn node. kind: 'value', 'const', 'op' or 'more'; `local` is the node whose state it
    shows (for an op node: the value it computes)."""

    key: str
    kind: str
    local: int | None
    text: str | None = None  # static title (value), symbol (op), number (const), count (more)
    width: float = 0.0  # points
    height: float = 0.0
    array: bool = False
    param: bool = False
    tooltip: str = ""


@dataclass(eq=False)
class DEdge:
    """A drawn edge. kind 'in': parent value -> op of `child`, carrying slot `slot`;
    'out': op -> the value it computes; 'more': a stub for inputs left out."""

    tail: int
    head: int
    kind: str
    child: int | None = None
    slot: int | None = None


@dataclass(eq=False)
class Scene:
    """Drawn nodes and edges with the maps from the structure to them."""

    structure: Structure
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    value_of: dict = field(default_factory=dict)  # local id -> its value node
    op_of: dict = field(default_factory=dict)  # local id -> the op node that computes it (or its group's)
    edge_of: dict = field(default_factory=dict)  # (child, slot) -> edge index
    out_of: dict = field(default_factory=dict)  # local id -> index of the edge op -> value
    note: str = ""
    arrays: bool = False
    labels: bool = True  # every delivered gradient is written on its edge

    def add_node(self, node):
        self.nodes.append(node)
        return len(self.nodes) - 1

    def add_edge(self, edge):
        self.edges.append(edge)
        return len(self.edges) - 1


def row_header_width(lang):
    w = PICTURE[lang]
    return max(style.text_width(w[k], style.ROW_SIZE) for k in ("data", "grad"))


def value_node(s, i, lang):
    """The box of value node i: a title row, then data and grad (mean and range for arrays)."""
    shape = s.shapes[i]
    array = bool(shape)
    name = s.names[i]
    title = None if name is None else title_text(name, shape)
    value_chars = max(len(PICTURE[lang]["mean"]) + 1, 2) + style.NUMBER_CHARS if array else style.NUMBER_CHARS
    if array:
        value_chars = max(value_chars, 2 * style.NUMBER_CHARS + 1)
    rows_w = row_header_width(lang) + 8 + value_chars * 0.6 * style.ROW_SIZE
    title_w = style.text_width(title or "v0000000", style.TITLE_SIZE)
    rows = 4 if array else 2
    return DNode(
        f"v{i}", "value", i, title,
        width=round(max(rows_w, title_w) + 2 * style.PAD, 1),
        height=style.TITLE_H + rows * style.ROW_H + 4,
        array=array, param=s.kinds[i] == "parameter",
    )


def title_text(name, shape):
    name = clean(name, style.TITLE_CHARS)
    return f"{name} [{style.shape_text(shape)}]" if shape else name


def const_node(s, i, lang):
    """A constant: a small box with its label, or its number (sized for any number) when unlabelled."""
    text = clean(s.names[i], style.TITLE_CHARS) if s.names[i] else None
    chars = len(PICTURE[lang]["mean"]) + 1 + style.NUMBER_CHARS if s.shapes[i] else style.NUMBER_CHARS
    width = style.text_width(text, style.ROW_SIZE) if text else chars * 0.6 * style.ROW_SIZE
    return DNode(f"v{i}", "const", i, text, width=round(width + 12, 1), height=18.0)


def op_node(key, i, text):
    w = style.text_width(text, style.TITLE_SIZE)
    if len(text) <= 2:
        return DNode(key, "op", i, text, width=26.0, height=26.0)
    return DNode(key, "op", i, text, width=round(w + 16, 1), height=24.0)


def more_node(key, n, lang):
    text = PICTURE[lang]["more"].format(n=f"{n:,}")
    text = "⋯ " + text
    return DNode(key, "more", None, text, width=round(style.text_width(text, style.ROW_SIZE) + 12, 1),
                 height=18.0)


def add_value(scene, i, lang):
    s = scene.structure
    node = const_node(s, i, lang) if s.kinds[i] == "constant" else value_node(s, i, lang)
    scene.arrays |= node.array
    scene.value_of[i] = scene.add_node(node)


def add_op(scene, i, text, inputs):
    """The op node computing value i from `inputs` = [(tail local, child, slot)], and its edges."""
    o = scene.add_node(op_node(f"o{i}", i, text))
    scene.op_of[i] = o
    for tail, child, slot in inputs:
        scene.edge_of[(child, slot)] = scene.add_edge(DEdge(scene.value_of[tail], o, "in", child, slot))
    scene.out_of[i] = scene.add_edge(DEdge(o, scene.value_of[i], "out", i))
    return o


def full_scene(s, lang):
    """Every node of the structure drawn: values in boxes, one op node per computed value."""
    scene = Scene(s)
    for i in range(len(s)):
        add_value(scene, i, lang)
        if s.drawable[i]:
            add_op(scene, i, style.op_text(s.ops[i], s.args[i]),
                   [(p, i, slot) for slot, p in enumerate(s.parents[i])])
    return scene
