"""The run editor offers every registered optimizer, with one field per hyperparameter and
its tooltip, straight from the registry (no per-optimizer GUI code)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from engine.experiment import loads  # noqa: E402
from engine.optimizers import OPTIMIZERS  # noqa: E402
from gui.run_editor import RunEditor  # noqa: E402


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_choosing_an_optimizer_builds_its_fields(qtbot, optimizer):
    ed = RunEditor()
    qtbot.addWidget(ed)
    ed.set_runs(loads('[[runs]]\nlabel = "r"\noptimizer = "gd"\n').runs)
    ed.show()
    box = ed.optimizer_box
    assert box.findData(optimizer) >= 0
    box.setCurrentIndex(box.findData(optimizer))
    box.activated.emit(box.currentIndex())
    spec = OPTIMIZERS[optimizer]
    assert ed.runs()[0].optimizer == optimizer
    # the defaults, keeping the previous run's lr where the new optimizer has one
    expected = {**spec.defaults(), **({"lr": 0.01} if "lr" in spec.defaults() else {})}
    assert ed.runs()[0].hyper == expected
    assert list(ed._hyper_fields) == [h.name for h in spec.hyperparams]
    for h in spec.hyperparams:
        field = ed._hyper_fields[h.name]
        widget = getattr(field, "edit", field)  # number fields wrap a line edit
        assert h.doc[:30] in widget.toolTip(), h.name
