"""Tests of the recorder slot (engine/recording.py): recordings are per thread and context, and no
interleaving of blocks leaves a recorder installed."""

import gc
import threading

import pytest

from backprop_viz import Value, record
from backprop_viz.engine import recording


def _step(tag, x=0.5):
    """A small graph with every computed node labelled `tag`; its loss after backward()."""
    w = Value(x, f"{tag}-w", role="parameter")
    h = (w * 2.0)
    h.label = f"{tag}-h"
    loss = h.tanh() + w ** 2
    loss.label = f"{tag}-loss"
    loss.backward()
    return loss


def test_another_threads_arithmetic_never_lands_in_a_recording():
    stop, errors, steps = threading.Event(), [], []

    def background():
        try:
            while not stop.is_set():
                loss = _step("bg", 0.25)
                loss.data = loss.data - 0.1 * loss.grad  # updates and grads too, not only ops
                loss.grad = 0.0
                steps.append(1)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=background, daemon=True)
    thread.start()
    try:
        traces = []
        for _ in range(200):
            with record() as trace:
                _step("main")
            traces.append(trace)
            assert recording.current() is None
    finally:
        stop.set()
        thread.join(10)
    assert not errors, errors
    assert len(steps) > 0 and not thread.is_alive()
    expected = traces[0].to_json()
    for trace in traces:
        labels = {n.label for n in trace.nodes} - {None}
        assert labels == {"main-w", "main-h", "main-loss"}, labels
        assert trace.to_json() == expected  # the same 12 events every time, nothing foreign
    assert recording.active == 0


def test_overlapping_blocks_in_two_threads_leave_nothing_installed():
    """Thread 1 enters, thread 2 enters, thread 1 leaves first, then thread 2 leaves."""
    entered1, entered2, left1 = threading.Event(), threading.Event(), threading.Event()
    errors, traces = [], {}

    def first():
        try:
            with record() as trace:
                entered1.set()
                assert entered2.wait(10)
                _step("one")
            traces["one"] = trace
            left1.set()
            assert recording.current() is None
            assert (Value(2.0) * 3.0).data == 6.0
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
            left1.set()

    def second():
        try:
            assert entered1.wait(10)
            with record() as trace:
                entered2.set()
                assert left1.wait(10)
                _step("two")  # still recorded here after the other thread's block closed
            traces["two"] = trace
            assert recording.current() is None
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors, errors
    for tag, trace in traces.items():
        assert {n.label for n in trace.nodes} - {None} == {f"{tag}-w", f"{tag}-h", f"{tag}-loss"}
    # plain arithmetic works afterwards, in every thread, and nothing is recorded
    assert recording.active == 0 and recording.current() is None
    loss = _step("after")
    assert loss.grad == 1.0 and isinstance(loss * 2.0, Value)
    assert gc.isenabled()


def test_blocks_closed_out_of_order_in_one_thread_leave_nothing_installed():
    outer, inner = record(), record()
    t_outer = outer.__enter__()
    t_inner = inner.__enter__()
    outer.__exit__(None, None, None)  # the outer block closes first
    _step("still-inner")  # the inner block is still open: it records this
    inner.__exit__(None, None, None)
    assert recording.current() is None and recording.active == 0
    _step("after")  # and this lands in neither
    assert {n.label for n in t_inner.nodes} - {None} == {"still-inner-w", "still-inner-h", "still-inner-loss"}
    assert len(t_outer) == 0


def test_unrecorded_runs_code_outside_the_lesson():
    with record() as trace:
        _step("lesson")
        with recording.unrecorded():
            _step("aside")
            assert recording.current() is None
        _step("lesson2")
    labels = {n.label for n in trace.nodes} - {None}
    assert not any(label.startswith("aside") for label in labels)
    assert {"lesson-loss", "lesson2-loss"} <= labels


def test_the_collector_is_paused_while_any_block_is_open_and_resumed_after_the_last():
    assert gc.isenabled()
    a, b = record(), record()
    a.__enter__()
    assert not gc.isenabled()
    b.__enter__()
    a.__exit__(None, None, None)
    assert not gc.isenabled()  # b is still open
    b.__exit__(None, None, None)
    assert gc.isenabled() and gc.get_freeze_count() == 0  # objects moved to the oldest generation, not frozen


def test_a_freeze_made_elsewhere_is_left_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with record():
            _step("frozen")
        assert 0 < gc.get_freeze_count() <= frozen  # not undone, and the block's objects were not frozen
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("threads", [4])
def test_many_threads_recording_at_once_each_get_their_own_steps(threads):
    barrier, errors, traces = threading.Barrier(threads), [], {}

    def work(k):
        try:
            barrier.wait(10)
            with record() as trace:
                for _ in range(20):
                    _step(f"t{k}", 0.1 * k)
            traces[k] = trace
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(30)
    assert not errors, errors
    for k, trace in traces.items():
        assert {n.label for n in trace.nodes} - {None} == {f"t{k}-w", f"t{k}-h", f"t{k}-loss"}
        assert trace.passes == 20
    assert recording.active == 0 and gc.isenabled()
