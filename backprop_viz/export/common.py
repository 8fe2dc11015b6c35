"""What both exports share: checking their arguments, and the SVG frames they draw from."""

from __future__ import annotations

import os
import re
from pathlib import Path

LANGS = ("en", "ko")
_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


# -- shared checks and frames ---------------------------------------------------------------
def _check_trace(trace, who):
    from backprop_viz.trace import Trace

    if not isinstance(trace, Trace):
        raise TypeError(f"{who} needs a Trace (from `with record() as trace:` or trace_of(loss)), "
                        f"not {type(trace).__name__}.")


def _check_lang(lang):
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, not {lang!r}.")


def _check_path(path, suffix, who):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who} needs a file path (str or pathlib.Path), not {type(path).__name__}.")
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise ValueError(f"{who} writes a {suffix} file: give a path ending in {suffix}, not {str(path)!r}.")
    if not path.parent.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist.")
    return path


def _check_steps(trace, steps):
    """The snapshot indices to export, in order: all of 0..len(trace) by default."""
    last = len(trace)
    if steps is None:
        return list(range(last + 1))
    try:
        chosen = [int(k) for k in steps]
    except (TypeError, ValueError):
        raise TypeError("steps must be whole numbers (snapshot indices), e.g. range(0, len(trace) + 1, 5).") from None
    if not chosen:
        raise ValueError("steps is empty: give at least one snapshot index.")
    bad = [k for k in chosen if not 0 <= k <= last]
    if bad:
        raise ValueError(f"steps {bad[:5]} are outside 0..{last} (this trace has {last} steps).")
    return chosen


def _svg_frames(trace, lang, focus=None):
    """render.frames(trace) with its pictures' words (data, grad, legend) in `lang`, and with
    `focus` only the paths from that value to the loss."""
    from backprop_viz.render import frames

    return frames(trace, lang=lang, focus=focus)


def _bare_svg(svg):
    """The <svg> element alone: no XML prolog, DOCTYPE (it names a remote DTD) or comments."""
    return _PROLOG.sub("", svg).strip()


