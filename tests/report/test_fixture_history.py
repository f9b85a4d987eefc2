"""A review history with figures worked out by hand, built from AWS's documented output.

Every loop's ``output.json`` starts from ``tests/fixtures/output-custom-task.json`` (the custom
task type example of "Amazon A2I Output Data", with its ``crowd-classifier`` answer
``{"sentiment": {"label": ...}}``) and becomes rows through the same code ``a2i results`` uses
(:func:`constructs_a2i.cli._results_file.answer_rows`). The model's prediction and confidence
are in the input (``prediction.label``, ``prediction.confidence``).

Six Completed loops, three answers each (workers A, B and C, in that order):

=====  =========  ====  ==========================  =========  ==============
loop   model      conf  reviewers                   consensus  overridden
=====  =========  ====  ==========================  =========  ==============
L1     Positive   0.95  Positive Positive Positive  Positive   no
L2     Positive   0.85  Positive Positive Negative  Positive   no
L3     Positive   0.55  Negative Negative Negative  Negative   yes
L4     Negative   0.65  Negative Negative Negative  Negative   no
L5     Negative   0.45  Positive Positive Neutral   Positive   yes
L6     Neutral    0.35  Positive Negative Neutral   (tie)      left out
=====  =========  ====  ==========================  =========  ==============

By hand: override rate 2/5 = 0.4 (Positive 1/3, Negative 1/2); confusion (rows model, columns
reviewers; labels Negative, Positive) [[1, 1], [1, 2]]; Cohen's kappa: p_o = 3/5,
p_e = (2*2 + 3*3)/25 = 13/25, kappa = (15/25 - 13/25) / (12/25) = 1/6. Reviewers all agree in
3 of 6 loops; Fleiss' kappa (categories Negative, Neutral, Positive; counts per loop
(0,0,3) (1,0,2) (3,0,0) (3,0,0) (0,1,2) (1,1,1)): P-bar = (1 + 1/3 + 1 + 1 + 1/3 + 0)/6 = 11/18,
p = (8, 2, 8)/18, P_e = 132/324 = 11/27, kappa = (11/18 - 11/27) / (16/27) = 11/32.
Agreement with the others' majority: A and B 3 of 3 (L1, L3, L4; elsewhere the others tie),
C 3 of 5 (L1, L3, L4 agree; L2, L5 not). Worker C's id is HTML.

Loop Li (named ``li``: loop names are lower case) is created on 2026-11-0(1 + (i-1)//2) at
09:00Z; its last answer is submitted i x 600 s later: time to complete 600..3600 s, p50 2100,
p90 3300. Also listed: L7 Failed (created 2026-11-02), L8 InProgress and L9 Stopped without
output (2026-11-03).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from constructs_a2i.cli._results_file import answer_rows
from constructs_a2i.report.history import Loop, Paths
from tests.conftest import fixture_json

__all__ = ["LISTED", "LOOPS", "PATHS", "WORKER_C", "answer_document", "created", "fixture_rows"]

PATHS = Paths(
    prediction="prediction.label", answer="sentiment.label", confidence="prediction.confidence"
)
WORKER_C = "<script>alert('c')</script>"
WORKERS = ("a12b3cdefg4h5i67", "b98c7654321fedcb", WORKER_C)
SECONDS = {WORKERS[0]: [10, 20, 30, 40, 50, 60], WORKERS[1]: [12.069] * 6, WORKER_C: [100] * 6}
LOOPS: list[tuple[str, str, float, list[str]]] = [
    ("l1", "Positive", 0.95, ["Positive", "Positive", "Positive"]),
    ("l2", "Positive", 0.85, ["Positive", "Positive", "Negative"]),
    ("l3", "Positive", 0.55, ["Negative", "Negative", "Negative"]),
    ("l4", "Negative", 0.65, ["Negative", "Negative", "Negative"]),
    ("l5", "Negative", 0.45, ["Positive", "Positive", "Neutral"]),
    ("l6", "Neutral", 0.35, ["Positive", "Negative", "Neutral"]),
]


def created(number: int) -> dt.datetime:
    """Creation time of loop l<number> (1-based; l7 is created with l3, l8 and l9 with l5)."""
    number = {7: 3, 8: 5, 9: 5}.get(number, number)
    return dt.datetime(2026, 11, 1 + (number - 1) // 2, 9, 0, tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def answer_document(number: int) -> dict[str, Any]:
    """The output.json of loop L<number>, from AWS's custom task example."""
    name, model, confidence, labels = LOOPS[number - 1]
    document = fixture_json("output-custom-task.json")
    template = document["humanAnswers"][0]
    start = created(number)
    answers = []
    for place, (worker, label) in enumerate(zip(WORKERS, labels, strict=True)):
        answer = copy.deepcopy(template)
        spent = SECONDS[worker][number - 1]
        submitted = start + dt.timedelta(seconds=number * 600 - (2 - place) * 60)
        answer.update(
            workerId=worker,
            answerContent={"sentiment": {"label": label}},
            acceptanceTime=_stamp(submitted - dt.timedelta(seconds=spent)),
            submissionTime=_stamp(submitted),
            timeSpentInSeconds=spent,
        )
        answers.append(answer)
    document["humanLoopName"] = name
    document["humanAnswers"] = answers
    document["inputContent"] = {
        "taskObject": f"review {name}",
        "prediction": {"label": model, "confidence": confidence},
    }
    return document


def fixture_rows() -> list[dict[str, Any]]:
    """The rows ``a2i results`` writes for L1..L6."""
    rows: list[dict[str, Any]] = []
    for number in range(1, len(LOOPS) + 1):
        rows += answer_rows(
            answer_document(number),
            loop_name=f"l{number}",
            output_uri=f"s3://review-output/results/L{number}/output.json",
            creation_time=created(number).isoformat(),
            status="Completed",
        )
    return rows


LISTED = [
    *(Loop(f"l{number}", created(number), "Completed") for number in range(1, 7)),
    Loop("l7", created(7), "Failed"),
    Loop("l8", created(8), "InProgress"),
    Loop("l9", created(9), "Stopped"),
]
"""Every loop of the flow, as ListHumanLoops would list them."""


def test_the_fixture_history_keeps_aws_output_example() -> None:
    """Each loop's output.json is AWS's custom-task example with only the answers, names and
    input changed: the worker metadata and layout A2I writes stay."""
    example = fixture_json("output-custom-task.json")
    document = answer_document(2)
    assert set(document) == set(example)
    assert document["flowDefinitionArn"] == example["flowDefinitionArn"]
    for answer in document["humanAnswers"]:
        assert set(answer) == set(example["humanAnswers"][0])
        assert answer["workerMetadata"] == example["humanAnswers"][0]["workerMetadata"]
    rows = fixture_rows()
    assert len(rows) == 18
    assert rows[5]["answerContent"] == {"sentiment": {"label": "Negative"}}
    assert rows[5]["workerId"] == WORKER_C
