"""The frames' one stylesheet: short class names for every look, all scoped under the root's class."""

from __future__ import annotations

from backprop_viz.render import style

__all__ = ["ROOT", "STYLESHEET", "BOX", "EDGE", "SIGN"]

# CSS inside an inline <svg> applies to the whole page it is inserted in: every selector starts
# with the frame's root class, and the sheet is one constant, so frames of two players (other
# graph, language, direction) on one page carry the same rules and cannot restyle each other.
# Class rules also outrank the page's own rules for svg elements, which presentation attributes
# never do: a page theme cannot recolour the picture.
ROOT = "bv-svg"

BOX = ("s0", "s1", "s2")  # value box or op node: pending, done, active (template.PENDING…ACTIVE)
EDGE = ("e0", "e1", "e2")  # an edge without a gradient yet, by the same statuses
SIGN = {1: "p", -1: "n", 0: "z", 2: "m"}  # gradient sign -> suffix of g* (edge), t* (tint), l* (label)

def _families(names):
    return ",".join(f"'{n}'" if " " in n else n for n in names.split(","))


_MONO, _SANS = _families(style.MONO), _families(style.SANS)

_RULES = [
    # root: the fonts and ink every text inherits
    ("text", f"fill:{style.INK}"),
    ("path", "fill:none"),
    (".bv-card", f"fill:{style.BACKGROUND};stroke:{style.CARD_EDGE}"),
    (".bv-status", f"font-family:{_SANS};font-size:12px;font-weight:bold"),
    (".bv-note", f"font-family:{_SANS};font-size:{style.NOTE_SIZE:g}px"),
    # value boxes and op nodes by status; a parameter's own border unless active
    (".s0", f"fill:#ffffff;stroke:{style.PENDING};stroke-dasharray:4 3"),
    (".s1", f"fill:{style.DONE_FILL};stroke:{style.DONE_EDGE}"),
    (".s2", f"fill:{style.ACTIVE_FILL};stroke:{style.ACTIVE_EDGE};stroke-width:2.5"),
    (".pm", f"stroke:{style.PARAM_EDGE};stroke-width:2"),
    (".pt", f"fill:{style.PARAM_TINT}"),
    *((f".t{s}", f"fill:{style.TINT[k]}") for k, s in SIGN.items()),
    (".sp", f"stroke:{style.PENDING};stroke-width:0.8"),
    (".tt", f"text-anchor:middle;font-weight:bold;font-size:{style.TITLE_SIZE:g}px"),
    (".h", f"fill:{style.MUTED}"),
    (".n", "text-anchor:end"),
    (".bv-op text", f"text-anchor:middle;font-size:{style.TITLE_SIZE:g}px"),
    (".cb", f"fill:{style.DONE_FILL};stroke:{style.PENDING}"),
    (".mb", f"fill:#ffffff;stroke:{style.PENDING};stroke-dasharray:3 2"),
    (".m", f"text-anchor:middle;fill:{style.MUTED}"),
    # edges: the group's stroke and fill colour the curve and its arrowhead; the curve's width
    (".e0", f"stroke:{style.PENDING};fill:{style.PENDING}"),
    (".e0 path", "stroke-dasharray:4 3"),
    (".e1", f"stroke:{style.DONE_EDGE};fill:{style.DONE_EDGE}"),
    (".e1 path", "stroke-width:1.2"),
    (".e2", f"stroke:{style.ACTIVE_EDGE};fill:{style.ACTIVE_EDGE}"),
    (".e2 path", "stroke-width:2.4"),
    *((f".g{s}", f"stroke:{style.SIGN_COLOR[k]};fill:{style.SIGN_COLOR[k]}") for k, s in SIGN.items()),
    # gradient labels on edges: a white plate (yellow while active) ringed in the sign's colour
    (".l rect", "fill:#ffffff;stroke-width:0.8"),
    (".l text", f"text-anchor:middle;font-size:{style.LABEL_SIZE:g}px"),
    *((f".l{s} rect", f"stroke:{style.SIGN_COLOR[k]}") for k, s in SIGN.items()),
    (".la rect", f"fill:{style.ACTIVE_FILL}"),
    (".la text", "font-weight:bold"),
    # the re-use badge: an upstream gradient computed once, used again (Okabe–Ito reddish purple)
    (".bv-reuse rect", "fill:#f7e4ee;stroke:#cc79a7;stroke-width:1.2"),
    (".bv-reuse text", f"text-anchor:middle;font-family:{_SANS};font-size:{style.LABEL_SIZE:g}px;font-weight:bold"),
    # legend
    (".lg text", f"font-family:{_SANS};font-size:{style.LABEL_SIZE:g}px;fill:{style.MUTED}"),
    (".lg .s2", "stroke-width:1.5"),
    (".lg .s0", "stroke-dasharray:3 2"),
    (".lg .pm", "fill:#ffffff"),
]

STYLESHEET = (f".{ROOT}{{font-family:{_MONO};font-size:{style.ROW_SIZE:g}px;fill:{style.INK}}}"
              + "".join(f".{ROOT} {sel}{{{body}}}" for sel, body in _RULES))
