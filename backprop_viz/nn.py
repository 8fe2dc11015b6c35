"""Models built on the engine (Neuron, Layer, MLP, linear and logistic regression), losses, SGD.

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
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from . import engine
from .engine import Value

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "LinearRegression", "LogisticRegression",
    "mse", "binary_cross_entropy", "hinge", "SGD", "History", "train", "loss_function", "accuracy",
]

_ACTIVATIONS = {"tanh": Value.tanh, "relu": Value.relu, "sigmoid": Value.sigmoid}


@contextmanager
def _unrecorded():
    """Run engine code without an active recorder (evaluations that are not part of the lesson)."""
    previous = engine._set_recorder(None)
    try:
        yield
    finally:
        engine._set_recorder(previous)


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
    xs = list(x)
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


# ---------------------------------------------------------------- losses


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


def mse(pred, y):
    """Mean squared error: L = (1/n) Σ (ŷ_i - y_i)²;  dL/dŷ_i = (2/n)(ŷ_i - y_i)."""
    return _each(*_pairs(pred, y, "mse"), lambda p, t: (p - t) ** 2)


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


# ---------------------------------------------------------------- optimiser and training


class SGD:
    """Gradient descent: θ ← θ - lr · dL/dθ for every parameter θ."""

    def __init__(self, parameters, lr=0.1):
        if isinstance(parameters, Module):
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
        for p in self.parameters:
            with np.errstate(over="ignore", invalid="ignore"):
                p.data = p.data - self.lr * p.grad

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
