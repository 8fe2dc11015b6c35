"""Benchmark: the cost of recording micrograd's demo step (scalar MLP 2-16-16-1, ~66,000 nodes)."""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backprop_viz.engine import Value  # noqa: E402
from backprop_viz.trace import Trace, record  # noqa: E402

from bench_engine import ALPHA, SIZES, make_moons  # noqa: E402  (the same task as the engine benchmark)
from bench_engine import scalar_forward as forward  # noqa: E402
from bench_engine import scalar_parameters as parameters  # noqa: E402

RATIO_GOAL = 1.5
JSON_GOAL = 0.3  # seconds for to_json, and for from_json, of this trace


def make_model(seed=1337):
    """Layers of neurons [(ws, b)], weights uniform in [-1, 1] as micrograd draws them."""
    rng = random.Random(seed)
    model = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        layer = [([Value(rng.uniform(-1, 1), role="parameter") for _ in range(n_in)],
                  Value(0.0, role="parameter")) for _ in range(n_out)]
        model.append(layer)
    return model


def forward_backward(model, params, X, y):
    """micrograd's demo loss (SVM max-margin + 1e-4 L2) on all points, then backward(); the loss."""
    scores = [forward(model, list(map(Value, row))) for row in X.tolist()]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
    for p in params:
        p.zero_grad()
    loss.backward()
    return loss


def recorded(model, params, X, y):
    """The trace of forward_backward, and its loss (so both runs free their graph after the clock stops)."""
    with record() as trace:
        loss = forward_backward(model, params, X, y)
    return trace, loss


def _timed(fn):
    gc.collect()
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def _gc_paused(fn):
    gc.disable()
    try:
        return fn()
    finally:
        gc.enable()


def compare(model, params, X, y, repeats):
    """Median CPU seconds of forward+backward without and with recording, interleaved repeats.

    Two settings: the collector as Python sets it (record() pauses it for its block, the plain
    step runs with it), and the collector paused for both, which is the recorder's own cost.
    """
    runs = {"default": ([], []), "paused": ([], [])}
    for _ in range(repeats):  # interleaved, so drifts of the machine hit both alike
        for mode, (plain, rec) in runs.items():
            wrap = _gc_paused if mode == "paused" else (lambda fn: fn())
            plain.append(_timed(lambda: wrap(lambda: forward_backward(model, params, X, y)))[0])
            rec.append(_timed(lambda: wrap(lambda: recorded(model, params, X, y)))[0])
    return {mode: (statistics.median(p), statistics.median(r)) for mode, (p, r) in runs.items()}


def main(repeats=11):
    X, y = make_moons()
    model = make_model()
    params = parameters(model)
    times = compare(model, params, X, y, repeats)
    t_plain, t_rec = times["default"]
    p_plain, p_rec = times["paused"]
    trace, loss = recorded(model, params, X, y)
    n_nodes, n_events = len(trace.nodes), len(trace)
    assert loss.data == forward_backward(model, params, X, y).data, "recording changed the loss"

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = recorded(model, params, X, y)[0]  # the graph is freed here, the trace kept
    trace_bytes = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del kept

    rng = random.Random(0)
    t_first, _ = _timed(lambda: trace.snapshot(rng.randrange(len(trace) + 1)))  # builds checkpoints
    snaps = [_timed(lambda: trace.snapshot(rng.randrange(len(trace) + 1)))[0] for _ in range(20)]
    caps = [_timed(lambda: trace.snapshot(rng.randrange(len(trace) + 1)).caption("en"))[0] for _ in range(20)]
    dumps, loads = [], []
    for _ in range(5):  # interleaved repeats, the median of each
        t_json, text = _timed(trace.to_json)
        t_load, back = _timed(lambda: Trace.from_json(text))
        dumps.append(t_json)
        loads.append(t_load)
    t_json, t_load = statistics.median(dumps), statistics.median(loads)
    assert back.to_json() == text, "the JSON round trip changed the trace"
    size = len(text.encode("utf-8"))

    ratio, own = t_rec / t_plain, p_rec / p_plain
    print(f"micrograd demo step: MLP 2-16-16-1 on 100 two-moons points, SVM loss + 1e-4 L2; "
          f"{n_nodes:,} nodes, {n_events:,} events; CPU time, median of {repeats} interleaved repeats.\n")
    print("| measure | value | goal |")
    print("|---|---:|---|")
    print(f"| recording / no recording, Python's default collector in both: {t_rec * 1000:.0f} / "
          f"{t_plain * 1000:.0f} ms | {ratio:.2f}x | <= {RATIO_GOAL}x |")
    print(f"| recording / no recording, collector paused in both (the recorder's own cost): "
          f"{p_rec * 1000:.0f} / {p_plain * 1000:.0f} ms | {own:.2f}x | <= {RATIO_GOAL}x |")
    print(f"| trace memory (tracemalloc, net) | {trace_bytes / 2**20:.1f} MiB "
          f"({trace_bytes / n_events:.0f} B / event) | grows with events |")
    print(f"| first snapshot (builds checkpoints) | {t_first * 1000:.0f} ms | < 1000 ms |")
    print(f"| snapshot(k), random k, median / max of 20 | {statistics.median(snaps) * 1000:.1f} / "
          f"{max(snaps) * 1000:.1f} ms | < 1000 ms |")
    print(f"| snapshot(k).caption('en'), median / max of 20 | {statistics.median(caps) * 1000:.1f} / "
          f"{max(caps) * 1000:.1f} ms | < 1000 ms |")
    print(f"| to_json, median of 5 ({size / 2**20:.1f} MiB of UTF-8, format version 2) | {t_json * 1000:.0f} ms "
          f"| <= {JSON_GOAL * 1000:.0f} ms |")
    print(f"| from_json, median of 5 | {t_load * 1000:.0f} ms | <= {JSON_GOAL * 1000:.0f} ms |")
    print(f"\nGoal: recording <= {RATIO_GOAL:g}x the time of not recording, with Python's default collector: "
          f"{ratio:.2f}x, {'met' if ratio <= RATIO_GOAL else 'NOT met'} "
          f"(collector paused in both: {own:.2f}x, {'within' if own <= RATIO_GOAL else 'above'} {RATIO_GOAL:g}x).")
    ok = t_json <= JSON_GOAL and t_load <= JSON_GOAL
    print(f"Goal: to_json and from_json of this trace ({n_nodes:,} nodes, {n_events:,} events) <= {JSON_GOAL:g} s "
          f"each: {t_json:.2f} s / {t_load:.2f} s ({size / 2**20:.1f} MiB), {'met' if ok else 'NOT met'}.")
    print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    return ratio <= RATIO_GOAL and ok  # every goal above met


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
