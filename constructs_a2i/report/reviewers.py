"""Per-reviewer figures and the cost of the review.

* **Reviewers** (:func:`reviewers`), by ``workerId`` (or a pseudonym, ``reviewer-001`` for the
  busiest, with ``anonymize``): tasks answered, the median ``timeSpentInSeconds``, and
  agreement with the others: for each of the reviewer's labelled answers in a loop with other
  labelled answers, whether it matches the most frequent label among the *others* (a tie among
  them is not counted). With two answers per loop that is simply agreement with the other
  reviewer.
* **Cost** (:func:`cost`), for a public-crowd flow: the price per task (the flow's
  ``PublicWorkforceTaskPrice``) x ``task_count`` x completed loops, per day of completion and
  in all. It is what A2I charges the workers' side; AWS's own per-object A2I fee and the
  service fees of private or vendor work teams are not included.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any, Final

from constructs_a2i.core.statuses import LOOP_COMPLETED
from constructs_a2i.report.agreement import consensus
from constructs_a2i.report.history import History

__all__ = ["UNKNOWN_WORKER", "cost", "pseudonyms", "reviewers"]

UNKNOWN_WORKER: Final = "(no workerId)"
"""How answers without a ``workerId`` are grouped."""


def pseudonyms(tasks: dict[str, int]) -> dict[str, str]:
    """``reviewer-001``, ``reviewer-002``, ... by tasks answered (most first), then by id."""
    ordered = sorted(tasks, key=lambda worker: (-tasks[worker], worker))
    width = max(3, len(str(len(ordered))))
    return {worker: f"reviewer-{number:0{width}d}" for number, worker in enumerate(ordered, 1)}


def reviewers(history: History, *, anonymize: bool = False) -> dict[str, Any]:
    """One entry per reviewer, the busiest first (see module)."""
    tasks: dict[str, int] = defaultdict(int)
    seconds: dict[str, list[float]] = defaultdict(list)
    by_loop: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for answer in history.answers:
        worker = answer.worker if answer.worker is not None else UNKNOWN_WORKER
        tasks[worker] += 1
        if answer.seconds is not None:
            seconds[worker].append(answer.seconds)
        if answer.label is not None:
            by_loop[answer.loop].append((worker, answer.label))
    compared: dict[str, int] = defaultdict(int)
    agreed: dict[str, int] = defaultdict(int)
    for answers in by_loop.values():
        for place, (worker, label) in enumerate(answers):
            others = consensus([other for at, (_, other) in enumerate(answers) if at != place])
            if others is not None:
                compared[worker] += 1
                agreed[worker] += label == others
    names = pseudonyms(tasks) if anonymize else {worker: worker for worker in tasks}
    rows: list[dict[str, Any]] = [
        {
            "reviewer": names[worker],
            "tasks": count,
            "medianSeconds": statistics.median(seconds[worker]) if seconds[worker] else None,
            "compared": compared[worker],
            "agreement": agreed[worker] / compared[worker] if compared[worker] else None,
        }
        for worker, count in sorted(tasks.items(), key=lambda item: (-item[1], names[item[0]]))
    ]
    result: dict[str, Any] = {"anonymized": anonymize, "reviewers": rows}
    if not rows:
        result["reading"] = "No data: no answers."
    else:
        busiest = rows[0]
        share = int(busiest["tasks"]) / sum(tasks.values())
        result["reading"] = (
            f"{len(rows):,} reviewer(s) answered {sum(tasks.values()):,} tasks; the busiest, "
            f"{busiest['reviewer']}, answered {busiest['tasks']:,} ({share:.0%})."
        )
    return result


def cost(history: History, *, price_usd: Decimal | None, task_count: int | None) -> dict[str, Any]:
    """What the public crowd was paid (see module); unavailable without a price."""
    if price_usd is None:
        return {
            "available": False,
            "reading": "No data: no task price (public-crowd flows have one; pass --flow, or "
            "--price for a results file).",
        }
    tasks = task_count or 1
    last: dict[str, dt.datetime] = {}
    for answer in history.answers:
        if answer.submitted is not None and (
            answer.loop not in last or answer.submitted > last[answer.loop]
        ):
            last[answer.loop] = answer.submitted
    per_day: dict[str, int] = defaultdict(int)
    completed = 0
    for loop in history.loops:
        if loop.status != LOOP_COMPLETED:
            continue
        completed += 1
        when = last.get(loop.name) or loop.created
        per_day[when.astimezone(dt.UTC).date().isoformat() if when is not None else "unknown"] += 1
    days = sorted(per_day)
    total = price_usd * tasks * completed
    return {
        "available": True,
        "pricePerTaskUsd": float(price_usd),
        "taskCount": tasks,
        "completedLoops": completed,
        "totalUsd": float(total),
        "days": days,
        "perDayUsd": [float(price_usd * tasks * per_day[day]) for day in days],
        "reading": (
            f"{completed:,} completed loops x {tasks} task(s) x ${price_usd} = "
            f"${total:,.2f} paid to the public crowd (AWS's per-object A2I fee not included)."
        ),
    }
