"""Fixtures for the fake's tests: a running fake, real boto3 clients, a controllable clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from constructs_a2i.testing import FakeA2I

ACCOUNT = "111111111111"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/a2i-review"
WORKTEAM_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/reviewers"
PUBLIC_CROWD_ARN = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
UI_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:human-task-ui/review-ui"


class Clock:
    """A clock the fake reads creation times from; tests move it by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def flow_request(name: str = "review", **overrides: Any) -> dict[str, Any]:
    """A valid CreateFlowDefinition request; ``overrides`` replace top-level members."""
    request: dict[str, Any] = {
        "FlowDefinitionName": name,
        "RoleArn": ROLE_ARN,
        "HumanLoopConfig": {
            "WorkteamArn": WORKTEAM_ARN,
            "HumanTaskUiArn": UI_ARN,
            "TaskTitle": "Check the label",
            "TaskDescription": "Confirm or correct the label the model chose",
            "TaskCount": 1,
        },
        "OutputConfig": {"S3OutputPath": "s3://review-output/results"},
    }
    request.update(overrides)
    return request


def human_loop_config(**overrides: Any) -> dict[str, Any]:
    """A valid HumanLoopConfig with ``overrides`` merged in."""
    config: dict[str, Any] = dict(flow_request()["HumanLoopConfig"])
    config.update(overrides)
    return config


def loop_input(**content: Any) -> Any:
    """A HumanLoopInput holding ``content`` as JSON."""
    return {"InputContent": json.dumps(content or {"taskObject": "Great product"})}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeA2I]:
    with FakeA2I(region=REGION, account=ACCOUNT, seed=0, clock=clock) as running:
        yield running


@pytest.fixture
def sagemaker(fake: FakeA2I) -> Any:
    return fake.client("sagemaker")


@pytest.fixture
def a2i(fake: FakeA2I) -> Any:
    return fake.client("sagemaker-a2i-runtime")


@pytest.fixture
def active_flow(fake: FakeA2I, sagemaker: Any) -> str:
    """The ARN of an Active flow definition named ``review``."""
    arn: str = sagemaker.create_flow_definition(**flow_request())["FlowDefinitionArn"]
    assert (
        sagemaker.describe_flow_definition(FlowDefinitionName="review")["FlowDefinitionStatus"]
        == "Active"
    )
    return arn


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
