"""What a lesson's figures say: their texts read back from an executed notebook, and English words among them."""

from __future__ import annotations

import html
import os
import re

HANGUL = re.compile("[\uac00-\ud7a3]")
# an English word in a figure: 4+ letters, not part of a name like zero_grad() or .grad
ENGLISH_WORD = re.compile(r"(?<![\w.])[A-Za-z][a-z]{3,}(?![\w(])")
NOT_ENGLISH = {"tanh", "relu", "sigmoid", "mean", "reshape", "stack", "grad"}  # op names drawn in graphs

FIGURE_TEXTS = "application/json"  # what the test kernel adds to every matplotlib figure it shows
FIGURE_TEXTS_STARTUP = """
def _show_figure_texts():
    from matplotlib import pyplot
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    def texts(fig):
        return {"figure texts": [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]}

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
