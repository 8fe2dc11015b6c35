"""Escaping: every text that reaches DOT or SVG is data, never markup."""

from __future__ import annotations

import re

__all__ = ["clean", "dot_html", "dot_string", "xml_text", "xml_attr"]

# XML 1.0 cannot carry most control characters, not even escaped; DOT chokes on some too.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text, limit=None):
    """`text` as one printable line: newlines shown as ↵, tabs as spaces, other control
    characters as �, and cut to `limit` characters with … when longer."""
    text = str(text).replace("\r\n", "\n").replace("\n", "↵").replace("\r", "↵").replace("\t", " ")
    text = _CONTROL.sub("\ufffd", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return text


def xml_text(text):
    """Text content for SVG/XML: & < > escaped (the text is already `clean`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text):
    """An XML attribute value in double quotes: & < > " ' escaped."""
    return xml_text(text).replace('"', "&quot;").replace("'", "&#39;")


def dot_html(text):
    """Text inside a Graphviz HTML-like label <...>: entities for & < > " ' and for [ ] { } |
    which some Graphviz versions misread, so a label can never open a tag; a backslash doubled,
    since Graphviz expands \\N, \\G, \\E in HTML labels too (even written &#92;)."""
    out = xml_attr(text.replace("\\", "\\\\"))
    return out.replace("[", "&#91;").replace("]", "&#93;").replace("{", "&#123;").replace(
        "}", "&#125;").replace("|", "&#124;")


def dot_string(text):
    """A Graphviz double-quoted string "...": backslashes and quotes escaped, so escape
    sequences like \\N or \\l in a label stay literal characters."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
