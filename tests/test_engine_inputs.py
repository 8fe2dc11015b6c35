"""What the engine refuses, and the sentence it says (engine/inputs.py): each case as a user would type it."""

import math
import warnings

import numpy as np
import pytest

from backprop_viz import Value, record
from backprop_viz.engine import fast


def test_new_data_of_another_shape_is_refused_as_a_new_gradient_is():
    X = Value(np.zeros((2, 3)), "X")
    with pytest.raises(ValueError, match=r"new data must have the shape of the value's data: \(2, 3\), not \(5,\)"):
        X.data = np.ones(5)
    assert X.data.shape == (2, 3)
    X.data = 1.5  # a number spreads over the array, as for .grad
    assert X.data.shape == (2, 3) and (X.data == 1.5).all()
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"shape of the value's data: \(\), not \(2,\)"):
        x.data = [1.0, 2.0]
    (X * 2.0).sum().backward()  # the graph still works
    assert (X.grad == 2.0).all()


def test_mean_of_no_numbers_is_refused_before_backward():
    with pytest.raises(ValueError, match=r"mean\(\) of an array with no numbers \(shape \(0,\)\) is undefined"):
        Value(np.ones(0)).mean()
    with pytest.raises(ValueError, match=r"no numbers \(shape \(0, 3\)\)"):
        Value(np.ones((0, 3))).mean(axis=0)
    assert Value(np.ones(0)).sum().data == 0.0  # a sum of no numbers is 0


@pytest.mark.parametrize("axis, error, words", [
    ([0, 1], None, None),  # a list of axes is taken as a tuple
    ("a", TypeError, "axis must be a whole number or a tuple of them, not 'a'"),
    (1.0, TypeError, "axis must be a whole number"),
    (True, TypeError, "axis must be a whole number"),
    ((0, "b"), TypeError, "axis must be a whole number"),
    ((0, -2), ValueError, "names the same dimension twice"),
    (2, ValueError, "axis 2 does not exist for a value with 2 dimensions"),
])
def test_an_axis_is_checked(axis, error, words):
    X = Value(np.arange(6.0).reshape(2, 3))
    for op in (X.sum, X.mean):
        if error is None:
            out = op(axis=axis)
            assert out.shape == () and out.data == (15.0 if op == X.sum else 2.5)
            out.backward()
        else:
            with pytest.raises(error, match=words):
                op(axis=axis)


def test_a_number_too_large_for_a_float_is_a_value_error():
    with pytest.raises(ValueError, match=r"the number 10000000…\(401 digits\) is too large for a float"):
        Value(10**400)
    with pytest.raises(ValueError, match="too large for a float"):
        Value([1.0, 10**400])
    with pytest.raises(ValueError, match="too large for a float"):
        Value(1.0) + 10**400
    with pytest.raises(ValueError, match="the exponent 10000000…"):
        Value(2.0) ** 10**400


@pytest.mark.parametrize("data", [1j, np.complex128(1 + 2j), np.array([1 + 1j, 2.0]), [1.0, 2j]],
                         ids=["complex", "numpy complex", "complex array", "list with a complex"])
def test_complex_numbers_and_arrays_are_refused_alike(data):
    with pytest.raises(TypeError, match="Value data must be real numbers: complex numbers"):
        Value(data)


def test_a_truth_value_is_not_a_number_anywhere():
    for flag in (True, np.bool_(False)):
        with pytest.raises(TypeError, match="Value data must be a number, not the truth value"):
            Value(flag)
        with pytest.raises(TypeError):
            Value(1.0) + flag
    assert Value(np.array([1, 0])).shape == (2,)  # an array of numbers, not a truth value


def test_an_array_exponent_is_refused_with_the_way_out():
    x = Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"the exponent of \*\* must be one constant number, not an array"):
        x ** np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"the exponent of \*\* must be a constant number, not a Value"):
        2.0 ** x
    with pytest.raises(TypeError, match=r"\(b \* a.log\(\)\).exp\(\)"):
        np.array([2.0, 3.0]) ** x


@pytest.mark.parametrize("make", [
    lambda: Value(1e308) * 10.0, lambda: Value(np.array([1e308])) * 10.0,
    lambda: Value(1e308) + 1e308, lambda: Value(np.array([1e308, 1.0])) + 1e308,
    lambda: Value(-1e308) - 1e308, lambda: Value(np.array([-1e308])) - 1e308,
    lambda: Value(np.full(2, 1e308)).sum(), lambda: Value(np.full(2, 1e308)).mean(),
    lambda: Value(np.full((1, 2), 1e308)) @ Value(np.full((2, 1), 1e308)),
], ids=["* number", "* array", "+ number", "+ array", "- number", "- array", "sum", "mean", "@"])
def test_overflow_gives_inf_without_a_warning_for_numbers_and_arrays_alike(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = make()
        assert np.isinf(out.data).any()
        out.sum().backward() if out.shape != () else out.backward()


@pytest.mark.parametrize("x", [0.0, -0.0, 2.0, np.array([0.0, 3.0])], ids=["0", "-0", "2", "array"])
def test_x_to_the_power_0_has_gradient_0_as_in_pytorch(x):
    for readable in (False, True):
        fast.use(not readable)
        try:
            a = Value(x)
            (a ** 0).sum().backward()
            assert not np.any(a.grad) and not np.isnan(a.grad).any()
        finally:
            fast.use(True)


def test_a_label_with_a_lone_surrogate_keeps_a_replacement_character():
    a = Value(1.0, "a\ud800b")
    assert a.label == "a\ufffdb"
    a.label = "\udfff"
    assert a.label == "\ufffd"
    a.label = "\ud83d\ude00"  # a pair written as two characters is its character
    assert a.label == "\U0001F600"
    with record() as trace:
        (a * Value(2.0, "x\udc80")).backward()
    text = trace.to_json()
    text.encode("utf-8")  # can be written as UTF-8
    assert [n.label for n in trace.nodes][:2] == ["\U0001F600", "x\ufffd"]


def test_a_page_of_a_trace_with_a_lone_surrogate_in_a_label_is_written(tmp_path):
    from backprop_viz import export_html

    a = Value(1.0, "a\ud800b")
    with record() as trace:
        (a * Value(2.0, "x")).backward()
    export_html(trace, tmp_path / "page.html")
    assert "a\ufffdb" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_a_role_is_checked_when_set_later():
    a = Value(1.0)
    with pytest.raises(ValueError, match="role must be 'input', 'parameter' or 'constant', not 'banana'"):
        a.role = "banana"
    assert a.role == "input"
    a.role = "parameter"
    assert a.role == "parameter"
    with pytest.raises(ValueError, match="not 'banana'"):
        Value(1.0, role="banana")


def test_the_fast_forward_ops_make_the_readable_nodes_bit_for_bit():
    """fast.py's + - * neg relu tanh (numbers, and numbers with ints, floats, numpy scalars) build
    the nodes value.py's readable ops build: the same data, op, parents and roles."""
    operands = [0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan, 3, np.float64(0.25), np.int64(-4)]
    ops = [lambda a, b: a + b, lambda a, b: b + a, lambda a, b: a - b, lambda a, b: b - a,
           lambda a, b: a * b, lambda a, b: b * a, lambda a, b: -a, lambda a, b: a.relu(), lambda a, b: a.tanh()]

    def nodes(readable):
        fast.use(not readable)
        try:
            out = []
            for x in operands:
                for y in operands:
                    for op in ops:
                        for b in (Value(y), y):
                            v = op(Value(x) if isinstance(x, float) else Value(float(x)), b)
                            out.append((v.op, repr(v.data), type(v.data), [(p.op, repr(p.data), p.role)
                                                                          for p in v.parents], v.role))
            return out
        finally:
            fast.use(True)

    assert nodes(readable=False) == nodes(readable=True)


def test_a_gradient_set_to_a_whole_number_or_a_float_is_checked_as_any_other():
    # the short ways (p.grad = 0 on a number, zero_grad() of an array) give what the full check gives
    p, W = Value(1.5), Value(np.ones((2, 3)))
    p.grad = 0
    assert type(p.grad) is float and p.grad == 0.0
    p.grad = -3
    assert p.grad == -3.0
    W.grad = 0.0
    assert W.grad.shape == (2, 3) and not W.grad.any() and W.grad is not W.data
    W.grad = 2
    assert W.grad.tolist() == [[2.0] * 3] * 2
    with pytest.raises(ValueError, match=r"the number 10000000…\(401 digits\) is too large for a float"):
        p.grad = 10**400
    for flag in (True, np.bool_(False)):
        with pytest.raises(TypeError, match="not the truth value"):
            p.grad = flag
    with pytest.raises(TypeError, match="Value data must be a number or a numpy array, not str"):
        p.grad = "abc"
    with pytest.raises(ValueError, match=r"a gradient must have the shape of its value: \(2, 3\), not \(2,\)"):
        W.grad = [1.0, 2.0]
