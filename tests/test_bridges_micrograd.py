"""The micrograd bridge: micrograd's own tests and demo loop on our Value, and trace_of() of
micrograd-style graphs (micrograd's Value, the lecture's own class, a planted wrong _backward)."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_viz import BackpropPlayer, Trace, Value, data, frames, trace_of
from backprop_viz.bridges import from_micrograd

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed; "
                                       "`pip install micrograd==0.1.0` (requirements-test.txt) to run these")
MValue = micrograd_engine.Value
ROOT = Path(__file__).resolve().parent.parent


# ---- micrograd's own tests (test/test_engine.py), with the Value class as a parameter ----
def sanity_check(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; `pip install torch==2.13.0` to compare")


def test_micrograd_sanity_check_runs_on_our_value():
    x, y = sanity_check(Value)
    mx, my = sanity_check(MValue)
    assert (y.data, x.grad) == (my.data, mx.grad)


def test_micrograd_more_ops_run_on_our_value():
    a, b, g = more_ops(Value)
    ma, mb, mg = more_ops(MValue)
    assert math.isclose(g.data, mg.data, rel_tol=1e-12)
    assert math.isclose(a.grad, ma.grad, rel_tol=1e-12) and math.isclose(b.grad, mb.grad, rel_tol=1e-12)


@pytest.mark.torch
def test_micrograd_tests_against_pytorch_as_micrograd_does():
    torch = _torch()

    class T:  # micrograd's tests build the same expressions on torch tensors
        def __new__(cls, x):
            return torch.tensor([x], dtype=torch.float64, requires_grad=True)

    x, y = sanity_check(Value)
    tx = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    z = 2 * tx + 2 + tx
    q = z.relu() + z * tx
    h = (z * z).relu()
    ty = h + q + q * tx
    ty.backward()
    assert y.data == ty.data.item() and x.grad == tx.grad.item()
    a, b, g = more_ops(Value)
    ta, tb = T(-4.0), T(2.0)
    tc = ta + tb
    td = ta * tb + tb**3
    tc = tc + tc + 1
    tc = tc + 1 + tc + (-ta)
    td = td + td * 2 + (tb + ta).relu()
    td = td + 3 * td + (tb - ta).relu()
    tg = (tc - td) ** 2 / 2.0
    tg = tg + 10.0 / (tc - td) ** 2
    tg.backward()
    tol = 1e-6  # micrograd's own tolerance
    assert abs(g.data - tg.data.item()) < tol
    assert abs(a.grad - ta.grad.item()) < tol and abs(b.grad - tb.grad.item()) < tol


# ---- micrograd's demo loop, through micrograd's nn module ----
def demo_losses(value_class, steps=15, n=100):
    """micrograd's demo.ipynb: MLP 2-16-16-1 on moons, SVM max-margin loss + 1e-4 L2, SGD with its
    decaying rate; micrograd.nn builds the model from `value_class`. The loss of each step, and the time."""
    import micrograd.nn as mnn

    X, y = data.moons(n, noise=0.1, seed=1)
    y = data.as_signs(y)
    saved = mnn.Value
    mnn.Value = value_class
    try:
        random.seed(1337)
        model = mnn.MLP(2, [16, 16, 1])
        out, start = [], time.perf_counter()
        for k in range(steps):
            inputs = [list(map(value_class, row)) for row in X]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
            model.zero_grad()
            total.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= lr * p.grad
            out.append(total.data)
        return out, time.perf_counter() - start
    finally:
        mnn.Value = saved


@pytest.mark.slow
def test_micrograd_demo_loop_runs_on_our_value_with_the_same_losses_and_faster():
    pytest.importorskip("micrograd.nn")
    ours, t_ours = demo_losses(Value, n=30)  # 30 of the demo's 100 points keep the test short
    theirs, t_theirs = demo_losses(MValue, n=30)
    assert len(ours) == 15 and ours[-1] < ours[0]  # it trains
    for a, b in zip(ours, theirs):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (a, b)  # the same loss to 12 digits
    # README: about 8x faster (micrograd spends most of a step in the cyclic collector); 3x leaves room
    # for a busy machine
    assert t_theirs / t_ours > 3, (t_ours, t_theirs)


# ---- trace_of() of micrograd-style graphs ----
class Lecture:
    """The lecture's own Value class ("the spelled-out intro to backpropagation"): a set of children,
    the op as text, a label; + * **k tanh exp. `wrong` plants a mistake in one op's _backward."""

    wrong = None

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, Lecture) else Lecture(other)
        out = Lecture(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Lecture) else Lecture(other)
        out = Lecture(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            # the planted bug: other's local derivative is self.data; the student wrote other.data
            other.grad += (other.data if Lecture.wrong == "*" else self.data) * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Lecture(self.data ** k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __radd__(self, other):
        return self + other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other ** -1

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Lecture(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Lecture(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def lecture_neuron():
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b), with its labels, tanh written with exp too."""
    x1, x2 = Lecture(2.0, label="x1"), Lecture(0.0, label="x2")
    w1, w2 = Lecture(-3.0, label="w1"), Lecture(1.0, label="w2")
    b = Lecture(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    e = (2 * n).exp()
    e.label = "e"
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def _leaf_grads(trace):
    last = trace.snapshot(len(trace))
    return {trace.label(i): last.grads[i] for i in range(trace.num_nodes) if trace.kind(i) != "computed"}


def _same(a, b):
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def test_trace_of_the_lectures_neuron_keeps_labels_and_gradients():
    o, leaves = lecture_neuron()
    o.backward()
    t = trace_of(o)
    assert t.note() is None  # the class's own gradients agree with the chain rule
    labels = [t.label(i) for i in range(t.num_nodes)]
    assert {"x1", "x2", "w1", "w2", "b", "x1w1", "x2w2", "n", "e", "o"} <= set(labels)
    grads = _leaf_grads(t)
    for name, leaf in leaves.items():
        assert _same(grads[name], leaf.grad), name
    assert _same(grads["w1"], 1.0) and _same(grads["x1"], -1.5)  # the lecture's numbers: o = 0.7071
    ops = {t.op(i) for i in range(t.num_nodes)}
    assert {"*", "+", "exp", "**"} <= ops and "tanh" not in ops
    assert t.arg(next(i for i in range(t.num_nodes) if t.op(i) == "**")) == -1.0  # / is * x**-1: the exponent read


def test_trace_of_micrograd_values_fan_out_powers_relu():
    a, b = MValue(2.0), MValue(-3.0)
    twice = a + a  # one _prev entry, two uses
    square = b * b
    shared = twice * square
    L = (shared + shared ** 2).relu() + (a ** 3 + (b * -1).relu()) * shared
    L.backward()
    t = trace_of(L)
    assert t.note() is None
    mine = {i: t.parents(i) for i in range(t.num_nodes) if t.op(i) in ("+", "*") and len(set(t.parents(i))) == 1}
    assert len(mine) == 2  # a + a and b * b: both operands the same node
    last = t.snapshot(len(t))
    leaves = [i for i in range(t.num_nodes) if t.kind(i) == "input"]
    values = {last.values[i]: last.grads[i] for i in leaves}
    assert _same(values[2.0], a.grad) and _same(values[-3.0], b.grad)
    assert sorted(t.arg(i) for i in range(t.num_nodes) if t.op(i) == "**") == [2.0, 3.0]
    assert "relu" in {t.op(i) for i in range(t.num_nodes)}


def test_trace_of_micrograd_values_is_the_same_every_time():
    def build():
        x = MValue(-4.0)
        z = 2 * x + 2 + x
        y = (z * z).relu() + z.relu() + z * x
        y.backward()
        return trace_of(y).to_json()
    assert build() == build()


def test_trace_of_a_graph_whose_backward_has_not_run_compares_nothing():
    o, _ = lecture_neuron()
    t = trace_of(o)
    assert t.note() is None and len(t.seed_steps()) == 1  # its backward pass is recorded all the same


def first_example(wrong=None):
    """micrograd's first example, L = (a·b + c)·f, in the lecture's class (with a planted bug)."""
    Lecture.wrong = wrong
    try:
        a, b, c, f = (Lecture(x, label=n) for x, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")))
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        L = d * f
        L.label = "L"
        L.backward()
    finally:
        Lecture.wrong = None
    return L, {"a": a, "b": b, "c": c, "f": f}


def test_a_planted_wrong_backward_is_named_in_the_note():
    L, leaves = first_example(wrong="*")  # each * hands its second operand the wrong gradient: b and f
    t = trace_of(L)
    note, note_ko = t.note(), t.note("ko")
    assert note is not None and note_ko is not None and note != note_ko
    differ = note.split(": ", 1)[1].split(". ")[0]
    assert "b (its .grad 6, the chain rule −4)" in differ and "f (its .grad −2, the chain rule 4)" in differ
    assert "a (" not in differ and "c (" not in differ  # their gradients are right
    assert "at 2 of 7 nodes" in note and "is f: check the _backward of L = " in note
    assert "f (.grad −2, 연쇄 법칙 4)" in note_ko and "_backward" in note_ko and "다릅니다" in note_ko
    grads = _leaf_grads(t)  # the trace has the chain rule's numbers, not the class's
    assert (grads["b"], grads["f"], leaves["b"].grad, leaves["f"].grad) == (-4.0, 4.0, 6.0, -2.0)
    back = Trace.from_json(t.to_json())
    assert back.note() == note and back.note("ko") == note_ko
    assert trace_of(first_example()[0]).note() is None


def test_an_unknown_op_says_what_is_rebuilt():
    a = MValue(1.0)
    out = MValue(math.sin(1.0), (a,), "sin")
    with pytest.raises(ValueError, match=r"'sin'.*\+, \*, \*\*k, tanh, exp, ReLU"):
        trace_of(out)


def test_parameters_are_drawn_as_parameters():
    o, leaves = lecture_neuron()
    t = from_micrograd(o, parameters=[leaves["w1"], leaves["w2"], leaves["b"]])
    kinds = {t.label(i): t.kind(i) for i in range(t.num_nodes)}
    assert kinds["w1"] == kinds["b"] == "parameter" and kinds["x1"] == "input"


def test_a_note_is_text_with_an_english_one():
    t = trace_of(Value(1.0) * 2.0)
    assert t.note() is None
    with pytest.raises(TypeError):
        t.set_note({"ko": "만"})
    t.set_note({"en": "one", "ko": "하나"})
    assert (t.note(), t.note("ko"), t.note("fr")) == ("one", "하나", "one")
    assert '"note"' in t.to_json() and Trace.from_json(t.to_json()).note("ko") == "하나"
    t.set_note(None)
    assert t.note() is None and '"note"' not in t.to_json()
    with pytest.raises(ValueError, match="note"):
        Trace.from_json(t.to_json()[:-1] + ', "note": 3}')


@pytest.mark.dot
def test_the_player_shows_the_note_and_frames_do_not_move():
    from test_render import positions

    t = Trace.from_json(trace_of(first_example(wrong="*")[0]).to_json())
    player = BackpropPlayer(t, lang="ko")
    assert player.note.layout.display == "block" and "_backward" in player.note.value
    assert "bpv-note" in player.note._dom_classes and player.note in player.children
    good, _ = lecture_neuron()
    good.backward()
    player.load(trace_of(good))
    assert player.note.layout.display == "none" and player.note.value == ""
    fr = frames(t)
    first = positions(fr[0])
    assert len(first) > 10 and all(positions(fr[k]) == first for k in range(len(fr)))


def test_importing_and_recording_never_import_torch():
    code = ("import sys\nfrom micrograd.engine import Value as M\nfrom backprop_viz import Value, record, trace_of\n"
            "with record() as t:\n    (Value(2.0) * 3.0).backward()\n"
            "a = M(2.0); (a * a).backward(); trace_of(a * a)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nprint('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
