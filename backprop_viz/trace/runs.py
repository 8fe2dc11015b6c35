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
            for slot, before, local in ((0, before0, local0), (1, before1, local1)):
                if slots & (1 << slot):  # local None: an add's 1, and the contribution is g itself
                    c = g if local is None else g * local
                    out += (BACKWARD, nodes[n + 1 + slot], child, slot, g, 1.0 if local is None else local, c,
                            before, before + c)
    out += rows[ROW * done:]
    return out
