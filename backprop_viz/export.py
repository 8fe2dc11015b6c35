"""Standalone exports of a trace: one self-contained HTML player page, or an animated GIF for slides."""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = ["export_html", "export_gif", "RsvgNotFoundError"]

LANGS = ("en", "ko")
PLAY_INTERVAL_MS = 900  # the page's "play" speed at 1×
# A GIF's palette: measured on a 73-frame GIF, 64 colours give 0.5 levels mean error and 587 kB,
# 256 colours 0.1 levels and 787 kB; the colours the frames name are exact either way.
GIF_COLOURS = 64
_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")  # the colours a frame's stylesheet names
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)(pt|px)?"[^>]*?\bheight="([\d.]+)(pt|px)?"', re.S)


class RsvgNotFoundError(RuntimeError):
    """export_gif needs the `rsvg-convert` program to turn SVG frames into pictures."""

    def __init__(self):
        super().__init__(
            "export_gif needs the `rsvg-convert` program (librsvg) to turn the SVG frames into "
            "pictures, and it is not on PATH. Install it: Debian/Ubuntu `sudo apt-get install "
            "librsvg2-bin` (or `tools/system_packages.sh lab`), macOS `brew install librsvg`, "
            "conda `conda install -c conda-forge librsvg`. export_html needs nothing extra.")


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


# -- HTML ---------------------------------------------------------------------------------
def _pieces(svg):
    """The SVG cut before every "<g " tag: one piece per node, edge or label group. Texts are
    escaped, so "<" inside the SVG always starts markup."""
    first, *rest = svg.split("<g ")
    return ([first] if first else []) + ["<g " + p for p in rest]


def _tags(piece):
    first, *rest = piece.split("<")
    return ([first] if first else []) + ["<" + t for t in rest]


def _frame_edits(svgs):
    """Deduplicated frames: unique pieces (`chunks`), frame 0 as chunk ids, and per later frame the
    edits [start, delete_count, *ids] (last-first) that turn the previous frame into it. A piece
    is stored as a list of ids into `tags` (unique tags), since a node's looks share most tags."""
    chunk_id, chunks, frames_ids, tag_id, tags = {}, [], [], {}, []
    for svg in svgs:
        ids = []
        for piece in _pieces(svg):
            if piece not in chunk_id:
                chunk_id[piece] = len(chunks)
                chunks.append([tag_id.setdefault(t, len(tag_id)) for t in _tags(piece)])
            ids.append(chunk_id[piece])
        frames_ids.append(ids)
    tags = list(tag_id)  # dicts keep insertion order: index == id
    edits = []
    for prev, cur in zip(frames_ids, frames_ids[1:]):
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
            edits.append(diff[::-1])
        else:
            ops = difflib.SequenceMatcher(None, prev, cur, autojunk=False).get_opcodes()
            edits.append([[i1, i2 - i1, *cur[j1:j2]] for tag, i1, i2, j1, j2 in reversed(ops)
                          if tag != "equal"])
    return tags, chunks, frames_ids[0] if frames_ids else [], edits


def export_html(trace, path, lang="en", *, steps=None, title=None, start=0, max_frames=5000, focus=None):
    """Write one self-contained HTML page that steps through the trace: every frame of
    frames(trace), captions in English and Korean (switchable), first/previous/play/next/last
    buttons, a slider and arrow keys. It needs no server and no network (it opens from file://).

    lang: the language of the pictures and the page's first language ("en" or "ko"; captions and
    buttons switch); steps: which snapshots to include (default all, 0..len(trace)); start: the
    position shown first; max_frames: more frames than this are refused with a hint to pass steps;
    focus: a label or node id, to draw only the paths from that value to the loss (see frames()).
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
    from backprop_viz.export_page import page

    svgs = _svg_frames(trace, lang, focus)
    frames = [_bare_svg(svgs[k]) for k in chosen]
    tags, chunks, first, edits = _frame_edits(frames)
    snaps = [trace.snapshot(k) for k in chosen]
    data = {
        "steps": chosen, "total": len(trace), "passes": trace.passes, "start": start,
        "interval": PLAY_INTERVAL_MS, "tags": tags, "chunks": chunks, "first": first, "edits": edits,
        "phases": [s.phase for s in snaps], "pass": [s.pass_index for s in snaps],
        "captions": {code: [s.caption(code, fmt="text") for s in snaps] for code in LANGS},
    }
    if title is None:
        title = "Backpropagation, step by step" if lang == "en" else "역전파, 한 단계씩"
    path.write_text(page(title, lang, data), encoding="utf-8")
    return path


# -- GIF ----------------------------------------------------------------------------------
def _subsample(n, max_frames):
    """`max_frames` positions spread evenly over 0..n-1, always keeping the first and the last."""
    if n <= max_frames:
        return list(range(n))
    return sorted({round(i * (n - 1) / (max_frames - 1)) for i in range(max_frames)})


def _svg_points(svg):
    """The frame's width and height in points (Graphviz writes pt; px are converted)."""
    m = _SVG_SIZE.search(svg)
    if not m:
        raise ValueError("a frame's <svg> has no width/height: cannot size the GIF.")
    w, wu, h, hu = m.groups()
    return (float(w) * (0.75 if wu == "px" else 1.0), float(h) * (0.75 if hu == "px" else 1.0))


def _display_width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text, columns):
    """Lines of at most `columns`, broken at spaces (Korean and other wide characters count
    twice); a word longer than a line is cut."""
    lines = []
    for para in text.splitlines() or [""]:
        line = ""
        for word in para.split(" "):
            joined = f"{line} {word}" if line else word
            if _display_width(joined) <= columns:
                line = joined
                continue
            if line:
                lines.append(line)
            while _display_width(word) > columns:
                cut = len(word)
                while cut > 1 and _display_width(word[:cut]) > columns:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _framed(svg, caption, width_pt, font_pt=13):
    """The frame centred on a page `width_pt` wide, with the caption (if not None) wrapped under
    it, as one SVG (texts escaped)."""
    from backprop_viz.render.escape import clean, xml_text

    w, h = _svg_points(svg)
    lines = [] if caption is None else _wrap(caption, max(int(width_pt / (font_pt * 0.55)), 20))
    line_h = font_pt * 1.35
    total_h = h + (8 + line_h * len(lines) + 6 if lines else 0)
    # Inside the page one user unit is one point: the frame gets unitless sizes, and no CSS
    # sizing (`height:auto` would stretch it to the page's height).
    tag = re.match(r"<svg\b[^>]*>", svg)
    if tag is None:
        raise ValueError("a frame does not start with an <svg> element: cannot draw it.")
    head = re.sub(r'\s(width|height|x|y|style)="[^"]*"', "", tag.group(0))
    head = head.replace("<svg", f'<svg x="{(width_pt - w) / 2:.2f}" y="0" width="{w:.2f}" height="{h:.2f}"', 1)
    texts = "".join(
        f'<text x="8" y="{h + 8 + line_h * (i + 0.8):.2f}" font-size="{font_pt}" fill="#1b1b1b" '
        f'font-family="Noto Sans CJK KR, DejaVu Sans, sans-serif">{xml_text(clean(line))}</text>'
        for i, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width_pt:.2f}pt" height="{total_h:.2f}pt" '
            f'viewBox="0 0 {width_pt:.2f} {total_h:.2f}">'
            f'<rect width="100%" height="100%" fill="white"/>{head}{svg[tag.end():]}{texts}</svg>')


def _rasterize(svg, width):
    """PNG bytes of one SVG, `width` pixels wide, via rsvg-convert (Pango: Korean text falls back
    to a CJK font)."""
    done = subprocess.run(["rsvg-convert", "--format=png", f"--width={width}", "--keep-aspect-ratio",
                           "--background-color=white"],
                          input=svg.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"rsvg-convert could not draw a frame: {done.stderr.decode(errors='replace')[:500]}")
    return done.stdout


def export_gif(trace, path, *, duration=800, width=960, max_frames=200, steps=None, lang="en",
               caption=True, loop=0, focus=None):
    """Write an animated GIF of the trace's frames (for slides) and return its path.

    duration: milliseconds each frame shows, a number or one per frame (GIF keeps 10 ms steps);
    width: the GIF's width in pixels (every frame is drawn at one scale and padded to one size);
    max_frames: more frames than this are subsampled evenly, first and last always kept;
    steps: which snapshots to use (default all, 0..len(trace)); caption: the step's caption
    (sentence and formula, in `lang`) under each picture;
    loop: 0 repeats forever, n plays n+1 times; focus: a label or node id, to draw only the paths
    from that value to the loss (see frames()). Needs the `rsvg-convert` program."""
    _check_trace(trace, "export_gif")
    _check_lang(lang)
    path = _check_path(path, ".gif", "export_gif")
    chosen = _check_steps(trace, steps)
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
        raise ValueError(f"max_frames must be a whole number of at least 2, not {max_frames!r}.")
    if isinstance(width, bool) or not isinstance(width, int) or not 64 <= width <= 8000:
        raise ValueError(f"width must be a whole number of pixels between 64 and 8000, not {width!r}.")
    if isinstance(loop, bool) or not isinstance(loop, int) or loop < 0:
        raise ValueError(f"loop must be 0 (forever) or a positive whole number, not {loop!r}.")
    chosen = [chosen[i] for i in _subsample(len(chosen), max_frames)]
    durations = _check_duration(duration, len(chosen))
    svgs = _svg_frames(trace, lang, focus)  # checks focus
    if shutil.which("rsvg-convert") is None:
        raise RsvgNotFoundError()
    from PIL import Image

    frames = [_bare_svg(svgs[k]) for k in chosen]
    width_pt = max(_svg_points(svg)[0] for svg in frames)
    texts = [None] * len(frames)
    if caption:
        texts = [trace.snapshot(k).caption(lang, fmt="text") for k in chosen]
    frames = [_framed(svg, text, width_pt) for svg, text in zip(frames, texts)]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        pngs = list(pool.map(lambda svg: _rasterize(svg, width), frames))
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    height = max(im.height for im in images)
    canvas = []
    for im in images:
        frame = Image.new("RGB", (width, height), "white")
        frame.paste(im, (0, 0))
        canvas.append(frame)
    indexed = _indexed(canvas, frames)
    indexed[0].save(path, format="GIF", save_all=True, append_images=indexed[1:], duration=durations,
                    loop=loop, disposal=1, optimize=False)
    return path


def _palette(canvas, svgs, size=GIF_COLOURS):
    """`size` RGB colours for every frame: first each colour the SVG frames name, exactly (a
    quantizer's averaged colours move flat fills, e.g. the grey of computed boxes came out light
    blue), then a median cut of some frames for anti-aliased edges and text."""
    from PIL import Image

    named = [(255, 255, 255)] + [tuple(bytes.fromhex(h)) for svg in svgs for h in _HEX.findall(svg)]
    exact = list(dict.fromkeys(named))[: size * 3 // 4]
    sample = canvas[:: max(1, len(canvas) // 8)] + canvas[-1:]
    width, height = canvas[0].size
    strip = Image.new("RGB", (width, height * len(sample)), "white")
    for i, im in enumerate(sample):
        strip.paste(im, (0, i * height))
    rest = size - len(exact)
    cut = strip.quantize(colors=rest, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    flat = (cut.getpalette() or [])[: 3 * rest]
    colours = exact + [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]
    return colours + [colours[0]] * (size - len(colours))


def _indexed(canvas, svgs):
    """The frames as palette images sharing one palette, each pixel its nearest palette colour,
    without dithering: unchanged pixels stay identical from frame to frame, so the GIF stores only
    the changed rectangle of each frame. Pillow's own mapping (quantize(palette=...)) looks colours
    up on a coarse grid and moves even exact palette colours by a few levels, so the mapping is
    done here: each distinct colour once, then a lookup table."""
    import numpy as np
    from PIL import Image

    palette = np.array(_palette(canvas, svgs), dtype=np.int64)
    found = {c for im in canvas for _, c in im.getcolors(im.width * im.height)}
    rgb = np.array(sorted(found), dtype=np.int64).reshape(-1, 3)
    keys = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    lut = np.zeros(1 << 24, dtype=np.uint8)
    for i in range(0, len(rgb), 2048):  # (colours × palette) distances, in blocks to bound memory
        d = ((rgb[i:i + 2048, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
        lut[keys[i:i + 2048]] = d.argmin(axis=1)
    data = palette.astype(np.uint8).tobytes()
    out = []
    for im in canvas:
        a = np.asarray(im, dtype=np.uint32)
        index = lut[(a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]]
        frame = Image.frombytes("P", im.size, index.tobytes())
        frame.putpalette(data)
        out.append(frame)
    return out


def _check_duration(duration, count):
    values = list(duration) if isinstance(duration, (list, tuple)) else [duration] * count
    if len(values) != count:
        raise ValueError(f"duration has {len(values)} values for {count} frames: give one number "
                         "for all frames, or one per frame.")
    for d in values:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not d >= 20:
            raise ValueError(f"duration must be milliseconds per frame, at least 20 (browsers slow "
                             f"shorter GIF frames down), not {d!r}.")
    return [int(round(d)) for d in values]
