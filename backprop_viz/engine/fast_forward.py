"""The fast path's forward ops: value.py's ops for numbers (and + - * @ relu sum of arrays), building
each node in place, without the readable path's checks and helpers; the same values bit for bit.

fast.py installs them on Value (fast.use(False) puts value.py's readable methods back); what they do
not handle (other types, shapes that do not broadcast, ...) is handed to the readable method.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from backprop_viz.engine import recording as _recording
from backprop_viz.engine.numeric import _add_reduce, _quiet_off, _quiet_on

__all__ = ["FORWARD_OPS", "install"]

Value = None  # value.py's Value, set by install()
_READABLE = {}  # Value's readable methods, by name, for what the fast ones do not handle
_new = object.__new__
_next_seq = None
_tanh = math.tanh
_NUMBERS = frozenset({int, float, np.float64, np.int64})  # types whose float(x) is the readable path's (not bool)


def install(value_type, creation):
    """Remember Value, its creation counter and its readable methods (value.py calls fast.install)."""
    global Value, _next_seq
    Value, _next_seq = value_type, creation.__next__
    for name in FORWARD_OPS:
        _READABLE[name] = value_type.__dict__[name]


def use(on):
    for name, fn in FORWARD_OPS.items():
        setattr(Value, name, fn if on else _READABLE[name])


# ---- the node value.py's _result would make, built in place ----
def _node(data, a, b, op):
    """A node of array data (or made from an array), handed to the recorder at once.

    An array node's gradient starts as the number 0.0, not as zeros of its shape: a backward pass
    resets it before adding to it (fast.interior_order), and Value.grad makes the zeros if it is
    read first. 0.0 + c is zeros + c, bit for bit."""
    v = _new(Value)
    v._data = data
    v._grad = 0.0
    v.op = op
    v._a = a
    v._b = b
    v._label = None
    v._role = "input"
    v._arg = None
    v._seq = _next_seq()
    v._trec = None
    v._tid = -1
    if _recording.active:  # a record() block is open in some thread: is it this one's?
        recorder = _recording.slot_value()
        if recorder is not None:
            recorder.forward(v)
    return v


def _number(data, a, b, op):
    """A number computed from numbers: the recorder may take it in later (forward_scalar)."""
    v = _new(Value)
    v._data = data
    v._grad = 0.0
    v.op = op
    v._a = a
    v._b = b
    v._label = None
    v._role = "input"
    v._arg = None
    v._seq = _next_seq()
    v._trec = None
    v._tid = -1
    if _recording.active:
        recorder = _recording.slot_value()
        if recorder is not None:
            recorder.forward_scalar(v)
    return v


def _constant(x):
    """value.py's _constant(x) for a plain int or float or a float64 array (a new constant leaf), else None."""
    if type(x) in _NUMBERS:
        try:
            d = float(x)
        except OverflowError:  # the readable path says what is wrong
            return None
    elif type(x) is np.ndarray and x.dtype == np.float64:
        d = x.copy() if x.ndim else float(x)
    else:
        return None
    c = _new(Value)
    c._data = d
    c._grad = 0.0  # an array's zeros are made when first read (Value.grad), as for _node's
    c.op = ""
    c._a = c._b = None
    c._label = None
    c._role = "constant"
    c._arg = None
    c._seq = _next_seq()
    c._trec = None
    c._tid = -1
    return c


def _add(self, other):
    """a + b; d/da = 1, d/db = 1."""
    if type(other) is not Value:
        c = _constant(other)
        if c is None:
            return _READABLE["__add__"](self, other)
        other = c
    x, y = self._data, other._data
    if type(x) is float and type(y) is float:  # _number(), written out: this runs once per node
        v = _new(Value)
        v._data = x + y
        v._grad = 0.0
        v.op = "+"
        v._a = self
        v._b = other
        v._label = None
        v._role = "input"
        v._arg = None
        v._seq = _next_seq()
        v._trec = None
        v._tid = -1
        if _recording.active:
            recorder = _recording.slot_value()
            if recorder is not None:
                recorder.forward_scalar(v)
        return v
    return _arrays(operator.add, "+", "__add__", self, other, x, y)


def _radd(self, other):
    c = _constant(other)  # number + Value: the number becomes a constant on the left
    x = self._data
    if c is None:
        return _READABLE["__radd__"](self, other)
    if type(x) is not float or type(c._data) is not float:
        return _add(c, self)
    return _number(c._data + x, c, self, "+")


def _sub(self, other):
    """a - b; d/da = 1, d/db = -1."""
    if type(other) is not Value:
        c = _constant(other)
        if c is None:
            return _READABLE["__sub__"](self, other)
        other = c
    x, y = self._data, other._data
    if type(x) is float and type(y) is float:
        return _number(x - y, self, other, "-")
    return _arrays(operator.sub, "-", "__sub__", self, other, x, y)


def _rsub(self, other):
    c = _constant(other)
    x = self._data
    if c is None:
        return _READABLE["__rsub__"](self, other)
    if type(x) is not float or type(c._data) is not float:
        return _sub(c, self)
    return _number(c._data - x, c, self, "-")


def _mul(self, other):
    """a · b; d/da = b, d/db = a."""
    if type(other) is not Value:
        c = _constant(other)
        if c is None:
            return _READABLE["__mul__"](self, other)
        other = c
    x, y = self._data, other._data
    if type(x) is float and type(y) is float:  # _number(), written out: this runs once per node
        v = _new(Value)
        v._data = x * y
        v._grad = 0.0
        v.op = "*"
        v._a = self
        v._b = other
        v._label = None
        v._role = "input"
        v._arg = None
        v._seq = _next_seq()
        v._trec = None
        v._tid = -1
        if _recording.active:
            recorder = _recording.slot_value()
            if recorder is not None:
                recorder.forward_scalar(v)
        return v
    return _arrays(operator.mul, "*", "__mul__", self, other, x, y)


def _rmul(self, other):
    c = _constant(other)
    x = self._data
    if c is None:
        return _READABLE["__rmul__"](self, other)
    if type(x) is not float or type(c._data) is not float:
        return _mul(c, self)
    return _number(c._data * x, c, self, "*")


def _arrays(fn, symbol, name, self, other, x, y):
    """x fn y with an array among them: value.py's op and _result() without their checks; shapes
    that do not broadcast go the readable way, which says which shapes."""
    token = _quiet_on()  # overflow gives inf quietly, as for numbers (numeric._quiet, without a with block)
    try:
        d = fn(x, y)
    except ValueError:
        return _READABLE[name](self, other)
    finally:
        _quiet_off(token)
    v = _new(Value)
    v._data = d
    v._grad = 0.0  # as in _node: zeros when first read
    v.op = symbol
    v._a = self
    v._b = other
    v._label = None
    v._role = "input"
    v._arg = None
    v._seq = _next_seq()
    v._trec = None
    v._tid = -1
    if _recording.active:
        recorder = _recording.slot_value()
        if recorder is not None:
            recorder.forward(v)
    return v


def _matmul(self, other):
    """A @ B for two 2-D arrays of matching inner sizes; anything else goes the readable way."""
    if type(other) is Value:
        x, y = self._data, other._data
        if type(x) is np.ndarray and type(y) is np.ndarray and x.ndim == 2 and y.ndim == 2 \
                and x.shape[1] == y.shape[0]:
            token = _quiet_on()
            try:
                d = x @ y
            finally:
                _quiet_off(token)
            return _node(d, self, other, "@")
    return _READABLE["__matmul__"](self, other)


def _neg(self):
    """-a; d/da = -1."""
    x = self._data
    return _number(-x, self, None, "neg") if type(x) is float else _READABLE["__neg__"](self)


def _relu(self):
    """max(0, a); d/da = 1 where a > 0, else 0."""
    x = self._data
    if type(x) is float:
        return _number(0.0 if x < 0 else x, self, None, "relu")
    return _node(np.maximum(x, 0.0), self, None, "relu")  # nan stays nan


def _sum(self, axis=None):
    """Sum of the elements (along `axis`); each element's local derivative is 1."""
    x = self._data
    if axis is None and type(x) is np.ndarray:
        token = _quiet_on()  # overflow gives inf, as for numbers
        try:
            d = float(_add_reduce(x, None))  # x.sum(), without numpy's Python wrapper
        finally:
            _quiet_off(token)
        return _node(d, self, None, "sum")
    return _READABLE["sum"](self, axis)


def _tanh_op(self):
    """tanh a; d/da = 1 - tanh(a)²."""
    x = self._data
    return _number(_tanh(x), self, None, "tanh") if type(x) is float else _READABLE["tanh"](self)


FORWARD_OPS = {"__add__": _add, "__radd__": _radd, "__sub__": _sub, "__rsub__": _rsub, "__mul__": _mul,
               "__rmul__": _rmul, "__matmul__": _matmul, "__neg__": _neg, "relu": _relu, "tanh": _tanh_op,
               "sum": _sum}
