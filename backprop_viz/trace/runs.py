"""Runs of events a recording kept short: the numbers' forward events and the scalar steps' records, made whole."""

from __future__ import annotations

from itertools import chain, repeat

from backprop_viz.trace.events import BACKWARD, FORWARD, NODE_ROW, ROW, STEP

__all__ = ["expanded"]


def expanded(rows, runs, steps, nodes):
    """The flat event rows with every run put in its place as whole rows.

    `runs` holds (event index, start, stop): forward events as (node ids, values) lists, or the
    step records steps[start:stop] (engine/recording.py's STEP). A record's parents are its child's
    (`nodes`, a Trace's node rows); contribution = upstream * local (upstream itself for a +) and
    after = before + contribution, the operations the engine did, so the same numbers bit for bit.
    """
    out, done = [], 0
    for at, start, stop in runs:
        take = at - len(out) // ROW  # whole rows before this run
        out += rows[ROW * done:ROW * (done + take)]
        done += take
        if type(start) is list:  # forward events: (node ids, values)
            n = len(start)
            out += chain.from_iterable(zip(repeat(FORWARD, n), start, stop,
                                           *[repeat(None, n) for _ in range(ROW - 3)]))
            continue
        for r in range(start, stop, STEP):
            slots, child, g, before0, before1, local0, local1 = steps[r:r + STEP]
            n = NODE_ROW * child
            if slots & 1:
                if local0 is None:
                    out += (BACKWARD, nodes[n + 1], child, 0, g, 1.0, g, before0, before0 + g)
                else:
                    c = g * local0
                    out += (BACKWARD, nodes[n + 1], child, 0, g, local0, c, before0, before0 + c)
            if slots & 2:
                if local1 is None:
                    out += (BACKWARD, nodes[n + 2], child, 1, g, 1.0, g, before1, before1 + g)
                else:
                    c = g * local1
                    out += (BACKWARD, nodes[n + 2], child, 1, g, local1, c, before1, before1 + c)
    out += rows[ROW * done:]
    return out
