"""What a lesson's figures say: their texts read back from an executed notebook, and English words among them."""

from __future__ import annotations

import base64
import html
import os
import re
import struct

HANGUL = re.compile("[\uac00-\ud7a3]")
# an English word in a figure: 4+ letters, not part of a name like zero_grad() or .grad
ENGLISH_WORD = re.compile(r"(?<![\w.])[A-Za-z][a-z]{3,}(?![\w(])")
NOT_ENGLISH = {"tanh", "relu", "sigmoid", "mean", "reshape", "stack", "grad"}  # op names drawn in graphs

# A figure is read on a projector when JupyterLab shows it at its own size (an output area of the
# classroom browser test, 1280×800 with the file browser open, is this wide: that test checks it and
# that no figure is shown smaller) and its smallest text then is as big as a graph's (MIN_TEXT_PX there).
OUTPUT_AREA_PX = 845
MIN_TEXT_PX = 11.0
FIGURE_TEXTS = "application/json"  # what the test kernel adds to every matplotlib figure it shows
FIGURE_TEXTS_STARTUP = """
def _show_figure_texts():
    from matplotlib import pyplot
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    def texts(fig):  # (the PNG formatter, which runs first, has drawn the figure: its tick labels are set)
        shown = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        return {"figure texts": [t.get_text() for t in shown],
                "figure text px": [t.get_fontsize() * fig.dpi / 72 for t in shown]}  # the PNG's own pixels

    def register(*_):  # again before every cell, in case a cell resets the formatters
        get_ipython().display_formatter.formatters["application/json"].for_type(Figure, texts)

    pyplot.close(pyplot.figure())  # the first figure loads the inline backend, which resets the formatters
    register()
    get_ipython().events.register("pre_run_cell", register)

_show_figure_texts()
del _show_figure_texts
"""


def texts_kernel_env(tmp_path):
    """Environment for a kernel (an IPython profile of its own) that shows every matplotlib figure
    with its texts as well (titles, labels, legends, notes), so a test can read what it says."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "figure_texts.py").write_text(FIGURE_TEXTS_STARTUP)
    return {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}


def figure_texts(bundle):
    """The texts a picture shows: read from a matplotlib figure's texts, or from an SVG (Graphviz)."""
    if "image/png" in bundle:
        assert FIGURE_TEXTS in bundle, "the test kernel did not add the figure's texts to its output"
        return [re.sub(r"\$[^$]*\$", " ", t) for t in bundle[FIGURE_TEXTS]["figure texts"]]  # not $maths$
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split())
            for t in re.findall(r"<text\b[^>]*>(.*?)</text>", bundle["image/svg+xml"], re.S)]


def english_words(texts):
    return sorted({w for t in texts for w in ENGLISH_WORD.findall(t)} - NOT_ENGLISH)


def figures(nb):
    """(where, mime bundle) of every picture a run showed: in the cells, and in widgets' output
    areas (ipywidgets.interact); nbclient keeps the latter in the notebook's widget state."""
    def pictures(outputs):
        return [o["data"] for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]

    found = [(f"cell {i}", b) for i, c in enumerate(nb.cells) for b in pictures(c.get("outputs", []))]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        found += [("an output widget", b) for b in pictures(model.get("state", {}).get("outputs", []))]
    return found


def png_size(data):
    """(width, height) in pixels of a base64 PNG, read from its header."""
    head = base64.b64decode(data[:64])
    return struct.unpack(">II", head[16:24])


def unreadable_figures(nb):
    """What would not read on a projector among a run's matplotlib figures: wider than an output
    area (JupyterLab would shrink it, its text with it), or text smaller than MIN_TEXT_PX."""
    found = []
    for where, bundle in figures(nb):
        if "image/png" not in bundle:
            continue
        width, _ = png_size(bundle["image/png"])
        info = bundle[FIGURE_TEXTS]
        if width > OUTPUT_AREA_PX:
            found.append(f"{where}: {width} px wide, over an output area's {OUTPUT_AREA_PX} px (it would be shrunk "
                         f"to {OUTPUT_AREA_PX / width:.0%}): give it a figsize of at most {OUTPUT_AREA_PX / 100:.1f} in")
        sizes = info["figure text px"]
        if sizes and min(sizes) < MIN_TEXT_PX:
            k = min(range(len(sizes)), key=sizes.__getitem__)
            found.append(f"{where}: text of {sizes[k]:.1f} px ({info['figure texts'][k][:30]!r}), under {MIN_TEXT_PX:g} px")
    return found
