"""Loss functions on engine Values: mean squared error, binary cross-entropy from logits, hinge.

Each takes the model's output — an array Value for a batch, a scalar Value for one sample, or a
list of scalar Values (one per sample, drawn as one graph) — and the targets, and returns the
loss as a scalar Value: the mean over the samples.
"""

from __future__ import annotations

import math

import numpy as np

from .engine import Value

__all__ = ["mse", "binary_cross_entropy", "hinge"]


def _pairs(pred, y, name):
    """Predictions and targets lined up: (list of scalar Values, list of floats) or (Value, array)."""
    if isinstance(pred, (list, tuple)):
        ys = np.broadcast_to(np.asarray(y, dtype=np.float64), (len(pred),))
        if not pred or not all(isinstance(p, Value) and p.shape == () for p in pred):
            raise TypeError(f"{name}: a list of predictions must hold scalar Values (one per sample).")
        return list(pred), [float(v) for v in ys]
    if not isinstance(pred, Value):
        raise TypeError(f"{name} takes the model's output (a Value), not {type(pred).__name__}.")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != pred.shape and y.shape != ():
        raise ValueError(
            f"{name}: predictions have shape {pred.shape} but targets {y.shape}; they must match "
            "(a (n, 1) and an (n,) array would silently broadcast to (n, n))."
        )
    return pred, (float(y) if y.ndim == 0 else y)


def _average(terms):
    if isinstance(terms, list):
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total if len(terms) == 1 else total / len(terms)
    return terms if terms.shape == () else terms.mean()


def _each(pred, y, term):
    if isinstance(pred, list):
        return _average([term(p, t) for p, t in zip(pred, y)])
    return _average(term(pred, y))


def _squared_error(p, t):
    """(p − t)²; the difference named after a named prediction, e.g. 'z − y', so that a picture of
    the loss names every value in it."""
    d = p - t
    if isinstance(p, Value) and p.label and d.label is None:
        d.label = f"{p.label} − y"
    return d ** 2


def mse(pred, y):
    """Mean squared error: L = (1/n) Σ (ŷ_i - y_i)²;  dL/dŷ_i = (2/n)(ŷ_i - y_i)."""
    return _each(*_pairs(pred, y, "mse"), _squared_error)


def _softplus_minus(z, y):
    # log(1 + e^z) = m + log(e^-m + e^(z-m)) with the constant m = max(z, 0): no exp overflows,
    # and the derivative is exactly σ(z) (m only shifts), also at z = 0.
    d = z.data
    m = max(d, 0.0) if type(d) is float else np.maximum(d, 0.0)
    em = math.exp(-m) if type(d) is float else np.exp(-m)
    return ((z - m).exp() + em).log() + m - y * z


def binary_cross_entropy(logits, y):
    """Binary cross-entropy from logits z, labels y ∈ {0, 1}:
    L = (1/n) Σ [log(1 + e^z_i) - y_i z_i] = -(1/n) Σ [y log σ(z) + (1-y) log(1-σ(z))];
    dL/dz_i = (σ(z_i) - y_i)/n. Computed stably (no overflow for any z)."""
    pred, y = _pairs(logits, y, "binary_cross_entropy")
    if not ((np.asarray(y) >= 0.0) & (np.asarray(y) <= 1.0)).all():
        raise ValueError("binary_cross_entropy needs labels in [0, 1]; for -1/+1 labels use data.as_bits(y).")
    return _each(pred, y, _softplus_minus)


def hinge(scores, y):
    """Hinge loss, labels y ∈ {-1, +1}: L = (1/n) Σ max(0, 1 - y_i z_i); dL/dz_i = -y_i/n where y_i z_i < 1."""
    pred, y = _pairs(scores, y, "hinge")
    if not np.isin(np.asarray(y), (-1.0, 1.0)).all():
        raise ValueError("hinge needs labels -1 or +1; for 0/1 labels use data.as_signs(y).")
    return _each(pred, y, lambda z, t: (1.0 - t * z).relu())
