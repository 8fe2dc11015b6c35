"""Helpers for the widget tests: walk a widget tree, spot Korean text."""

import re

HANGUL = re.compile("[\uac00-\ud7a3]")


def controls(widget):
    """Every widget inside `widget` (depth first), itself included."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from controls(child)
