"""The figures of :mod:`constructs_a2i.report` against answers worked out by hand
(``tests/report/test_fixture_history.py`` shows the working) and against textbook examples."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from constructs_a2i.report.agreement import cohens_kappa, consensus, fleiss_kappa
from constructs_a2i.report.figures import SCHEMA, Source, compute_figures, price_usd
from constructs_a2i.report.history import History, Paths, build_history
from constructs_a2i.report.volume import histogram, percentile

from .test_fixture_history import LISTED, PATHS, WORKER_C, fixture_rows


def history(paths: Paths = PATHS) -> History:
    return build_history(enumerate(fixture_rows(), start=1), paths=paths, loops=LISTED)


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return compute_figures(
        history(), Source(flow="review-flow", price_usd=Decimal("0.036"), task_count=3)
    )


def test_override_rate_overall_and_per_predicted_label(figures: dict[str, Any]) -> None:
    model = figures["modelAgreement"]
    assert (model["loops"], model["overridden"], model["noConsensus"]) == (5, 2, 1)
    assert model["overrideRate"] == pytest.approx(0.4)
    assert model["perLabel"] == [
        {"label": "Negative", "loops": 2, "overridden": 1, "overrideRate": 0.5},
        {"label": "Positive", "loops": 3, "overridden": 1, "overrideRate": pytest.approx(1 / 3)},
    ]
    assert "2 of 5 loops (40.0%)" in model["reading"]


def test_confusion_counts_and_cohens_kappa(figures: dict[str, Any]) -> None:
    confusion = figures["modelAgreement"]["confusion"]
    assert confusion == {"labels": ["Negative", "Positive"], "counts": [[1, 1], [1, 2]]}
    assert figures["modelAgreement"]["cohensKappa"] == pytest.approx(1 / 6)


def test_cohens_kappa_of_the_textbook_example() -> None:
    # Wikipedia, "Cohen's kappa", worked example: 50 proposals, both readers say yes to 20,
    # no to 15, and they split 5 and 10: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    assert cohens_kappa([[20, 5], [10, 15]]) == pytest.approx(0.4)


def test_fleiss_kappa_of_the_textbook_example() -> None:
    # Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories,
    # kappa = 0.210.
    counts = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    items = [[str(category) for category, n in enumerate(row) for _ in range(n)] for row in counts]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=5e-4)


def test_reviewer_agreement_and_fleiss_kappa(figures: dict[str, Any]) -> None:
    reviewers = figures["reviewerAgreement"]
    assert (reviewers["loops"], reviewers["allAgree"]) == (6, 3)
    assert reviewers["allAgreeRate"] == pytest.approx(0.5)
    assert reviewers["fleissKappa"] == pytest.approx(11 / 32)
    assert (reviewers["kappaRaters"], reviewers["kappaLoops"]) == (3, 6)
    assert reviewers["answersPerLoop"] == {"3": 6}


def test_kappa_is_undefined_when_every_answer_has_one_label() -> None:
    assert fleiss_kappa([["ok", "ok"], ["ok", "ok"]]) is None
    assert cohens_kappa([[5, 0], [0, 0]]) is None
    rows = [
        {
            "humanLoopName": f"loop-{n}",
            "answerIndex": index,
            "answerContent": {"label": "ok"},
            "inputContent": {"label": "ok"},
        }
        for n in range(3)
        for index in range(2)
    ]
    figures = compute_figures(
        build_history(enumerate(rows, 1), paths=Paths(prediction="label", answer="label"))
    )
    assert figures["reviewerAgreement"]["fleissKappa"] is None
    assert "undefined" in figures["reviewerAgreement"]["kappaNote"]
    assert figures["modelAgreement"]["cohensKappa"] is None
    json.dumps(figures, allow_nan=False)  # no NaN anywhere


def test_consensus_needs_a_single_most_frequent_label() -> None:
    assert consensus(["a", "a", "b"]) == "a"
    assert consensus(["a", "b"]) is None
    assert consensus([]) is None


def test_calibration_buckets_and_thresholds(figures: dict[str, Any]) -> None:
    calibration = figures["modelAgreement"]["confidence"]
    by_bucket = {round(b["low"], 1): (b["loops"], b["overridden"]) for b in calibration["buckets"]}
    assert by_bucket[0.4] == (1, 1)  # L5
    assert by_bucket[0.5] == (1, 1)  # L3
    assert by_bucket[0.6] == (1, 0)  # L4
    assert by_bucket[0.8] == (1, 0)  # L2
    assert by_bucket[0.9] == (1, 0)  # L1 (0.95)
    assert by_bucket[0.3] == (0, 0)  # L6 has no consensus: left out
    thresholds = {round(t["threshold"], 1): t for t in calibration["thresholds"]}
    assert (thresholds[0.5]["reviewsSaved"], thresholds[0.5]["overridesMissed"]) == (4, 1)
    assert (thresholds[0.6]["reviewsSaved"], thresholds[0.6]["overridesMissed"]) == (3, 0)
    assert "≥ 0.6" in calibration["reading"] and "3 of 5 reviews" in calibration["reading"]


def test_volume_per_day_and_backlog(figures: dict[str, Any]) -> None:
    volume = figures["volume"]
    assert volume["days"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert volume["started"] == [2, 3, 4]
    assert volume["completed"] == [2, 2, 2]
    assert volume["failed"] == [0, 1, 0]
    assert volume["stopped"] == [0, 0, 1]
    assert volume["backlog"] == [0, 0, 1]
    assert volume["inProgress"] == 1


def test_time_to_complete_and_per_task(figures: dict[str, Any]) -> None:
    complete = figures["timeToComplete"]
    assert complete["count"] == 6
    assert (complete["p50"], complete["p90"]) == (pytest.approx(2100), pytest.approx(3300))
    per_task = figures["timePerTask"]
    assert per_task["count"] == 18
    assert sum(per_task["histogram"]["counts"]) == 18


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(n) for n in range(1, 11)]
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile([7.0], 90) == 7.0
    assert percentile([], 50) is None
    bins = histogram([0.0, 1.0, 2.0, 1000.0], bins=4)
    assert sum(bins["counts"]) == 4 and bins["counts"][-1] >= 1


def test_per_reviewer_tasks_time_and_agreement(figures: dict[str, Any]) -> None:
    rows = {row["reviewer"]: row for row in figures["reviewers"]["reviewers"]}
    assert rows["a12b3cdefg4h5i67"]["tasks"] == 6
    assert rows["a12b3cdefg4h5i67"]["medianSeconds"] == pytest.approx(35)
    assert (rows["a12b3cdefg4h5i67"]["compared"], rows["a12b3cdefg4h5i67"]["agreement"]) == (3, 1)
    assert rows["b98c7654321fedcb"]["medianSeconds"] == pytest.approx(12.069)
    assert rows[WORKER_C]["compared"] == 5
    assert rows[WORKER_C]["agreement"] == pytest.approx(0.6)


def test_anonymize_replaces_worker_ids() -> None:
    figures = compute_figures(history(), anonymize=True)
    names = [row["reviewer"] for row in figures["reviewers"]["reviewers"]]
    assert sorted(names) == ["reviewer-001", "reviewer-002", "reviewer-003"]
    text = json.dumps(figures)
    assert "a12b3cdefg4h5i67" not in text and "alert" not in text


def test_cost_is_price_times_task_count_times_completed_loops(figures: dict[str, Any]) -> None:
    cost = figures["cost"]
    assert cost["completedLoops"] == 6
    assert cost["totalUsd"] == pytest.approx(0.036 * 3 * 6)
    assert cost["perDayUsd"] == [pytest.approx(0.216)] * 3
    assert compute_figures(history())["cost"]["available"] is False


def test_price_from_public_workforce_task_price() -> None:
    price = {"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}}
    assert price_usd(price) == Decimal("0.036")
    assert price_usd({"AmountInUsd": {"Dollars": 1, "Cents": 20}}) == Decimal("1.2")
    assert price_usd(None) is None
    assert price_usd({"AmountInUsd": {"Cents": "3"}}) is None


def test_without_label_paths_agreement_says_what_to_pass() -> None:
    figures = compute_figures(history(Paths()))
    assert figures["modelAgreement"]["available"] is False
    assert "--prediction-path" in figures["modelAgreement"]["reading"]
    assert figures["reviewerAgreement"]["available"] is False


def test_empty_history_has_no_data_everywhere() -> None:
    figures = compute_figures(build_history([], paths=PATHS))
    assert figures["schema"] == SCHEMA
    assert figures["totals"]["loops"] == 0
    for key in ("volume", "timeToComplete", "timePerTask", "modelAgreement", "reviewers"):
        assert figures[key]["reading"].startswith("No data"), key
    json.dumps(figures, allow_nan=False)
