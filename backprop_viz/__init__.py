"""backprop_viz: watch backpropagation happen, step by step, in Jupyter."""

import importlib
import sys

__version__ = "0.1.0"

# Public name -> the module that defines it. Imported on first use, so `import backprop_viz`
# stays quick and the engine never pulls in graphviz, matplotlib or ipywidgets.
_EXPORTS = {
    "Value": "engine",
    "record": "trace",
    "trace_of": "trace",
    "Trace": "trace",
    "draw": "render",
    "frames": "render",
    "BackpropPlayer": "widgets",
    "GradientDescentView": "widgets",
    "GradientQuiz": "widgets",
    "export_html": "export",
    "export_gif": "export",
    "expression": "expression",
    "Sandbox": "widgets",
}
_SUBMODULES = ("engine", "trace", "text", "render", "widgets", "export", "nn", "data", "naive", "plots", "bridges")

__all__ = sorted(_EXPORTS) + ["nn", "data", "naive", "plots"]


def _caption(snapshot, lang="en", fmt="text"):
    from backprop_viz.text.captions import caption

    return caption(snapshot, lang=lang, fmt=fmt)


def _name(trace, nid):
    from backprop_viz.text.names import name

    return name(trace, nid)


# The recording layer asks the text layer (above it) for captions and names through these two
# hooks, so neither imports the other's modules in a circle. This root runs before any submodule.
from backprop_viz.trace import present as _present  # noqa: E402

_present.caption, _present.name = _caption, _name


def _foreign_trace(loss):
    from backprop_viz.bridges import foreign_trace

    return foreign_trace(loss)


def _torch_recording(trace):
    if "torch" not in sys.modules:  # PyTorch stays optional: never imported here, only met where the user did
        return None
    from backprop_viz.bridges.torch import recording

    return recording(trace)


# In the same way trace_of() hands values that are not the engine's (micrograd-style ones) to the
# bridges, and every record() block also records PyTorch code once the user has imported torch.
from backprop_viz.trace import build as _build, recorder as _recorder  # noqa: E402

_build.foreign = _foreign_trace
_recorder.add_extension(_torch_recording)

# `expression` names both a submodule and the function it defines. Bound now, the function stays
# the package's attribute: importing the submodule later (from backprop_viz.expression import …)
# would otherwise leave the module there, and `from backprop_viz import expression` would give it.
from backprop_viz.expression import expression  # noqa: E402


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'backprop_viz' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
