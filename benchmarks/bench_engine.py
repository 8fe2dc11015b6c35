"""Benchmark: our engine against micrograd (scalar graphs) and PyTorch (batched arrays) on micrograd's demo.

Scalar graphs are measured two ways: micrograd's demo notebook as it is written (its nn.py model,
inputs wrapped with Value, sum() over Values, p.grad = 0, p.data -= lr * p.grad), run unchanged on
micrograd's Value and on ours; and our own variant of the same step (plain floats as inputs,
zero_grad()). The batched step is compared with PyTorch and with numpy written by hand.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backprop_viz.engine import Value  # noqa: E402

ALPHA = 1e-4  # weight of the L2 penalty, as in micrograd's demo.ipynb
SIZES = (2, 16, 16, 1)
SCALAR_GOAL = 15.0  # ours, Python's default collector, micrograd's demo as written, this many times faster
BATCHED_GOAL = 0.5  # ours with arrays at most this multiple of PyTorch's time per step


# ---- the task: two moons, labels -1 / +1 ----
def make_moons(n=100, noise=0.1, seed=0):
    """Two interleaving half circles plus Gaussian noise; labels are -1 (upper) and +1 (lower)."""
    rng = np.random.default_rng(seed)
    n_up, n_down = n // 2, n - n // 2
    t_up, t_down = np.linspace(0, np.pi, n_up), np.linspace(0, np.pi, n_down)
    upper = np.column_stack([np.cos(t_up), np.sin(t_up)])
    lower = np.column_stack([1 - np.cos(t_down), 0.5 - np.sin(t_down)])
    X = np.vstack([upper, lower]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_up), np.ones(n_down)])
    return X, y


def learning_rate(k, steps=100):
    """micrograd's demo schedule: 1.0 decaying linearly to 0.1 over 100 steps."""
    return 1.0 - 0.9 * (k % steps) / steps


# ---- micrograd, exactly as its demo trains ----
def micrograd_model(seed=1337):
    from micrograd.nn import MLP

    random.seed(seed)
    return MLP(SIZES[0], list(SIZES[1:]))


def micrograd_step(model, X, y, lr):
    """One full-batch SGD step of micrograd's demo; returns the loss before the step."""
    from micrograd.engine import Value as MValue

    scores = [model(list(map(MValue, row))) for row in X.tolist()]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    loss = data_loss + ALPHA * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def micrograd_weights(model):
    """[(W, b)] per layer as numpy arrays, W of shape (fan_in, fan_out)."""
    out = []
    for layer in model.layers:
        W = np.array([[w.data for w in n.w] for n in layer.neurons], dtype=np.float64).T
        b = np.array([n.b.data for n in layer.neurons], dtype=np.float64)
        out.append((W, b))
    return out


# ---- micrograd's demo notebook as it is written, for any Value type ----
def demo_classes(Value):
    """micrograd's nn.py (Module, Neuron, Layer, MLP), line for line, on the given Value type."""

    class Module:
        def zero_grad(self):
            for p in self.parameters():
                p.grad = 0

        def parameters(self):
            return []

    class Neuron(Module):
        def __init__(self, nin, nonlin=True):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self):
            return self.w + [self.b]

    class Layer(Module):
        def __init__(self, nin, nout, **kwargs):
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x):
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]

    class MLP(Module):
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    return MLP


def demo_step(Value, seed=1337):
    """step(lr): one step of micrograd's demo.ipynb training loop, as written there, on `Value`.

    X rows are numpy arrays (their numbers numpy floats) and y numpy ints, as sklearn gives them."""
    MLP = demo_classes(Value)
    random.seed(seed)
    model = MLP(SIZES[0], list(SIZES[1:]))
    X, y = make_moons(100, noise=0.1, seed=0)
    y = y.astype(np.int64)

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    def step(learning_rate):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return float(total_loss.data)

    return step


def demo_contenders():
    """micrograd's demo loop, unchanged, on micrograd's Value and on ours (default collector, and paused)."""
    from micrograd.engine import Value as MValue

    ours, ours_nogc = demo_step(Value), demo_step(Value)
    return {
        "micrograd": demo_step(MValue),
        "ours (default GC)": ours,
        "ours (GC paused)": lambda lr: gc_paused(ours_nogc, lr),
    }


# ---- our engine, one Value per number (the same graph micrograd builds) ----
def scalar_model(weights):
    """Layers of neurons [(ws, b)] holding the given weights as parameter Values."""
    return [
        [([Value(w, role="parameter") for w in W[:, j]], Value(b[j], role="parameter")) for j in range(W.shape[1])]
        for W, b in weights
    ]


def scalar_parameters(model):
    return [p for layer in model for ws, b in layer for p in (*ws, b)]


def scalar_forward(model, x):
    """ReLU hidden layers, linear output: act = b + sum_i w_i x_i, summed in micrograd's order."""
    last = len(model) - 1
    for i, layer in enumerate(model):
        out = []
        for ws, b in layer:
            act = b
            for w, xi in zip(ws, x):
                act = act + w * xi
            out.append(act if i == last else act.relu())
        x = out
    return x[0]


def scalar_step(model, params, X, y, lr):
    """One full-batch SGD step with our scalar Values; returns the loss before the step."""
    scores = [scalar_forward(model, list(map(Value, row))) for row in X.tolist()]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    loss = data_loss + ALPHA * sum(p * p for p in params)
    for p in params:
        p.zero_grad()
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data


def gc_paused(step, *args):
    """step(*args) with Python's cyclic collector paused, then restored as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return step(*args)
    finally:
        if enabled:
            gc.enable()


def scalar_step_gc_paused(model, params, X, y, lr):
    """scalar_step with the collector paused: safe, our graphs hold no reference cycles."""
    return gc_paused(scalar_step, model, params, X, y, lr)


# ---- our engine with arrays: X is one (100, 2) Value ----
def batched_model(weights):
    return [(Value(W, role="parameter"), Value(b, role="parameter")) for W, b in weights]


def batched_step(model, X, y, lr):
    """The same model and loss with whole arrays: h = relu(h @ W + b), linear last layer."""
    h = X
    for i, (W, b) in enumerate(model):
        h = h @ W + b
        if i < len(model) - 1:
            h = h.relu()
    data_loss = (1 + -y * h).relu().sum() * (1.0 / len(y))
    loss = data_loss + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in model)
    for W, b in model:
        W.zero_grad()
        b.zero_grad()
    loss.backward()
    for W, b in model:
        W.data -= lr * W.grad
        b.data -= lr * b.grad
    return loss.data


def numpy_step(weights, X, y, lr):
    """The batched step in numpy written by hand: forward, the backward pass derived on paper, SGD.

    `weights` [(W, b)] is changed in place; returns the loss before the step."""
    hs, h = [X], X
    for i, (W, b) in enumerate(weights):
        h = h @ W + b
        if i < len(weights) - 1:
            h = np.maximum(h, 0.0)
        hs.append(h)
    margin = 1 + -y * h
    n = len(y)
    data_loss = np.maximum(margin, 0.0).sum() * (1.0 / n)
    loss = data_loss + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in weights)
    g = (margin > 0) * (1.0 / n) * -y  # dL/dh of the output layer
    for i in range(len(weights) - 1, -1, -1):
        W, b = weights[i]
        if i < len(weights) - 1:
            g = g * (hs[i + 1] > 0)
        gW = hs[i].T @ g + ALPHA * 2 * W
        gb = g.sum(axis=0) + ALPHA * 2 * b
        g = g @ W.T
        W -= lr * gW
        b -= lr * gb
    return float(loss)


def torch_model(weights):
    import torch

    return [
        (torch.tensor(W, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64, requires_grad=True))
        for W, b in weights
    ]


def torch_step(model, X, y, lr):
    """The batched step in PyTorch (float64, CPU), written the same way."""
    import torch

    h = X
    for i, (W, b) in enumerate(model):
        h = h @ W + b
        if i < len(model) - 1:
            h = h.relu()
    data_loss = (1 + -y * h).relu().sum() * (1.0 / len(y))
    loss = data_loss + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in model)
    for W, b in model:
        W.grad = None
        b.grad = None
    loss.backward()
    with torch.no_grad():
        for W, b in model:
            W -= lr * W.grad
            b -= lr * b.grad
    return loss.item()


# ---- timing ----
# CPU time of this process (all its threads), not wall time: the machines this runs on are
# often shared, and other programs' load would otherwise land in our numbers.
clock = time.process_time


def _time_block(step, steps, k0):
    """Milliseconds per step over `steps` consecutive steps, and the losses they returned."""
    losses = []
    t0 = clock()
    for k in range(k0, k0 + steps):
        losses.append(step(learning_rate(k)))
    return (clock() - t0) * 1000.0 / steps, losses


def interleaved(contenders, repeats, steps):
    """Run blocks of `steps` training steps of each contender in turn, `repeats` times.

    Every contender trains its own copy of the same model, so all see the same losses. A full
    collection between blocks (not timed) keeps one contender's garbage out of the next one's time.
    Returns {name: (median ms per step, [every loss])}.
    """
    times = {name: [] for name in contenders}
    losses = {name: [] for name in contenders}
    for r in range(repeats):
        for name, step in contenders.items():
            gc.collect()
            ms, ls = _time_block(step, steps, r * steps)
            times[name].append(ms)
            losses[name].extend(ls)
    return {name: (statistics.median(times[name]), losses[name]) for name in contenders}


def scalar_contenders(n=100, seed=0):
    """micrograd and our engine (default GC, GC paused), each with its own copy of one initial model.

    "micrograd (GC paused)" shows where micrograd's time goes; it is not a way to run micrograd:
    its graphs are reference cycles, left for the (untimed) collection between blocks.
    """
    X, y = make_moons(n, noise=0.1, seed=seed)
    mg, mg_nogc = micrograd_model(), micrograd_model()
    weights = micrograd_weights(mg)
    ours, ours_nogc = scalar_model(weights), scalar_model(weights)
    p1, p2 = scalar_parameters(ours), scalar_parameters(ours_nogc)
    return {
        "micrograd": lambda lr: micrograd_step(mg, X, y, lr),
        "micrograd (GC paused)": lambda lr: gc_paused(micrograd_step, mg_nogc, X, y, lr),
        "ours (default GC)": lambda lr: scalar_step(ours, p1, X, y, lr),
        "ours (GC paused)": lambda lr: scalar_step_gc_paused(ours_nogc, p2, X, y, lr),
    }


def batched_contenders(n=100, seed=0):
    """Our engine with arrays and, when installed, PyTorch (one thread), from the same weights."""
    X, y = make_moons(n, noise=0.1, seed=seed)
    weights = micrograd_weights(micrograd_model())
    Xv, yv = Value(X, role="constant"), y.reshape(-1, 1)
    ours = batched_model(weights)
    by_hand = [(W.copy(), b.copy()) for W, b in weights]
    out = {"ours, arrays": lambda lr: batched_step(ours, Xv, yv, lr),
           "numpy written by hand": lambda lr: numpy_step(by_hand, X, yv, lr)}
    try:
        import torch
    except ImportError:
        return out
    torch.set_num_threads(1)
    Xt, yt = torch.tensor(X), torch.tensor(yv)
    tm = torch_model(weights)
    out[f"PyTorch {torch.__version__} CPU, 1 thread"] = lambda lr: torch_step(tm, Xt, yt, lr)
    return out


def check_same_losses(results, tol):
    """Every contender saw the same losses (same model, same data, same steps)."""
    names = list(results)
    ref = results[names[0]][1]
    for name in names[1:]:
        diff = max(abs(a - b) for a, b in zip(ref, results[name][1]))
        if diff > tol:
            raise AssertionError(f"{name} drifted from {names[0]}: largest loss difference {diff:.3g} > {tol}")


def _table(title, results, baseline):
    base = results[baseline][0]
    head = f"time of {baseline} / time"
    width = max(len(name) for name in results)
    lines = [title, "", f"| {'engine':<{width}} | ms / step | {head} |",
             f"|{'-' * (width + 2)}|----------:|{'-' * (len(head) + 1)}:|"]
    for name, (ms, _) in results.items():
        lines.append(f"| {name:<{width}} | {ms:9.2f} | {f'{base / ms:.1f}x':>{len(head)}} |")
    return "\n".join(lines)


def _initial_losses(contenders):
    """Each contender's loss at step 0 (one step is taken); they must agree to 1e-9."""
    first = {name: step(learning_rate(0)) for name, step in contenders.items()}
    spread = max(first.values()) - min(first.values())
    assert spread < 1e-9, f"initial losses differ by {spread:.3g}: {first}"
    return first


def main(repeats=7, steps=2):
    """Print the tables and the goals; returns whether every goal was met."""
    print("MLP 2-16-16-1 (ReLU hidden, linear output), 100 two-moons points (noise 0.1), "
          "SVM max-margin loss + 1e-4 L2, full-batch SGD, micrograd's initial weights in every engine.")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    first = _initial_losses(demo_contenders())
    loss0 = first["micrograd"]
    demo = interleaved(demo_contenders(), repeats, steps)
    check_same_losses(demo, 1e-9)
    print(f"step-0 loss {loss0:.12f} in every engine; CPU ms per step, median of {repeats} interleaved "
          f"blocks of {steps} steps.\n")
    print(_table("micrograd's demo notebook as written (its nn.py, Value-wrapped numpy inputs, sum(), p.grad = 0), "
                 "on each engine's Value:", demo, "micrograd"))
    speedup = demo["micrograd"][0] / demo["ours (default GC)"][0]
    met = speedup >= SCALAR_GOAL  # every goal printed met: `make bench` fails otherwise
    print(f"Goal: ours with Python's default collector >= {SCALAR_GOAL:g}x faster than micrograd on its demo as "
          f"written: {speedup:.1f}x, {'met' if met else 'NOT met'}.\n")

    first = _initial_losses(scalar_contenders())
    scalar = interleaved(scalar_contenders(), repeats, steps)
    check_same_losses(scalar, 1e-9)
    print(_table("Our variant of the step (plain floats as inputs, zero_grad(); ~66,000 nodes per step):",
                 scalar, "micrograd"))
    variant = scalar["micrograd"][0] / scalar["ours (default GC)"][0]
    print(f"(ours with the default collector: {variant:.1f}x micrograd's time; not the goal's measure)\n")

    # Imported only now (by batched_contenders): a heap holding torch would slow every
    # collection in the scalar sections above.
    first = _initial_losses(batched_contenders())
    spread = max(abs(v - loss0) for v in first.values())
    assert spread < 1e-9, f"batched step-0 losses differ from micrograd's by {spread:.3g}"
    batched = interleaved(batched_contenders(), repeats * 20, steps * 10)
    check_same_losses(batched, 1e-9)
    names = list(batched)
    print(_table(f"Batched (X is one (100, 2) array; median of {repeats * 20} blocks of {steps * 10} steps):",
                 batched, names[-1]))
    ours, by_hand = batched["ours, arrays"][0], batched["numpy written by hand"][0]
    print(f"ours / numpy written by hand: {ours / by_hand:.1f}x the time.")
    if not any(name.startswith("PyTorch") for name in names):
        print("(PyTorch is not installed: no reference for the batched path.)")
    else:
        share = ours / batched[names[-1]][0]
        print(f"Goal: ours with arrays <= {BATCHED_GOAL:g}x PyTorch's time per step: {share:.2f}x, "
              f"{'met' if share <= BATCHED_GOAL else 'NOT met'}.")
        met = met and share <= BATCHED_GOAL
    return met


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
