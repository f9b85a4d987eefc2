"""The A2I runtime on the fake, through a real boto3 client (rest-json)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest

from constructs_a2i.testing import FakeA2I
from tests.testing.conftest import ACCOUNT, REGION, Clock, error_of, flow_request, loop_input


def start(a2i: Any, name: str, flow_arn: str, **kwargs: Any) -> str:
    arn: str = a2i.start_human_loop(
        HumanLoopName=name, FlowDefinitionArn=flow_arn, HumanLoopInput=loop_input(), **kwargs
    )["HumanLoopArn"]
    return arn


def test_start_describe_complete(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    arn = start(
        a2i,
        "loop-1",
        active_flow,
        DataAttributes={"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
    )
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:human-loop/loop-1"
    described = a2i.describe_human_loop(HumanLoopName="loop-1")
    assert described["HumanLoopStatus"] == "InProgress"
    assert described["FlowDefinitionArn"] == active_flow
    assert described["CreationTime"] == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    assert "HumanLoopOutput" not in described

    stored = fake.human_loops["loop-1"]
    assert stored.input == {"taskObject": "Great product"}
    assert stored.data_attributes == {
        "ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]
    }

    completed = fake.complete_human_loop("loop-1")
    expected_uri = "s3://review-output/results/review/2024/05/01/12/00/00/loop-1/output.json"
    assert completed.output_s3_uri == expected_uri
    described = a2i.describe_human_loop(HumanLoopName="loop-1")
    assert described["HumanLoopStatus"] == "Completed"
    assert described["HumanLoopOutput"] == {"OutputS3Uri": expected_uri}

    [event] = fake.events
    assert event["detail-type"] == "SageMaker A2I HumanLoop Status Change"
    assert event["source"] == "aws.sagemaker"
    assert event["resources"] == [arn]
    assert event["detail"]["humanLoopStatus"] == "Completed"
    assert event["detail"]["humanLoopOutput"] == {"outputS3Uri": expected_uri}
    assert event["detail"]["creationTime"] == "2024-05-01T12:00:00.000Z"


def test_complete_with_explicit_output(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    start(a2i, "loop-1", active_flow)
    fake.complete_human_loop("loop-1", output_s3_uri="s3://elsewhere/output.json")
    output = a2i.describe_human_loop(HumanLoopName="loop-1")["HumanLoopOutput"]
    assert output == {"OutputS3Uri": "s3://elsewhere/output.json"}
    with pytest.raises(ValueError, match="Completed"):
        fake.complete_human_loop("loop-1")
    with pytest.raises(KeyError):
        fake.complete_human_loop("missing")


def test_fail_human_loop(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    start(a2i, "loop-1", active_flow)
    fake.fail_human_loop("loop-1", failure_code="Expired", reason="Nobody answered in time")
    described = a2i.describe_human_loop(HumanLoopName="loop-1")
    assert described["HumanLoopStatus"] == "Failed"
    assert described["FailureCode"] == "Expired"
    assert described["FailureReason"] == "Nobody answered in time"
    assert fake.events[-1]["detail"]["failureCode"] == "Expired"
    with pytest.raises(ValueError, match="failure_code"):
        fake.fail_human_loop("loop-1", failure_code="Bored")


def test_name_conflict_across_flow_definitions(
    fake: FakeA2I, sagemaker: Any, a2i: Any, active_flow: str
) -> None:
    other = sagemaker.create_flow_definition(**flow_request("other"))["FlowDefinitionArn"]
    sagemaker.describe_flow_definition(FlowDefinitionName="other")
    start(a2i, "loop-1", active_flow)
    with pytest.raises(a2i.exceptions.ConflictException) as excinfo:
        start(a2i, "loop-1", other)
    assert error_of(excinfo)[2] == 409
    # Still conflicts once the first loop has finished (the name stays taken until deleted).
    fake.complete_human_loop("loop-1")
    with pytest.raises(a2i.exceptions.ConflictException):
        start(a2i, "loop-1", active_flow)
    a2i.delete_human_loop(HumanLoopName="loop-1")
    start(a2i, "loop-1", other)


def test_a_repeated_start_with_the_same_input_is_not_a_conflict(
    fake: FakeA2I, a2i: Any, active_flow: str
) -> None:
    # ConflictException is "the same name ... but different input data" (API reference).
    arn = start(a2i, "loop-1", active_flow)
    assert start(a2i, "loop-1", active_flow) == arn
    assert len(fake.human_loops) == 1
    assert fake.calls_to("StartHumanLoop", succeeded=False) == []
    for changed in (
        {"HumanLoopInput": loop_input(taskObject="Another product")},
        {"DataAttributes": {"ContentClassifiers": ["FreeOfAdultContent"]}},
    ):
        request = {
            "HumanLoopName": "loop-1",
            "FlowDefinitionArn": active_flow,
            "HumanLoopInput": loop_input(),
            **changed,
        }
        with pytest.raises(a2i.exceptions.ConflictException) as excinfo:
            a2i.start_human_loop(**request)
        assert "different input data" in error_of(excinfo)[1]
    assert fake.human_loops["loop-1"].input == {"taskObject": "Great product"}
    assert fake.events == []  # nothing started, nothing ended


def test_start_on_unknown_flow_definition(a2i: Any) -> None:
    missing = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/missing"
    with pytest.raises(a2i.exceptions.ValidationException) as excinfo:
        start(a2i, "loop-1", missing)
    assert error_of(excinfo)[2] == 400


def test_start_on_initializing_flow_definition(fake: FakeA2I, sagemaker: Any, a2i: Any) -> None:
    fake.activate_after(2)
    arn = sagemaker.create_flow_definition(**flow_request())["FlowDefinitionArn"]
    with pytest.raises(a2i.exceptions.ValidationException) as excinfo:
        start(a2i, "loop-1", arn)
    assert "Initializing" in error_of(excinfo)[1]
    assert fake.human_loops == {}


def test_start_on_failed_flow_definition(fake: FakeA2I, sagemaker: Any, a2i: Any) -> None:
    fake.fail_flow_definitions("broken")
    arn = sagemaker.create_flow_definition(**flow_request())["FlowDefinitionArn"]
    sagemaker.describe_flow_definition(FlowDefinitionName="review")
    with pytest.raises(a2i.exceptions.ValidationException):
        start(a2i, "loop-1", arn)


def test_input_content_must_be_json(a2i: Any, active_flow: str) -> None:
    with pytest.raises(a2i.exceptions.ValidationException) as excinfo:
        a2i.start_human_loop(
            HumanLoopName="loop-1",
            FlowDefinitionArn=active_flow,
            HumanLoopInput={"InputContent": "not json"},
        )
    assert "InputContent" in error_of(excinfo)[1]


def test_stop_then_delete(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    start(a2i, "loop-1", active_flow)
    with pytest.raises(a2i.exceptions.ValidationException) as excinfo:
        a2i.delete_human_loop(HumanLoopName="loop-1")
    assert "InProgress" in error_of(excinfo)[1]
    a2i.stop_human_loop(HumanLoopName="loop-1")
    assert a2i.describe_human_loop(HumanLoopName="loop-1")["HumanLoopStatus"] == "Stopped"
    a2i.stop_human_loop(HumanLoopName="loop-1")  # stopping a stopped loop is harmless
    a2i.delete_human_loop(HumanLoopName="loop-1")
    with pytest.raises(a2i.exceptions.ResourceNotFoundException) as excinfo:
        a2i.describe_human_loop(HumanLoopName="loop-1")
    assert error_of(excinfo)[2] == 404
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.delete_human_loop(HumanLoopName="loop-1")
    assert fake.events[-1]["detail"]["humanLoopStatus"] == "Stopped"


def test_stopping_until_described(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    fake.stop_after(2)
    start(a2i, "loop-1", active_flow)
    a2i.stop_human_loop(HumanLoopName="loop-1")
    with pytest.raises(a2i.exceptions.ValidationException):
        a2i.delete_human_loop(HumanLoopName="loop-1")  # Stopping is not deletable yet
    statuses = [
        a2i.describe_human_loop(HumanLoopName="loop-1")["HumanLoopStatus"] for _ in range(3)
    ]
    assert statuses == ["Stopping", "Stopped", "Stopped"]


ANSWERS = [
    {
        "acceptanceTime": "2021-03-08T21:49:13.364Z",
        "answerContent": {"sentiment": {"label": "Positive"}},
        "submissionTime": "2021-03-08T21:49:25.433Z",
        "timeSpentInSeconds": 12.069,
        "workerId": "a12b3cdefg4h5i67",
    }
]
"""An answer as "Amazon A2I Output Data" shows one (its "Track Worker Activity" fields)."""


def read_s3_json(s3: Any, uri: str) -> Any:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_stop_human_loop_with_answers_has_output_written_to_s3(
    fake: FakeA2I, a2i: Any, active_flow: str
) -> None:
    """ "Delete a Human Loop" (SageMaker Developer Guide): tasks already in progress when a loop
    is stopped go on, and their results are stored in S3. The fake used to model every Stopped
    loop without output."""
    from moto import mock_aws

    start(a2i, "answered", active_flow)
    start(a2i, "untouched", active_flow)
    fake.stop_after(5)
    a2i.stop_human_loop(HumanLoopName="answered")  # Stopping: a worker is on its task
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="review-output")
        stopped = fake.stop_human_loop("answered", answers=ANSWERS, s3=s3)
        uri = "s3://review-output/results/review/2024/05/01/12/00/00/answered/output.json"
        assert stopped.status == "Stopped" and stopped.output_s3_uri == uri
        assert read_s3_json(s3, uri) == {
            "flowDefinitionArn": active_flow,
            "humanAnswers": ANSWERS,
            "humanLoopName": "answered",
            "inputContent": {"taskObject": "Great product"},
        }

    described = a2i.describe_human_loop(HumanLoopName="answered")
    assert described["HumanLoopStatus"] == "Stopped"
    assert described["HumanLoopOutput"] == {"OutputS3Uri": uri}
    assert fake.events[-1]["detail"]["humanLoopOutput"] == {"outputS3Uri": uri}

    untouched = fake.stop_human_loop("untouched")  # nobody had started: no output
    assert untouched.output_s3_uri is None
    assert "HumanLoopOutput" not in a2i.describe_human_loop(HumanLoopName="untouched")
    assert fake.events[-1]["detail"]["humanLoopOutput"] is None
    with pytest.raises(ValueError, match="Stopped, not InProgress or Stopping"):
        fake.stop_human_loop("untouched")


def test_stop_and_complete_controls_write_only_with_an_s3_client(
    fake: FakeA2I, a2i: Any, active_flow: str
) -> None:
    from moto import mock_aws

    start(a2i, "a", active_flow)
    start(a2i, "b", active_flow)
    with pytest.raises(ValueError, match="no output to write"):
        fake.stop_human_loop("a", s3=object())
    with pytest.raises(ValueError, match="pass s3"):
        fake.complete_human_loop("a", answers=ANSWERS)
    assert fake.human_loops["a"].status == "InProgress"  # refused before any change
    # Answers without a client: the loop has its output location, the test writes the file.
    stopped = fake.stop_human_loop("a", answers=[], output_s3_uri="s3://elsewhere/a.json")
    assert stopped.output_s3_uri == "s3://elsewhere/a.json"
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="review-output")
        done = fake.complete_human_loop("b", answers=ANSWERS, s3=s3)
        assert done.output_s3_uri is not None
        assert read_s3_json(s3, done.output_s3_uri)["humanAnswers"] == ANSWERS


def test_stop_of_completed_or_missing_loop(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    start(a2i, "loop-1", active_flow)
    fake.complete_human_loop("loop-1")
    with pytest.raises(a2i.exceptions.ValidationException):
        a2i.stop_human_loop(HumanLoopName="loop-1")
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.stop_human_loop(HumanLoopName="missing")


def test_delete_failed_and_completed_loops(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    start(a2i, "done", active_flow)
    start(a2i, "broken", active_flow)
    fake.complete_human_loop("done")
    fake.fail_human_loop("broken", failure_code="InternalError")
    a2i.delete_human_loop(HumanLoopName="done")
    a2i.delete_human_loop(HumanLoopName="broken")
    assert fake.human_loops == {}


def _start_at(a2i: Any, clock: Clock, flow_arn: str, names: list[str]) -> dict[str, dt.datetime]:
    times = {}
    for name in names:
        times[name] = clock.advance(10)
        start(a2i, name, flow_arn)
    return times


def test_list_human_loops_pages_both_orders(
    sagemaker: Any, a2i: Any, active_flow: str, clock: Clock
) -> None:
    names = [f"loop-{i:03d}" for i in range(23)]
    _start_at(a2i, clock, active_flow, names)
    # Loops of another flow definition are not listed.
    other = sagemaker.create_flow_definition(**flow_request("other"))["FlowDefinitionArn"]
    sagemaker.describe_flow_definition(FlowDefinitionName="other")
    start(a2i, "elsewhere", other)

    for order, expected in (("Ascending", names), ("Descending", names[::-1])):
        found: list[str] = []
        token = None
        pages = 0
        while True:
            kwargs: dict[str, Any] = {"NextToken": token} if token else {}
            page = a2i.list_human_loops(
                FlowDefinitionArn=active_flow, SortOrder=order, MaxResults=5, **kwargs
            )
            pages += 1
            found += [s["HumanLoopName"] for s in page["HumanLoopSummaries"]]
            token = page.get("NextToken")
            if not token:
                break
        assert found == expected
        assert pages == 5

    paginator = a2i.get_paginator("list_human_loops")
    paged = [
        s["HumanLoopName"]
        for page in paginator.paginate(
            FlowDefinitionArn=active_flow, SortOrder="Ascending", PaginationConfig={"PageSize": 10}
        )
        for s in page["HumanLoopSummaries"]
    ]
    assert paged == names


def test_list_human_loops_time_filters_and_summary(
    fake: FakeA2I, a2i: Any, active_flow: str, clock: Clock
) -> None:
    times = _start_at(a2i, clock, active_flow, ["a", "b", "c", "d"])
    fake.fail_human_loop("c", failure_code="ValidationError", reason="bad input")
    listed = a2i.list_human_loops(
        FlowDefinitionArn=active_flow,
        CreationTimeAfter=times["b"],
        CreationTimeBefore=times["d"],
        SortOrder="Ascending",
    )["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in listed] == ["b", "c"]
    assert listed[1]["HumanLoopStatus"] == "Failed"
    assert listed[1]["FailureReason"] == "bad input"
    assert listed[0]["CreationTime"] == times["b"]
    assert listed[0]["FlowDefinitionArn"] == active_flow


def test_list_human_loops_unknown_flow(a2i: Any) -> None:
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.list_human_loops(
            FlowDefinitionArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/missing"
        )


def test_list_human_loops_max_results_range(a2i: Any, active_flow: str) -> None:
    # botocore checks the minimum (1) itself; the maximum (100) only the service checks.
    with pytest.raises(a2i.exceptions.ValidationException) as excinfo:
        a2i.list_human_loops(FlowDefinitionArn=active_flow, MaxResults=101)
    assert "maxResults" in error_of(excinfo)[1]
    assert "less than or equal to 100" in error_of(excinfo)[1]


def test_unknown_route_is_404(fake: FakeA2I) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(f"{fake.endpoint_url}/no-such-thing", timeout=5)
    assert excinfo.value.code == 404
    assert excinfo.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_malformed_body_is_a_serialization_error(fake: FakeA2I) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{fake.endpoint_url}/human-loops", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=5)
    assert excinfo.value.code == 400
    assert json.loads(excinfo.value.read())["message"].startswith("The request body")
    assert fake.calls[-1].error == "SerializationException"
