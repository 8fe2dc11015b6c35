"""The one table of engine ops for tests: each op on our Values, on numpy arrays and on torch tensors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def _np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _torch():
    import torch

    return torch


def _tensor(x):
    torch = _torch()
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)


def _stack(values, shape):
    from backprop_viz.engine import stack

    return stack(values, shape)


def _np_reduce(fn):
    return lambda a, p: float(fn(a)) if p is None else fn(a, axis=p)


@dataclass(frozen=True)
class Op:
    """One op: `ours(*operands, p)`, `numpy(*operands, p)`, `torch(*operands, p)` do the same maths.

    `p` is the op's constant parameter (exponent of **, axis of sum/mean, shape of reshape) or None.
    `positive` lists the operand positions that must hold positive numbers (log, a denominator).
    """

    name: str
    arity: int
    ours: Callable
    numpy: Callable
    torch: Callable
    positive: tuple = ()


_OPS = [
    Op("+", 2, lambda a, b, p: a + b, lambda a, b, p: a + b, lambda a, b, p: a + b),
    Op("-", 2, lambda a, b, p: a - b, lambda a, b, p: a - b, lambda a, b, p: a - b),
    Op("*", 2, lambda a, b, p: a * b, lambda a, b, p: a * b, lambda a, b, p: a * b),
    Op("/", 2, lambda a, b, p: a / b, lambda a, b, p: a / b, lambda a, b, p: a / b, positive=(1,)),
    Op("neg", 1, lambda a, p: -a, lambda a, p: -a, lambda a, p: -a),
    Op("**", 1, lambda a, p: a**p, lambda a, p: np.power(a, p), lambda a, p: a**p, positive=(0,)),
    Op("exp", 1, lambda a, p: a.exp(), lambda a, p: np.exp(a), lambda a, p: a.exp()),
    Op("log", 1, lambda a, p: a.log(), lambda a, p: np.log(a), lambda a, p: a.log(), positive=(0,)),
    Op("tanh", 1, lambda a, p: a.tanh(), lambda a, p: np.tanh(a), lambda a, p: a.tanh()),
    Op("sigmoid", 1, lambda a, p: a.sigmoid(), lambda a, p: _np_sigmoid(a), lambda a, p: a.sigmoid()),
    Op("relu", 1, lambda a, p: a.relu(), lambda a, p: np.maximum(a, 0.0), lambda a, p: a.relu()),
    Op("@", 2, lambda a, b, p: a @ b, lambda a, b, p: a @ b, lambda a, b, p: a @ b),
    Op("sum", 1, lambda a, p: a.sum(p), _np_reduce(np.sum), lambda a, p: a.sum() if p is None else a.sum(p)),
    Op("mean", 1, lambda a, p: a.mean(p), _np_reduce(np.mean), lambda a, p: a.mean() if p is None else a.mean(p)),
    Op("reshape", 1, lambda a, p: a.reshape(p), lambda a, p: np.reshape(a, p), lambda a, p: a.reshape(p)),
    Op("stack", 3, lambda a, b, c, p: _stack([a, b, c], p), lambda a, b, c, p: np.reshape(np.array([a, b, c]), p or (3,)),
       lambda a, b, c, p: _torch().stack([_tensor(x) for x in (a, b, c)]).reshape(p or (3,))),
    Op("T", 1, lambda a, p: a.T, lambda a, p: np.transpose(a), lambda a, p: a.permute(tuple(reversed(range(a.ndim))))),
]
OPS = {op.name: op for op in _OPS}

# Every op of the engine, as `Value.op` names it; a test checks the table covers them all.
OP_NAMES = tuple(OPS)

# (op, operand shapes, parameter): scalars and arrays, broadcasting, every @ combination,
# reductions along each axis. The table test runs each case for values and gradients.
_SHAPE_SETS = {
    2: [[(), ()], [(2, 3), (2, 3)], [(3, 1), (1, 4)], [(4, 3), (3,)], [(), (2, 3)], [(2, 3), ()]],
    1: [[()], [(2, 3)]],
}
CASES = (
    [(name, shapes, None) for name in ("+", "-", "*", "/") for shapes in _SHAPE_SETS[2]]
    + [(name, shapes, None) for name in ("neg", "exp", "log", "tanh", "sigmoid", "relu") for shapes in _SHAPE_SETS[1]]
    + [("**", shapes, c) for c in (2.0, 3.0, 0.5, -1.0, -1.5) for shapes in _SHAPE_SETS[1]]
    + [("@", [(2, 3), (3, 4)], None), ("@", [(2, 3), (3,)], None), ("@", [(3,), (3, 4)], None), ("@", [(3,), (3,)], None)]
    + [(name, [(2, 3)], axis) for name in ("sum", "mean") for axis in (None, 0, 1, -1)]
    + [(name, [()], None) for name in ("sum", "mean")]
    + [("reshape", [(2, 3)], (3, 2)), ("reshape", [(6,)], (2, 3)), ("reshape", [(2, 3)], (-1,)), ("reshape", [()], (1, 1))]
    + [("T", [(2, 3)], None), ("T", [(3,)], None), ("T", [()], None)]
    + [("stack", [(), (), ()], None), ("stack", [(), (), ()], (3, 1))]
)


def case_id(case):
    name, shapes, p = case
    text = f"{name}[{'|'.join(str(s) for s in shapes)}]"
    return text if p is None else f"{text}-{p}"


def sample(shape, rng, positive=False):
    """Numbers away from 0 (relu's kink, a pole of 1/x): 0.5..1.5 in size, random sign unless positive."""
    x = rng.uniform(0.5, 1.5, size=shape)
    if not positive:
        x = x * rng.choice([-1.0, 1.0], size=shape)
    return float(x) if shape == () else x


def numeric_grad(f, inputs, i, eps=1e-6):
    """Central finite difference of the scalar f(*inputs) with respect to inputs[i], elementwise."""
    x = np.array(inputs[i], dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        h = eps * max(1.0, abs(x[idx]))
        shifted = []
        for sign in (1.0, -1.0):
            xs = x.copy()
            xs[idx] += sign * h
            args = list(inputs)
            args[i] = float(xs) if x.ndim == 0 else xs
            shifted.append(f(*args))
        grad[idx] = (shifted[0] - shifted[1]) / (2 * h)
    return float(grad) if x.ndim == 0 else grad


def assert_close(ours, expected, rtol=1e-5, atol=1e-7, what=""):
    """ours == expected to rtol, with atol scaled by the size of expected."""
    ours, expected = np.asarray(ours, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert ours.shape == expected.shape, f"{what}: shape {ours.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=atol * scale, err_msg=what)
