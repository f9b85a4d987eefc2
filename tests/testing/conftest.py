"""Fixtures for the fake's tests: real boto3 clients of the shared fake, valid requests.

``fake`` and ``clock`` come from ``tests/fake_a2i.py``: here the clock stands still
until a test moves it, so creation times are exact.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import ACCOUNT, REGION
from tests.fake_a2i import Clock as Clock  # the tests import it from here

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/a2i-review"
WORKTEAM_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/reviewers"
PUBLIC_CROWD_ARN = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
UI_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:human-task-ui/review-ui"


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
