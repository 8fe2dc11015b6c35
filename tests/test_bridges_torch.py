"""The PyTorch bridge: torch code inside `with record()` gives an ordinary trace whose leaf
gradients are PyTorch's .grad — random small networks, every op of the list, float32, names,
training steps, an op it does not know, JSON and frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_viz import Trace, frames, record
from strategies import programs, run

torch = pytest.importorskip("torch", reason="PyTorch is not installed; `pip install torch==2.13.0` to run the "
                            "PyTorch bridge's tests (CI installs it)")
nn, F = torch.nn, torch.nn.functional
from backprop_viz.bridges.torch import UnsupportedTorchOp  # noqa: E402

pytestmark = pytest.mark.torch
F64 = dict(rtol=1e-12, atol=1e-12)  # float64: the recorded gradients are PyTorch's to rounding
F32 = dict(rtol=1e-4, atol=1e-5)  # float32: PyTorch rounds every step to 7 digits, we compute in float64
_settings = settings(deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def recorded_grads(trace):
    """label -> the gradient the trace's backward pass gave each leaf (its state after the last step)."""
    last = trace.snapshot(len(trace))
    return {trace.label(i): last.grads[i] for i in range(trace.num_nodes)
            if trace.kind(i) == "parameter" and trace.label(i) is not None}


def assert_grads_match(trace, params, **tol):
    grads = recorded_grads(trace)
    assert set(grads) == set(params), (set(grads), set(params))
    for name, p in params.items():
        np.testing.assert_allclose(grads[name], p.grad.double().numpy(), err_msg=name, **tol)


def largest_difference(trace, params):
    grads = recorded_grads(trace)
    return max(float(np.max(np.abs(grads[n] - p.grad.double().numpy()) / (1 + np.abs(p.grad.double().numpy()))))
               for n, p in params.items())


# ---- random small networks ----
ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": F.relu}


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    return {"sizes": sizes, "n": draw(st.integers(1, 5)), "seed": draw(st.integers(0, 10_000)),
            "modules": draw(st.booleans()), "act": draw(st.sampled_from(sorted(ACTIVATIONS))),
            "loss": draw(st.sampled_from(["mse", "bce", "by hand"])), "dtype": torch.float64}


class Net(nn.Module):
    def __init__(self, sizes, act):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = act

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = ACTIVATIONS[self.act](x)
        return x


def train_step(spec):
    """One forward + backward of a random network, recorded; returns (trace, parameters by name)."""
    g = torch.Generator().manual_seed(spec["seed"])
    sizes, dtype = spec["sizes"], spec["dtype"]
    X = torch.randn(spec["n"], sizes[0], generator=g, dtype=dtype)
    y = torch.rand(spec["n"], sizes[-1], generator=g, dtype=dtype)
    if spec["modules"]:
        torch.manual_seed(spec["seed"])
        net = Net(sizes, spec["act"]).to(dtype)
        params = dict(net.named_parameters())
        forward = net
    else:
        params = {}
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            params[f"W{i}"] = (torch.randn(a, b, generator=g, dtype=dtype) * 0.8).requires_grad_()
            params[f"b{i}"] = (torch.randn(b, generator=g, dtype=dtype) * 0.1).requires_grad_()

        def forward(h):
            for i in range(len(sizes) - 1):
                h = h @ params[f"W{i}"] + params[f"b{i}"]
                if i < len(sizes) - 2:
                    h = ACTIVATIONS[spec["act"]](h)
            return h
    with record() as trace:
        out = forward(X)
        if spec["loss"] == "mse":
            loss = F.mse_loss(out, y)
        elif spec["loss"] == "bce":
            loss = F.binary_cross_entropy_with_logits(out, y)
        else:
            loss = ((out - y) ** 2).sum(dim=1).mean() / 2
        loss.backward()
    return trace, params


@_settings
@given(networks())
def test_random_networks_record_pytorchs_gradients(spec):
    trace, params = train_step(spec)
    assert_grads_match(trace, params, **F64)
    assert trace.passes == 1 and len(trace.seed_steps()) == 1


def test_module_parameters_are_named_as_pytorch_names_them():
    trace, params = train_step({"sizes": [2, 3, 1], "n": 4, "seed": 1, "modules": True, "act": "tanh",
                                "loss": "mse", "dtype": torch.float64})
    assert set(recorded_grads(trace)) == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(2, 3), nn.Linear(3, 1)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    torch.manual_seed(0)
    model, lin = TwoLayer().double(), nn.Linear(1, 1).double()
    X = torch.randn(5, 2, dtype=torch.float64)
    with record() as t:
        loss = lin(model(X)).mean()
        loss.backward()
    names = {t.label(i) for i in range(t.num_nodes) if t.kind(i) == "parameter"}
    assert names == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "lin.weight", "lin.bias"}
    assert "loss" in {t.label(i) for i in range(t.num_nodes)}  # a computed tensor named by its variable
    assert_grads_match(t, {**dict(model.named_parameters()),
                           **{f"lin.{k}": v for k, v in lin.named_parameters()}}, **F64)


def test_float32_gradients_match_to_float32_rounding():
    worst = 0.0
    for seed in range(20):
        spec = {"sizes": [3, 4, 4, 1], "n": 6, "seed": seed, "modules": seed % 2 == 0, "act": "tanh",
                "loss": ("mse", "bce", "by hand")[seed % 3], "dtype": torch.float32}
        trace, params = train_step(spec)
        assert_grads_match(trace, params, **F32)
        worst = max(worst, largest_difference(trace, params))
    assert worst < 1e-5, worst  # measured: about 1e-7 (float32's epsilon is 1.2e-7)


# ---- every op of the list, on random graphs of the engine's op table ----
@_settings
@given(programs(max_leaves=3, max_steps=8))
def test_random_graphs_of_every_op_record_pytorchs_gradients(program):
    assume(all(name != "stack" for name, _, _ in program.steps))
    assume(len({str(np.asarray(x).tolist()) for x in program.leaves}) == len(program.leaves))  # told apart by value
    leaves = {f"x{i}": torch.tensor(x, dtype=torch.float64, requires_grad=True) for i, x in enumerate(program.leaves)}
    with record() as trace:
        loss, _ = run(program, list(leaves.values()), "torch")
        loss.backward()
    last = trace.snapshot(len(trace))
    for name, t in leaves.items():  # a leaf's node is the one that started with its value
        nodes = [i for i in range(trace.num_nodes) if trace.kind(i) == "parameter"
                 and np.array_equal(trace.initial(i), t.detach().numpy())]
        assume(len(nodes) <= 1)
        if t.grad is None:
            assert not nodes or not np.any(last.grads[nodes[0]]), name
        else:
            np.testing.assert_allclose(last.grads[nodes[0]], t.grad.numpy(), err_msg=name, **F64)


def test_each_listed_op_is_recorded():
    g = torch.Generator().manual_seed(3)
    A = torch.rand(3, 4, generator=g, dtype=torch.float64).add(0.5).requires_grad_()
    B = torch.rand(4, 2, generator=g, dtype=torch.float64).add(0.5).requires_grad_()
    bias = torch.rand(2, generator=g, dtype=torch.float64)
    with record() as t:
        C = (A @ B).t().transpose(0, 1).T.T
        D = (-A).exp() + A.log() * torch.tanh(A) - torch.sigmoid(A) / 2 + F.relu(A - 1) ** 2
        E = D.sum(dim=1, keepdim=True).mean() + D.mean(0).sum() + D.reshape(2, 6).sum() + D.view(-1).mean()
        F_ = 3.0 - E + 2 / (1 + C.sum()) + torch.neg(E) * 0.5
        loss = F_ + F.linear(A, B.T, bias).sum() + F.mse_loss(C, torch.ones(3, 2, dtype=torch.float64))
        loss.backward()
    ops = {t.op(i) for i in range(t.num_nodes)}
    assert {"@", "T", "neg", "exp", "log", "tanh", "sigmoid", "relu", "**", "sum", "mean", "reshape",
            "+", "-", "*", "/"} <= ops
    assert_grads_match(t, {"A": A, "B": B}, **F64)


def test_training_steps_are_passes_with_updates():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 1, dtype=torch.float64)
    with record() as t:
        for _ in range(3):
            opt.zero_grad()
            loss = nn.MSELoss()(model(X), y)
            loss.backward()
            opt.step()
    assert t.passes == 3 and len(t.seed_steps()) == 3
    assert "update" in {t.kind_at(i) for i in range(len(t))}
    assert {t.label(i) for i in range(t.num_nodes) if t.kind(i) == "parameter"} == \
        {"model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"}
    # the last pass's gradients are PyTorch's last .grad (zero_grad() between steps is followed)
    assert_grads_match(t, {f"model.{k}": v for k, v in model.named_parameters()}, **F64)


def test_an_unknown_op_raises_at_that_op_naming_it_and_the_list():
    w = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    with record():
        h = w * 2
        with pytest.raises(UnsupportedTorchOp) as err:
            torch.special.erf(h)
    text = str(err.value)
    assert "torch.special.erf" in text and "+ - * / @ **" in text and "F.mse_loss" in text and "backward" in text
    with record():  # data, reads and no_grad code are not part of a graph: nothing to refuse
        x = torch.special.erf(torch.ones(2))
        with torch.no_grad():
            torch.special.erf(w)
        assert w.detach().sum().item() == -0.5 and w.shape == (2,) and x.shape == (2,)
    with record(), pytest.raises(UnsupportedTorchOp, match=r"torch\.cat"):
        torch.cat([w, w])


def test_without_a_record_block_nothing_is_recorded_and_torch_runs_as_usual():
    w = torch.tensor(2.0, requires_grad=True)
    (w * w).backward()
    assert w.grad.item() == 4.0
    with record() as t:
        pass
    assert len(t) == 0


@pytest.mark.dot
def test_torch_traces_survive_json_and_draw_frames_that_do_not_move():
    from test_render import positions

    trace, params = train_step({"sizes": [2, 3, 1], "n": 4, "seed": 2, "modules": True, "act": "relu",
                                "loss": "bce", "dtype": torch.float64})
    back = Trace.from_json(trace.to_json())
    assert back.to_json() == trace.to_json() and len(back) == len(trace)
    assert all(back.snapshot(k).caption() == trace.snapshot(k).caption() for k in range(0, len(trace) + 1, 5))
    fr = frames(back)
    first = positions(fr[0])
    assert len(first) > 10 and all(positions(fr[k]) == first for k in range(len(fr)))


def test_another_threads_pytorch_ops_never_land_in_the_recording():
    import threading

    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    go, done = threading.Event(), threading.Event()

    def background():
        go.wait()
        for _ in range(100):
            (w * 3).sum()
        done.set()

    threading.Thread(target=background).start()
    with record() as t:
        go.set()
        done.wait()
        (w * 2).sum().backward()
    assert [t.op(i) for i in range(t.num_nodes)] == ["", "", "*", "sum"]


def test_a_dropped_engine_trace_is_freed_with_torch_imported():
    import gc
    import weakref

    from backprop_viz import Value

    w = Value(np.ones((5, 5)), "w", role="parameter")
    gc.disable()  # freed by reference counting alone: the PyTorch bridge keeps nothing of the block
    try:
        with record() as trace:
            (w * w).sum().backward()
        ref = weakref.ref(trace)
        del trace
        assert ref() is None
    finally:
        gc.enable()
