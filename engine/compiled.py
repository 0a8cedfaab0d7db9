"""The compiled fast path: the fused update (engine/fused.py) as one loop over runs and steps.

NumPy makes some fifty passes over the run arrays per step (gradient, fused update, loss,
lowest loss, divergence tests); with a handful of runs its per-call cost dominates, with many
runs its memory traffic does. The kernel (engine/_kernel.py, numba) makes one pass, doing the
same floating-point operations in the same order, so it gives the same numbers bit for bit
(tests/test_compiled.py). It is a fast path like the fused update itself, used only when
every condition holds:

- every run goes through the fused update (gd, momentum, nesterov, adagrad, rmsprop, adam),
  with no plateau schedule, no mini-batches and no gradient noise;
- the surface offers a compiled scalar value and gradient (``Surface.scalar_kernel``:
  rosenbrock, quadratic, himmelblau, saddle, canyon);
- numba can be imported and the kernel compiles; ``DESCENT_LAB_NO_COMPILE=1`` turns it off.

Otherwise, or when anything fails, the NumPy path runs unchanged. numba is imported only when
a simulation is about to use the kernel: an ``advance`` that would take NumPy about as long as
loading it (about a second: ``worth_loading``; ``compiled=True`` forces it), so neither the
app's start nor its step-by-step playback wait for it; once loaded, every eligible chunk uses
it. Many smaller calls that add up to that much start loading it in a background thread, and
NumPy goes on until it is there. Both paths keep the same state, so a simulation may switch
between them from one call to the next. ``preload()`` loads it in a background thread (for
the app, once its window shows). Loaded off the main thread with a cold cache, the kernels are
compiled in a child process first, so that numba's compiler, which holds the GIL for seconds,
does not make the window stutter.

The machine code is cached (numba's ``cache=True``) in ``$DESCENT_LAB_CACHE_DIR``, else the
platform's cache folder (``~/.cache/descent-lab`` on Linux), else the temporary folder, in a
sub-folder named after a hash of the kernel's sources and numba's version (numba itself would
not notice a change in the surfaces' files). Nothing is written into the package.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from engine.runs import CONVERGED, DIVERGED, FINISHED
from engine.step_tables import learning_rates

#: an ``advance`` of k steps of n runs loads the kernel when k·(n + STEP_RUNS) reaches this:
#: importing numba and reading its cache take about a second, once per process, about what
#: NumPy needs for that much work (a NumPy step costs about as much as STEP_RUNS more runs)
LOAD_WORK = 6_000_000
STEP_RUNS = 130
#: the surfaces the kernel knows, in the order of its ``kind`` (engine/_kernel.py, SURFACES)
KINDS = ("rosenbrock", "quadratic", "himmelblau", "saddle", "canyon")
_STATUS = {1: CONVERGED, 2: DIVERGED, 3: FINISHED}
_STEPWISE = ("b", "d", "C", "K")
_DEFAULT = {"b": 1.0, "d": 0.0, "C": 0.0, "K": 0.0}
_ROOT = Path(__file__).resolve().parent.parent
_SOURCES = ("engine/_kernel.py", "engine/_csv_kernel.py", "surfaces/classic.py",
            "surfaces/standard_functions.py", "surfaces/saddles.py", "surfaces/canyon.py")

_lock = threading.Lock()  # held while a kernel loads (seconds; minutes to compile)
_start_lock = threading.Lock()  # held only to start preload()'s thread: never waits on a load
_kernel = None  # the kernel module once loaded; False when it cannot be had
_csv = None  # the same for engine/_csv_kernel.py
_loader: threading.Thread | None = None  # preload()'s thread


def disabled() -> bool:
    """True when ``DESCENT_LAB_NO_COMPILE`` asks for the NumPy path."""
    return os.environ.get("DESCENT_LAB_NO_COMPILE", "").strip().lower() not in ("", "0", "false",
                                                                                "no")


def loaded() -> bool:
    return bool(_kernel)


def load():
    """The kernel module (compiled, or read from the cache), or None when numba is missing or
    anything fails. Tried once per process."""
    global _kernel
    if _kernel is None:
        with _lock:
            if _kernel is None:
                _kernel = _load() or False
    return _kernel or None


def preload() -> threading.Thread | None:
    """Load the kernel in a daemon thread (None when it is loaded, failed, turned off or
    already loading). Returns at once, even while another thread is loading it: the GUI
    thread calls it during playback."""
    global _loader
    with _start_lock:
        if _kernel is not None or disabled() or (_loader is not None and _loader.is_alive()):
            return None
        _loader = threading.Thread(target=_load_both, name="descent-lab-kernel", daemon=True)
        _loader.start()
        return _loader


def _load_both() -> None:
    if load() is not None:
        csv_kernel()


def _warm_cache() -> None:
    """Off the main thread (the app's background work: preload, an export, a sweep), a cold
    cache is filled by a child process: numba's compiler holds the GIL for seconds, which
    would make the window stutter. The main thread (the command line) compiles itself."""
    if threading.current_thread() is not threading.main_thread() and cache_cold():
        compile_in_child()


def cache_cold() -> bool:
    """True when numba is installed but its cache lacks the machine code of either kernel's
    entry point for the current sources (the first start after an install or an update).
    Does not import numba."""
    try:
        from importlib.metadata import version

        where = cache_dir(version("numba"))
    except Exception:
        return False
    if where is None:
        return False
    # numba keeps each source folder's machine code in a sub-folder named after the folder's
    # path (numba.core.caching, get_suitable_cache_subpath): another copy of the project
    # shares ``where`` but not this
    here = os.path.dirname(os.path.abspath(__file__))
    sub = where / f"{os.path.basename(here)}_{hashlib.sha1(here.encode()).hexdigest()}"
    have = {f.name.split("-")[0] for f in sub.glob("*.nbi")}
    return not {"_kernel.advance", "_csv_kernel.rows"} <= have


#: what ``compile_in_child`` runs (from the project's folder)
WARM_UP = "from engine import compiled; compiled.load(); compiled.csv_kernel()"


def compile_in_child(timeout: float = 600) -> bool:
    """Compile both kernels into the cache in a child process at low priority (True when it
    succeeded). The calling process then only reads the cache."""
    import subprocess

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    nice = getattr(os, "nice", None)
    try:
        done = subprocess.run([sys.executable, "-c", WARM_UP], cwd=_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout, preexec_fn=(lambda: nice(10)) if nice else None)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _load():
    _warm_cache()
    kernel = _import("_kernel")
    try:
        if kernel is None or kernel.SURFACES != KINDS:
            return None
        _warm_up(kernel)
        return kernel
    except Exception:
        return None


def csv_kernel():
    """engine/_csv_kernel.py (compiled, or read from the cache), or None when numba is missing,
    turned off or anything fails. Tried once per process."""
    global _csv
    if _csv is None:
        with _lock:
            if _csv is None:
                _csv = (not disabled() and _load_csv()) or False
    return _csv or None


def _load_csv():
    _warm_cache()
    kernel = _import("_csv_kernel")
    try:
        out = np.zeros(64, dtype=np.uint8)
        text = np.frombuffer(b"[[1e-7,null,0.00001]]", dtype=np.uint8)
        n = kernel.rows(text, np.frombuffer(b"1,a,gd,", dtype=np.uint8), 0, out)
        return kernel if out[:n].tobytes() == b"1,a,gd,0,1e-07,,1e-05\n" else None
    except Exception:
        return None


def _import(name: str):
    """Import engine.<name> (a numba module) with its machine code cached in ``cache_dir``."""
    try:
        import numba
        from numba.core import config
    except Exception:
        return None
    saved = config.CACHE_DIR
    try:
        where = cache_dir(numba.__version__)
        if where is not None:
            config.CACHE_DIR = str(where)
        try:
            return importlib.import_module(f"engine.{name}")
        finally:
            config.CACHE_DIR = saved
    except Exception:
        return None


def _source_hash(version: str) -> str:
    h = hashlib.sha256(f"{version} {sys.version_info[:2]}".encode())
    for name in _SOURCES:
        h.update((_ROOT / name).read_bytes())
    return h.hexdigest()[:16]


def _user_cache() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") \
            / "descent-lab" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "descent-lab"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "descent-lab"


def cache_dir(version: str) -> Path | None:
    """A writable folder for the kernel's cache, or None (numba then uses its own)."""
    sub = f"kernel-{_source_hash(version)}"
    user = os.getuid() if hasattr(os, "getuid") else "user"
    bases = [os.environ.get("DESCENT_LAB_CACHE_DIR"), _user_cache(),
             Path(tempfile.gettempdir()) / f"descent-lab-{user}"]
    for base in bases:
        if not base:
            continue
        path = Path(base) / sub
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path):
                pass
            return path
        except OSError:
            continue
    return None


def _dummies():
    return (np.empty((0, 0, 2)), np.empty((0, 0)), np.empty((0, 0, 2)), np.empty((0, 0)),
            np.empty((0, 0)), np.empty((0, 0, 2)), np.empty((0, 0, 2)))


def _warm_up(kernel) -> None:
    """Compile (or read from the cache) the one specialization every call uses."""
    one = lambda v: np.full((1, 2), v)  # noqa: E731
    tab = np.ones((1, 1))
    buf = (np.empty((1, 1, 2)), np.empty((1, 1)), np.empty((1, 1, 2)), np.empty((1, 1)),
           np.empty((1, 1)), np.empty((1, 1, 2)), np.empty((1, 1, 2)))
    kernel.advance(0, np.array([1.0, 100.0]), 0, 1, False, True,
                   one(0.5), one(0.0), one(0.0), one(0.0), one(0.0), one(0.0), one(1.0),
                   one(0.0), one(0.0), tab, tab, tab, tab, np.full((1, 1), 0.01),
                   one(0.5), np.full(1, 10, dtype=np.int64), np.ones(1, dtype=bool),
                   np.zeros(1, dtype=np.int64), np.full(1, -1, dtype=np.int64),
                   np.zeros(1, dtype=np.int64), one(0.5), np.full(1, np.nan),
                   np.full(1, np.nan), np.full(1, -1, dtype=np.int64), np.full(1, np.nan),
                   np.ones(1, dtype=bool), np.ones(1, dtype=bool), np.ones(1, dtype=bool),
                   np.zeros(2, dtype=bool), np.array([0.0, 0.0, 1e3, np.nan, np.nan, 0.0, 0.0]),
                   *buf, 0)


def _compact(v) -> np.ndarray:
    """A coefficient as a C-contiguous (1 or k, 1 or n) table."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    return np.ascontiguousarray(a)


class CompiledPlan:
    """What a simulation needs to run through the kernel: the surface's kind and constants,
    and whether to load the kernel for any work (``force``) or only for big calls."""

    def __init__(self, sim, kind: int, constants, force: bool):
        self.kind = kind
        self.constants = np.ascontiguousarray(constants, dtype=float)
        self.force = force
        self.n = sim.n
        self.spent = 0  # NumPy's work so far, in k·(n + STEP_RUNS)
        self.start = sim.theta.copy()  # built from the runs' starts
        tol, target = sim.tolerance, sim.target
        self.flags = np.array([tol.grad_norm is not None, target is not None])
        cx, cy = sim._center
        self.num = np.array([cx, cy, sim._bound,
                             np.nan if tol.grad_norm is None else tol.grad_norm,
                             np.nan if tol.loss_change is None else tol.loss_change,
                             0.0 if target is None else target[0],
                             0.0 if target is None else target[1]], dtype=float)
        self._dummies = _dummies()

    def kernel(self, steps: int, rows: int):
        """The kernel for ``rows`` of an ``advance`` of ``steps``, or None (NumPy path). Many
        small calls (a sweep's chunks, playback) add up: once they have cost NumPy about what
        loading does, the kernel loads in the background while NumPy goes on."""
        if _kernel:
            return _kernel
        if _kernel is False:
            return None
        if self.force or worth_loading(self.n, steps):
            return load()
        self.spent += rows * (self.n + STEP_RUNS)
        if self.spent >= LOAD_WORK:
            preload()
        return None

    def run(self, sim, kernel, r0: int, k: int) -> None:
        """Rows r0..r0+k−1 of ``sim`` through ``kernel``: what ``_run_rows`` and ``_check``
        do (the record's buffers must have room when recording)."""
        fz = sim._fused
        # η^t: one row when no run has a per-step schedule
        lr = learning_rates(sim, r0, k) if sim._scheduled else sim._lr0.reshape(1, -1)
        t = np.arange(r0, r0 + k, dtype=float)[:, None]
        if len(fz.groups) == 1:
            spec, _, h = fz.groups[0]
            got = spec.full_version(h, lr, t)
            tabs = [_compact(got.get(key, _DEFAULT[key])) for key in _STEPWISE]
        else:
            co = fz.coefficients(lr, r0, k)
            tabs = [np.ascontiguousarray(co[key], dtype=float) for key in _STEPWISE]
        if sim.record:
            b = sim._buf
            bufs = (b["theta"], b["loss"], b["grad"], b["grad_norm"], b["lr"], b["sigma"],
                    b["eff_lr"])
        else:
            bufs = self._dummies
        was = sim._live.copy()
        n = sim.n
        status = np.zeros(n, dtype=np.int64)
        stop = np.full(n, -1, dtype=np.int64)
        sig, eff, lr_ok = sim._check_masks
        stopped = kernel.advance(
            self.kind, self.constants, r0, k, fz.nesterov, sim.record,
            sim.theta, sim._step, fz.m, fz.s, fz.a, fz.c, fz.D, fz.eps, fz.gamma,
            *tabs, lr, self.start, sim._limit, sim._live, status, stop, sim._last,
            sim._final_theta, sim._final_loss, sim._lowest, sim._to_target, sim._prev_loss,
            sig, eff, lr_ok, self.flags, self.num, *bufs, sim._base if sim.record else 0)
        if stopped:
            for i in np.flatnonzero(was & ~sim._live):
                sim.status[i] = _STATUS[int(status[i])]
                sim.stop_step[i] = int(stop[i])


def worth_loading(n: int, steps: int) -> bool:
    """Whether ``steps`` of ``n`` runs are worth loading the kernel for."""
    return steps * (n + STEP_RUNS) >= LOAD_WORK


def plan(sim, compiled: bool | None) -> CompiledPlan | None:
    """The compiled plan of ``sim`` when every condition but numba's presence holds (cheap:
    nothing is imported), else None. ``compiled``: None (automatic), True (load the kernel for
    any work), False (never)."""
    if compiled is False or disabled():
        return None
    fz = sim._fused
    if fz is None or not fz.all or sim._groups or len(sim._noisy) or sim._batched:
        return None
    get = getattr(sim.surface, "scalar_kernel", None)
    got = get() if get is not None else None
    if got is None or got[0] not in KINDS:
        return None
    return CompiledPlan(sim, KINDS.index(got[0]), got[1], force=compiled is True)
