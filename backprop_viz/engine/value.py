"""The autograd value type: every op computes its result; derivatives.py holds each op's local derivatives."""

from __future__ import annotations

import itertools
import math
from operator import attrgetter

import numpy as np

# The local-derivative rules live in derivatives.py; the recorder and naive.py reach them as
# engine._BACKWARD and engine._FAST_STEPS.
from backprop_viz.engine.rules import _BACKWARD, _FAST_STEPS, _STEP  # noqa: F401
from backprop_viz.engine.numeric import _div, _exp, _log, _pow, _quiet, _shape, _sigmoid, _zero_like

__all__ = ["Value", "as_value", "stack", "zero_grad"]

# The active recorder (see backprop_viz.trace.record). With none active, each op pays one
# global lookup and an `is None` test, nothing else.
_recorder = None

# Creation order: parents are always made before their children, so sorting the nodes of a
# graph by this number is a topological order, with no recursion and no per-node closures.
_creation = itertools.count()
_by_creation = attrgetter("_seq")


def _set_recorder(recorder):
    """Install `recorder` as the one that receives events; return the one it replaces."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def _as_data(data):
    """A Python float, or a float64 numpy array for anything array-like."""
    if type(data) is float:
        return data
    if isinstance(data, (bool, int, float, np.integer, np.floating)):
        return float(data)
    if isinstance(data, (np.ndarray, list, tuple)):
        try:
            arr = np.array(data, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                "Value data must be a number or an array of numbers; "
                f"could not turn this {type(data).__name__} into numbers."
            ) from None
        return float(arr) if arr.ndim == 0 else arr
    raise TypeError(
        f"Value data must be a number or a numpy array, not {type(data).__name__}."
    )


def _broadcast_error(op, a, b):
    return ValueError(
        f"cannot {op} values of shapes {_shape(a)} and {_shape(b)}: they do not broadcast; "
        "reshape one of them so that each dimension is equal or 1."
    )


class Value:
    """A number or numpy array that remembers how it was computed, so gradients can flow back."""

    __slots__ = ("_data", "_grad", "op", "_a", "_b", "_label", "role", "_arg", "_seq", "_trec", "_tid")
    __array_ufunc__ = None  # numpy must hand `array + Value` to Value, not loop over it

    def __init__(self, data, label=None, *, role="input"):
        if isinstance(data, Value):
            raise TypeError("Value(...) takes a number or an array, not another Value; use it directly.")
        if role not in ("input", "parameter", "constant"):
            raise ValueError(f"role must be 'input', 'parameter' or 'constant', not {role!r}.")
        self._data = _as_data(data)
        self._grad = _zero_like(self._data)
        self.op = ""
        self._a = self._b = None
        self._label = None if label is None else str(label)
        self.role = role
        self._arg = None
        self._seq = next(_creation)
        self._trec = None
        self._tid = -1

    # ---- data and grad: plain attributes for students, observed while recording ----
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, new):
        new = _as_data(new)
        if _recorder is not None:
            _recorder.update(self, new)
        self._data = new

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, new):
        new = _as_data(new)
        if type(new) is float and type(self._data) is not float:
            new = np.full(self._data.shape, new)
        if _shape(new) != _shape(self._data):
            raise ValueError(
                f"a gradient must have the shape of its value: {_shape(self._data)}, not {_shape(new)}."
            )
        if _recorder is not None:
            _recorder.set_grad(self, new)
        self._grad = new

    @property
    def label(self):
        return self._label

    @label.setter
    def label(self, text):
        self._label = None if text is None else str(text)
        if _recorder is not None and self._trec is _recorder:
            _recorder.relabel(self)

    @property
    def parents(self):
        """The values this one was computed from, in order (an empty tuple for a leaf)."""
        return _parents(self)

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

    # ---- binary ops: a op b with Values or plain numbers / arrays on either side ----
    def __add__(self, other):
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        a, b = self._data, other._data
        try:
            out = a + b
        except ValueError:
            raise _broadcast_error("add", a, b) from None
        return _result(out, self, other, "+")

    def __radd__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__add__(self)

    def __sub__(self, other):
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        a, b = self._data, other._data
        try:
            out = a - b
        except ValueError:
            raise _broadcast_error("subtract", a, b) from None
        return _result(out, self, other, "-")

    def __rsub__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__sub__(self)

    def __mul__(self, other):
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        a, b = self._data, other._data
        try:
            out = a * b
        except ValueError:
            raise _broadcast_error("multiply", a, b) from None
        return _result(out, self, other, "*")

    def __rmul__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__mul__(self)

    def __truediv__(self, other):
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        a, b = self._data, other._data
        try:
            out = _div(a, b)
        except ValueError:
            raise _broadcast_error("divide", a, b) from None
        return _result(out, self, other, "/")

    def __rtruediv__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__truediv__(self)

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError(
                "the exponent of ** must be a constant number, not a Value; "
                "for a variable exponent write (b * a.log()).exp()."
            )
        if not isinstance(exponent, (int, float, np.integer, np.floating)) or isinstance(exponent, bool):
            return NotImplemented
        c = float(exponent)
        return _result(_pow(self._data, c), self, None, "**", c)

    def __neg__(self):
        return _result(-self._data, self, None, "neg")

    def __matmul__(self, other):
        if not isinstance(other, Value):
            other = _constant(other)
            if other is None:
                return NotImplemented
        a, b = self._data, other._data
        if type(a) is float or type(b) is float or a.ndim > 2 or b.ndim > 2:
            raise ValueError(
                f"@ multiplies 1-D or 2-D arrays; got shapes {_shape(a)} and {_shape(b)}. "
                "Use * for numbers."
            )
        if a.shape[-1] != b.shape[0]:
            raise ValueError(
                f"cannot matrix-multiply shapes {a.shape} and {b.shape}: the inner sizes "
                f"{a.shape[-1]} and {b.shape[0]} differ."
            )
        return _result(a @ b, self, other, "@")

    def __rmatmul__(self, other):
        other = _constant(other)
        return NotImplemented if other is None else other.__matmul__(self)

    # ---- functions of one value ----
    def exp(self):
        """e^a; d/da = e^a."""
        return _result(_exp(self._data), self, None, "exp")

    def log(self):
        """ln a; d/da = 1/a. log(0) = -inf and log(<0) = nan, as in numpy."""
        return _result(_log(self._data), self, None, "log")

    def tanh(self):
        """tanh a; d/da = 1 - tanh(a)^2."""
        d = self._data
        return _result(math.tanh(d) if type(d) is float else np.tanh(d), self, None, "tanh")

    def sigmoid(self):
        """s = 1 / (1 + e^-a); d/da = s (1 - s)."""
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
        return _result(d.sum(axis=_check_axis(axis, d.ndim)), self, None, "sum", axis)

    def mean(self, axis=None):
        """Mean of the elements (along `axis`); each element's local derivative is 1/n."""
        d = self._data
        if type(d) is float:
            return _result(d, self, None, "mean", None)
        return _result(d.mean(axis=_check_axis(axis, d.ndim)), self, None, "mean", axis)

    def reshape(self, *shape):
        """The same numbers in another shape; the gradient is reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        d = self._data
        arr = np.asarray(d, dtype=np.float64)
        try:
            out = arr.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a value of shape {_shape(d)} ({arr.size} numbers) into shape {shape}."
            ) from None
        return _result(out.copy(), self, None, "reshape", tuple(out.shape))

    @property
    def T(self):
        """The transpose; the gradient is transposed back."""
        d = self._data
        if type(d) is float:
            return _result(d, self, None, "T")
        return _result(d.T.copy(), self, None, "T")

    # ---- backward ----
    def backward(self, gradient=None):
        """Fill every `.grad` with dself/dnode by the chain rule, from this value back to the leaves.

        Runs the nodes in reverse topological order; each node hands its parents their share
        dL/dparent += dL/dnode * dnode/dparent. Leaf gradients add up across calls (as in
        PyTorch); call zero_grad() between training steps.
        """
        d = self._data
        if gradient is None:
            if type(d) is not float and d.size != 1:
                raise ValueError(
                    f"backward() needs a scalar (a single number) to start from, but this value has "
                    f"shape {d.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                    "backward(gradient=...) with an array of that shape."
                )
            seed = 1.0 if type(d) is float else np.ones_like(d)
        else:
            seed = _as_data(gradient)
            if type(seed) is float and type(d) is not float:
                seed = np.full(d.shape, seed)
            if _shape(seed) != _shape(d):
                raise ValueError(
                    f"backward(gradient=...) needs shape {_shape(d)}, the shape of the value, "
                    f"not {_shape(seed)}."
                )
        order, constants = _interior_order(self)
        self._grad = self._grad + seed
        rec = _recorder
        with _quiet():  # an inf or nan from the forward pass (0 * inf) flows on without warnings
            if rec is None:
                _run_steps(order, constants)
                return
            rec.seed(self, seed)
            steps = rec.backward_steps  # op -> add a node's contributions and record each one
            for node in order:
                steps[node.op](node)


def _result(data, a, b, op, arg=None):
    """A new computed node holding data, made by op from parent a and b (see _parents); grad starts at zero."""
    v = _new_value(Value)
    if type(data) is float:
        v._grad = 0.0
    elif np.ndim(data) == 0:
        data = float(data)
        v._grad = 0.0
    else:
        v._grad = np.zeros_like(data)
    v._data = data
    v.op = op
    v._a = a
    v._b = b
    v._label = None
    v.role = "input"
    v._arg = arg
    v._seq = next(_creation)
    v._trec = None
    v._tid = -1
    if _recorder is not None:
        _recorder.forward(v)
    return v


_new_value = object.__new__


# A node keeps its parents in two slots, _a and _b (None when absent), not in a tuple: one object
# per node instead of two halves the work of Python's cyclic garbage collector. stack(), the one
# op with more than two parents, keeps all of them as a tuple in _b.
def _parents(v):
    a, b = v._a, v._b
    if type(b) is tuple:
        return b
    return () if a is None else (a,) if b is None else (a, b)


def _constant(x):
    """Wrap a plain number or array as a constant leaf; None when x is neither."""
    if isinstance(x, (int, float, np.integer, np.floating, np.ndarray)) and not isinstance(x, bool):
        v = Value(x, role="constant")
        return v
    return None


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
    if not values or any(v is None or type(v._data) is not float for v in values):
        raise TypeError("stack() takes a non-empty list of scalar Values or numbers.")
    data = np.array([v._data for v in values], dtype=np.float64)
    if shape is not None:
        shape = tuple(shape)
        if int(np.prod(shape)) != data.size:
            raise ValueError(f"cannot stack {data.size} values into shape {shape}.")
        data = data.reshape(shape)
    return _result(data, values[0], tuple(values), "stack", data.shape)


def _check_axis(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    if axis is not None and any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis} does not exist for a value with {ndim} dimensions.")
    return axis


def _interior_order(root):
    """The computed nodes root depends on, children before parents (the reverse of creation
    order), and the constants among its leaves.

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
                    constants.append(p)  # met once per use: a list, not a set
    for node in arrays:
        node._grad = np.zeros_like(node._data)
    interior.sort(key=_by_creation, reverse=True)
    return interior, constants


def _topological_order(root):
    """Every node root depends on, parents before children (sorted by creation order)."""
    seen = {root}
    stack = [root]
    mark, push, pop = seen.add, stack.append, stack.pop
    while stack:
        for p in _parents(pop()):
            if p not in seen:
                mark(p)
                push(p)
    return sorted(seen, key=_by_creation)


def _run_steps(order, constants):
    """The backward loop with no recorder: each node adds its contributions in place."""
    saved = [c._grad for c in constants]
    try:
        for node in order:
            _STEP[node.op](node)
    finally:  # constants took gradients like any leaf; they have none
        for c, g in zip(constants, saved):
            c._grad = g
