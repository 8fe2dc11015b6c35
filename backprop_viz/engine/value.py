"""The autograd value type: each op computes its result; backward() runs the chain rule over the graph.

Every op below computes its value and remembers the values it came from; its docstring says its
local derivative, which rules.py computes (each written once). backward() visits the graph
children first and adds dL/dparent += dL/dnode · dnode/dparent along every edge. fast.py does
the same arithmetic in fewer Python steps; recording.py says where the events go while recording.
"""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np

from backprop_viz.engine import fast, recording, rules
from backprop_viz.engine.inputs import (_as_data, _broadcast_error, _check_axis, _check_exponent, _check_matmul,
                                        _check_mean, _check_role, _check_stack, _checked_data, _checked_grad,
                                        _is_number_or_array, _label_text, _reshaped, _seed)
from backprop_viz.engine.numeric import _arith, _div, _exp, _filled, _log, _pow, _quiet, _shape, _sigmoid, _zero_like

__all__ = ["Value", "as_value", "stack", "zero_grad", "topological_order"]

# Creation order: a value is always made after its parents, so sorting a graph by this number
# is a topological order, with no recursion and no per-node closures.
_creation = itertools.count()


class Value:
    """A number or numpy array that remembers how it was computed, so gradients can flow back.

    A node keeps its parents in two slots, _a and _b, not in a tuple: one object per node instead
    of two halves the work of Python's cyclic collector (stack() keeps its many parents as a tuple
    in _b). `_seq` is its creation number; `_trec` and `_tid` are a recorder's id for it.
    """

    __slots__ = ("_data", "_grad", "op", "_a", "_b", "_label", "_role", "_arg", "_seq", "_trec", "_tid")
    __array_ufunc__ = None  # numpy must hand `array + Value` to Value, not loop over it

    def __init__(self, data, label=None, *, role="input"):
        if role != "input":
            _check_role(role)
        self._data = data = _as_data(data)  # a plain float passes at once; anything else is checked
        self._grad = 0.0 if type(data) is float else np.zeros(data.shape)
        self.op = ""
        self._a = self._b = None
        self._label = None if label is None else _label_text(label)
        self._role = role
        self._arg = None
        self._seq = next(_creation)
        self._trec = None
        self._tid = -1

    # ---- data, grad, label: plain attributes for students, observed while recording ----
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, new):
        new = _checked_data(new, self._data)
        if recording.active:
            recorder = recording.slot_value()
            if recorder is not None:
                recorder.update(self, new)
        self._data = new

    @property
    def grad(self):
        g = self._grad
        if type(g) is float and type(self._data) is not float:  # a number on an array stands for that
            g = self._grad = _filled(self._data.shape, g)  # number everywhere (0.0: zeros not made yet, fast_forward.py)
        return g

    @grad.setter
    def grad(self, new):
        new = _checked_grad(new, self._data)
        if recording.active:
            recorder = recording.slot_value()
            if recorder is not None:
                recorder.set_grad(self, new)
        self._grad = new

    @property
    def label(self):
        return self._label

    @label.setter
    def label(self, text):
        self._label = None if text is None else _label_text(text)
        recorder = recording.current()
        if recorder is not None and self._trec is recorder:
            recorder.relabel(self)

    @property
    def role(self):
        """'input' (data), 'parameter' (what training changes) or 'constant' (a number in a formula)."""
        return self._role

    @role.setter
    def role(self, role):
        _check_role(role)
        self._role = role

    @property
    def parents(self):
        """The values this one was computed from, in order (an empty tuple for a leaf)."""
        a, b = self._a, self._b
        if type(b) is tuple:
            return b
        return () if a is None else (a,) if b is None else (a, b)

    @property
    def shape(self):
        return _shape(self._data)

    def is_finite(self):
        """True when the value holds no nan or inf (a diverging step makes it False)."""
        d = self._data
        return math.isfinite(d) if type(d) is float else bool(np.isfinite(d).all())

    def zero_grad(self):
        """Set this value's gradient to zero (gradients otherwise add up across backward calls)."""
        self.grad = 0.0

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        d = self._data
        if type(d) is float:
            return f"Value({name}data={d:.6g}, grad={self._grad:.6g})"
        return f"Value({name}shape={d.shape}, op={self.op or 'leaf'!r})"

    # ---- a op b, with Values or plain numbers / arrays on either side (arrays broadcast) ----
    def __add__(self, other):
        """a + b; d/da = 1, d/db = 1."""
        other = other if isinstance(other, Value) else _constant(other)
        if other is None:
            return NotImplemented
        try:
            out = _arith(operator.add, self._data, other._data)
        except ValueError:
            raise _broadcast_error("add", self._data, other._data) from None
        return _result(out, self, other, "+")

    def __sub__(self, other):
        """a - b; d/da = 1, d/db = -1."""
        other = other if isinstance(other, Value) else _constant(other)
        if other is None:
            return NotImplemented
        try:
            out = _arith(operator.sub, self._data, other._data)
        except ValueError:
            raise _broadcast_error("subtract", self._data, other._data) from None
        return _result(out, self, other, "-")

    def __mul__(self, other):
        """a · b; d/da = b, d/db = a."""
        other = other if isinstance(other, Value) else _constant(other)
        if other is None:
            return NotImplemented
        try:
            out = _arith(operator.mul, self._data, other._data)
        except ValueError:
            raise _broadcast_error("multiply", self._data, other._data) from None
        return _result(out, self, other, "*")

    def __truediv__(self, other):
        """a / b; d/da = 1/b, d/db = -a/b². x/0 gives inf or nan, as in numpy."""
        other = other if isinstance(other, Value) else _constant(other)
        if other is None:
            return NotImplemented
        try:
            out = _div(self._data, other._data)
        except ValueError:
            raise _broadcast_error("divide", self._data, other._data) from None
        return _result(out, self, other, "/")

    def __matmul__(self, other):
        """A @ B (1-D or 2-D); dL/dA = dL/dC @ Bᵀ, dL/dB = Aᵀ @ dL/dC."""
        other = other if isinstance(other, Value) else _constant(other)
        if other is None:
            return NotImplemented
        _check_matmul(self._data, other._data)
        return _result(_arith(operator.matmul, self._data, other._data), self, other, "@")

    # number + Value and the like: the number becomes a constant on the left
    def __radd__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__add__(self)

    def __rsub__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__sub__(self)

    def __rmul__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__mul__(self)

    def __rtruediv__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__truediv__(self)

    def __rmatmul__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__matmul__(self)

    # ---- functions of one value ----
    def __pow__(self, c):
        """aᶜ for a constant number c; d/da = c·aᶜ⁻¹ (0 when c = 0, as aᶜ is then the constant 1)."""
        c = _check_exponent(c, Value)
        if c is None:
            return NotImplemented
        return _result(_pow(self._data, c), self, None, "**", c)

    def __rpow__(self, base):
        _check_exponent(self, Value)  # raises: an exponent must be a constant number

    def __neg__(self):
        """-a; d/da = -1."""
        return _result(-self._data, self, None, "neg")

    def exp(self):
        """eᵃ; d/da = eᵃ."""
        return _result(_exp(self._data), self, None, "exp")

    def log(self):
        """ln a; d/da = 1/a. log(0) = -inf and log(<0) = nan, as in numpy."""
        return _result(_log(self._data), self, None, "log")

    def tanh(self):
        """tanh a; d/da = 1 - tanh(a)²."""
        d = self._data
        return _result(math.tanh(d) if type(d) is float else np.tanh(d), self, None, "tanh")

    def sigmoid(self):
        """s = 1 / (1 + e⁻ᵃ); d/da = s·(1 - s)."""
        return _result(_sigmoid(self._data), self, None, "sigmoid")

    def relu(self):
        """max(0, a); d/da = 1 where a > 0, else 0."""
        d = self._data
        r = (0.0 if d < 0 else d) if type(d) is float else np.maximum(d, 0.0)  # nan stays nan
        return _result(r, self, None, "relu")

    # ---- array shape ops ----
    def sum(self, axis=None):
        """Sum of the elements (along `axis`); each element's local derivative is 1."""
        d = self._data
        if type(d) is float:
            return _result(d, self, None, "sum", None)
        axis = _check_axis(axis, d.ndim)
        with _quiet():  # overflow gives inf, as for numbers
            return _result(d.sum(axis=axis), self, None, "sum", axis)

    def mean(self, axis=None):
        """Mean of the elements (along `axis`); each element's local derivative is 1/n."""
        d = self._data
        if type(d) is float:
            return _result(d, self, None, "mean", None)
        axis = _check_axis(axis, d.ndim)
        _check_mean(d, axis)
        with _quiet():
            return _result(d.mean(axis=axis), self, None, "mean", axis)

    def reshape(self, *shape):
        """The same numbers in another shape; the gradient is reshaped back."""
        out = _reshaped(self._data, shape)
        return _result(out, self, None, "reshape", tuple(out.shape))

    @property
    def T(self):
        """The transpose; the gradient is transposed back."""
        d = self._data
        return _result(d if type(d) is float else d.T.copy(), self, None, "T")

    # ---- backward ----
    def backward(self, gradient=None):
        """Fill every `.grad` with dself/dnode by the chain rule, from this value back to the leaves.

        Visits the nodes children first; each node hands each parent its share
        dL/dparent += dL/dnode · dnode/dparent. Leaf gradients add up across calls (as in
        PyTorch); call zero_grad() between training steps. Interior gradients belong to one call.
        """
        seed = _seed(self._data, gradient)
        recorder = recording.current()
        if fast.enabled:  # the same arithmetic in fewer Python steps (fast.py)
            return fast.backward(self, seed, recorder)
        order = topological_order(self)  # parents before children
        for node in order:
            if node.op:
                node._grad = _zero_like(node._data)
        self._grad = self._grad + seed  # dL/dL = 1
        if recorder is not None:
            recorder.seed(self, seed)
        with _quiet():  # an inf or nan from the forward pass (0 * inf) flows on without warnings
            for node in reversed(order):  # children before parents
                upstream = node._grad  # dL/dnode: complete, every child of node has added its share
                for slot, local, contribution in rules.contributions(node, upstream):
                    parent = node.parents[slot]
                    if parent._role == "constant":  # a number written into the formula
                        continue
                    before = parent._grad
                    parent._grad = before + contribution  # += upstream * local: the chain rule
                    if recorder is not None:
                        recorder.backward(parent, node, slot, upstream, local, contribution, before, parent._grad)


def topological_order(root):
    """Every value root depends on, root included, parents before children (by creation order)."""
    seen, todo = {root}, [root]
    while todo:
        for p in todo.pop().parents:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return sorted(seen, key=lambda v: v._seq)


def _result(data, a, b, op, arg=None):
    """A new computed node holding data, made by op from parents a and b; its grad starts at zero.

    Fills the slots directly rather than through __init__ (no checks: the op made the data).
    """
    v = _new_value(Value)
    if type(data) is float:
        v._grad = 0.0
    elif type(data) is not np.ndarray or data.ndim == 0:  # a numpy number (a sum, a mean) becomes a float
        data = float(data)
        v._grad = 0.0
    else:
        v._grad = np.zeros(data.shape)
    v._data = data
    v.op = op
    v._a = a
    v._b = b
    v._label = None
    v._role = "input"
    v._arg = arg
    v._seq = next(_creation)
    v._trec = None
    v._tid = -1
    if recording.active:  # a record() block is open in some thread: is it this one's?
        recorder = recording.slot_value()
        if recorder is not None:
            recorder.forward(v)
    return v


_new_value = object.__new__


def _constant(x):
    """A plain number or array as a constant leaf; None when x is neither."""
    return Value(x, role="constant") if _is_number_or_array(x) else None


def as_value(x, label=None):
    """x itself when it is a Value, else a new input Value holding x."""
    return x if isinstance(x, Value) else Value(x, label)


def zero_grad(values):
    """Set the gradient of every value in `values` to zero."""
    for v in values:
        v.grad = 0.0


def stack(values, shape=None):
    """An array Value built from scalar Values: out[i] = values[i], so d out[i] / d values[i] = 1.

    `shape` arranges the numbers (default: a 1-D array). Each scalar gets back its own element
    of the array's gradient, so scalar parameters can feed a fast batched computation.
    """
    values = [v if isinstance(v, Value) else _constant(v) for v in values]
    data = _check_stack(values, shape)
    return _result(data, values[0], tuple(values), "stack", data.shape)


fast.install(Value, _creation)  # the fast forward ops (fast.py), proved equal to the readable ones above
