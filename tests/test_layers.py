"""The package's layers, read from its source: no import circles, no upward imports, and no
module outside the recording package reads a Trace's private attributes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_viz"

# Bottom to top, as in DESIGN.md: a module may import its own layer and the layers below it.
LAYERS = [
    ("engine",),
    ("trace",),
    ("text",),
    ("nn", "losses", "optim", "data", "naive", "expression"),
    ("bridges",),
    ("render",),
    ("plots", "fonts"),  # fonts: the Hangul font for figures (plots) and GIF frames (export)
    ("export",),
    ("widgets",),
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path):
    """Every backprop_viz module `name` imports, at module level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            # `from backprop_viz.trace import recorder` imports a module; `import X` of a name, its module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t.startswith("backprop_viz.") and t != name)
    return found


GRAPH = {name: {t for t in _imports(name, path) if t in MODULES} for name, path in MODULES.items()}


def _layer(name):
    parts = name.split(".")
    return LEVEL.get(parts[1]) if len(parts) > 1 else None


def test_every_module_belongs_to_a_layer():
    """A new top-level module or package must be placed in LAYERS (and in DESIGN.md)."""
    unplaced = [name for name in MODULES if name != "backprop_viz" and _layer(name) is None]
    assert not unplaced, f"modules in no layer: {unplaced}"


def test_no_module_imports_a_layer_above_its_own():
    upward = [(name, target) for name, targets in GRAPH.items() if name != "backprop_viz"
              for target in targets if _layer(target) > _layer(name)]
    assert not upward, "upward imports (module -> module above it): " + ", ".join(f"{a} -> {b}" for a, b in upward)


def _cycle(graph):
    """One import circle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circles():
    # A package's __init__ re-exports its modules; a module importing its own package's __init__
    # would be a circle through it, and counts.
    circle = _cycle(GRAPH)
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_the_circle_finder_finds_a_planted_circle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(planted) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _trace_private_names():
    """The underscore attributes a Trace sets on itself (self._x = ... in trace/trace.py)."""
    tree = ast.parse((PACKAGE / "trace" / "trace.py").read_text(encoding="utf-8"))
    names = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "Trace"):
        for node in ast.walk(cls):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                names.add(node.attr)
    return names


TRACE_PRIVATE = _trace_private_names()


def _private_reads(source):
    """(line, attribute) for every read of a Trace private attribute in `source` (a class's own
    `self._x` is its own business, not a Trace's)."""
    return sorted((node.lineno, node.attr) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Attribute) and node.attr in TRACE_PRIVATE
                  and not (isinstance(node.value, ast.Name) and node.value.id == "self"))


def test_the_trace_has_private_columns_to_protect():
    assert {"_events", "_pass_starts"} <= TRACE_PRIVATE, TRACE_PRIVATE


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("backprop_viz.trace")))
def test_no_module_outside_the_recording_package_reads_trace_internals(name):
    reads = _private_reads(MODULES[name].read_text(encoding="utf-8"))
    assert not reads, f"{name} reads Trace internals (use the read API in docs/trace_api.md): {reads}"


def test_the_private_read_scan_catches_a_planted_read():
    assert _private_reads("def f(trace):\n    return trace._events[0][5]\n") == [(2, "_events")]
    assert _private_reads("def f(trace):\n    return trace.event(0).local\n") == []
    assert _private_reads("class A:\n    def f(self):\n        return self._events\n") == []
