"""The review history a report is made from: loops and answers, read defensively from rows.

A row is what ``a2i results`` writes (one per human answer; the command's guide lists the
columns): ``humanLoopName``, ``loopCreationTime``, ``humanLoopStatus``,
``answerIndex``, ``workerId``, ``acceptanceTime``, ``submissionTime``, ``timeSpentInSeconds``,
``answerContent`` and ``inputContent``. :func:`build_history` turns rows into :class:`Answer`
records and, when no listing of the flow's loops is given, :class:`Loop` records too.

Rows come from workers and from files people edit, so each value is checked on its own: a row
that is not an object, or has no loop name, is skipped; a value that cannot be read (a time
that is not ISO 8601, a negative, infinite or absurdly large number of seconds, a label that is
an object, a confidence outside 0..1) is left out of the figures that need it, and the
problem is recorded (:attr:`History.problems`), never raised. A row repeated (the same loop,
answer and item) counts once.

The labels are read at dotted paths (:class:`Paths`): the model's prediction and its
confidence in the loop's input (``inputContent``), the reviewer's label in the answer
(``answerContent``), e.g. ``prediction.label`` and ``category.label``. A path may step into a
list with a number (``labels.0``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from constructs_a2i.core.statuses import LOOP_COMPLETED

__all__ = [
    "MAX_PROBLEMS_KEPT",
    "MAX_SECONDS",
    "Answer",
    "History",
    "Loop",
    "Paths",
    "Unreadable",
    "build_history",
    "label_of",
    "read_path",
]

MAX_SECONDS: Final = 10 * 365 * 86400.0
"""Longer than any A2I task can last (ten years): a larger time spent is a broken value."""
MAX_PROBLEMS_KEPT: Final = 50
"""Problems kept with their text; the rest are only counted (:attr:`History.problem_count`)."""
_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Paths:
    """Where the labels are: dotted paths into the input and the answer (None: not read)."""

    prediction: str | None = None
    """The model's label in ``inputContent`` (``--prediction-path``)."""
    answer: str | None = None
    """The reviewer's label in ``answerContent`` (``--answer-path``)."""
    confidence: str | None = None
    """The model's confidence (0..1) in ``inputContent`` (``--confidence-path``)."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A row that could not even be parsed (a line of a file that is not JSON): skipped, and
    its reason recorded."""

    reason: str
    """Why it could not be read."""


@dataclass(frozen=True, slots=True)
class Loop:
    """One human loop: its name, creation time and HumanLoopStatus."""

    name: str
    """The human loop name."""
    created: dt.datetime | None
    """When it was created (UTC), if known."""
    status: str
    """Its HumanLoopStatus (``Completed``, ``InProgress``, ...)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One reviewer's answer to one loop, with the model's prediction for that loop."""

    loop: str
    """The human loop name."""
    index: int
    """Its place in the loop's ``humanAnswers``."""
    worker: str | None
    """The ``workerId``."""
    submitted: dt.datetime | None
    """``submissionTime``."""
    seconds: float | None
    """``timeSpentInSeconds``."""
    label: str | None = None
    """The reviewer's label (at :attr:`Paths.answer`)."""
    prediction: str | None = None
    """The model's label (at :attr:`Paths.prediction`)."""
    confidence: float | None = None
    """The model's confidence (at :attr:`Paths.confidence`)."""


@dataclass(slots=True)
class History:
    """Loops and answers, and what could not be read."""

    loops: list[Loop] = field(default_factory=list)
    """Every loop, oldest first."""
    answers: list[Answer] = field(default_factory=list)
    """Every answer read."""
    problems: list[str] = field(default_factory=list)
    """The first :data:`MAX_PROBLEMS_KEPT` problems, each naming its row and value."""
    problem_count: int = 0
    """How many problems there were in all."""
    skipped_rows: int = 0
    """Rows left out entirely (not an object, no loop name, or a repeat)."""
    paths: Paths = field(default_factory=Paths)
    """Where the labels were read."""

    def problem(self, text: str) -> None:
        """Record a problem (its text kept while fewer than :data:`MAX_PROBLEMS_KEPT`)."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(text)


def read_path(value: Any, path: str) -> Any:
    """The value at a dotted ``path`` in ``value`` (``a.b.0``); a missing step gives a
    sentinel that :func:`label_of` reads as absent."""
    current = value
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step, _MISSING)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def label_of(value: Any) -> str | None:
    """A label as text: strings as they are, booleans as JSON spells them, finite numbers in
    their shortest form; None when absent or not a label (an object, a list, null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _time(value: Any) -> dt.datetime | None:
    """A timezone-aware UTC time from ISO 8601 text; raise ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError("not a time")
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("too large") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"not between {low:g} and {high:g}")
    return number


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Reads rows into a :class:`History`, recording each problem once with its place."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.seen: set[tuple[str, Any, Any]] = set()
        self.loops: dict[str, Loop] = {}

    def field(self, where: str, name: str, value: Any, parse: Any) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except (ValueError, TypeError) as error:
            self.history.problem(f"{where}: {name} {_short(value)} is unusable ({error})")
            return None

    def labelled(self, where: str, name: str, container: Any, path: str | None) -> str | None:
        if path is None:
            return None
        found = read_path(container, path)
        if found is _MISSING or found is None:
            return None
        label = label_of(found)
        if label is None:
            self.history.problem(f"{where}: {name} at {path!r} is not a label: {_short(found)}")
        return label

    def row(self, number: int, row: Any) -> None:
        history = self.history
        if isinstance(row, Unreadable):
            history.skipped_rows += 1
            history.problem(f"row {number}: {row.reason}")
            return
        if not isinstance(row, dict):
            history.skipped_rows += 1
            history.problem(f"row {number}: not a JSON object")
            return
        name = row.get("humanLoopName")
        if not isinstance(name, str) or not name:
            history.skipped_rows += 1
            history.problem(f"row {number}: no humanLoopName")
            return
        key = (name, _hashable(row.get("answerIndex")), _hashable(row.get("itemIndex")))
        if key in self.seen:
            history.skipped_rows += 1
            history.problem(f"row {number}: loop {name!r} answer {_short(key[1])} repeated")
            return
        self.seen.add(key)
        where = f"row {number} (loop {name!r})"
        if name not in self.loops:
            created = self.field(where, "loopCreationTime", row.get("loopCreationTime"), _time)
            status = row.get("humanLoopStatus")
            self.loops[name] = Loop(
                name, created, status if isinstance(status, str) and status else LOOP_COMPLETED
            )
        index = row.get("answerIndex")
        if isinstance(index, bool) or not isinstance(index, int) or row.get("itemIndex"):
            return  # a loop without answers, or a second item of an expanded answer
        paths = history.paths
        worker = row.get("workerId")
        history.answers.append(
            Answer(
                loop=name,
                index=index,
                worker=label_of(worker),
                submitted=self.field(where, "submissionTime", row.get("submissionTime"), _time),
                seconds=self.field(
                    where,
                    "timeSpentInSeconds",
                    row.get("timeSpentInSeconds"),
                    lambda value: _number(value, 0.0, MAX_SECONDS),
                ),
                label=self.labelled(where, "answer", row.get("answerContent"), paths.answer),
                prediction=self.labelled(
                    where, "prediction", row.get("inputContent"), paths.prediction
                ),
                confidence=self.field(
                    where,
                    "confidence",
                    None
                    if paths.confidence is None
                    else _present(read_path(row.get("inputContent"), paths.confidence)),
                    lambda value: _number(value, 0.0, 1.0),
                ),
            )
        )


def _hashable(value: Any) -> Any:
    """A row's index as a key: numbers and text as they are, anything else as its repr."""
    return value if value is None or isinstance(value, (int, str)) else repr(value)


def _present(value: Any) -> Any:
    return None if value is _MISSING else value


def build_history(
    rows: Iterable[tuple[int, Any]],
    *,
    paths: Paths | None = None,
    loops: Iterable[Loop] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> History:
    """The history in ``rows``: ``(number, row)`` pairs (``enumerate(rows, start=1)``; a
    file's line numbers), the number naming the row in problems.

    ``loops``: every loop of the flow (from ListHumanLoops), when known; without it the loops
    are those the rows name (Completed and Stopped ones only, since only they have output).
    ``since``/``until``: keep loops created in ``[since, until)`` (loops without a creation
    time are kept).
    """
    history = History(paths=paths or Paths())
    reader = _Reader(history)
    for number, row in rows:
        reader.row(number, row)
    listed = list(loops) if loops is not None else list(reader.loops.values())

    def kept(loop: Loop) -> bool:
        if loop.created is None:
            return True
        return (since is None or loop.created >= since) and (until is None or loop.created < until)

    history.loops = sorted(
        (loop for loop in listed if kept(loop)),
        key=lambda loop: (loop.created is None, loop.created or dt.datetime.min, loop.name),
    )
    names = {loop.name for loop in history.loops}
    history.answers = [answer for answer in history.answers if answer.loop in names]
    return history
