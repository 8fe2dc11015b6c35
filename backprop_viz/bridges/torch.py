"""PyTorch code recorded: inside `with record() as trace:`, each torch op is replayed as our engine's ops.

A `TorchFunctionMode` sees every PyTorch call made in the block (in this thread). An op on tensors
that need gradients is computed by PyTorch as usual *and* by our engine on float64 numpy copies,
so the trace is an ordinary trace: drawn, stepped, saved and replayed like any other.
`loss.backward()` runs PyTorch's backward and ours (recorded), so the trace's leaf gradients are
PyTorch's `.grad` (measured: within 5e-16 in float64; within float32's rounding, 4e-7, in float32,
as PyTorch rounds every step to float32 and we compute in float64).
Tensors that need gradients become parameters, named from the code where possible (`W1`,
`fc1.weight`). An op this module does not know raises at that op, naming it — never a silent gap.
This module is imported only when torch already is (see the root package).
"""

from __future__ import annotations

import contextlib
import operator
import sys

import numpy as np
import torch
from torch.overrides import TorchFunctionMode, resolve_name

from backprop_viz import losses
from backprop_viz.engine import Value

__all__ = ["recording", "SUPPORTED", "UnsupportedTorchOp"]


class UnsupportedTorchOp(NotImplementedError):
    """A PyTorch op inside a record() block that the recorder cannot turn into engine ops."""


# ---- each op: our engine's ops on the operands' Values (a, b, ...) ----
def _binary(fn, reverse=False):
    def rule(bridge, args, kwargs):
        a, b = bridge.operand(args[0]), bridge.operand(args[1] if len(args) > 1 else kwargs["other"])
        alpha = kwargs.get("alpha", 1)
        if alpha != 1:
            b = b * float(alpha)
        return fn(b, a) if reverse else fn(a, b)  # operator.sub(2.0, v) is v.__rsub__(2.0)
    return rule


def _unary(fn):
    def rule(bridge, args, kwargs):
        return fn(bridge.operand(args[0]))
    return rule


def _pow(bridge, args, kwargs):
    exponent = args[1] if len(args) > 1 else kwargs["exponent"]
    if isinstance(exponent, torch.Tensor):
        if exponent.requires_grad or exponent.numel() != 1:
            raise bridge.unsupported("** with a tensor exponent", "the exponent of ** must be a constant number")
        exponent = exponent.item()
    return bridge.operand(args[0]) ** float(exponent)


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = tuple(d % ndim for d in ((dim,) if isinstance(dim, int) else dim))
    return dims[0] if len(dims) == 1 else dims


def _reduction(method):
    def rule(bridge, args, kwargs):
        a = bridge.operand(args[0])
        dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis"))
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if kwargs.get("dtype") is not None:
            raise bridge.unsupported(f"{method}(dtype=...)", "leave out dtype")
        axis = _dims(dim, len(a.shape)) if a.shape else None
        out = getattr(a, method)(axis)
        if keepdim and a.shape:
            axes = range(len(a.shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
            out = out.reshape(*[1 if i in axes else n for i, n in enumerate(a.shape)])
        return out
    return rule


def _reshape(bridge, args, kwargs, result):
    return bridge.operand(args[0]).reshape(*tuple(result.shape))


def _transpose(bridge, args, kwargs):
    a = bridge.operand(args[0])
    if len(a.shape) < 2:
        return a  # t() of a vector or number is itself
    dims = tuple(d % len(a.shape) for d in args[1:3]) if len(args) >= 3 else (0, 1)
    if len(a.shape) != 2 or sorted(dims) != [0, 1]:
        raise bridge.unsupported("transpose of an array with more than 2 dimensions", "use 1-D or 2-D tensors")
    return a.T


def _linear(bridge, args, kwargs):
    """F.linear(x, W, b) = x @ Wᵀ + b, as nn.Linear computes it."""
    x, w = bridge.operand(args[0]), bridge.operand(args[1] if len(args) > 1 else kwargs["weight"])
    b = args[2] if len(args) > 2 else kwargs.get("bias")
    out = x @ w.T
    return out if b is None else out + bridge.operand(b)


def _reduced(bridge, loss, kwargs, name):
    reduction = kwargs.get("reduction", "mean")
    if kwargs.get("size_average") is not None or kwargs.get("reduce") is not None:
        raise bridge.unsupported(f"{name}(size_average=..., reduce=...)", "use reduction='mean' or 'sum'")
    if reduction == "mean":
        return loss.mean() if loss.shape else loss
    if reduction == "sum":
        return loss.sum() if loss.shape else loss
    raise bridge.unsupported(f"{name}(reduction={reduction!r})", "use reduction='mean' or 'sum'")


def _mse_loss(bridge, args, kwargs):
    """F.mse_loss(ŷ, y) = mean((ŷ - y)²)."""
    pred, target = bridge.operand(args[0]), bridge.operand(args[1] if len(args) > 1 else kwargs["target"])
    return _reduced(bridge, (pred - target) ** 2, kwargs, "mse_loss")


def _bce_with_logits(bridge, args, kwargs):
    """F.binary_cross_entropy_with_logits(z, y) = mean(log(1 + eᶻ) - y·z), as losses.binary_cross_entropy."""
    if kwargs.get("weight") is not None or kwargs.get("pos_weight") is not None or len(args) > 2:
        raise bridge.unsupported("binary_cross_entropy_with_logits(weight=..., pos_weight=...)",
                                 "leave out weight and pos_weight")
    target = args[1] if len(args) > 1 else kwargs["target"]
    if isinstance(target, torch.Tensor) and target.requires_grad:
        raise bridge.unsupported("binary_cross_entropy_with_logits with targets that need gradients",
                                 "targets are data: detach them")
    y = bridge.array(target)
    mean = losses.binary_cross_entropy(bridge.operand(args[0]), y)
    reduction = kwargs.get("reduction", "mean")
    if reduction == "sum" and np.size(y) > 1:
        return mean * float(np.size(y))
    return _reduced(bridge, mean, kwargs, "binary_cross_entropy_with_logits")


def _permute(bridge, args, kwargs):
    a = bridge.operand(args[0])
    dims = tuple(kwargs.get("dims", args[1:]))  # permute(1, 0) or permute((1, 0))
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = tuple(d % max(len(a.shape), 1) for d in dims)
    if dims == tuple(range(len(a.shape))):
        return a
    if len(a.shape) == 2:
        return a.T
    raise bridge.unsupported("permute of an array with more than 2 dimensions", "use 1-D or 2-D tensors")


_ADD, _SUB, _MUL, _DIV, _MATMUL = (_binary(f) for f in (operator.add, operator.sub, operator.mul,
                                                         operator.truediv, operator.matmul))
# PyTorch's name of each op (torch.overrides.resolve_name) -> its rule; one rule per row of the docs' list.
_RULES = {}
for _names, _rule in [
    ("add __add__ __radd__ __iadd__ add_", _ADD),
    ("sub subtract __sub__ __isub__ sub_", _SUB),
    ("__rsub__ rsub", _binary(operator.sub, reverse=True)),
    ("mul multiply __mul__ __rmul__ __imul__ mul_", _MUL),
    ("div divide true_divide __truediv__ __itruediv__ div_", _DIV),
    ("__rtruediv__ __rdiv__", _binary(operator.truediv, reverse=True)),
    ("matmul mm mv __matmul__", _MATMUL),
    ("__rmatmul__", _binary(operator.matmul, reverse=True)),
    ("pow __pow__ __ipow__ pow_", _pow),
    ("neg negative __neg__", _unary(Value.__neg__)),
    ("exp", _unary(Value.exp)),
    ("log", _unary(Value.log)),
    ("tanh", _unary(Value.tanh)),
    ("sigmoid", _unary(Value.sigmoid)),
    ("relu", _unary(Value.relu)),
    ("sum", _reduction("sum")),
    ("mean", _reduction("mean")),
    ("reshape view", _reshape),
    ("t transpose T.__get__", _transpose),
    ("permute", _permute),
]:
    for _name in _names.split():
        _RULES[f"torch.Tensor.{_name}"] = _rule
        if not _name.startswith("_") and "." not in _name:
            _RULES[f"torch.{_name}"] = _rule
for _name, _rule in [("relu", _unary(Value.relu)), ("tanh", _unary(Value.tanh)),
                     ("sigmoid", _unary(Value.sigmoid)), ("linear", _linear), ("mse_loss", _mse_loss),
                     ("binary_cross_entropy_with_logits", _bce_with_logits)]:
    _RULES[f"torch.nn.functional.{_name}"] = _rule
_SHAPED = {"torch.Tensor.reshape", "torch.reshape", "torch.Tensor.view"}  # rules that read the result's shape

SUPPORTED = ("+ - * / @ ** (a constant exponent), neg, exp, log, tanh, sigmoid, relu, sum and mean (with dim), "
             "reshape / view, t / transpose / permute / .T (2-D), nn.Linear / F.linear, F.mse_loss, "
             "F.binary_cross_entropy_with_logits, and loss.backward()")


class _Bridge(TorchFunctionMode):
    """While active (one record() block, this thread): every tensor that takes part in the graph
    has a Value, and every op on them is done again on those Values by our engine."""

    def __init__(self):
        super().__init__()
        self._values = {}  # id(tensor) -> (tensor, its Value, the tensor's _version when copied); tensors kept alive
        self._leaves = set()  # the ids in _values of tensors met as leaves: the ones an optimiser changes

    # ---- tensors and their Values ----
    def array(self, t):
        """A float64 numpy copy of tensor t (a number for a 0-d tensor)."""
        if not isinstance(t, torch.Tensor):
            return float(t)
        a = t.detach().cpu().to(torch.float64).numpy().copy()
        return float(a) if a.ndim == 0 else a

    def operand(self, x):
        """Our Value for operand x: the tensor's Value, a new leaf for a tensor met first, or a number."""
        if not isinstance(x, torch.Tensor):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise self.unsupported(f"an operand of type {type(x).__name__}", "use tensors and numbers")
            return float(x)
        row = self._values.get(id(x))
        if row is not None and row[0] is x:
            return row[1]
        role = "parameter" if x.requires_grad else "input"
        v = Value(self.array(x), _name_of(x), role=role)
        self._values[id(x)] = (x, v, x._version)
        self._leaves.add(id(x))
        return v

    def sync(self):
        """Leaves PyTorch changed in place since (an optimiser's step) get their new data: an update
        event, before the next op is recorded, so the steps of a training loop are passes."""
        for key in self._leaves:
            t, v, version = self._values[key]
            if t._version != version:
                v.data = self.array(t)
                self._values[key] = (t, v, t._version)

    def _track(self, result, v):
        if isinstance(result, torch.Tensor) and isinstance(v, Value):
            self._values[id(result)] = (result, v, result._version)
            if v.op:
                self._leaves.discard(id(result))  # an in-place op: the tensor now holds a computed value

    def unsupported(self, what, way_out=None):
        hint = f" ({way_out})" if way_out else ""
        return UnsupportedTorchOp(
            f"backprop_viz cannot record {what}{hint}. Inside `with record()` it records the PyTorch ops "
            f"{SUPPORTED}; compute anything else outside the block, or with these ops.")

    # ---- every PyTorch call in the block ----
    def __torch_function__(self, func, types_, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = resolve_name(func) or getattr(func, "__name__", repr(func))
        if name == "torch.Tensor.backward":
            return self._backward(func, args, kwargs)
        if not torch.is_grad_enabled() or not _needs_grad(args, kwargs):
            return func(*args, **kwargs)  # not part of a graph: data, factories, no_grad updates, reads
        rule = _RULES.get(name)
        self.sync()
        result = func(*args, **kwargs)
        if rule is None:
            if _any_grad(result):
                raise self.unsupported(f"the PyTorch op {_short(name)}")
            return result  # .item(), .shape, .detach(), comparisons: nothing flows back through them
        value = rule(self, args, kwargs, result) if name in _SHAPED else rule(self, args, kwargs)
        self._track(result, value)
        return result

    def _backward(self, func, args, kwargs):
        row = self._values.get(id(args[0]))
        v = row[1] if row is not None and row[0] is args[0] else None
        if v is None:  # a graph built before the block: PyTorch's backward, nothing to record
            return func(*args, **kwargs)
        self.sync()
        leaves = [self._values[key][:2] for key in self._leaves]
        for t, lv in ((t, lv) for t, lv in leaves if t.requires_grad and t.is_leaf):  # gradients PyTorch has set since (zero_grad(), p.grad = None) are set here too
            theirs = 0.0 if t.grad is None else self.array(t.grad)
            if np.any(np.asarray(theirs) != lv.grad):
                lv.grad = theirs
        out = func(*args, **kwargs)
        gradient = args[1] if len(args) > 1 else kwargs.get("gradient")
        _name_results(self._values.values())
        v.backward(None if gradient is None else self.array(gradient))
        return out


def _short(name):
    return name.replace("torch.nn.functional.", "F.").replace("torch.Tensor.", "Tensor.")


def _flat(args, kwargs):
    for x in (*args, *kwargs.values()):
        if isinstance(x, (list, tuple)):
            yield from x
        else:
            yield x


def _needs_grad(args, kwargs):
    return any(isinstance(x, torch.Tensor) and x.requires_grad for x in _flat(args, kwargs))


def _any_grad(result):
    if isinstance(result, torch.Tensor):
        return result.requires_grad
    if isinstance(result, (list, tuple)):
        return any(_any_grad(r) for r in result)
    return False


# ---- names from the code: the variable, dict key or module parameter that holds a tensor ----
_SKIP = ("torch", "backprop_viz", "contextlib", "IPython", "ipykernel")


def _user_frames():
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.split(".")[0] in _SKIP:
            yield frame
        frame = frame.f_back


def _name_of(t):
    """The name the code gives tensor t: a variable (`W1`), a dict key (`params["W1"]`) or a module's
    parameter (`fc1.weight`); None when the code does not name it."""
    for frame in _user_frames():
        for var, value in list(frame.f_locals.items()):
            if value is t and not var.startswith("_"):
                return var
            if isinstance(value, dict) and len(value) < 1000:
                for key, item in value.items():
                    if item is t and isinstance(key, str):
                        return key
            if isinstance(value, torch.nn.Module):
                for path, p in value.named_parameters():
                    if p is t:
                        top = path.split(".")[0]
                        return path if var == "self" or ("." in path and not top.isdigit()) else f"{var}.{path}"
    return None


def _name_results(rows):
    """Label the computed tensors the code has named (`h = torch.tanh(z)` labels h), in the code's
    innermost frame, where the value has no label yet. (Before Python 3.13, reading a function's
    variables leaves a copy of them on its frame until it returns: only done when there is a name to find.)"""
    by_id = {id(t): (t, v) for t, v, _ in rows if v.op and v.label is None}
    frame = next(_user_frames(), None) if by_id else None
    if frame is None:
        return
    for var, value in list(frame.f_locals.items()):
        row = by_id.get(id(value))
        if row is not None and row[0] is value and row[1].label is None and not var.startswith("_"):
            row[1].label = var


@contextlib.contextmanager
def recording(trace):
    """Record the PyTorch ops of this thread while the record() block that made `trace` is open."""
    bridge = _Bridge()
    with bridge:
        try:
            yield bridge
        finally:
            bridge.sync()
            _name_results(bridge._values.values())
