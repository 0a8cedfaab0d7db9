"""The compiled fast path (engine/compiled.py, engine/_kernel.py) gives exactly the numbers of
the NumPy path, which the optimizers' definitions are proven against (test_optimizer_registry):
the record, the summaries, the statuses and stop steps, bit for bit; and where it cannot run
(numba missing, compiling failing, ``DESCENT_LAB_NO_COMPILE=1``) the NumPy path runs silently.
"""
from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import compiled
from engine.optimizers import OPTIMIZERS
from engine.runs import Tolerance
from engine.simulation import CONVERGED, DIVERGED, FINISHED, Simulation
from surfaces import make_surface
from surfaces.canyon import canyon_value_grad
from surfaces.classic import quadratic_value_grad, rosenbrock_value_grad
from surfaces.saddles import saddle_value_grad
from surfaces.standard_functions import himmelblau_value_grad

from tests.test_optimizer_registry import same_history, spec_run

ROOT = Path(__file__).resolve().parent.parent
FUSED = [o for o, s in OPTIMIZERS.items() if s.full_version is not None]
SCALAR = {"rosenbrock": rosenbrock_value_grad, "quadratic": quadratic_value_grad,
          "himmelblau": himmelblau_value_grad, "saddle": saddle_value_grad,
          "canyon": canyon_value_grad}
SURFACES = {
    "rosenbrock": ({}, (-1.2, 1.0)),
    "quadratic": ({"lambda1": 0.5, "lambda2": 4.0, "angle": 20.0, "cx": 0.3}, (-2.0, 1.5)),
    "himmelblau": ({}, (-0.5, 0.5)),
    "saddle": ({"a": 1.5, "b": 0.7}, (0.3, 2.0)),
    "canyon": ({}, (-1.5, 0.8)),
}
#: rates that make a run of each optimizer leave the view within a few steps
EXPLODING = {"gd": 3.0, "momentum": 2.0, "nesterov": 2.0, "adagrad": 1e6, "rmsprop": 1e6,
             "adam": 1e6}

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                 reason="numba is not installed (the NumPy path is used)")


def _points():
    rng = np.random.default_rng(3)
    p = rng.normal(size=(400, 2)) * np.array([[3.0, 2.0]])
    extra = [(0.0, 0.0), (-0.0, 0.0), (1.0, 1.0), (1e8, -1e8), (1e155, 3.0), (-3e-300, 1e-300),
             (np.inf, 0.0), (np.nan, 1.0)]
    return np.vstack([p, np.array(extra)])


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_each_scalar_kernel_is_its_surfaces_value_and_gradient_bit_for_bit(name):
    params, _ = SURFACES[name]
    surf = make_surface(name, params)
    kind, consts = surf.scalar_kernel()
    assert kind == name and kind in compiled.KINDS
    p = _points()
    with np.errstate(all="ignore"):
        value, grad = surf.value(p), surf.grad(p)
        got = np.array([SCALAR[name](float(x), float(y), consts) for x, y in p])
    assert np.array_equal(got[:, 0], value, equal_nan=True)
    assert np.array_equal(got[:, 1:], grad, equal_nan=True)


def test_a_quadratic_runs_path_does_not_depend_on_the_other_runs():
    """The quadratic's gradient was a matrix product, rounded differently by the BLAS kernel
    depending on how many points shared the call: alone, a run took another path than among
    a hundred others."""
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 10.0, "angle": 30.0})
    run = spec_run("gd", "me", start=(-2.0, 1.5), lr=0.05)
    others = [spec_run("gd", f"o{i}", start=(0.1 * i - 2.0, 1.0), lr=0.05) for i in range(99)]
    alone = Simulation(surf, [run], compiled=False)
    crowd = Simulation(surf, [run] + others, compiled=False)
    alone.run_to(200)
    crowd.run_to(200)
    same_history(alone.history(0), crowd.history(0))


def _runs(optimizer, start):
    """A run that goes on, one that diverges, one with a step limit, one on a schedule, one
    with other hyperparameters."""
    spec = OPTIMIZERS[optimizer]
    other = {h.name: (h.default * 0.5 if h.check in ("unit", "unit_closed") else
                      h.default * 2 if h.check == "positive" else h.default)
             for h in spec.hyperparams if h.name != "lr"}
    lr = {"gd": 1e-3, "momentum": 2e-4, "nesterov": 2e-4, "adagrad": 0.1, "rmsprop": 1e-2,
          "adam": 1e-2}[optimizer]
    runs = [spec_run(optimizer, "plain", start=start, lr=lr),
            spec_run(optimizer, "boom", start=start, lr=EXPLODING[optimizer]),
            spec_run(optimizer, "short", start=start, lr=lr, max_steps=57),
            spec_run(optimizer, "sched", start=start, lr=lr,
                     schedule={"name": "warmup", "warmup": 10, "then": "cosine", "total": 200}),
            spec_run(optimizer, "other", start=(start[0] + 0.3, start[1]), lr=lr * 3, **other)]
    if optimizer == "rmsprop":
        runs.append(spec_run(optimizer, "zero", start=start, lr=lr, init="zero"))
    return runs


def _pair(surf, runs, record, **kw):
    fast = Simulation(surf, runs, record=record, compiled=True, **kw)
    slow = Simulation(surf, runs, record=record, compiled=False, **kw)
    assert fast._compiled is not None and slow._compiled is None
    for sim in (fast, slow):
        for k in (1, 36, 300):  # chunk boundaries at odd places
            sim.advance(k)
    return fast, slow


def _same(fast, slow):
    assert fast.rows == slow.rows
    assert fast.status == slow.status and fast.stop_step == slow.stop_step
    a, b = fast.summary(), slow.summary()
    for f in ("final_theta", "final_loss", "lowest_loss", "steps_to_target", "stop_step"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert np.array_equal(fast.current_theta(), slow.current_theta(), equal_nan=True)
    if fast.record:
        for i in range(fast.n):
            same_history(fast.history(i), slow.history(i))
    # both paths hand on the same state: a run may switch paths between calls
    assert np.array_equal(fast.theta, slow.theta, equal_nan=True)
    assert np.array_equal(fast._step, slow._step, equal_nan=True)


@needs_numba
@pytest.mark.parametrize("record", [True, False], ids=["recorded", "record-free"])
@pytest.mark.parametrize("surface_name", sorted(SURFACES))
@pytest.mark.parametrize("optimizer", FUSED)
def test_the_compiled_path_equals_the_numpy_path_bit_for_bit(optimizer, surface_name, record):
    params, start = SURFACES[surface_name]
    surf = make_surface(surface_name, params)
    fast, slow = _pair(surf, _runs(optimizer, start), record, target=(0.0, 1e-3))
    _same(fast, slow)
    assert fast.status[1] == DIVERGED
    assert fast.status[2] in (FINISHED, DIVERGED, CONVERGED)


@needs_numba
@pytest.mark.parametrize("record", [True, False], ids=["recorded", "record-free"])
def test_six_optimizers_together_with_stops_equal_the_numpy_path(record):
    """Mixed optimizers (the coefficient tables of several groups, Nesterov's look-ahead for
    every run), a loss-change and a gradient-norm tolerance, and a target."""
    surf = make_surface("quadratic", {"lambda1": 1.0, "lambda2": 3.0})
    runs = [spec_run(o, f"{o} {j}", start=(-2.0 + 0.1 * j, 1.5), lr=lr)
            for j, lr in enumerate((0.01, 0.1))
            for o in FUSED]
    runs.append(spec_run("gd", "gone", start=(-2.0, 1.5), lr=1.5))
    for tol in (Tolerance(loss_change=1e-9), Tolerance(grad_norm=1e-4)):
        fast, slow = _pair(surf, runs, record, tolerance=tol, target=(0.0, 1e-6))
        _same(fast, slow)
        assert CONVERGED in fast.status and DIVERGED in fast.status


@needs_numba
def test_a_run_diverging_at_its_first_row_and_a_run_past_the_bound():
    surf = make_surface("rosenbrock", {})
    far = surf.divergence_bound * 0.999 + surf.view_center[0]
    runs = [spec_run("adam", "out", start=(far + 10.0, 1.0)),
            spec_run("gd", "edge", start=(far, 1.0), lr=1.0),
            spec_run("gd", "ok", start=(-1.2, 1.0), lr=1e-3)]
    for record in (True, False):
        fast, slow = _pair(surf, runs, record)
        _same(fast, slow)
        assert fast.status[:2] == [DIVERGED, DIVERGED] and fast.stop_step[:2] == [0, 1]
        assert np.array_equal(fast.current_theta()[:2], [[far + 10.0, 1.0], [far, 1.0]])


@needs_numba
def test_the_simulation_switches_paths_between_calls_without_a_trace():
    """Small calls run in NumPy until the kernel is loaded: a mix of both gives the same
    bits as either alone."""
    surf = make_surface("himmelblau", {})
    runs = _runs("momentum", (-0.5, 0.5)) + _runs("adam", (-0.5, 0.5))
    ref = Simulation(surf, runs, compiled=False)
    mix = Simulation(surf, runs, compiled=False)
    ref.run_to(400)
    mix.advance(50)
    mix._compiled = compiled.plan(mix, True)
    mix.advance(100)
    mix._compiled = None
    mix.advance(50)
    mix._compiled = compiled.plan(mix, True)
    mix.run_to(400)
    _same(mix, ref)


def test_no_compile_forces_the_numpy_path(monkeypatch):
    surf = make_surface("rosenbrock", {})
    runs = [spec_run("adam", "a")]
    assert Simulation(surf, runs, compiled=True)._compiled is not None
    monkeypatch.setenv("DESCENT_LAB_NO_COMPILE", "1")
    assert Simulation(surf, runs, compiled=True)._compiled is None


def test_what_the_kernel_cannot_do_stays_with_numpy():
    rosen = make_surface("rosenbrock", {})
    assert Simulation(rosen, [spec_run("adam", "n", noise=0.1)], compiled=True)._compiled is None
    assert Simulation(rosen, [spec_run("rprop", "r")], compiled=True)._compiled is None
    assert Simulation(rosen, [spec_run("adam", "a")], fused=False, compiled=True)._compiled \
        is None
    plateau = spec_run("adam", "p", schedule={"name": "plateau"})
    assert Simulation(rosen, [plateau], compiled=True)._compiled is None
    beale = make_surface("beale", {})
    assert beale.scalar_kernel() is None
    assert Simulation(beale, [spec_run("adam", "a")], compiled=True)._compiled is None


def _numpy_result(surf, runs):
    sim = Simulation(surf, runs, compiled=False)
    sim.run_to(500)
    return sim


@pytest.mark.parametrize("failure", ["numba missing", "compiling fails"])
def test_without_a_kernel_the_numpy_path_runs_silently(monkeypatch, failure):
    monkeypatch.setattr(compiled, "_kernel", None)
    if failure == "numba missing":
        monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    else:
        def broken(kernel):
            raise RuntimeError("LLVM failed")
        monkeypatch.setattr(compiled, "_warm_up", broken)
    surf = make_surface("rosenbrock", {})
    runs = _runs("adam", (-1.2, 1.0))
    sim = Simulation(surf, runs, compiled=True)
    sim.run_to(500)
    assert compiled._kernel is False and compiled.load() is None
    ref = _numpy_result(surf, runs)
    for i in range(len(runs)):
        same_history(sim.history(i), ref.history(i))


def test_the_cache_folder_falls_back_when_one_cannot_be_written(monkeypatch, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DESCENT_LAB_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    got = compiled.cache_dir("0.0")
    assert got is not None and got.parent == tmp_path / "xdg" / "descent-lab"
    monkeypatch.setenv("DESCENT_LAB_CACHE_DIR", str(tmp_path / "mine"))
    assert compiled.cache_dir("0.0").parent == tmp_path / "mine"
    # the folder's name follows the kernel's sources and numba's version
    assert compiled.cache_dir("0.0") != compiled.cache_dir("0.1")


def test_numba_is_not_imported_by_the_command_line_or_small_simulations():
    code = ("import sys, io, contextlib\n"
            "from engine import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    cli.main(['list'])\n"
            "from engine.experiment import load\n"
            "sim = load('presets/crescent-rmsprop.toml').simulation()\n"
            "sim.advance(100)\n"
            "print('numba' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k != "DESCENT_LAB_NO_COMPILE"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


@needs_numba
def test_a_big_advance_loads_the_kernel_and_gives_the_numpy_numbers(monkeypatch):
    monkeypatch.setattr(compiled, "_kernel", None)  # as in a fresh process
    monkeypatch.setattr(compiled, "_loader", None)
    surf = make_surface("rosenbrock", {})
    runs = [spec_run(o, o, lr=lr) for o, lr in
            (("gd", 5e-4), ("momentum", 1e-4), ("nesterov", 1e-4), ("adagrad", 0.1),
             ("rmsprop", 1e-3), ("adam", 1e-2))]
    auto = Simulation(surf, runs)
    assert auto._compiled is not None and not auto._compiled.force
    steps = math.ceil(compiled.LOAD_WORK / (len(runs) + compiled.STEP_RUNS))
    assert compiled.worth_loading(len(runs), steps)
    assert not compiled.worth_loading(len(runs), steps - 1)
    auto.advance(steps // 2)  # NumPy: not worth loading for
    assert compiled._kernel is None and compiled._loader is None
    auto.advance(steps)  # loads the kernel before it starts
    assert compiled.loaded() and compiled._loader is None
    slow = Simulation(surf, runs, compiled=False)
    slow.run_to(auto.step)
    _same(auto, slow)
    assert auto.history(5).theta.shape[0] == steps // 2 + steps + 1


@needs_numba
def test_preload_loads_the_kernel_in_the_background(monkeypatch):
    monkeypatch.setattr(compiled, "_kernel", None)
    thread = compiled.preload()
    assert thread is not None and thread.daemon
    thread.join(timeout=120)
    assert compiled.loaded() and compiled.preload() is None


@needs_numba
def test_the_kernels_test_of_a_finite_gradient_norm_agrees_with_hypot():
    """Without a gradient-norm tolerance the record-free kernel decides whether ‖g‖ is finite
    without calling hypot (a call would slow its loop); it agrees with hypot, the NumPy path's
    test, everywhere but within an ulp of the largest double."""
    from engine import _kernel

    norm_finite = _kernel._norm_finite.py_func
    big = [0.0, 1.0, 1e150, 1e300, 1.2e308, 1.25e308, 1.27e308, 1.3e308, 1.5e308, 1.79e308,
           1.7976931348623157e308, math.inf, math.nan]
    for x in big:
        for y in big:
            for sx, sy in ((1, 1), (-1, 1), (1, -1)):
                want = math.isfinite(math.hypot(sx * x, sy * y))
                assert norm_finite(sx * x, sy * y) == want, (x, y)


@needs_numba
@pytest.mark.parametrize("record", [True, False], ids=["recorded", "record-free"])
def test_many_runs_across_blocks_equal_the_numpy_path(record):
    """150 runs (the kernel goes through runs in blocks of 64), rates from calm to diverging,
    some with step limits, starting all over the view."""
    surf = make_surface("himmelblau", {})
    rng = np.random.default_rng(5)
    base = {"gd": 0.01, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.5,
            "rmsprop": 0.05, "adam": 0.05}
    runs = []
    for i in range(150):
        o = FUSED[i % len(FUSED)]
        lr = base[o] * 10 ** rng.uniform(-1, 1.6)
        start = tuple(rng.uniform(-5, 5, size=2))
        limit = int(rng.integers(5, 300)) if i % 7 == 0 else None
        runs.append(spec_run(o, f"r{i}", start=start, lr=lr, max_steps=limit))
    fast, slow = _pair(surf, runs, record, tolerance=Tolerance(loss_change=1e-12),
                       target=(0.0, 1e-8))
    _same(fast, slow)
    status = set(fast.status)
    assert {DIVERGED, FINISHED, CONVERGED} <= status


@needs_numba
def test_many_small_advances_load_the_kernel_in_the_background(monkeypatch):
    """A sweep advances in chunks and playback step by step: once they add up to the work
    that pays for loading, the kernel loads in a thread while NumPy goes on."""
    monkeypatch.setattr(compiled, "_kernel", None)
    monkeypatch.setattr(compiled, "_loader", None)
    surf = make_surface("rosenbrock", {})
    runs = [spec_run("adam", f"a{i}", lr=1e-3 * (i + 1)) for i in range(50)]
    sim = Simulation(surf, runs)
    small = 200  # far from worth loading on its own
    assert not compiled.worth_loading(len(runs), small)
    calls = math.ceil(compiled.LOAD_WORK / (small * (len(runs) + compiled.STEP_RUNS)))
    for _ in range(calls - 1):
        sim.advance(small)
    assert compiled._loader is None and compiled._kernel is None
    sim.advance(small)
    assert compiled._loader is not None
    compiled._loader.join(timeout=120)
    assert compiled.loaded()
    sim.advance(small)  # through the kernel now
    slow = Simulation(surf, runs, compiled=False)
    slow.run_to(sim.step)
    _same(sim, slow)


@needs_numba
def test_a_cold_cache_is_compiled_in_a_child_process(monkeypatch, tmp_path):
    """The app's preload must not run numba's compiler in its own process (it holds the GIL
    for seconds): with an empty cache a child process compiles, and the app reads the cache."""
    monkeypatch.setenv("DESCENT_LAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compiled, "_kernel", None)
    monkeypatch.setattr(compiled, "_csv", None)
    monkeypatch.setattr(compiled, "_loader", None)
    assert compiled.cache_cold()
    children = []
    real = compiled.compile_in_child

    def child(*args, **kwargs):
        children.append(real(*args, **kwargs))
        assert not compiled.cache_cold()  # the child filled the cache
        return children[-1]

    monkeypatch.setattr(compiled, "compile_in_child", child)
    thread = compiled.preload()
    thread.join(timeout=600)
    assert children == [True]
    assert compiled.loaded() and compiled.csv_kernel() is not None
    # a warm cache: no child
    monkeypatch.setattr(compiled, "_kernel", None)
    monkeypatch.setattr(compiled, "_loader", None)
    compiled.preload().join(timeout=120)
    assert children == [True] and compiled.loaded()


def test_a_cache_holding_only_another_copys_code_is_cold(monkeypatch, tmp_path):
    """numba keeps each source folder's code apart: another copy of the project (another
    clone, a moved install) sharing the cache folder does not make this one's warm."""
    pytest.importorskip("numba")
    import hashlib
    from importlib.metadata import version

    monkeypatch.setenv("DESCENT_LAB_CACHE_DIR", str(tmp_path))
    where = compiled.cache_dir(version("numba"))
    here = os.path.dirname(os.path.abspath(compiled.__file__))

    def fill(folder):
        folder.mkdir()
        for name in ("_kernel.advance-73.py311.nbi", "_csv_kernel.rows-41.py311.nbi"):
            (folder / name).write_bytes(b"")

    fill(where / f"engine_{hashlib.sha1(b'/elsewhere/engine').hexdigest()}")
    assert compiled.cache_cold()
    fill(where / f"engine_{hashlib.sha1(here.encode()).hexdigest()}")
    assert not compiled.cache_cold()


def test_preload_returns_at_once_while_another_thread_is_loading(monkeypatch):
    """Playback calls preload() on the GUI thread once its small steps add up; a load in
    progress in another thread (holding the load lock, for seconds) must not block it."""
    import threading

    monkeypatch.setattr(compiled, "_kernel", None)
    loading = threading.Event()
    busy = threading.Thread(target=loading.wait, daemon=True)  # a load in progress
    busy.start()
    monkeypatch.setattr(compiled, "_loader", busy)
    returned = []
    try:
        with compiled._lock:  # what a load holds meanwhile
            caller = threading.Thread(target=lambda: returned.append(compiled.preload()),
                                      daemon=True)
            caller.start()
            caller.join(timeout=5)
            assert returned == [None]  # at once: the load under way goes on
    finally:
        loading.set()
        busy.join(timeout=5)
