"""What a user may hand the engine: numbers and arrays turned into data, and errors that say what is wrong."""

from __future__ import annotations

import numpy as np

from backprop_viz.engine.numeric import _filled, _shape


def _as_data(data):
    """A Python float, or a float64 numpy array for anything array-like; TypeError / ValueError
    saying what is wrong otherwise (a Value, a bool, a complex number, a number too large)."""
    if type(data) is float:
        return data
    if type(data) is np.float64:  # a numpy row's elements: a float subclass
        return float(data)
    if type(data) is np.ndarray and data.dtype == np.float64:  # a copy: the caller's array stays the caller's
        return data.copy() if data.ndim else float(data)
    if isinstance(data, (bool, np.bool_)):
        raise TypeError(f"Value data must be a number, not the truth value {data!r}; write 1.0 or 0.0.")
    if isinstance(data, (int, float, np.integer, np.floating)):
        try:
            return float(data)
        except OverflowError:
            raise ValueError(f"the number {_short(data)} is too large for a float (at most about 1.8e308).") \
                from None
    if isinstance(data, (np.ndarray, list, tuple)):
        if np.iscomplexobj(data):
            raise TypeError(_COMPLEX)
        try:
            arr = np.array(data, dtype=np.float64)
        except OverflowError:
            raise ValueError("an array holds a number too large for a float (at most about 1.8e308).") from None
        except (TypeError, ValueError):
            if any(isinstance(x, (complex, np.complexfloating)) for x in np.ravel(np.array(data, dtype=object))):
                raise TypeError(_COMPLEX) from None
            raise TypeError(
                "Value data must be a number or an array of numbers; "
                f"could not turn this {type(data).__name__} into numbers."
            ) from None
        return float(arr) if arr.ndim == 0 else arr
    if type(data).__name__ == "Value" and hasattr(data, "_data"):
        raise TypeError("Value(...) takes a number or an array, not another Value; use it directly.")
    if isinstance(data, (complex, np.complexfloating)):
        raise TypeError(_COMPLEX)
    raise TypeError(
        f"Value data must be a number or a numpy array, not {type(data).__name__}."
    )


_COMPLEX = "Value data must be real numbers: complex numbers (and complex arrays) are not supported."


def _short(n):
    """A number for a sentence, a huge one cut short."""
    text = str(n)
    return text if len(text) <= 20 else f"{text[:8]}…({len(text)} digits)"


def _label_text(text):
    """A label as text that can always be written (UTF-8): an unpaired surrogate becomes U+FFFD."""
    text = str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # a surrogate pair written as two characters becomes its character; a lone one U+FFFD
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


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
    """A plain number as a float; raises for a Value or an array (with the way out), None for anything else."""
    if isinstance(exponent, value_type):
        raise TypeError(
            "the exponent of ** must be a constant number, not a Value; "
            "for a variable exponent write (b * a.log()).exp()."
        )
    if isinstance(exponent, (np.ndarray, list, tuple)):
        raise TypeError(
            "the exponent of ** must be one constant number, not an array; "
            "for elementwise exponents write (b * a.log()).exp() with b a Value."
        )
    if isinstance(exponent, (int, float, np.integer, np.floating)) and not isinstance(exponent, (bool, np.bool_)):
        try:
            return float(exponent)
        except OverflowError:
            raise ValueError(f"the exponent {_short(exponent)} is too large for a float.") from None
    return None


def _check_axis(axis, ndim):
    """axis for sum/mean: None, a whole number, or several (a tuple or list) without repeats."""
    if axis is None:
        return None
    several = isinstance(axis, (tuple, list))
    axes = tuple(axis) if several else (axis,)
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be a whole number or a tuple of them, not {axis!r}.")
    axes = tuple(int(a) for a in axes)
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis} does not exist for a value with {ndim} dimensions.")
    if len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"axis {axis} names the same dimension twice.")
    return axes if several else axes[0]


def _check_mean(d, axis):
    if d.size == 0:
        raise ValueError(f"mean() of an array with no numbers (shape {d.shape}) is undefined: there is nothing "
                         "to divide by.")


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
    if not isinstance(role, str) or role not in ("input", "parameter", "constant"):
        raise ValueError(f"role must be 'input', 'parameter' or 'constant', not {role!r}.")


def _checked_grad(new, data):
    """`new` as a gradient for a value holding `data`: a number spreads over an array; shapes must match."""
    if type(data) is float:
        if type(new) is float:
            return new
        if type(new) is int:  # `p.grad = 0`, as micrograd's zero_grad writes it
            try:
                return float(new)
            except OverflowError:  # _as_data says what is wrong
                pass
    elif type(new) is float:  # zero_grad() of an array
        return _filled(data.shape, new)
    new = _as_data(new)
    if type(new) is float and type(data) is not float:
        new = _filled(data.shape, new)
    if _shape(new) != _shape(data):
        raise ValueError(f"a gradient must have the shape of its value: {_shape(data)}, not {_shape(new)}.")
    return new


def _checked_data(new, data):
    """`new` as the data of a value holding `data`: a number spreads over an array; shapes must match
    (the graph's gradients have the old shape)."""
    if type(new) is float and type(data) is float:
        return new
    if new is data:  # `v.data -= ...` changed the value's own array in place: it is already the value's
        return new
    new = _as_data(new)
    if type(new) is float and type(data) is not float:
        new = _filled(data.shape, new)
    if _shape(new) != _shape(data):
        raise ValueError(f"new data must have the shape of the value's data: {_shape(data)}, not {_shape(new)}; "
                         "make a new Value for data of another shape.")
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
