"""The fast path: value.py's arithmetic and backward pass in fewer Python steps, the same numbers bit for bit.

What it does differently (tests/test_engine_fast.py proves it gives the readable path's values,
gradients and events bit for bit; `use(False)` runs the readable path instead, forward and backward):

- forward (fast_forward.py): + - * neg relu tanh of numbers (and a number with a plain int or
  float, which becomes a constant leaf), + - * @ relu of arrays and sum() of a whole array build
  their node directly, without value.py's checks and helpers; any other case goes the readable way;
- the graph is searched without a set: each computed node met has its gradient reset to one fresh
  float zero object, so `p._grad is zero` tells a node already met; a leaf whose gradient is +0.0
  gets that same object (the same number), so it too is tested once, not once per use;
- scalar + * relu are added in place inside the backward loop (while recording too, each
  node's contributions written as one step record), and ** tanh by small steps, without building the rule's
  tuples; array + * @ relu sum compute rules.py's contributions only for the parents that take
  them (not for constants) when nothing records; every other op goes through rules.py;
- constants are not tested for on every edge: they take gradients like any leaf, which are
  taken back at the end;
- while recording, a scalar step writes its backward events as one short record (recording.py's
  STEP) straight into the recorder's list; the recorder rebuilds whole events from it.
"""

from __future__ import annotations

import math
from operator import attrgetter

import numpy as np

from backprop_viz.engine import fast_forward
from backprop_viz.engine.numeric import _filled, _pow, _quiet, _shape, _unbroadcast
from backprop_viz.engine.rules import RULES, _spread

__all__ = ["enabled", "use", "backward", "interior_order", "STEPS", "SCALAR_STEPS"]

_copysign = math.copysign

enabled = True


def install(value_type, creation):
    """Put the fast forward ops on value_type (value.py calls this once it has defined Value)."""
    fast_forward.install(value_type, creation)
    use(enabled)


def use(on=True):
    """Run the fast path (True) or value.py's readable code (False), forward and backward."""
    global enabled
    enabled = bool(on)
    fast_forward.use(enabled)


# ---- backward ----
def backward(root, seed, recorder):
    """root.grad += seed, then every contribution back to the leaves, as Value.backward does."""
    order, constants = interior_order(root, arrays_zeroed=recorder is not None)
    root._grad = root._grad + seed
    if recorder is not None:
        recorder.seed(root, seed)
    saved = [c._grad for c in constants]
    try:
        with _quiet():  # an inf or nan from the forward pass (0 * inf) flows on without warnings
            if recorder is None:
                _run(order)
            else:
                _run_recorded(order, recorder)
    finally:  # constants took gradients like any leaf; they have none
        for c, g in zip(constants, saved):
            c._grad = g


def _run(order):
    """The contributions of every node in order, with no recorder: scalar + * relu written in place."""
    steps, array_steps = STEPS, _ARRAY_STEPS
    for node in order:
        g = node._grad
        if type(g) is float:
            op = node.op
            if op == "*":
                a, b = node._a, node._b
                a._grad = a._grad + g * b._data  # d(a·b)/da = b
                b._grad = b._grad + g * a._data  # d(a·b)/db = a
                continue
            if op == "+":
                a, b = node._a, node._b
                a._grad = a._grad + g  # d(a+b)/da = 1
                b._grad = b._grad + g
                continue
            if op == "relu":
                a = node._a
                a._grad = a._grad + g * (1.0 if a._data > 0 else 0.0)  # 1 where a > 0, else 0
                continue
            if op == "sum":  # an array summed to one number
                _sum_arrays(node, g)
                continue
        else:
            step = array_steps.get(node.op)
            if step is not None:
                step(node, g)
                continue
        steps[node.op](node, None)


# Array steps with no recorder: rules.py's contributions for + * @ relu sum, computed only for the
# parents that take them (a constant's would be thrown away), added as the readable loop adds them.
def _add_arrays(node, g):
    a, b = node._a, node._b
    if a._role != "constant":
        x = a._data  # g itself where no broadcasting happened (what _unbroadcast gives, without the calls)
        a._grad = a._grad + (g if type(x) is not float and x.shape == g.shape else _unbroadcast(g, _shape(x)))
    if b._role != "constant":
        y = b._data  # d(a+b)/da = d(a+b)/db = 1
        b._grad = b._grad + (g if type(y) is not float and y.shape == g.shape else _unbroadcast(g, _shape(y)))


def _mul_arrays(node, g):
    a, b = node._a, node._b
    x, y = a._data, b._data
    if a is b:  # a·a (a square, of a's shape): both contributions are g·a, added one after the other
        if a._role != "constant":
            c = g * x
            a._grad = a._grad + c + c
        return
    if a._role != "constant":
        c = g * y  # d(a·b)/da = b
        a._grad = a._grad + (c if type(x) is not float and x.shape == c.shape else _unbroadcast(c, _shape(x)))
    if b._role != "constant":
        c = g * x  # d(a·b)/db = a
        b._grad = b._grad + (c if type(y) is not float and y.shape == c.shape else _unbroadcast(c, _shape(y)))


def _matmul_arrays(node, g):
    a, b = node._a, node._b
    x, y = a._data, b._data
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.ndim != 2 or y.ndim != 2:
        return _general(node, None)
    if a._role != "constant":
        a._grad = a._grad + g @ y.T  # dL/dA = dL/dC @ Bᵀ
    if b._role != "constant":
        b._grad = b._grad + x.T @ g  # dL/dB = Aᵀ @ dL/dC


def _relu_arrays(node, g):
    a = node._a
    if a._role != "constant":
        a._grad = a._grad + g * (a._data > 0)  # 1 where a > 0, else 0 (the truth values as 1.0 and 0.0)


def _sum_arrays(node, g):
    a = node._a
    if a._role == "constant":
        return
    x = a._data
    if type(x) is not np.ndarray:
        a._grad = a._grad + g
    elif node._arg is None and type(g) is float:  # every element's local derivative is 1: before + g
        before = a._grad  # element by element, the sums rules.py's spread copy of g gives, in one op
        a._grad = before + g if type(before) is not float else _filled(x.shape, before + g)
    else:
        a._grad = a._grad + _spread(g, x.shape, node._arg)


_ARRAY_STEPS = {"+": _add_arrays, "*": _mul_arrays, "@": _matmul_arrays, "relu": _relu_arrays, "sum": _sum_arrays}


def _run_recorded(order, recorder):
    """_run while recording: the scalar + * written in place, each node's contributions also
    written as one step record (recording.py's STEP) appended straight to the recorder's list."""
    steps_of = STEPS
    steps = recorder.steps
    for node in order:
        g = node._grad
        if type(g) is float:
            op = node.op
            if op == "*":
                a, b = node._a, node._b
                y = b._data
                before0 = a._grad
                a._grad = before0 + g * y  # d(a·b)/da = b
                x = a._data
                before1 = b._grad
                b._grad = before1 + g * x  # d(a·b)/db = a
                if a._role != "constant":
                    if b._role != "constant":
                        steps += (3, node._tid, g, before0, before1, y, x)
                    else:
                        steps += (1, node._tid, g, before0, None, y, None)
                elif b._role != "constant":
                    steps += (2, node._tid, g, None, before1, None, x)
                continue
            if op == "+":
                a, b = node._a, node._b
                before0 = a._grad
                a._grad = before0 + g  # d(a+b)/da = 1
                before1 = b._grad
                b._grad = before1 + g
                if a._role != "constant":
                    if b._role != "constant":
                        steps += (3, node._tid, g, before0, before1, None, None)
                    else:
                        steps += (1, node._tid, g, before0, None, None, None)
                elif b._role != "constant":
                    steps += (2, node._tid, g, None, before1, None, None)
                continue
        steps_of[node.op](node, recorder)


def interior_order(root, arrays_zeroed=True):
    """The computed nodes root depends on, children before parents (the reverse of creation
    order), and the constants among its leaves.

    Interior gradients belong to one backward pass: each computed node met is reset to zero, to
    one fresh zero object while searching, so `is` tells a node already met without a set. A leaf
    holding +0.0 gets the same object (the same number, so the same sums), and is met once.
    An array node is then given zeros of its shape, unless `arrays_zeroed` is False (nothing
    records what its gradient was before the first +=): 0.0 + c is zeros + c, bit for bit.
    """
    if root._a is None:  # a leaf: nothing flows further back
        return [], []
    zero = float("0")  # a new float object, not the shared constant 0.0
    root._grad = zero
    stack, interior, constants = [root], [], []
    push, pop, keep = stack.append, stack.pop, interior.append
    while stack:
        node = pop()
        keep(node)
        p = node._a
        if p._grad is not zero:
            if p._a is not None:
                p._grad = zero
                push(p)
            else:
                g = p._grad
                if type(g) is float and g == 0.0 and _copysign(1.0, g) == 1.0:
                    p._grad = zero
                if p._role == "constant":
                    constants.append(p)
        b = node._b
        if b is None:
            continue
        if type(b) is not tuple:  # the second parent, as the first (written out: no loop, no tuple)
            if b._grad is not zero:
                if b._a is not None:
                    b._grad = zero
                    push(b)
                else:
                    g = b._grad
                    if type(g) is float and g == 0.0 and _copysign(1.0, g) == 1.0:
                        b._grad = zero
                    if b._role == "constant":
                        constants.append(b)
            continue
        for p in b:
            if p._grad is not zero:
                if p._a is not None:
                    p._grad = zero
                    push(p)
                else:
                    g = p._grad
                    if type(g) is float and g == 0.0 and _copysign(1.0, g) == 1.0:
                        p._grad = zero
                    if p._role == "constant":
                        constants.append(p)
    if arrays_zeroed:  # (a loop of its own: the search, run on every backward pass, has no test for it)
        for node in interior:
            d = node._data
            if type(d) is not float:
                node._grad = np.zeros(d.shape)
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
        if recorder is not None and parent._role != "constant":
            recorder.backward(parent, node, slot, g, local, contribution, before, after)


# The scalar steps below are rules.py's rules for + * ** tanh relu written in place: the same
# operations in the same order, so the same bits.
def _add_step(node, recorder):
    g = node._grad
    if type(g) is not float:
        return _general(node, recorder)
    a, b = node._a, node._b
    before0 = a._grad
    a._grad = before0 + g  # d(a+b)/da = 1
    before1 = b._grad
    b._grad = before1 + g  # d(a+b)/db = 1
    if recorder is not None:
        _record_two(recorder, node, g, a, b, before0, before1, None, None)


def _mul_step(node, recorder):
    g = node._grad
    if type(g) is not float:
        return _general(node, recorder)
    a, b = node._a, node._b
    x, y = a._data, b._data
    before0 = a._grad
    a._grad = before0 + g * y  # d(a·b)/da = b
    before1 = b._grad
    b._grad = before1 + g * x  # d(a·b)/db = a
    if recorder is not None:
        _record_two(recorder, node, g, a, b, before0, before1, y, x)


def _record_two(recorder, node, g, a, b, before0, before1, local0, local1):
    """The step record (recording.py's STEP) of a two-parent node: its parents that are not constants."""
    slots = (a._role != "constant") | (b._role != "constant") << 1
    if slots:
        recorder.steps += (slots, node._tid, g, before0 if slots & 1 else None, before1 if slots & 2 else None,
                           local0 if slots & 1 else None, local1 if slots & 2 else None)


def _one(node, recorder, local):
    """A scalar node with one parent, whose local derivative is `local`."""
    a, g = node._a, node._grad
    before = a._grad
    a._grad = before + g * local
    if recorder is not None and a._role != "constant":
        recorder.steps += (1, node._tid, g, before, None, local, None)


def _pow_step(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    c = node._arg
    _one(node, recorder, c * _pow(node._a._data, c - 1.0) if c != 0.0 else 0.0)  # d(aᶜ)/da = c·aᶜ⁻¹, 0 for c = 0


def _tanh_step(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    t = node._data
    _one(node, recorder, 1.0 - t * t)  # d(tanh a)/da = 1 - tanh(a)²


def _relu_step(node, recorder):
    if type(node._grad) is not float:
        return _general(node, recorder)
    _one(node, recorder, 1.0 if node._a._data > 0 else 0.0)  # 1 where a > 0, else 0


SCALAR_STEPS = {"+": _add_step, "*": _mul_step, "**": _pow_step, "tanh": _tanh_step, "relu": _relu_step}
STEPS = {**dict.fromkeys(RULES, _general), **SCALAR_STEPS}
