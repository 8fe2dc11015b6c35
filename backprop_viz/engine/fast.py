"""The fast backward pass: the same arithmetic as Value.backward's readable loop, in fewer Python steps.

What it does differently (tests/test_engine_fast.py proves it gives the readable path's gradients
and events bit for bit; set `enabled = False` to run the readable path instead):

- the graph is searched without a set: each computed node met has its gradient reset to one fresh
  float zero object, so `p._grad is zero` tells a node already met;
- scalar + * ** tanh relu (most of a scalar MLP) add their contributions in place, without
  building the rule's tuples; every other op, and every array, goes through rules.py;
- constants are not tested for on every edge: they take gradients like any leaf, which are
  taken back at the end;
- while recording, a scalar step writes its backward event straight into the recorder's event list.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from backprop_viz.engine.numeric import _pow, _quiet
from backprop_viz.engine.recording import BACKWARD
from backprop_viz.engine.rules import RULES

__all__ = ["enabled", "backward", "interior_order", "STEPS", "SCALAR_STEPS"]

enabled = True


def backward(root, seed, recorder):
    """root.grad += seed, then every contribution back to the leaves, as Value.backward does."""
    order, constants = interior_order(root)
    root._grad = root._grad + seed
    if recorder is not None:
        recorder.seed(root, seed)
    saved = [c._grad for c in constants]
    try:
        with _quiet():  # an inf or nan from the forward pass (0 * inf) flows on without warnings
            for node in order:
                STEPS[node.op](node, recorder)
    finally:  # constants took gradients like any leaf; they have none
        for c, g in zip(constants, saved):
            c._grad = g


def interior_order(root):
    """The computed nodes root depends on, children before parents (the reverse of creation
    order), and the constants among its leaves (once per use).

    Interior gradients belong to one backward pass: each computed node met is reset to zero, to
    one fresh zero object while searching, so `is` tells a node already met without a set.
    """
    if root._a is None:  # a leaf: nothing flows further back
        return [], []
    zero = float(0)  # a new float object, not the shared constant 0.0
    root._grad = zero
    stack, interior, constants = [root], [], []
    arrays = [] if type(root._data) is float else [root]
    push, pop, keep = stack.append, stack.pop, interior.append
    while stack:
        node = pop()
        keep(node)
        b = node._b
        for p in b if type(b) is tuple else (node._a,) if b is None else (node._a, b):
            if p._grad is not zero:
                if p._a is not None:
                    p._grad = zero
                    push(p)
                    if type(p._data) is not float:
                        arrays.append(p)
                elif p.role == "constant":
                    constants.append(p)
    for node in arrays:
        node._grad = np.zeros_like(node._data)
    interior.sort(key=_creation, reverse=True)
    return interior, constants


_creation = attrgetter("_seq")  # a C function: the sort calls it once per node


# ---- the steps: each adds a node's contributions to its parents' gradients ----
def _general(node, recorder):
    """Any op, any shape: the rule's contributions (rules.py), as the readable loop adds them."""
    g = node._grad
    b = node._b
    parents = b if type(b) is tuple else (node._a, b)
    for slot, local, contribution in RULES[node.op](node, g):
        parent = parents[slot]
        before = parent._grad
        parent._grad = after = before + contribution
        if recorder is not None and parent.role != "constant":
            recorder.backward(parent, node, slot, g, local, contribution, before, after)


# The scalar steps below are rules.py's rules for + * ** tanh relu written in place: the same
# operations in the same order, so the same bits.
def _add(node, recorder):
    g = node._grad
    if type(g) is not float:
        return _general(node, recorder)
    a, b = node._a, node._b
    before = a._grad
    a._grad = before + g  # d(a+b)/da = 1
    if recorder is not None and a.role != "constant":
        recorder.events += (BACKWARD, a._tid, node._tid, 0, g, 1.0, g, before, a._grad)
    before = b._grad
    b._grad = before + g  # d(a+b)/db = 1
    if recorder is not None and b.role != "constant":
        recorder.events += (BACKWARD, b._tid, node._tid, 1, g, 1.0, g, before, b._grad)


def _mul(node, recorder):
    g = node._grad
    if type(g) is not float:
        return _general(node, recorder)
    a, b = node._a, node._b
    x, y = a._data, b._data
    before = a._grad
    a._grad = before + g * y  # d(a·b)/da = b
    if recorder is not None and a.role != "constant":
        recorder.events += (BACKWARD, a._tid, node._tid, 0, g, y, g * y, before, a._grad)
    before = b._grad
    b._grad = before + g * x  # d(a·b)/db = a
    if recorder is not None and b.role != "constant":
        recorder.events += (BACKWARD, b._tid, node._tid, 1, g, x, g * x, before, b._grad)


def _one(node, recorder, local):
    """A scalar node with one parent, whose local derivative is `local`."""
    a, g = node._a, node._grad
    before = a._grad
    a._grad = before + g * local
    if recorder is not None and a.role != "constant":
        recorder.events += (BACKWARD, a._tid, node._tid, 0, g, local, g * local, before, a._grad)


def _pow_step(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    c = node._arg
    _one(node, recorder, c * _pow(node._a._data, c - 1.0))  # d(aᶜ)/da = c·aᶜ⁻¹


def _tanh(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    t = node._data
    _one(node, recorder, 1.0 - t * t)  # d(tanh a)/da = 1 - tanh(a)²


def _relu(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    _one(node, recorder, 1.0 if node._a._data > 0 else 0.0)  # 1 where a > 0, else 0


SCALAR_STEPS = {"+": _add, "*": _mul, "**": _pow_step, "tanh": _tanh, "relu": _relu}
STEPS = {**dict.fromkeys(RULES, _general), **SCALAR_STEPS}
