"""Models built on the engine (Neuron, Layer, MLP, linear and logistic regression), with losses and SGD.

How one model works on one sample *and* on a batch:
- `model(x)` with one sample (a list of numbers or scalar Values, or a number for one input)
  builds a *scalar* graph, one node per multiplication: small enough to draw.
- `model(X)` with a batch (a 2-D array of shape (n, n_in)) builds an *array* graph: fast to train.
- `Neuron`, `LinearRegression` and `LogisticRegression` keep one scalar Value per weight
  (w0, w1, …, b): both paths use these very Values, so a drawn graph shows the real parameters.
- `Layer` and `MLP` keep one matrix per layer, `W` of shape (n_in, n_out) and `b` of shape
  (n_out,), so a batch costs one `@` per layer. Their single-sample path copies the matrices
  into scalar Values named after the neuron they feed ('L1.N0.w1' is W1[1, 0], 'L1.N0.b' is
  b1[0]); `scalar_parameters()` lists these copies and `scalar_grads()` returns their gradients
  arranged like `parameters()`, so both paths can be compared. The copies are made again
  whenever the matrices change (after an SGD step), so they always hold the current weights.
Losses (mse, binary_cross_entropy, hinge) come from `losses`, SGD and train() from `optim`;
all are importable from here.
"""

from __future__ import annotations

import math

import numpy as np

from .engine import Value
from .losses import binary_cross_entropy, hinge, mse
from .optim import SGD, History, _unrecorded, accuracy, loss_function, train

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "LinearRegression", "LogisticRegression",
    "mse", "binary_cross_entropy", "hinge", "SGD", "History", "train", "loss_function", "accuracy",
]

_ACTIVATIONS = {"tanh": Value.tanh, "relu": Value.relu, "sigmoid": Value.sigmoid}


def _activation(name):
    if name is None or name == "linear":
        return None
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'tanh', 'relu', 'sigmoid' or None, not {name!r}.")
    return _ACTIVATIONS[name]


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int (the same seed gives the same weights), not {seed!r}.")
    return np.random.default_rng(int(seed))


def _check_size(name, n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive int, not {n!r}.")
    return int(n)


def _sample_inputs(x, n_in, name, label):
    """One sample as a list of n_in scalar Values (numbers become input leaves x0, x1, …)."""
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        x = [x]
    if isinstance(x, Value):
        if x.shape != ():
            raise TypeError(
                f"{name} takes one sample as a list of numbers or scalar Values, not an array "
                f"Value of shape {x.shape}; pass a batch as a 2-D array of shape (n, {n_in})."
            )
        x = [x]
    try:
        xs = list(x)
    except TypeError:
        raise TypeError(
            f"{name} takes one sample (a list of {n_in} number(s)) or a batch (a 2-D array of shape "
            f"(n, {n_in})), not {type(x).__name__}."
        ) from None
    if len(xs) != n_in:
        raise ValueError(
            f"{name} takes {n_in} input(s) per sample, but got {len(xs)}: one sample is a list of "
            f"{n_in} number(s); a batch is a 2-D array of shape (n, {n_in}), e.g. X.reshape(-1, {n_in})."
        )
    out = []
    for i, xi in enumerate(xs):
        if isinstance(xi, Value):
            if xi.shape != ():
                raise TypeError(f"input {i} of the sample is an array Value of shape {xi.shape}, not a number.")
            out.append(xi)
        else:
            out.append(Value(xi, label=label.format(i)))
    return out


def _is_batch(x):
    if isinstance(x, Value):
        return len(x.shape) == 2
    if isinstance(x, np.ndarray):
        return x.ndim == 2
    return isinstance(x, (list, tuple)) and len(x) > 0 and isinstance(x[0], (list, tuple, np.ndarray))


def _batch_array(X, n_in, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name} takes a batch of shape (n, {n_in}), not {X.shape}.")
    return X


class Module:
    """What every model offers: call it, list its parameters, zero their gradients, predict."""

    input_label = "x{}"  # names of the input leaves a single sample gets: x0, x1, …

    def parameters(self):
        """The Values that training changes, in a fixed order."""
        return []

    def scalar_parameters(self):
        """The scalar Values the single-sample path uses for the parameters."""
        return self.parameters()

    def scalar_grads(self):
        """Gradients of scalar_parameters(), arranged like parameters() (floats / arrays)."""
        return [p.grad for p in self.parameters()]

    def zero_grad(self):
        """Set every parameter's gradient to 0 (also the single-sample copies)."""
        for p in dict.fromkeys(self.parameters() + self.scalar_parameters()):
            p.grad = 0.0

    def __call__(self, x):
        if _is_batch(x):
            return self._forward_batch(x)
        return self._forward_sample(_sample_inputs(x, self.n_in, type(self).__name__, self.input_label))

    def predict(self, X):
        """The model's outputs for a batch X of shape (n, n_in) as a numpy array (nothing recorded)."""
        with _unrecorded():
            return np.asarray(self(_batch_array(X, self.n_in, type(self).__name__)).data, dtype=np.float64)

    def num_parameters(self):
        """How many numbers training adjusts."""
        return sum(int(np.size(p.data)) for p in self.parameters())


class Neuron(Module):
    """One neuron: y = act(w0·x0 + w1·x1 + … + b), with one scalar Value per weight."""

    def __init__(self, n_in, activation="tanh", *, seed=0):
        self.n_in = _check_size("n_in", n_in)
        self.activation = activation
        self._act = _activation(activation)
        rng = _rng(seed)
        self.w = [Value(float(v), label=f"w{i}", role="parameter") for i, v in enumerate(rng.uniform(-1, 1, n_in))]
        self.b = Value(0.0, label="b", role="parameter")

    def parameters(self):
        return [*self.w, self.b]

    def _forward_sample(self, xs):
        z = self.w[0] * xs[0]
        for w, x in zip(self.w[1:], xs[1:]):
            z = z + w * x
        z = z + self.b
        return self._act(z) if self._act else z

    def _forward_batch(self, X):
        if isinstance(X, Value):
            raise TypeError(
                f"{type(self).__name__} keeps one scalar per weight and takes a batch as a numpy "
                "array of numbers, not an array Value; use Layer or MLP to chain array graphs."
            )
        X = _batch_array(X, self.n_in, type(self).__name__)
        z = self.w[0] * X[:, 0]
        for i in range(1, self.n_in):
            z = z + self.w[i] * X[:, i]
        z = z + self.b
        return self._act(z) if self._act else z

    def __repr__(self):
        return f"{type(self).__name__}({self.n_in} inputs, {self.activation or 'linear'})"


class LinearRegression(Neuron):
    """ŷ = w·x + b: two parameters, so its loss L(w, b) is a surface one can draw."""

    input_label = "x"

    def __init__(self, w=None, b=None, *, seed=0):
        super().__init__(1, None, seed=seed)
        for name, given in (("w", w), ("b", b)):
            if given is not None and (isinstance(given, bool) or not isinstance(given, (int, float, np.integer, np.floating))):
                raise TypeError(f"{name} must be a number (its starting value), not {given!r}.")
        self.w = [Value(self.w[0].data if w is None else float(w), label="w", role="parameter")]
        self.b = Value(0.0 if b is None else float(b), label="b", role="parameter")

    def __repr__(self):
        return f"LinearRegression(w={self.w[0].data:.4g}, b={self.b.data:.4g})"


class LogisticRegression(Neuron):
    """z = w·x + b gives the logit; P(y = 1 | x) = σ(z). Train it with binary_cross_entropy."""

    def __init__(self, n_in=2, *, seed=0):
        super().__init__(n_in, None, seed=seed)

    def predict_proba(self, X):
        """σ(z) = 1 / (1 + e^-z) for a batch: the probability of class 1."""
        z = self.predict(X)
        return np.exp(-np.logaddexp(0.0, -z))


class Layer(Module):
    """A layer of n_out neurons: Y = act(X @ W + b) with W of shape (n_in, n_out)."""

    def __init__(self, n_in, n_out, activation="tanh", *, seed=0, index=1):
        self.n_in, self.n_out = _check_size("n_in", n_in), _check_size("n_out", n_out)
        self.activation = activation
        self._act = _activation(activation)
        self.index = index
        rng = _rng(seed)
        limit = math.sqrt(6.0 / (n_in + n_out))  # Glorot: keeps tanh units out of saturation
        self.W = Value(rng.uniform(-limit, limit, (n_in, n_out)), label=f"W{index}", role="parameter")
        self.b = Value(np.zeros(n_out), label=f"b{index}", role="parameter")
        self._copies = None  # (W data, b data, scalar weights [i][j], scalar biases [j])

    def parameters(self):
        return [self.W, self.b]

    def _scalars(self):
        W, b = self.W.data, self.b.data
        c = self._copies
        if c is None or not (np.array_equal(c[0], W, equal_nan=True) and np.array_equal(c[1], b, equal_nan=True)):
            k = self.index
            ws = [[Value(float(W[i, j]), label=f"L{k}.N{j}.w{i}", role="parameter") for j in range(self.n_out)]
                  for i in range(self.n_in)]
            bs = [Value(float(b[j]), label=f"L{k}.N{j}.b", role="parameter") for j in range(self.n_out)]
            self._copies = c = (W.copy(), b.copy(), ws, bs)
        return c[2], c[3]

    def scalar_parameters(self):
        if self._copies is None:
            return []
        ws, bs = self._copies[2], self._copies[3]
        return [w for row in ws for w in row] + bs

    def scalar_grads(self):
        if self._copies is None:
            return [np.zeros_like(self.W.data), np.zeros_like(self.b.data)]
        ws, bs = self._copies[2], self._copies[3]
        return [np.array([[w.grad for w in row] for row in ws]), np.array([v.grad for v in bs])]

    def _forward_sample(self, xs):
        ws, bs = self._scalars()
        out = []
        for j in range(self.n_out):
            z = ws[0][j] * xs[0]
            for i in range(1, self.n_in):
                z = z + ws[i][j] * xs[i]
            z = z + bs[j]
            out.append(self._act(z) if self._act else z)
        return out

    def _forward_batch(self, X):
        if not isinstance(X, Value):
            X = _batch_array(X, self.n_in, "Layer")
        elif X.shape[1] != self.n_in:
            raise ValueError(f"Layer takes a batch of shape (n, {self.n_in}), not {X.shape}.")
        Y = X @ self.W + self.b
        return self._act(Y) if self._act else Y

    def __repr__(self):
        return f"Layer({self.n_in} → {self.n_out}, {self.activation or 'linear'})"


class MLP(Module):
    """A multi-layer perceptron: layers of `activation` units, the last layer linear (logits / ŷ).

    MLP(2, [16, 16, 1]) maps 2 inputs through two hidden layers of 16 to one output. With one
    output, a sample gives a scalar Value and a batch an array of shape (n,).
    """

    def __init__(self, n_in, sizes, activation="tanh", *, seed=0):
        self.n_in = _check_size("n_in", n_in)
        sizes = [_check_size("each layer size", s) for s in sizes]
        if not sizes:
            raise ValueError("sizes must list at least one layer size, e.g. MLP(2, [8, 1]).")
        self.sizes, self.activation = sizes, activation
        _activation(activation)
        rng = _rng(seed)
        dims = [self.n_in, *sizes]
        self.layers = [
            Layer(dims[i], dims[i + 1], activation if i < len(sizes) - 1 else None, seed=rng, index=i + 1)
            for i in range(len(sizes))
        ]

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def scalar_parameters(self):
        return [p for layer in self.layers for p in layer.scalar_parameters()]

    def scalar_grads(self):
        return [g for layer in self.layers for g in layer.scalar_grads()]

    def _forward_sample(self, xs):
        for layer in self.layers:
            xs = layer._forward_sample(xs)
        return xs[0] if len(xs) == 1 else xs

    def _forward_batch(self, X):
        for layer in self.layers:
            X = layer._forward_batch(X)
        return X.reshape(X.shape[0]) if self.sizes[-1] == 1 else X

    def __repr__(self):
        arrows = " → ".join(str(d) for d in [self.n_in, *self.sizes])
        return f"MLP({arrows}, {self.activation or 'linear'}, {self.num_parameters()} parameters)"
