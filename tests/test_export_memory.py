"""export_html streams its frames: memory does not grow with how many frames the page holds."""

import tracemalloc

import pytest

from backprop_viz import export_html, trace_of
from render_graphs import micrograd_demo_loss

pytestmark = pytest.mark.dot


def _peak(trace, path, count):
    """The peak of Python allocations while exporting `count` frames spread over the trace."""
    steps = sorted({round(i * len(trace) / (count - 1)) for i in range(count)})
    tracemalloc.start()
    try:
        export_html(trace, path, steps=steps)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_html_memory_does_not_grow_with_the_number_of_frames(tmp_path):
    trace = trace_of(micrograd_demo_loss(n_points=12))  # 8,794 values: a snapshot is ~0.5 MB
    export_html(trace, tmp_path / "warm.html", steps=[0, len(trace)])  # layout, checkpoints: made once
    few = _peak(trace, tmp_path / "few.html", 30)
    many = _peak(trace, tmp_path / "many.html", 300)
    # kept whole, 300 snapshots would need ~150 MB; streamed (measured: 1.0 and 1.4 MB), only what
    # the page holds grows: captions, edits, new numbers
    assert many <= 1.5 * few, (few, many)
    assert (tmp_path / "many.html").stat().st_size > (tmp_path / "few.html").stat().st_size
