"""SageMaker's flow-definition API on the fake, through a real boto3 client (json 1.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_a2i.testing import FakeA2I
from tests.testing.conftest import ACCOUNT, REGION, ROLE_ARN, Clock, error_of, flow_request


def test_create_describe_list_delete_round_trip(fake: FakeA2I, sagemaker: Any) -> None:
    request = flow_request(Tags=[{"Key": "team", "Value": "ml"}])
    arn = sagemaker.create_flow_definition(**request)["FlowDefinitionArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/review"

    summaries = sagemaker.list_flow_definitions()["FlowDefinitionSummaries"]
    assert [(s["FlowDefinitionName"], s["FlowDefinitionStatus"]) for s in summaries] == [
        ("review", "Initializing")
    ]

    described = sagemaker.describe_flow_definition(FlowDefinitionName="review")
    assert described["FlowDefinitionStatus"] == "Active"
    assert described["FlowDefinitionArn"] == arn
    assert described["HumanLoopConfig"] == request["HumanLoopConfig"]
    assert described["OutputConfig"] == request["OutputConfig"]
    assert described["RoleArn"] == ROLE_ARN
    assert described["CreationTime"] == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    assert "FailureReason" not in described

    stored = fake.flow_definitions["review"]
    assert stored.tags == {"team": "ml"}
    assert stored.human_loop_config == request["HumanLoopConfig"]
    assert "Tags" not in stored.definition and "FlowDefinitionName" not in stored.definition

    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    assert fake.flow_definitions["review"].status == "Deleting"
    with pytest.raises(sagemaker.exceptions.ResourceNotFound) as excinfo:
        sagemaker.describe_flow_definition(FlowDefinitionName="review")
    assert error_of(excinfo)[2] == 400
    assert fake.flow_definitions == {}


def test_name_is_unique_until_the_old_one_is_gone(fake: FakeA2I, sagemaker: Any) -> None:
    sagemaker.create_flow_definition(**flow_request())
    with pytest.raises(sagemaker.exceptions.ResourceInUse) as excinfo:
        sagemaker.create_flow_definition(**flow_request())
    assert "review" in error_of(excinfo)[1]

    fake.delete_after(2)
    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    assert (
        sagemaker.describe_flow_definition(FlowDefinitionName="review")["FlowDefinitionStatus"]
        == "Deleting"
    )
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_flow_definition(**flow_request())
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_flow_definition(FlowDefinitionName="review")
    # Gone: the name can be used again.
    sagemaker.create_flow_definition(**flow_request())
    assert fake.flow_definitions["review"].status == "Initializing"


def test_activate_after_keeps_it_initializing(fake: FakeA2I, sagemaker: Any) -> None:
    fake.activate_after(3)
    sagemaker.create_flow_definition(**flow_request())
    statuses = [
        sagemaker.describe_flow_definition(FlowDefinitionName="review")["FlowDefinitionStatus"]
        for _ in range(4)
    ]
    assert statuses == ["Initializing", "Initializing", "Active", "Active"]


def test_activate_after_zero_is_active_at_once(fake: FakeA2I, sagemaker: Any) -> None:
    fake.activate_after(0)
    sagemaker.create_flow_definition(**flow_request())
    summary = sagemaker.list_flow_definitions()["FlowDefinitionSummaries"][0]
    assert summary["FlowDefinitionStatus"] == "Active"


def test_failed_flow_definition_reports_its_reason(fake: FakeA2I, sagemaker: Any) -> None:
    fake.fail_flow_definitions("The human task UI could not be found")
    sagemaker.create_flow_definition(**flow_request())
    described = sagemaker.describe_flow_definition(FlowDefinitionName="review")
    assert described["FlowDefinitionStatus"] == "Failed"
    assert described["FailureReason"] == "The human task UI could not be found"
    summary = sagemaker.list_flow_definitions()["FlowDefinitionSummaries"][0]
    assert summary["FailureReason"] == "The human task UI could not be found"

    fake.fail_flow_definitions(None)
    sagemaker.create_flow_definition(**flow_request("other"))
    status = sagemaker.describe_flow_definition(FlowDefinitionName="other")
    assert status["FlowDefinitionStatus"] == "Active"


def test_delete_of_missing_flow_definition(sagemaker: Any) -> None:
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.delete_flow_definition(FlowDefinitionName="missing")


def test_delete_twice_while_deleting_is_accepted(fake: FakeA2I, sagemaker: Any) -> None:
    fake.delete_after(5)
    sagemaker.create_flow_definition(**flow_request())
    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    assert fake.flow_definitions["review"].status == "Deleting"


def test_delete_after_zero_removes_at_once(fake: FakeA2I, sagemaker: Any) -> None:
    fake.delete_after(0)
    sagemaker.create_flow_definition(**flow_request())
    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    assert sagemaker.list_flow_definitions()["FlowDefinitionSummaries"] == []


def test_flow_with_loops_in_progress_stays_deleting(
    fake: FakeA2I, sagemaker: Any, a2i: Any, active_flow: str
) -> None:
    a2i.start_human_loop(
        HumanLoopName="loop-1",
        FlowDefinitionArn=active_flow,
        HumanLoopInput={"InputContent": "{}"},
    )
    sagemaker.delete_flow_definition(FlowDefinitionName="review")
    for _ in range(3):
        described = sagemaker.describe_flow_definition(FlowDefinitionName="review")
        assert described["FlowDefinitionStatus"] == "Deleting"
    # Loops of a Deleting flow definition can't be started.
    with pytest.raises(a2i.exceptions.ValidationException):
        a2i.start_human_loop(
            HumanLoopName="loop-2",
            FlowDefinitionArn=active_flow,
            HumanLoopInput={"InputContent": "{}"},
        )
    fake.complete_human_loop("loop-1")
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_flow_definition(FlowDefinitionName="review")


def test_tags_add_overwrite_delete_and_list(fake: FakeA2I, sagemaker: Any) -> None:
    arn = sagemaker.create_flow_definition(
        **flow_request(Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    )["FlowDefinitionArn"]
    added = sagemaker.add_tags(
        ResourceArn=arn, Tags=[{"Key": "b", "Value": "20"}, {"Key": "c", "Value": ""}]
    )
    assert added["Tags"] == [{"Key": "b", "Value": "20"}, {"Key": "c", "Value": ""}]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["a", "not-there"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "b", "Value": "20"},
        {"Key": "c", "Value": ""},
    ]
    assert fake.flow_definitions["review"].tags == {"b": "20", "c": ""}


def test_list_tags_pages(sagemaker: Any) -> None:
    tags = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(50)]
    arn = sagemaker.create_flow_definition(**flow_request(Tags=tags))["FlowDefinitionArn"]
    first = sagemaker.list_tags(ResourceArn=arn, MaxResults=50)
    assert first["Tags"] == tags and "NextToken" not in first
    paginator = sagemaker.get_paginator("list_tags")
    collected = [tag for page in paginator.paginate(ResourceArn=arn) for tag in page["Tags"]]
    assert collected == tags


def test_tags_limit_and_reserved_prefix(sagemaker: Any) -> None:
    tags = [{"Key": f"k{i:02d}", "Value": ""} for i in range(50)]
    arn = sagemaker.create_flow_definition(**flow_request(Tags=tags))["FlowDefinitionArn"]
    with pytest.raises(ClientError) as excinfo:
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": ""}])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}])
    assert "reserved" in error_of(excinfo)[1]


def test_tags_on_unknown_resource(sagemaker: Any) -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/missing"
    calls: list[Callable[[], Any]] = [
        lambda: sagemaker.list_tags(ResourceArn=arn),
        lambda: sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: sagemaker.delete_tags(ResourceArn=arn, TagKeys=["a"]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "ValidationException"


def _create_at(sagemaker: Any, clock: Clock, names: list[str]) -> dict[str, dt.datetime]:
    times = {}
    for name in names:
        times[name] = clock.advance(10)
        sagemaker.create_flow_definition(**flow_request(name))
    return times


def test_list_flow_definitions_pages_in_both_orders(sagemaker: Any, clock: Clock) -> None:
    names = [f"flow-{i:02d}" for i in range(25)]
    _create_at(sagemaker, clock, names)

    def collect(**kwargs: Any) -> tuple[list[str], int]:
        found: list[str] = []
        pages = 0
        token = None
        while True:
            args = dict(kwargs, **({"NextToken": token} if token else {}))
            page = sagemaker.list_flow_definitions(MaxResults=7, **args)
            pages += 1
            assert len(page["FlowDefinitionSummaries"]) <= 7
            found += [s["FlowDefinitionName"] for s in page["FlowDefinitionSummaries"]]
            token = page.get("NextToken")
            if not token:
                return found, pages

    ascending, pages = collect(SortOrder="Ascending")
    assert ascending == names and pages == 4
    descending, _ = collect(SortOrder="Descending")
    assert descending == names[::-1]
    default, _ = collect()
    assert default == names[::-1]  # Descending by default, like SageMaker's other lists
    # The botocore paginator agrees.
    paginator = sagemaker.get_paginator("list_flow_definitions")
    paged = [
        s["FlowDefinitionName"]
        for page in paginator.paginate(SortOrder="Ascending", PaginationConfig={"PageSize": 4})
        for s in page["FlowDefinitionSummaries"]
    ]
    assert paged == names


def test_paging_is_stable_when_items_come_and_go(sagemaker: Any, clock: Clock) -> None:
    names = [f"flow-{i}" for i in range(6)]
    _create_at(sagemaker, clock, names)
    first = sagemaker.list_flow_definitions(SortOrder="Ascending", MaxResults=3)
    assert [s["FlowDefinitionName"] for s in first["FlowDefinitionSummaries"]] == names[:3]
    # A deleted item of the first page and a new item do not shift the second page.
    clock.advance(10)
    sagemaker.create_flow_definition(**flow_request("late"))
    sagemaker.delete_flow_definition(FlowDefinitionName="flow-0")
    second = sagemaker.list_flow_definitions(
        SortOrder="Ascending", MaxResults=3, NextToken=first["NextToken"]
    )
    assert [s["FlowDefinitionName"] for s in second["FlowDefinitionSummaries"]] == names[3:]
    assert "NextToken" in second
    third = sagemaker.list_flow_definitions(
        SortOrder="Ascending", MaxResults=3, NextToken=second["NextToken"]
    )
    assert [s["FlowDefinitionName"] for s in third["FlowDefinitionSummaries"]] == ["late"]


def test_list_flow_definitions_time_filters(sagemaker: Any, clock: Clock) -> None:
    times = _create_at(sagemaker, clock, ["a", "b", "c", "d"])
    listed = sagemaker.list_flow_definitions(
        CreationTimeAfter=times["b"], CreationTimeBefore=times["d"], SortOrder="Ascending"
    )
    # After is "greater than or equal to", Before is strictly before (as documented).
    assert [s["FlowDefinitionName"] for s in listed["FlowDefinitionSummaries"]] == ["b", "c"]


def test_bad_next_token(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sagemaker.list_flow_definitions(NextToken="not-a-token")
    assert error_of(excinfo)[0] == "ValidationException"


def test_next_token_bound_to_sort_order(sagemaker: Any, clock: Clock) -> None:
    _create_at(sagemaker, clock, ["a", "b", "c"])
    token = sagemaker.list_flow_definitions(MaxResults=1, SortOrder="Ascending")["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        sagemaker.list_flow_definitions(MaxResults=1, SortOrder="Descending", NextToken=token)
    assert error_of(excinfo)[0] == "ValidationException"


def test_unknown_sagemaker_operation(fake: FakeA2I, sagemaker: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sagemaker.list_workteams()
    code, message, status = error_of(excinfo)
    assert (code, status) == ("UnknownOperationException", 400)
    assert "CreateFlowDefinition" in message


def test_snapshots_are_copies(fake: FakeA2I, sagemaker: Any) -> None:
    sagemaker.create_flow_definition(**flow_request())
    snapshot = fake.flow_definitions["review"]
    snapshot.definition["RoleArn"] = "changed"
    snapshot.tags["x"] = "y"
    assert fake.flow_definitions["review"].role_arn == ROLE_ARN
    assert fake.flow_definitions["review"].tags == {}
    assert fake.flow_definitions["review"].output_config == flow_request()["OutputConfig"]


def test_create_active_flow_definition_waits_through_the_lifecycle(fake: FakeA2I) -> None:
    fake.activate_after(3)
    arn = fake.create_active_flow_definition("ready", output_s3_path="s3://out/reviews")
    assert fake.flow_definitions["ready"].status == "Active"
    assert fake.flow_definitions["ready"].arn == arn
    assert fake.flow_definitions["ready"].output_config["S3OutputPath"] == "s3://out/reviews"
    assert len(fake.calls_to("CreateFlowDefinition", succeeded=True)) == 1
    assert len(fake.calls_to("DescribeFlowDefinition")) == 3


def test_create_active_flow_definition_reports_a_failed_flow(fake: FakeA2I) -> None:
    fake.fail_flow_definitions("Bad task UI")
    with pytest.raises(RuntimeError, match="flow definition broken failed: Bad task UI"):
        fake.create_active_flow_definition("broken")
