"""The look of an element of a frame as its own <style> gives it: rules matched like a browser
(class and type selectors, descendant combinator, specificity, then source order), inherited
properties from the ancestors, presentation attributes below any rule."""

from __future__ import annotations

import re

__all__ = ["computed", "rules", "parent_map", "SVG"]

SVG = "{http://www.w3.org/2000/svg}"
INHERITED = {"fill", "stroke", "stroke-width", "stroke-dasharray", "font-family", "font-size", "font-weight",
             "text-anchor"}


def rules(svg_root):
    """[(selector parts, specificity, order, {property: value})] of the frame's <style>."""
    text = "".join(s.text or "" for s in svg_root.iter(f"{SVG}style"))
    out = []
    for order, (selectors, body) in enumerate(re.findall(r"([^{}]+)\{([^{}]*)\}", text)):
        decl = dict((k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in body.split(";") if d.strip()))
        for sel in selectors.split(","):
            parts = sel.split()
            classes = sum(p.count(".") for p in parts)
            types = sum(1 for p in parts if not p.startswith("."))
            out.append((parts, (classes, types), order, decl))
    return out


def parent_map(root):
    return {child: parent for parent in root.iter() for child in parent}


def _matches_one(el, part):
    tag, *classes = part.split(".")
    if tag and el.tag != SVG + tag:
        return False
    have = set((el.get("class") or "").split())
    return all(c in have for c in classes)


def _matches(el, parts, parents):
    if not _matches_one(el, parts[-1]):
        return False
    rest, node = parts[:-1], parents.get(el)
    while rest and node is not None:
        if _matches_one(node, rest[-1]):
            rest = rest[:-1]
        node = parents.get(node)
    return not rest


def _own(el, sheet, parents):
    found = {k: v for k, v in el.attrib.items() if k in INHERITED}  # presentation attributes lose to rules
    for parts, _, _, decl in sorted((r for r in sheet if _matches(el, r[0], parents)), key=lambda r: (r[1], r[2])):
        found.update(decl)
    return found


def computed(root, el, parents=None, sheet=None):
    """{property: value} for `el`: its own rules and attributes over what it inherits."""
    sheet = rules(root) if sheet is None else sheet
    parents = parent_map(root) if parents is None else parents
    chain = [el]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
    style = {}
    for node in reversed(chain):
        own = _own(node, sheet, parents)
        style = {**{k: v for k, v in style.items() if k in INHERITED}, **own}
    return style

