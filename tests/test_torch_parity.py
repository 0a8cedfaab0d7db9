"""Where the lecture's formulas and PyTorch coincide, the engine agrees with torch.optim to
rounding (docs/optimizers.md lists every difference). Skipped when torch is not installed;
torch is never a dependency of Descent Lab.

Both sides use the same analytic gradient (the surface's ``grad``) in float64, so the only
differences are the order of floating-point operations inside the update.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine.optimizers import OPTIMIZERS  # noqa: E402
from engine.schedules import make_schedule  # noqa: E402
from engine.simulation import RunSpec, Simulation  # noqa: E402
from surfaces import make_surface  # noqa: E402

STEPS = 400
SURFACES = {
    "rosenbrock": (make_surface("rosenbrock", {}), (-1.2, 1.0)),
    "rotated-quadratic": (make_surface("quadratic", {"lambda1": 0.5, "lambda2": 4.0,
                                                     "angle": 30.0, "cx": 0.3, "cy": -0.2}),
                          (-1.8, 1.6)),
}


def engine_theta(surface, start, optimizer, schedule=None, steps=STEPS, **hyper):
    run = RunSpec(optimizer, optimizer, OPTIMIZERS[optimizer].resolve(hyper), start,
                  make_schedule(schedule))
    sim = Simulation(surface, [run])
    sim.run_to(steps)
    assert sim.status == ["running"]
    return sim.history(0).theta


def torch_theta(surface, start, make_optimizer, steps=STEPS):
    """torch's scalar state (NAdam's μ product, step counts) takes the default dtype: float64
    here, as the engine computes (with float32 NAdam differs by ~1e-7 relative)."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = make_optimizer([p])
        out = [p.detach().numpy().copy()]
        for _ in range(steps):
            g = surface.grad(p.detach().numpy().reshape(1, 2))[0]
            p.grad = torch.from_numpy(g.copy())  # analytic gradient, no autograd
            opt.step()
            out.append(p.detach().numpy().copy())
    finally:
        torch.set_default_dtype(default)
    return np.array(out)


def assert_rounding_agreement(ours, theirs, rtol=1e-12):
    """Agreement to rounding: relative to the size of the path (atol scaled by it).

    The learning rates are chosen so that no run reaches the jitter around a minimum within
    STEPS: there sign-like updates (RMSProp, Adam) amplify rounding differences chaotically.
    """
    scale = max(np.abs(theirs).max(), 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-14 * scale)
    # and the runs did move (a frozen run would agree trivially)
    assert np.linalg.norm(ours[-1] - ours[0]) > 0.05


CASES = {
    # name: (engine optimizer, engine kwargs, torch factory, {surface: lr})
    "sgd": ("gd", {}, lambda lr: lambda ps: torch.optim.SGD(ps, lr=lr),
            {"rosenbrock": 1e-3, "rotated-quadratic": 0.1}),
    "sgd-momentum": ("momentum", {"momentum": 0.9},
                     lambda lr: lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9),
                     {"rosenbrock": 2e-4, "rotated-quadratic": 0.02}),
    "adam": ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
             lambda lr: lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8),
             {"rosenbrock": 0.02, "rotated-quadratic": 0.05}),
    "adam-other-betas": ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
                         lambda lr: lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.8, 0.99),
                                                                eps=1e-6),
                         {"rosenbrock": 0.01, "rotated-quadratic": 0.03}),
    "rmsprop-zero-init": ("rmsprop", {"alpha": 0.99, "eps": 1e-8, "init": "zero"},
                          lambda lr: lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.99,
                                                                    eps=1e-8),
                          {"rosenbrock": 1e-3, "rotated-quadratic": 0.003}),
    "rmsprop-alpha-0.9": ("rmsprop", {"alpha": 0.9, "eps": 1e-8, "init": "zero"},
                          lambda lr: lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.9,
                                                                    eps=1e-8),
                          {"rosenbrock": 1e-3, "rotated-quadratic": 0.003}),
    # classic Adagrad = lecture form + η/√(t+1); exact with ε = 0 (ε placement differs)
    "adagrad-eps0": ("adagrad", {"eps": 0.0, "schedule": {"name": "inv_sqrt"}},
                     lambda lr: lambda ps: torch.optim.Adagrad(ps, lr=lr, eps=0.0),
                     {"rosenbrock": 0.1, "rotated-quadratic": 0.5}),
    "adamw": ("adamw", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
              lambda lr: lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                                      weight_decay=0.01),
              {"rosenbrock": 0.02, "rotated-quadratic": 0.05}),
    "adamw-strong-decay": ("adamw", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                                     "weight_decay": 2.0},
                           lambda lr: lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(0.8, 0.99),
                                                                   eps=1e-6, weight_decay=2.0),
                           {"rosenbrock": 0.01, "rotated-quadratic": 0.03}),
    "amsgrad": ("amsgrad", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                lambda lr: lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                                       amsgrad=True),
                {"rosenbrock": 0.02, "rotated-quadratic": 0.05}),
    "nadam": ("nadam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "momentum_decay": 4e-3},
              lambda lr: lambda ps: torch.optim.NAdam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                                      momentum_decay=4e-3),
              {"rosenbrock": 0.02, "rotated-quadratic": 0.05}),
    "nadam-fast-decay": ("nadam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                                   "momentum_decay": 0.1},
                         lambda lr: lambda ps: torch.optim.NAdam(ps, lr=lr, betas=(0.8, 0.99),
                                                                 eps=1e-6, momentum_decay=0.1),
                         {"rosenbrock": 0.01, "rotated-quadratic": 0.03}),
    "adadelta": ("adadelta", {"rho": 0.9, "eps": 1e-6},
                 lambda lr: lambda ps: torch.optim.Adadelta(ps, lr=lr, rho=0.9, eps=1e-6),
                 {"rosenbrock": 1.0, "rotated-quadratic": 20.0}),
}


@pytest.mark.parametrize("surface_name", list(SURFACES))
@pytest.mark.parametrize("case", list(CASES))
def test_agrees_with_torch_optim(case, surface_name):
    surface, start = SURFACES[surface_name]
    optimizer, kwargs, factory, lrs = CASES[case]
    kwargs = dict(kwargs)
    schedule = kwargs.pop("schedule", None)
    lr = lrs[surface_name]
    ours = engine_theta(surface, start, optimizer, schedule, lr=lr, **kwargs)
    theirs = torch_theta(surface, start, factory(lr))
    assert_rounding_agreement(ours, theirs)


def test_every_optimizer_torch_has_is_compared():
    """The registry's optimizers that torch.optim implements all have a parity case; the
    others (docs/optimizers.md says why) are: rprop (a different variant), quickprop,
    newton, lion and adabelief (not in torch.optim)."""
    compared = {case[0] for case in CASES.values()}
    assert compared | {"nesterov"} == set(OPTIMIZERS) - {"rprop", "quickprop", "newton",
                                                         "lion", "adabelief"}


@pytest.mark.parametrize("surface_name", list(SURFACES))
def test_adagrad_with_default_eps_agrees_approximately(surface_name):
    """Ours: η^t/(σ^t + ε) with σ the RMS and η^t = η/√(t+1), i.e. η/(√Σg² + ε√(t+1));
    PyTorch: η/(√Σg² + ε). The two differ by ε·√(t+1)/√Σg², far below 1e-6 here."""
    surface, start = SURFACES[surface_name]
    lr = 0.1
    ours = engine_theta(surface, start, "adagrad", {"name": "inv_sqrt"}, lr=lr, eps=1e-8)
    theirs = torch_theta(surface, start, lambda ps: torch.optim.Adagrad(ps, lr=lr, eps=1e-8))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)
    # ... but not to rounding: the ε placement is a real (tiny) difference
    assert np.abs(ours - theirs).max() > 1e-15


def test_momentum_with_a_schedule_differs_from_torch():
    """The lecture puts η^t inside the momentum sum (m ← λm − η^t g); PyTorch's SGD scales the
    whole buffer by the current η (θ ← θ − η^t·buf). With a decaying η they differ."""
    surface, start = SURFACES["rotated-quadratic"]
    ours = engine_theta(surface, start, "momentum", {"name": "step", "factor": 0.1,
                                                     "every": 20},
                        steps=40, lr=0.02, momentum=0.9)

    def factory(ps):
        opt = torch.optim.SGD(ps, lr=0.02, momentum=0.9)
        return _Stepped(opt, torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.1))

    theirs = torch_theta(surface, start, factory, steps=40)
    np.testing.assert_allclose(ours[:21], theirs[:21], rtol=1e-12, atol=1e-14)
    assert np.abs(ours[21:] - theirs[21:]).max() > 1e-3


class _Stepped:
    """An optimizer whose step also advances its lr scheduler."""

    def __init__(self, opt, sched):
        self.opt, self.sched = opt, sched

    def step(self):
        self.opt.step()
        self.sched.step()


def test_rmsprop_lecture_init_differs_from_torch():
    """σ⁰ = |g⁰| (lecture) versus v₀ = 0 (PyTorch): the first steps differ by 1/√(1−α)."""
    surface, start = SURFACES["rotated-quadratic"]
    ours = engine_theta(surface, start, "rmsprop", steps=1, lr=0.01, alpha=0.99, eps=0.0)
    theirs = torch_theta(surface, start, lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99,
                                                                       eps=0.0), steps=1)
    np.testing.assert_allclose(np.abs(ours[1] - ours[0]), [0.01, 0.01], rtol=1e-14)
    np.testing.assert_allclose(np.abs(theirs[1] - theirs[0]), [0.1, 0.1], rtol=1e-12)


@pytest.mark.parametrize("surface_name", list(SURFACES))
def test_torch_nesterov_tracks_our_look_ahead_point(surface_name):
    """PyTorch's SGD(nesterov=True) is the reformulation that stores the look-ahead point:
    its parameter after t steps is our θ^t + λ(θ^t − θ^(t−1)), not our θ^t."""
    surface, start = SURFACES[surface_name]
    lr = {"rosenbrock": 2e-4, "rotated-quadratic": 0.02}[surface_name]
    ours = engine_theta(surface, start, "nesterov", lr=lr, momentum=0.9)
    theirs = torch_theta(surface, start, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9,
                                                                    nesterov=True))
    look_ahead = ours.copy()
    look_ahead[1:] += 0.9 * np.diff(ours, axis=0)
    assert_rounding_agreement(look_ahead, theirs, rtol=1e-10)
    assert np.abs(ours[1:] - theirs[1:]).max() > 1e-4
