"""Volume and time figures: loops per day, the backlog, time to complete and time per task.

Pure functions of a :class:`~constructs_a2i.report.history.History`; each returns a JSON-ready
dict with a one-line ``reading``.

* **Volume** (:func:`volume`), per UTC day: loops *started* (created), *completed* (on the day
  of their last answer's ``submissionTime``, else the day they were created), *failed* and
  *stopped* (on the day they were created: ListHumanLoops gives no end time for them), and the
  *backlog* at the end of each day, started so far minus ended so far. Only days with an event
  are listed. From a results file, only Completed and Stopped loops are known (the file has no
  others), so the backlog there is zero; ``a2i report --flow`` lists every loop.
* **Time** (:func:`durations`): *time to complete*, from a Completed loop's creation to its last
  answer's submission, and *time per task*, each answer's ``timeSpentInSeconds``; as p50 and
  p90 (linear interpolation between the closest ranks, as numpy's default) and a histogram of
  20 equal bins up to the 99th percentile, the last bin holding everything above.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from constructs_a2i.core.statuses import (
    LOOP_COMPLETED,
    LOOP_FAILED,
    LOOP_IN_PROGRESS,
    LOOP_STOPPED,
    LOOP_STOPPING,
)
from constructs_a2i.report.history import History

__all__ = ["HISTOGRAM_BINS", "durations", "histogram", "percentile", "volume"]

HISTOGRAM_BINS: Final = 20
"""Bins of the time histograms."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values`` by linear interpolation (numpy's default
    method); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def histogram(values: Sequence[float], bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """``edges`` (``bins`` + 1, from 0 to the 99th percentile) and ``counts``; values above
    the last edge are counted in the last bin (``overflow`` says how many)."""
    top = percentile(values, 99.0) or 0.0
    if top <= 0:
        top = max(values, default=0.0) or 1.0
    width = top / bins
    counts = [0] * bins
    overflow = 0
    for value in values:
        index = int(value / width) if width > 0 else 0
        if index >= bins:
            overflow += value > top
            index = bins - 1
        counts[max(index, 0)] += 1
    return {
        "edges": [round(width * step, 6) for step in range(bins + 1)],
        "counts": counts,
        "overflow": overflow,
    }


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def volume(history: History) -> dict[str, Any]:
    """Loops started, completed, failed and stopped per day, and the backlog (see module)."""
    last_answer: dict[str, dt.datetime] = {}
    for answer in history.answers:
        if answer.submitted is not None:
            previous = last_answer.get(answer.loop)
            if previous is None or answer.submitted > previous:
                last_answer[answer.loop] = answer.submitted
    series: dict[str, Counter[str]] = {
        name: Counter() for name in ("started", "completed", "failed", "stopped")
    }
    undated = 0
    for loop in history.loops:
        if loop.created is None:
            undated += 1
            continue
        series["started"][_day(loop.created)] += 1
        if loop.status == LOOP_COMPLETED:
            done = last_answer.get(loop.name)
            when = done if done is not None and done >= loop.created else loop.created
            series["completed"][_day(when)] += 1
        elif loop.status == LOOP_FAILED:
            series["failed"][_day(loop.created)] += 1
        elif loop.status == LOOP_STOPPED:
            series["stopped"][_day(loop.created)] += 1
    days = sorted(set().union(*series.values()))
    backlog: list[int] = []
    open_loops = 0
    for day in days:
        ended = sum(series[name][day] for name in ("completed", "failed", "stopped"))
        open_loops += series["started"][day] - ended
        backlog.append(open_loops)
    statuses = Counter(loop.status for loop in history.loops)
    in_progress = statuses[LOOP_IN_PROGRESS] + statuses[LOOP_STOPPING]
    result: dict[str, Any] = {
        "days": days,
        **{name: [counts[day] for day in days] for name, counts in series.items()},
        "backlog": backlog,
        "statuses": dict(sorted(statuses.items())),
        "inProgress": in_progress,
        "undated": undated,
    }
    if not history.loops:
        result["reading"] = "No data: no loops in this period."
    else:
        busiest = max(days, key=lambda day: series["started"][day]) if days else None
        result["reading"] = (
            f"{len(history.loops):,} loops over {len(days)} day(s): "
            f"{statuses[LOOP_COMPLETED]:,} completed, {statuses[LOOP_FAILED]:,} failed, "
            f"{statuses[LOOP_STOPPED]:,} stopped, {in_progress:,} still in progress"
            + (f"; busiest day {busiest}." if busiest else ".")
        )
    return result


def _distribution(values: list[float], what: str) -> dict[str, Any]:
    p50 = percentile(values, 50.0)
    p90 = percentile(values, 90.0)
    result: dict[str, Any] = {
        "unit": "seconds",
        "count": len(values),
        "p50": p50,
        "p90": p90,
        "histogram": histogram(values) if values else None,
    }
    if p50 is None or p90 is None:
        result["reading"] = f"No data: no {what}."
    else:
        result["reading"] = (
            f"Half of the {len(values):,} {what} took at most {_duration(p50)}, "
            f"nine in ten at most {_duration(p90)}."
        )
    return result


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def durations(history: History) -> dict[str, dict[str, Any]]:
    """``timeToComplete`` (creation to last submission of Completed loops) and
    ``timePerTask`` (``timeSpentInSeconds`` of each answer)."""
    created = {loop.name: loop.created for loop in history.loops if loop.status == LOOP_COMPLETED}
    last: dict[str, dt.datetime] = {}
    per_task: list[float] = []
    for answer in history.answers:
        if answer.seconds is not None:
            per_task.append(answer.seconds)
        if answer.submitted is not None and answer.loop in created:
            previous = last.get(answer.loop)
            if previous is None or answer.submitted > previous:
                last[answer.loop] = answer.submitted
    to_complete = [
        (done - start).total_seconds()
        for name, done in last.items()
        if (start := created.get(name)) is not None and done >= start
    ]
    return {
        "timeToComplete": _distribution(to_complete, "completed loops"),
        "timePerTask": _distribution(per_task, "tasks"),
    }
