"""Models built on the engine (Neuron, Layer, MLP, linear and logistic regression), with losses and SGD.

How one model works on one sample *and* on a batch:
- Every model keeps one scalar Value per weight and bias, as micrograd does: `parameters()`
  lists exactly these Values, and they are the only copy of the weights (what SGD changes).
  A neuron in an MLP names its parameters after its place: 'L1.N0.w1' is layer 1, neuron 0,
  the weight of input 1; 'L1.N0.b' its bias.
- `model(x)` with one sample (a list of numbers or scalar Values, or a number for one input)
  builds a *scalar* graph, one node per multiplication, on those very parameters: small enough
  to draw, and its gradients land on the parameters.
- `model(X)` with a batch (a 2-D array of shape (n, n_in)) builds an *array* graph: a layer
  stacks its scalars into W (n_in, n_out) and b (n_out,) with `engine.stack` and computes
  act(X @ W + b), fast to train; backward hands each scalar its element of dL/dW, dL/db.
So `loss.backward(); SGD(model.parameters()).step()` trains the same way on either path.
Losses (mse, binary_cross_entropy, hinge) come from `losses`, SGD and train() from `optim`;
all are importable from here.
"""

from __future__ import annotations

import math

import numpy as np

from .engine import Value, stack
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


def _number(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, not {v!r}.")
    return float(v)


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

    def zero_grad(self):
        """Set every parameter's gradient to 0 (gradients add up across backward calls otherwise)."""
        for p in self.parameters():
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
    """One neuron: y = act(w0·x0 + w1·x1 + … + b), with one scalar Value per weight.

    The weights start uniform in [-1, 1] (seeded) unless `weights` gives them; the bias starts
    at `bias` (0). `name` prefixes the parameters' labels: name='L1.N0' gives 'L1.N0.w0', …, 'L1.N0.b'.
    """

    def __init__(self, n_in, activation="tanh", *, seed=0, weights=None, bias=0.0, name=None):
        self.n_in = _check_size("n_in", n_in)
        self.activation = activation
        self._act = _activation(activation)
        if weights is None:
            weights = _rng(seed).uniform(-1, 1, n_in)
        weights = [_number(f"weight {i}", v) for i, v in enumerate(weights)]
        if len(weights) != self.n_in:
            raise ValueError(f"a neuron with {self.n_in} input(s) needs {self.n_in} weight(s), not {len(weights)}.")
        prefix = "" if name is None else f"{name}."
        self.name = name
        self.w = [Value(v, label=f"{prefix}w{i}", role="parameter") for i, v in enumerate(weights)]
        self.b = Value(_number("bias", bias), label=f"{prefix}b", role="parameter")

    def parameters(self):
        return [*self.w, self.b]

    def _forward_sample(self, xs):
        """act(w0·x0 + … + b). A named neuron (name 'L1.N0', as in a Layer) names each value it
        computes, so that a picture of a network names every value in it: the products
        'L1.N0.w0·x0' (an input keeps its own label), the running sums 'L1.N0.Σ2' (the first two
        products added up), 'L1.N0.z' with the bias, and its output 'L1.N0'."""
        name, z = self.name, None
        for i, (w, x) in enumerate(zip(self.w, xs)):
            t = w * x
            if name is not None:
                given = x.label if isinstance(x, Value) else None
                t.label = f"{w.label}·{given or f'x{i}'}"
            z = t if z is None else z + t
            if name is not None and i:
                z.label = f"{name}.Σ{i + 1}"
        z = z + self.b
        if name is not None:
            z.label = f"{name}.z"
        if not self._act:
            return z
        out = self._act(z)
        if name is not None:
            out.label = name
        return out

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
    """A layer of n_out neurons, each y_j = act(Σ_i w_ij·x_i + b_j); on a batch Y = act(X @ W + b).

    `neurons[j].w[i]` is the weight from input i to neuron j, labelled 'L{index}.N{j}.w{i}'.
    A batch stacks them into W of shape (n_in, n_out), W[i, j] = neurons[j].w[i], once per call.
    """

    def __init__(self, n_in, n_out, activation="tanh", *, seed=0, index=1):
        self.n_in, self.n_out = _check_size("n_in", n_in), _check_size("n_out", n_out)
        self.activation = activation
        self._act = _activation(activation)
        self.index = index
        limit = math.sqrt(6.0 / (n_in + n_out))  # Glorot: keeps tanh units out of saturation
        W = _rng(seed).uniform(-limit, limit, (n_in, n_out))
        self.neurons = [Neuron(n_in, activation, weights=W[:, j], name=f"L{index}.N{j}") for j in range(n_out)]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def _forward_sample(self, xs):
        return [n._forward_sample(xs) for n in self.neurons]

    def _forward_batch(self, X):
        if not isinstance(X, Value):
            X = _batch_array(X, self.n_in, "Layer")
        elif X.shape[1] != self.n_in:
            raise ValueError(f"Layer takes a batch of shape (n, {self.n_in}), not {X.shape}.")
        # W[i, j] = neurons[j].w[i]: row i of W holds every neuron's weight of input i
        W = stack([w for row in zip(*(n.w for n in self.neurons)) for w in row], (self.n_in, self.n_out))
        b = stack([n.b for n in self.neurons])
        W.label, b.label = f"W{self.index}", f"b{self.index}"
        Y = X @ W + b
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
