"""The plots of a report: one Plotly figure (``data`` and ``layout``) per plot id.

:func:`plot_figures` turns the figures of
:func:`~constructs_a2i.report.figures.compute_figures` into Plotly figure specifications, plain
JSON-ready dicts (it computes nothing itself); a section with nothing to draw gets None, and
the page (:mod:`~constructs_a2i.report.render`) says "no data" there instead.

Text from reviewers (labels, worker ids) goes to Plotly as HTML entities (:func:`plot_text`),
because Plotly reads a few tags (``<b>``, ``<a href>``) in its text: a label
``<img src=x onerror=...>`` is shown as written, never made into markup.
"""

from __future__ import annotations

import html
import itertools
from typing import Any, Final

__all__ = ["PLOT_IDS", "plot_figures", "plot_text"]

PLOT_IDS: Final = (
    "plot-volume",
    "plot-time-to-complete",
    "plot-time-per-task",
    "plot-override-rate",
    "plot-confusion",
    "plot-calibration",
    "plot-reviewer-agreement",
    "plot-reviewers",
    "plot-cost",
)
"""The id of each plot's ``div``, in page order."""
_BAR_REVIEWERS: Final = 40
_COLORS: Final = {
    "started": "#4c78a8",
    "completed": "#54a24b",
    "failed": "#e45756",
    "stopped": "#f58518",
    "backlog": "#72b7b2",
}


def plot_text(value: Any) -> str:
    """A reviewer-supplied value as Plotly text: HTML entities for its markup characters."""
    return html.escape(str(value), quote=False)


def _unit(seconds: float | None) -> tuple[str, float]:
    if seconds is None or seconds < 600:
        return "seconds", 1.0
    if seconds < 36000:
        return "minutes", 60.0
    if seconds < 3 * 86400:
        return "hours", 3600.0
    return "days", 86400.0


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "template": "plotly_white",
        "height": 360,
        "margin": {"l": 60, "r": 30, "t": 50, "b": 90},
        "legend": {"orientation": "h", "y": -0.3},
        **extra,
    }


def _volume(figure: dict[str, Any]) -> dict[str, Any] | None:
    if not figure["days"]:
        return None
    days = figure["days"]
    bars = [
        {
            "type": "bar",
            "name": name,
            "x": days,
            "y": figure[name],
            "marker": {"color": _COLORS[name]},
        }
        for name in ("started", "completed", "failed", "stopped")
    ]
    backlog = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "backlog (in progress)",
        "x": days,
        "y": figure["backlog"],
        "yaxis": "y2",
        "line": {"color": _COLORS["backlog"]},
    }
    return {
        "data": [*bars, backlog],
        "layout": _layout(
            "Loops per day",
            barmode="group",
            xaxis={"type": "date", "title": {"text": "day (UTC)"}},
            # Ticks of its own (whole loops), not ones lined up with the left axis's grid.
            yaxis2={
                "title": {"text": "backlog"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "tickmode": "auto",
                "tickformat": ",d",
                "showgrid": False,
            },
            yaxis={"title": {"text": "loops"}, "rangemode": "tozero"},
        ),
    }


def _distribution(figure: dict[str, Any], title: str) -> dict[str, Any] | None:
    bins = figure.get("histogram")
    if not figure["count"] or bins is None:
        return None
    unit, scale = _unit(bins["edges"][-1])
    edges = [edge / scale for edge in bins["edges"]]
    centers = [(low + high) / 2 for low, high in itertools.pairwise(edges)]
    width = edges[1] - edges[0] if len(edges) > 1 else 1.0
    lines = [
        {
            "type": "line",
            "x0": figure[name] / scale,
            "x1": figure[name] / scale,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"dash": "dash", "color": color},
        }
        for name, color in (("p50", "#333333"), ("p90", "#e45756"))
    ]
    notes = [
        {
            "x": figure[name] / scale,
            "y": 1,
            "yref": "paper",
            "text": f"{name} {figure[name] / scale:.3g}",
            "showarrow": False,
            "yanchor": "bottom",
        }
        for name in ("p50", "p90")
    ]
    return {
        "data": [{"type": "bar", "x": centers, "y": bins["counts"], "width": width, "name": title}],
        "layout": _layout(
            title,
            xaxis={"title": {"text": unit}},
            yaxis={"title": {"text": "count"}},
            shapes=lines,
            annotations=notes,
            showlegend=False,
        ),
    }


def _override_rate(figure: dict[str, Any]) -> dict[str, Any] | None:
    if not figure.get("available") or not figure["loops"]:
        return None
    labels = [plot_text(entry["label"]) for entry in figure["perLabel"]]
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": [entry["overrideRate"] for entry in figure["perLabel"]],
                "customdata": [
                    [entry["overridden"], entry["loops"]] for entry in figure["perLabel"]
                ],
                "hovertemplate": "%{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})"
                "<extra></extra>",
                "name": "per predicted label",
            }
        ],
        "layout": _layout(
            f"Override rate by the model's label (overall {figure['overrideRate']:.1%})",
            xaxis={"title": {"text": "the model's label"}, "type": "category"},
            yaxis={"title": {"text": "overridden"}, "tickformat": ".0%", "rangemode": "tozero"},
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": figure["overrideRate"],
                    "y1": figure["overrideRate"],
                    "line": {"dash": "dot", "color": "#e45756"},
                }
            ],
            showlegend=False,
        ),
    }


def _confusion(figure: dict[str, Any]) -> dict[str, Any] | None:
    if not figure.get("available") or not figure["loops"]:
        return None
    labels = [plot_text(label) for label in figure["confusion"]["labels"]]
    counts = figure["confusion"]["counts"]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": labels,
                "y": labels,
                "z": counts,
                "text": [[str(count) for count in row] for row in counts],
                "texttemplate": "%{text}",
                "colorscale": "Blues",
                "hovertemplate": "model %{y}, reviewers %{x}: %{z}<extra></extra>",
            }
        ],
        "layout": _layout(
            "Confusion matrix: the model's label x the reviewers' label",
            xaxis={"title": {"text": "reviewers' label"}, "type": "category"},
            yaxis={"title": {"text": "model's label"}, "type": "category", "autorange": "reversed"},
            height=max(360, 60 + 40 * len(labels)),
        ),
    }


def _calibration(figure: dict[str, Any]) -> dict[str, Any] | None:
    calibration = figure.get("confidence")
    if not figure.get("available") or not calibration or not calibration["scoredLoops"]:
        return None
    buckets = calibration["buckets"]
    return {
        "data": [
            {
                "type": "bar",
                "x": [f"{entry['low']:.1f}-{entry['high']:.1f}" for entry in buckets],
                "y": [entry["overrideRate"] for entry in buckets],
                "customdata": [[entry["overridden"], entry["loops"]] for entry in buckets],
                "hovertemplate": "confidence %{x}: %{y:.1%} overridden "
                "(%{customdata[0]} of %{customdata[1]})<extra></extra>",
            }
        ],
        "layout": _layout(
            "Override rate by the model's confidence",
            xaxis={"title": {"text": "confidence"}, "type": "category"},
            yaxis={"title": {"text": "overridden"}, "tickformat": ".0%", "rangemode": "tozero"},
            showlegend=False,
        ),
    }


def _reviewer_agreement(figure: dict[str, Any]) -> dict[str, Any] | None:
    if not figure.get("available") or not figure["loops"]:
        return None
    agree = figure["allAgree"]
    return {
        "data": [
            {
                "type": "bar",
                "x": ["all agree", "some disagree"],
                "y": [agree, figure["loops"] - agree],
                "marker": {"color": [_COLORS["completed"], _COLORS["failed"]]},
            }
        ],
        "layout": _layout(
            "Loops with two or more answers", yaxis={"title": {"text": "loops"}}, showlegend=False
        ),
    }


def _reviewers(figure: dict[str, Any]) -> dict[str, Any] | None:
    rows = figure["reviewers"][:_BAR_REVIEWERS]
    if not rows:
        return None
    names = [plot_text(row["reviewer"]) for row in rows]
    return {
        "data": [
            {"type": "bar", "name": "tasks", "x": names, "y": [row["tasks"] for row in rows]},
            {
                "type": "scatter",
                "mode": "markers",
                "name": "agreement with the others",
                "x": names,
                "y": [row["agreement"] for row in rows],
                "yaxis": "y2",
                "marker": {"color": _COLORS["stopped"], "size": 9},
            },
        ],
        "layout": _layout(
            f"Reviewers (the {len(rows)} busiest)",
            xaxis={"type": "category"},
            yaxis={"title": {"text": "tasks"}},
            yaxis2={
                "title": {"text": "agreement"},
                "overlaying": "y",
                "side": "right",
                "range": [0, 1.05],
                "tickformat": ".0%",
            },
        ),
    }


def _cost(figure: dict[str, Any]) -> dict[str, Any] | None:
    if not figure.get("available") or not figure["days"]:
        return None
    total = 0.0
    cumulative = []
    for value in figure["perDayUsd"]:
        total += value
        cumulative.append(round(total, 6))
    return {
        "data": [
            {"type": "bar", "name": "per day", "x": figure["days"], "y": figure["perDayUsd"]},
            {
                "type": "scatter",
                "mode": "lines",
                "name": "cumulative",
                "x": figure["days"],
                "y": cumulative,
                "yaxis": "y2",
            },
        ],
        "layout": _layout(
            "Public-crowd cost (USD)",
            xaxis={"title": {"text": "day of completion (UTC)"}},
            yaxis={"title": {"text": "USD per day"}, "tickprefix": "$"},
            yaxis2={"title": {"text": "cumulative"}, "overlaying": "y", "side": "right"},
        ),
    }


def plot_figures(figures: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The Plotly figure (``data`` and ``layout``) of each plot id, None where no data."""
    agreement = figures["modelAgreement"]
    return {
        "plot-volume": _volume(figures["volume"]),
        "plot-time-to-complete": _distribution(figures["timeToComplete"], "Time to complete"),
        "plot-time-per-task": _distribution(figures["timePerTask"], "Time per task"),
        "plot-override-rate": _override_rate(agreement),
        "plot-confusion": _confusion(agreement),
        "plot-calibration": _calibration(agreement),
        "plot-reviewer-agreement": _reviewer_agreement(figures["reviewerAgreement"]),
        "plot-reviewers": _reviewers(figures["reviewers"]),
        "plot-cost": _cost(figures["cost"]),
    }
