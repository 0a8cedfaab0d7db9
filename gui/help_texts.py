"""Texts of the Help menu and the experiment description's HTML rendering."""
from __future__ import annotations

import html


def text_to_html(text: str) -> str:
    """An experiment's plain-text description as HTML: blank lines separate paragraphs, lines
    starting with "•" are list items (the lines after one continue it), other line breaks are
    just wrapping."""
    out = []
    for block in text.strip().split("\n\n"):
        items: list[str] = []
        para: list[str] = []
        for line in block.splitlines():
            stripped = line.strip()
            if stripped.startswith("•"):
                items.append(stripped[1:].strip())
            elif items:  # a wrapped line of the current item
                items[-1] += " " + stripped
            else:
                para.append(stripped)
        if para:
            out.append(f"<p>{html.escape(' '.join(para))}</p>")
        if items:
            out.append("<ul style='margin-left:-20px'>" + "".join(
                f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    return "".join(out)


SHORTCUTS_HTML = """<h3>Keyboard shortcuts</h3><table cellpadding=3>
<tr><td><b>Space</b></td><td>Play / pause (and go on after a note paused playback)</td></tr>
<tr><td><b>→</b></td><td>One step</td></tr>
<tr><td><b>R</b></td><td>Reset to step 0</td></tr>
<tr><td><b>Ctrl+N / Ctrl+O</b></td><td>New / open an experiment</td></tr>
<tr><td><b>Ctrl+S / Ctrl+Shift+S</b></td><td>Save / save as</td></tr>
<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b></td><td>Undo / redo a change to the experiment (runs, hyperparameters, colours, surface, starts, step limit)</td></tr>
<tr><td><b>Click on the map</b></td><td>Start the selected runs (all if none) there</td></tr>
<tr><td><b>Drag a start marker</b></td><td>Move the start of every run there (the selected ones, if some of them are selected)</td></tr>
<tr><td><b>Esc</b> (in the run list)</td><td>Select no run: map clicks move every run</td></tr>
<tr><td><b>Right-click on the map</b></td><td>At that point: the gradient ∇L (black arrow, uphill, normal to the contour line), the Hessian's eigenvectors and, at a saddle, the escape direction; the map's legend names each arrow</td></tr>
<tr><td><b>G</b></td><td>An arrow along −∇L at every run's current position, in the run's colour: downhill, the direction a gradient step goes</td></tr>
<tr><td><b>Ctrl+K</b></td><td>Clear the point analysis</td></tr>
<tr><td><b>Ctrl+Shift+A / Ctrl+D / Delete</b></td><td>Add a run / duplicate it / remove the selected runs</td></tr>
<tr><td><b>Mouse wheel / drag</b></td><td>Zoom / pan the map and plots</td></tr>
<tr><td><b>Double-click a plot</b></td><td>Fit the plot to its curves again (after a pan or zoom)</td></tr>
<tr><td><b>F11</b> / <b>Esc</b></td><td>Presentation mode: full screen, map and plots only / leave it (the panels come back as they were)</td></tr>
<tr><td><b>Ctrl+= / Ctrl+− / Ctrl+0</b></td><td>Zoom every view (fonts, lines, markers, legends) in / out / back to 100 %</td></tr>
</table>
<p>The <b>Lecture</b> menu loads each experiment of the lecture, with a text on what to
watch.</p>"""

READING_HTML = """<h3>How to read the plots</h3>
<p><b>Loss</b> and <b>gradient norm ‖g‖</b> are on a log scale: a straight falling line means
the loss shrinks by the same factor every step. A log scale cannot show a loss ≤ 0, so when
the lowest loss known is negative the loss plot shows <b>L − L<sub>min</sub></b> instead, and
its title gives L<sub>min</sub>: the surface's lowest known minimum, or the lowest loss any
run recorded if a run went lower or no minimum is known. A run that reached L<sub>min</sub>
(within the rounding of L) is drawn at that rounding level, about 10<sup>−15</sup> of
|L<sub>min</sub>|; a run that levels off above it has stopped higher, e.g. in a worse
minimum.</p>
<p><b>σ per parameter</b> (σ₁ solid, σ₂ dashed) is the adaptive optimizers' running estimate of
how large each gradient component usually is: Adagrad's root mean square of all past
gradients, RMSProp's and Adam's exponentially weighted one. Plain gradient descent and
momentum have no σ, so they draw no σ curve.</p>
<p><b>Learning rate</b>: the solid line is the schedule's η<sup>t</sup>. The dashed (θ₁) and
dotted (θ₂) lines are the <b>effective rate</b> η<sup>t</sup>/σ<sup>t</sup> each parameter
really gets. Where a direction is steep, σ is large and its effective rate small; along a
flat direction σ is small and the step grows. That is how one η serves both the steep walls
and the flat floor of a valley.</p>
<p>The dashed vertical line is the step shown on the map; click or drag the timeline to move
it. The line above the plots names each run in its colour. While the runs play, the axes
move in steps so the curves hold still: the step axis grows to 1.25 × the newest step when
the runs reach its end, the value axes by half decades.</p>"""
