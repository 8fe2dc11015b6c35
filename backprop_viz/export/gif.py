"""An animated GIF of a trace's frames, for slides."""

from __future__ import annotations

import functools
import io
import re
import unicodedata

from backprop_viz.export.common import _bare_svg, _check_lang, _check_path, _check_steps, _check_trace, _svg_frames

__all__ = ["export_gif", "RsvgNotFoundError"]

# A GIF's palette: measured on a 73-frame GIF, 64 colours give 0.5 levels mean error and 587 kB,
# 256 colours 0.1 levels and 787 kB; the colours the frames name are exact either way.
GIF_COLOURS = 64
CAPTION_INK = "#1b1b1b"  # the captions' text colour
_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")  # the colours a frame's stylesheet names
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)(pt|px)?"[^>]*?\bheight="([\d.]+)(pt|px)?"', re.S)


class RsvgNotFoundError(RuntimeError):
    """export_gif needs a resvg wheel (`resvg` or `resvg-py`) to turn SVG frames into pictures."""

    def __init__(self):
        super().__init__(
            "export_gif needs resvg to turn the SVG frames into pictures, and it is not installed: run "
            "`pip install resvg` (Python 3.10 to 3.14) or `pip install resvg-py` (any Python), a "
            "self-contained wheel, and restart the kernel; export_html needs nothing extra.")


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


def _framed(svg, caption, width_pt, font_pt=13, pixels=None):
    """The frame centred on a page `width_pt` wide, with the caption (if not None) wrapped under
    it, as one SVG (texts escaped), `pixels` wide when drawn (default: one pixel a point)."""
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
        f'<text x="8" y="{h + 8 + line_h * (i + 0.8):.2f}" font-size="{font_pt}" fill="{CAPTION_INK}" '
        f'font-family="Noto Sans CJK KR, NanumGothic, DejaVu Sans, sans-serif">{xml_text(clean(line))}</text>'
        for i, line in enumerate(lines))
    # the page's size in pixels (resvg reads no `pt`), its coordinates in points
    scale = (pixels or width_pt) / width_pt
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width_pt * scale:.2f}" height="{total_h * scale:.2f}" '
            f'viewBox="0 0 {width_pt:.2f} {total_h:.2f}">'
            f'<rect width="100%" height="100%" fill="white"/>{head}{svg[tag.end():]}{texts}</svg>')


def _rasteriser():
    """SVG text -> PNG bytes at the SVG's own size, on white. The `resvg` wheel draws our frames
    in about half the time `resvg-py` takes (its anti-aliased thin lines are slow), but has no
    wheels for Python 3.15 yet, where `resvg-py` (one abi3 wheel for every Python) is used."""
    if "draw" not in _RASTER:
        try:
            import resvg
        except ImportError:
            resvg = None
        if resvg is not None:
            _RASTER["draw"] = functools.partial(_draw_resvg, resvg)
        else:
            try:
                import resvg_py
            except ImportError:
                raise RsvgNotFoundError() from None
            _RASTER["draw"] = functools.partial(_draw_resvg_py, resvg_py)
    return _RASTER["draw"]


_RASTER = {}  # the rasteriser found, looked up once


def _draw_resvg(resvg, svg):
    from backprop_viz import fonts

    if "options" not in _RASTER:  # fonts of backprop_viz.fonts only: the same picture everywhere, no system scan
        options = resvg.usvg.Options.default()
        for path in fonts.svg_font_files():
            options.load_font_file(path)
        options.font_family = "DejaVu Sans"
        _RASTER["options"] = options
    return resvg.render(resvg.usvg.Tree.from_str(svg, _RASTER["options"]), (1, 0, 0, 0, 1, 0),
                        bg_color=(255, 255, 255, 255))


def _draw_resvg_py(resvg_py, svg):
    from backprop_viz import fonts

    return resvg_py.svg_to_bytes(svg_string=svg, background="white", skip_system_fonts=True,
                                 font_files=fonts.svg_font_files(), sans_serif_family="DejaVu Sans",
                                 monospace_family="DejaVu Sans Mono")


def _rasterize(svg):
    """PNG bytes of one SVG page, at its own size."""
    try:
        return bytes(_rasteriser()(svg))
    except (ValueError, RuntimeError) as e:
        raise RuntimeError(f"resvg could not draw a frame: {str(e)[:500]}") from None


def _raster_all(pages):
    """The pages as RGB images, one after the other: resvg holds the GIL, and worker processes
    would re-run a user's script that calls export_gif without a __main__ guard."""
    from PIL import Image

    return [Image.open(io.BytesIO(_rasterize(svg))).convert("RGB") for svg in pages]


def export_gif(trace, path, *, duration=800, width=960, max_frames=200, steps=None, lang="en",
               caption=True, loop=0, focus=None):
    """Write an animated GIF of the trace's frames (for slides) and return its path.

    duration: milliseconds each frame shows, a number or one per frame (GIF keeps 10 ms steps);
    width: the GIF's width in pixels (every frame is drawn at one scale and padded to one size);
    max_frames: more frames than this are subsampled evenly, first and last always kept;
    steps: which snapshots to use (default all, 0..len(trace)); caption: the step's caption
    (sentence and formula, in `lang`) under each picture;
    loop: 0 repeats forever, n plays n+1 times; focus: a label or node id, to draw only the paths
    from that value to the loss (see frames()). Frames are drawn in this process by a resvg wheel; Korean text
    uses a system CJK font or the Hangul font pip installed (see backprop_viz.fonts)."""
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
    _rasteriser()  # say it before any work
    # First the frames' texts, one snapshot at a time (a big graph's snapshot is about a megabyte);
    # then each frame drawn, mapped to the palette and written before the next is drawn: memory
    # holds one picture, not one per frame.
    frames, texts = [], []
    for k in chosen:
        snap = trace.snapshot(k)
        frames.append(_bare_svg(svgs.render(snap)))
        texts.append(snap.caption(lang, fmt="text") if caption else None)
        del snap
    width_pt = max(_svg_points(svg)[0] for svg in frames)
    pages = _Pages(frames, texts, width_pt, width)
    _write_gif(path, pages, durations, loop, width)
    return path


class _Pages:
    """The GIF's pages (frame + caption as one SVG), made when asked for, and their height in pixels."""

    def __init__(self, frames, texts, width_pt, pixels):
        self.frames, self.texts, self.width_pt, self.pixels = frames, texts, width_pt, pixels

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, i):
        return _framed(self.frames[i], self.texts[i], self.width_pt, pixels=self.pixels)

    def image(self, i):
        """Page i drawn, as an RGB image."""
        return _raster_all([self[i]])[0]


_PAGE_HEIGHT = re.compile(r'^<svg\b[^>]*?\bheight="([\d.]+)"')


def _write_gif(path, pages, durations, loop, width):
    """Write the GIF frame by frame: one palette for all (exact named colours first, see _palette),
    each frame stored as the rectangle that changed since the previous one (identical frames are
    merged, their times added), with Pillow's GIF encoder (GifImagePlugin.getdata) for the pixels."""
    import numpy as np
    from PIL import GifImagePlugin, Image

    sample = sorted(set(range(0, len(pages), max(1, len(pages) // 8))) | {len(pages) - 1})
    sample_images = {i: pages.image(i) for i in sample}
    # the screen's height, known before any frame is written: the pages' heights as the rasteriser
    # rounds them (read off the drawn samples)
    heights = [float(_PAGE_HEIGHT.match(pages[i]).group(1)) for i in range(len(pages))]
    extra = max(sample_images[i].height - round(heights[i]) for i in sample)
    height = max(round(h) for h in heights) + max(extra, 0)
    named = [*pages.frames, CAPTION_INK]  # the captions' colour is named by every page
    palette = np.array(_palette([_canvas(sample_images[i], width, height) for i in sample], named), dtype=np.int64)
    mapper = _Mapper(palette)
    with open(path, "wb") as f:
        f.write(_gif_header(width, height, palette, loop))
        prev, pending = None, None  # the last frame's indices; the frame not yet written
        for i in range(len(pages)):
            im = sample_images.pop(i) if i in sample_images else pages.image(i)
            index = mapper.index(_canvas(im, width, height))
            del im
            if prev is None:
                box = (0, 0, width, height)
            else:
                changed = index != prev
                rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
                box = None if not len(rows) else (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            if box is None:  # nothing changed: the previous frame shows longer
                pending[2] += durations[i]
                continue
            if pending is not None:
                _write_frame(f, *pending, GifImagePlugin, Image, palette)
            x0, y0, x1, y1 = box
            pending = [index[y0:y1, x0:x1].copy(), (x0, y0), durations[i]]
            prev = index
        _write_frame(f, *pending, GifImagePlugin, Image, palette)
        f.write(b";")


def _canvas(im, width, height):
    """The picture on a white canvas of the GIF's size."""
    from PIL import Image

    if im.size == (width, height):
        return im
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(im, (0, 0))
    return frame


def _gif_header(width, height, palette, loop):
    """GIF89a: the screen's size, the global palette (GIF_COLOURS entries, a power of two) and the
    NETSCAPE2.0 extension that repeats the animation `loop` times (0: forever)."""
    import struct

    bits = max(1, (len(palette) - 1).bit_length())
    table = bytes(palette.astype("uint8").ravel()) + b"\0" * 3 * ((1 << bits) - len(palette))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80 | (bits - 1), 0, 0) + table
            + b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\0")


def _write_frame(f, index, offset, duration, GifImagePlugin, Image, palette):
    frame = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    frame.putpalette(palette.astype("uint8").tobytes())
    # disposal 1: the frame stays, the next one is drawn over it (it holds only what changed)
    for part in GifImagePlugin.getdata(frame, offset, duration=duration, disposal=1):
        f.write(part)


class _Mapper:
    """RGB pixels -> the index of the nearest palette colour, without dithering: unchanged pixels
    stay identical from frame to frame, so the GIF stores only the changed rectangle of each frame.
    Pillow's own mapping (quantize(palette=...)) looks colours up on a coarse grid and moves even
    exact palette colours by a few levels, so the mapping is done here: each distinct colour once
    (when first met), then a lookup table."""

    def __init__(self, palette):
        import numpy as np

        self.palette = palette
        self.lut = np.zeros(1 << 24, dtype=np.uint8)
        self.known = np.zeros(1 << 24, dtype=bool)

    def index(self, im):
        import numpy as np

        a = np.asarray(im, dtype=np.uint32)
        keys = (a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]
        found = np.array([(c[0] << 16) | (c[1] << 8) | c[2] for _, c in im.getcolors(im.width * im.height)],
                         dtype=np.int64)
        new = found[~self.known[found]]
        rgb = np.stack([new >> 16, (new >> 8) & 255, new & 255], axis=1)
        for i in range(0, len(rgb), 2048):  # (colours × palette) distances, in blocks to bound memory
            d = ((rgb[i:i + 2048, None, :] - self.palette[None, :, :]) ** 2).sum(axis=2)
            self.lut[new[i:i + 2048]] = d.argmin(axis=1)
        self.known[new] = True
        return self.lut[keys]


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
