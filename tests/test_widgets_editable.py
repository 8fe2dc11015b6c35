"""The player in edit mode: change a leaf, watch every number follow on the same picture and step."""

import re

import numpy as np
import pytest

from backprop_viz import BackpropPlayer, Value, record
from backprop_viz.render import layout_runs
from backprop_viz.text.numbers import fmt
from backprop_viz.text.words import words
from player_view import shown_table
from widget_tools import HANGUL

pytestmark = pytest.mark.dot

_NODE = re.compile(r'<g class="bv-(value|op)" data-node="(\d+)" transform="translate\(([-\d.]+) ([-\d.]+)\)"')


def positions(svg):
    """{(kind, node): (x, y)} of every value box and op circle in a frame."""
    return {(m[1], int(m[2])): (float(m[3]), float(m[4])) for m in _NODE.finditer(svg)}


def neuron():
    """L = tanh(x1·w1 + x2·w2): ids x1 0, w1 1, x2 3, w2 4."""
    x1, w1 = Value(2.0, "x1"), Value(-0.4, "w1", role="parameter")
    x2, w2 = Value(1.5, "x2"), Value(0.7, "w2", role="parameter")
    with record() as trace:
        L = (x1 * w1 + x2 * w2).tanh()
        L.label = "L"
        L.backward()
    return trace


def ids(trace):
    return {trace.label(n): n for n in range(trace.num_nodes) if trace.label(n)}


def test_set_value_shows_the_new_numbers_on_the_same_picture_and_step():
    trace = neuron()
    n = ids(trace)
    p = BackpropPlayer(trace, editable=True)
    step = next(i for i, e in enumerate(trace.events) if e.kind == "backward" and e.node == n["w2"]) + 1
    p.goto(step)
    before_svg, before_table = p.picture, shown_table(p)
    runs = layout_runs()
    p.set_value("x2", 0.0)
    assert p.index == step
    assert p.trace is not trace and p.trace.initial(n["x2"]) == 0.0
    # w2's gradient vanishes: table, caption and picture all say so
    assert p.trace.snapshot(len(p.trace)).grads[n["w2"]] == 0.0
    row = re.search(rf'<tr data-node="{n["w2"]}"[^>]*>(.*?)</tr>', shown_table(p))[1]
    assert row.endswith(f"<td>{fmt(0.0)}</td>")
    assert shown_table(p) != before_table
    assert "1.5" in trace.snapshot(step).caption("en", fmt="latex") and "1.5" not in p.caption.value
    assert p.picture != before_svg
    # no node moved, and no new layout was needed
    assert positions(p.picture) == positions(before_svg) and positions(before_svg)
    assert layout_runs() == runs
    # the editors show the value set from code
    assert p._editors.boxes[n["x2"]].value == 0.0 and p._editors.sliders[n["x2"]].value == 0.0
    assert "x2" in p._editors.message.value


def test_a_slider_saturates_the_tanh_and_the_gradient_dies():
    trace = neuron()
    n = ids(trace)
    p = BackpropPlayer(trace, editable=True, start=len(trace))
    slider = p._editors.sliders[n["w1"]]
    assert slider.min <= -3 and slider.max >= 3
    low = slider.min  # w1 = -3: x1·w1 + x2·w2 = -4.95, deep in tanh's flat tail
    slider.value = low
    assert p.trace.initial(n["w1"]) == low and slider.min == low  # the end of the range stays the end
    grads = p.trace.snapshot(len(p.trace)).grads
    assert abs(grads[n["w1"]]) < 1e-3 and abs(grads[n["x2"]]) < 1e-3
    assert p._editors.boxes[n["w1"]].value == low
    p._editors.boxes[n["x1"]].value = 40.0  # typed beyond the slider: its range widens
    assert p._editors.sliders[n["x1"]].max >= 40.0 and p.index == len(trace)


def test_editors_only_for_inputs_and_parameters_in_korean():
    a = Value(np.array([1.0, -2.0]), "a")
    with record() as trace:
        L = (a * 3.0).sum()
        L.label = "L"
        L.backward()
    p = BackpropPlayer(trace, lang="ko", editable=True)
    assert list(p._editors.boxes) == [0]  # the constant 3 has no editor
    assert HANGUL.search(p._editors.title.value)
    assert HANGUL.search(p._editors.boxes[0].tooltip)
    p._editors.boxes[0].value = "1, 2, 3"
    assert "숫자 2개" in p._editors.message.value and p.trace is trace
    p._editors.boxes[0].value = "[4, 5]"
    assert np.array_equal(p.trace.initial(0), [4.0, 5.0])
    assert "이제" in p._editors.message.value
    assert HANGUL.search(words("ko")["ed_training"])


def test_set_value_refusals_name_the_leaves_and_shapes():
    p = BackpropPlayer(neuron(), editable=True)
    with pytest.raises(KeyError, match="x1, w1, x2, w2"):
        p.set_value("z", 1.0)
    with pytest.raises(ValueError, match=r"shape \(\).*shape \(2,\)"):
        p.set_value("x1", [1.0, 2.0])


def test_a_training_trace_has_no_editors_but_a_sentence():
    w = Value(1.0, "w", role="parameter")
    with record() as trace:
        L = w * w
        L.backward()
        w.data = w.data - 0.1 * w.grad
    p = BackpropPlayer(trace, editable=True)
    assert not p._editors.boxes
    assert "training steps" in p._editors.message.value
    with pytest.raises(ValueError, match="training steps"):
        p.set_value("w", 2.0)


def test_a_player_without_edit_mode_has_no_editors():
    p = BackpropPlayer(neuron())
    assert p._editors is None
    assert not any(type(c).__name__ == "ValueEditors" for c in p.children)


def test_descent_starts_again_from_a_typed_theta0():
    from backprop_viz import GradientDescentView, nn

    X = np.linspace(-1.0, 1.0, 20)[:, None]
    y = 2.0 * X[:, 0] + 0.5
    v = GradientDescentView(nn.LinearRegression(w=-1.0, b=2.0), X, y, lr=0.1, sample=None, lang="ko")
    assert len(v.start_boxes) == 2 and HANGUL.search(v.start_boxes[0].tooltip)
    v.run(5)
    v.set_start((3.0, -2.0))
    assert v.t == 0 and list(v._theta()) == [3.0, -2.0] and np.array_equal(v.thetas[0], [3.0, -2.0])
    assert (v.start_boxes[0].value, v.start_sliders[1].value) == (3.0, -2.0)
    v.start_sliders[1].value = 1.0  # a slider moves θ_0 too
    assert list(v._theta()) == [3.0, 1.0] and v.start_boxes[1].value == 1.0
    v.start_boxes[0].value = 40.0  # beyond the slider and the view: both widen to hold it
    assert v.start_sliders[0].max >= 40.0 and v._inside(np.array([[40.0, 1.0]]))
    v.run(3)
    v.reset()  # reset goes back to the new θ_0
    assert list(v._theta()) == [40.0, 1.0] and v.t == 0
    first = v.losses[0]
    v.set_start((2.0, 0.5))  # the minimum: the loss is 0
    assert v.losses[0] < first and v.losses[0] < 1e-20
    with pytest.raises(ValueError, match="2 numbers"):
        v.set_start([1.0])
    with pytest.raises(ValueError, match="finite"):
        v.set_start([float("nan"), 1.0])


def test_descent_view_of_a_bigger_model_has_no_start_boxes_but_set_start():
    from backprop_viz import GradientDescentView, nn

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([1.0, 0.0, 1.0])
    model = nn.LogisticRegression(n_in=2)
    v = GradientDescentView(model, X, y, loss="bce", lr=0.1, sample=None)
    assert not hasattr(v, "start_boxes")
    n = model.num_parameters()
    v.set_start(np.ones(n))
    assert np.array_equal(v._theta(), np.ones(n))
