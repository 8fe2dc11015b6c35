"""Benchmark: BackpropPlayer click → picture updated, measured inside the page in JupyterLab and Voilà."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from render_graphs import random_graph  # noqa: E402

from backprop_viz import BackpropPlayer, Value, trace_of  # noqa: E402
from tests.e2e import pages, servers  # noqa: E402

NOTEBOOK = REPO / "tests" / "e2e" / "fixtures" / "player.ipynb"  # a 7-step player and a ~200-node one
DESCENT = REPO / "tests" / "e2e" / "fixtures" / "descent.ipynb"  # a GradientDescentView on a noisy line
GRAPHS = REPO / "tests" / "render_graphs.py"
CLICKS = 20
GOAL_MS = 50.0  # click → picture at ~200 nodes, in the page
CLICK_BYTES_GOAL = 20_000  # widget state one click sends at ~200 nodes


def small_graph():
    """The notebook's small graph: L = a·b + a."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    return a * b + a


def kernel_side(graph):
    """Python's share of one click: player.step() (snapshot, the step's look, caption, table marks);
    the most bytes of widget state one click changed (every step of the trace clicked through); and
    what the sheet (picture and table, sent once per trace) weighs."""
    from player_view import changed_bytes, widget_states

    player = BackpropPlayer(trace_of(graph))
    sheet = len(player.frame.value) + len(player.table.value)
    times, sent = [], []
    state = widget_states(player)
    for _ in range(max(CLICKS, len(player.trace))):
        if player.index == len(player.trace):
            player.first()
            state = widget_states(player)
        t0 = time.perf_counter()
        player.step()
        times.append((time.perf_counter() - t0) * 1000)
        after = widget_states(player)
        sent.append(changed_bytes(state, after))
        state = after
    return statistics.median(times), max(sent), sheet


def _sent_per_change(view):
    """A list that grows by (time, size) of every text or picture the view (and its player) changes:
    what travels to the browser, and when."""
    import ipywidgets as widgets

    sizes = []

    def walk(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from walk(child)

    for w in walk(view):
        if isinstance(w, (widgets.HTML, widgets.Image, widgets.Label)):
            w.observe(lambda ch: sizes.append((time.perf_counter(), len(ch["new"].encode() if isinstance(ch["new"], str)
                                                                           else ch["new"]))), names="value")
    return sizes


def descent_costs():
    """GradientDescentView on a noisy line (2 parameters: curve, fit, landscape, sample graph), as in
    the browser test's notebook, per `step` click: ms until the last view is sent, ms (wall and CPU)
    until the click is handled, kB sent; and a 2000-step run against nn.train alone."""
    import matplotlib

    matplotlib.use("Agg")
    from backprop_viz import GradientDescentView, data, nn

    X, y = data.line(n=40, seed=0)
    view = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=0.1)
    sizes = _sent_per_change(view)
    view.step()
    shown, wall, cpu, sent, messages = [], [], [], [], []
    for _ in range(CLICKS):
        del sizes[:]
        t0, c0 = time.perf_counter(), time.thread_time()
        view.step_button.click()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        shown.append((sizes[-1][0] - t0) * 1000)
        sent.append(sum(size for _, size in sizes) / 1024)
        messages.append(len(sizes))
    view.reset()
    t0 = time.perf_counter()
    view.run(2000)
    run_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nn.train(nn.LinearRegression(w=-1.0, b=2.0), X, y, nn.mse, lr=0.1, steps=2000)
    train_s = time.perf_counter() - t0
    return {"shown": statistics.median(shown), "wall": statistics.median(wall), "cpu": statistics.median(cpu), "kib": statistics.median(sent),
            "changes": statistics.median(messages), "run_s": run_s, "train_s": train_s}


def clicks(page, scope, steps):
    """In-page ms from clicking `next` to the SVG showing the new step, CLICKS times."""
    from playwright.sync_api import expect

    expect(page.locator(f"{scope} {pages.PICTURE_STATUS}")).to_contain_text(f"step 0 of {steps}")
    out = []
    for k in range(CLICKS):
        target = k % steps + 1
        out.append(pages.click_latency(page, f"{scope} .bpv-next", f"{scope} .bpv-frame",
                                       text=f"step {target} of {steps}"))
        if target == steps:  # the small graph: start over
            page.locator(f"{scope} .bpv-first").click()
            expect(page.locator(f"{scope} {pages.PICTURE_STATUS}")).to_contain_text(f"step 0 of {steps}")
            expect(page.locator(f"{scope} .bpv-status")).to_contain_text(f"step 0 of {steps}")  # the kernel too
    return out


def main():
    reason = pages.missing_browser()
    if reason:
        print(f"skipped: {reason}")
        return
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    from playwright.sync_api import sync_playwright

    big = random_graph(200, seed=1)
    small_steps, big_steps = 7, len(trace_of(big))
    small_ms, small_bytes, small_sheet = kernel_side(small_graph())
    big_ms, big_bytes, big_sheet = kernel_side(big)
    from tests.e2e.test_descent_browser import STEP_GOAL_MS, step_clicks

    rows, step_rows = [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        problems = pages.Problems()
        context = pages.launch_context(playwright, Path(tmp) / "profile", problems)
        try:
            for name, cls in (("JupyterLab", servers.LabServer), ("Voilà", servers.VoilaServer)):
                with cls(NOTEBOOK, GRAPHS) as server:
                    page = server.open(context)
                    if cls is servers.LabServer:
                        pages.lab_run_all(page)
                    for label, scope, steps in (("7-step graph", ".small", small_steps),
                                                (f"~200-node graph ({big_steps} steps)", ".big", big_steps)):
                        rows.append((name, label, clicks(page, scope, steps)))
                    page.close()
                with cls(DESCENT) as server:  # a 'step' click: train, then curve, fit, landscape, table, graph
                    page = server.open(context)
                    if cls is servers.LabServer:
                        pages.lab_run_all(page)
                    step_rows.append((name, step_clicks(page, ".gd")))
                    page.close()
        finally:
            context.close()
        if problems.all():
            raise SystemExit("problems in the browser:\n" + "\n".join(problems.all()))

    print(f"BackpropPlayer: click 'next' → SVG updated, in-page, {CLICKS} clicks each (goal ≤ {GOAL_MS:.0f} ms median "
          "at ~200 nodes)")
    print(f"{'where':<11} {'graph':<33} {'median ms':>9} {'min':>6} {'max':>6}  goal")
    medians = {}
    for name, label, values in rows:
        med = statistics.median(values)
        medians[(name, label[:5])] = med
        ok = "met" if med <= GOAL_MS else "MISSED"
        print(f"{name:<11} {label:<33} {med:9.1f} {min(values):6.1f} {max(values):6.1f}  {ok if '200' in label else ''}")
    for name in ("JupyterLab", "Voilà"):
        ratio = medians[(name, "~200-")] / medians[(name, "7-ste")]
        print(f"{name}: ~200-node click costs {ratio:.1f}× a 7-step-graph click")
    print(f"GradientDescentView: click 'step' → status, table, curve, fit, landscape and graph all updated, "
          f"in-page (goal ≤ {STEP_GOAL_MS:.0f} ms median)")
    for name, values in step_rows:
        med = statistics.median(values)
        print(f"{name:<11} {'step click, all views':<33} {med:9.1f} {min(values):6.1f} {max(values):6.1f}  "
              f"{'met' if med <= STEP_GOAL_MS else 'MISSED'}")
    d = descent_costs()
    print(f"GradientDescentView kernel side: a 'step' click has sent every view after {d['shown']:.0f} ms (train, "
          f"table, sample graph, curve, fit, landscape) and is handled after {d['wall']:.0f} ms ({d['cpu']:.0f} ms "
          f"CPU); {d['kib']:.1f} KiB in {d['changes']:.0f} changed texts and pictures; 2000-step run {d['run_s']:.2f} s "
          f"vs nn.train alone {d['train_s']:.2f} s ({d['run_s'] / d['train_s']:.1f}×: redraws ≤ 1 per 0.1 s)")
    print(f"kernel side per click (player.step()): {big_ms:.2f} ms at ~200 nodes, {small_ms:.2f} ms on the 7-step graph")
    ok = "met" if big_bytes <= CLICK_BYTES_GOAL else "MISSED"
    print(f"a click sends at most {big_bytes / 1000:.1f} kB of widget state at ~200 nodes (goal ≤ "
          f"{CLICK_BYTES_GOAL / 1000:.0f} kB: {ok}), {small_bytes / 1000:.1f} kB on the 7-step graph; the sheet "
          f"(picture and table, once per trace) {big_sheet / 1000:.0f} kB and {small_sheet / 1000:.0f} kB")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if big_bytes > CLICK_BYTES_GOAL or any(statistics.median(v) > GOAL_MS for n, label, v in rows if "200" in label):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
