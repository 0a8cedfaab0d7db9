"""Replay a rebuilt simulation to the step the race had reached (after a run was ticked,
unticked, added or removed), in chunks of about 50 ms so the event loop keeps running; a
replay longer than a moment shows progress with Cancel."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressDialog

CHUNK_S = 0.05
SHOW_AFTER_S = 0.1


def replay_to(sim, target: int, parent=None, clock=time.perf_counter) -> bool:
    """Advance ``sim`` to step ``target`` (or until every run stopped). Returns False when the
    user cancelled (``sim`` then stays at the step reached)."""
    dlg = None
    t0 = clock()
    chunk, start = 64, sim.step
    try:
        while sim.step < target and sim.live.any():
            t1 = clock()
            did = sim.advance(min(chunk, target - sim.step))
            dt = clock() - t1
            if did and dt > 0:
                chunk = max(1, min(int(chunk * CHUNK_S / dt), 4 * chunk))
            if did == 0:
                break
            if dlg is None and clock() - t0 > SHOW_AFTER_S and sim.step < target:
                dlg = QProgressDialog(f"Replaying the runs to step {target:,}…", "Cancel",
                                      0, target - start, parent)
                dlg.setWindowTitle("Replaying")
                dlg.setWindowModality(Qt.WindowModality.WindowModal)
                dlg.setMinimumDuration(0)
            if dlg is not None:
                dlg.setValue(sim.step - start)
                QApplication.processEvents()
                if dlg.wasCanceled():
                    return False
        return True
    finally:
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
