"""Numbers that never raise: x/0, log(0), overflow give inf/nan as numpy does; gradients summed back to a shape."""

from __future__ import annotations

import math

import numpy as np

try:  # the context variable np.errstate sets (numpy >= 2)
    from numpy._core.umath import _extobj_contextvar as _errstate_slot, _make_extobj as _make_errstate
except ImportError:  # pragma: no cover - older numpy: np.errstate itself
    _errstate_slot = None
_add_reduce = np.add.reduce  # what ndarray.sum calls, without numpy's Python wrapper
_quiet_for = (None, None)  # (the caller's numpy settings, the same with overflow & co. ignored)


def _shape(x):
    return () if type(x) is float else x.shape


def _filled(shape, x):
    """A float64 array of `shape` holding the number x everywhere (np.full, in fewer steps)."""
    out = np.empty(shape)
    out.fill(x)
    return out


def _zero_like(data):
    return 0.0 if type(data) is float else np.zeros(data.shape)


def _quiet():
    """Silence numpy's warnings: log(0), x/0 and overflow give -inf/inf/nan as values."""
    return _Quiet() if _errstate_slot is not None else np.errstate(divide="ignore", invalid="ignore", over="ignore")


class _Quiet:
    """np.errstate(divide="ignore", invalid="ignore", over="ignore") without its cost (more than a
    small array op's): numpy >= 2 keeps its error settings in a context variable, which this sets to
    the caller's settings with those three ignored (derived again whenever the caller's change)."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _quiet_on()

    def __exit__(self, *exc):
        _errstate_slot.reset(self._token)


def _quiet_on():
    """What entering _quiet() does (numpy >= 2), for the hot path: the token `_quiet_off` takes."""
    global _quiet_for
    cached = _quiet_for  # one read: another thread may replace it
    current = _errstate_slot.get()
    if current is not cached[0] and current is not cached[1]:  # (inside a _quiet block: already quiet)
        cached = _quiet_for = (current, _make_errstate(divide="ignore", invalid="ignore", over="ignore"))
    return _errstate_slot.set(cached[1])


_quiet_off = _errstate_slot.reset if _errstate_slot is not None else None  # (token): a C method, no Python frame


if _errstate_slot is None:  # pragma: no cover - numpy < 2: np.errstate itself
    def _quiet_on():
        state = np.errstate(divide="ignore", invalid="ignore", over="ignore")
        state.__enter__()
        return state

    def _quiet_off(state):
        state.__exit__(None, None, None)


def _arith(op, a, b):
    """a op b for + - * @: numbers as Python does them, arrays with numpy's overflow warnings
    silenced, so that an overflow gives inf quietly for both (as x/0 and exp do)."""
    if type(a) is float and type(b) is float:
        return op(a, b)
    with _quiet():
        return op(a, b)


def _np_scalar(fn, *args):
    with _quiet():
        return float(fn(*(np.float64(a) for a in args)))


def _div(a, b):
    if type(a) is float and type(b) is float:
        try:
            return a / b
        except ZeroDivisionError:
            return _np_scalar(np.divide, a, b)
    with _quiet():
        return a / b


def _pow(a, c):
    if type(a) is float:
        try:
            r = a**c
        except (ZeroDivisionError, OverflowError):
            return _np_scalar(np.power, a, c)
        return r if type(r) is float else math.nan  # a negative base to a fractional power
    with _quiet():
        return a**c


def _exp(a):
    if type(a) is float:
        try:
            return math.exp(a)
        except OverflowError:
            return math.inf
    with _quiet():
        return np.exp(a)


def _log(a):
    if type(a) is float:
        try:
            return math.log(a)
        except ValueError:
            return _np_scalar(np.log, a)
    with _quiet():
        return np.log(a)


def _sigmoid(a):
    if type(a) is float:
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        e = _exp(a)
        return e / (1.0 + e)
    with _quiet():
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _unbroadcast(g, shape):
    """Sum a gradient back to the shape of the operand it flows into (undoes broadcasting)."""
    if type(g) is float:
        return g
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = _add_reduce(g, 0) if extra == 1 else g.sum(axis=tuple(range(extra)))  # (g.sum(axis=0), one call)
    if g.shape != shape:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        g = g.sum(axis=axes, keepdims=True)
    return float(g) if shape == () else g
