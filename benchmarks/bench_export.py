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


STREAM_GOALS = {"html_1001_mb": 400.0, "growth": 1.5}


def _growth_child(kind, count):
    """In a fresh process: the peak growth of this process (MB) and the wall seconds of exporting
    `count` frames of micrograd's demo loss (65,818 nodes) as `kind` ('html' or 'gif')."""
    from render_graphs import micrograd_demo_loss
    from backprop_viz import trace_of

    def rss(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith(field))

    trace = trace_of(micrograd_demo_loss())
    steps = sorted({round(i * len(trace) / (count - 1)) for i in range(count)})
    trace.snapshot(len(trace))  # the trace's own checkpoints are not the export's
    with tempfile.TemporaryDirectory() as tmp:
        with open("/proc/self/clear_refs", "w") as f:  # resets VmHWM to the present size
            f.write("5")
        base, t0 = rss("VmRSS"), time.perf_counter()
        if kind == "html":
            export_html(trace, Path(tmp) / "p.html", steps=steps)
        else:
            export_gif(trace, Path(tmp) / "p.gif", steps=steps, max_frames=count)
        print(f"{rss('VmHWM') - base:.1f} {time.perf_counter() - t0:.2f}")


def _growth(kind, count):
    done = subprocess.run([sys.executable, __file__, "--growth", kind, str(count)], capture_output=True, text=True,
                          check=True)
    mb, s = done.stdout.split()
    return float(mb), float(s)


def stream():
    """export_html and export_gif of micrograd's demo loss: memory growth and time by frame count."""
    if not Path("/proc/self/clear_refs").exists():
        print("\n(streaming memory: needs Linux /proc, skipped)")
        return []
    html = {n: _growth("html", n) for n in (101, 1001)}
    gif = {n: _growth("gif", n) for n in (50, 200)}
    print("\nStreaming exports of micrograd's demo loss (65,818 nodes, 191,728 steps): peak growth of the "
          "process (VmHWM − VmRSS before), wall seconds.\n")
    print("| export | frames | memory growth | time |\n|---|---:|---:|---:|")
    for name, runs in (("export_html", html), ("export_gif", gif)):
        for n, (mb, s) in runs.items():
            print(f"| {name} | {n:,} | {mb:.0f} MB | {s:.1f} s |")
    g = STREAM_GOALS["growth"]
    return [
        (f"export_html of 1,001 frames grows the process ≤ {STREAM_GOALS['html_1001_mb']:.0f} MB",
         html[1001][0] <= STREAM_GOALS["html_1001_mb"]),
        (f"export_html memory does not grow with frames: 1,001 frames ≤ {g}× 101 frames "
         f"(+ 20 MB of page)", html[1001][0] <= g * html[101][0] + 20),
        (f"export_gif memory does not grow with frames: 200 frames ≤ {g}× 50 frames",
         gif[200][0] <= g * gif[50][0] + 20),
    ]


def _gif_goals(rows):
    """The GIF goal: per frame no slower than the earlier `rsvg-convert` way, on the same frames in
    the same run (a shared machine's speed changes from day to day, so no fixed milliseconds)."""
    if not shutil.which("rsvg-convert"):
        print("(GIF against rsvg-convert: not measured, the program is not installed; "
              "`apt-get install librsvg2-bin` brings it for this comparison only)")
        return []
    return [(f"export_gif per frame at {nodes} value nodes ≤ the earlier rsvg-convert way's "
             f"({gif_ms:.0f} ms against {old_ms:.0f} ms)", gif_ms <= old_ms)
            for nodes, _, _, _, _, gif_ms, _, old_ms in rows]


def main():
    checks = stream()
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
    checks += _gif_goals(rows)
    if checks:
        print("\n| goal | met |\n|---|---|")
        for text, ok in checks:
            print(f"| {text} | {'yes' if ok else 'NO'} |")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--growth"]:
        _growth_child(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
