"""micrograd-style values (`data`, `grad`, `_prev`, `_op`) as traces: the graph rebuilt with our rules.

A student's own `Value` class from the micrograd lecture keeps its parents in a *set* (`_prev`)
and its op as text (`'+'`, `'*'`, `'**2'`, `'tanh'`, `'exp'`, `'ReLU'`). `from_micrograd(v)`
rebuilds that graph with backprop_viz's engine (labels kept, `a + a` whose set holds `a` once
read as two uses of `a`, the exponent of `**k` read from the op), records its backward pass, and
compares the result with the graph's own `.grad`: where a hand-written `_backward` gave other
numbers, the trace carries a note (`trace.note(lang)`) that names the nodes that disagree.
"""

from __future__ import annotations

import math

from backprop_viz.engine import Value
from backprop_viz.text.numbers import fmt
from backprop_viz.text.words import BRIDGE_NOTE as _NOTE
from backprop_viz.trace.build import trace_of

__all__ = ["is_micrograd_style", "from_micrograd", "MICROGRAD_OPS"]

# The ops of micrograd and of the lecture's class, and how each is rebuilt (a, b: our parents).
# '-' and '/' (and 'neg', 'log', 'sigmoid') are for classes that define them directly.
_UNARY = {"tanh": Value.tanh, "exp": Value.exp, "ReLU": Value.relu, "relu": Value.relu, "log": Value.log,
          "sigmoid": Value.sigmoid, "neg": Value.__neg__}
_BINARY = {"+": Value.__add__, "*": Value.__mul__, "-": Value.__sub__, "/": Value.__truediv__}
MICROGRAD_OPS = ("+", "*", "**k", "tanh", "exp", "ReLU", "-", "/", "neg", "log", "sigmoid")

# Two gradients agree when they differ by at most this, relative to the larger (or to 1).
_TOLERANCE = 1e-9
_SHOWN = 6  # nodes named in a note; the rest are counted


def is_micrograd_style(obj):
    """True for a value in the style of micrograd's `Value`: it has `data`, `grad`, `_prev` and `_op`."""
    return not isinstance(obj, Value) and all(hasattr(obj, a) for a in ("data", "grad", "_prev", "_op"))


def from_micrograd(root, parameters=None):
    """The Trace of a micrograd-style graph ending in `root`: the graph rebuilt with our engine's
    rules, its forward steps and its backward pass dL/dnode = Σ dL/dchild · dchild/dnode.

    Labels (`label`, when the class has one) are kept; leaves in `parameters` (e.g.
    `model.parameters()`) are drawn as parameters. When the graph's own backward() has run (root's
    `.grad` is 1), every node's `.grad` is compared with the recorded one; where they differ (a
    `_backward` with a mistake in it), `trace.note(lang)` says which nodes, and where to look.
    """
    if not is_micrograd_style(root):
        raise TypeError(f"from_micrograd() takes a micrograd-style value (with data, grad, _prev and _op), "
                        f"not {type(root).__name__}.")
    order, parents = _graph(root)
    params = {id(p) for p in parameters or ()}
    ours, ids = {}, {}
    for m in order:
        if not parents[m]:
            ours[m] = Value(float(m.data), _label(m), role="parameter" if id(m) in params else "input")
            continue
        for p in parents[m]:  # node ids as the trace gives them: a leaf when first used, then the result
            if p not in ids:
                ids[p] = len(ids)
        ours[m] = _rebuilt(m, [ours[p] for p in parents[m]])
        label = _label(m)
        if label is not None:
            ours[m].label = label
        ids[m] = len(ids)
    ids.setdefault(root, len(ids))
    trace = trace_of(ours[root])
    if _number(root.grad) == 1.0:  # the graph's own backward() has run: compare
        final = trace.snapshot(len(trace))
        note = _compare(trace, [(m, ids[m]) for m in order if m in ids], final.values, final.grads, parents)
        if note is not None:
            trace.set_note(note)
    return trace


def _graph(root):
    """(order, parents): every node root depends on, parents before children, and each node's
    parents in operand order. A set has no order, so parents are sorted by a key that does not
    depend on memory addresses (depth, label, op, value): the same graph gives the same trace."""
    seen, todo, prev = {root}, [root], {}
    while todo:
        node = todo.pop()
        prev[node] = list(node._prev)
        for p in prev[node]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    depth = {}
    stack = [root]
    while stack:  # depth = longest path from a leaf, without recursion
        node = stack[-1]
        pending = [p for p in prev[node] if p not in depth]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        depth[node] = 1 + max((depth[p] for p in prev[node]), default=-1)

    def key(node):
        label = _label(node)
        return (depth[node], label is None, label or "", str(node._op), _number(node.data))

    parents = {}
    for node in prev:
        ps = sorted(prev[node], key=key)
        op = _op(node)
        if len(ps) == 1 and (op in _BINARY):  # a + a: the set holds a once, the op used it twice
            ps = ps * 2
        elif len(ps) == 2 and op in ("-", "/") and not _matches(node, op, ps):
            ps.reverse()  # a - b and a / b: the operand order is the one that gives the node's value
        parents[node] = tuple(ps)
    order, done, stack = [], set(), [root]
    while stack:  # parents before children, first operand first
        node = stack[-1]
        pending = [p for p in dict.fromkeys(parents[node]) if p not in done]
        if pending:
            stack.extend(reversed(pending))
            continue
        stack.pop()
        if node not in done:
            done.add(node)
            order.append(node)
    return order, parents


def _op(node):
    op = str(node._op or "")
    return "**" if op.startswith("**") else op


def _matches(node, op, ps):
    a, b = _number(ps[0].data), _number(ps[1].data)
    with_order = a - b if op == "-" else (a / b if b else math.inf)
    return math.isclose(with_order, _number(node.data), rel_tol=1e-12, abs_tol=1e-12)


def _rebuilt(node, ps):
    """Our engine's op for micrograd node `node` on our parents `ps`."""
    text = str(node._op or "")
    op = _op(node)
    if op == "**":
        try:
            exponent = float(text[2:])
        except ValueError:
            raise ValueError(f"the op {text!r} has no number after '**' to use as the exponent.") from None
        return ps[0] ** exponent
    if op in _UNARY and len(ps) == 1:
        return _UNARY[op](ps[0])
    if op in _BINARY and len(ps) == 2:
        return _BINARY[op](ps[0], ps[1])
    raise ValueError(f"a micrograd-style value has the op {text!r} with {len(ps)} parent(s); backprop_viz "
                     f"rebuilds {', '.join(MICROGRAD_OPS)} (binary ops with 2 parents, the others with 1).")


def _label(node):
    label = getattr(node, "label", None)
    return None if label is None or label == "" else str(label)


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _differs(theirs, ours):
    if math.isnan(theirs) and math.isnan(ours):
        return False
    return not abs(theirs - ours) <= _TOLERANCE * max(1.0, abs(theirs), abs(ours))


def _compare(trace, nodes, values, grads, parents):
    """The note {lang: text} naming the nodes whose own .grad (or .data) differs from the recorded
    one, or None when all agree."""
    wrong_grad, wrong_value = [], []
    for m, nid in nodes:
        ours = grads[nid]
        theirs = _number(m.grad)
        if ours is not None and trace.kind(nid) != "constant" and _differs(theirs, float(ours)):
            wrong_grad.append((m, nid, theirs, float(ours)))
        if values[nid] is not None and _differs(_number(m.data), float(values[nid])):
            wrong_value.append((nid, _number(m.data), float(values[nid])))
    if not wrong_grad and not wrong_value:
        return None
    users = {}
    for m, nid in nodes:
        for p in dict.fromkeys(parents[m]):
            users.setdefault(p, []).append(nid)
    # in the order the backward pass meets them: a node gets its gradient from its last user first
    wrong_grad.sort(key=lambda row: max(users.get(row[0], [row[1]])), reverse=True)
    note = {}
    for lang, w in _NOTE.items():
        parts = []
        if wrong_grad:
            items = [w["item"].format(name=trace.name(nid), theirs=fmt(theirs), ours=fmt(ours))
                     for _, nid, theirs, ours in wrong_grad[:_SHOWN]]
            if len(wrong_grad) > _SHOWN:
                items.append(w["more"].format(k=len(wrong_grad) - _SHOWN))
            parts.append(w["differ"].format(n=len(wrong_grad), total=len(nodes), items="; ".join(items)))
            first, nid = wrong_grad[0][:2]
            if users.get(first):
                made = w["or"].join(_made_by(trace, u) for u in users[first])
                parts.append(w["first"].format(name=trace.name(nid), users=made))
        if wrong_value:
            items = [w["value_item"].format(name=trace.name(nid), theirs=fmt(theirs), ours=fmt(ours))
                     for nid, theirs, ours in wrong_value[:_SHOWN]]
            parts.append(w["values"].format(n=len(wrong_value), items="; ".join(items)))
        note[lang] = " ".join(parts)
    return note


def _made_by(trace, nid):
    """'e = a * b', 'o = tanh(n)', 'y = x ** 2': how node nid was computed, in the names shown."""
    op, names = trace.op(nid), [trace.name(p) for p in trace.parents(nid)]
    if len(names) == 2:
        formula = f"{names[0]} {op} {names[1]}"
    elif op == "**":
        formula = f"{names[0]} ** {fmt(trace.arg(nid))}"
    else:
        formula = f"{op}({', '.join(names)})"
    return f"{trace.name(nid)} = {formula}"
