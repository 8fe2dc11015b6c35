"""A standalone export of a trace: one self-contained HTML player page, no server, no kernel."""

from __future__ import annotations

import difflib
import hashlib
from array import array

from backprop_viz.export.common import LANGS, _bare_svg, _check_lang, _check_path, _check_steps, _check_trace, _svg_frames
from backprop_viz.text.words import PAGE, WORDS, phase_key

__all__ = ["export_html"]

PLAY_INTERVAL_MS = 900  # the page's "play" speed at 1×


# -- HTML ---------------------------------------------------------------------------------
def _pieces(svg):
    """The SVG cut before every "<g " tag: one piece per node, edge or label group. Texts are
    escaped, so "<" inside the SVG always starts markup."""
    first, *rest = svg.split("<g ")
    return ([first] if first else []) + ["<g " + p for p in rest]


def _tags(piece):
    first, *rest = piece.split("<")
    return ([first] if first else []) + ["<" + t for t in rest]


class _FrameEdits:
    """Deduplicated frames, built one frame at a time (a frame is dropped once added): unique pieces
    (`chunks`), frame 0 as chunk ids, and per later frame the edits [start, delete_count, *ids]
    (last-first) that turn the previous frame into it. A piece is stored as a list of ids into
    `tags` (unique tags), since a node's looks share most tags. Only the previous frame's ids are
    kept, so memory grows with what the page holds, not with the frames' full text."""

    def __init__(self):
        self.chunk_id, self.chunks, self.tag_id = {}, [], {}
        self.first, self.edits, self._prev = None, [], None

    def add(self, svg):
        chunk_id, tag_id = self.chunk_id, self.tag_id
        ids = []
        for piece in _pieces(svg):
            # keyed by a 128-bit digest, not the piece's text: the text is kept once, as its tags
            key = hashlib.blake2b(piece.encode(), digest_size=16).digest()
            cid = chunk_id.get(key)
            if cid is None:
                cid = chunk_id[key] = len(self.chunks)
                # an array, not a list of int objects: a page of many frames holds thousands
                self.chunks.append(array("l", [tag_id.setdefault(t, len(tag_id)) for t in _tags(piece)]))
            ids.append(cid)
        if self._prev is None:
            self.first = ids
        else:
            self.edits.append(_edits(self._prev, ids))
        self._prev = ids

    def result(self):
        return list(self.tag_id), self.chunks, self.first or [], self.edits


def _edits(prev, cur):
    """The edits [start, delete_count, *ids], last-first, that turn id list `prev` into `cur`."""
    if len(prev) == len(cur):  # the usual case: same layout, lines restyled in place
        diff, i = [], 0
        while i < len(cur):
            if prev[i] != cur[i]:
                j = i
                while j < len(cur) and prev[j] != cur[j]:
                    j += 1
                diff.append([i, j - i, *cur[i:j]])
                i = j
            else:
                i += 1
        return diff[::-1]
    ops = difflib.SequenceMatcher(None, prev, cur, autojunk=False).get_opcodes()
    return [[i1, i2 - i1, *cur[j1:j2]] for tag, i1, i2, j1, j2 in reversed(ops) if tag != "equal"]


def export_html(trace, path, lang="en", *, steps=None, title=None, start=0, max_frames=5000, focus=None,
                predict=False):
    """Write one self-contained HTML page that steps through the trace: every frame of
    frames(trace), captions in English and Korean (switchable), first/previous/play/next/last
    buttons, a slider and arrow keys. It needs no server and no network (it opens from file://).

    lang: the language of the pictures and the page's first language ("en" or "ko"; captions and
    buttons switch); steps: which snapshots to include (default all, 0..len(trace)); start: the
    position shown first; max_frames: more frames than this are refused with a hint to pass steps;
    focus: a label or node id, to draw only the paths from that value to the loss (see frames());
    predict: True (the seed and backward steps) or "all" (forward values too), as
    BackpropPlayer(predict=...): the page asks for each such step's number before showing it and
    checks it in JavaScript (the expected numbers are in the page), with the same feedback, hint,
    reveal button and score; steps up to `start` count as shown.
    Frames share most of their SVG, so the page stores each distinct SVG group once and every
    frame as the few groups it changes. Returns the path written."""
    _check_trace(trace, "export_html")
    _check_lang(lang)
    path = _check_path(path, ".html", "export_html")
    chosen = _check_steps(trace, steps)
    if len(chosen) > max_frames:
        raise ValueError(
            f"this page would hold {len(chosen)} frames (more than max_frames={max_frames}): export "
            f"fewer, e.g. every 10th step with steps=range(0, {len(trace) + 1}, 10), or one pass p "
            f"with a, b = trace.pass_range(p); steps=range(a, b + 1); or raise max_frames.")
    if not isinstance(start, int) or not 0 <= start < len(chosen):
        raise ValueError(f"start must be a position among the {len(chosen)} exported steps (0..{len(chosen) - 1}), not {start!r}.")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be text, not {type(title).__name__}.")
    from backprop_viz.export.page import write_page

    svgs = _svg_frames(trace, lang, focus)
    # One snapshot at a time (a big graph's snapshot is about a megabyte): its frame is cut into
    # the deduplicated pieces, its words kept, and it is dropped before the next one is made.
    dedup, phases, kinds, passes = _FrameEdits(), [], [], []
    captions = {code: [] for code in LANGS}
    for k in chosen:
        snap = trace.snapshot(k)
        dedup.add(_bare_svg(svgs.render(snap)))
        phases.append(snap.phase)
        kinds.append(phase_key(snap))
        passes.append(snap.pass_index)
        for code in LANGS:
            captions[code].append(snap.caption(code, fmt="text"))
        del snap
    asks = _asks(trace, chosen, predict)
    tags, chunks, first, edits = dedup.result()
    del dedup
    data = {
        "steps": chosen, "total": len(trace), "passes": trace.passes, "start": start,
        "interval": PLAY_INTERVAL_MS, "tags": tags, "chunks": chunks, "first": first, "edits": edits,
        "phases": phases, "kinds": kinds, "pass": passes, "captions": captions,
    }
    if asks is not None:
        data["predict"] = asks
        data["predict_ui"] = {code: {k[3:]: str(v) for k, v in WORDS[code].items() if k.startswith("pr_")}
                              for code in LANGS}
    if title is None:
        title = PAGE[lang]["title"]
    write_page(path, title, lang, data)
    return path


def _asks(trace, chosen, predict):
    """Per exported step, what the page asks before showing it (None: nothing): the expected
    number and, in each language, the question, what to multiply, the hint and what to say when
    it is right or shown. None when predict is off."""
    from backprop_viz.text.captions import asked, predict_mode, prediction

    mode = predict_mode(predict)
    if mode is None:
        return None
    asks = []
    for k in chosen:
        ask = None
        if k > 0 and asked(trace, k - 1, mode):
            by_lang = {code: prediction(trace, k - 1, code) for code in LANGS}
            if by_lang["en"] is not None:
                ask = {"x": by_lang["en"].expected,
                       **{part: {code: str(getattr(p, part)() if callable(getattr(p, part)) else getattr(p, part))
                                 for code, p in by_lang.items()}
                          for part in ("question", "advice", "hint", "right", "revealed")}}
        asks.append(ask)
    return asks


# -- GIF ----------------------------------------------------------------------------------
