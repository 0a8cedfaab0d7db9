"""The About panel of the main window: the experiment's title and text, then its surface's.

A text describes the surface it was written for: when the user picks another surface, the
experiment's title and description are set aside (not saved with the new surface, and the
panel says so), and they come back when that surface is chosen again (or by undo). Editing
never raises the panel: only a newly loaded experiment does.

A mixin of ``MainWindow``: it uses ``_exp``, ``_set_aside``, ``_title``, ``description``,
``about_dock`` and ``surface_dock``.
"""
from __future__ import annotations

import html
from dataclasses import replace

from engine.experiment import Experiment, ExperimentError, SurfaceConfig
from gui.help_texts import text_to_html


def surface_name(cfg: SurfaceConfig) -> str:
    """A surface configuration as a user names it: the expression or the surface's name."""
    if cfg.expression is not None:
        text = cfg.expression if len(cfg.expression) <= 40 else cfg.expression[:39] + "…"
        return f"L = {text}"
    return cfg.name


class AboutText:
    """The About panel and the texts' surface (mixed into ``MainWindow``)."""

    def _show_description(self, raise_dock: bool = False) -> None:
        """The About panel: the experiment's title and text, then its surface's. Only a newly
        loaded experiment raises the panel; an edit never moves the user's place."""
        exp = self._exp
        parts = [f"<h3>{html.escape(self._title())}</h3>"]
        if exp.description:
            parts.append(text_to_html(exp.description))
        aside = self._set_aside
        if aside and not (exp.title or exp.description) and aside[0] != exp.surface:
            what = f"“{aside[1]}”" if aside[1] else "the experiment's text"
            parts.append(f"<p style='color:#555'><i>{html.escape(what)} described another "
                         f"surface ({html.escape(surface_name(aside[0]))}), so it was set "
                         "aside when the surface changed. Choose that surface again, or Edit → "
                         "Undo, to bring it back.</i></p>")
        try:
            surf = exp.surface.build()
            if surf.description:
                parts.append(f"<h4>{html.escape(surf.title or surf.name)}</h4>"
                             f"<p>{html.escape(surf.description)}</p>")
        except ExperimentError:
            pass
        self.description.setHtml("".join(parts))
        if raise_dock:
            (self.about_dock if exp.description else self.surface_dock).raise_()

    def _texts_for_surface(self, old: Experiment, new: Experiment) -> Experiment:
        """The title and description describe the surface they were written for: on a new
        surface they are set aside (the window then names the new surface), and they come
        back when that surface is chosen again."""
        if new.surface == old.surface:
            return new
        if old.title or old.description:
            self._set_aside = (old.surface, old.title, old.description)
            return replace(new, title="", description="")
        aside = self._set_aside
        if aside and aside[0] == new.surface and not (new.title or new.description):
            self._set_aside = None
            return replace(new, title=aside[1], description=aside[2])
        return new
