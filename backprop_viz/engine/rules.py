"""Local derivatives: for each op, what every parent receives when the gradient flows back through it.

Each derivative is written here once. Value.backward (value.py) runs these rules; the fast path
(fast.py) has in-place copies of the scalar + * ** tanh relu rows, which tests prove equal bit for bit.
"""

from __future__ import annotations

import numpy as np

from backprop_viz.engine.numeric import _div, _filled, _pow, _shape, _unbroadcast, _zero_like


# ---- each rule takes (node, upstream = dL/dnode) and returns, per parent,
#      (parent slot, local = dnode/dparent, contribution = upstream * local) ----
# `local` is elementwise (a number or an array), or None for ops whose derivative is a
# rearrangement (matmul, sum, reshape, transpose); `contribution` is what is added to the
# parent's gradient, already summed back to the parent's shape (un-broadcast).


def _add_rule(node, g):
    """d(a+b)/da = 1, d(a+b)/db = 1."""
    if type(g) is float:  # a scalar result has scalar operands: nothing to un-broadcast
        return ((0, 1.0, g), (1, 1.0, g))
    a, b = node._a, node._b
    return ((0, 1.0, _unbroadcast(g, _shape(a._data))), (1, 1.0, _unbroadcast(g, _shape(b._data))))


def _sub_rule(node, g):
    """d(a-b)/da = 1, d(a-b)/db = -1."""
    if type(g) is float:
        return ((0, 1.0, g), (1, -1.0, -g))
    a, b = node._a, node._b
    return ((0, 1.0, _unbroadcast(g, _shape(a._data))), (1, -1.0, _unbroadcast(-g, _shape(b._data))))


def _mul_rule(node, g):
    """d(a·b)/da = b, d(a·b)/db = a."""
    a, b = node._a, node._b
    x, y = a._data, b._data
    if type(g) is float:
        return ((0, y, g * y), (1, x, g * x))
    return ((0, y, _unbroadcast(g * y, _shape(x))), (1, x, _unbroadcast(g * x, _shape(y))))


def _div_rule(node, g):
    """d(a/b)/da = 1/b, d(a/b)/db = -a/b²."""
    a, b = node._a, node._b
    x, y = a._data, b._data
    da = _div(1.0, y)
    db = -_div(x, _pow(y, 2.0))
    return ((0, da, _unbroadcast(g * da, _shape(x))), (1, db, _unbroadcast(g * db, _shape(y))))


def _neg_rule(node, g):
    """d(-a)/da = -1."""
    return ((0, -1.0, -g),)


def _pow_rule(node, g):
    """d(aᶜ)/da = c·aᶜ⁻¹; for c = 0, aᶜ = 1 everywhere, so 0 (also at a = 0, where c·aᶜ⁻¹ = 0·∞)."""
    c = node._arg
    x = node._a._data
    local = c * _pow(x, c - 1.0) if c != 0.0 else _zero_like(x)
    return ((0, local, g * local),)


def _exp_rule(node, g):
    """d(eᵃ)/da = eᵃ, the node's own value."""
    return ((0, node._data, g * node._data),)


def _log_rule(node, g):
    """d(ln a)/da = 1/a."""
    local = _div(1.0, node._a._data)
    return ((0, local, g * local),)


def _tanh_rule(node, g):
    """d(tanh a)/da = 1 - tanh(a)², from the node's own value."""
    t = node._data
    local = 1.0 - t * t
    return ((0, local, g * local),)


def _sigmoid_rule(node, g):
    """ds/da = s·(1 - s), s = sigmoid(a) the node's own value."""
    s = node._data
    local = s * (1.0 - s)
    return ((0, local, g * local),)


def _relu_rule(node, g):
    """d relu(a)/da = 1 where a > 0, else 0."""
    x = node._a._data
    local = (1.0 if x > 0 else 0.0) if type(x) is float else (x > 0).astype(np.float64)
    return ((0, local, g * local),)


def _matmul_rule(node, g):
    """For C = A @ B: dL/dA = dL/dC @ Bᵀ, dL/dB = Aᵀ @ dL/dC (1-D operands as vectors)."""
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
    if axis is None:
        return _filled(shape, g)  # g is one number: every element gets it
    return np.broadcast_to(np.expand_dims(g, axis), shape).astype(np.float64)


def _sum_rule(node, g):
    """Every element's local derivative is 1: dL/dC is copied back over the summed axes."""
    x = node._a._data
    if type(x) is float:
        return ((0, 1.0, g),)
    return ((0, 1.0, _spread(g, x.shape, node._arg)),)


def _mean_rule(node, g):
    """Every element's local derivative is 1/n: dL/dC / n is copied back over the averaged axes."""
    x = node._a._data
    if type(x) is float:
        return ((0, 1.0, g),)
    n = x.size // np.size(node._data)  # never 0: mean() refuses an empty array (inputs._check_mean)
    return ((0, 1.0 / n, _spread(g, x.shape, node._arg) / n),)


def _reshape_rule(node, g):
    """The same numbers in another shape: the gradient is reshaped back."""
    x = node._a._data
    if type(x) is float:
        return ((0, None, float(np.asarray(g).reshape(()))),)
    return ((0, None, np.asarray(g).reshape(x.shape)),)


def _transpose_rule(node, g):
    """The gradient is transposed back."""
    return ((0, None, g if type(g) is float else g.T),)


def _stack_rule(node, g):
    """out[i] = values[i], so d out[i] / d values[i] = 1: each scalar gets its own element."""
    flat = g.ravel()
    return tuple((i, 1.0, float(flat[i])) for i in range(flat.size))


RULES = {
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



def contributions(node, upstream):
    """(slot, dnode/dparent, upstream * dnode/dparent) for each parent of node: the chain rule's terms.

    A leaf has none: nothing flows further back."""
    return RULES[node.op](node, upstream) if node.op else ()
