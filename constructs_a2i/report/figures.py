"""Every figure of a report, from a history: the JSON ``a2i report --format json`` writes.

:func:`compute_figures` calls the figure functions of :mod:`~constructs_a2i.report.volume`,
:mod:`~constructs_a2i.report.agreement` and :mod:`~constructs_a2i.report.reviewers` and puts
their results under one object (:data:`SCHEMA` names its layout); the HTML page
(:mod:`~constructs_a2i.report.render`) draws exactly these numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from constructs_a2i.report.agreement import model_agreement, reviewer_agreement
from constructs_a2i.report.history import History
from constructs_a2i.report.reviewers import cost, reviewers
from constructs_a2i.report.volume import durations, volume

__all__ = ["SCHEMA", "Source", "compute_figures", "price_usd"]

SCHEMA: Final = "constructs-a2i/report/1"
"""The layout of the figures' JSON; a change that breaks scripts gets a new number."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where the history came from, and what the flow says about price and task count."""

    flow: str | None = None
    """The flow definition's name (None for a results file)."""
    results_file: str | None = None
    """The results file read (``--from``)."""
    since: dt.datetime | None = None
    """``--since``."""
    until: dt.datetime | None = None
    """``--until``."""
    price_usd: Decimal | None = None
    """The price per task (public crowd), if any."""
    task_count: int | None = None
    """The flow's TaskCount, if known."""
    errors: tuple[str, ...] = ()
    """Outputs that could not be read (``humanLoopName: why``)."""


def price_usd(price: Any) -> Decimal | None:
    """A ``PublicWorkforceTaskPrice`` (``{"AmountInUsd": {"Dollars", "Cents",
    "TenthFractionsOfACent"}}``) in dollars; None when absent or malformed."""
    amount = price.get("AmountInUsd") if isinstance(price, Mapping) else None
    if not isinstance(amount, Mapping):
        return None
    parts = [amount.get(key, 0) for key in ("Dollars", "Cents", "TenthFractionsOfACent")]
    if not all(isinstance(part, int) and not isinstance(part, bool) for part in parts):
        return None
    dollars, cents, tenths = parts
    return Decimal(dollars) + Decimal(cents) / 100 + Decimal(tenths) / 1000


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def compute_figures(
    history: History,
    source: Source | None = None,
    *,
    anonymize: bool = False,
    generated: dt.datetime | None = None,
) -> dict[str, Any]:
    """All the figures of ``history`` as one JSON-ready object."""
    source = source or Source()
    paths = history.paths
    timing = durations(history)
    return {
        "schema": SCHEMA,
        "generated": _time(generated or dt.datetime.now(dt.UTC)),
        "source": {
            "flow": source.flow,
            "resultsFile": source.results_file,
            "since": _time(source.since),
            "until": _time(source.until),
            "predictionPath": paths.prediction,
            "answerPath": paths.answer,
            "confidencePath": paths.confidence,
        },
        "totals": {
            "loops": len(history.loops),
            "answers": len(history.answers),
            "skippedRows": history.skipped_rows,
            "problems": history.problem_count,
            "unreadableOutputs": len(source.errors),
        },
        "problems": [*source.errors, *history.problems],
        "volume": volume(history),
        "timeToComplete": timing["timeToComplete"],
        "timePerTask": timing["timePerTask"],
        "modelAgreement": model_agreement(history),
        "reviewerAgreement": reviewer_agreement(history),
        "reviewers": reviewers(history, anonymize=anonymize),
        "cost": cost(history, price_usd=source.price_usd, task_count=source.task_count),
    }
