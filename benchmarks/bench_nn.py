"""Benchmark: one full-batch training step of nn.MLP (scalar parameters stacked per step) against array parameters and PyTorch.

nn.MLP keeps one scalar Value per weight (micrograd's model, so a drawn graph shows the real
parameters); a batch stacks them into W and b once per forward. This measures what that costs
against the same network written with array parameters (W, b as array Values, no stacking) and
against PyTorch, all from the same weights, on the same data, seeing the same losses.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backprop_viz import Value, data, nn  # noqa: E402

SIZES = (2, 16, 16, 1)
N, LR = 200, 0.5
clock = time.process_time  # CPU time: other programs' load on a shared machine stays out


def weights(model):
    """[(W, b)] per layer as numpy arrays from an nn.MLP, W[i, j] = neurons[j].w[i]."""
    return [(np.array([[n.w[i].data for n in layer.neurons] for i in range(layer.n_in)]),
             np.array([n.b.data for n in layer.neurons])) for layer in model.layers]


def mlp_contender(X, y):
    m = nn.MLP(SIZES[0], list(SIZES[1:]), seed=0)
    opt = nn.SGD(m.parameters(), LR)

    def step():
        L = nn.binary_cross_entropy(m(X), y)
        opt.zero_grad()
        L.backward()
        opt.step()
        return L.data

    return lambda k: [step() for _ in range(k)]


def train_contender(X, y):
    m = nn.MLP(SIZES[0], list(SIZES[1:]), seed=0)
    opt = nn.SGD(m.parameters(), LR)
    return lambda k: nn.train(m, X, y, nn.binary_cross_entropy, steps=k, optimizer=opt).losses[:-1]


def array_contender(X, y):
    params = [(Value(W, role="parameter"), Value(b, role="parameter"))
              for W, b in weights(nn.MLP(SIZES[0], list(SIZES[1:]), seed=0))]
    opt = nn.SGD([p for pair in params for p in pair], LR)

    def step():
        h = X
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = h.tanh()
        L = nn.binary_cross_entropy(h.reshape(len(y)), y)
        opt.zero_grad()
        L.backward()
        opt.step()
        return L.data

    return lambda k: [step() for _ in range(k)]


def torch_contender(X, y):
    import torch

    torch.set_num_threads(1)
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
              for W, b in weights(nn.MLP(SIZES[0], list(SIZES[1:]), seed=0))]
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step():
        h = Xt
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = torch.tanh(h)
        L = torch.nn.functional.binary_cross_entropy_with_logits(h.reshape(-1), yt)
        for W, b in params:
            W.grad = b.grad = None
        L.backward()
        with torch.no_grad():
            for W, b in params:
                W -= LR * W.grad
                b -= LR * b.grad
        return L.item()

    return lambda k: [step() for _ in range(k)]


def contenders():
    X, y = data.moons(n=N, seed=0)
    out = {
        "nn.MLP, scalar parameters stacked": mlp_contender(X, y),
        "nn.train on nn.MLP (keeps a History)": train_contender(X, y),
        "same net, array parameters W, b": array_contender(X, y),
    }
    try:
        import torch
    except ImportError:
        return out
    out[f"PyTorch {torch.__version__} CPU, 1 thread"] = torch_contender(X, y)
    return out


def interleaved(runs, repeats=15, block=20):
    """Median CPU ms per step over `repeats` interleaved blocks of `block` steps; every loss seen.

    Each contender is run(k) -> the k losses of k steps from where it stands."""
    times = {name: [] for name in runs}
    losses = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            t0 = clock()
            seen = run(block)
            times[name].append((clock() - t0) * 1000.0 / block)
            losses[name] += [float(v) for v in seen]
    return {name: (statistics.median(times[name]), losses[name]) for name in runs}


def main():
    print(f"MLP {'-'.join(map(str, SIZES))} (tanh hidden, linear output), {N} two-moons points, binary "
          f"cross-entropy, full-batch SGD lr = {LR}, the same initial weights everywhere.")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    results = interleaved(contenders())
    ref_name = next(iter(results))
    ref = results[ref_name][1]
    for name, (_, ls) in results.items():
        diff = max(abs(a - b) for a, b in zip(ref, ls))
        assert diff < 1e-9, f"{name} drifted from {ref_name}: largest loss difference {diff:.3g}"
    base = results[ref_name][0]
    width = max(map(len, results))
    print(f"every contender saw the same {len(ref)} losses ({ref[0]:.6f} → {ref[-1]:.6f}); "
          "CPU ms per step, median of 15 interleaved blocks of 20 steps.\n")
    print(f"| {'contender':<{width}} | ms / step | time / time of nn.MLP |")
    print(f"|{'-' * (width + 2)}|----------:|----------------------:|")
    for name, (ms, _) in results.items():
        print(f"| {name:<{width}} | {ms:9.3f} | {ms / base:20.2f}x |")
    return results


if __name__ == "__main__":
    main()
