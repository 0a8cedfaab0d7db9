"""The headless command line: ``main.py run`` and ``main.py list`` in a real subprocess."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXPERIMENT = """
title = "Three runs on a bowl"
surface = { name = "quadratic", lambda1 = 1.0, lambda2 = 3.0 }
steps = 50
tolerance = { grad_norm = 1e-9 }

[[runs]]
label = "GD"
optimizer = "gd"
lr = 0.1
start = [-2.0, 1.5]

[[runs]]
label = "too big"
optimizer = "gd"
lr = 1.0
start = [-2.0, 1.5]

[[runs]]
optimizer = "newton"
start = [-2.0, 1.5]
"""


def main_py(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "bowl.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


def test_run_prints_a_summary_and_writes_the_csv(experiment, tmp_path):
    out = tmp_path / "out.csv"
    res = main_py("run", experiment, "--csv", out, "--steps", 30)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0] == "Three runs on a bowl — Quadratic bowl, 30 steps"
    assert lines[1].split() == ["label", "optimizer", "status", "final", "loss", "final",
                                "point", "to", "nearest", "min"]
    gd, big, newton = lines[2], lines[3], lines[4]
    # GD after 30 steps: θ = (−2·0.9³⁰, 1.5·0.7³⁰), distance to the minimum (0, 0)
    x, y = -2 * 0.9 ** 30, 1.5 * 0.7 ** 30
    loss = 0.5 * (x * x + 3 * y * y)
    assert gd.split()[:5] == ["GD", "gd", "finished", "30", "steps"]
    assert f"{loss:.6g}" in gd and f"({x:.6g}, {y:.6g})" in gd
    assert gd.rstrip().endswith(f"{(x * x + y * y) ** 0.5:.6g}")
    # too big: diverged at step 12 at its last finite point (0, 1.5·(−2)¹¹)
    assert big.split()[:6] == ["too", "big", "gd", "diverged", "at", "step"]
    assert big.split()[6] == "12" and "(0, -3072)" in big and big.rstrip().endswith("3072")
    # newton lands on the minimum in one step, where ‖g‖ = 0 < tolerance
    assert newton.split()[:6] == ["newton", "newton", "converged", "at", "step", "1"]
    assert newton.split()[6:] == ["0", "(0,", "0)", "0"]
    assert lines[-1] == f"wrote {out}"
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["label"] for r in rows] == ["GD"] * 31 + ["too big"] * 12 + ["newton"] * 2
    assert float(rows[30]["x"]) == pytest.approx(x, rel=1e-12)


def test_run_without_csv_and_with_the_files_steps(experiment, tmp_path):
    res = main_py("run", experiment, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "50 steps" in res.stdout.splitlines()[0]
    assert "finished 50 steps" in res.stdout
    assert os.listdir(tmp_path) == ["bowl.toml"]


INVALID = [
    ("syntax.toml", "steps = \n[[runs]]\noptimizer = 'gd'\n", "not valid TOML"),
    ("surface.toml", "surface = 'rosenbrok'\n[[runs]]\noptimizer = 'gd'\n",
     "surface: unknown surface 'rosenbrok' (did you mean 'rosenbrock'?)"),
    ("optimizer.toml", "[[runs]]\noptimizer = 'adm'\n",
     "runs[1].optimizer: unknown optimizer 'adm' (did you mean 'adam'?)"),
    ("key.toml", "[[runs]]\noptimizer = 'gd'\nlrr = 0.1\n",
     "runs[1].lrr: unknown key (did you mean 'lr'?)"),
    ("neg.toml", "[[runs]]\noptimizer = 'gd'\nlr = -0.5\n", "runs[1].lr: must be > 0, got -0.5"),
    ("inf.toml", "[[runs]]\noptimizer = 'gd'\nlr = inf\n",
     "runs[1].lr: must be a finite number, got inf"),
    ("start.toml", "[[runs]]\noptimizer = 'gd'\nstart = [0.0, nan]\n",
     "runs[1].start: must be a finite number, got nan"),
    ("steps.toml", "steps = 0\n[[runs]]\noptimizer = 'gd'\n", "steps: must be ≥ 1, got 0"),
    ("expr.toml", "expression = 'x**'\n[[runs]]\noptimizer = 'gd'\n", "expression: "),
    ("disabled.toml", "[[runs]]\noptimizer = 'gd'\nenabled = false\n",
     "runs: every run is disabled"),
]


@pytest.mark.parametrize("name,text,problem", INVALID)
def test_invalid_input_exits_2_with_one_line_and_no_csv(tmp_path, name, text, problem):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    res = main_py("run", path, "--csv", out)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"error: {path}: ")
    assert problem in res.stderr
    assert not out.exists()


def test_missing_file_and_bad_arguments_exit_2(tmp_path):
    res = main_py("run", tmp_path / "nope.toml", "--csv", tmp_path / "o.csv")
    assert (res.returncode, res.stderr) == (2, f"error: {tmp_path / 'nope.toml'}: no such file\n")
    for args in (["run"], ["run", tmp_path / "x.toml", "--steps", "many"],
                 ["run", tmp_path / "x.toml", "--bogus"]):
        res = main_py(*args)
        assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
        assert "Traceback" not in res.stderr


def test_steps_below_one_on_the_command_line(experiment, tmp_path):
    res = main_py("run", experiment, "--steps", 0, "--csv", tmp_path / "o.csv")
    assert res.returncode == 2 and "--steps: must be from 1 to 10,000,000, got 0" in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_unwritable_csv_exits_1(experiment, tmp_path):
    res = main_py("run", experiment, "--csv", tmp_path / "no" / "such" / "dir" / "o.csv")
    assert res.returncode == 1
    assert res.stderr.startswith("error: cannot write ") and "Traceback" not in res.stderr


def test_list_prints_surfaces_optimizers_schedules_and_presets():
    res = main_py("list")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for heading in ("Surfaces", "Optimizers (keys and defaults):", "Schedules", "Presets"):
        assert heading in out
    for name in ("rosenbrock", "quadratic"):
        assert f"\n  {name} " in out
    assert "  rmsprop    lr=0.01, alpha=0.9, eps=1e-08, init='first_gradient'" in out
    assert ("  rprop      step_init=0.01, eta_plus=1.2, eta_minus=0.5, step_min=1e-06, "
            "step_max=1.0, backtrack=True") in out
    assert "  adam       lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08" in out
    for schedule in ("constant", "inv_sqrt", "inverse", "inverse_square", "exponential", "step",
                     "plateau", "warmup", "transformer", "cosine"):
        assert f"\n  {schedule} " in out
    from engine.presets import preset_names
    presets = out.split("Presets")[1]
    for name in preset_names():
        assert f"  {name} " in presets


def test_run_does_not_import_qt():
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from engine.cli import cmd_run, main
        import tempfile, os
        d = tempfile.mkdtemp()
        p = os.path.join(d, "e.toml")
        open(p, "w").write('[[runs]]\\noptimizer = "adam"\\n')
        assert cmd_run([p, "--steps", "20", "--csv", os.path.join(d, "o.csv")]) == 0
        # and through the dispatcher, which also loads the extra sub-commands
        assert main(["run", p, "--steps", "20"]) == 0
        qt = sorted(m for m in sys.modules if m.split(".")[0] in
                    ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph"))
        print("QT:", qt)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "QT: []"


def test_run_works_when_qt_cannot_be_imported(experiment, tmp_path):
    """A sitecustomize that makes every Qt import fail: ``run`` and ``list`` still work."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent("""
        import sys

        class NoQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
                    raise ImportError(f"{name} is blocked in this test")
                return None

        sys.meta_path.insert(0, NoQt())
    """))
    env = dict(os.environ, PYTHONPATH=str(site))
    probe = subprocess.run([sys.executable, "-c", "import PySide6"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "blocked" in probe.stderr
    res = main_py("run", experiment, "--steps", 10, "--csv", tmp_path / "o.csv", env=env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "o.csv").exists()
    assert main_py("list", env=env).returncode == 0


def test_run_a_preset_and_an_unknown_preset(tmp_path):
    from engine.presets import preset_names

    name = preset_names()[0]
    res = main_py("run", "--preset", name, "--steps", 3, "--csv", tmp_path / "p.csv")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "p.csv").read_text("utf-8").startswith("run,label,optimizer,step,")
    res = main_py("run", "--preset", name[:-1] + "x")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("error: --preset: unknown preset")
    assert f"(did you mean '{name}'?)" in res.stderr
