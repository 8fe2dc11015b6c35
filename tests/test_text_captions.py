"""Captions read back: every number in a backward caption is the engine's, the local rule is written in the
graph's own names, and no symbol stands for both the gradient being accumulated and the local factor."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings

from backprop_viz import Value, record
from backprop_viz.text.numbers import fmt
from recording import record_program
from strategies import build_scalar_graph, programs, scalar_graphs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# ∂L/∂p += ∂L/∂c · ∂(local)/∂p = upstream × local = contribution, at the end of the caption's first line
CHAIN = re.compile(r"∂(?P<root>[^∂]+?)/∂(?P<parent>\S+) \+= ∂(?P<root2>[^∂]+?)/∂(?P<child>\S+) · "
                   r"∂(?P<top>[^∂]+?)/∂(?P<parent2>\S+) = (?P<up>.+?) × (?P<local>.+?) = (?P<contribution>[^=]+)$")
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def number(text):
    """The number a caption wrote: '−3', '(−0.5)', '1.5e-05', 'nan'."""
    return float(text.strip("()").replace("−", "-"))


def close(text, value):
    """The text is `value` in the one number format: 4 significant digits."""
    if not isinstance(value, float):
        return text == fmt(value) or text == f"({fmt(value)})"
    if math.isnan(value):
        return text == "nan"
    return number(text) == pytest.approx(value, rel=6e-4, abs=1e-12) and text.strip("()") == fmt(value)


def evaluate(text):
    """The value of a numeric substitution such as '1 − 0.7071²', '−(−1.586)/0.8814²' or 'e^0.5'; None for
    one written in names."""
    t = text.replace("−", "-").replace("·", "*").replace("×", "*")
    t = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: f"**({m.group(0).translate(_SUPER)})", t)
    t = re.sub(r"e\^", "EXP**", t)
    t = re.sub(r"\^", "**", t)
    try:
        return float(eval(t, {"__builtins__": {}}, {"EXP": math.e}))  # our own caption text, never the user's
    except (NameError, SyntaxError, TypeError, ZeroDivisionError, OverflowError):
        return None


def check_backward_caption(trace, i):
    """Read event i's caption back and compare it with the event."""
    ev = trace.event(i)
    text = trace.snapshot(i + 1).caption("en")
    first, *rest = text.split("\n")
    for line in rest:  # the fan-out / carried sentence or the chain through named values: lines of their own
        assert "+=" not in line
    if ev.local is None or trace.op(ev.child) == "stack":
        return None
    m = CHAIN.search(first)
    assert m, first
    root = trace.name(trace.node_at(max(s for s in trace.seed_steps() if s < i)))
    assert m["root"] == m["root2"] == root and m["parent"] == m["parent2"] == trace.name(ev.node), first
    assert m["child"] == trace.name(ev.child), first
    # the local factor is never written with the symbol of the gradient being accumulated
    assert (m["top"], m["parent2"]) != (m["root"], m["parent"]), first
    if not trace.label(ev.child) or trace.name(ev.child) == root:
        assert m["top"].startswith("(") and m["top"].endswith(")"), first  # written with its op: ∂(e + a)/∂a
    assert close(m["up"], ev.upstream) and close(m["local"], ev.local), first
    assert close(m["contribution"], ev.contribution), first
    formula = first[:m.start()]
    if formula.endswith(";  "):  # the local rule first: ∂o/∂n = 1 − o² = 1 − 0.7071² = 0.5
        rule = re.sub(r"  \(.*\)$", "", formula[:-3].split(". ", 1)[1] if ". " in formula else formula[:-3])
        start = rule.index(f"∂{m['top']}/∂{m['parent']} = ")
        parts = rule[start:].split(" = ")[1:]
        assert close(parts[-1], ev.local), first
        for part in parts[:-1]:
            value = evaluate(part)
            if value is not None and isinstance(ev.local, float):
                assert value == pytest.approx(ev.local, rel=5e-3, abs=5e-3), (part, first)
    return m


@SETTINGS
@given(scalar_graphs())
def test_backward_captions_of_random_scalar_graphs_read_back(graph):
    assume(graph[1])
    with record() as trace:  # the loss is sometimes unlabelled: then its v-name is the root's name
        _, nodes, loss = build_scalar_graph(graph, loss_label=None if len(graph[1]) % 3 == 0 else "L")
        loss.backward()
    for i, ev in trace.events_between(0, len(trace), "backward"):
        m = check_backward_caption(trace, i)
        op, slot = trace.op(ev.child), ev.slot
        a, b = (trace.parents(ev.child) + (None,))[:2]
        text = trace.snapshot(i + 1).caption("en").split("\n")[0]
        if op == "/" and m:  # the rule of the operand asked about, in its own names
            name = lambda nid: trace.name(nid) if trace.kind(nid) != "constant" or trace.label(nid) \
                else (f"({trace.name(nid)})" if trace.name(nid).startswith("−") else trace.name(nid))  # noqa: E731
            rule = f"= 1/{name(b)} =" if slot == 0 else f"= −{name(a)}/{name(b)}² ="
            assert rule in text, text
        if op == "-" and m:
            assert m["local"] == ("1" if slot == 0 else "(−1)"), text
        if op == "relu" and m:
            assert ("> 0)" in text) == (ev.local == 1.0) and ("≤ 0)" in text) == (ev.local == 0.0), text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_backward_captions_of_random_programs_read_back(program):
    trace, _, _, _ = record_program(program)
    for i, _ in trace.events_between(0, len(trace), "backward"):
        check_backward_caption(trace, i)


def _issue_example():
    """The trace of the issue's example: e = a·b, L = e + a, backward from L (a is used twice)."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    with record() as trace:
        e = a * b
        e.label = "e"
        L = e + a
        L.label = "L"
        L.backward()
    return trace


def test_the_issue_examples():
    trace = _issue_example()
    texts = [trace.snapshot(k).caption("en") for k in range(len(trace) + 1)]
    assert texts[5].endswith("∂L/∂a += ∂L/∂L · ∂(e + a)/∂a = 1 × 1 = 1")
    assert "\na is used more than once" in texts[6]  # the fan-out sentence on its own line
    n = Value(0.881373587, "n")
    with record() as trace:
        o = n.tanh()
        o.label = "o"
        L = o * 2.0
        L.label = "L"
        L.backward()
    assert trace.snapshot(len(trace)).caption("en").endswith(
        "∂o/∂n = 1 − o² = 1 − 0.7071² = 0.5;  ∂L/∂n += ∂L/∂o · ∂o/∂n = 2 × 0.5 = 1")
    assert r"\frac{\partial o}{\partial n} = 1 - o^{2} = 1 - 0.7071^{2} = 0.5,\quad" in \
        trace.snapshot(len(trace)).caption("en", "latex")


@pytest.mark.parametrize("op, rule", [
    (lambda x: x ** 3, "∂(x³)/∂x = 3·x² = 3·(−2)² = 12"),
    (lambda x: x.exp(), "∂(e^x)/∂x = e^x = e^−2 = 0.1353"),
    (lambda x: (-x).log(), None),
    (lambda x: x.sigmoid(), "∂(σ(x))/∂x = σ(x)·(1 − σ(x)) = 0.1192·(1 − 0.1192) = 0.105"),
    (lambda x: x.relu(), "∂(relu(x))/∂x = 0  (x = −2 ≤ 0)"),
    (lambda x: 1.0 / x, "∂(1 / x)/∂x = −1/x² = −1/(−2)² = −0.25"),
    (lambda x: -x, None),
])
def test_each_op_writes_its_local_rule_with_its_numbers(op, rule):
    x = Value(-2.0, "x")
    with record() as trace:
        y = op(x)
        y.backward()
    text = trace.snapshot(len(trace)).caption("en")
    if rule:
        assert rule in text, text
    check_backward_caption(trace, len(trace) - 1)
    for lang in ("en", "ko"):
        trace.snapshot(len(trace)).caption(lang, "latex")


def test_a_gradient_given_to_backward_is_not_written_as_dl_dl():
    x = Value(3.0, "x")
    with record() as trace:
        y = x * x
        y.label = "y"
        y.backward(2.0)
    seed = trace.snapshot(trace.seed_steps()[0] + 1).caption("en")
    assert "∂y/∂y = 2" not in seed and seed.endswith("∂y/∂y ← 2")


def test_lesson_04_chain_rule_in_the_lesson_names():
    """Lesson 04: h = 2x + 1, y = h²; its player's last caption says dy/dx = dy/dh · dh/dx with h, not v1."""
    x = Value(1.0, "x")
    with record() as trace:
        h = 2 * x + 1
        h.label = "h"
        y = h ** 2
        y.label = "y"
        y.backward()
    last = {lang: trace.snapshot(len(trace)).caption(lang) for lang in ("en", "ko")}
    for lang in ("en", "ko"):
        assert last[lang].split("\n")[1].endswith("∂y/∂x = ∂y/∂h · ∂h/∂x = 6 × 2 = 12")
    assert "through h" in last["en"] and "h를 거치는 연쇄 법칙" in last["ko"]
    latex = trace.snapshot(len(trace)).caption("en", "latex").split("\n")[1]
    assert latex.endswith(r"$\frac{\partial y}{\partial x} = \frac{\partial y}{\partial h} \cdot "
                          r"\frac{\partial h}{\partial x} = 6 \times 2 = 12$")


def test_a_power_with_an_exponent_of_nan_or_inf_has_a_caption():
    for c in (float("nan"), float("inf")):
        with record() as trace:
            y = Value(2.0, "x") ** c
            y.label = "y"
        assert "x^" in trace.snapshot(len(trace)).caption("en") and trace.snapshot(len(trace)).caption("ko", "latex")


@pytest.mark.parametrize("collector_on", [True, False])
def test_a_backward_caption_leaves_the_collector_as_it_found_it(collector_on):
    """The first backward caption of a pass groups the pass's steps with the collector paused; after
    it the collector runs (or stays paused) as before, and fan-out is still told from the grouping."""
    import gc

    trace = _issue_example()
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        steps = [i + 1 for i, ev in enumerate(trace.events) if ev.kind == "backward"]
        texts = [trace.snapshot(k).caption("en") for k in steps]
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()
    fanout = [t for t in texts if "is used more than once" in t]
    assert len(fanout) == 1 and fanout[0].count("a is used") == 1, texts  # a's second contribution, told once
