"""Gradient descent: the SGD optimiser, a plain training loop with its history, the loss as a function of θ."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .engine import Value
from .engine.recording import unrecorded
from .losses import mse

__all__ = ["SGD", "History", "train", "loss_function", "accuracy"]


_unrecorded = unrecorded  # engine code run without recording, in this thread (evaluations not part of the lesson)


class SGD:
    """Gradient descent: θ ← θ - lr · dL/dθ for every parameter θ."""

    def __init__(self, parameters, lr=0.1):
        if hasattr(parameters, "parameters"):  # a model: SGD(model) means SGD(model.parameters())
            parameters = parameters.parameters()
        self.parameters = list(parameters)
        for p in self.parameters:
            if not isinstance(p, Value):
                raise TypeError(f"SGD takes Values (e.g. model.parameters()), not {type(p).__name__}.")
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not lr > 0 \
                or not math.isfinite(lr):
            raise ValueError(f"lr (the learning rate) must be a positive number, not {lr!r}.")
        self.lr = float(lr)

    def step(self):
        """θ ← θ - lr · θ.grad (a new value is assigned, so a recording sees an update)."""
        lr = self.lr
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging step is reported by train()
            for p in self.parameters:
                p.data = p.data - lr * p.grad

    def zero_grad(self):
        """θ.grad ← 0 for every parameter (gradients add up across backward calls otherwise)."""
        for p in self.parameters:
            p.grad = 0.0


def _copy(d):
    return d if type(d) is float else d.copy()


@dataclass
class History:
    """What train() saw: losses[t] = L(θ_t) and params[t] = θ_t (copies), for t = 0, 1, …"""

    losses: list = field(default_factory=list)
    params: list = field(default_factory=list)
    diverged: bool = False

    @property
    def thetas(self):
        """θ_t as rows of one array: shape (len(params), number of parameter numbers)."""
        return np.array([np.concatenate([np.ravel(d) for d in ps]) for ps in self.params], dtype=np.float64)


def train(model, X, y, loss=mse, *, lr=0.1, steps=100, optimizer=None):
    """Full-batch gradient descent: for t = 0 … steps-1, L = loss(model(X), y), backward, SGD step.

    Returns a History with steps + 1 losses and parameter sets (θ_0 … θ_steps). It stops early,
    with History.diverged = True, as soon as the loss is no longer finite (too large a lr).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, not {steps!r}.")
    opt = optimizer or SGD(model.parameters(), lr)
    params = model.parameters()
    hist = History(params=[[_copy(p.data) for p in params]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is reported, not warned
        for _ in range(steps):
            L = loss(model(X), y)
            hist.losses.append(L.data)
            if not L.is_finite():
                hist.diverged = True
                return hist
            opt.zero_grad()
            L.backward()
            opt.step()
            hist.params.append([_copy(p.data) for p in params])
        with _unrecorded():  # L(θ_steps): a look at where we ended, not a training step
            L = loss(model(X), y)
    hist.losses.append(L.data)
    hist.diverged = not L.is_finite()
    return hist


def loss_function(model, X, y, loss=mse):
    """f(θ_0, θ_1, …) = loss(model(X), y) with the parameters set to θ (restored afterwards).

    The numbers θ fill parameters() in order (arrays row-major). Nothing is recorded.
    """
    params = model.parameters()
    sizes = [int(np.size(p.data)) for p in params]

    def f(*theta):
        if len(theta) != sum(sizes):
            raise ValueError(f"this model has {sum(sizes)} parameter numbers; got {len(theta)}.")
        saved = [p.data for p in params]
        with _unrecorded():
            try:
                at = 0
                for p, k in zip(params, sizes):
                    chunk = np.asarray(theta[at:at + k], dtype=np.float64)
                    p.data = float(chunk[0]) if p.shape == () else chunk.reshape(p.shape)
                    at += k
                return float(loss(model(X), y).data)
            finally:
                for p, d in zip(params, saved):
                    p.data = d

    return f


def accuracy(model, X, y):
    """Fraction of samples whose predicted class (output > 0) matches the label (0/1 or -1/+1)."""
    out = model.predict(X)
    return float(np.mean((out > 0) == (np.asarray(y) > 0)))
