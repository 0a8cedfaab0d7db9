"""The features that plug into the main window through its extension points (menus, tabs,
docks, overlays, signals), installed in this order. A new feature adds one line here."""
from __future__ import annotations


def install_extensions(win) -> None:
    from gui.about import install_about
    from gui.analysis_tools import install_analysis_tools
    from gui.animation_dialog import install_animation_export
    from gui.atlas_tools import install_atlas
    from gui.lecture import install_lecture_menu
    from gui.metrics_view import install_metrics_view
    from gui.model_tab import install_model_view
    from gui.notes_overlay import install_notes
    from gui.presentation import install_presentation

    install_lecture_menu(win)
    install_analysis_tools(win)
    install_model_view(win)
    install_atlas(win)
    install_metrics_view(win)
    install_animation_export(win)
    install_notes(win)
    install_about(win)
    install_presentation(win)  # last: it zooms the tabs and docks installed before it
