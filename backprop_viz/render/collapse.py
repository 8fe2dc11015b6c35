"""Big graphs: neurons and chains of + drawn as one node each, or a summary near the output."""

from __future__ import annotations

from collections import Counter, deque
from itertools import chain

from backprop_viz.render import style
from backprop_viz.render.escape import clean
from backprop_viz.render.scene import Scene, DEdge, add_op, add_value, full_scene, more_node
from backprop_viz.text.words import PICTURE

__all__ = ["scene_for", "SUMMARY_NODES", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 200  # above this many values a picture stops being readable
SUMMARY_NODES = 30  # values drawn in a summary
SUMMARY_FANIN = 4  # inputs shown per op in a summary; the rest become one "n more" node
LABEL_NODES = 60  # up to this many drawn values, every delivered gradient is written on its edge
ACTIVATIONS = ("tanh", "relu", "sigmoid")


def scene_for(s, lang, max_nodes=DEFAULT_MAX_NODES, keep=()):
    """The scene of structure `s`: every node when there are at most `max_nodes`, else neurons
    and + chains collapsed, else a summary of the values nearest the output with a note. The
    nodes in `keep` (local ids) are never hidden in a group, and a summary shows the way from
    them to the output."""
    words = PICTURE[lang]
    n = len(s)
    if n <= max_nodes:
        scene = full_scene(s, lang)
    else:
        groups, what = _groups(s, set(keep))
        shown = n - len(set().union(*(g[1] for g in groups.values()))) if groups else n
        if groups and shown <= max_nodes:
            scene = _grouped_scene(s, groups, lang)
            scene.note = words["collapsed"].format(n=f"{n:,}", what="; ".join(words[w] for w in what))
        else:
            scene = _summary_scene(s, groups, lang, keep)
    scene.labels = sum(1 for d in scene.nodes if d.kind in ("value", "const")) <= LABEL_NODES
    return scene


def _uses(s):
    """(uses, user): how many times each node is an input (a Counter: 0 for none), and the last
    node using it (the one user of a node used once); made with C loops, as a big graph has 100k nodes."""
    parents = s.parents
    return Counter(chain.from_iterable(parents)), {p: c for c, ps in enumerate(parents) for p in ps}


def _sum_tree(s, top, uses, taken=()):
    """Inner + nodes (used once, by the tree) under `top`, and its terms [(term, child, slot)]
    left to right."""
    inner, terms, stack = [], [], [top]
    while stack:
        c = stack.pop()
        for slot, p in enumerate(s.parents[c]):
            if s.ops[p] == "+" and uses[p] == 1 and s.drawable[p] and p not in taken:
                inner.append(p)
                stack.append(p)
            else:
                terms.append((p, c, slot))
    terms.sort(key=lambda t: (t[1], t[2]))
    return inner, terms


def _neuron(s, top, uses, taken):
    """(members, inputs) when the + tree under `top` is Σ w·x + b with parameters w, b; else None."""
    inner, terms = _sum_tree(s, top, uses, taken)
    members, inputs, biases = set(inner), [], 0
    for p, c, slot in terms:
        if s.kinds[p] == "parameter":
            biases += 1
            members.add(p)
            continue
        if s.ops[p] != "*" or uses[p] != 1:
            return None
        a, b = s.parents[p]
        pa, pb = s.kinds[a] == "parameter", s.kinds[b] == "parameter"
        if pa == pb:
            return None
        members.update((p, a if pa else b))
        inputs.append((b if pa else a, p, 1 if pa else 0))
    if not inputs or biases > 1:
        return None
    return members, inputs


def _neuron_tops(s, uses, keep):
    """For every node, whether the + tree under it is Σ w·x + b hiding no node of `keep`: what
    _neuron would find, worked out once from the inputs up (a + tree contains the trees of its
    inner + nodes), so a long chain of + is walked once instead of once per +."""
    n = len(s)
    ok, inputs, biases, kept = [False] * n, [0] * n, [0] * n, [False] * n
    for i in range(n):  # local ids follow the recording: every parent comes before its child
        if s.ops[i] != "+" or not s.drawable[i]:
            continue
        good, ins, bias, hit = True, 0, 0, i in keep
        for p in s.parents[i]:
            if s.ops[p] == "+" and uses[p] == 1 and s.drawable[p]:  # inner: its tree is part of this one
                good = good and ok[p] is not None
                ins, bias, hit = ins + inputs[p], bias + biases[p], hit or kept[p]
            elif s.kinds[p] == "parameter":
                bias, hit = bias + 1, hit or p in keep
            elif s.ops[p] == "*" and uses[p] == 1:
                a, b = s.parents[p]
                pa, pb = s.kinds[a] == "parameter", s.kinds[b] == "parameter"
                good = good and pa != pb
                ins, hit = ins + 1, hit or p in keep or (a if pa else b) in keep
            else:
                good = False
        # None: no Σ w·x + b can contain this tree; False: not one itself (yet), but one may contain it
        ok[i] = None if not good or bias > 1 else (ins > 0 and not hit)
        inputs[i], biases[i], kept[i] = ins, bias, hit
    return ok


def _groups(s, keep=frozenset()):
    """{output: (op text, hidden members, inputs)} for neurons and + chains, and what was collapsed;
    a group that would hide a node of `keep` is not made."""
    uses, user = _uses(s)
    fits = _neuron_tops(s, uses, keep)
    groups, taken, what = {}, set(), []
    for i in range(len(s) - 1, -1, -1):  # outputs first: the top of a chain is met before its inside
        if i in taken or not s.drawable[i]:
            continue
        op = s.ops[i]
        if op in ACTIVATIONS:
            top = s.parents[i][0]
            if s.ops[top] != "+" or uses[top] != 1 or not s.drawable[top]:
                continue
        elif op == "+":
            top = i
        else:
            continue
        if not fits[top]:
            continue
        members, inputs = _neuron(s, top, uses, taken)
        if top != i:
            members.add(top)
        act = style.op_text(op) if op in ACTIVATIONS else ""
        groups[i] = (f"{act}(Σwx+b)" if act else "Σwx+b", members, inputs)
        taken |= members | {i}
    if groups:
        what.append("neurons")
    sums = 0
    for i in range(len(s) - 1, -1, -1):
        if i in taken or s.ops[i] != "+" or not s.drawable[i]:
            continue
        if uses[i] == 1 and s.ops[user[i]] == "+" and user[i] not in taken:
            continue  # not the top of its chain
        inner, terms = _sum_tree(s, i, uses, taken)
        if not inner:
            continue
        members, kept = set(inner), []
        for term in terms:  # products of parameters (an L2 penalty's p·p) fold into the sum
            p = term[0]
            if (s.ops[p] == "*" and uses[p] == 1 and s.drawable[p]
                    and all(s.kinds[q] == "parameter" for q in s.parents[p])):
                members.add(p)
                members.update(s.parents[p])
            else:
                kept.append(term)
        if members & keep:
            continue
        groups[i] = ("Σ" if kept else "Σ p·p", members, kept)
        taken |= members | {i}
        sums += 1
    if sums:
        what.append("sums")
    # A parameter disappears into its groups only when every use of it is inside one.
    if groups:
        hidden = set().union(*(g[1] for g in groups.values()))
        params = {m for m in hidden if s.kinds[m] == "parameter"}
        shared = {p for c, ps in enumerate(s.parents) if c not in hidden and c not in groups
                  for p in ps if p in params} if params else set()
        if shared:
            for _, members, _ in groups.values():
                members -= shared
    return groups, what


def _grouped_scene(s, groups, lang, keep=None):
    """Scene with each group drawn as one op node; `keep` (a set) limits the values drawn."""
    hidden = set().union(*(g[1] for g in groups.values())) if groups else set()
    scene = Scene(s)
    member_of = {}
    for i in range(len(s)):
        if i in hidden or (keep is not None and i not in keep):
            continue
        add_value(scene, i, lang)
    for i in range(len(s)):
        if i not in scene.value_of or not s.drawable[i]:
            continue
        if i in groups:
            text, members, inputs = groups[i]
            for m in members:
                member_of[m] = i
        else:
            text, inputs = style.op_text(s.ops[i], s.args[i]), [(p, i, k) for k, p in enumerate(s.parents[i])]
        shown = [t for t in inputs if t[0] in scene.value_of]
        o = add_op(scene, i, text, shown)
        if len(shown) < len(inputs):
            stub = scene.add_node(more_node(f"m{i}", len(inputs) - len(shown), lang))
            scene.add_edge(DEdge(stub, o, "more"))
    for m, out in member_of.items():  # a step inside a group lights up the group's op node
        scene.op_of.setdefault(m, scene.op_of[out])
    return scene


def _summary_scene(s, groups, lang, start=()):
    """The SUMMARY_NODES values nearest the output (breadth first from the outputs, at most
    SUMMARY_FANIN inputs followed per op), with a note naming what was left out. With `start`
    (local ids), first one shortest way from each of them to an output, whatever its length."""
    hidden = set().union(*(g[1] for g in groups.values())) if groups else set()
    used = [False] * len(s)
    for ps in s.parents:
        for p in ps:
            used[p] = True
    outputs = [i for i in range(len(s) - 1, -1, -1) if not used[i] and i not in hidden]
    keep, queue = set(), deque(outputs[:SUMMARY_FANIN])
    for i in start:
        keep.update(_way_out(s, groups, hidden, i))
    limit, seen = len(keep) + SUMMARY_NODES if start else SUMMARY_NODES, set()
    while queue and len(keep) < limit:
        i = queue.popleft()
        if i in seen or i in hidden:
            continue
        seen.add(i)
        keep.add(i)
        if not s.drawable[i]:
            continue
        inputs = groups[i][2] if i in groups else [(p, i, k) for k, p in enumerate(s.parents[i])]
        firsts = [t[0] for t in inputs]
        queue.extend(firsts[: SUMMARY_FANIN - 1] + firsts[-1:] if len(firsts) > SUMMARY_FANIN else firsts)
    scene = _grouped_scene(s, groups, lang, keep)
    left = [i for i in range(len(s)) if i not in keep]
    plural = PICTURE[lang]["plural"]
    counts = Counter(style.op_text(s.ops[i], s.args[i]) if s.ops[i] else plural[s.kinds[i]] for i in left)
    ops = ", ".join(f"{c:,} {name}" for name, c in counts.most_common(5))
    if len(counts) > 5:
        ops += ", …"
    words = PICTURE[lang]
    if start:
        scene.note = words["summary_focus"].format(n=f"{len(s):,}", shown=len(keep), left=f"{len(left):,}", ops=ops,
                                                   name=clean(s.titles[start[0]] if s.titles else f"v{s.ids[start[0]]}",
                                                              style.TITLE_CHARS))
    else:
        scene.note = words["summary"].format(n=f"{len(s):,}", shown=len(keep), left=f"{len(left):,}", ops=ops)
    return scene


def _way_out(s, groups, hidden, start):
    """The drawn values on one shortest way from `start` to an output (breadth first), a node
    hidden in a group standing for the group's output."""
    group_of = {m: out for out, (_, members, _) in groups.items() for m in members}
    children = [[] for _ in range(len(s))]
    for c, ps in enumerate(s.parents):
        for p in ps:
            children[p].append(c)
    back, queue, end = {start: None}, deque([start]), start
    while queue:
        i = queue.popleft()
        end = i
        if not children[i]:
            break
        for c in children[i]:
            c = group_of.get(c, c)
            if c not in back:
                back[c] = i
                queue.append(c)
    way = []
    while end is not None:
        if end not in hidden:
            way.append(end)
        end = back[end]
    return way
