"""focus=: only the paths from one chosen value to the loss, with the other inputs of those steps."""

from __future__ import annotations

import difflib
from collections import deque

from backprop_viz.render import style
from backprop_viz.render.escape import clean
from backprop_viz.render.scene import Structure
from backprop_viz.text.words import PICTURE


__all__ = ["check_focus", "focus_structure"]


def check_focus(trace, focus):
    """The focus as a node id (an int) or a name (a str) that names at most one value in every
    pass; a clear ValueError or TypeError otherwise. None stays None."""
    if focus is None:
        return None
    n = trace.num_nodes
    if isinstance(focus, bool) or not isinstance(focus, (int, str)):
        hint = ""
        if type(focus).__name__ == "Value":
            hint = " (for a Value, give its label, e.g. focus='w1', or its node id)"
        raise TypeError(f"focus takes a node id (int) or a label (str), not {type(focus).__name__}{hint}.")
    if isinstance(focus, int):
        if not 0 <= focus < n:
            raise ValueError(f"focus={focus} is not a node of this trace: its node ids are 0 to {n - 1}.")
        return focus
    ids = [t for t in range(n) if trace.name(t) == focus]
    if not ids:
        names = sorted({trace.name(t) for t in range(n) if trace.label(t)})
        close = difflib.get_close_matches(focus, names, n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        shown = ", ".join(map(repr, names[:12])) + (", …" if len(names) > 12 else "")
        known = f" Its labelled values: {shown}." if names else " None of its values has a label."
        raise ValueError(f"focus={focus!r}: no value of this trace is called that.{hint}{known} "
                         f"A node id (0 to {n - 1}) works too.")
    for p in range(max(trace.passes, 1)):
        drawn = set(trace.pass_nodes(p)) if len(trace) else set(range(n))
        same = [t for t in ids if t in drawn]
        if len(same) > 1:
            raise ValueError(f"focus={focus!r} names {len(same)} values of pass {p + 1} (node ids "
                             f"{', '.join(map(str, same[:6]))}): give the id of the one you mean, "
                             f"e.g. focus={same[0]}.")
    return focus


def _loss(trace, pass_index, s):
    """Local ids of what the pass computes towards: its backward pass's root, else its outputs."""
    local = {t: i for i, t in enumerate(s.ids)}
    if len(trace):
        start, stop = trace.pass_range(pass_index)
        roots = [local[ev.node] for _, ev in trace.events_between(start, stop, "seed") if ev.node in local]
        if roots:
            return sorted(set(roots))
    used = {p for ps in s.parents for p in ps}
    return [i for i in range(len(s)) if i not in used and s.drawable[i]] or [len(s) - 1]


def focus_structure(trace, pass_index, s, focus, lang):
    """(structure, note, focus local id or None): the values on a path from the focus to the loss
    — the focus's descendants that are also the loss's ancestors — plus every other input of
    those steps, drawn as a leaf (without its own inputs). When the focus takes no part in the
    pass, the whole pass with a note saying so."""
    words = PICTURE[lang]
    if isinstance(focus, int):
        matches = [i for i, t in enumerate(s.ids) if t == focus]
    else:
        matches = [i for i, t in enumerate(s.ids) if trace.name(t) == focus]
    name = clean(trace.name(s.ids[matches[0]]) if matches else
                 trace.name(focus) if isinstance(focus, int) else focus, style.TITLE_CHARS)
    targets = _loss(trace, pass_index, s)
    loss = clean(trace.name(s.ids[targets[0]]), style.TITLE_CHARS) if len(targets) == 1 else words["output"]
    if not matches:
        return s, words["focus_absent"].format(name=name, loss=loss), None
    f = matches[0]
    children = [[] for _ in range(len(s))]
    for c, ps in enumerate(s.parents):
        for p in ps:
            children[p].append(c)
    below = _reach([f], children)
    above = _reach(targets, s.parents)
    path = below & above
    if not path:
        return s, words["focus_absent"].format(name=name, loss=loss), None
    keep = set(path)
    for i in path:
        if s.drawable[i]:
            keep.update(s.parents[i])
    ids = sorted(keep)
    new = {old: k for k, old in enumerate(ids)}
    drawable = tuple(i in path and s.drawable[i] for i in ids)
    sub = Structure(
        ids=tuple(s.ids[i] for i in ids), names=tuple(s.names[i] for i in ids),
        ops=tuple(s.ops[i] if d else "" for i, d in zip(ids, drawable)),
        parents=tuple(tuple(new[p] for p in s.parents[i]) if d else () for i, d in zip(ids, drawable)),
        kinds=tuple(s.kinds[i] for i in ids), shapes=tuple(s.shapes[i] for i in ids),
        args=tuple(s.args[i] for i in ids), drawable=drawable,
        titles=_pick(s.titles, ids))
    note = words["focus"].format(name=name, loss=loss, path=f"{len(path):,}", n=f"{len(s):,}",
                                 inputs=f"{len(keep) - len(path):,}")
    return sub, note, new[f]


def _pick(titles, ids):
    """The titles of local nodes `ids`: named lazily like the whole structure's (a focus on a
    first-layer weight keeps most of a big graph, and naming all of it costs more than drawing)."""
    if not titles:
        return ()
    return titles.pick(ids) if hasattr(titles, "pick") else tuple(titles[i] for i in ids)


def _reach(starts, links):
    """Every node reached from `starts` by following `links` (a list of id lists), starts included."""
    seen, queue = set(starts), deque(starts)
    while queue:
        for j in links[queue.popleft()]:
            if j not in seen:
                seen.add(j)
                queue.append(j)
    return seen
