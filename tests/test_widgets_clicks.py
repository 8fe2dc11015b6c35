"""What a BackpropPlayer click sends: the sheet once, then per step a small look — and the picture and
table the browser assembles from them are the step's frame and table, at every step."""

import pytest

from backprop_viz import BackpropPlayer, frames, trace_of
from backprop_viz.widgets import player as player_module
from player_view import (canonical, changed_bytes, quick_steps, quick_view, shown_picture, shown_table, shows,
                         widget_states)
from render_graphs import micrograd_first_recorded, random_graph

pytestmark = pytest.mark.dot

CLICK_BYTES = 20_000  # what a click may send at ~200 nodes


def test_a_click_on_a_200_node_graph_sends_at_most_20_kb_and_shows_its_frame():
    t = trace_of(random_graph(200, seed=1))
    f = frames(t)
    p = BackpropPlayer(t)
    scene = f.view(0)[0].scene
    assert len(scene.nodes) > 300 and t.num_nodes >= 200  # ~200 values and their ops drawn
    before, sent = widget_states(p), []
    sheet_sent = len(p.frame.value) + len(p.table.value)
    for k in range(1, len(t) + 1):
        p.next_button.click()
        after = widget_states(p)
        sent.append(changed_bytes(before, after))
        before = after
        assert p.index == k
        if k % 23 == 0 or k in (1, len(t)):  # what the browser puts together is the step's frame and table
            assert shows(p, f[k]) and shown_table(p) == p.table_html(t.snapshot(k))
    assert max(sent) <= CLICK_BYTES, max(sent)
    assert sheet_sent > 10 * max(sent)  # the picture went once, not per click
    p.first_button.click()  # jumps stay on the sheet too
    assert shows(p, f[0]) and changed_bytes(before, widget_states(p)) <= CLICK_BYTES


def test_zoom_and_scrolling_keep_the_sheet():
    t = trace_of(random_graph(40, seed=2))
    p = BackpropPlayer(t).goto(10)
    sheet = p.frame.value
    before = widget_states(p)
    p.zoom_in()
    assert p.frame.value == sheet and changed_bytes(before, widget_states(p)) < len(p.look.value) + len(p.step_look.value) + 300
    assert shows(p, frames(t)[10])


def test_a_long_pass_gets_sheets_of_a_window_and_every_step_still_shows_its_frame(monkeypatch):
    monkeypatch.setattr(player_module, "SHEET_BUDGET", 30_000)
    t = trace_of(random_graph(120, seed=5))
    f = frames(t)
    p = BackpropPlayer(t)
    sheets, first = set(), p._sheet
    assert first.last - first.first + 1 < len(t)  # a window, not the whole pass
    for k in range(1, 60):
        p.step()
        sheets.add(p.frame.value)
        assert shows(p, f[k]) and shown_table(p) == p.table_html(t.snapshot(k)), k
    assert len(sheets) >= 2  # a step past the window brought the next one
    p.goto(len(t))
    assert shows(p, f[len(t)]) and len(t) in p._sheet


def test_predict_mode_never_puts_the_number_to_predict_on_the_page():
    t = micrograd_first_recorded()[0]
    p = BackpropPlayer(t, predict=True)
    seed = t.seed_steps()[0]
    p.goto(len(t))
    assert p.index == seed and p.predicting == seed + 1
    status = f"step {seed + 1} of {len(t)}"
    assert status not in p.frame.value and status not in p.picture  # the next step's look is not sent
    assert p.predict("1") is True  # the seed
    assert status in shown_picture(p) and shows(p, frames(t)[seed + 1])
    ev = t.event(seed + 1)
    assert f"step {seed + 2} of {len(t)}" not in p.frame.value
    assert p.predict(str(ev.contribution)) is True
    assert shows(p, frames(t)[seed + 2]) and shown_table(p) == p.table_html(t.snapshot(seed + 2))
    p.goto(2)  # back over revealed steps: the sheet still holds them
    assert shows(p, frames(t)[2])


def test_every_state_between_the_messages_of_a_click_is_one_whole_step():
    """A jump sends a new base after the step's part: in between the browser shows the old base (an
    earlier step, whole), never one step's looks on top of another's."""
    t = trace_of(random_graph(60, seed=7))
    f = frames(t)
    p = BackpropPlayer(t).goto(2)
    whole = {canonical(f[k]): k for k in range(len(t) + 1)}
    seen = []
    for w in (p.look, p.step_look):
        w.observe(lambda _: seen.append(whole.get(shown_picture(p))), names="value")
    p.last()  # far from step 2: a new base
    assert seen and None not in seen, seen  # every state in between is some step, drawn whole
    assert seen[-1] == len(t) and shows(p, f[len(t)])


@pytest.mark.parametrize("far", [False, True], ids=["near", "far"])
def test_the_picture_scrolls_to_the_active_node_once_the_step_is_shown(far):
    """The image whose onload scrolls the active node into view comes in a click's last message: when
    it runs, the picture is the new step's (a jump that sent it with the first part scrolled to the
    old step's node)."""
    t = trace_of(random_graph(60, seed=7))
    f = frames(t)
    p = BackpropPlayer(t).goto(2)
    target = len(t) if far else 3
    follows = []
    for w in (p.look, p.step_look):
        w.observe(lambda change: follows.append(shown_picture(p)) if "bpv-follow" in change["new"] else None,
                  names="value")
    p.goto(target)
    assert follows == [canonical(f[target])]


def test_the_page_can_draw_every_step_of_a_sheet_by_itself_as_the_kernel_draws_it():
    """Quick steps: the sheet says, per step, which looks to show and how to mark the table; read as
    the page's script reads it, each step's picture is frames(trace)[k], its table the one the
    kernel's look shows at k, and its status line the kernel's."""
    t = trace_of(random_graph(60, seed=7))
    f = frames(t)
    p = BackpropPlayer(t)
    sent = p.frame.value
    d = quick_steps(p)
    assert d["on"] and (d["first"], d["last"], d["n"]) == (0, len(t), len(t))
    for k in range(len(t) + 1):
        page = quick_view(p, k)
        assert shown_picture(page) == canonical(f[k]), k
        p.goto(k)
        assert p.frame.value == sent  # one sheet
        assert shown_table(page) == shown_table(p), k
        assert d["status"][k] == p.status.value, k


def test_predict_mode_never_steps_in_the_page():
    """A predict player asks before it shows: its buttons wait for the kernel."""
    p = BackpropPlayer(trace_of(random_graph(30, seed=3)), predict=True)
    assert quick_steps(p)["on"] is False


def test_each_click_ends_its_look_with_the_count_of_clicks_handled():
    """The part of a click's look that arrives last carries how many button clicks the kernel has
    handled (the page hands back to the kernel's look when it reaches its own count); a click that
    changes nothing still sends it, a step taken from Python does not count."""
    import re

    t = micrograd_first_recorded()[0]
    p = BackpropPlayer(t)
    last = []
    for w in (p.look, p.step_look):
        w.observe(lambda change: last.append(change["new"]), names="value")

    def ends():
        m = re.search(r'<img alt="" class="bpv-follow"[^>]* data-step="(\d+)" data-clicks="(\d+)"', last[-1])
        return int(m.group(1)), int(m.group(2))

    p.next_button.click()
    assert ends() == (1, 1)
    p.last_button.click()  # a jump: a new base, sent last
    assert ends() == (len(t), 2)
    sent = len(last)
    p.next_button.click()  # at the end already: nothing changes, the count still goes out
    assert len(last) == sent + 1 and ends() == (len(t), 3)
    p.back()
    assert ends() == (len(t) - 1, 3)
    p.first_button.click()
    assert ends() == (0, 4)
