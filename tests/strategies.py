"""Hypothesis strategies: random expression graphs with mixed ops, shared subexpressions, fan-out, constants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from ops import OPS

LEAF_SHAPES = ((), (), (), (3,), (2, 3), (3, 1), (1, 3))
MAX_SIZE = 9  # no intermediate array grows past 9 numbers: finite differences stay cheap
LIMIT = 1e3  # every intermediate value stays below this in size, so differences stay accurate

ELEMENTWISE = ("+", "-", "*", "/")
UNARY = ("neg", "**", "exp", "log", "tanh", "sigmoid", "relu", "sum", "mean", "reshape", "T")
EXPONENTS = (2.0, 3.0, -1.0, 0.5, 1.5, -1.5)


@dataclass(frozen=True)
class Program:
    """A straight-line program over registers: the leaves first, then one register per step.

    A step is (op name, operands, parameter); an operand is a register index or ("const", data),
    a plain number or array written into the expression. The loss is sum over `outputs` of
    (register * weight).sum().
    """

    leaves: tuple
    steps: tuple
    outputs: tuple


def run(program, leaves, backend):
    """Evaluate `program` on `leaves` with backend 'ours', 'numpy' or 'torch'; returns (loss, registers)."""
    const = _torch_const if backend == "torch" else (lambda c: c)
    regs = list(leaves)
    for name, refs, p in program.steps:
        args = [regs[r] if isinstance(r, int) else const(r[1]) for r in refs]
        regs.append(getattr(OPS[name], backend)(*args, p))
    loss = None
    for r, w in program.outputs:
        term = regs[r] * const(w)
        term = float(np.sum(term)) if backend == "numpy" else term.sum()
        loss = term if loss is None else loss + term
    return loss, regs


def _torch_const(c):
    import torch

    return c if isinstance(c, float) else torch.tensor(c, dtype=torch.float64)


def _shape(x):
    return np.shape(x)


def _ok(x):
    return bool(np.all(np.isfinite(x)) and np.all(np.abs(x) < LIMIT)) and np.size(x) <= MAX_SIZE


_numbers = st.builds(lambda sign, size: sign * size, st.sampled_from((-1.0, 1.0)), st.floats(0.3, 2.0))


def _array(draw, shape):
    if shape == ():
        return draw(_numbers)
    values = draw(st.lists(_numbers, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=np.float64).reshape(shape)


def _allowed(name, x, p=None):
    """Whether unary op `name` is smooth and defined around x, so a finite difference is valid."""
    if name == "relu":
        return bool(np.all(np.abs(x) > 0.05))
    if name == "log":
        return bool(np.all(x > 0.2))
    if name == "exp":
        return bool(np.all(x < 4.0))
    if name == "**" and p is not None and p != int(p):
        return bool(np.all(x > 0.2))
    if name == "**" and p is not None and p < 0:
        return bool(np.all(np.abs(x) > 0.3))
    return True


@st.composite
def programs(draw, max_leaves=4, max_steps=12):
    """A random Program whose every step is defined and smooth at its leaves."""
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = tuple(_array(draw, draw(st.sampled_from(LEAF_SHAPES))) for _ in range(n_leaves))
    values = [np.asarray(v) if np.ndim(v) else v for v in leaves]
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        # Half the time one of the newest registers (depth), else any register (fan-out, sharing).
        n = len(values)
        a = draw(st.integers(max(0, n - 2), n - 1) if draw(st.booleans()) else st.integers(0, n - 1))
        name = draw(st.sampled_from(ELEMENTWISE * 3 + UNARY + ("@", "@", "stack")))
        step = _make_step(draw, name, a, values)
        if step is None:
            continue
        refs, p = step
        args = [values[r] if isinstance(r, int) else r[1] for r in refs]
        with np.errstate(all="ignore"):
            out = OPS[name].numpy(*args, p)
        if not _ok(out):
            continue
        steps.append((name, refs, p))
        values.append(out)
    computed = list(range(n_leaves, len(values))) or list(range(len(values)))
    chosen = draw(st.lists(st.sampled_from(computed), min_size=1, max_size=3, unique=True))
    if computed[-1] not in chosen and draw(st.booleans()):
        chosen.append(computed[-1])
    outputs = tuple((r, _array(draw, _shape(values[r]))) for r in chosen)
    return Program(leaves, tuple(steps), outputs)


def _make_step(draw, name, a, values):
    """(operands, parameter) for op `name` with first operand register a, or None when none fits."""
    x = values[a]
    sx = _shape(x)
    if name in ELEMENTWISE or name == "@":
        if name == "@":
            fits = [r for r, v in enumerate(values) if len(sx) in (1, 2) and np.ndim(v) in (1, 2) and _shape(v)[0] == sx[-1]]
        else:
            fits = [r for r, v in enumerate(values) if _broadcasts(sx, _shape(v))]
        if name == "/":
            fits = [r for r in fits if np.all(np.abs(values[r]) > 0.3)]
        if fits and draw(st.integers(0, 3)) > 0:
            return (a, draw(st.sampled_from(fits))), None
        left = draw(st.booleans())  # a number on the left exercises __radd__, __rsub__, __rmatmul__ ...
        if name == "@":
            if len(sx) not in (1, 2):
                return None
            k = sx[0] if left else sx[-1]
            c = _array(draw, draw(st.sampled_from([(k,), (2, k) if left else (k, 2)])))
        else:
            c = _array(draw, draw(st.sampled_from([(), sx])))
            if name == "/" and left and not np.all(np.abs(x) > 0.3):
                return None
        return ((("const", c), a) if left else (a, ("const", c))), None
    if name == "stack":  # three scalar registers (or numbers) side by side, as nn's batched path does
        scalars = [r for r, v in enumerate(values) if _shape(v) == ()]
        if not scalars:
            return None
        refs = tuple(draw(st.sampled_from(scalars)) if draw(st.integers(0, 3)) else ("const", draw(_numbers))
                     for _ in range(3))
        return refs, draw(st.sampled_from([None, (3, 1), (1, 3)]))
    p = draw(st.sampled_from(EXPONENTS)) if name == "**" else None
    if not _allowed(name, x, p):  # another register may lie in the op's smooth domain
        fits = [r for r, v in enumerate(values) if _allowed(name, v, p)]
        if not fits:
            return None
        a = draw(st.sampled_from(fits))
        sx = _shape(values[a])
    if name == "**":
        return (a,), p
    if name in ("sum", "mean"):
        axes = [None] + list(range(len(sx)))
        return (a,), draw(st.sampled_from(axes))
    if name == "reshape":
        size = int(np.prod(sx))
        return (a,), draw(st.sampled_from([(size,), (size, 1), (1, size), (-1,)]))
    return (a,), None


def _broadcasts(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        return False
    return True


SCALAR_OPS = ("+", "-", "*", "/", "-", "/", "**", "neg", "exp", "log", "tanh", "sigmoid", "relu")


@st.composite
def scalar_graphs(draw, max_leaves=4, max_steps=8):
    """(leaves, steps) of a scalar graph for captions and hints: leaves (value, label), steps
    (op, operands, exponent, label or None); an operand is a node index or a plain number. Some values
    have no label (their v-name shows), some operands are constants; every op is defined where used."""
    leaves = [(draw(_numbers), f"{'abcdwxyz'[i]}") for i in range(draw(st.integers(1, max_leaves)))]
    values = [v for v, _ in leaves]
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(SCALAR_OPS))
        a = draw(st.integers(0, len(values) - 1))
        x, p = values[a], None
        if op in ("+", "-", "*", "/"):
            other = draw(st.integers(0, len(values) - 1)) if draw(st.integers(0, 3)) else ("const", draw(_numbers))
            y = values[other] if isinstance(other, int) else other[1]
            if op == "/" and abs(y) < 0.3:
                continue
            refs = (a, other) if draw(st.booleans()) or op == "/" else (other, a)
            args = [values[r] if isinstance(r, int) else r[1] for r in refs]
            out = {"+": args[0] + args[1], "-": args[0] - args[1], "*": args[0] * args[1]}.get(op)
            out = args[0] / args[1] if op == "/" else out
        else:
            p = draw(st.sampled_from(EXPONENTS)) if op == "**" else None
            if not _allowed(op, np.asarray(x), p):
                continue
            refs = (a,)
            with np.errstate(all="ignore"):
                out = {"neg": -x, "exp": np.exp(x), "log": np.log(x), "tanh": np.tanh(x), "sigmoid": 1 / (1 + np.exp(-x)),
                       "relu": max(x, 0.0), "**": x ** p if p is not None else None}[op]
        if not (np.isfinite(out) and (1e-3 < abs(out) < 1e3 or (op == "relu" and out == 0))):
            continue
        steps.append((op, refs, p, draw(st.sampled_from([None, f"n{len(steps)}", f"n{len(steps)}"]))))
        values.append(float(out))
    return tuple(leaves), tuple(steps)


def build_scalar_graph(graph, loss_label="L"):
    """The Values of a scalar_graphs() example: (leaves, every node, loss); the loss is the last value."""
    from backprop_viz import Value

    leaves, steps = graph
    nodes = [Value(v, label) for v, label in leaves]
    for op, refs, p, label in steps:
        args = [nodes[r] if isinstance(r, int) else r[1] for r in refs]
        if op in ("+", "-", "*", "/"):
            v = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                 "/": lambda a, b: a / b}[op](*args)
        elif op == "**":
            v = args[0] ** p
        elif op == "neg":
            v = -args[0]
        else:
            v = getattr(args[0], op)()
        v.label = label
        nodes.append(v)
    loss = nodes[-1]
    if loss_label is not None:
        loss.label = loss_label
    return nodes[:len(leaves)], nodes, loss
