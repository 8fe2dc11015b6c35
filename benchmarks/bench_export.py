"""Benchmark: the exported HTML page's size against its frames laid end to end, and the time to export.

GIF export per frame, in the same run on the same frames: drawn in this process by the `resvg`
wheel (what export_gif does on Python 3.10-3.14), by the `resvg-py` wheel (its fallback), and the
earlier way, the `rsvg-convert` program run four at a time (each when installed)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from backprop_viz import export_gif, export_html, frames  # noqa: E402
from backprop_viz.export import gif  # noqa: E402
from render_graphs import weighted_sum_trace  # noqa: E402  (the graph the export tests use)


def _rsvg_convert_all(pages):
    """The earlier rasteriser: one `rsvg-convert` process per frame, four at a time."""
    from PIL import Image

    def one(svg):  # the page is drawn at its own size, the GIF's width
        done = subprocess.run(["rsvg-convert", "--format=png", "--background-color=white"],
                              input=svg.encode("utf-8"), capture_output=True, check=True)
        return Image.open(io.BytesIO(done.stdout)).convert("RGB")

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(one, pages))


def _resvg_py_all(pages):
    """The fallback rasteriser, resvg-py, on the same pages."""
    import resvg_py
    from PIL import Image

    return [Image.open(io.BytesIO(bytes(gif._draw_resvg_py(resvg_py, svg)))).convert("RGB") for svg in pages]


def _installed(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _gif_ms(trace, path, raster=None):
    """Wall milliseconds per frame of export_gif over 10 frames, least of 3 runs; `raster`
    replaces its rasteriser (pages -> RGB images)."""
    best = float("inf")
    saved = gif._raster_all
    if raster is not None:
        gif._raster_all = raster
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            export_gif(trace, path, steps=range(10), width=960)
            best = min(best, (time.perf_counter() - t0) * 1000 / 10)
    finally:
        gif._raster_all = saved
    return best


def main():
    rows = []
    nan = float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (3, 12, 50):
            trace = weighted_sum_trace(n)
            raw = sum(len(svg.encode()) for svg in frames(trace))
            t0 = time.perf_counter()
            page = export_html(trace, Path(tmp) / f"t{n}.html")
            html_s = time.perf_counter() - t0
            size = page.stat().st_size
            gif_ms = _gif_ms(trace, Path(tmp) / f"t{n}.gif")
            py_ms = _gif_ms(trace, Path(tmp) / f"p{n}.gif", _resvg_py_all) if _installed("resvg_py") else nan
            old_ms = _gif_ms(trace, Path(tmp) / f"o{n}.gif", _rsvg_convert_all) if shutil.which("rsvg-convert") else nan
            rows.append((len(trace.nodes), len(trace) + 1, raw, size, html_s, gif_ms, py_ms, old_ms))
    print(f"{'value nodes':>11} {'frames':>6} {'frames MB':>9} {'page MB':>7} {'smaller':>7} "
          f"{'export_html s':>13} {'GIF ms/frame':>12} {'resvg-py':>8} {'rsvg-convert':>12}")
    for nodes, count, raw, size, html_s, gif_ms, py_ms, old_ms in rows:
        print(f"{nodes:>11} {count:>6} {raw / 1e6:>9.2f} {size / 1e6:>7.2f} {raw / size:>6.0f}× "
              f"{html_s:>13.2f} {gif_ms:>12.0f} {py_ms:>8.0f} {old_ms:>12.0f}")
    print("frames MB: every SVG frame laid end to end; page MB: the one self-contained HTML file. "
          "GIF ms/frame: export_gif of 10 frames, 960 px wide, wall clock, least of 3 runs, as installed "
          f"(rasteriser: {gif._rasteriser().func.__name__[6:]}); resvg-py and rsvg-convert: the same export "
          "with only the rasteriser swapped (nan when not installed).")


if __name__ == "__main__":
    main()
