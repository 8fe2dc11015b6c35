"""Jupyter widgets: a player for recorded traces, a gradient-descent view, a gradient quiz, a sandbox."""

from backprop_viz.widgets.descent import GradientDescentView
from backprop_viz.widgets.player import BackpropPlayer
from backprop_viz.widgets.quiz import GradientQuiz
from backprop_viz.widgets.sandbox import Sandbox

__all__ = ["BackpropPlayer", "GradientDescentView", "GradientQuiz", "Sandbox"]
