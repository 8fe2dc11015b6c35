"""Gradients without backpropagation (finite differences, the chain rule path by path), with exact work counts.

Three ways to get dL/dθ for every parameter θ of one graph, each counting its work:
- `backprop(loss)`: one forward pass, then one backward pass that multiplies once per edge
  (upstream gradient × local derivative; edges into constants need none) and re-uses every
  partial result.
- `finite_differences(loss)`: dL/dθ ≈ (L(θ + h) - L(θ - h)) / 2h — two forward passes per parameter.
- `path_gradients(loss)`: the chain rule for each parameter on its own: the sum, over every path
  from the loss down to θ, of the product of the local derivatives along it — nothing re-used.
`cost_table()` puts their counts side by side as an MLP grows wider and deeper; the number of
paths is counted by dynamic programming there, never by listing them.

Counting conventions (exact, per graph edge; in a scalar graph every count is an operation on
numbers): a path of k edges costs k multiplications (starting from dL/dL = 1, as backprop's
first edges do); summing m terms into one gradient costs m - 1 additions; a forward pass
evaluates every computed node once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import nn
from .engine import Value, stack, topological_order
from .engine.rules import contributions
from .optim import _unrecorded

__all__ = [
    "Cost", "Gradients", "backprop", "finite_differences", "path_gradients", "count_paths",
    "path_cost", "CostRow", "CostTable", "cost_table", "StepCount", "StepCounts", "step_counts",
]


class Cost(NamedTuple):
    """Work done to get the gradients."""

    forward_passes: int = 0
    node_evaluations: int = 0  # computed nodes evaluated, summed over the forward passes
    multiplications: int = 0  # chain-rule products: upstream or partial product × local derivative
    additions: int = 0  # sums of chain-rule terms into one gradient
    paths: int = 0  # paths from the loss to the parameters that were walked (path method only)

    @property
    def operations(self):
        """node_evaluations + multiplications + additions: one number to compare methods by."""
        return self.node_evaluations + self.multiplications + self.additions


class Gradients(NamedTuple):
    """grads[i] = dL/dparameters[i] (a float, or an array shaped like the parameter), and the cost."""

    parameters: list
    grads: list
    cost: Cost


def _graph(loss):
    if not isinstance(loss, Value):
        raise TypeError(f"expected the loss as a Value (the root of a graph), not {type(loss).__name__}.")
    if loss.shape not in ((), (1,)):
        raise ValueError(f"the loss must be a single number, not an array of shape {loss.shape}; reduce it first.")
    return topological_order(loss)


def _parameters(order, parameters):
    if parameters is None:
        return [v for v in order if not v.parents and v.role == "parameter"]
    if isinstance(parameters, nn.Module):
        parameters = parameters.parameters()
    params = list(parameters)
    for p in params:
        if not isinstance(p, Value) or p.parents:
            raise TypeError("parameters must be leaf Values (made with Value(...), not computed).")
    return params


def _computed(order):
    return sum(1 for v in order if v.parents)


def _edges(order):
    return sum(len(v.parents) for v in order)


def backprop(loss, parameters=None):
    """dL/dθ by loss.backward() (the parameters' grads are zeroed first), with its counts: 1 forward
    pass; one multiplication per edge not into a constant; m - 1 additions where m terms arrive."""
    order = _graph(loss)
    params = _parameters(order, parameters)
    for p in params:
        p.grad = 0.0
    loss.backward()
    cost = _backprop_cost(order)
    return Gradients(params, [_grad_copy(p.grad) for p in params], cost)


def _backprop_cost(order):
    # One multiplication per edge into a node that takes a gradient (constants take none, as in
    # the engine: exactly the trace's backward events); m terms into one gradient: m - 1 additions.
    into = [p for v in order for p in v.parents if p.role != "constant"]
    return Cost(1, _computed(order), len(into), len(into) - len(set(into)))


def _grad_copy(g):
    return g if type(g) is float else np.array(g)


# ---- forward passes again: re-build the graph with one leaf changed, using the engine's own ops

_APPLY = {
    "+": lambda a, b, arg: a + b,
    "-": lambda a, b, arg: a - b,
    "*": lambda a, b, arg: a * b,
    "/": lambda a, b, arg: a / b,
    "@": lambda a, b, arg: a @ b,
    "neg": lambda a, arg: -a,
    "**": lambda a, arg: a**arg,
    "exp": lambda a, arg: a.exp(),
    "log": lambda a, arg: a.log(),
    "tanh": lambda a, arg: a.tanh(),
    "sigmoid": lambda a, arg: a.sigmoid(),
    "relu": lambda a, arg: a.relu(),
    "sum": lambda a, arg: a.sum(arg),
    "mean": lambda a, arg: a.mean(arg),
    "reshape": lambda a, arg: a.reshape(arg),
    "T": lambda a, arg: a.T,
    "stack": lambda *parents_then_shape: stack(parents_then_shape[:-1], parents_then_shape[-1]),
}


def _evaluate(order, leaf, data):
    """L with `leaf` holding `data`: one forward pass over the graph (a fresh copy of it)."""
    new = {leaf: Value(data, role=leaf.role)}
    for v in order:
        if v.parents:
            new[v] = _APPLY[v.op](*(new.get(p, p) for p in v.parents), v._arg)
    return float(np.asarray(new[order[-1]].data).reshape(()))


def finite_differences(loss, parameters=None, h=1e-6):
    """dL/dθ ≈ (L(θ + h) - L(θ - h)) / 2h for every parameter number: 2 forward passes each.

    `loss` is a loss Value (its graph is evaluated again with one parameter nudged) or a function
    of no arguments that builds the loss from the parameters' current data (then `parameters`
    must be given; they are nudged through `.data` and restored).
    """
    if not (isinstance(h, (int, float)) and h > 0):
        raise ValueError(f"h (the step) must be a small positive number, not {h!r}.")
    if callable(loss) and not isinstance(loss, Value):
        if parameters is None:
            raise ValueError("finite_differences(f) needs the parameters to nudge: finite_differences(f, params).")
        fn, params = loss, _parameters([], parameters)
    else:
        order = _graph(loss)
        params, fn = _parameters(order, parameters), None
    passes = evaluations = 0
    grads = []
    with _unrecorded():
        for p in params:
            base = p.data
            g = np.zeros(np.shape(base))
            for idx in np.ndindex(g.shape):
                values = []
                for sign in (1.0, -1.0):
                    nudged = np.array(base, dtype=np.float64)
                    nudged[idx] += sign * h
                    if fn is None:
                        values.append(_evaluate(order, p, float(nudged) if nudged.ndim == 0 else nudged))
                        evaluations += _computed(order)
                    else:
                        p.data = nudged
                        try:
                            out = fn()
                        finally:
                            p.data = base
                        values.append(float(np.asarray(out.data if isinstance(out, Value) else out).reshape(())))
                        evaluations += _computed(topological_order(out)) if isinstance(out, Value) else 0
                    passes += 1
                g[idx] = (values[0] - values[1]) / (2.0 * h)
            grads.append(float(g) if g.ndim == 0 else g)
    return Gradients(params, grads, Cost(passes, evaluations, 0, 0))


# ---- the chain rule, path by path


def _scalar_graph(order):
    for v in order:
        if v.shape != ():
            raise ValueError(
                "path-by-path gradients need a scalar graph (every node one number), but a node has "
                f"shape {v.shape}; build the loss from single samples, e.g. loss = (model(x) - y) ** 2."
            )


def _local(node):
    """(slot, dnode/dparent) for each edge into `node`'s parents, from the engine's own rules."""
    return [(slot, float(c)) for slot, _, c in contributions(node, 1.0)]


def _path_counts(order):
    """For every node v: (number of paths loss -> v, total edges on those paths), by one sweep."""
    count, length = {order[-1]: 1}, {order[-1]: 0}
    for v in reversed(order):
        c = count.get(v, 0)
        if not c:
            continue
        for p in v.parents:
            count[p] = count.get(p, 0) + c
            length[p] = length.get(p, 0) + length[v] + c
    return count, length


def count_paths(loss, parameters=None):
    """How many paths lead from the loss to each parameter (counted, not listed: any graph size)."""
    order = _graph(loss)
    count, _ = _path_counts(order)
    return [count.get(p, 0) for p in _parameters(order, parameters)]


def path_cost(loss, parameters=None):
    """The Cost path_gradients would have, computed without listing the paths."""
    order = _graph(loss)
    params = _parameters(order, parameters)
    count, length = _path_counts(order)
    paths = [count.get(p, 0) for p in params]
    mults = sum(length.get(p, 0) for p in params)
    return Cost(1, _computed(order), mults, sum(max(k - 1, 0) for k in paths), sum(paths))


def path_gradients(loss, parameters=None, max_paths=200_000):
    """dL/dθ = Σ over every path loss -> … -> θ of the product of local derivatives on the path.

    Each path's product is computed from scratch (no re-use of shared parts): a path of k edges
    costs k multiplications. Refuses (ValueError) when the graph has more than `max_paths`
    paths; path_cost() and cost_table() count those without walking them.
    """
    order = _graph(loss)
    _scalar_graph(order)
    params = _parameters(order, parameters)
    planned = path_cost(loss, params)
    if planned.paths > max_paths:
        raise ValueError(
            f"this graph has {planned.paths:,} paths from the loss to its parameters (more than "
            f"max_paths={max_paths:,}); walking them all would take too long — that is the point "
            "of backprop. Use path_cost(loss) for the counts, or a smaller network."
        )
    wanted = set(params)
    reaches = _reaching(order, wanted)
    local = {v: _local(v) for v in order if v.parents and v in reaches}
    total = {p: 0.0 for p in params}
    terms = {p: 0 for p in params}
    mults = 0
    stack = [(order[-1], ())]  # (node, local derivatives along the path so far)
    while stack:
        node, factors = stack.pop()
        if node in wanted:
            product = 1.0  # dL/dL
            for f in factors:
                product *= f
            mults += len(factors)
            total[node] += product
            terms[node] += 1
        for slot, d in local.get(node, ()):
            parent = node.parents[slot]
            if parent in reaches:
                stack.append((parent, factors + (d,)))
    adds = sum(max(k - 1, 0) for k in terms.values())
    cost = Cost(1, _computed(order), mults, adds, sum(terms.values()))
    return Gradients(params, [total[p] for p in params], cost)


def _reaching(order, targets):
    """Nodes from which some target can be reached (the only ones worth walking through)."""
    reach = set(targets)
    for v in order:
        if any(p in reach for p in v.parents):
            reach.add(v)
    return reach


# ---- the three methods as a network grows


class CostRow(NamedTuple):
    """Counts for one MLP: its shape, its graph, and the Cost of each method."""

    width: int
    depth: int
    parameters: int
    nodes: int  # computed nodes of the single-sample graph
    edges: int
    backprop: Cost
    finite_differences: Cost
    paths: Cost


from .text.words import COST_TABLE as _TABLE_WORDS  # the column heads and caption, in the one vocabulary  # noqa: E402


class CostTable(list):
    """A list of CostRow that prints as a table (text, and HTML in a notebook), in `lang`."""

    lang = "en"

    @property
    def _HEAD(self):
        return _TABLE_WORDS[self.lang][0]

    def _cells(self):
        for r in self:
            yield (r.width, r.depth, r.parameters, r.edges, r.backprop.operations,
                   r.finite_differences.operations, r.paths.operations)

    def __str__(self):
        rows = [self._HEAD] + [tuple(f"{c:,}" for c in cells) for cells in self._cells()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEAD))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)

    def _repr_html_(self):
        head = "".join(f"<th>{h}</th>" for h in self._HEAD)
        body = "".join("<tr>" + "".join(f"<td>{c:,}</td>" for c in cells) + "</tr>" for cells in self._cells())
        note = f"<caption>{_TABLE_WORDS[self.lang][1]}</caption>"
        return f"<table>{note}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cost_table(widths=(2, 4, 8), depths=(1, 2, 4, 8), n_in=2, activation="tanh", lang="en"):
    """Exact counts of the three methods for MLP(n_in, [width] * depth + [1]) on one sample with a
    squared-error loss, for every width and depth: backprop grows with the edges E, finite
    differences with parameters × nodes, path enumeration with width^depth.
    `lang` ("en" or "ko") is the language the table prints in."""
    if lang not in _TABLE_WORDS:
        raise ValueError(f"lang must be 'en' or 'ko', not {lang!r}.")
    table = CostTable()
    table.lang = lang
    x, y = [0.5] * n_in, 1.0
    with _unrecorded():
        for depth in depths:
            for width in widths:
                model = nn.MLP(n_in, [width] * depth + [1], activation, seed=0)
                loss = (model(x) - y) ** 2
                order = _graph(loss)
                params = model.parameters()
                nodes, edges = _computed(order), _edges(order)
                bp = _backprop_cost(order)
                fd = Cost(2 * len(params), 2 * len(params) * nodes)
                table.append(CostRow(width, depth, len(params), nodes, edges, bp, fd, path_cost(loss, params)))
    return table


# ---- backprop and the path-by-path method, step by step on one recorded graph

from .text.words import STEP_COUNTS as _STEP_WORDS  # noqa: E402


class StepCount(NamedTuple):
    """After backward step `step` (a player's step number) along the edge child → parent: the
    multiplications backprop has done so far, and those the path-by-path method would have done
    for the same numbers."""

    step: int
    child: int
    parent: int
    backprop: int
    paths: int


class StepCounts(list):
    """A list of StepCount that prints as a table (text, and HTML in a notebook), in `lang`."""

    lang = "en"
    trace = None
    edges = True  # the edge column (names such as v17 say little in a network of unnamed values)

    def every(self, k):
        """Every k-th row and the last one: a table short enough to read."""
        out = StepCounts(r for i, r in enumerate(self) if i % k == k - 1 or i == len(self) - 1)
        out.lang, out.trace, out.edges = self.lang, self.trace, self.edges
        return out

    def _head(self):
        head = _STEP_WORDS[self.lang][0]
        return head if self.edges else (head[0],) + head[2:]

    def _cells(self):
        for r in self:
            edge = (f"{self.trace.name(r.child)} → {self.trace.name(r.parent)}",) if self.edges else ()
            yield (str(r.step), *edge, f"{r.backprop:,}", f"{r.paths:,}")

    def __str__(self):
        head = self._head()
        rows = [head] + list(self._cells())
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)

    def _repr_html_(self):
        import html

        head = "".join(f"<th>{html.escape(h)}</th>" for h in self._head())
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
                       for cells in self._cells())
        return (f"<table><caption>{html.escape(_STEP_WORDS[self.lang][1])}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")


def step_counts(trace, pass_index=0, lang="en", edges=True):
    """Per backward step of one pass of a Trace, the running count of multiplications of both methods.

    Backprop: one per step, ∂L/∂parent += ∂L/∂child · ∂child/∂parent, with ∂L/∂child already known
    (computed once, re-used for every parent of child). Path by path, nothing is re-used: the same
    number is the sum over every path L → … → child → parent of the product of its local
    derivatives, a path of k edges costing k multiplications (from dL/dL = 1, as backprop's first
    edges). With P(c) paths from L to c of E(c) edges in all, that step costs E(c) + P(c).
    The table shows each step's edge unless edges=False."""
    if lang not in _STEP_WORDS:
        raise ValueError(f"lang must be 'en' or 'ko', not {lang!r}.")
    out = StepCounts()
    out.lang, out.trace, out.edges = lang, trace, bool(edges)
    if not len(trace):
        return out
    start, stop = trace.pass_range(pass_index)
    backprop = paths = 0
    count = length = None
    for i, ev in trace.events_between(start, stop):
        if ev.kind == "seed":  # a new backward run: paths from its loss, by one sweep down the ids
            count, length = {ev.node: 1}, {ev.node: 0}
            for v in range(ev.node, -1, -1):  # a node's inputs were met before it: lower ids
                c = count.get(v, 0)
                if c:
                    for p in trace.parents(v):
                        count[p] = count.get(p, 0) + c
                        length[p] = length.get(p, 0) + length[v] + c
        elif ev.kind == "backward" and count is not None:
            backprop += 1
            paths += length.get(ev.child, 0) + count.get(ev.child, 0)
            out.append(StepCount(i + 1, ev.child, ev.node, backprop, paths))
    return out
