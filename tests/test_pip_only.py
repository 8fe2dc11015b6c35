"""`pip install .` is all a machine needs: a fresh virtual environment with only what pip brought, a
PATH without `dot` or `rsvg-convert`, and no system CJK font visible, still draws frames, shows a
draw() picture as SVG, writes a GIF and draws Korean plots whose Hangul comes from a pip font."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis",
                                     "artifacts", "*.egg-info", "build", ".ipynb_checkpoints", "notebooks")

# Run inside the fresh environment, from a folder outside the repository.
SCRIPT = textwrap.dedent('''
    import json, os, shutil, sys, warnings
    warnings.simplefilter("error")  # a missing glyph (or anything else) warns: fail
    assert shutil.which("dot") is None and shutil.which("rsvg-convert") is None, os.environ["PATH"]

    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import font_manager
    # as on a machine without system fonts: matplotlib sees only the fonts inside this environment
    font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist
                                        if f.fname.startswith(sys.prefix)]
    font_manager.findSystemFonts = lambda *args, **kwargs: []

    import backprop_viz
    from backprop_viz import Value, draw, export_gif, frames, plots, record, fonts
    from backprop_viz.render.layout import layout_engine
    out = {"package": backprop_viz.__file__, "engine": layout_engine()}

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        loss = (a * b + a).tanh()
        loss.label = "손실"
        loss.backward()
    svg = frames(trace, lang="ko")[len(trace)]
    out["frame"] = svg.startswith("<svg") and "손실" in svg
    shown = draw(trace.snapshot(3))._repr_mimebundle_()["image/svg+xml"]
    out["draw_svg"] = "<svg" in shown and 'id="v0"' in shown
    gif = export_gif(trace, os.path.join(sys.argv[1], "steps.gif"), lang="ko", width=480)
    out["gif_bytes"] = os.path.getsize(gif)
    out["gif_fonts"] = fonts.svg_font_files()

    ax = plots.loss_curve([4.0, 2.0, 1.0, 0.5], lang="ko")
    ax.figure.canvas.draw()  # glyphs are looked up (and missing ones warned about) when drawn
    from matplotlib.ft2font import FT2Font
    from matplotlib.text import Text
    texts = [t.get_text() for t in ax.figure.findobj(Text) if t.get_text()]
    hangul = sorted({c for t in texts for c in t if "\\uac00" <= c <= "\\ud7a3"})
    family = fonts.hangul_family()
    path = font_manager.findfont(family, fallback_to_default=False)
    font = FT2Font(path)
    out.update(family=family, font=path, hangul=len(hangul),
               missing=[c for c in hangul if not font.get_char_index(ord(c))])
    print(json.dumps(out))
''')


@pytest.mark.slow
def test_pip_install_alone_is_enough(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=_NOT_COPIED)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "."],
                             cwd=repo, capture_output=True, text=True)
    assert install.returncode == 0, f"pip install . failed:\n{install.stderr[-4000:]}"
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MPL", "BACKPROP_VIZ"))}
    env.update(PATH=str(bin_dir), MPLCONFIGDIR=str(tmp_path / "mpl"), HOME=str(tmp_path / "home"))
    done = subprocess.run([str(python), "-c", SCRIPT, str(work)], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(venv), out["package"]
    assert out["engine"] == "bundled"
    assert out["frame"] and out["draw_svg"] and out["gif_bytes"] > 10_000
    assert out["family"] == "NanumGothic" and Path(out["font"]).is_relative_to(venv), out
    assert all(Path(f).is_relative_to(venv) for f in out["gif_fonts"]), out["gif_fonts"]
    assert out["hangul"] >= 4 and out["missing"] == [], out
