"""Every registered surface: analytic gradient and Hessian against central differences, listed
critical points, views, starts, descriptions and parameter validation. Parametrized over the
registry, so a surface registered later is tested the moment it exists."""
from __future__ import annotations

import math

import numpy as np
import pytest

from surfaces import SURFACES, make_surface
from surfaces.base import Surface

NAMES = sorted(n for n in SURFACES if n != "expression")


def build(name: str) -> Surface:
    return make_surface(name)


def sample_points(surface: Surface, n: int, seed: int) -> np.ndarray:
    """n random points (n, 2) inside the surface's view (seeded)."""
    x0, x1, y0, y1 = surface.view
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def central_grad(surface: Surface, p: np.ndarray, h: float) -> np.ndarray:
    """Central-difference gradient of value at p (n, 2) -> (n, 2)."""
    out = np.empty_like(p)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        out[:, j] = (surface.value(p + e) - surface.value(p - e)) / (2 * h)
    return out


def central_hessian(surface: Surface, p: np.ndarray, h: float) -> np.ndarray:
    """Central differences of the analytic gradient: (n, 2) -> (n, 2, 2)."""
    out = np.empty((len(p), 2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        out[:, :, j] = (surface.grad(p + e) - surface.grad(p - e)) / (2 * h)
    return out


def span(surface: Surface) -> float:
    x0, x1, y0, y1 = surface.view
    return max(x1 - x0, y1 - y0)


@pytest.mark.parametrize("name", NAMES)
def test_constructible_with_defaults_and_well_described(name):
    s = build(name)
    assert s.name == name
    assert s.title.strip() and len(s.description.strip()) > 40
    x0, x1, y0, y1 = s.view
    assert x0 < x1 and y0 < y1
    sx, sy = s.start
    assert x0 < sx < x1 and y0 < sy < y1, "default start must lie inside the default view"
    for c in s.critical_points:
        assert c.kind in ("minimum", "saddle", "maximum")
    for spec in s.param_specs:
        assert spec.doc.strip(), f"parameter {spec.name} needs a tooltip"
        assert s.params[spec.name] == spec.default


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_value_and_grad_agree(name):
    s = build(name)
    p = sample_points(s, 7, seed=1)
    v, g, h = s.value(p), s.grad(p), s.hessian(p)
    assert v.shape == (7,) and g.shape == (7, 2) and h.shape == (7, 2, 2)
    v2, g2 = s.value_and_grad(p)
    np.testing.assert_allclose(v2, v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2, g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, np.swapaxes(h, 1, 2), rtol=1e-12, atol=1e-12)
    # one point gives the same numbers as the batch (no hidden coupling between rows)
    np.testing.assert_allclose(s.grad(p[3:4])[0], g[3], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    s = build(name)
    p = sample_points(s, 300, seed=2)
    h = 1e-6 * span(s)
    g = s.grad(p)
    fd = central_grad(s, p, h)
    scale = np.abs(s.value(p)).max() / span(s) + np.abs(g).max() + 1.0
    err = np.abs(g - fd)
    assert np.all(err <= 1e-6 * np.abs(g) + 1e-6 * scale), (
        f"worst at {p[np.argmax(err.max(1))]}: analytic {g[np.argmax(err.max(1))]}, "
        f"central difference {fd[np.argmax(err.max(1))]}")


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_central_differences(name):
    s = build(name)
    p = sample_points(s, 300, seed=3)
    h = 1e-6 * span(s)
    H = s.hessian(p)
    fd = central_hessian(s, p, h)
    scale = np.abs(s.grad(p)).max() / span(s) + np.abs(H).max() + 1.0
    err = np.abs(H - fd)
    assert np.all(err <= 1e-5 * np.abs(H) + 1e-6 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_listed_critical_points(name):
    s = build(name)
    for c in s.critical_points:
        p = c.point[None, :]
        g = s.grad(p)[0]
        gscale = np.abs(s.grad(sample_points(s, 200, seed=4))).max() + 1.0
        assert np.abs(g).max() <= 1e-9 * gscale, f"{c}: gradient {g} is not zero"
        ev = np.linalg.eigvalsh(s.hessian(p)[0])
        if "degenerate" in c.note:
            # the second-order test is silent; check the kind by the values on a small ring
            r = 1e-3 * span(s)
            t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
            ring = p + r * np.column_stack([np.cos(t), np.sin(t)])
            d = s.value(ring) - s.value(p)[0]
            if c.kind == "minimum":
                assert ev.min() >= -1e-9 * (np.abs(ev).max() + 1)
                assert d.min() > 0
            elif c.kind == "saddle":
                assert d.min() < 0 < d.max()
            else:
                assert d.max() < 0
            continue
        if c.kind == "minimum":
            assert ev.min() > 0, f"{c}: eigenvalues {ev}"
        elif c.kind == "saddle":
            assert ev.min() < 0 < ev.max(), f"{c}: eigenvalues {ev}"
        else:
            assert ev.max() < 0, f"{c}: eigenvalues {ev}"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_validate_with_messages_naming_them(name):
    cls = SURFACES[name]
    for spec in cls.param_specs:
        with pytest.raises(ValueError, match=spec.name):
            cls(**{spec.name: "not a number"})
        if spec.low is not None and spec.kind is not bool:
            with pytest.raises(ValueError, match=spec.name):
                cls(**{spec.name: spec.low - 1.0})
        if spec.high is not None and spec.kind is not bool:
            with pytest.raises(ValueError, match=spec.name):
                cls(**{spec.name: spec.high + 1.0})
    with pytest.raises(KeyError, match="no_such_parameter"):
        cls(no_such_parameter=1.0)


# ---------------------------------------------------------------------------- specific numbers
def test_quadratic_step_size_theory_defaults():
    q = make_surface("quadratic")
    np.testing.assert_allclose(sorted(q.eta_opt), [1 / 3, 1.0])
    np.testing.assert_allclose(q.eta_opt, [1.0, 1 / 3])  # per eigen-direction, slide 52
    assert q.eta_max == pytest.approx(2 / 3)
    assert q.condition_number == pytest.approx(3.0)
    np.testing.assert_allclose(q.eigenvalues, [1.0, 3.0])
    np.testing.assert_allclose(np.abs(q.eigenvectors), np.eye(2), atol=1e-15)


def test_rotated_quadratic_eigen_directions():
    q = make_surface("quadratic", {"lambda1": 2.0, "lambda2": 8.0, "angle": 30.0})
    A = q.hessian(np.zeros((1, 2)))[0]
    for lam, v in zip(q.eigenvalues, q.eigenvectors.T):
        np.testing.assert_allclose(A @ v, lam * v, atol=1e-12)
    assert q.condition_number == pytest.approx(4.0)
    assert math.degrees(math.atan2(q.eigenvectors[1, 0], q.eigenvectors[0, 0])) == pytest.approx(30)


def count(s, kind):
    return sum(c.kind == kind for c in s.critical_points)


def test_himmelblau_has_four_minima_one_maximum_four_saddles():
    s = make_surface("himmelblau")
    assert (count(s, "minimum"), count(s, "maximum"), count(s, "saddle")) == (4, 1, 4)
    mins = np.array([c.point for c in s.minima])
    np.testing.assert_allclose(s.value(mins), 0.0, atol=1e-20)
    assert (3.0, 2.0) in [(c.x, c.y) for c in s.minima]
    assert s.value(np.array([c.point for c in s.critical_points if c.kind == "maximum"]))[0] \
        == pytest.approx(181.6165, rel=1e-6)


def test_six_hump_camel_minima():
    s = make_surface("six-hump-camel")
    assert count(s, "minimum") == 6
    v = np.sort(s.value(np.array([c.point for c in s.minima])))
    assert v[0] == pytest.approx(-1.0316284535, abs=1e-9) and v[1] == pytest.approx(v[0])
    assert v[2] > v[1] + 0.5  # exactly two global minima


def test_standard_minima_values():
    assert make_surface("beale").value(np.array([[3.0, 0.5]]))[0] == 0.0
    assert make_surface("booth").value(np.array([[1.0, 3.0]]))[0] == 0.0
    assert make_surface("rastrigin").value(np.zeros((1, 2)))[0] == pytest.approx(0.0, abs=1e-12)
    # Rastrigin at an integer point away from the origin: the bowl only, 1 + 4 = 5
    assert make_surface("rastrigin").value(np.array([[1.0, 2.0]]))[0] == pytest.approx(5.0)
    assert make_surface("beale").log_scale and make_surface("himmelblau").log_scale


def test_saddle_escape_direction_is_the_negative_eigenvector():
    s = make_surface("saddle")
    H = s.hessian(np.zeros((1, 2)))[0]
    ev, vec = np.linalg.eigh(H)
    assert ev[0] == pytest.approx(-4.0)
    np.testing.assert_allclose(np.abs(vec[:, 0]), [1.0, 0.0])
    assert s.value(np.array([[0.0, 0.0]]))[0] == pytest.approx(1.0)  # above the minima (L = 0)


def test_two_wells_left_is_deeper():
    s = make_surface("two-wells")
    glob, local = s.minima
    assert glob.x < 0 < local.x
    assert s.value(glob.point[None])[0] < s.value(local.point[None])[0] - 0.8


def test_flat_vs_sharp_test_loss_punishes_the_sharp_minimum():
    s = make_surface("flat-vs-sharp")
    flat = next(c for c in s.minima if "flat" in c.note)
    sharp = next(c for c in s.minima if "sharp" in c.note)
    lf, ls = s.value(flat.point[None])[0], s.value(sharp.point[None])[0]
    assert abs(lf - ls) < 0.1  # similar depth on the training loss
    hf = np.linalg.eigvalsh(s.hessian(flat.point[None])[0]).max()
    hs = np.linalg.eigvalsh(s.hessian(sharp.point[None])[0]).max()
    assert hs > 20 * hf
    gap = s.test_gap(np.array([flat.point, sharp.point]))
    assert gap[0] < 0.05 and gap[1] > 0.5
    p = sample_points(s, 5, seed=5)
    np.testing.assert_allclose(s.test_value(p), s.value(p - [s.params["test_shift"], 0.0]))
    unshifted = make_surface("flat-vs-sharp", {"test_shift": 0.0})
    np.testing.assert_allclose(unshifted.test_value(p), unshifted.value(p))


def test_canyon_is_convex_and_elongated():
    s = make_surface("canyon")
    p = sample_points(s, 2000, seed=6)
    ev = np.linalg.eigvalsh(s.hessian(p))
    assert ev.min() >= -1e-9  # convex: Hessian positive semi-definite everywhere in view
    # elongated: along the floor the loss rises to 256 over 4 units; across, to 400·u
    g = s.grad(np.array([[2.0, 0.04], [2.0, 1.0]]))
    assert abs(g[1, 1]) > 10 * abs(g[0, 0])
