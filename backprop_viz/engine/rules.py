"""Local derivatives: for each op, what every parent receives when the gradient flows back through it."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine.numeric import _div, _pow, _shape, _unbroadcast


# ---- local derivatives: each rule returns (parent slot, local derivative, contribution) ----
# `local` is dnode/dparent elementwise (a number or an array) or None for ops whose
# derivative is a rearrangement (matmul, sum, reshape, transpose); `contribution` is what
# is added to the parent's gradient, already summed back to the parent's shape.


def _add_rule(node, g):
    if type(g) is float:  # a scalar result has scalar operands: nothing to un-broadcast
        return ((0, 1.0, g), (1, 1.0, g))
    a, b = node._a, node._b
    return ((0, 1.0, _unbroadcast(g, _shape(a._data))), (1, 1.0, _unbroadcast(g, _shape(b._data))))


def _sub_rule(node, g):
    if type(g) is float:
        return ((0, 1.0, g), (1, -1.0, -g))
    a, b = node._a, node._b
    return ((0, 1.0, _unbroadcast(g, _shape(a._data))), (1, -1.0, _unbroadcast(-g, _shape(b._data))))


def _mul_rule(node, g):
    a, b = node._a, node._b
    x, y = a._data, b._data
    if type(g) is float:
        return ((0, y, g * y), (1, x, g * x))
    return ((0, y, _unbroadcast(g * y, _shape(x))), (1, x, _unbroadcast(g * x, _shape(y))))


def _div_rule(node, g):
    a, b = node._a, node._b
    x, y = a._data, b._data
    da = _div(1.0, y)
    db = -_div(x, _pow(y, 2.0))
    return ((0, da, _unbroadcast(g * da, _shape(x))), (1, db, _unbroadcast(g * db, _shape(y))))


def _neg_rule(node, g):
    return ((0, -1.0, -g),)


def _pow_rule(node, g):
    c = node._arg
    local = c * _pow(node._a._data, c - 1.0)
    return ((0, local, g * local),)


def _exp_rule(node, g):
    return ((0, node._data, g * node._data),)


def _log_rule(node, g):
    local = _div(1.0, node._a._data)
    return ((0, local, g * local),)


def _tanh_rule(node, g):
    t = node._data
    local = 1.0 - t * t
    return ((0, local, g * local),)


def _sigmoid_rule(node, g):
    s = node._data
    local = s * (1.0 - s)
    return ((0, local, g * local),)


def _relu_rule(node, g):
    x = node._a._data
    local = (1.0 if x > 0 else 0.0) if type(x) is float else (x > 0).astype(np.float64)
    return ((0, local, g * local),)


def _matmul_rule(node, g):
    a, b = node._a, node._b
    x, y = a._data, b._data
    if x.ndim == 2 and y.ndim == 2:
        return ((0, None, g @ y.T), (1, None, x.T @ g))
    if x.ndim == 1 and y.ndim == 2:
        return ((0, None, y @ g), (1, None, np.outer(x, g)))
    if x.ndim == 2:
        return ((0, None, np.outer(g, y)), (1, None, x.T @ g))
    return ((0, None, g * y), (1, None, g * x))


def _spread(g, shape, axis):
    """Copy a reduced gradient back over the axes that were summed away."""
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape).astype(np.float64)


def _sum_rule(node, g):
    x = node._a._data
    if type(x) is float:
        return ((0, 1.0, g),)
    return ((0, 1.0, _spread(g, x.shape, node._arg)),)


def _mean_rule(node, g):
    x = node._a._data
    if type(x) is float:
        return ((0, 1.0, g),)
    n = x.size // max(np.size(node._data), 1)
    return ((0, 1.0 / n, _spread(g, x.shape, node._arg) / n),)


def _reshape_rule(node, g):
    x = node._a._data
    if type(x) is float:
        return ((0, None, float(np.asarray(g).reshape(()))),)
    return ((0, None, np.asarray(g).reshape(x.shape)),)


def _transpose_rule(node, g):
    return ((0, None, g if type(g) is float else g.T),)


def _stack_rule(node, g):
    flat = g.ravel()
    return tuple((i, 1.0, float(flat[i])) for i in range(flat.size))


def _apply(node):
    """Add node's contributions from its rule to its parents' gradients (any op, any shape)."""
    b = node._b
    parents = b if type(b) is tuple else (node._a, b)
    for slot, _, contribution in _BACKWARD[node.op](node, node._grad):
        parent = parents[slot]
        if parent.role != "constant":
            parent._grad = parent._grad + contribution


# ---- the most frequent rules again, for scalars with no recorder: they add in place ----
# Each adds exactly the contributions its rule above returns, bit for bit (a test checks).


def _add_step(node):
    g = node._grad
    if type(g) is not float:
        return _apply(node)
    node._a._grad += g
    node._b._grad += g


def _mul_step(node):
    g = node._grad
    if type(g) is not float:
        return _apply(node)
    a, b = node._a, node._b
    a._grad += g * b._data
    b._grad += g * a._data


def _pow_step(node):
    g = node._grad
    if type(g) is not float:
        return _apply(node)
    c, a = node._arg, node._a
    a._grad += g * (c * _pow(a._data, c - 1.0))


def _tanh_step(node):
    g = node._grad
    if type(g) is not float:
        return _apply(node)
    t = node._data
    node._a._grad += g * (1.0 - t * t)


def _relu_step(node):
    g = node._grad
    if type(g) is not float:
        return _apply(node)
    a = node._a
    a._grad += g * (1.0 if a._data > 0 else 0.0)


_BACKWARD = {
    "+": _add_rule,
    "-": _sub_rule,
    "*": _mul_rule,
    "/": _div_rule,
    "neg": _neg_rule,
    "**": _pow_rule,
    "exp": _exp_rule,
    "log": _log_rule,
    "tanh": _tanh_rule,
    "sigmoid": _sigmoid_rule,
    "relu": _relu_rule,
    "@": _matmul_rule,
    "sum": _sum_rule,
    "mean": _mean_rule,
    "reshape": _reshape_rule,
    "T": _transpose_rule,
    "stack": _stack_rule,
}

_FAST_STEPS = {"+": _add_step, "*": _mul_step, "**": _pow_step, "tanh": _tanh_step, "relu": _relu_step}
_STEP = {**dict.fromkeys(_BACKWARD, _apply), **_FAST_STEPS}
