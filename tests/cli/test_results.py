"""``a2i results``: outputs in S3 (moto, in-process) of loops in the fake A2I (over HTTP).

Each loop's output.json starts from ``tests/fixtures/output-custom-task.json``, written from the
custom task type example and "Track Worker Activity" fields of AWS's "Amazon A2I Output Data"
page (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html), or from
``output-textract.json`` and ``output-rekognition.json``, that page's two built-in task type
examples. Stopped loops follow "Delete a Human Loop"
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html): tasks workers had
started go on after StopHumanLoop, and their results are stored in S3.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from rich.console import Console
from rich.progress import Progress

from constructs_a2i.cli import _results_file, results
from constructs_a2i.cli._aws import Clients
from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.testing import FakeA2I
from tests.conftest import fixture_json
from tests.fake_a2i import REGION

from .conftest import FLOW_NAME, OUTPUT_BUCKET, Run


def sample_output() -> dict[str, Any]:
    """An output.json of a custom task type, as AWS's "Amazon A2I Output Data" page shows it."""
    document: dict[str, Any] = fixture_json("output-custom-task.json")
    return document


@pytest.fixture
def s3() -> Iterator[Any]:
    """moto's S3 in-process; the fake's HTTP calls pass through (they go to 127.0.0.1)."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=OUTPUT_BUCKET)
        yield client


class Loops:
    """Start, finish and publish the output of human loops on the fake."""

    def __init__(self, fake: FakeA2I, flow_arn: str, s3: Any) -> None:
        self.fake = fake
        self.flow_arn = flow_arn
        self.s3 = s3
        self.client = fake.client("sagemaker-a2i-runtime")
        self.count = 0

    def start(self, text: str = "Great product") -> str:
        name = f"loop-{self.count:03d}"
        self.count += 1
        self.client.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=self.flow_arn,
            HumanLoopInput={"InputContent": json.dumps({"taskObject": text})},
        )
        return name

    def complete(self, name: str, answers: list[dict[str, Any]] | None = None) -> str:
        """Complete ``name`` and write its output.json where A2I would; return the URI."""
        loop = self.fake.complete_human_loop(name)
        uri = loop.output_s3_uri
        assert uri is not None and uri.startswith(f"s3://{OUTPUT_BUCKET}/results/{FLOW_NAME}/")
        document = sample_output()
        document["flowDefinitionArn"] = self.flow_arn
        document["humanLoopName"] = name
        document["inputContent"] = loop.input
        if answers is not None:
            document["humanAnswers"] = answers
        key = uri.split(f"s3://{OUTPUT_BUCKET}/", 1)[1]
        self.s3.put_object(Bucket=OUTPUT_BUCKET, Key=key, Body=json.dumps(document).encode())
        return uri

    def complete_document(self, name: str, document: dict[str, Any]) -> str:
        """Complete ``name`` with ``document`` (its names set to this loop's) as output.json."""
        document = {**document, "flowDefinitionArn": self.flow_arn, "humanLoopName": name}
        return self.complete_with_body(name, json.dumps(document).encode())

    def stop(self, name: str, answers: list[dict[str, Any]] | None = None) -> str | None:
        """Stop ``name``; with ``answers`` the fake writes its output.json; return the URI."""
        loop = self.fake.stop_human_loop(name, answers=answers, s3=self.s3 if answers else None)
        return loop.output_s3_uri

    def complete_with_body(self, name: str, body: bytes) -> str:
        """Complete ``name`` with ``body`` as its output.json; return the URI."""
        loop = self.fake.complete_human_loop(name)
        uri = loop.output_s3_uri
        assert uri is not None
        key = uri.split(f"s3://{OUTPUT_BUCKET}/", 1)[1]
        self.s3.put_object(Bucket=OUTPUT_BUCKET, Key=key, Body=body)
        return uri


@pytest.fixture
def loops(fake: FakeA2I, flow_arn: str, s3: Any) -> Loops:
    return Loops(fake, flow_arn, s3)


def two_answers() -> list[dict[str, Any]]:
    first = copy.deepcopy(sample_output()["humanAnswers"][0])
    second = copy.deepcopy(first)
    second.update(
        workerId="b98c7654321fedcb",
        timeSpentInSeconds=30.5,
        submissionTime="2021-03-08T21:50:00.000Z",
        answerContent={"sentiment": {"label": "Neutral"}, "comment": "hmm"},
    )
    return [first, second]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_mixed_completed_and_failed_loops_to_jsonl(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path
) -> None:
    one, two, failed, running = (loops.start(f"text {i}") for i in range(4))
    uri_one = loops.complete(one)
    loops.complete(two, two_answers())
    fake.fail_human_loop(failed, failure_code="Expired")
    out = tmp_path / "results.jsonl"

    result = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["loops"] == {"Completed": 2, "Failed": 1, "InProgress": 1}
    assert report["exportedLoops"] == 2 and report["answers"] == 3
    rows = read_jsonl(out)
    assert [(row["humanLoopName"], row["answerIndex"]) for row in rows] == [
        (one, 0),
        (two, 0),
        (two, 1),
    ]
    first = rows[0]
    assert first["workerId"] == "a12b3cdefg4h5i67"
    assert first["timeSpentInSeconds"] == 12.069
    assert first["submissionTime"] == "2021-03-08T21:49:25.433Z"
    assert first["acceptanceTime"] == "2021-03-08T21:49:13.364Z"
    assert first["answerContent"] == {"sentiment": {"label": "Positive"}}
    assert first["inputContent"] == {"taskObject": "text 0"}
    assert first["outputS3Uri"] == uri_one
    assert first["flowDefinitionArn"] == loops.flow_arn
    assert first["loopCreationTime"].startswith("2026-11-01T")
    assert rows[2]["answerContent"]["comment"] == "hmm"
    assert failed not in {row["humanLoopName"] for row in rows}
    assert running not in {row["humanLoopName"] for row in rows}


def test_rerun_skips_what_was_already_downloaded(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path
) -> None:
    first, second = loops.start(), loops.start()
    loops.complete(first)
    out = tmp_path / "results.jsonl"
    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0
    describes = len(fake.calls_to("DescribeHumanLoop"))

    again = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["alreadyDownloaded"] == 1
    assert json.loads(again.stdout)["exportedLoops"] == 0
    assert len(fake.calls_to("DescribeHumanLoop")) == describes  # nothing fetched again

    loops.complete(second)
    third = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))
    assert json.loads(third.stdout)["exportedLoops"] == 1
    assert [row["humanLoopName"] for row in read_jsonl(out)] == [first, second]


def test_export_to_csv_flattens_answers_and_merges_new_columns(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    first, second = loops.start(), loops.start()
    loops.complete(first)
    out = tmp_path / "results.csv"
    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    loops.complete(second, two_answers())
    table = run("results", "--flow", FLOW_NAME, "--out", str(out))

    assert table.exit_code == 0, table.output
    assert "Answers written" in table.stdout
    with out.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    assert columns[: len(_results_file.BASE_COLUMNS)] == list(_results_file.BASE_COLUMNS)
    assert "answer.sentiment.label" in columns and "answer.comment" in columns
    assert columns[-1] == "inputContent"
    assert [row["humanLoopName"] for row in rows] == [first, second, second]
    assert [row["answer.sentiment.label"] for row in rows] == ["Positive", "Positive", "Neutral"]
    assert rows[0]["answer.comment"] == "" and rows[2]["answer.comment"] == "hmm"
    assert rows[2]["workerId"] == "b98c7654321fedcb" and rows[2]["timeSpentInSeconds"] == "30.5"
    assert json.loads(rows[0]["inputContent"]) == {"taskObject": "Great product"}


def test_stopped_loops_are_exported_with_their_answers(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path
) -> None:
    """A Stopped loop whose worker had started the task has answers in S3; it used to be
    skipped. One stopped before anyone started has no output: one row without answers, not an
    error, and neither is fetched again."""
    answered, untouched, done = loops.start("a"), loops.start("b"), loops.start("c")
    answers = two_answers()
    uri = loops.stop(answered, answers)
    loops.stop(untouched)
    loops.complete(done)
    out = tmp_path / "results.jsonl"

    result = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["loops"] == {"Stopped": 2, "Completed": 1}
    assert report["exportedLoops"] == 3 and report["answers"] == 3
    assert report["stoppedWithoutOutput"] == 1 and report["errors"] == []
    rows = read_jsonl(out)
    assert [(r["humanLoopName"], r["humanLoopStatus"], r["answerIndex"]) for r in rows] == [
        (answered, "Stopped", 0),
        (answered, "Stopped", 1),
        (untouched, "Stopped", None),
        (done, "Completed", 0),
    ]
    assert rows[0]["outputS3Uri"] == uri
    assert rows[1]["answerContent"] == answers[1]["answerContent"]
    assert rows[0]["inputContent"] == {"taskObject": "a"}
    assert rows[2]["outputS3Uri"] is None and rows[2]["answerContent"] is None
    assert rows[2]["flowDefinitionArn"] == loops.flow_arn and rows[2]["loopCreationTime"]

    describes = len(fake.calls_to("DescribeHumanLoop"))
    again = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))
    assert json.loads(again.stdout)["alreadyDownloaded"] == 3
    assert len(fake.calls_to("DescribeHumanLoop")) == describes


def test_a_stopped_loop_whose_output_s3_refuses_is_asked_again(
    run: Run, loops: Loops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 answers AccessDenied for a missing key to a reader without s3:ListBucket: for a
    Stopped loop that is no error (it may have no output), but no row is written either."""
    stopped, done = loops.start("a"), loops.start("b")
    loops.stop(stopped, two_answers())
    loops.complete(done)
    real_client = Clients.s3

    def s3_refusing(self: Any) -> Any:
        client = real_client(self)
        get_object = client.get_object

        def refuse(**kwargs: Any) -> Any:
            if f"/{stopped}/" in kwargs["Key"]:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")
            return get_object(**kwargs)

        monkeypatch.setattr(client, "get_object", refuse)
        return client

    monkeypatch.setattr(Clients, "s3", s3_refusing)
    out = tmp_path / "results.jsonl"

    table = run("results", "--flow", FLOW_NAME, "--out", str(out))
    assert table.exit_code == 0, table.output
    assert "Stopped loops whose output S3 refused" in table.stdout
    assert "s3:ListBucket" in table.stdout
    assert [row["humanLoopName"] for row in read_jsonl(out)] == [done]

    report = json.loads(
        run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out)).stdout
    )
    assert report["stoppedOutputRefused"] == [stopped] and report["alreadyDownloaded"] == 1


def test_rows_carry_the_worker_identity_status_and_request_source(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    """ "Track Worker Activity": ``workerMetadata.identityData`` (sub, issuer,
    identityProviderType) is in most outputs of a private workforce; the rows used to drop
    it, and the request source of a Textract or Rekognition loop."""
    custom, textract = loops.start("a"), loops.start("b")
    loops.complete(custom)
    loops.complete_document(textract, fixture_json("output-textract.json"))
    jsonl, table = tmp_path / "results.jsonl", tmp_path / "results.csv"

    assert (
        run("results", "--flow", FLOW_NAME, "--out", str(jsonl), "--expand", "none").exit_code == 0
    )
    assert (
        run("results", "--flow", FLOW_NAME, "--out", str(table), "--expand", "none").exit_code == 0
    )

    first, second = read_jsonl(jsonl)
    assert {
        key: first[key] for key in ("workerSub", "workerIssuer", "workerIdentityProviderType")
    } == {
        "workerSub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "workerIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_123456789",
        "workerIdentityProviderType": "Cognito",
    }
    assert first["humanLoopStatus"] == "Completed"
    assert first["awsManagedHumanLoopRequestSource"] is None
    assert second["awsManagedHumanLoopRequestSource"] == "AWS/Textract/AnalyzeDocument/Forms/V1"
    assert second["workerSub"] == "c6aa8eb7-9944-42e9-a6b9-111122223333"
    columns, rows = read_csv(table)
    assert columns[: len(_results_file.BASE_COLUMNS)] == list(_results_file.BASE_COLUMNS)
    assert columns[:9] == [  # the columns of earlier versions keep their places
        "humanLoopName",
        "loopCreationTime",
        "flowDefinitionArn",
        "outputS3Uri",
        "answerIndex",
        "workerId",
        "acceptanceTime",
        "submissionTime",
        "timeSpentInSeconds",
    ]
    assert rows[0]["workerIssuer"] == first["workerIssuer"]
    assert rows[1]["awsManagedHumanLoopRequestSource"] == second["awsManagedHumanLoopRequestSource"]


def test_csv_booleans_are_spelled_as_json_spells_them(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    """A crowd-checkbox answers ``{"on": true}``; CSV cells used to say ``True`` while the JSON
    cells of the same file said ``true``."""
    name = loops.start()
    answer = copy.deepcopy(sample_output()["humanAnswers"][0])
    answer["answerContent"] = {"approve": {"on": True}, "reject": {"on": False}, "tags": [True]}
    loops.complete(name, [answer])
    out = tmp_path / "results.csv"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    _, [row] = read_csv(out)
    assert (row["answer.approve.on"], row["answer.reject.on"]) == ("true", "false")
    assert row["answer.tags"] == "[true]"


def test_textract_answers_become_one_row_per_key(run: Run, loops: Loops, tmp_path: Path) -> None:
    """AWS's Textract example (output page; the answer is the element's "Output" sample): the
    reviewer changed the key "Foo bar" to "Foo bar baz". The answer used to be one opaque cell."""
    name = loops.start()
    document = fixture_json("output-textract.json")
    shown = document["inputContent"]["selectedAiServiceResponse"]["blocks"]
    shown.append(
        {"blockType": "KEY_VALUE_SET", "id": "k2", "entityTypes": ["KEY"], "text": "=Name"}
    )
    loops.complete_document(name, document)
    jsonl, table = tmp_path / "results.jsonl", tmp_path / "results.csv"

    assert run("results", "--flow", FLOW_NAME, "--out", str(jsonl)).exit_code == 0
    summary = run("results", "--flow", FLOW_NAME, "--out", str(table))
    assert summary.exit_code == 0 and "Reviewed items written" in summary.stdout

    rows = read_jsonl(jsonl)
    assert [(row["answerIndex"], row["itemIndex"]) for row in rows] == [(0, 0), (0, 1)]
    assert rows[0]["item"] == {
        "key": "Foo bar baz",
        "value": None,
        "keyBefore": "Foo bar",
        "valueBefore": "123 Any Street",
        "confidenceBefore": 38.43309020996094,
        "confidenceAfter": None,
        "changed": True,
        "change": "edited",
        "keyId": "8c97b240-0969-4678-834a-646c95da9cf4",
    }
    assert rows[1]["item"]["change"] == "removed"
    assert rows[0]["answerContent"] is None and rows[0]["inputContent"] is None
    assert rows[0]["workerId"] == "111122223333"

    columns, cells = read_csv(table)
    items = [key for key in columns if key.startswith("item.")]
    assert items[:4] == ["item.key", "item.value", "item.keyBefore", "item.valueBefore"]
    assert columns.index("itemIndex") == columns.index("item.key") - 1
    assert (cells[0]["item.key"], cells[0]["item.keyBefore"]) == ("Foo bar baz", "Foo bar")
    assert (cells[0]["item.changed"], cells[0]["item.value"]) == ("true", "")
    assert cells[1]["item.keyBefore"] == "'=Name"  # still neutralised
    assert not any(key.startswith("answer.") for key in columns)


def test_expand_none_keeps_one_row_per_answer(run: Run, loops: Loops, tmp_path: Path) -> None:
    name = loops.start()
    document = fixture_json("output-textract.json")
    loops.complete_document(name, document)
    out = tmp_path / "results.jsonl"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out), "--expand", "none").exit_code == 0

    [row] = read_jsonl(out)
    assert row["answerContent"] == document["humanAnswers"][0]["answerContent"]
    assert row["inputContent"] == document["inputContent"] and "item" not in row


def test_rekognition_answers_become_one_row_per_label(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    name = loops.start()
    document = fixture_json("output-rekognition.json")
    loops.complete_document(name, document)
    out = tmp_path / "results.csv"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    _, [row] = read_csv(out)
    assert {key: row[key] for key in row if key.startswith("item.")} == {
        "item.label": "Suggestive",
        "item.parent": "",
        "item.confidence": "96.7122802734375",
        "item.decision": "confirmed",
    }
    assert row["awsManagedHumanLoopRequestSource"] == document["awsManagedHumanLoopRequestSource"]


def test_expand_as_one_kind_reads_outputs_without_a_request_source(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    """``--expand rekognition`` reads every answer of that shape, whatever the output says;
    other answers stay one row each."""
    labelled, custom = loops.start("a"), loops.start("b")
    document = fixture_json("output-rekognition.json")
    del document["awsManagedHumanLoopRequestSource"]
    answer = document["humanAnswers"][0]
    answer["answerContent"] = answer["answerContent"][
        "AWS/Rekognition/DetectModerationLabels/Image/V3"
    ]
    loops.complete_document(labelled, document)
    loops.complete(custom)
    auto, forced = tmp_path / "auto.jsonl", tmp_path / "forced.jsonl"

    assert run("results", "--flow", FLOW_NAME, "--out", str(auto)).exit_code == 0
    assert (
        run(
            "results", "--flow", FLOW_NAME, "--out", str(forced), "--expand", "rekognition"
        ).exit_code
        == 0
    )

    assert ["item" in row for row in read_jsonl(auto)] == [False, False]
    first, second = read_jsonl(forced)
    assert first["item"]["decision"] == "confirmed"
    assert "item" not in second and second["answerContent"] == {"sentiment": {"label": "Positive"}}
    bad = run("results", "--flow", FLOW_NAME, "--out", str(forced), "--expand", "comprehend")
    assert bad.exit_code == 2


@pytest.mark.parametrize("layout", ["humanLoopInputContent", "top-level"])
def test_older_output_layouts_give_the_input(
    run: Run, loops: Loops, tmp_path: Path, layout: str
) -> None:
    """They used to come out as ``inputContent: null``."""
    custom, textract = loops.start("a"), loops.start("b")
    older = sample_output()
    older["humanLoopInputContent"] = json.dumps(older.pop("inputContent"))
    loops.complete_document(custom, older)
    document = fixture_json("output-textract.json")
    content = document.pop("inputContent")
    if layout == "top-level":
        document.update(content)
    else:
        document["humanLoopInputContent"] = content
    loops.complete_document(textract, document)
    out = tmp_path / "results.jsonl"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    first, second = read_jsonl(out)
    assert first["inputContent"] == sample_output()["inputContent"]
    assert second["item"]["valueBefore"] == "123 Any Street"  # read from the older input


def test_a_csv_of_an_earlier_version_gets_the_new_columns_before_the_input(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    out = tmp_path / "results.csv"
    earlier = [*_results_file.BASE_COLUMNS[:9], "answer.sentiment.label", "inputContent"]
    out.write_text(",".join(earlier) + "\r\nold-loop,,,,0,w,,,1,Negative,{}\r\n", encoding="utf-8")
    loops.complete(loops.start())

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    columns, rows = read_csv(out)
    assert columns[: len(earlier) - 1] == earlier[:-1] and columns[-1] == "inputContent"
    assert set(_results_file.BASE_COLUMNS) <= set(columns)
    assert rows[0]["answer.sentiment.label"] == "Negative" and rows[0]["workerSub"] == ""
    assert rows[1]["workerIdentityProviderType"] == "Cognito"


def test_since_filters_by_creation_time(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path
) -> None:
    old, new = loops.start(), loops.start()
    loops.complete(old)
    loops.complete(new)
    since = fake.human_loops[new].creation_time.isoformat()
    out = tmp_path / "results.jsonl"

    result = run("results", "--flow", FLOW_NAME, "--since", since, "--out", str(out))

    assert result.exit_code == 0, result.output
    assert [row["humanLoopName"] for row in read_jsonl(out)] == [new]


def test_missing_output_is_reported_and_retried_next_time(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path
) -> None:
    good, lost = loops.start(), loops.start()
    loops.complete(good)
    fake.complete_human_loop(lost)  # Completed, but no output.json in S3 (yet)
    out = tmp_path / "results.jsonl"

    result = run("results", "--flow", FLOW_NAME, "--out", str(out))

    assert result.exit_code == 3
    assert f"{lost}: no output.json at s3://{OUTPUT_BUCKET}/" in result.stdout
    assert [row["humanLoopName"] for row in read_jsonl(out)] == [good]


def test_completed_loop_without_answers_gets_one_row(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    name = loops.start()
    loops.complete(name, answers=[])
    out = tmp_path / "results.jsonl"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    (row,) = read_jsonl(out)
    assert row["humanLoopName"] == name and row["answerIndex"] is None


def test_bad_out_and_corrupt_results_file(run: Run, loops: Loops, tmp_path: Path) -> None:
    wrong = run("results", "--flow", FLOW_NAME, "--out", str(tmp_path / "results.xlsx"))
    assert wrong.exit_code == 1 and "use a .jsonl or .csv file name" in wrong.stderr

    corrupt = tmp_path / "results.jsonl"
    corrupt.write_text('{"humanLoopName": "a"}\nnot json\n', encoding="utf-8")
    bad = run("results", "--flow", FLOW_NAME, "--out", str(corrupt))
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"error: {corrupt}:2: not valid JSON")


def test_s3_access_denied_is_one_line(
    run: Run, fake: FakeA2I, loops: Loops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = loops.start()
    loops.complete(name)

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject"
        )

    real_client = Clients.s3

    def s3_denied(self: Any) -> Any:
        client = real_client(self)
        monkeypatch.setattr(client, "get_object", denied)
        return client

    monkeypatch.setattr(Clients, "s3", s3_denied)
    result = run("results", "--flow", FLOW_NAME, "--out", str(tmp_path / "r.jsonl"))

    assert result.exit_code == 1
    assert result.stderr == "error: access denied for GetObject: Access Denied\n"


def test_answer_rows_and_flatten_units() -> None:
    document = sample_output()
    rows = _results_file.answer_rows(
        document, loop_name="x", output_uri="s3://b/k", creation_time="2026-11-01T00:00:00Z"
    )
    assert len(rows) == 1 and rows[0]["humanLoopName"] == "humanloop-name"
    assert _results_file.flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}}, "answer") == {
        "answer.a.b": 1,
        "answer.a.c": "[1,2]",
        "answer.d": "{}",
    }
    assert parse_s3_uri("s3://bucket/a/b/output.json") == ("bucket", "a/b/output.json")
    with pytest.raises(ValueError):
        parse_s3_uri("https://bucket/key")


def test_export_results_draws_progress_on_a_terminal(
    fake: FakeA2I, loops: Loops, s3: Any, tmp_path: Path
) -> None:
    for _ in range(3):
        loops.complete(loops.start())
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)

    with Progress(*Progress.get_default_columns(), console=console) as progress:
        report = results.export_results(
            fake.client("sagemaker-a2i-runtime"),
            s3,
            loops.flow_arn,
            tmp_path / "results.jsonl",
            progress=progress,
        )

    assert len(report.exported) == 3 and report.errors == []
    drawn = screen.getvalue()
    assert "Listing human loops" in drawn and "Downloading results" in drawn


# ---------------------------------------------------------------------------------------------
# Hostile and unlucky input
# ---------------------------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows of a CSV file, whatever the size of its cells."""
    previous = csv.field_size_limit(_results_file.CSV_FIELD_SIZE_LIMIT)
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            return list(reader.fieldnames or []), list(reader)
    finally:
        csv.field_size_limit(previous)


def nested_output(depth: int) -> bytes:
    """An output.json (the fixture's) whose answer is nested ``depth`` levels deep."""
    text = json.dumps(sample_output())
    return text.replace('{"sentiment": {"label": "Positive"}}', "[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_deeply_nested_output_fails_its_loop_alone_on_every_run(
    run: Run, loops: Loops, tmp_path: Path, suffix: str
) -> None:
    """It used to raise RecursionError out of the download threads: exit 1, nothing written,
    and the same on every later run."""
    first, poison, last = loops.start("a"), loops.start("b"), loops.start("c")
    loops.complete(first)
    poison_uri = loops.complete_with_body(poison, nested_output(50_000))
    loops.complete(last)
    out = tmp_path / f"results{suffix}"

    result = run("results", "--flow", FLOW_NAME, "--out", str(out))

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "recursion" not in result.output
    assert f"{poison}: {poison_uri} is nested deeper than 200 levels" in result.stdout
    written = read_jsonl(out) if suffix == ".jsonl" else read_csv(out)[1]
    assert [row["humanLoopName"] for row in written] == [first, last]

    again = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))
    assert again.exit_code == 3, again.output
    report = json.loads(again.stdout)
    assert report["alreadyDownloaded"] == 2
    assert [error["humanLoopName"] for error in report["errors"]] == [poison]
    assert "nested deeper than 200 levels" in report["errors"][0]["error"]


HOSTILE_ANSWERS: dict[str, Any] = {
    "dde": "=cmd|' /C calc'!A0",
    "at": "@SUM(1)",
    "plus": "+1+1",
    "minus": "-2+3",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "quoted": "'=already quoted",
    "quote": "'tis fine",
    "plain": "Positive",
    "number": -2,
    "fraction": -0.5,
}


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    """OWASP's CSV-injection rule: a cell starting with = + - @ tab or CR gets a ' in front
    (https://owasp.org/www-community/attacks/CSV_Injection). JSON Lines keep the raw values."""
    first, second = loops.start("one"), loops.start('=HYPERLINK("http://x")')
    answer = copy.deepcopy(sample_output()["humanAnswers"][0])
    answer["answerContent"] = dict(HOSTILE_ANSWERS)
    answer["workerId"] = "@worker"
    loops.complete(first, [answer])
    csv_out, jsonl_out = tmp_path / "results.csv", tmp_path / "results.jsonl"

    assert run("results", "--flow", FLOW_NAME, "--out", str(csv_out)).exit_code == 0
    assert run("results", "--flow", FLOW_NAME, "--out", str(jsonl_out)).exit_code == 0

    _, [row] = read_csv(csv_out)
    cells = {
        key[len("answer.") :]: value for key, value in row.items() if key.startswith("answer.")
    }
    assert cells == {
        "dde": "'=cmd|' /C calc'!A0",
        "at": "'@SUM(1)",
        "plus": "'+1+1",
        "minus": "'-2+3",
        "tab": "'\t=1+1",
        "cr": "'\r=1+1",
        "quoted": "''=already quoted",
        "quote": "'tis fine",
        "plain": "Positive",
        "number": "-2",  # numbers are numbers, not formulas
        "fraction": "-0.5",
    }
    assert row["workerId"] == "'@worker"
    for key, value in HOSTILE_ANSWERS.items():
        if isinstance(value, str):
            assert _results_file.restore_cell(cells[key]) == value
    [(jsonl_row)] = read_jsonl(jsonl_out)
    assert jsonl_row["answerContent"] == HOSTILE_ANSWERS and jsonl_row["workerId"] == "@worker"

    # A later run rewrites the file: rows already there are copied, not quoted twice, and the
    # new loop's JSON input column is checked too.
    loops.complete(second)
    assert run("results", "--flow", FLOW_NAME, "--out", str(csv_out)).exit_code == 0
    _, rows = read_csv(csv_out)
    assert {key: rows[0][key] for key in row} == row  # (the new loop added a column)
    assert json.loads(rows[1]["inputContent"]) == {"taskObject": '=HYPERLINK("http://x")'}
    for each in rows:
        for value in each.values():
            if value and value.startswith(_results_file.FORMULA_TRIGGERS):
                float(value)  # only numbers may start with + or -


def test_neutralised_cells_are_restored_exactly() -> None:
    for text in ["=1", "'=1", "''=1", "'", "''", "'x", "", "x=1", "-", "\t", "@", "+-="]:
        cell = _results_file.neutralize_cell(text)
        assert not cell.startswith(_results_file.FORMULA_TRIGGERS)
        assert _results_file.restore_cell(cell) == text


def test_loop_names_read_back_from_a_csv_are_restored(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    rows = [
        {"humanLoopName": name, "answerContent": {"x": 1}}
        for name in ["=odd-name", "plain-name", "'=quoted"]
    ]
    _results_file.write_rows(out, "csv", rows)
    assert _results_file.downloaded_names(out, "csv") == {"=odd-name", "plain-name", "'=quoted"}


def test_flattened_answer_keys_never_share_a_column(run: Run, loops: Loops, tmp_path: Path) -> None:
    """``{"label": {"x": 1}, "label.x": 2}`` used to give two ``answer.label.x`` values, one of
    them silently dropped."""
    name = loops.start()
    answer = copy.deepcopy(sample_output()["humanAnswers"][0])
    answer["answerContent"] = {"label": {"x": 1}, "label.x": 2, "a\\.b": 3, "a\\": {"b": 4}}
    loops.complete(name, [answer])
    out = tmp_path / "results.csv"

    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0

    columns, [row] = read_csv(out)
    answers = {key: row[key] for key in columns if key.startswith("answer.")}
    assert answers == {
        "answer.label.x": "1",
        "answer.label\\.x": "2",
        "answer.a\\\\\\.b": "3",
        "answer.a\\\\.b": "4",
    }
    assert _results_file.flatten({"label": {"x": 1}, "label.x": 2}, "answer") == {
        "answer.label.x": 1,
        "answer.label\\.x": 2,
    }


def test_csv_with_cells_over_the_default_field_limit_is_read_back(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    """A Textract-sized input (150,000 characters) makes a cell over the csv module's default
    limit (131,072): the next run used to fail with "field larger than field limit"."""
    big, small = loops.start("x" * 150_000), loops.start()
    loops.complete(big)
    out = tmp_path / "results.csv"
    assert run("results", "--flow", FLOW_NAME, "--out", str(out)).exit_code == 0
    assert csv.field_size_limit() == 131_072  # the command leaves the module's limit as it was

    loops.complete(small)
    again = run("--output", "json", "results", "--flow", FLOW_NAME, "--out", str(out))

    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["alreadyDownloaded"] == 1
    _, rows = read_csv(out)
    assert [row["humanLoopName"] for row in rows] == [big, small]
    assert json.loads(rows[0]["inputContent"]) == {"taskObject": "x" * 150_000}


def test_csv_holds_the_largest_input_a2i_accepts(tmp_path: Path) -> None:
    """InputContent of INPUT_CONTENT_MAX_LENGTH characters, every one of which JSON escapes
    (a double quote becomes two characters, then CSV doubles the quote): written, read back,
    and rewritten with a new row."""
    content = '"' * (INPUT_CONTENT_MAX_LENGTH - 2)
    out = tmp_path / "results.csv"
    row = {"humanLoopName": "big", "answerContent": {"x": 1}, "inputContent": content}

    _results_file.write_rows(out, "csv", [row])
    _results_file.write_rows(out, "csv", [{**row, "humanLoopName": "next", "inputContent": 1}])

    assert _results_file.downloaded_names(out, "csv") == {"big", "next"}
    _, rows = read_csv(out)
    assert json.loads(rows[0]["inputContent"]) == content


def test_a_lone_surrogate_does_not_stop_the_export(run: Run, loops: Loops, tmp_path: Path) -> None:
    """``"\\ud800"`` in an answer (json.loads reads it) used to raise UnicodeEncodeError while
    writing the file: exit 1 and nothing written, on every run."""
    name = loops.start("broken \ud800 input")
    answer = copy.deepcopy(sample_output()["humanAnswers"][0])
    answer["answerContent"] = {"comment": "half a pair: \ud83d", "label": "é"}
    loops.complete(name, [answer])  # json.dumps writes \ud83d escapes, as A2I would
    jsonl_out, csv_out = tmp_path / "results.jsonl", tmp_path / "results.csv"

    assert run("results", "--flow", FLOW_NAME, "--out", str(jsonl_out)).exit_code == 0
    assert run("results", "--flow", FLOW_NAME, "--out", str(csv_out)).exit_code == 0

    [row] = read_jsonl(jsonl_out)  # exactly what output.json holds
    assert row["answerContent"] == {"comment": "half a pair: \ud83d", "label": "é"}
    assert row["inputContent"] == {"taskObject": "broken \ud800 input"}
    _, [cells] = read_csv(csv_out)
    assert cells["answer.comment"] == "half a pair: \ufffd"
    assert cells["answer.label"] == "é"
    assert json.loads(cells["inputContent"]) == {"taskObject": "broken \ud800 input"}


def test_a_results_file_line_nested_too_deep_is_named(
    run: Run, loops: Loops, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    out.write_text('{"humanLoopName": "a"}\n{"x": ' + "[" * 5000 + "]" * 5000 + "}\n")
    result = run("results", "--flow", FLOW_NAME, "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {out}:2: JSON nested deeper than 200 levels; fix or remove that line\n"
    )
