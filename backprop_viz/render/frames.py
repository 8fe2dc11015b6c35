"""frames(trace): one SVG per snapshot, all made from one `dot` layout per graph structure."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Sequence

from backprop_viz.render import style
from backprop_viz.render.collapse import DEFAULT_MAX_NODES, scene_for
from backprop_viz.render.focus import check_focus, focus_structure
from backprop_viz.render.layout import check_dot, layout_dot, parse_layout, run_dot
from backprop_viz.render.scene import structure_of
from backprop_viz.render.state import PassView
from backprop_viz.render.template import Template
from backprop_viz.text.words import PICTURE, phase_key

__all__ = ["frames", "Frames", "check_options", "clear_layout_cache", "layout_runs", "GraphTooBigError",
           "LAYOUT_MAX_NODES"]

_LAYOUTS = OrderedDict()  # (structure key, options) -> (scene, Template); the last 32 used
_MAX_LAYOUTS = 32
_SCENES = OrderedDict()  # (structure key, options) -> scene, for draw() (no layout); the last 32 used
_STRUCTURES = weakref.WeakKeyDictionary()  # trace -> {(pass, nodes, steps): Structure}
# A scene of more drawn nodes (values and ops) than this is refused: measured with the bundled
# Graphviz, 900 nodes lay out in about 1 s, 1,800 in 3.5 s, 3,600 in 19 s and 10,000 (max_nodes=5000) in minutes.
LAYOUT_MAX_NODES = 2000


class GraphTooBigError(ValueError):
    """A picture with more nodes than a layout can place in a few seconds: the sentence suggests
    focus= or a smaller max_nodes (which collapses neurons and sums)."""
_RUNS = [0]  # how many times dot has laid out a scene (tests and benchmarks read it)


def layout_runs():
    """How many times `dot` has been run for a layout in this process."""
    return _RUNS[0]


def clear_layout_cache():
    _LAYOUTS.clear()
    _SCENES.clear()
    _STRUCTURES.clear()


def _structure(trace, pass_index):
    """structure_of, once per pass of a trace (recomputed when the trace has grown)."""
    per = _STRUCTURES.get(trace)
    if per is None:
        per = _STRUCTURES[trace] = {}
    key = (pass_index, trace.num_nodes, len(trace))
    s = per.get(key)
    if s is None:
        if len(per) > 64:
            per.clear()
        s = per[key] = structure_of(trace, pass_index)
    return s


def check_size(scene, lang, max_nodes):
    """GraphTooBigError when the scene is too big to lay out in a few seconds."""
    n = len(scene.nodes)
    if n > LAYOUT_MAX_NODES:
        raise GraphTooBigError(PICTURE[lang]["too_big_layout"].format(
            n=f"{n:,}", limit=f"{LAYOUT_MAX_NODES:,}", max_nodes=max_nodes))


def check_options(rankdir, lang, max_nodes):
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), not {rankdir!r}.")
    style.check_lang(lang)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int (values drawn one by one), not {max_nodes!r}.")


def check_trace(trace, what):
    from backprop_viz.trace import Snapshot, Trace

    if isinstance(trace, Trace):
        return
    if isinstance(trace, Snapshot):
        raise TypeError(f"{what} takes a whole Trace; for one snapshot use draw(snapshot).")
    hint = " (for a graph you already built, use trace_of(loss))" if type(trace).__name__ == "Value" else ""
    raise TypeError(f"{what} takes a Trace from record() or trace_of(), not {type(trace).__name__}{hint}.")


def scene_and_template(trace, pass_index, rankdir, lang, max_nodes, layout=True, focus=None):
    """The scene of one pass and, when `layout`, its template: cached by the pass's structure, so
    passes with the same structure (training steps) share one dot run. With `focus` (checked by
    check_focus), only the paths from that value to the loss."""
    s = _structure(trace, pass_index)
    note, keep = "", ()
    if focus is not None:
        s, note, f = focus_structure(trace, pass_index, s, focus, lang)
        keep = () if f is None else (f,)
    key = (s.key, rankdir, lang, max_nodes, note, keep)
    hit = _LAYOUTS.get(key)
    if hit is not None:
        _LAYOUTS.move_to_end(key)
        scene, template = hit
        if scene.structure is not s:  # same shape, other node ids: re-point the scene at this pass
            scene = _rebind(scene, s)
        return scene, template
    scene = _SCENES.get(key)
    if scene is None:
        scene = scene_for(s, lang, max_nodes, keep)
        if note:
            scene.note = f"{note} {scene.note}" if scene.note else note
        _SCENES[key] = scene
        while len(_SCENES) > _MAX_LAYOUTS:
            _SCENES.popitem(last=False)
    else:
        _SCENES.move_to_end(key)
        if scene.structure is not s:
            scene = _rebind(scene, s)
    check_size(scene, lang, max_nodes)
    if not layout:
        return scene, None
    _RUNS[0] += 1
    template = Template(scene, parse_layout(run_dot(layout_dot(scene, rankdir))), rankdir, lang)
    _LAYOUTS[key] = (scene, template)
    while len(_LAYOUTS) > _MAX_LAYOUTS:
        _LAYOUTS.popitem(last=False)
    return scene, template


def _rebind(scene, s):
    import copy

    other = copy.copy(scene)
    other.structure = s
    return other


class Frames(Sequence):
    """The SVG text of every snapshot of a trace: len(frames) == len(trace) + 1, frames[k] is
    snapshot k, made lazily. Frames of one pass share one layout: no node moves."""

    def __init__(self, trace, rankdir="LR", lang="en", max_nodes=DEFAULT_MAX_NODES, focus=None):
        check_trace(trace, "frames()")
        check_options(rankdir, lang, max_nodes)
        self.focus = check_focus(trace, focus)
        check_dot()  # say it now, once, rather than at the first frame shown
        self.trace, self.rankdir, self.lang, self.max_nodes = trace, rankdir, lang, max_nodes
        self._views = {}

    def __len__(self):
        return len(self.trace) + 1

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if isinstance(k, bool) or not hasattr(k, "__index__"):
            raise TypeError(f"frames are numbered by int steps, not {type(k).__name__}.")
        k = k.__index__()
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"frame {k} does not exist: this trace has frames 0 to {n - 1}.")
        return self.render(self.trace.snapshot(k))

    def view(self, pass_index):
        """(PassView, Template) of one pass."""
        hit = self._views.get(pass_index)
        if hit is None:
            scene, template = scene_and_template(self.trace, pass_index, self.rankdir, self.lang, self.max_nodes,
                                                 focus=self.focus)
            hit = self._views[pass_index] = (PassView(self.trace, pass_index, scene), template)
        return hit

    def render(self, snap):
        """The SVG text of a snapshot of this trace."""
        view, tpl = self.view(snap.pass_index)
        nodes, edges, labels = view.state(snap, self.lang)
        value, const, plain, edge, label = tpl.value, tpl.const, tpl.plain, tpl.edge, tpl.label
        node_strs = [value(n, st) if type(st) is tuple else const(n, st) if type(st) is str else plain(n, st)
                     for n, st in enumerate(nodes)]
        edge_strs = [edge(e, st) for e, st in enumerate(edges)]
        label_strs = [label(*lab) for lab in labels] + [tpl.badge(n, uses) for n, uses in view.badges(snap)]
        return tpl.frame(status_text(snap, self.lang), edge_strs, node_strs, label_strs)

    def __repr__(self):
        return f"<Frames: {len(self)} SVG frames of {self.trace!r}>"


def status_text(snap, lang):
    """The line at the top of a frame: phase, step, and pass when there are several."""
    w = PICTURE[lang]
    trace = snap.trace
    parts = [w[phase_key(snap)], w["step"].format(k=snap.step, n=len(trace))]
    if trace.passes > 1:
        parts.append(w["pass"].format(p=snap.pass_index + 1, n=trace.passes))
    return " · ".join(parts)


def frames(trace, rankdir="LR", lang="en", max_nodes=DEFAULT_MAX_NODES, focus=None):
    """The SVG text of every snapshot k = 0..len(trace) as a lazy sequence (len, [k], iteration).

    `dot` lays each graph structure out once; every frame re-uses those positions and changes
    only colours, pen widths and texts. rankdir 'LR' (left to right) or 'TB'; lang 'en' or 'ko';
    graphs of more than `max_nodes` values are collapsed or summarised, with a note saying so.
    focus: a node id or label, e.g. focus='w1': only the values on a path from it to the loss
    (dL/dw1 is the sum, over these paths, of the product of the local derivatives along each),
    plus the other inputs of those steps, with a note saying so.
    """
    return Frames(trace, rankdir, lang, max_nodes, focus)
