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
    with qtbot.waitSignal(panel.surfaceChanged, timeout=60000):  # a new network: trained
        pick(qtbot, fields["dataset"], "circles")                # in a worker, then applied
    assert panel.config().params == {"n": 40, "hidden": 2, "dataset": "circles"}
    assert panel.surface().params["dataset"] == "circles"
    fields = panel._param_fields  # rebuilt for the new surface
    with qtbot.waitSignal(panel.surfaceChanged, timeout=60000):
        pick(qtbot, fields["directions"], "interpolation")
    s = panel.surface()
    assert s.params["directions"] == "interpolation" and not s.c.any()
    assert panel.error() == "" and panel.batch_field.isVisible()
    assert "N = 40" in panel.data_info.text()


def test_picking_a_new_network_trains_it_in_a_worker_and_cancel_keeps_the_old(qtbot):
    from PySide6.QtWidgets import QPushButton

    from surfaces import mlp_plane

    panel = SurfacePanel()
    qtbot.addWidget(panel)
    panel.set_config(SurfaceConfig("mlp-plane", {"n": 40, "hidden": 2}), None, 0)
    panel.show()
    # a table never built: the panel hands it to a worker, then applies it
    with qtbot.waitSignal(panel.surfaceChanged, timeout=60000):
        pick(qtbot, panel._param_fields["directions"], "pca")
    assert panel.build_job.finished and panel.config().params["directions"] == "pca"
    assert mlp_plane.is_built(panel.config().params)
    # a bigger new table, cancelled while it trains: the old network stays
    panel.set_config(SurfaceConfig("mlp-plane", {"n": 800, "hidden": 4}), None, 0)
    old = panel.config()
    pick(qtbot, panel._param_fields["dataset"], "spirals")
    job = panel.build_job
    qtbot.waitUntil(lambda: job.dialog.isVisible(), timeout=10000)
    assert not job.finished
    qtbot.mouseClick(job.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.finished and not job.dialog.isVisible(), timeout=60000)
    assert panel.config() == old and panel.surface().params["dataset"] == "moons"
    assert "cancelled" in panel.description.text()
    assert panel._param_fields["dataset"].currentText() == "moons"
