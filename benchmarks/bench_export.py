"""Benchmark: the exported HTML page's size against its frames laid end to end, and the time to export."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from backprop_viz import export_gif, export_html, frames  # noqa: E402
from render_graphs import weighted_sum_trace  # noqa: E402  (the graph the export tests use)


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (3, 12, 50):
            trace = weighted_sum_trace(n)
            raw = sum(len(svg.encode()) for svg in frames(trace))
            t0 = time.perf_counter()
            page = export_html(trace, Path(tmp) / f"t{n}.html")
            html_s = time.perf_counter() - t0
            size = page.stat().st_size
            gif_ms = float("nan")
            if shutil.which("rsvg-convert"):
                t0 = time.perf_counter()
                export_gif(trace, Path(tmp) / f"t{n}.gif", steps=range(10), width=960)
                gif_ms = (time.perf_counter() - t0) * 1000 / 10
            rows.append((len(trace.nodes), len(trace) + 1, raw, size, html_s, gif_ms))
    print(f"{'value nodes':>11} {'frames':>6} {'frames MB':>9} {'page MB':>7} {'smaller':>7} "
          f"{'export_html s':>13} {'GIF ms/frame':>12}")
    for nodes, count, raw, size, html_s, gif_ms in rows:
        print(f"{nodes:>11} {count:>6} {raw / 1e6:>9.2f} {size / 1e6:>7.2f} {raw / size:>6.0f}× "
              f"{html_s:>13.2f} {gif_ms:>12.0f}")
    print("frames MB: every SVG frame laid end to end; page MB: the one self-contained HTML file.")


if __name__ == "__main__":
    main()
