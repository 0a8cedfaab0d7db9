"""Every lecture preset, run headless, shows the effect its text promises (with the numbers
stated in its text)."""
from functools import lru_cache

import numpy as np
import pytest

from engine.experiment import load
from engine.presets import PRESET_DIR, preset_names, preset_path


@lru_cache(maxsize=None)
def run_preset(name):
    exp = load(preset_path(name))
    sim = exp.simulation()
    sim.run_to(exp.steps)
    return exp, sim


def hist(name, label):
    exp, sim = run_preset(name)
    labels = [r.label for r in sim.runs]
    return sim.history(labels.index(label))


def test_every_preset_loads_and_has_title_and_text():
    assert len(preset_names()) >= 5
    for name in preset_names():
        exp = load(PRESET_DIR / f"{name}.toml")
        assert exp.title and len(exp.description) > 200, name
        assert "test checks" in exp.description, name


def test_quadratic_step_sizes():
    exp, sim = run_preset("quadratic-step-sizes")
    h = [sim.history(i) for i in range(5)]
    assert h[4].loss[-1] > 1e4 * h[4].loss[0]
    assert np.all(np.diff(h[4].loss[10:]) > 0)  # once the θ₁ part has gone, it only grows
    for k in range(4):
        assert h[k].loss[-1] < h[k].loss[0]
    assert np.all(np.diff(h[0].loss) < 0) and np.all(np.diff(h[0].theta[:, 1]) < 0)
    assert h[1].theta[1, 1] == 0.0
    signs = np.sign(h[2].theta[:20, 1])
    assert np.all(signs[1:] == -signs[:-1])
    assert np.allclose(np.abs(h[3].theta[:, 1]), 1.5, rtol=0, atol=1e-12)
    assert h[3].loss[-1] == pytest.approx(3.375, abs=1e-9)


def first_below(a, level):
    idx = np.flatnonzero(a < level)
    return int(idx[0]) if len(idx) else None


def test_crescent_rmsprop_sigma_reacts_faster():
    ada, r9, r5 = (hist("crescent-rmsprop", lab) for lab in
                   ("Adagrad", "RMSProp α=0.9", "RMSProp α=0.5"))
    react = [first_below(h.sigma[:, 0], 0.1 * h.sigma[0, 0]) for h in (ada, r9, r5)]
    assert react == [None, 47, 11]
    for h in (r9, r5):
        assert np.linalg.norm(h.theta[-1] - 1.0) < 0.15
    assert np.linalg.norm(ada.theta[-1] - 1.0) > 0.4
    assert abs(ada.sigma[:, 0].max() - 1800) < 50
    exp, sim = run_preset("crescent-rmsprop")
    surf = sim.surface
    assert abs(surf.grad(np.array([[-1.5, 2.0]]))[0, 0]) == pytest.approx(155.0)
    x = np.linspace(-1.5, 1.0, 251)
    g = surf.grad(np.stack([x, x * x], axis=1))  # the valley floor θ₂ = θ₁²
    np.testing.assert_allclose(g[:, 0], -2.0 * (1.0 - x), atol=1e-9)
    np.testing.assert_allclose(g[:, 1], 0.0, atol=1e-9)
    assert np.linalg.norm(g, axis=1).max() == pytest.approx(5.0) and 155.0 / 5.0 > 30
    quotes("crescent-rmsprop", "|∂L/∂θ₁| = 155", "(−2(1 − θ₁), 0): at most 5",
           "thirty or more times smaller", "about 1,800", "after 47 steps", "after 11 steps")


def test_momentum_vs_nesterov():
    mom, nes, gd = (hist("momentum-vs-nesterov", lab) for lab in ("Momentum", "Nesterov", "GD"))
    assert int((np.diff(mom.loss) > 0).sum()) == 23
    assert int((np.diff(nes.loss) > 0).sum()) == 3
    assert mom.loss[50:].max() > 4 and nes.loss[50:].max() < 0.4
    for h in (mom, nes):
        assert np.linalg.norm(h.theta[-1] - 1.0) < 1e-4
    assert np.linalg.norm(gd.theta[-1] - 1.0) > 0.3


def test_second_order_on_rotated_quadratic():
    exp, sim = run_preset("second-order")
    newton = hist("second-order", "Newton")
    assert np.linalg.norm(newton.theta[1]) < 1e-12
    steps = {}
    for i, run in enumerate(sim.runs):
        d = np.linalg.norm(sim.history(i).theta, axis=1)
        steps[run.label] = first_below(d, 1e-6)
    assert steps == {"Newton": 1, "QuickProp": 38, "GD": 74, "Rprop": 80}


def test_second_order_on_rosenbrock():
    raw, damped = hist("second-order-rosenbrock", "Newton"), hist("second-order-rosenbrock",
                                                                  "Newton, damping 10")
    assert raw.loss[1] > 50 * raw.loss[0]
    assert raw.loss.max() > 500
    assert np.all(np.diff(damped.loss[:21]) < 0)
    for h in (raw, damped):
        assert np.linalg.norm(h.theta[-1] - 1.0) < 1e-6
    qp, gd = hist("second-order-rosenbrock", "QuickProp"), hist("second-order-rosenbrock", "GD")
    assert np.linalg.norm(qp.theta[-1] - 1.0) < 1e-3
    assert np.linalg.norm(gd.theta[-1] - 1.0) > 0.1


def test_preset_runs_headless_from_the_command_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "q.csv"
    r = subprocess.run([sys.executable, "main.py", "run", "--preset", "quadratic-step-sizes",
                        "--csv", str(out)], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "2.1 × η₂,opt" in r.stdout and out.exists()
    r = subprocess.run([sys.executable, "main.py", "run", "--preset", "quadratic-stepsizes"],
                       cwd=root, capture_output=True, text=True)
    assert r.returncode == 2
    assert "did you mean 'quadratic-step-sizes'" in r.stderr


def test_batch_size_same_epochs():
    exp, sim = run_preset("batch-size")
    surf = sim.surface
    m = surf.minima[0]
    lstar = surf.value(np.array([[m.x, m.y]]))[0]
    full, b10, b1 = (sim.history(i) for i in range(3))
    assert [sim.stop_step[i] for i in range(3)] == [20, 200, 2000]
    assert all(s == "finished" for s in sim.status)
    assert full.loss[1] - lstar > 5
    assert b10.loss[10] - lstar < 1 and b1.loss[100] - lstar < 1
    assert full.loss[20] - lstar < 0.01 and b10.loss[200] - lstar < 0.01
    assert b1.loss[2000] - lstar > 0.1

    def turn_fraction(h):
        d = np.diff(h.theta, axis=0)
        return float(((d[1:] * d[:-1]).sum(axis=1) < 0).mean())
    assert turn_fraction(full) == 0.0
    assert turn_fraction(b1) > 0.25


def quotes(name, *texts):
    """The preset's description states each of ``texts`` (line breaks count as spaces)."""
    exp, _ = run_preset(name)
    desc = " ".join(exp.description.split())
    for text in texts:
        assert text in desc, (name, text)


def test_no_spoiler_separates():
    exp, sim = run_preset("no-spoiler")
    surf = sim.surface
    h = sim.history(0)
    (only_min,) = surf.minima
    assert np.linalg.norm(only_min.point - [5.483, 3.595]) < 1e-3
    assert only_min.y == pytest.approx(np.log(99.0) - 1.0, abs=1e-9)
    assert np.linalg.norm(h.theta[-1] - only_min.point) < 1e-3
    # the minimum is a compromise, not a zero of the loss: b = 1 makes (1,0) and (−1,0)
    # pull w₁ towards 3.595 and 5.595
    assert 1e-5 < h.loss[-1] < 1e-4
    assert h.loss[-1] == pytest.approx(2.4e-5, rel=0.02)
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))
    w1_pos, w1_neg = np.log(99.0) - 1.0, np.log(99.0) + 1.0  # each point alone, with b = 1
    assert sigmoid(w1_pos + 1.0) == pytest.approx(0.99) and round(w1_pos, 3) == 3.595
    assert sigmoid(-w1_neg + 1.0) == pytest.approx(0.01) and round(w1_neg, 3) == 5.595
    assert w1_pos < only_min.x < w1_neg
    out = sigmoid(surf.inputs @ h.theta[-1] + surf.bias)
    np.testing.assert_allclose(out, [0.9985, 0.99, 0.0112], atol=5e-5)
    assert surf.separates(h.theta[-1])
    quotes("no-spoiler", "(5.483, 3.595)", "0.9985, 0.99 and 0.0112", "2.4e-5, not 0",
           "w₂ = ln 99 − 1 = 3.595", "w₁ = 3.595 for 0.99", "w₁ = 5.595 for 0.01")


def test_spoiler_stops_separating_although_a_separator_exists():
    exp, sim = run_preset("spoiler")
    h = sim.history(0)
    assert np.linalg.norm(h.theta[-1] - [5.483, 3.595]) < 1e-3
    assert not sim.surface.separates(h.theta[-1])
    assert sim.surface.separates(np.array([2.0, -0.45]))
    _, nosp = run_preset("no-spoiler")
    assert np.linalg.norm(h.theta[-1] - nosp.history(0).theta[-1]) < 1e-3


def canyon_across(name, h):
    exp, sim = run_preset(name)
    return sim.surface.across(h.theta)


def test_stuck_large_gradient():
    h = hist("stuck-large-gradient", "GD η=1e-2")
    n = len(h.loss) - 1
    tail = slice(int(0.9 * n), n + 1)
    loss = h.loss[tail]
    assert np.ptp(loss) / loss.mean() < 0.01
    assert h.grad_norm[tail].min() > 390
    u = canyon_across("stuck-large-gradient", h)[tail]
    assert np.all(np.sign(u[1:]) == -np.sign(u[:-1]))


def test_tiny_learning_rate():
    h = hist("tiny-learning-rate", "GD η=1e-7")
    assert len(h.loss) == 100_001
    assert np.all(np.diff(h.theta[:, 0]) <= 0) and np.all(np.diff(h.theta[:, 1]) <= 0)
    u = canyon_across("tiny-learning-rate", h)
    assert 0 < int(np.argmax(np.abs(u) < 0.25)) < 60_000
    assert h.theta[-1, 0] < 3.0
    assert np.hypot(*h.theta[-1]) > 2.5


def canyon_jumps(u, after=2000):
    """Index groups where |θ₂ − 0.02·θ₁| > 0.5 after step ``after``, split at gaps > 50."""
    idx = np.flatnonzero(np.abs(u) > 0.5)
    idx = idx[idx > after]
    return np.split(idx, np.flatnonzero(np.diff(idx) > 50) + 1) if len(idx) else []


def test_adagrad_explodes():
    exp, sim = run_preset("adagrad-explodes")
    h = hist("adagrad-explodes", "Adagrad η=0.08")
    c0 = sim.surface.floor_curvature
    assert round(c0) == 566 and round(2 / c0, 4) == 3.5e-3
    eta = sim.runs[0].lr
    assert eta == 0.08 and round(eta * c0 / 2, 1) == 22.6
    d = np.hypot(h.theta[:, 0], h.theta[:, 1])
    assert d[2000] < 0.2 and d[-1] < 0.01
    u = canyon_across("adagrad-explodes", h)
    groups = canyon_jumps(u)
    starts = [int(g[0]) for g in groups]
    assert len(starts) == 5
    assert np.all(np.abs(np.array(starts) - [6900, 13800, 26300, 48700, 88400]) < 100)
    sig = h.sigma[:, 1]
    for g in groups:
        s, end = int(g[0]), int(g[-1])
        assert sig[s - 1] < sig[s - 1000]
        assert sig[s - 1] < eta * c0 / 2  # the effective rate across the floor passed 2/c₀
        assert sig[end] > 26 and sig[end] == pytest.approx(26.6, abs=0.2)
        back = end + int(np.argmax(np.abs(u[end:]) < 1e-3))
        assert back - end < 500 and np.abs(u[back:back + 1000]).max() < 1e-3
    assert h.eff_lr[-1, 0] == pytest.approx(0.032, abs=5e-4)
    quotes("adagrad-explodes", "η = 0.08", "6,900, 13,800, 26,300, 48,700 and 88,400",
           "2/c₀ ≈ 3.5e-3", "η·c₀/2 ≈ 22.6", "c₀ ≈ 566", "about 26.6", "rises to 0.032",
           "within 0.01")


def run_adagrad(lr, schedule):
    from engine.optimizers import OPTIMIZERS
    from engine.schedules import make_schedule
    from engine.simulation import RunSpec, Simulation
    from surfaces import make_surface

    canyon = make_surface("canyon")
    hyper = OPTIMIZERS["adagrad"].resolve({"lr": lr, "eps": 0.0})
    sim = Simulation(canyon, [RunSpec("a", "adagrad", hyper, (4.0, 2.0),
                                      make_schedule(schedule))])
    sim.run_to(100_000)
    return canyon, sim.history(0)


def test_adagrad_pair_differs_only_by_the_schedule():
    from engine.schedules import CONSTANT, make_schedule

    const, decay = (run_preset(n)[0] for n in ("adagrad-explodes", "adagrad-decay"))
    assert (const.surface, const.steps, const.seed) == (decay.surface, decay.steps, decay.seed)
    (a,), (b,) = const.runs, decay.runs
    assert a.schedule == CONSTANT and b.schedule == make_schedule("inv_sqrt")
    assert (a.optimizer, dict(a.hyper), a.start) == (b.optimizer, dict(b.hyper), b.start)


def test_adagrad_decay():
    exp, sim = run_preset("adagrad-decay")
    h = hist("adagrad-decay", "Adagrad η=0.08/√(t+1)")
    c0 = sim.surface.floor_curvature
    d = np.hypot(*h.theta.T)
    assert d[2000] == pytest.approx(1.08, abs=0.005) and d[-1] == pytest.approx(0.16, abs=0.005)
    assert np.all(np.diff(d[2000:]) <= 0)
    u = canyon_across("adagrad-decay", h)
    on_floor = int(np.argmax(np.abs(u) < 0.25))  # the descent is not a jump
    assert np.abs(u[2000:]).max() < 1e-3 and not canyon_jumps(u, after=on_floor)
    eff = h.eff_lr
    assert np.all(np.diff(eff, axis=0) <= 1e-12 * eff[:-1])
    assert eff[:, 1].max() < 2 / c0 and eff[-1, 1] == pytest.approx(1.9e-5, abs=5e-7)
    assert eff[-1, 0] == pytest.approx(4.7e-5, abs=5e-7)
    _, const = run_preset("adagrad-explodes")
    assert np.hypot(*const.history(0).theta[-1]) < 0.01  # the constant-η run, jumps and all
    canyon, big = run_adagrad(0.5, "inv_sqrt")
    assert np.hypot(*big.theta[-1]) == pytest.approx(0.032, abs=5e-4)
    assert np.abs(canyon.across(big.theta[2000:])).max() < 1e-3
    quotes("adagrad-decay", "η = 0.08", "falls to 1.9e-5", "2/c₀ ≈ 3.5e-3", "settles at 4.7e-5",
           "grows to 0.032", "1.08 from the minimum at step 2,000 and 0.16 at the end",
           "within 0.01", "η = 0.5 and the same decay the run ends 0.032")


def test_saddle_escape():
    exp, sim = run_preset("saddle-escape")
    stuck = hist("saddle-escape", "GD on the axis")
    assert np.hypot(*stuck.theta[-1]) < 1e-12 and stuck.grad_norm[-1] < 1e-12
    for label in ("GD + gradient noise", "GD off the axis", "Momentum off the axis"):
        end = hist("saddle-escape", label).theta[-1]
        assert min(np.hypot(end[0] - 1, end[1]), np.hypot(end[0] + 1, end[1])) < 0.05, label
    for label, step in (("GD off the axis", 23), ("Momentum off the axis", 11)):
        h = hist("saddle-escape", label)
        assert int(np.argmax(np.abs(h.theta[:, 0]) > 0.5)) == step


def test_momentum_rolls_over():
    gd, mom = hist("momentum-rolls-over", "GD"), hist("momentum-rolls-over", "Momentum")
    assert abs(gd.theta[-1, 0] - 4.913) < 1e-3
    assert gd.grad_norm[-1] < 1e-10 and gd.loss[-1] > 1.2
    assert mom.theta[-1, 0] < 1.0 and mom.loss[-1] < 0.05


def test_flat_vs_sharp():
    exp, sim = run_preset("flat-vs-sharp")
    surf = sim.surface
    sharp = [m for m in surf.minima if "sharp" in m.note][0]
    flat = [m for m in surf.minima if "flat" in m.note][0]
    assert round(flat.x, 2) == -1.36 and round(sharp.x, 2) == 1.50
    lf, ls = surf.value(np.array([flat.point, sharp.point]))
    assert round(ls, 2) == -0.95 and round(lf, 2) == -0.90 and ls < lf
    assert surf.params["test_shift"] == 0.25
    for i, run in enumerate(sim.runs):
        end = sim.history(i).theta[-1]
        train = sim.history(i).loss[-1]
        test_loss = surf.test_value(end[None, :])[0]
        if run.label.startswith("large"):
            assert np.hypot(end[0] - sharp.x, end[1] - sharp.y) < 0.01, run.label
            assert round(train, 3) == -0.949 and round(test_loss, 2) == -0.20, run.label
            assert test_loss > -0.3, run.label
        else:
            assert end[0] < -0.8 and test_loss < -0.8, run.label
            assert abs(train + 0.88) < 0.03 and abs(test_loss + 0.85) < 0.03, run.label
    quotes("flat-vs-sharp", "θ₁ ≈ −1.36", "θ₁ ≈ 1.50", "−0.95 against −0.90", "(−0.949)",
           "only −0.20", "about −0.88", "about −0.85", "shifted by 0.25",
           "Metrics panel", "main.py run --preset flat-vs-sharp")


def test_warmup():
    plain = hist("warmup", "Adam, no warm-up")
    assert np.hypot(plain.theta[-1, 0], plain.theta[-1, 1] + 2) < 0.05
    assert np.abs(plain.theta[1:, 1]).min() > 0.2
    for label in ("Adam, linear warm-up", "Adam, Transformer schedule"):
        h = hist("warmup", label)
        assert np.abs(h.theta[:, 1]).max() < 0.1, label
        assert np.hypot(*h.theta[-1]) < 0.05 and h.loss[-1] < -0.19, label
        assert h.lr.max() == pytest.approx(0.3), label


def test_every_lecture_experiment_has_its_preset():
    from engine.presets import LECTURE_ORDER

    assert set(LECTURE_ORDER) <= set(preset_names())
    assert len(LECTURE_ORDER) == 16


def test_other_numbers_the_texts_quote():
    """Numbers in the texts beyond each preset's own checks (said to help reading the plots)."""
    h = hist("stuck-large-gradient", "GD η=1e-2")
    u = canyon_across("stuck-large-gradient", h)
    assert round(h.loss[0]) == 889 and round(h.loss[-1]) == 659
    assert abs(h.grad_norm[1800:] - 400).max() < 5 and abs(np.abs(u[1800:]) - 2).max() < 0.05
    quotes("stuck-large-gradient", "(from 889)", "about 659", "near 400", "+2 and −2")

    h = hist("tiny-learning-rate", "GD η=1e-7")
    u = canyon_across("tiny-learning-rate", h)
    assert abs(int(np.argmax(np.abs(u) < 0.25)) - 47_000) < 500
    assert round(h.theta[-1, 0], 2) == 2.67 and round(np.hypot(*h.theta[-1]), 2) == 2.67
    from gui.playback import MAX_SPEED
    assert MAX_SPEED == 10_000
    quotes("tiny-learning-rate", "about 47,000 steps", "about 2.67", "still 2.67 away",
           "10,000 steps per frame")

    exp, sim = run_preset("batch-size")
    m = sim.surface.minima[0]
    lstar = sim.surface.value(m.point[None])[0]
    full, b10, b1 = (sim.history(i) for i in range(3))
    assert [round(full.loss[1] - lstar, 1), round(b10.loss[10] - lstar, 2),
            round(b1.loss[100] - lstar, 2)] == [8.7, 0.18, 0.18]
    quotes("batch-size", "8.7 for the full batch, 0.18 for B = 10, 0.18 for B = 1")

    gd, mom = hist("momentum-rolls-over", "GD"), hist("momentum-rolls-over", "Momentum")
    assert round(gd.theta[-1, 0], 2) == 4.91 and round(gd.loss[-1], 2) == 1.23
    assert round(mom.theta[-1, 0], 2) == 0.98 and round(mom.loss[-1], 3) == 0.049
    assert round(gd.loss[-1] / mom.loss[-1]) == 25
    quotes("momentum-rolls-over", "θ₁ ≈ 4.91", "stays at 1.23", "θ₁ ≈ 0.98", "0.049, 25 times")

    exp, sim = run_preset("second-order-rosenbrock")
    ev = np.linalg.eigvalsh(sim.surface.hessian(np.array([[0.2, 0.05]]))[0])
    assert round(ev[0], 1) == -1.7 and round(ev[1]) == 232
    raw = hist("second-order-rosenbrock", "Newton")
    assert [round(raw.loss[0], 2), round(raw.loss[1], 1), round(raw.loss[3])] == [0.65, 43.5, 563]
    quotes("second-order-rosenbrock", "−1.7 and 232", "from 0.65 to 43.5", "at step 3 to 563")

    exp, sim = run_preset("warmup")
    plain = hist("warmup", "Adam, no warm-up")
    assert plain.theta[1] == pytest.approx([2.7, -0.25])  # exactly η = 0.3 along every axis
    rim = [c for c in sim.surface.saddles if "rim" in c.note][0]
    assert round(rim.y, 2) == -0.27
    glob = [c for c in sim.surface.minima if "global" in c.note][0]
    assert round(sim.surface.value(glob.point[None])[0], 2) == -0.20
    lin = hist("warmup", "Adam, linear warm-up")
    assert lin.lr[0] == pytest.approx(0.003) and lin.lr[99] == pytest.approx(0.3)
    quotes("warmup", "θ₂ = −0.25", "a saddle at −0.27", "(loss −0.20)", "from 0.003 to 0.3")
