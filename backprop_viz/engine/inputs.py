"""What a user may hand the engine: numbers and arrays turned into data, and errors that say what is wrong."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine.numeric import _shape


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


def _is_number_or_array(x):
    return isinstance(x, (int, float, np.integer, np.floating, np.ndarray)) and not isinstance(x, bool)


def _broadcast_error(op, a, b):
    return ValueError(
        f"cannot {op} values of shapes {_shape(a)} and {_shape(b)}: they do not broadcast; "
        "reshape one of them so that each dimension is equal or 1."
    )


def _check_matmul(a, b):
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


def _check_exponent(exponent, value_type):
    """True for a plain number; raises for a Value (with the way out), False for anything else."""
    if isinstance(exponent, value_type):
        raise TypeError(
            "the exponent of ** must be a constant number, not a Value; "
            "for a variable exponent write (b * a.log()).exp()."
        )
    return isinstance(exponent, (int, float, np.integer, np.floating)) and not isinstance(exponent, bool)


def _check_axis(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    if axis is not None and any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis} does not exist for a value with {ndim} dimensions.")
    return axis


def _reshaped(d, shape):
    """d's numbers as a new float64 array of `shape` (one size may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    arr = np.asarray(d, dtype=np.float64)
    try:
        return arr.reshape(shape).copy()
    except ValueError:
        raise ValueError(
            f"cannot reshape a value of shape {_shape(d)} ({arr.size} numbers) into shape {shape}."
        ) from None


def _check_role(role):
    if role not in ("input", "parameter", "constant"):
        raise ValueError(f"role must be 'input', 'parameter' or 'constant', not {role!r}.")


def _checked_grad(new, data):
    """`new` as a gradient for a value holding `data`: a number spreads over an array; shapes must match."""
    new = _as_data(new)
    if type(new) is float and type(data) is not float:
        new = np.full(data.shape, new)
    if _shape(new) != _shape(data):
        raise ValueError(f"a gradient must have the shape of its value: {_shape(data)}, not {_shape(new)}.")
    return new


def _seed(d, gradient):
    """dL/dL for a value holding d: 1 for a scalar, else the `gradient` given, of d's shape."""
    if gradient is None:
        if type(d) is not float and d.size != 1:
            raise ValueError(
                f"backward() needs a scalar (a single number) to start from, but this value has "
                f"shape {d.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                "backward(gradient=...) with an array of that shape."
            )
        return 1.0 if type(d) is float else np.ones_like(d)
    seed = _as_data(gradient)
    if type(seed) is float and type(d) is not float:
        seed = np.full(d.shape, seed)
    if _shape(seed) != _shape(d):
        raise ValueError(
            f"backward(gradient=...) needs shape {_shape(d)}, the shape of the value, not {_shape(seed)}."
        )
    return seed


def _check_stack(values, shape):
    """The numbers of a list of scalar Values (or None where one is not), arranged in `shape`."""
    if not values or any(v is None or type(v._data) is not float for v in values):
        raise TypeError("stack() takes a non-empty list of scalar Values or numbers.")
    data = np.array([v._data for v in values], dtype=np.float64)
    if shape is not None:
        shape = tuple(shape)
        if int(np.prod(shape)) != data.size:
            raise ValueError(f"cannot stack {data.size} values into shape {shape}.")
        data = data.reshape(shape)
    return data
