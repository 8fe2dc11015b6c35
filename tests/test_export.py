"""export_html: one self-contained page whose data rebuilds every frame; export_gif: the frames as a GIF."""
from __future__ import annotations

import contextlib
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from backprop_viz import Value, export_gif, export_html, frames, record
from backprop_viz.export import RsvgNotFoundError
from backprop_viz.export.common import _bare_svg
from backprop_viz.export.gif import _subsample
from render_graphs import two_products, weighted_sum_trace as chain_trace

pytestmark = pytest.mark.dot

HOSTILE = "<img src=x onerror=alert(1)>"


def small_trace(label="a"):
    a, b = Value(2.0, label), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        e.label = "e"
        loss = e + a  # a is used twice: its gradient accumulates
        loss.label = "L"
        loss.backward()
    return trace



def page_data(path):
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="bpv-data">(.*?)</script>', text, re.S)
    assert m, "the page must carry its frames as a JSON data block"
    return json.loads(m.group(1))


def rebuilt_frames(data):
    """The frames as the page's script rebuilds them: frame 0, then each frame's edits."""
    pieces = ["".join(data["tags"][t] for t in chunk) for chunk in data["chunks"]]
    ids = list(data["first"])
    out = ["".join(pieces[i] for i in ids)]
    for edits in data["edits"]:
        for start, count, *new in edits:
            ids[start:start + count] = new
        out.append("".join(pieces[i] for i in ids))
    return out


def value_titles(svg):
    """The names on the value boxes of a frame."""
    return sorted(t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
                  if t.get("class") == "tt")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


# -- HTML ---------------------------------------------------------------------------------
def test_html_page_needs_no_server_and_no_network(tmp_path):
    path = export_html(small_trace(), tmp_path / "steps.html")
    text = path.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    tags = parser.tags
    assert not [t for t, a in tags if t in ("link", "iframe", "img", "object", "embed")]
    assert not [a for t, a in tags if t == "script" and "src" in a], "scripts must be inline"
    scripts = [a for t, a in tags if t == "script"]
    assert [a.get("type") for a in scripts] == ["application/json", None]
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "'unsafe-inline'" not in csp[0].split("script-src")[1].split(";")[0]
    # The only URLs are XML namespace names inside the SVG frames, which are never fetched.
    urls = set(re.findall(r"https?://[^\s\"'<>\\]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    for control in ("bpv-first", "bpv-prev", "bpv-play", "bpv-next", "bpv-last", "bpv-slider"):
        assert f'id="{control}"' in text


def test_html_data_rebuilds_every_frame_exactly(tmp_path):
    trace = chain_trace(6)
    data = page_data(export_html(trace, tmp_path / "steps.html"))
    expected = [_bare_svg(svg) for svg in frames(trace)]
    assert len(expected) == len(trace) + 1
    assert rebuilt_frames(data) == expected
    assert data["steps"] == list(range(len(trace) + 1)) and data["total"] == len(trace)


def test_html_captions_in_both_languages_and_phases(tmp_path):
    trace = small_trace()
    data = page_data(export_html(trace, tmp_path / "steps.html", lang="ko"))
    for k in range(len(trace) + 1):
        snap = trace.snapshot(k)
        assert data["captions"]["en"][k] == snap.caption("en")
        assert data["captions"]["ko"][k] == snap.caption("ko")
        assert data["phases"][k] == snap.phase
    assert data["captions"]["en"] != data["captions"]["ko"]
    assert data["lang"] == "ko" and '<html lang="ko">' in (tmp_path / "steps.html").read_text(encoding="utf-8")


def test_html_korean_pictures_come_from_frames_in_korean(tmp_path):
    trace = small_trace()
    data = page_data(export_html(trace, tmp_path / "ko.html", lang="ko"))
    assert rebuilt_frames(data) == [_bare_svg(svg) for svg in frames(trace, lang="ko")]


def test_html_hostile_label_and_title_never_become_markup(tmp_path):
    trace = small_trace(HOSTILE + "</script><script>alert(2)</script>")
    path = export_html(trace, tmp_path / "steps.html", title="<b>x</b></title><script>alert(3)</script>")
    text = path.read_text(encoding="utf-8")
    assert HOSTILE not in text and "<script>alert" not in text and "<b>x</b>" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2
    assert "&lt;b&gt;x&lt;/b&gt;" in text  # the title, shown as text
    data = page_data(path)
    assert any(HOSTILE in c for c in data["captions"]["en"]), "captions carry the label as plain text"


def test_html_subset_of_steps_and_start(tmp_path):
    trace = small_trace()
    steps = [0, 3, len(trace)]
    data = page_data(export_html(trace, tmp_path / "s.html", steps=steps, start=2))
    assert data["steps"] == steps and data["start"] == 2
    assert rebuilt_frames(data) == [_bare_svg(frames(trace)[k]) for k in steps]


def test_html_focus_draws_only_the_paths_from_one_value_to_the_loss(tmp_path):
    t = two_products()  # L = a·b + c·d
    shown = rebuilt_frames(page_data(export_html(t, tmp_path / "a.html", focus="a")))
    assert shown == [_bare_svg(svg) for svg in frames(t, focus="a")]
    assert all(value_titles(svg) == sorted("a b e g L".split()) for svg in shown)  # c and d are off a's path
    assert "Only the paths from a to L" in shown[-1]
    whole = rebuilt_frames(page_data(export_html(t, tmp_path / "all.html")))
    assert value_titles(whole[-1]) == sorted("a b c d e g L".split())
    with pytest.raises(ValueError, match="Did you mean 'a'"):
        export_html(t, tmp_path / "b.html", focus="aa")


def test_html_stores_shared_svg_once(tmp_path):
    """Frames share most of their SVG: the page must be far smaller than the frames laid end to end."""
    trace = chain_trace(12)
    path = export_html(trace, tmp_path / "steps.html")
    raw = sum(len(svg.encode()) for svg in frames(trace))
    size = path.stat().st_size
    assert size < raw / 4, f"page {size} bytes vs {raw} bytes of frames: deduplication failed"


@pytest.mark.parametrize("call, error, words", [
    (lambda p: export_html("trace", p / "a.html"), TypeError, "needs a Trace"),
    (lambda p: export_html(small_trace(), p / "a.html", lang="fr"), ValueError, "lang must be one of"),
    (lambda p: export_html(small_trace(), p / "a.txt"), ValueError, "ending in .html"),
    (lambda p: export_html(small_trace(), p / "missing" / "a.html"), ValueError, "does not exist"),
    (lambda p: export_html(small_trace(), p / "a.html", steps=[0, 99]), ValueError, "outside 0.."),
    (lambda p: export_html(small_trace(), p / "a.html", steps=[]), ValueError, "steps is empty"),
    (lambda p: export_html(small_trace(), p / "a.html", start=50), ValueError, "start must be"),
    (lambda p: export_html(small_trace(), p / "a.html", max_frames=3), ValueError, "every 10th step"),
    (lambda p: export_gif(small_trace(), p / "a.gif", duration=0), ValueError, "milliseconds"),
    (lambda p: export_gif(small_trace(), p / "a.gif", duration=[100, 200]), ValueError, "one per frame"),
    (lambda p: export_gif(small_trace(), p / "a.gif", max_frames=1), ValueError, "max_frames"),
    (lambda p: export_gif(small_trace(), p / "a.gif", width=10), ValueError, "width must be"),
    (lambda p: export_gif(small_trace(), p / "a.png"), ValueError, "ending in .gif"),
    (lambda p: export_gif(small_trace(), p / "a.gif", focus="zz"), ValueError, "no value of this trace is called"),
])
def test_bad_arguments_are_named(tmp_path, call, error, words):
    with pytest.raises(error, match=words):
        call(tmp_path)


# -- GIF: drawn in this process by a resvg wheel, no rsvg-convert ------------------------------


def gif_frames(path):
    from PIL import Image

    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append((im.convert("RGB").copy(), im.info.get("duration"), im.info.get("loop")))
        return out


def test_gif_has_one_frame_per_snapshot_of_one_size_and_duration(tmp_path):
    trace = small_trace()
    path = export_gif(trace, tmp_path / "steps.gif", duration=250, width=480)
    got = gif_frames(path)
    assert len(got) == len(trace) + 1
    assert {im.size[0] for im, _, _ in got} == {480} and len({im.size for im, _, _ in got}) == 1
    assert [d for _, d, _ in got] == [250] * len(got)
    assert got[0][2] == 0  # loops forever
    pictures = [im.tobytes() for im, _, _ in got]
    assert len(set(pictures)) == len(pictures), "every step must change the picture"
    ink = [sum(im.convert("L").histogram()[:200]) for im, _, _ in got]  # pixels darker than 200
    assert min(ink) > 500, "frames must show the graph, not a blank page"


def test_gif_per_frame_durations_and_subsampling(tmp_path):
    trace = chain_trace(4)
    n = len(trace) + 1
    keep = _subsample(n, 5)
    assert keep[0] == 0 and keep[-1] == n - 1 and len(keep) == 5
    durations = [100, 200, 300, 400, 2000]
    got = gif_frames(export_gif(trace, tmp_path / "s.gif", max_frames=5, duration=durations, width=320,
                                caption=False))
    assert [d for _, d, _ in got] == durations


def test_gif_caption_adds_the_text_below_the_picture(tmp_path):
    trace = small_trace()
    plain = gif_frames(export_gif(trace, tmp_path / "p.gif", caption=False, width=400, steps=[3]))
    captioned = gif_frames(export_gif(trace, tmp_path / "c.gif", caption=True, width=400, steps=[3]))
    assert captioned[0][0].size[1] > plain[0][0].size[1]


def drawn_png(svg, width):
    """The frame as export_gif's rasteriser draws it, `width` pixels wide on white, as RGB numbers."""
    import numpy as np

    from backprop_viz.export import gif

    bare = _bare_svg(svg)
    page = gif._framed(bare, None, gif._svg_points(bare)[0], pixels=width)
    return np.asarray(gif._raster_all([page])[0], dtype=int)


def test_gif_keeps_the_colours_of_the_pictures(tmp_path):
    """A shared palette from a quantizer turned the grey of computed boxes light blue: every colour
    the frame's stylesheet names (grey computed fill, yellow active step, tints) must come out as
    the rasteriser draws it, and the whole picture within a level on average."""
    import numpy as np

    from backprop_viz.render import style

    trace = small_trace()
    svgs = list(frames(trace))
    got = gif_frames(export_gif(trace, tmp_path / "c.gif", caption=False, width=480))
    grey = np.array(list(bytes.fromhex(style.DONE_FILL[1:])))
    for k, (im, _, _) in enumerate(got):
        drawn, shown = drawn_png(svgs[k], 480), np.asarray(im, dtype=int)
        assert drawn.shape == shown.shape
        computed = (drawn == grey).all(axis=2)
        if k == len(trace):
            assert computed.sum() > 1000, "the last frame shows every node computed, in grey"
        assert np.abs(shown[computed] - grey).max(initial=0) <= 2, f"frame {k}: computed grey changed colour"
        for name in set(re.findall(r"#([0-9a-fA-F]{6})\b", svgs[k])):
            colour = np.array(list(bytes.fromhex(name)))
            where = (drawn == colour).all(axis=2)
            assert np.abs(shown[where] - colour).max(initial=0) <= 2, f"frame {k}: #{name} changed colour"
        assert np.abs(shown - drawn).mean() < 1.0


def test_gif_focus_draws_only_the_paths_from_one_value_to_the_loss(tmp_path):
    import numpy as np

    t = two_products()
    last = len(t)
    (im, _, _), = gif_frames(export_gif(t, tmp_path / "a.gif", caption=False, width=480, steps=[last], focus="a"))
    focused, whole = drawn_png(frames(t, focus="a")[last], 480), drawn_png(frames(t)[last], 480)
    shown = np.asarray(im, dtype=int)
    assert shown.shape == focused.shape and np.abs(shown - focused).mean() < 1.0
    assert shown.shape != whole.shape or np.abs(shown - whole).mean() > 5


def test_gif_needs_no_program_on_path(tmp_path, monkeypatch):
    """No rsvg-convert (nor any other program): the GIF is drawn in this process."""
    monkeypatch.setenv("PATH", str(tmp_path))
    got = gif_frames(export_gif(small_trace(), tmp_path / "a.gif", width=320, lang="ko"))
    assert len(got) == len(small_trace()) + 1


def test_gif_without_resvg_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    from backprop_viz.export import gif

    monkeypatch.setattr(gif, "_RASTER", {})
    monkeypatch.setitem(sys.modules, "resvg", None)
    monkeypatch.setitem(sys.modules, "resvg_py", None)
    with pytest.raises(RsvgNotFoundError, match="pip install resvg"):
        export_gif(small_trace(), tmp_path / "a.gif")
    assert not (tmp_path / "a.gif").exists()


@contextlib.contextmanager
def _fonts_left_out(files):
    """export_gif's rasteriser without these font files (looked up again afterwards)."""
    from backprop_viz import fonts
    from backprop_viz.export import gif

    saved = dict(gif._RASTER)
    try:
        gif._RASTER.clear()
        fonts._found["svg"] = [f for f in fonts.svg_font_files() if f not in files]
        yield
    finally:
        fonts._found.pop("svg", None)
        gif._RASTER.clear()
        gif._RASTER.update(saved)


def test_gif_korean_text_is_drawn_in_a_hangul_font():
    """A Korean caption comes out in glyphs, not boxes: the rasteriser's fonts include one that has
    every Hangul syllable of the text, and the text draws differently from Latin-only fonts."""
    import numpy as np
    from matplotlib.ft2font import FT2Font

    from backprop_viz import fonts
    from backprop_viz.export import gif

    text = "역전파: 기울기가 흐릅니다"
    hangul = [f for f in fonts.svg_font_files() if all(FT2Font(f).get_char_index(ord(c)) for c in text if c > "~")]
    assert hangul, fonts.svg_font_files()
    page = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="40">'
            f'<text x="4" y="28" font-size="20" font-family="DejaVu Sans">{text}</text></svg>')
    drawn = np.asarray(gif._raster_all([page])[0], dtype=int)
    dark = (drawn.sum(axis=2) < 300).sum()
    assert dark > 300, "the text must be drawn"
    with _fonts_left_out(hangul):  # Latin fonts only
        boxes = np.asarray(gif._raster_all([page])[0], dtype=int)
    assert np.abs(boxes - drawn).mean() > 1, "without a Hangul font the text would look the same"


def _gif_frames(path):
    import numpy as np
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB"), dtype=int) for f in ImageSequence.Iterator(im)]


def test_a_korean_gif_draws_its_pictures_and_captions_in_a_hangul_font(tmp_path):
    """export_gif(lang="ko"): the picture's own Korean texts (status line, legend) and the caption
    are drawn in the Hangul font pip installed. Without it (Latin fonts only) the same GIF's frames
    come out otherwise, where the Korean texts are."""
    import numpy as np

    from backprop_viz import fonts
    from backprop_viz.export.common import _svg_frames

    trace = small_trace()
    page = _svg_frames(trace, "ko", None).render(trace.snapshot(1))
    assert re.search("[\uac00-\ud7a3]{2}", re.sub(r"<style.*?</style>", "", page, flags=re.S)), \
        "the Korean picture must hold Korean text"
    assert any(f.endswith(".ttf") and "Nanum" in f for f in fonts.svg_font_files()), fonts.svg_font_files()
    korean = _gif_frames(export_gif(trace, tmp_path / "ko.gif", lang="ko", max_frames=3, width=480))
    with _fonts_left_out([f for f in fonts.svg_font_files() if "Nanum" in f]):  # Latin fonts only
        boxes = _gif_frames(export_gif(trace, tmp_path / "boxes.gif", lang="ko", max_frames=3, width=480))
    assert len(korean) == len(boxes) == 3
    for a, b in zip(korean, boxes):
        assert a.shape == b.shape
        changed = np.abs(a - b).sum(axis=2) > 60
        assert changed.sum() > 200, "without the Hangul font the Korean texts would look the same"
    english = _gif_frames(export_gif(trace, tmp_path / "en.gif", lang="en", max_frames=3, width=480))
    assert any(a.shape != e.shape or np.abs(a - e).mean() > 1 for a, e in zip(korean, english)), \
        "the Korean GIF must not be the English one"


def test_both_rasterisers_draw_the_same_picture():
    """resvg (Python 3.10-3.14) and its fallback resvg-py (any Python) give the same frame."""
    import numpy as np
    from PIL import Image

    resvg = pytest.importorskip("resvg")
    resvg_py = pytest.importorskip("resvg_py")
    from backprop_viz.export import gif

    bare = _bare_svg(frames(small_trace())[3])
    page = gif._framed(bare, "Backward: 기울기", gif._svg_points(bare)[0], pixels=480)
    a, b = (np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"), dtype=int)
            for png in (gif._draw_resvg(resvg, page), gif._draw_resvg_py(resvg_py, page)))
    assert a.shape == b.shape and np.abs(a - b).mean() < 2.0


@pytest.mark.parametrize("text", ["역전파: 기울기가 e에서 가중치로 흐릅니다 (연쇄 법칙: 위에서 온 기울기 × 국소 미분).",
                                  "Backward: the gradient flows from L back to e. " * 3, "x" * 95, ""])
def test_gif_caption_lines_fit_and_keep_every_word(text):
    from backprop_viz.export.gif import _display_width, _wrap

    lines = _wrap(text, 40)
    assert all(_display_width(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    if " " in text.strip():
        assert len(lines) > 1 and not any(line.startswith(" ") for line in lines)
