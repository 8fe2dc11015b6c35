"""Tests of the autograd engine: every op's value and gradient, random graphs, depth, accumulation, bad input."""

import gc
import math
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from backprop_viz.engine import Value, rules, stack, zero_grad
from ops import CASES, OP_NAMES, OPS, assert_close, case_id, numeric_grad, sample
from strategies import programs, run

GRAPH_EXAMPLES = 500
_graph_settings = settings(
    max_examples=GRAPH_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---- the op table: values and gradients of every op ----
def _case_inputs(case, seed):
    name, shapes, _ = case
    rng = np.random.default_rng(seed)
    return [sample(s, rng, positive=i in OPS[name].positive) for i, s in enumerate(shapes)]


def _weights(shape, seed):
    """Random weights w so that the checked loss sum(out * w) has a different slope per element."""
    return sample(shape, np.random.default_rng(seed + 1000))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_op_value_matches_numpy(case):
    name, _, p = case
    inputs = _case_inputs(case, CASES.index(case))
    out = OPS[name].ours(*[Value(x) for x in inputs], p)
    expected = OPS[name].numpy(*inputs, p)
    assert out.op == name
    assert out.shape == np.shape(expected)
    assert (type(out.data) is float) == (np.ndim(expected) == 0)  # scalars are Python floats
    assert_close(out.data, expected, rtol=1e-12, atol=1e-14, what=name)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_op_gradient_matches_finite_differences(case):
    name, _, p = case
    seed = CASES.index(case)
    inputs = _case_inputs(case, seed)
    op = OPS[name]
    w = _weights(np.shape(op.numpy(*inputs, p)), seed)
    leaves = [Value(x) for x in inputs]
    (op.ours(*leaves, p) * w).sum().backward()
    for i, leaf in enumerate(leaves):
        expected = numeric_grad(lambda *xs: float(np.sum(op.numpy(*xs, p) * w)), inputs, i)
        assert np.shape(leaf.grad) == np.shape(inputs[i])  # summed back to the operand's shape
        assert_close(leaf.grad, expected, what=f"{case_id(case)} d/d operand {i}")


def test_op_table_covers_every_engine_op():
    assert set(OP_NAMES) == set(rules.RULES)
    assert {name for name, _, _ in CASES} == set(OP_NAMES)


@pytest.mark.parametrize(
    "expr",
    [
        lambda a: 2 + a, lambda a: a + 2, lambda a: 2 - a, lambda a: a - 2, lambda a: 3 * a,
        lambda a: 2 / a, lambda a: a / 4, lambda a: np.array([1.0, 2.0, 3.0]) * a,
        lambda a: np.array([[1.0], [2.0]]) - a, lambda a: np.ones((2, 3)) @ a, lambda a: a @ np.ones(3),
        lambda a: np.int64(2) * a + np.float32(0.5),
    ],
    ids=["n+a", "a+n", "n-a", "a-n", "n*a", "n/a", "a/n", "arr*a", "arr-a", "arr@a", "a@arr", "np-scalars"],
)
def test_plain_numbers_on_either_side(expr):
    x = np.array([0.7, 1.3, 0.9])
    a = Value(x)
    out = expr(a)
    assert isinstance(out, Value)
    assert out.parents[0] is a or out.parents[1] is a or a in out.parents[0].parents
    assert_close(out.data, expr(x), rtol=1e-12, atol=0)
    out.sum().backward()
    assert_close(a.grad, numeric_grad(lambda v: float(np.sum(expr(v))), [x], 0), what="gradient")


def test_numbers_written_into_an_expression_are_constants():
    a = Value(2.0, "a")
    out = 3 * a
    const = out.parents[0]
    assert const.role == "constant" and const.op == "" and const.data == 3.0
    out.backward()
    assert a.grad == 3.0
    assert const.grad == 0.0  # a number in the formula gets no gradient


def test_leaf_fields():
    a, b = Value(3, "a"), Value(np.array([[1, 2]]))
    assert type(a.data) is float and a.data == 3.0 and a.grad == 0.0
    assert b.data.dtype == np.float64 and b.grad.shape == (1, 2) and not b.grad.any()
    assert (a.op, a.parents, a.label, a.role) == ("", (), "a", "input")
    c = b - a
    assert c.op == "-" and c.parents == (b, a)  # ordered, not a set
    assert Value(1.0, role="parameter").role == "parameter"


# ---- random expression graphs (hypothesis) ----
def _our_grads(program):
    leaves = [Value(x) for x in program.leaves]
    loss, _ = run(program, leaves, "ours")
    loss.backward()
    return loss, [leaf.grad for leaf in leaves]


def test_random_graphs_match_finite_differences():
    """Every leaf's gradient in >= 500 random graphs equals its central finite difference."""
    seen = []

    @_graph_settings
    @given(programs())
    def check(program):
        seen.append(program)
        loss, grads = _our_grads(program)
        expected_loss, _ = run(program, program.leaves, "numpy")
        assert_close(loss.data, expected_loss, rtol=1e-12, atol=1e-14, what="loss")
        f = lambda *xs: run(program, xs, "numpy")[0]  # noqa: E731
        for i, g in enumerate(grads):
            assert_close(g, numeric_grad(f, program.leaves, i), rtol=1e-5, atol=1e-6, what=f"d loss / d x{i}")

    check()
    assert len(seen) >= GRAPH_EXAMPLES
    # The generator really makes what the graphs are meant to cover.
    ops = {name for p in seen for name, _, _ in p.steps}
    assert ops == set(OP_NAMES)
    assert any(any(isinstance(r, tuple) for _, refs, _ in p.steps for r in refs) for p in seen)  # constants
    fan_out = [p for p in seen if _max_uses(p) > 1]
    assert len(fan_out) > GRAPH_EXAMPLES // 4


def _max_uses(program):
    uses = {}
    for _, refs, _ in program.steps:
        for r in refs:
            if isinstance(r, int):
                uses[r] = uses.get(r, 0) + 1
    return max(uses.values(), default=0)


@pytest.mark.torch
def test_random_graphs_match_pytorch():
    """The same random graphs in PyTorch (float64, CPU) give the same loss and leaf gradients."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; `pip install torch==2.13.0` to compare")
    count = []

    @_graph_settings
    @given(programs())
    def check(program):
        count.append(1)
        loss, grads = _our_grads(program)
        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.leaves]
        tloss, _ = run(program, leaves, "torch")
        tloss.backward()
        assert_close(loss.data, tloss.item(), rtol=1e-12, atol=1e-14, what="loss")
        for i, (g, t) in enumerate(zip(grads, leaves)):
            expected = t.grad.numpy() if t.grad is not None else np.zeros(np.shape(program.leaves[i]))
            assert_close(g, expected, rtol=1e-10, atol=1e-12, what=f"d loss / d x{i}")

    check()
    assert len(count) >= GRAPH_EXAMPLES


# ---- depth, fan-out, accumulation ----
def test_a_100000_deep_chain_needs_no_recursion():
    c = 1.00001
    x = Value(1.0, "x")
    y = x
    for _ in range(100_000):
        y = y * c
    assert sys.getrecursionlimit() < 100_000
    y.backward()
    assert x.grad == pytest.approx(c**100_000, rel=1e-9)  # dy/dx = c^n, about e
    assert y.data == pytest.approx(c**100_000, rel=1e-9)


def test_fan_out_adds_contributions():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    (b * b * b).backward()
    assert b.grad == pytest.approx(27.0)  # d b^3 / db = 3 b^2


def test_gradients_accumulate_across_calls_and_zero_grad_resets():
    a, b = Value(2.0), Value(np.array([1.0, -1.0]))
    (a * b).sum().backward()
    (a * b).sum().backward()
    assert a.grad == 2 * (1.0 - 1.0) and np.array_equal(b.grad, [4.0, 4.0])
    a.zero_grad()
    assert a.grad == 0.0 and b.grad.any()
    zero_grad([a, b])
    assert b.grad.shape == (2,) and not b.grad.any()
    (a * b).sum().backward()
    assert np.array_equal(b.grad, [2.0, 2.0])  # one call's worth after zeroing


def test_second_backward_does_not_double_count_interior_gradients():
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    h = (x * w).tanh()
    loss = h * h + h
    loss.backward()
    once = {"x": x.grad, "w": w.grad, "h": h.grad}
    loss.backward()
    # Like PyTorch: leaves hold twice the gradient; an interior node holds dloss/dnode once, and
    # its stale value from the first call is not pushed back down a second time (that gives 3x).
    assert h.grad == pytest.approx(once["h"]) and once["h"] == pytest.approx(2 * h.data + 1)
    assert x.grad == pytest.approx(2 * once["x"]) and w.grad == pytest.approx(2 * once["w"])
    assert loss.grad == 1.0


def test_backward_with_an_upstream_gradient_on_an_array():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    w = np.array([[1.0, 2.0], [3.0, -4.0]])
    a = Value(x)
    a.tanh().backward(gradient=w)
    assert_close(a.grad, w * (1 - np.tanh(x) ** 2), rtol=1e-12, atol=0)


def test_a_graph_is_freed_without_the_cycle_collector():
    """No node refers back to itself, so dropping a loss frees its graph at once (gc may stay paused)."""

    def count():
        return sum(type(o) is Value for o in gc.get_objects())

    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        before = count()
        w = Value(np.array([[0.5, -0.2], [0.1, 0.3]]), role="parameter")
        x = Value(np.array([1.0, 2.0]))
        loss = ((w @ x).tanh() + (x * 2).sigmoid()).sum() + sum(Value(float(i)) * i for i in range(20))
        loss.backward()
        assert count() > before + 40
        del loss
        assert count() == before + 2  # only w and x are left
        assert gc.collect() == 0  # nothing was waiting for the cycle collector
    finally:
        if enabled:
            gc.enable()


# ---- bad input: the error type and a message naming the problem ----
def test_backward_on_a_non_scalar_says_to_reduce_first():
    v = Value(np.ones((2, 3))) * 2
    with pytest.raises(ValueError, match=r"backward\(\) needs a scalar.*shape \(2, 3\).*\.sum\(\)"):
        v.backward()
    with pytest.raises(ValueError, match=r"needs shape \(2, 3\).*not \(3,\)"):
        v.backward(gradient=np.ones(3))


@pytest.mark.parametrize(
    "expr, types",
    [
        (lambda v: v + "a", "'Value' and 'str'"),
        (lambda v: v * None, "'Value' and 'NoneType'"),
        (lambda v: None - v, "'NoneType' and 'Value'"),
        (lambda v: v / {}, "'Value' and 'dict'"),
        (lambda v: v @ "a", "'Value' and 'str'"),
        (lambda v: v ** "2", "'Value' and 'str'"),
        (lambda v: v + True, "'Value' and 'bool'"),
    ],
    ids=["+str", "*None", "None-", "/dict", "@str", "**str", "+bool"],
)
def test_unsupported_operand_names_both_types(expr, types):
    with pytest.raises(TypeError, match=f"unsupported operand type.*{types}"):
        expr(Value(np.ones(3)))


@pytest.mark.parametrize(
    "data, words",
    [("abc", "not str"), (None, "not NoneType"), ({1: 2}, "not dict"), ([1, "a"], "this list into numbers")],
)
def test_value_of_something_that_is_not_a_number(data, words):
    with pytest.raises(TypeError, match=f"Value data must be a number.*{words}"):
        Value(data)


def test_value_of_a_value_says_to_use_it_directly():
    with pytest.raises(TypeError, match="not another Value; use it directly"):
        Value(Value(1.0))


@pytest.mark.parametrize(
    "expr, words",
    [
        (lambda a, b: a + b, r"cannot add values of shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a - b, r"cannot subtract values of shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a * b, r"cannot multiply values of shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a / b, r"cannot divide values of shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a @ b, r"cannot matrix-multiply shapes \(2, 3\) and \(4,\)"),
        (lambda a, b: a.reshape(4, 2), r"cannot reshape a value of shape \(2, 3\) \(6 numbers\) into shape \(4, 2\)"),
        (lambda a, b: a @ Value(2.0), r"@ multiplies 1-D or 2-D arrays; got shapes \(2, 3\) and \(\)"),
        (lambda a, b: a.sum(axis=2), r"axis 2 does not exist for a value with 2 dimensions"),
    ],
    ids=["+", "-", "*", "/", "@", "reshape", "@scalar", "axis"],
)
def test_incompatible_shapes_name_both_shapes(expr, words):
    with pytest.raises(ValueError, match=words):
        expr(Value(np.ones((2, 3))), Value(np.ones(4)))


@pytest.mark.parametrize(
    "values, shape, error, words",
    [
        ([], None, TypeError, r"stack\(\) takes a non-empty list of scalar Values or numbers"),
        ([Value(1.0), Value(np.ones(2))], None, TypeError, r"stack\(\) takes a non-empty list of scalar Values"),
        ([Value(1.0), "a"], None, TypeError, r"stack\(\) takes a non-empty list of scalar Values"),
        ([Value(1.0), 2.0, Value(3.0)], (2, 2), ValueError, r"cannot stack 3 values into shape \(2, 2\)"),
    ],
    ids=["empty", "array", "str", "shape"],
)
def test_stack_refuses_what_it_cannot_arrange(values, shape, error, words):
    with pytest.raises(error, match=words):
        stack(values, shape)


def test_a_value_exponent_is_refused_with_the_way_out():
    a, b = Value(2.0), Value(3.0)
    with pytest.raises(TypeError, match=r"exponent of \*\* must be a constant number.*\(b \* a\.log\(\)\)\.exp\(\)"):
        a**b


@pytest.mark.filterwarnings("error")  # numpy's divide / invalid warnings would fail this test
def test_log_and_division_give_inf_and_nan_quietly():
    zero, minus, one = Value(0.0), Value(-1.0), Value(1.0)
    assert zero.log().data == -math.inf
    assert math.isnan(minus.log().data)
    assert (one / zero).data == math.inf and (-one / zero).data == -math.inf
    assert math.isnan((zero / zero).data)
    assert (zero ** -1).data == math.inf and math.isnan((minus**0.5).data)
    assert Value(1000.0).exp().data == math.inf
    arr = Value(np.array([0.0, -1.0, 2.0]))
    logs = arr.log()
    assert logs.data[0] == -np.inf and np.isnan(logs.data[1]) and logs.data[2] == pytest.approx(math.log(2))
    assert np.array_equal((Value(np.ones(3)) / arr).data[[0, 2]], [np.inf, 0.5])
    zero.log().backward()  # the backward pass is just as quiet
    assert zero.grad == math.inf  # d log(a)/da = 1/a
    z = Value(0.0)
    (one / z).backward()
    assert z.grad == -math.inf and one.grad == math.inf  # d(a/b)/db = -a/b^2, d(a/b)/da = 1/b
    arr.log().sum().backward()
    assert arr.grad[0] == np.inf and arr.grad[1] == -1.0
    b = Value(np.array([0.0, 2.0]))
    b.log().relu().sum().backward()  # relu sends back 0 for -inf, times d log/db = inf: nan, quietly
    assert np.isnan(b.grad[0]) and b.grad[1] == 0.5


def test_is_finite():
    assert Value(1.0).is_finite() and Value(np.ones(3)).is_finite()
    assert not Value(0.0).log().is_finite()
    assert not (Value(1.0) / 0).is_finite()
    assert not Value(np.array([1.0, np.nan])).is_finite()
    assert not Value(np.array([1.0, -np.inf])).is_finite()
    # relu passes nan on (as numpy's maximum does), so a diverged value is still flagged after it
    assert not Value(math.nan).relu().is_finite() and not Value(np.array([math.nan])).relu().is_finite()
