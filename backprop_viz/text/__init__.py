"""Every word a student reads, in English and Korean: the vocabulary, captions, names and numbers."""

from backprop_viz.text.numbers import fmt

__all__ = ["fmt"]
