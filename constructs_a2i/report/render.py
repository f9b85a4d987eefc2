"""The report as one self-contained HTML page, with plotly.js inlined.

:func:`render_html` lays out the figures of
:func:`~constructs_a2i.report.figures.compute_figures`: per section a heading, the plot (a
``div`` whose id is in :data:`~constructs_a2i.report.plots.PLOT_IDS`, drawn from
:func:`~constructs_a2i.report.plots.plot_figures`) or a "no data" note, and the one-line
reading under it; then the reviewers' table and the problems met while reading.

The page loads nothing: plotly.js (the copy the ``plotly`` package ships) is inlined once and
the figures are inlined as JSON, so it opens offline, from a file or an e-mail attachment. A
Content-Security-Policy allows no network access at all and only the page's own scripts (by a
nonce made per page), so even a label that slipped through as markup could run nothing. All
text is HTML-escaped; JSON inside ``<script>`` has ``<``, ``>`` and ``&`` as ``\\u`` escapes.
The figures' JSON is in the page too (``<script type="application/json"
id="report-figures">``). When every plot is drawn, ``<body>`` gets :data:`READY_ATTRIBUTE`.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any, Final

from constructs_a2i.report.plots import plot_figures

__all__ = ["READY_ATTRIBUTE", "SECTIONS", "render_html"]

READY_ATTRIBUTE: Final = "data-report-ready"
"""Set on ``<body>`` once every plot is drawn."""
SECTIONS: Final = (
    ("Volume", "plot-volume", "volume"),
    ("Time to complete", "plot-time-to-complete", "timeToComplete"),
    ("Time per task", "plot-time-per-task", "timePerTask"),
    ("The model against the reviewers", "plot-override-rate", "modelAgreement"),
    ("Confusion matrix", "plot-confusion", "modelAgreement"),
    ("Calibration: override rate by confidence", "plot-calibration", "modelAgreement"),
    ("Agreement between reviewers", "plot-reviewer-agreement", "reviewerAgreement"),
    ("Reviewers", "plot-reviewers", "reviewers"),
    ("Cost", "plot-cost", "cost"),
)
"""``(heading, plot id, figure key)`` of each section, in page order."""
_TABLE_ROWS: Final = 200
_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta, .nodata { color: #666; }
.reading { font-size: 1.05rem; margin: .3rem 0 1rem; }
.plot { min-height: 360px; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid #eee; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
"""


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for character in ("&", "<", ">", "\u2028", "\u2029"):
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


def _reading(figures: dict[str, Any], key: str, plot_id: str) -> str:
    figure = figures[key]
    if plot_id == "plot-calibration":
        calibration = figure.get("confidence")
        if calibration is None:
            return "No data: pass --confidence-path to see the override rate by confidence."
        return str(calibration["reading"])
    if plot_id == "plot-confusion" and figure.get("available") and figure.get("loops"):
        kappa = figure.get("cohensKappa")
        kappa_text = "undefined (one label only)" if kappa is None else f"{kappa:.2f}"
        return (
            f"Rows: the model's label; columns: the reviewers'; the diagonal is agreement. "
            f"Cohen's kappa of model and reviewers: {kappa_text}."
        )
    return str(figure["reading"])


def _fmt(value: Any, style: str = "") -> str:
    if value is None:
        return "-"
    if style == "%":
        return f"{value:.0%}"
    if style == "s":
        return f"{value:,.1f}"
    return f"{value:,}"


def _reviewer_table(figures: dict[str, Any]) -> str:
    rows = figures["reviewers"]["reviewers"]
    if not rows:
        return ""
    body = "".join(
        "<tr>"
        f"<td>{html.escape(str(row['reviewer']))}</td><td>{_fmt(row['tasks'])}</td>"
        f"<td>{_fmt(row['medianSeconds'], 's')}</td><td>{_fmt(row['agreement'], '%')}</td>"
        f"<td>{_fmt(row['compared'])}</td></tr>"
        for row in rows[:_TABLE_ROWS]
    )
    more = (
        f'<p class="meta">The first {_TABLE_ROWS} of {len(rows):,} reviewers; the JSON has all.</p>'
        if len(rows) > _TABLE_ROWS
        else ""
    )
    return (
        '<table id="reviewers-table"><thead><tr><th>reviewer</th><th>tasks</th>'
        "<th>median seconds</th><th>agreement with the others</th><th>answers compared</th>"
        f"</tr></thead><tbody>{body}</tbody></table>{more}"
    )


def _problems(figures: dict[str, Any]) -> str:
    totals = figures["totals"]
    count = totals["problems"] + totals["unreadableOutputs"]
    if not count:
        return ""
    items = "".join(f"<li>{html.escape(text)}</li>" for text in figures["problems"])
    shown = len(figures["problems"])
    more = f"<li>... and {count - shown:,} more</li>" if count > shown else ""
    return (
        f'<h2 id="problems">Problems ({count:,})</h2><p class="meta">Values that could not be '
        f"read were left out of the figures that need them; {totals['skippedRows']:,} row(s) "
        f"were skipped entirely.</p><details><summary>Show</summary><ul>{items}{more}</ul>"
        "</details>"
    )


def _header(figures: dict[str, Any]) -> str:
    source = figures["source"]
    totals = figures["totals"]
    what = source["flow"] or source["resultsFile"] or "review history"
    period = " - ".join(part or "..." for part in (source["since"], source["until"]))
    return (
        f"<h1>Human review report: {html.escape(str(what))}</h1>"
        f'<p class="meta">{totals["loops"]:,} loops, {totals["answers"]:,} answers'
        + (f"; created {html.escape(period)}" if source["since"] or source["until"] else "")
        + f"; generated {html.escape(str(figures['generated']))} by a2i report.</p>"
    )


def render_html(figures: dict[str, Any]) -> str:
    """The report page for ``figures`` (see module)."""
    import plotly.graph_objects
    import plotly.io
    import plotly.offline

    plots = plot_figures(figures)
    nonce = secrets.token_urlsafe(16)
    sections = []
    for heading, plot_id, key in SECTIONS:
        drawn = plots[plot_id] is not None
        body = (
            f'<div class="plot" id="{plot_id}"></div>'
            if drawn
            else f'<p class="nodata" id="{plot_id}-nodata">No data to plot.</p>'
        )
        reading = html.escape(_reading(figures, key, plot_id))
        sections.append(
            f'<section data-plot="{plot_id}"><h2>{html.escape(heading)}</h2>{body}'
            f'<p class="reading">{reading}</p>'
            + (_reviewer_table(figures) if plot_id == "plot-reviewers" else "")
            + "</section>"
        )
    # Through plotly.py: it checks every property and resolves the named template.
    drawn_plots = {
        plot_id: json.loads(plotly.io.to_json(plotly.graph_objects.Figure(plot)))
        for plot_id, plot in plots.items()
        if plot is not None
    }
    policy = (
        "default-src 'none'; img-src data: blob:; font-src data:; "
        f"style-src 'unsafe-inline'; script-src 'nonce-{nonce}'"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A2I review report</title><style>{_STYLE}</style>
<script nonce="{nonce}">{plotly.offline.get_plotlyjs()}</script>
</head><body>
{_header(figures)}
{"".join(sections)}
{_problems(figures)}
<script type="application/json" id="report-figures">{_script_json(figures)}</script>
<script nonce="{nonce}">
(function () {{
  var plots = {_script_json(drawn_plots)};
  var config = {{displaylogo: false, responsive: true}};
  var drawing = Object.keys(plots).map(function (id) {{
    return Plotly.newPlot(id, plots[id].data, plots[id].layout, config);
  }});
  Promise.all(drawing).then(function () {{
    document.body.setAttribute("{READY_ATTRIBUTE}", String(drawing.length));
  }});
}})();
</script>
</body></html>
"""
