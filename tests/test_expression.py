"""expression(): exact graphs from typed text, values and gradients against finite differences on random
expressions, and hostile texts refused fast, with the right sentence, without running anything."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_viz.expression import MAX_EXPONENT, MAX_LENGTH, ExpressionError, variables
from backprop_viz import Value, expression, record, trace_of
from ops import OPS

REPO = Path(__file__).resolve().parent.parent


# ---- exact graphs ----
def test_the_issue_example_builds_labelled_leaves_and_the_right_ops():
    out = expression("tanh(x*w + b)", x=0.5, w=-1.5, b=0.2)
    assert isinstance(out, Value) and out.op == "tanh" and out.label is None
    (z,) = out.parents
    assert z.op == "+"
    xw, b = z.parents
    assert xw.op == "*" and [p.label for p in xw.parents] == ["x", "w"] and b.label == "b"
    assert all(p.role == "input" and p.op == "" for p in (*xw.parents, b))
    assert out.data == pytest.approx(math.tanh(0.5 * -1.5 + 0.2))
    out.backward()
    x, w = xw.parents
    dz = 1 - math.tanh(-0.55) ** 2
    assert (x.grad, w.grad, b.grad) == pytest.approx((dz * -1.5, dz * 0.5, dz))


def test_a_name_used_twice_is_one_leaf_whose_gradients_add_up():
    out = expression("a*b + a", a=2.0, b=-3.0)
    trace = trace_of(out)
    leaves = [n for n in trace.nodes if n.op == ""]
    assert [n.label for n in leaves] == ["a", "b"]
    assert [trace.op(n.id) for n in trace.nodes if n.op] == ["*", "+"]
    out.backward()
    a, b = out.parents[0].parents
    assert a is out.parents[1] and a.grad == b.data + 1 and b.grad == a.data


def test_numbers_become_constants_in_place_and_numbers_alone_are_worked_out():
    out = expression("2*x - 3", x=1.5)
    two_x, three = out.parents
    assert out.op == "-" and three.role == "constant" and three.data == 3.0 and three.label is None
    two, x = two_x.parents  # the number stays on the side it was typed
    assert two.role == "constant" and two.data == 2.0 and x.label == "x"
    assert out.data == 0.0
    six = expression("2*3*x", x=1.0).parents[0]
    assert six.role == "constant" and six.data == 6.0
    assert expression("x * -3", x=1.0).parents[1].data == -3.0  # no neg node for a negative number
    assert expression("-x", x=1.0).op == "neg"
    assert expression("+x", x=4.0).label == "x"
    assert expression("(" * 140 + "x" + ")" * 140, x=4.0).label == "x"  # brackets make no nodes


@pytest.mark.parametrize("text, exponent", [("x**2", 2.0), ("x ** -1", -1.0), ("x ** (1/2)", 0.5),
                                            ("x**2**3", 8.0), (f"x**{MAX_EXPONENT}", float(MAX_EXPONENT))])
def test_a_constant_exponent_is_the_power_ops_argument(text, exponent):
    out = expression(text, x=1.1)
    assert out.op == "**" and trace_of(out).arg(trace_of(out).num_nodes - 1) == exponent
    assert out.data == pytest.approx(1.1 ** exponent)


def test_every_function_is_the_value_method_of_its_name():
    for name, ref in (("exp", math.exp), ("log", math.log), ("tanh", math.tanh),
                      ("sigmoid", lambda v: 1 / (1 + math.exp(-v))), ("relu", lambda v: max(v, 0.0))):
        out = expression(f"{name}(x)", x=0.7)
        assert out.op == name and out.data == pytest.approx(ref(0.7))
        assert expression(f"{name}(0.7) * x", x=1.0).parents[0].data == pytest.approx(ref(0.7))


def test_printed_signs_and_unicode_names_are_read_as_typed():
    out = expression("3 − x × 2 ÷ y · 1", x=1.0, y=4.0)  # the minus, times and division signs of print
    assert out.data == 2.5
    out = expression("ｘ * θ", **{"ｘ": 2.0, "θ": 3.0})  # the parser reads a full-width ｘ as x; the label stays
    assert out.data == 6.0 and [p.label for p in out.parents] == ["ｘ", "θ"]


def test_variables_lists_names_in_order_of_first_use():
    assert variables("tanh(x*w + b) + x") == ("x", "w", "b")
    assert variables("b**2 / a") == ("b", "a")


def test_recording_an_expression_gives_the_same_trace_as_trace_of():
    with record() as live:
        out = expression("sigmoid(a*b - c) * a", a=0.5, b=-2.0, c=0.25)
        out.backward()
    rebuilt = trace_of(expression("sigmoid(a*b - c) * a", a=0.5, b=-2.0, c=0.25))
    assert [(e.kind, e.node) for e in live.events] == [(e.kind, e.node) for e in rebuilt.events]
    assert [n.label for n in live.nodes] == [n.label for n in rebuilt.nodes]


def test_extra_values_are_ignored_and_numpy_numbers_are_numbers():
    assert expression("x", x=np.float32(2.0), unused=5.0).data == 2.0


@pytest.mark.parametrize("bad", ["2", True, None, [1.0], np.ones(2)])
def test_a_value_that_is_not_a_number_is_refused(bad):
    with pytest.raises(ExpressionError) as info:
        expression("x + 1", x=bad)
    assert info.value.key == "ex_bad_value" and "The value of x must be a number" in str(info.value)


def test_text_that_is_not_a_str_is_a_type_error():
    with pytest.raises(TypeError, match="as text"):
        expression(b"x", x=1.0)


# ---- random expressions: value against a reference, gradients against finite differences ----
NAMES = ("a", "b", "c")
EXPONENTS = (("2", 2.0), ("3", 3.0), ("-1", -1.0), ("(1/2)", 0.5), ("1.5", 1.5))


class Outside(Exception):
    """The random point is where the maths is not smooth (log of ≤ 0, a kink of relu, …)."""


def _guard(ok):
    if not ok:
        raise Outside


def _leaf(draw):
    if draw(st.booleans()):
        name = draw(st.sampled_from(NAMES))
        return name, lambda env: env[name]
    c = draw(st.sampled_from((0.5, 2.0, 3.0, 1.25)))
    return repr(c), lambda env: c


@st.composite
def formulas(draw, depth=3):
    """(text, reference): a random expression over a, b, c and a function computing it with numpy (the
    one op table, tests/ops.py), refusing points where a finite difference would not be valid."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _leaf(draw)
    kind = draw(st.sampled_from(("+", "-", "*", "/", "neg", "**", "exp", "log", "tanh", "sigmoid", "relu")))
    left, f = draw(formulas(depth - 1))
    if kind in ("+", "-", "*", "/"):
        right, g = draw(formulas(depth - 1))
        op = OPS[kind].numpy

        def ref(env, f=f, g=g, op=op, kind=kind):
            a, b = f(env), g(env)
            _guard(kind != "/" or abs(b) > 0.3)
            return op(a, b, None)

        return f"({left} {kind} {right})", ref
    if kind == "**":
        shown, p = draw(st.sampled_from(EXPONENTS))

        def ref(env, f=f, p=p):
            a = f(env)
            _guard(a > 0.3 if p != int(p) or p < 0 else True)
            return OPS["**"].numpy(a, p)

        return f"({left})**{shown}", ref
    if kind == "neg":
        return f"-({left})", lambda env, f=f: OPS["neg"].numpy(f(env), None)

    def ref(env, f=f, kind=kind):
        a = f(env)
        _guard(kind != "log" or a > 0.3)
        _guard(kind != "relu" or abs(a) > 0.05)
        _guard(kind != "exp" or a < 5)
        return float(OPS[kind].numpy(np.float64(a), None))

    return f"{kind}({left})", ref


def _reference(ref, env):
    try:
        y = float(ref(env))
    except Outside:
        return None
    return y if math.isfinite(y) and abs(y) < 1e4 else None


@settings(max_examples=150, deadline=None)
@given(formula=formulas(), point=st.tuples(*[st.floats(-2.0, 2.0) for _ in NAMES]))
def test_random_expressions_match_a_reference_and_finite_differences(formula, point):
    text, ref = formula
    env = dict(zip(NAMES, point))
    y = _reference(ref, env)
    assume(y is not None)
    try:
        names = variables(text)
    except ExpressionError as e:
        assert e.key == "ex_no_variable", (text, str(e))
        assume(False)
    out = expression(text, **env)
    assert out.data == pytest.approx(y, rel=1e-9, abs=1e-9)
    out.backward()
    leaves = {v.label: v for v in trace_leaves(out)}
    assert sorted(leaves) == sorted(names)
    h = 1e-6
    for name in names:
        up, down = _reference(ref, {**env, name: env[name] + h}), _reference(ref, {**env, name: env[name] - h})
        assume(up is not None and down is not None)
        assert leaves[name].grad == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-4), (text, name)


def trace_leaves(out):
    seen, todo, leaves = {id(out)}, [out], []
    while todo:
        v = todo.pop()
        if not v.op and v.role == "input":
            leaves.append(v)
        for p in v.parents:
            if id(p) not in seen:
                seen.add(id(p))
                todo.append(p)
    return leaves


# ---- hostile texts ----
HOSTILE = [
    ("__import__('os').system('touch /tmp/bpv-pwned')", "ex_call_form"),
    ("__import__('os')", "ex_call"),
    ("__builtins__", "ex_private"),
    ("x.__class__", "ex_attribute"),
    ("x.__class__.__bases__[0].__subclasses__()", "ex_call_form"),
    ("().__class__.__mro__", "ex_attribute"),
    ("open('/etc/passwd')", "ex_call"),
    ("open('/tmp/bpv-pwned', 'w')", "ex_call"),
    ("exec('import os')", "ex_call"),
    ("eval('1+1') * x", "ex_call"),
    ("print(x)", "ex_call"),
    ("getattr(x, 'data')", "ex_call"),
    ("lambda: 0", "ex_lambda"),
    ("(lambda: 0)()", "ex_call_form"),
    ("[x for x in ()]", "ex_comprehension"),
    ("{k: x for k in 'ab'}", "ex_comprehension"),
    ("sum(x for x in (1, 2))", "ex_call"),
    ("import os", "ex_syntax"),
    ("x = 1", "ex_syntax"),
    ("x; import os", "ex_syntax"),
    ("x +", "ex_syntax"),
    ("tanh(x", "ex_brackets"),
    ("2x", "ex_times"),
    ("9**9**9", "ex_big_exponent"),
    ("x ** 9**9**9", "ex_big_exponent"),
    ("x ** 101", "ex_big_exponent"),
    ("(10**100)**100 * x", "ex_not_finite"),
    ("exp(1000) * x", "ex_not_finite"),
    ("1/0 * x", "ex_not_finite"),
    ("log(-1) * x", "ex_not_finite"),
    ("1e999 * x", "ex_not_finite"),
    ("9" * 320 + " * x", "ex_too_long"),
    ("x ** y", "ex_variable_exponent"),
    ("2 ** x", "ex_variable_exponent"),
    ("x ** (y - y)", "ex_variable_exponent"),
    ("", "ex_empty"),
    ("   ", "ex_empty"),
    ("x + z", "ex_name"),
    ("3 * 4", "ex_no_variable"),
    ("'a' * x", "ex_text"),
    ("f'{x}'", "ex_text"),
    ("True * x", "ex_constant"),
    ("1j * x", "ex_constant"),
    ("x[0]", "ex_subscript"),
    ("(x, x)", "ex_collection"),
    ("[x]", "ex_collection"),
    ("x if x else x", "ex_operator"),
    ("x < 1", "ex_operator"),
    ("x and x", "ex_operator"),
    ("x // 2", "ex_operator"),
    ("x @ x", "ex_operator"),
    ("(y := x)", "ex_operator"),
    ("exp", "ex_function_name"),
    ("exp(x, x)", "ex_arguments"),
    ("tanh(x=1)", "ex_arguments"),
    ("await x", "ex_construct"),
    ("-" * 250 + "x", "ex_too_deep"),
    ("x\x00", "ex_syntax"),
]

_WATCHED = []  # audit events while a hostile text is read (only "compile", ast.parse's own, is expected)
_WATCHING = [False]


def _audit(event, args):
    if _WATCHING[0]:
        _WATCHED.append(event)


sys.addaudithook(_audit)  # audit hooks stay for the process; this one only looks while _WATCHING


@pytest.mark.parametrize("text, key", HOSTILE, ids=[k + ":" + t[:30] for t, k in HOSTILE])
def test_a_hostile_text_is_refused_fast_with_its_sentence_and_runs_nothing(text, key, monkeypatch, tmp_path):
    import builtins

    calls = []
    monkeypatch.setattr(builtins, "open", lambda *a, **k: calls.append(("open", a)))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append(("exec", a)))
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: calls.append(("eval", a)))
    _WATCHED.clear()
    _WATCHING[0] = True
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            expression(text, x=1.5, y=2.0)
        if key != "ex_name":  # a name without a value is still a name of the text
            with pytest.raises(ValueError):
                variables(text)
    finally:
        _WATCHING[0] = False
    elapsed = time.perf_counter() - start
    monkeypatch.undo()
    assert elapsed < 1.0, f"{text!r} took {elapsed:.2f} s"
    assert isinstance(info.value, ExpressionError) and info.value.key == key, (text, info.value.key, str(info.value))
    assert set(_WATCHED) <= {"compile"}, f"{text!r} did more than parse: {sorted(set(_WATCHED))}"
    assert calls == []
    assert not Path("/tmp/bpv-pwned").exists()
    for lang in ("en", "ko"):
        sentence = info.value.sentence(lang)
        assert sentence.endswith(".") and "Traceback" not in sentence and "{" not in sentence, sentence
    assert str(info.value) == info.value.sentence("en")


def test_the_error_sentences_say_what_is_not_allowed_and_what_is():
    with pytest.raises(ExpressionError) as info:
        expression("open('f')", x=1.0)
    assert str(info.value).startswith("open(…) is not a function you can use here.")
    assert "Allowed: numbers, names with a value" in str(info.value) and "tanh" in str(info.value)
    assert info.value.sentence("ko").startswith("open(…) 함수는 여기에서 쓸 수 없습니다.")
    assert info.value.fields == {"name": "open"}
    with pytest.raises(ExpressionError) as info:
        expression("x ** y", x=1.0, y=2.0)
    assert str(info.value) == ("The exponent of ** must be a number, not y: for a variable exponent write "
                               "exp(y * log(x)).")
    assert info.value.sentence("ko").startswith("**의 지수는 y가 아니라 숫자여야 합니다.")
    with pytest.raises(ExpressionError, match=r"^The exponent 9\*\*9 is too large"):
        expression("9**9**9")
    with pytest.raises(ExpressionError, match="^z has no value: give it one, for example z=1.0.$"):
        expression("x * z", x=1.0)
    with pytest.raises(ExpressionError, match=f"at most {MAX_LENGTH}"):
        expression("x" * (MAX_LENGTH + 1))


def test_huge_exponents_do_not_hang_a_fresh_interpreter():
    """The texts that would take forever if anything computed them, in a child with a time limit."""
    texts = ["9**9**9", "9**9**9**9", "x**9**9**9", "(9**9**9)*x", "2**99999999999*x", "-(9**9**9)**9**9",
             "1" + "0" * 299]
    code = ("import json, sys, time\nfrom backprop_viz import expression\nout = []\n"
            "for t in json.loads(sys.argv[1]):\n    s = time.perf_counter()\n"
            "    try:\n        expression(t, x=1.0)\n        out.append(['ok', 0])\n"
            "    except ValueError as e:\n        out.append([e.key, time.perf_counter() - s])\n"
            "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert all(key != "ok" and seconds < 1.0 for key, seconds in results), list(zip(texts, results))


def test_label_steps_names_every_value_computed_on_the_way_by_how_it_reads():
    out = expression("tanh(x*w + b)", label_steps=True, x=0.5, w=-1.5, b=0.2)
    n = out.parents[0]
    xw = n.parents[0]
    assert (xw.label, n.label, out.label) == ("x·w", "x·w + b", None)  # the result is named by its caller
    assert expression("tanh(x*w + b)", x=0.5, w=-1.5, b=0.2).parents[0].label is None  # off by default
    sq = expression("(a + b)**2 / (a*b)", label_steps=True, a=2.0, b=3.0)
    assert [p.label for p in sq.parents] == ["(a + b)²", "a·b"]
    assert expression("x - (y + 1)", label_steps=True, x=1.0, y=2.0).parents[1].label == "y + 1"
    assert expression("-x * 2", label_steps=True, x=1.0).parents[0].label == "−x"
