"""Helpers for the trace tests: run a random program under record(), compare stored values exactly."""

from __future__ import annotations

import numpy as np

from backprop_viz import Value, record
from backprop_viz.trace import ArraySummary
from strategies import Program, run


def same(a, b):
    """Exactly equal (nan equals nan): numbers, arrays (same shape) or array summaries."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, ArraySummary) or isinstance(b, ArraySummary):
        return (isinstance(a, ArraySummary) and isinstance(b, ArraySummary) and a.shape == b.shape
                and all(same(x, y) for x, y in zip((a.min, a.max, a.mean) + a.preview,
                                                   (b.min, b.max, b.mean) + b.preview))
                and len(a.preview) == len(b.preview))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))
    return type(a) is type(b) is float and (a == b or (a != a and b != b))


def same_lists(xs, ys):
    return len(xs) == len(ys) and all(same(x, y) for x, y in zip(xs, ys))


def closed(program):
    """The program with every register nobody uses added to the loss, so the loss depends on all."""
    _, regs = run(program, program.leaves, "numpy")
    used = {r for _, refs, _ in program.steps for r in refs if isinstance(r, int)}
    used |= {r for r, _ in program.outputs}
    n_leaves = len(program.leaves)
    extra = tuple((r, 1.0 if np.ndim(regs[r]) == 0 else np.ones(np.shape(regs[r])))
                  for r in range(n_leaves, len(regs)) if r not in used)
    return Program(program.leaves, program.steps, program.outputs + extra)


def make_leaves(program):
    """Fresh leaves x0, x1, … (every other one a parameter) holding the program's leaf data."""
    return [Value(x, f"x{i}", role="parameter" if i % 2 else "input") for i, x in enumerate(program.leaves)]


def build(program, leaves):
    """Run the program, label each register r<k> and every other node of the loss g<n>; (loss, values)."""
    loss, regs = run(program, leaves, "ours")
    for k, v in enumerate(regs[len(leaves):]):
        v.label = f"r{k}"
    named = {v.label: v for v in regs}
    stack, seen, n = [loss], set(), 0
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.role == "constant":
            continue
        if v.label is None:
            v.label = f"g{n}"
            n += 1
        named[v.label] = v
        stack.extend(v.parents)
    loss.label = "loss"
    named["loss"] = loss
    return loss, named


def record_program(program):
    """(trace, loss, {label: Value}, leaves) of building the program and loss.backward() under record()."""
    leaves = make_leaves(program)
    with record() as trace:
        loss, named = build(program, leaves)
        loss.backward()
    return trace, loss, named, leaves


def ancestors(root):
    """Every Value root depends on, root included."""
    seen, stack = {id(root): root}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return list(seen.values())


def replay(trace):
    """Every state [(values, grads)] for k = 0..len, by applying the events one by one to snapshot(0).

    The rules as the contract states them: forward and update set a value, seed / backward / grad
    set a gradient (`after`), and a seed starts the pass afresh for the computed nodes it draws.
    """
    first = trace.snapshot(0)
    values, grads = list(first.values), list(first.grads)
    kinds = [n.kind for n in trace.nodes]
    states = [(list(values), list(grads))]
    for ev in trace.events:
        if ev.kind in ("forward", "update"):
            values[ev.node] = ev.value
        else:
            if ev.kind == "seed":
                for nid in trace.pass_nodes(ev.pass_index):
                    if kinds[nid] == "computed":
                        grads[nid] = None
            grads[ev.node] = ev.after
        states.append((list(values), list(grads)))
    return states
