"""The surface chooser offers mlp-plane's text parameters as choices (real clicks and keys)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt

from engine.experiment import SurfaceConfig
from gui.fields import ChoiceField
from gui.surface_panel import SurfacePanel


def pick(qtbot, combo, text):
    """Open the combo box and choose ``text`` with the keyboard, as a user would."""
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    for _ in range(combo.count()):
        if combo.view().currentIndex().data() == text:
            break
        qtbot.keyClick(combo.view(), Qt.Key.Key_Down)
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)


def test_choosing_a_dataset_and_a_plane_rebuilds_the_network(qtbot):
    panel = SurfacePanel()
    qtbot.addWidget(panel)
    panel.set_config(SurfaceConfig("mlp-plane", {"n": 40, "hidden": 2}), None, 0)
    panel.show()
    fields = panel._param_fields
    assert isinstance(fields["dataset"], ChoiceField)
    assert [fields["directions"].itemText(i) for i in range(3)] == ["random", "pca",
                                                                   "interpolation"]
    assert fields["dataset"].currentText() == "moons"
    with qtbot.waitSignal(panel.surfaceChanged):
        pick(qtbot, fields["dataset"], "circles")
    assert panel.config().params == {"n": 40, "hidden": 2, "dataset": "circles"}
    assert panel.surface().params["dataset"] == "circles"
    with qtbot.waitSignal(panel.surfaceChanged):
        pick(qtbot, fields["directions"], "interpolation")
    s = panel.surface()
    assert s.params["directions"] == "interpolation" and not s.c.any()
    assert panel.error() == "" and panel.batch_field.isVisible()
    assert "N = 40" in panel.data_info.text()
