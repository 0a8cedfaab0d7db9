"""Help → About: the version, where the documentation is (clickable file links), the licence
and the libraries used, with their versions."""
from __future__ import annotations

import html
import platform
import tomllib
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from gui.dialogs import APP_NAME

ROOT = Path(__file__).resolve().parent.parent
DIST_NAME = "descent-lab"
LICENCE = "MIT"
#: (distribution, what it does here)
LIBRARIES = (
    ("PySide6-Essentials", "Qt for Python: the windows and widgets"),
    ("pyqtgraph", "the map, the plots and the 3-D view"),
    ("numpy", "all the maths"),
    ("sympy", "exact gradients and Hessians of typed formulas"),
    ("tomli-w", "writing experiment files"),
    ("PyOpenGL", "OpenGL for the 3-D view"),
)


def version() -> str:
    """The installed package's version, else the one in pyproject.toml beside the code."""
    from importlib import metadata  # loaded when the About panel opens, not at start-up

    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        pass
    try:
        doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        return str(doc["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def library_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and docs/*.md that exist, README first."""
    files = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    return [f for f in files if f.is_file()]


def about_html(root: Path = ROOT) -> str:
    docs = "".join(
        f"<li><a href='{QUrl.fromLocalFile(str(f)).toString()}'>{html.escape(f.name)}</a>"
        f" <span style='color:#555555'>({html.escape(str(f))})</span></li>"
        for f in doc_files(root))
    libs = "".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(library_version(name))}"
                   f"</td><td>{html.escape(what)}</td></tr>" for name, what in LIBRARIES)
    return (f"<h2>{APP_NAME} {html.escape(version())}</h2>"
            "<p>Watch gradient-descent optimizers race, live and side by side, on a 2-D loss "
            "surface.</p>"
            f"<p><b>Licence:</b> {LICENCE}.</p>"
            f"<p>Python {html.escape(platform.python_version())}, Qt {html.escape(qt_version())}"
            "</p>"
            f"<h3>Documentation</h3><ul>{docs or '<li>not found beside the program</li>'}</ul>"
            "<h3>Libraries</h3><table cellpadding=2>"
            "<tr><th align=left>library</th><th align=left>version</th><th align=left>used "
            f"for</th></tr>{libs}</table>")


class AboutDialog(QDialog):
    """The About box; its links open the documentation files in the system's viewer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(620, 520)


def install_about(win) -> None:
    """Help → About Descent Lab (a window-modal box: the app's event loop keeps running)."""

    def show_about() -> None:
        dialog = AboutDialog(win)
        win.about_dialog = dialog
        dialog.open()

    win.help_menu.addSeparator()
    win._action(win.help_menu, f"&About {APP_NAME}", show_about)
