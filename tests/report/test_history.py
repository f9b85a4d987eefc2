"""Rows into a history: hostile and broken input fails alone, with a clear problem."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from constructs_a2i.report.figures import compute_figures
from constructs_a2i.report.history import (
    MAX_PROBLEMS_KEPT,
    Loop,
    Paths,
    Unreadable,
    build_history,
    label_of,
    read_path,
)

from .test_fixture_history import LISTED, PATHS, fixture_rows

GOOD = {
    "humanLoopName": "good",
    "loopCreationTime": "2026-11-01T09:00:00+00:00",
    "humanLoopStatus": "Completed",
    "answerIndex": 0,
    "workerId": "w1",
    "acceptanceTime": "2026-11-01T09:10:00.000Z",
    "submissionTime": "2026-11-01T09:11:00.000Z",
    "timeSpentInSeconds": 60,
    "answerContent": {"sentiment": {"label": "Positive"}},
    "inputContent": {"prediction": {"label": "Positive", "confidence": 0.5}},
}


def build(*rows: Any, paths: Paths = PATHS) -> Any:
    return build_history(enumerate(rows, start=1), paths=paths)


def test_rows_from_aws_output_become_loops_and_answers() -> None:
    history = build(*fixture_rows())
    assert [loop.name for loop in history.loops] == [f"l{n}" for n in range(1, 7)]
    assert len(history.answers) == 18
    first = history.answers[0]
    assert (first.loop, first.index, first.label, first.prediction) == (
        "l1",
        0,
        "Positive",
        "Positive",
    )
    assert first.confidence == 0.95
    assert history.problems == []


def test_rows_that_are_not_objects_or_have_no_loop_are_skipped_alone() -> None:
    history = build([1, 2], "text", None, {"answerIndex": 0}, Unreadable("not valid JSON"), GOOD)
    assert history.skipped_rows == 5
    assert [loop.name for loop in history.loops] == ["good"]
    assert len(history.answers) == 1
    assert history.problems == [
        "row 1: not a JSON object",
        "row 2: not a JSON object",
        "row 3: not a JSON object",
        "row 4: no humanLoopName",
        "row 5: not valid JSON",
    ]


def test_unusable_values_are_left_out_of_their_figures_only() -> None:
    broken = {
        **GOOD,
        "humanLoopName": "broken",
        "loopCreationTime": "yesterday",
        "submissionTime": 12,
        "timeSpentInSeconds": 10**400,
        "answerContent": {"sentiment": {"label": {"nested": True}}},
        "inputContent": {"prediction": {"label": "Positive", "confidence": 7}},
    }
    nan = {**GOOD, "humanLoopName": "nan", "timeSpentInSeconds": float("nan")}
    negative = {**GOOD, "humanLoopName": "negative", "timeSpentInSeconds": -3}
    history = build(broken, nan, negative, GOOD)
    answer = history.answers[0]
    assert (answer.submitted, answer.seconds, answer.label, answer.confidence) == (
        None,
        None,
        None,
        None,
    )
    assert answer.prediction == "Positive"  # the readable values stay
    assert history.loops[-1].created is None  # "yesterday" is no time; the loop is kept
    assert len(history.answers) == 4
    text = "\n".join(history.problems)
    for expected in ("loopCreationTime 'yesterday'", "submissionTime 12", "timeSpentInSeconds"):
        assert expected in text
    assert "not a label" in text and "confidence 7" in text
    assert sum("timeSpentInSeconds" in problem for problem in history.problems) == 3
    figures = compute_figures(history)
    assert figures["timePerTask"]["count"] == 1  # only GOOD's 60 s
    json.dumps(figures, allow_nan=False)


def test_missing_paths_give_no_label_and_no_problem() -> None:
    history = build({**GOOD, "answerContent": {}, "inputContent": "plain text"})
    answer = history.answers[0]
    assert (answer.label, answer.prediction, answer.confidence) == (None, None, None)
    assert history.problems == []


def test_read_path_steps_into_objects_and_lists() -> None:
    assert read_path({"a": {"b": [10, {"c": 3}]}}, "a.b.1.c") == 3
    assert label_of(read_path({"a": [1]}, "a.5")) is None
    assert label_of(read_path("text", "a")) is None
    assert [label_of(v) for v in ("x", True, 3, 2.5, float("inf"), None, [1])] == [
        "x",
        "true",
        "3",
        "2.5",
        None,
        None,
        None,
    ]


def test_a_repeated_row_counts_once() -> None:
    history = build(GOOD, dict(GOOD), {**GOOD, "answerIndex": 1})
    assert len(history.answers) == 2
    assert history.skipped_rows == 1
    assert "repeated" in history.problems[0]


def test_unicode_and_html_worker_ids_and_labels_are_kept_as_text() -> None:
    odd = "\u202e<img src=x onerror=alert(1)>\u0000 \U0001d518"
    history = build(
        {**GOOD, "workerId": odd, "answerContent": {"sentiment": {"label": odd}}},
    )
    assert history.answers[0].worker == odd
    assert history.answers[0].label == odd


def test_one_row_per_loop_with_several_tasks_is_no_reviewer_agreement() -> None:
    # task_count 3, but each loop has a single answer row (the others expired)
    rows = [{**GOOD, "humanLoopName": f"loop-{n}"} for n in range(4)]
    figures = compute_figures(build(*rows))
    assert figures["reviewerAgreement"]["loops"] == 0
    assert figures["reviewerAgreement"]["reading"].startswith("No data")
    assert figures["modelAgreement"]["loops"] == 4


def test_listed_loops_and_period_filter() -> None:
    since = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    until = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    history = build_history(
        enumerate(fixture_rows(), 1), paths=PATHS, loops=LISTED, since=since, until=until
    )
    assert [loop.name for loop in history.loops] == ["l3", "l4", "l7"]
    assert {answer.loop for answer in history.answers} == {"l3", "l4"}
    assert Loop("l7", LISTED[6].created, "Failed") in history.loops


def test_problems_are_counted_beyond_the_ones_kept() -> None:
    history = build(*(["not a row"] * (MAX_PROBLEMS_KEPT + 25)))
    assert len(history.problems) == MAX_PROBLEMS_KEPT
    assert history.problem_count == MAX_PROBLEMS_KEPT + 25
