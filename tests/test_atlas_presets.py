"""The two atlas presets: every number their texts quote."""
import math

import numpy as np

from engine.atlas import Atlas, AtlasConfig, Axis
from engine.atlas_cli import config_from
from engine.experiment import load
from engine.presets import preset_path


class _Args:  # the command line with no options: the file's [atlas] table decides
    run = grid = steps = outcome = x_param = x_range = y_param = y_range = None
    basin_radius = tol = None


def _atlas(name, run=None):
    exp = load(preset_path(name))
    args = _Args()
    args.run = run
    return Atlas(exp, config_from(args, exp)).run()


def test_himmelblau_basins_gd_and_momentum():
    gd = _atlas("atlas-himmelblau-basins")
    mom = _atlas("atlas-himmelblau-basins", run="Momentum")
    assert gd.basin.shape == (64, 64)
    assert (gd.status == 1).all()  # GD converges from every start
    mins = [k for k, c in enumerate(gd.critical_points) if c.kind == "minimum"]
    assert len(mins) == 4
    shares = [(gd.basin == k).mean() for k in mins]
    assert all(0.23 <= s <= 0.27 for s in shares), shares
    pts = np.array([gd.critical_points[k].point for k in mins])
    X, Y = np.meshgrid(gd.xs, gd.ys)
    nearest = np.array(mins)[np.hypot(X[..., None] - pts[:, 0], Y[..., None] - pts[:, 1])
                             .argmin(-1)]
    assert (nearest == gd.basin).mean() > 0.96
    assert (mom.basin != gd.basin).mean() > 0.30
    assert (nearest == mom.basin).mean() < 0.70


def test_momentum_rate_map_beats_the_best_plain_gd():
    r = _atlas("atlas-momentum-rate")
    assert r.rate.shape == (48, 64) and r.config.outcome == "rate"
    kappa = 25.0
    gd_best = ((kappa - 1) / (kappa + 1)) ** 2
    assert abs(np.nanmin(r.rate[0]) - gd_best) < 0.01  # the λ = 0 row is plain GD
    best = np.nanmin(r.rate)
    theory = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    assert best < 0.47 and abs(best - theory) < 0.02
    i, j = np.unravel_index(np.nanargmin(r.rate), r.rate.shape)
    eta_star, mu_star = (2 / (1 + math.sqrt(kappa))) ** 2, theory
    assert abs(r.xs[j] / eta_star - 1) < 0.2 and abs(r.ys[i] - mu_star) < 0.05
    beats = np.where(np.isfinite(r.rate), r.rate < gd_best, False)
    assert beats.mean() > 0.25
