"""Per-run epoch limits on data surfaces (the ``epochs`` key)."""
import pytest

from engine.experiment import ExperimentError, loads

TEXT = """
surface = { name = "linear-regression", n = 20 }
epochs = 3
%s
[[runs]]
label = "full"
optimizer = "gd"
lr = 0.1
[[runs]]
label = "B3"
optimizer = "gd"
lr = 0.1
batch_size = 3
"""


def test_each_run_stops_after_its_epochs():
    exp = loads(TEXT % "")
    assert exp.steps == 3 * 7  # ceil(20 / 3) = 7 steps per epoch for the slowest run
    sim = exp.simulation()
    sim.run_to(exp.steps)
    assert sim.status == ["finished", "finished"]
    assert sim.stop_step == [3, 21]
    assert len(sim.history(0).loss) == 4 and len(sim.history(1).loss) == 22
    assert sim.status_text(1) == "finished at step 21"


def test_steps_caps_epochs_and_round_trips():
    exp = loads(TEXT % "steps = 5")
    sim = exp.simulation()
    sim.run_to(exp.steps)
    assert sim.status == ["finished", "running"] and sim.step == 5
    assert loads(exp.to_toml()) == exp


def test_epochs_needs_a_data_surface():
    with pytest.raises(ExperimentError, match="epochs: needs a data-defined surface"):
        loads('surface = "rosenbrock"\nepochs = 2\n[[runs]]\noptimizer = "gd"\n')
    with pytest.raises(ExperimentError, match="epochs: must be ≥ 1"):
        loads(TEXT.replace("epochs = 3", "epochs = 0") % "")


def test_gradient_noise_may_stand_in_the_surface_table():
    text = 'surface = { name = "saddle", gradient_noise = 0.1 }\n[[runs]]\noptimizer = "gd"\n'
    exp = loads(text)
    assert exp.gradient_noise == 0.1 and exp.surface.params == {}
    assert exp.run_specs()[0].gradient_noise == 0.1
    assert loads(exp.to_toml()) == exp
    with pytest.raises(ExperimentError, match="surface.gradient_noise: must be ≥ 0"):
        loads(text.replace("0.1", "-1"))
