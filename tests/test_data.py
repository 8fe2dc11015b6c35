import numpy as np
import pytest

from backprop_viz import data

SETS = {"line": data.line, "moons": data.moons, "xor": data.xor, "circles": data.circles}


@pytest.mark.parametrize("name", SETS)
def test_same_seed_same_data_other_seed_other_data(name):
    make = SETS[name]
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name, d", [("line", 1), ("moons", 2), ("xor", 2), ("circles", 2)])
def test_shapes_and_dtypes(name, d):
    X, y = SETS[name](n=37)
    assert X.shape == (37, d) and y.shape == (37,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", ["moons", "xor", "circles"])
def test_class_labels_are_0_and_1_and_balanced(name):
    _, y = SETS[name](n=101)
    assert set(np.unique(y)) == {0.0, 1.0}
    assert abs(int((y == 1).sum()) - int((y == 0).sum())) <= 1


def test_line_follows_slope_and_intercept():
    X, y = data.line(n=2000, slope=-1.5, intercept=0.7, noise=0.2, seed=1)
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    assert slope == pytest.approx(-1.5, abs=0.03) and intercept == pytest.approx(0.7, abs=0.03)
    residual = y - (-1.5 * X[:, 0] + 0.7)
    assert residual.std() == pytest.approx(0.2, rel=0.1)
    assert X.min() >= -2.0 and X.max() <= 2.0


def test_line_without_noise_is_exact():
    X, y = data.line(n=10, slope=3.0, intercept=-2.0, noise=0.0, low=0.0, high=1.0)
    assert np.allclose(y, 3.0 * X[:, 0] - 2.0)


def test_moons_without_noise_lie_on_their_arcs():
    X, y = data.moons(n=60, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and (upper[:, 1] >= 0).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0) and (lower[:, 1] <= 0.5).all()


def test_xor_label_is_sign_disagreement_at_the_centres():
    X, y = data.xor(n=40, noise=0.0)
    assert set(map(tuple, np.abs(X))) == {(1.0, 1.0)}
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(float))


def test_circles_radii():
    X, y = data.circles(n=50, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_label_conversions_round_trip():
    y = np.array([0.0, 1.0, 1.0, 0.0])
    s = data.as_signs(y)
    assert s.tolist() == [-1.0, 1.0, 1.0, -1.0]
    assert data.as_bits(s).tolist() == y.tolist()
    assert data.as_signs(s).tolist() == s.tolist()  # already -1/+1: unchanged
    assert data.as_bits(y).tolist() == y.tolist()


def test_label_conversion_rejects_other_labels():
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        data.as_signs([0.0, 2.0])
    with pytest.raises(ValueError, match="labels must be -1 or 1"):
        data.as_bits([-1.0, 0.5])


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: data.moons(n=1), ValueError, "n .* int >= 2"),
        (lambda: data.line(n=2.5), ValueError, "n .* int"),
        (lambda: data.circles(noise=-0.1), ValueError, "noise must be >= 0"),
        (lambda: data.circles(factor=1.5), ValueError, "factor"),
        (lambda: data.xor(seed="abc"), TypeError, "seed must be an int"),
        (lambda: data.line(low=1.0, high=0.0), ValueError, "low must be below high"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, error, words):
    with pytest.raises(error, match=words):
        call()
