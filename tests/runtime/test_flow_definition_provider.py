"""The flow-definition provider function against the A2I fake, through real boto3.

Events have the shape CloudFormation sends to a Lambda service token. The handler answers
the ``ResponseURL`` itself: here a :class:`~constructs_a2i.testing.FakeResponseUrl` on
127.0.0.1 that records each PUT. ``Provider`` runs one invocation and returns the answer
CloudFormation received.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from constructs_a2i.runtime.flow_definition_provider import index, response
from constructs_a2i.runtime.flow_definition_provider.properties import coerce
from constructs_a2i.runtime.flow_definition_provider.request import Request
from constructs_a2i.testing import FakeA2I, FakeResponseUrl, Response
from tests.fake_a2i import ACCOUNT, REGION
from tests.runtime.conftest import LambdaContext, log_lines

STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ReviewStack/"
    "5b9c1f10-0a3e-11ef-9c1a-0e2b6f1e7c4d"
)
SERVICE_TOKEN = (
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
    "ReviewStack-A2IFlowDefinitionProviderframewo-Ab12Cd34Ef56"
)
PREFIX = "reviewstack-review-4f1c2d3e"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ReviewStack-ReviewRole-1X2Y3Z"
CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
RESPONSE_FIELDS = {"Status", "Reason", "PhysicalResourceId", "StackId", "RequestId"}


class HandlerTime:
    """Stands in for time.sleep and time.monotonic inside the handler.

    (Not the fake's ``clock`` fixture, which gives the fake its creation times.)
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def definition(**human_loop_config: Any) -> dict[str, Any]:
    """A Definition property as CloudFormation delivers it: every number a string."""
    config: dict[str, Any] = {
        "WorkteamArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/reviewers",
        "HumanTaskUiArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:human-task-ui/review-ui",
        "TaskTitle": "Check low-confidence labels",
        "TaskDescription": "Confirm or correct the label the model chose",
        "TaskCount": "2",
        "TaskTimeLimitInSeconds": "3600",
        "TaskAvailabilityLifetimeInSeconds": "86400",
        "TaskKeywords": ["Labels", "Review"],
    }
    config.update(human_loop_config)
    return {
        "RoleArn": ROLE_ARN,
        "HumanLoopConfig": config,
        "OutputConfig": {
            "S3OutputPath": "s3://reviewstack-output-1a2b3c/a2i",
            "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
    }


def properties(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "ServiceToken": SERVICE_TOKEN,
        "FlowDefinitionNamePrefix": PREFIX,
        "Definition": definition(),
        "Tags": [{"Key": "project", "Value": "review"}, {"Key": "stage", "Value": "dev"}],
        "RemovalPolicy": "destroy",
    }
    props.update(overrides)
    if "FlowDefinitionName" in overrides:
        del props["FlowDefinitionNamePrefix"]
    return {k: v for k, v in props.items() if v is not None}


def cfn_event(
    request_type: str,
    props: dict[str, Any],
    *,
    old: dict[str, Any] | None = None,
    physical_id: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The event without its ResponseURL (``Provider.run`` adds one of the fake's)."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "StackId": STACK_ID,
        "RequestId": request_id or str(uuid.uuid4()),
        "LogicalResourceId": "ReviewFlowDefinition8C1E2F3A",
        "ResourceType": "Custom::A2IFlowDefinition",
        "ResourceProperties": copy.deepcopy(props),
    }
    if old is not None:
        event["OldResourceProperties"] = copy.deepcopy(old)
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def generated_name(request_id: str) -> str:
    return f"{PREFIX}-{hashlib.sha256(request_id.encode()).hexdigest()[:8]}"


def arn_of(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:flow-definition/{name}"


class Provider:
    """Runs the handler as Lambda would and reads back what CloudFormation received."""

    def __init__(self, fake: FakeA2I, cfn: FakeResponseUrl, time: HandlerTime) -> None:
        self.fake = fake
        self.cfn = cfn
        self.time = time
        self.urls: list[str] = []

    def invoke(
        self, event: dict[str, Any], remaining_ms: int = 300_000
    ) -> tuple[dict[str, Any], list[Response]]:
        """What the handler returned, and the PUTs it made."""
        event = copy.deepcopy(event)
        if "ResponseURL" not in event:
            event["ResponseURL"] = self.cfn.url(event["StackId"], event["RequestId"])
        self.urls.append(event["ResponseURL"])
        before = len(self.cfn.responses)
        returned = index.handler(event, LambdaContext(remaining_ms))
        json.dumps(returned)
        return returned, self.cfn.responses[before:]

    def run(self, event: dict[str, Any], remaining_ms: int = 300_000) -> dict[str, Any]:
        """The one answer CloudFormation accepted for ``event``."""
        returned, puts = self.invoke(event, remaining_ms)
        accepted = [put for put in puts if put.http_status == 200]
        assert len(accepted) == 1, puts
        answer = accepted[0].body
        assert answer == returned
        assert answer["RequestId"] == event["RequestId"]
        assert answer["StackId"] == event["StackId"]
        assert answer["LogicalResourceId"] == event["LogicalResourceId"]
        assert len(accepted[0].raw) <= index.MAX_RESPONSE_BYTES
        return answer

    def succeed(self, event: dict[str, Any]) -> dict[str, Any]:
        answer = self.run(event)
        assert answer["Status"] == "SUCCESS", answer["Reason"]
        return answer

    def fail(self, event: dict[str, Any], remaining_ms: int = 300_000) -> dict[str, Any]:
        answer = self.run(event, remaining_ms)
        assert answer["Status"] == "FAILED"
        assert "Data" not in answer
        return answer

    def create(self, props: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        answer = self.succeed(cfn_event("Create", props or properties()))
        return answer["PhysicalResourceId"], answer["Data"]

    def operations(self) -> list[str]:
        return [call.operation for call in self.fake.calls]


@pytest.fixture
def handler_time(monkeypatch: pytest.MonkeyPatch) -> HandlerTime:
    time = HandlerTime()
    monkeypatch.setattr(index, "_sleep", time.sleep)
    monkeypatch.setattr(index, "_monotonic", time.monotonic)
    monkeypatch.setattr(index, "_random", random.Random(0))
    return time


@pytest.fixture
def cfn() -> Iterator[FakeResponseUrl]:
    with FakeResponseUrl() as server:
        yield server


@pytest.fixture
def provider(
    fake_env: FakeA2I,
    cfn: FakeResponseUrl,
    handler_time: HandlerTime,
    monkeypatch: pytest.MonkeyPatch,
) -> Provider:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setattr(index, "_clients", {})
    return Provider(fake_env, cfn, handler_time)


# -- create -----------------------------------------------------------------------------------


def test_create_waits_for_active_within_the_invocation(
    provider: Provider,
    fake: FakeA2I,
    handler_time: HandlerTime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.activate_after(3)
    event = cfn_event("Create", properties())
    name = generated_name(event["RequestId"])
    arn = arn_of(name)

    answer = provider.succeed(event)
    assert answer == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": arn,
        "StackId": STACK_ID,
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"FlowDefinitionArn": arn, "FlowDefinitionName": name},
    }
    # Describe at once, then every second until Active.
    assert provider.operations() == ["CreateFlowDefinition"] + ["DescribeFlowDefinition"] * 3
    assert handler_time.sleeps == [index.POLL_INTERVAL_SECONDS] * 2

    flow = fake.flow_definitions[name]
    assert flow.status == "Active"
    assert flow.tags == {"project": "review", "stage": "dev"}
    config = flow.human_loop_config
    assert config is not None
    # CloudFormation's strings are numbers again.
    assert config["TaskCount"] == 2
    assert config["TaskTimeLimitInSeconds"] == 3600
    assert config["TaskAvailabilityLifetimeInSeconds"] == 86400
    assert config["TaskKeywords"] == ["Labels", "Review"]

    logs = log_lines(capsys.readouterr().out)
    assert [line["action"] for line in logs] == ["create", "wait", "wait", "wait", "respond"]
    assert logs[0]["flowDefinitionName"] == name
    assert logs[0]["requestId"] == event["RequestId"]
    assert [line["status"] for line in logs[1:4]] == ["Initializing", "Initializing", "Active"]
    assert logs[-1]["status"] == "SUCCESS" and logs[-1]["httpStatus"] == 200


def test_the_answer_is_a_put_with_an_empty_content_type(
    provider: Provider, cfn: FakeResponseUrl
) -> None:
    event = cfn_event("Create", properties())
    _, puts = provider.invoke(event)
    assert len(puts) == 1
    put = puts[0]
    assert put.http_status == 200  # the fake refuses any other Content-Type (403)
    headers = {key.lower(): value for key, value in put.headers.items()}
    assert headers["content-type"] == ""
    assert int(headers["content-length"]) == len(put.raw)
    assert RESPONSE_FIELDS | {"LogicalResourceId", "Data"} == set(put.body)
    # To the presigned URL it was given, signature and all.
    url = urllib.parse.urlsplit(provider.urls[-1])
    assert put.path == url.path
    assert put.query == dict(urllib.parse.parse_qsl(url.query))


def test_create_with_fixed_name(provider: Provider, fake: FakeA2I) -> None:
    event = cfn_event("Create", properties(FlowDefinitionName="my-review-flow"))
    answer = provider.succeed(event)
    assert answer["PhysicalResourceId"] == arn_of("my-review-flow")
    assert answer["Data"]["FlowDefinitionName"] == "my-review-flow"
    # The tag by which a retry of this request knows the flow definition as its own.
    assert fake.flow_definitions["my-review-flow"].tags == {
        "project": "review",
        "stage": "dev",
        index.REQUEST_TAG_KEY: event["RequestId"],
    }


def test_create_failed_reports_the_reason_and_the_flow(provider: Provider, fake: FakeA2I) -> None:
    fake.fail_flow_definitions("The HumanTaskUi ARN does not refer to an existing UI.")
    event = cfn_event("Create", properties())
    answer = provider.fail(event)
    name = generated_name(event["RequestId"])
    assert answer["Reason"] == (
        f"Flow definition {name} failed: The HumanTaskUi ARN does not refer to an existing UI."
    )
    # CloudFormation's rollback deletes it by this id.
    assert answer["PhysicalResourceId"] == arn_of(name)


def test_iam_propagation_retried_until_it_succeeds(
    provider: Provider,
    fake: FakeA2I,
    handler_time: HandlerTime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.reject_new_roles(times=3)
    arn, _ = provider.create()
    assert arn in {flow.arn for flow in fake.flow_definitions.values()}
    creates = [c for c in fake.calls if c.operation == "CreateFlowDefinition"]
    assert [c.error for c in creates] == ["ValidationException"] * 3 + [None]
    # Exponential backoff with jitter: each ceiling doubles (2, 4, 8 s), half of it is random.
    assert len(handler_time.sleeps) == 3
    for attempt, slept in enumerate(handler_time.sleeps, start=1):
        ceiling = 2.0 * 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling
    retries = [
        line for line in log_lines(capsys.readouterr().out) if line["action"] == "create-retry"
    ]
    assert [line["attempt"] for line in retries] == [1, 2, 3]


def test_iam_propagation_gives_up_after_the_budget(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    fake.reject_new_roles(times=1000)
    answer = provider.fail(cfn_event("Create", properties()))
    reason = answer["Reason"]
    assert reason.startswith(f"SageMaker could not assume the role {ROLE_ARN} after ")
    assert "trust policy" in reason
    slept = sum(handler_time.sleeps)
    assert slept > index.IAM_RETRY_BUDGET_SECONDS - index.IAM_RETRY_MAX_DELAY_SECONDS
    assert slept <= index.IAM_RETRY_BUDGET_SECONDS
    assert fake.flow_definitions == {}
    assert answer["PhysicalResourceId"] == index.CREATE_FAILED_PHYSICAL_ID


def test_iam_retries_never_outlive_the_lambda(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    fake.reject_new_roles(times=1000)
    provider.fail(cfn_event("Create", properties()), remaining_ms=40_000)
    assert sum(handler_time.sleeps) <= 40 - index.DEADLINE_MARGIN_SECONDS


def test_other_validation_errors_fail_at_once(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    props = properties(Definition=definition(TaskCount="4"))
    reason = provider.fail(cfn_event("Create", props))["Reason"]
    assert reason.startswith("CreateFlowDefinition failed for ")
    assert "ValidationException" in reason and "humanLoopConfig.taskCount" in reason
    assert provider.operations() == ["CreateFlowDefinition"]
    assert handler_time.sleeps == []


def test_fixed_name_already_taken(provider: Provider, fake: FakeA2I) -> None:
    provider.create(properties(FlowDefinitionName="shared-name"))
    answer = provider.fail(cfn_event("Create", properties(FlowDefinitionName="shared-name")))
    assert "'shared-name' already exists" in answer["Reason"]
    assert "remove flow_definition_name" in answer["Reason"]
    # Not ours: nothing for the rollback to delete.
    assert answer["PhysicalResourceId"] == index.CREATE_FAILED_PHYSICAL_ID
    assert fake.flow_definitions["shared-name"].status == "Active"


@pytest.mark.parametrize("fixed", [False, True], ids=["generated-name", "fixed-name"])
def test_a_retried_create_adopts_the_flow_it_made(
    provider: Provider, fake: FakeA2I, fixed: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda retries an invocation that timed out or crashed with the same event.
    props = properties(FlowDefinitionName="retried-flow") if fixed else properties()
    event = cfn_event("Create", props)
    first = provider.succeed(event)
    second = provider.succeed(event)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"]
    assert first["Data"] == second["Data"]
    assert len(fake.flow_definitions) == 1
    outcomes = [
        line["outcome"] for line in log_lines(capsys.readouterr().out) if line["action"] == "create"
    ]
    assert outcomes == ["created", "adopted"]


def test_a_retried_create_adopts_a_flow_that_is_still_initializing(
    provider: Provider, fake: FakeA2I, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first attempt made the flow definition, then died before it was Active.
    fake.activate_after(3)
    event = cfn_event("Create", properties(FlowDefinitionName="interrupted-flow"))

    def crash(*_: Any) -> None:
        raise SystemExit("Lambda timed out")  # not caught: the invocation just ends

    with monkeypatch.context() as patch:
        patch.setattr(index, "_wait_until_active", crash)
        with pytest.raises(SystemExit):
            provider.invoke(event)
    assert provider.cfn.responses == []
    answer = provider.succeed(event)
    assert answer["PhysicalResourceId"] == arn_of("interrupted-flow")
    assert fake.flow_definitions["interrupted-flow"].status == "Active"


def test_stringified_values_of_every_numeric_member(provider: Provider, fake: FakeA2I) -> None:
    public_crowd = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
    props = properties(
        Definition=definition(
            WorkteamArn=public_crowd,
            TaskAvailabilityLifetimeInSeconds="43200",
            PublicWorkforceTaskPrice={
                "AmountInUsd": {"Dollars": "0", "Cents": "3", "TenthFractionsOfACent": "6"}
            },
        )
    )
    props["Definition"]["HumanLoopRequestSource"] = {
        "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
    }
    conditions = json.dumps(
        {
            "Conditions": [
                {
                    "ConditionType": "Sampling",
                    "ConditionParameters": {"RandomSamplingPercentage": 5},
                }
            ]
        }
    )
    props["Definition"]["HumanLoopActivationConfig"] = {
        "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions}
    }
    _, data = provider.create(props)
    flow = fake.flow_definitions[data["FlowDefinitionName"]]
    config = flow.human_loop_config
    assert config is not None
    assert config["PublicWorkforceTaskPrice"] == {
        "AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}
    }
    activation = flow.definition["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]
    assert activation["HumanLoopActivationConditions"] == conditions  # a JSON string stays one


def test_coercion_walks_the_model_generically() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    variant = model.shape_for("ProductionVariant")  # has integer, float and boolean members
    coerced = coerce(
        variant,
        {
            "VariantName": "v1",
            "InitialInstanceCount": "2",
            "InitialVariantWeight": "0.5",
            "EnableSSMAccess": "true",
            "ManagedInstanceScaling": {"MinInstanceCount": "1", "Status": "ENABLED"},
        },
        "Variant",
    )
    assert coerced == {
        "VariantName": "v1",
        "InitialInstanceCount": 2,
        "InitialVariantWeight": 0.5,
        "EnableSSMAccess": True,
        "ManagedInstanceScaling": {"MinInstanceCount": 1, "Status": "ENABLED"},
    }
    shape = model.operation_model("CreateFlowDefinition").input_shape
    as_object = coerce(
        shape,
        {
            "HumanLoopActivationConfig": {
                "HumanLoopActivationConditionsConfig": {
                    "HumanLoopActivationConditions": {"Conditions": []}
                }
            }
        },
        "Definition",
    )
    conditions = as_object["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]
    assert conditions["HumanLoopActivationConditions"] == '{"Conditions":[]}'
    with pytest.raises(index.FlowDefinitionError, match="must be true or false"):
        coerce(variant, {"EnableSSMAccess": "yes"}, "Variant")


@pytest.mark.parametrize(
    ("props", "reason"),
    [
        (properties(Definition=definition(TaskCount="two")), "TaskCount must be a whole number"),
        ({**properties(), "FlowDefinitionName": "x"}, "not both"),
        (properties(FlowDefinitionNamePrefix=None), "is required"),
        (properties(Definition={**definition(), "Colour": "blue"}), "Invalid flow definition"),
        (properties(Definition="not an object"), "The Definition property (an object)"),
    ],
)
def test_bad_properties(provider: Provider, fake: FakeA2I, props: Any, reason: str) -> None:
    assert reason in provider.fail(cfn_event("Create", props))["Reason"]
    assert fake.flow_definitions == {}


def test_unknown_request_type(provider: Provider, fake: FakeA2I) -> None:
    event = {**cfn_event("Create", properties()), "RequestType": "Upsert"}
    assert provider.fail(event)["Reason"] == "Unknown RequestType 'Upsert'."
    assert fake.calls == []


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("project=review", "Tags must be a list of {Key, Value} objects; got str"),
        ({"Key": "project", "Value": "review"}, "Tags must be a list of {Key, Value} objects"),
        (["project"], 'Tags[0] must be an object with a non-empty Key and a string Value; got "'),
        ([{"Key": "a", "Value": "b"}, {"Value": "review"}], "Tags[1] must be an object"),
        ([{"Key": ""}], "Tags[0] must be an object"),
        ([{"Key": {"nested": "key"}, "Value": "v"}], "Tags[0] must be an object"),
        ([{"Key": "project", "Value": ["a", "b"]}], "Tags[0] must be an object"),
        ([None], "Tags[0] must be an object"),
    ],
)
def test_malformed_tags_fail_with_a_clear_reason(
    provider: Provider, fake: FakeA2I, tags: Any, expected: str
) -> None:
    reason = provider.fail(cfn_event("Create", properties(Tags=tags)))["Reason"]
    assert reason.startswith(expected)
    assert "TypeError" not in reason and "KeyError" not in reason
    assert fake.calls == []


def test_malformed_tags_on_update_fail_with_a_clear_reason(
    provider: Provider, fake: FakeA2I
) -> None:
    old = properties()
    arn, _ = provider.create(old)
    before = len(fake.calls)
    new = properties(Tags=[{"Key": "project", "Value": "review"}, "stage=dev"])
    answer = provider.fail(cfn_event("Update", new, old=old, physical_id=arn))
    assert answer["Reason"].startswith("Tags[1] must be an object")
    assert answer["PhysicalResourceId"] == arn
    assert fake.calls[before:] == []


# -- update -----------------------------------------------------------------------------------


def test_update_tags_only(provider: Provider, fake: FakeA2I, handler_time: HandlerTime) -> None:
    old = properties()
    arn, data = provider.create(old)
    new = properties(Tags=[{"Key": "stage", "Value": "prod"}, {"Key": "owner", "Value": "ml"}])
    before = len(fake.calls)
    answer = provider.succeed(cfn_event("Update", new, old=old, physical_id=arn))
    assert answer["PhysicalResourceId"] == arn and answer["Data"] == data
    assert fake.flow_definitions[data["FlowDefinitionName"]].tags == {
        "stage": "prod",
        "owner": "ml",
    }
    assert len(fake.flow_definitions) == 1
    assert [c.operation for c in fake.calls[before:]] == ["DeleteTags", "AddTags"]
    assert fake.calls[-2].params["TagKeys"] == ["project"]
    assert handler_time.sleeps == []  # in place: nothing to wait for


def test_update_with_replacement(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    old = properties()
    old_arn, old_data = provider.create(old)
    fake.activate_after(2)
    new = properties(Definition=definition(TaskTitle="A better title"))
    update = cfn_event("Update", new, old=old, physical_id=old_arn)
    answer = provider.succeed(update)
    new_name = generated_name(update["RequestId"])
    assert answer["Data"]["FlowDefinitionName"] == new_name
    assert answer["PhysicalResourceId"] == answer["Data"]["FlowDefinitionArn"] != old_arn
    assert handler_time.sleeps == [index.POLL_INTERVAL_SECONDS]  # waited for Active
    flows = fake.flow_definitions
    assert set(flows) == {old_data["FlowDefinitionName"], new_name}  # old one until the Delete
    config = flows[new_name].human_loop_config
    assert config is not None and config["TaskTitle"] == "A better title"

    # CloudFormation then deletes the old physical id, with the old properties.
    provider.succeed(cfn_event("Delete", old, physical_id=old_arn))
    assert fake.flow_definitions[old_data["FlowDefinitionName"]].status == "Deleting"


def test_a_failed_replacement_deletes_the_new_flow(provider: Provider, fake: FakeA2I) -> None:
    old = properties()
    old_arn, old_data = provider.create(old)
    fake.fail_flow_definitions("The task UI is invalid.")
    update = cfn_event(
        "Update", properties(Definition=definition(TaskTitle="Other")), old=old, physical_id=old_arn
    )
    answer = provider.fail(update)
    new_name = generated_name(update["RequestId"])
    assert answer["Reason"] == f"Flow definition {new_name} failed: The task UI is invalid."
    assert answer["PhysicalResourceId"] == old_arn  # CloudFormation keeps the old one
    assert fake.flow_definitions[new_name].status == "Deleting"  # nothing refers to it
    assert fake.flow_definitions[old_data["FlowDefinitionName"]].status == "Active"


def test_fixed_name_replacement_is_refused(provider: Provider, fake: FakeA2I) -> None:
    old = properties(FlowDefinitionName="fixed-flow")
    arn, _ = provider.create(old)
    new = properties(
        FlowDefinitionName="fixed-flow", Definition=definition(TaskTitle="Another title")
    )
    before = len(fake.calls)
    answer = provider.fail(cfn_event("Update", new, old=old, physical_id=arn))
    reason = answer["Reason"]
    assert "Definition.HumanLoopConfig.TaskTitle" in reason
    assert "fixed name 'fixed-flow'" in reason
    assert "flow_definition_name" in reason
    assert answer["PhysicalResourceId"] == arn
    assert fake.calls[before:] == []


def test_changing_a_fixed_name_replaces(provider: Provider, fake: FakeA2I) -> None:
    old = properties(FlowDefinitionName="first-name")
    arn, _ = provider.create(old)
    new = properties(FlowDefinitionName="second-name")
    answer = provider.succeed(cfn_event("Update", new, old=old, physical_id=arn))
    assert answer["Data"]["FlowDefinitionName"] == "second-name"
    assert set(fake.flow_definitions) == {"first-name", "second-name"}


def test_removal_policy_only_change(provider: Provider, fake: FakeA2I) -> None:
    old = properties()
    arn, data = provider.create(old)
    before = len(fake.calls)
    new = properties(RemovalPolicy="retain")
    answer = provider.succeed(cfn_event("Update", new, old=old, physical_id=arn))
    assert answer["PhysicalResourceId"] == arn and answer["Data"] == data
    assert fake.calls[before:] == []


def test_new_service_token_does_not_replace(provider: Provider, fake: FakeA2I) -> None:
    old = properties()
    arn, _ = provider.create(old)
    new = properties(ServiceToken=SERVICE_TOKEN + "-v2")
    answer = provider.succeed(cfn_event("Update", new, old=old, physical_id=arn))
    assert answer["PhysicalResourceId"] == arn


def test_fixed_name_with_fifty_tags(provider: Provider, fake: FakeA2I) -> None:
    # No room for the request tag: the flow definition is created without it.
    tags = [{"Key": f"k{i:02d}", "Value": "v"} for i in range(50)]
    old = properties(FlowDefinitionName="many-tags", Tags=tags[:49])
    arn, _ = provider.create(old)
    assert index.REQUEST_TAG_KEY in fake.flow_definitions["many-tags"].tags
    new = properties(FlowDefinitionName="many-tags", Tags=tags)
    provider.succeed(cfn_event("Update", new, old=old, physical_id=arn))
    assert fake.flow_definitions["many-tags"].tags == {tag["Key"]: "v" for tag in tags}
    provider.create(properties(FlowDefinitionName="full-of-tags", Tags=tags))
    assert len(fake.flow_definitions["full-of-tags"].tags) == 50


# -- delete ------------------------------------------------------------------------------------


def test_delete_answers_at_once(
    provider: Provider,
    fake: FakeA2I,
    handler_time: HandlerTime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    props = properties()
    arn, data = provider.create(props)
    fake.delete_after(3)
    before = len(fake.calls)
    answer = provider.succeed(cfn_event("Delete", props, physical_id=arn))
    assert answer["PhysicalResourceId"] == arn
    assert fake.flow_definitions[data["FlowDefinitionName"]].status == "Deleting"
    # It does not wait for a Deleting flow definition to vanish (that can take days).
    assert [c.operation for c in fake.calls[before:]] == ["DeleteFlowDefinition"]
    assert handler_time.sleeps == []
    delete_log = next(
        line for line in log_lines(capsys.readouterr().out) if line["action"] == "delete"
    )
    assert delete_log["outcome"] == "deleting"


def test_delete_of_a_missing_flow_definition(provider: Provider, fake: FakeA2I) -> None:
    arn = arn_of(f"{PREFIX}-deadbeef")
    answer = provider.succeed(cfn_event("Delete", properties(), physical_id=arn))
    assert answer["PhysicalResourceId"] == arn
    assert [(c.operation, c.error) for c in fake.calls] == [
        ("DeleteFlowDefinition", "ResourceNotFound")
    ]


@pytest.mark.parametrize(
    "physical_id",
    [
        CREATE_FAILED_MARKER,
        index.CREATE_FAILED_PHYSICAL_ID,
        "0f6c1e0e-6b3c-4a42-9d3e-3f0f7f1b2c3d",
        "",
        "not-an-arn",
    ],
)
def test_delete_of_a_resource_never_created(
    provider: Provider, fake: FakeA2I, physical_id: str
) -> None:
    answer = provider.succeed(cfn_event("Delete", properties(), physical_id=physical_id))
    assert answer["PhysicalResourceId"] == (physical_id or index.CREATE_FAILED_PHYSICAL_ID)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("region", "account"),
    [("eu-west-1", ACCOUNT), (REGION, "222222222222"), ("eu-west-1", "222222222222")],
)
def test_delete_leaves_other_accounts_and_regions_alone(
    provider: Provider,
    fake: FakeA2I,
    capsys: pytest.CaptureFixture[str],
    region: str,
    account: str,
) -> None:
    # The fake would delete by name whatever the ARN: the handler must not ask.
    provider.create(properties(FlowDefinitionName="same-name"))
    before = len(fake.calls)
    foreign = arn_of("same-name", region=region, account=account)
    answer = provider.succeed(cfn_event("Delete", properties(), physical_id=foreign))
    assert answer["PhysicalResourceId"] == foreign
    assert fake.calls[before:] == []
    assert fake.flow_definitions["same-name"].status == "Active"
    skip = next(
        line for line in log_lines(capsys.readouterr().out) if line["action"] == "delete-skip"
    )
    assert f"Region {region}" in skip["reason"] and f"account {account}" in skip["reason"]
    assert f"Region {REGION}" in skip["reason"] and f"account {ACCOUNT}" in skip["reason"]


def test_retain(provider: Provider, fake: FakeA2I) -> None:
    props = properties(RemovalPolicy="retain")
    arn, data = provider.create(props)
    provider.succeed(cfn_event("Delete", props, physical_id=arn))
    assert fake.flow_definitions[data["FlowDefinitionName"]].status == "Active"
    assert "DeleteFlowDefinition" not in provider.operations()


def test_a_failed_flow_is_deleted_on_rollback_even_under_retain(
    provider: Provider, fake: FakeA2I, capsys: pytest.CaptureFixture[str]
) -> None:
    props = properties(RemovalPolicy="retain")
    fake.fail_flow_definitions("The work team does not exist.")
    create = cfn_event("Create", props)
    failed = provider.fail(create)
    name = generated_name(create["RequestId"])
    assert failed["PhysicalResourceId"] == arn_of(name)
    # CloudFormation rolls the failed create back with a Delete of that id.
    provider.succeed(cfn_event("Delete", props, physical_id=failed["PhysicalResourceId"]))
    assert fake.flow_definitions[name].status == "Deleting"
    actions = [line["action"] for line in log_lines(capsys.readouterr().out)]
    assert "delete-failed" in actions and "delete" in actions


def test_retain_of_a_flow_that_is_gone(provider: Provider, fake: FakeA2I) -> None:
    props = properties(RemovalPolicy="retain")
    arn = arn_of(f"{PREFIX}-0badf00d")
    provider.succeed(cfn_event("Delete", props, physical_id=arn))
    assert provider.operations() == ["DescribeFlowDefinition"]


def test_delete_while_already_deleting(provider: Provider, fake: FakeA2I) -> None:
    props = properties()
    arn, data = provider.create(props)
    fake.delete_after(5)
    provider.succeed(cfn_event("Delete", props, physical_id=arn))
    fake.fail_next("DeleteFlowDefinition", "ResourceInUse", message="being deleted")
    provider.succeed(cfn_event("Delete", props, physical_id=arn))
    assert fake.flow_definitions[data["FlowDefinitionName"]].status == "Deleting"


def test_delete_failure_is_reported(provider: Provider, fake: FakeA2I) -> None:
    props = properties()
    arn, _ = provider.create(props)
    fake.fail_next("DeleteFlowDefinition", "AccessDeniedException", message="not allowed")
    answer = provider.fail(cfn_event("Delete", props, physical_id=arn))
    assert "AccessDeniedException: not allowed" in answer["Reason"]
    assert "aws sagemaker delete-flow-definition" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn


# -- waiting, deadlines and sizes ---------------------------------------------------------------


def test_a_throttled_describe_is_asked_again(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    event = cfn_event("Create", properties())
    fake.fail_next("DescribeFlowDefinition", "ThrottlingException")
    answer = provider.succeed(event)
    assert answer["Data"]["FlowDefinitionName"] == generated_name(event["RequestId"])
    # The pause doubles after a throttle, up to the cap.
    assert handler_time.sleeps == [index.POLL_INTERVAL_CAP_SECONDS]


def test_a_describe_error_that_is_not_transient_fails(provider: Provider, fake: FakeA2I) -> None:
    fake.fail_next("DescribeFlowDefinition", "AccessDeniedException", message="no describe")
    event = cfn_event("Create", properties())
    answer = provider.fail(event)
    assert "DescribeFlowDefinition failed" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn_of(generated_name(event["RequestId"]))


@pytest.mark.parametrize("remaining_s", [35, 45, 120])
def test_a_stuck_flow_fails_before_the_deadline(
    provider: Provider,
    fake: FakeA2I,
    cfn: FakeResponseUrl,
    handler_time: HandlerTime,
    remaining_s: int,
) -> None:
    fake.activate_after(1_000_000)  # Initializing for ever
    event = cfn_event("Create", properties())
    started = handler_time.now
    answer = provider.fail(event, remaining_ms=remaining_s * 1000)
    name = generated_name(event["RequestId"])
    assert answer["Reason"].startswith(f"Flow definition {name} is still Initializing after ")
    assert "before the provider function's timeout" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn_of(name)
    # Answered with the margin still left, having polled every second until then.
    assert handler_time.now - started == remaining_s - index.DEADLINE_MARGIN_SECONDS
    assert all(0 < slept <= index.POLL_INTERVAL_SECONDS for slept in handler_time.sleeps)
    describes = provider.operations().count("DescribeFlowDefinition")
    assert describes == len(handler_time.sleeps) + 1


def test_responses_stay_far_below_4096_bytes(provider: Provider, fake: FakeA2I) -> None:
    public_crowd = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
    maximal = definition(
        WorkteamArn=public_crowd,
        TaskTitle="T" * 128,
        TaskDescription="D" * 255,
        TaskKeywords=["K" * 30] * 5,
        TaskAvailabilityLifetimeInSeconds="43200",
        TaskTimeLimitInSeconds="28800",
        TaskCount="3",
        PublicWorkforceTaskPrice={
            "AmountInUsd": {"Dollars": "1", "Cents": "20", "TenthFractionsOfACent": "0"}
        },
    )
    maximal["HumanLoopRequestSource"] = {
        "AwsManagedHumanLoopRequestSource": "AWS/Rekognition/DetectModerationLabels/Image/V3"
    }
    padding = 10240 - len(json.dumps({"Conditions": [], "Padding": ""}))
    conditions = json.dumps({"Conditions": [], "Padding": "p" * padding})
    assert len(conditions) == 10240
    maximal["HumanLoopActivationConfig"] = {
        "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions}
    }
    tags = [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(50)]
    props = properties(
        FlowDefinitionNamePrefix="p" * 54, Definition=maximal, Tags=tags, RemovalPolicy="retain"
    )
    _, puts = provider.invoke(cfn_event("Create", props))
    assert puts[0].body["Status"] == "SUCCESS"
    assert len(puts[0].raw) < 1024
    assert len(puts[0].body["Data"]["FlowDefinitionName"]) == 63
    # A failure's Reason is bounded too.
    fake.fail_flow_definitions("r" * 4096)
    answer = provider.fail(cfn_event("Create", props))
    assert len(answer["Reason"]) <= index.MAX_MESSAGE_LENGTH


def test_the_body_is_cut_to_4096_bytes() -> None:
    request = Request(
        event={"StackId": STACK_ID, "RequestId": "r", "LogicalResourceId": "L"},
        context=None,
        deadline=0.0,
        end=0.0,
    )
    body = response.response_body(request, "FAILED", "x" * 10_000, "id", None)
    assert len(body) == index.MAX_RESPONSE_BYTES
    assert json.loads(body)["Reason"].endswith("...")
    huge = response.response_body(request, "SUCCESS", "", "i" * 5000, {"A": "b"})
    assert len(huge) <= index.MAX_RESPONSE_BYTES
    assert json.loads(huge)["Status"] == "FAILED"


# -- always answering, never leaking the URL ---------------------------------------------------


def test_a_crash_inside_create_still_answers_failed(
    provider: Provider, fake: FakeA2I, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(index, "_create_request", boom)
    answer = provider.fail(cfn_event("Create", properties()))
    assert answer["Reason"] == "Create failed with an internal error: RuntimeError: boom"
    assert answer["PhysicalResourceId"] == index.CREATE_FAILED_PHYSICAL_ID
    error = next(line for line in log_lines(capsys.readouterr().out) if line["action"] == "error")
    assert "RuntimeError: boom" in error["trace"]


def test_a_crash_after_the_flow_exists_names_it(
    provider: Provider, fake: FakeA2I, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any) -> None:
        raise KeyError("FlowDefinitionStatus")

    monkeypatch.setattr(index, "_wait_until_active", boom)
    event = cfn_event("Create", properties())
    answer = provider.fail(event)
    assert answer["Reason"].startswith("Create failed with an internal error: KeyError")
    # The rollback's Delete can find it.
    assert answer["PhysicalResourceId"] == arn_of(generated_name(event["RequestId"]))


def test_the_put_is_retried_when_cloudformation_fails_once(
    provider: Provider,
    cfn: FakeResponseUrl,
    handler_time: HandlerTime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfn.fail_next(1, status=503)
    event = cfn_event("Create", properties())
    _, puts = provider.invoke(event)
    assert [put.http_status for put in puts] == [503, 200]
    assert puts[0].raw == puts[1].raw  # the same answer again
    assert puts[1].body["Status"] == "SUCCESS"
    assert len(handler_time.sleeps) == 1  # one backoff before the second attempt
    responds = [line for line in log_lines(capsys.readouterr().out) if line["action"] == "respond"]
    assert [(line["level"], line.get("error")) for line in responds] == [
        ("WARN", "HTTP 503"),
        ("INFO", None),
    ]
    assert responds[1]["attempt"] == 2


def test_the_put_is_retried_when_the_connection_fails(
    provider: Provider, cfn: FakeResponseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = index._put
    calls: list[int] = []

    def flaky(url: str, body: bytes, timeout: float) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("reset by peer")
        return real_put(url, body, timeout)

    monkeypatch.setattr(index, "_put", flaky)
    answer = provider.succeed(cfn_event("Create", properties()))
    assert answer["Status"] == "SUCCESS" and len(calls) == 2


def test_an_unreachable_url_makes_lambda_retry(
    provider: Provider, cfn: FakeResponseUrl, handler_time: HandlerTime
) -> None:
    cfn.fail_next(100, status=500)
    with pytest.raises(index.ResponseError, match="after 5 attempts: HTTP 500"):
        provider.invoke(cfn_event("Delete", properties(), physical_id="never-created"))
    assert len(cfn.responses) == index.RESPONSE_RETRY_POLICY.max_attempts
    assert len(handler_time.sleeps) == index.RESPONSE_RETRY_POLICY.max_attempts - 1


def test_only_https_or_loopback_urls_are_answered(
    provider: Provider, fake: FakeA2I, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {
        **cfn_event("Delete", properties(), physical_id="never-created"),
        "ResponseURL": "http://example.com/answer?X-Amz-Signature=abc",
    }
    returned, puts = provider.invoke(event)
    assert puts == [] and returned["Status"] == "SUCCESS"
    respond = next(
        line for line in log_lines(capsys.readouterr().out) if line["action"] == "respond"
    )
    assert respond["level"] == "ERROR"


def test_no_log_line_or_reason_holds_the_url(
    provider: Provider,
    fake: FakeA2I,
    cfn: FakeResponseUrl,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Success, a service failure, a PUT retry, a Delete, and errors that quote the URL.
    fake.activate_after(2)
    arn, _ = provider.create()
    cfn.fail_next(1)
    provider.succeed(cfn_event("Delete", properties(), physical_id=arn))
    fake.fail_flow_definitions("https://example.com/help?X-Amz-Signature=deadbeef")
    provider.fail(cfn_event("Create", properties()))
    fake.fail_flow_definitions(None)

    leaked: list[str] = []

    def quoting(*_: Any) -> None:
        leaked.append(provider.urls[-1])
        raise RuntimeError(f"could not reach {provider.urls[-1]}")

    monkeypatch.setattr(index, "_create_request", quoting)
    answer = provider.fail(cfn_event("Create", properties()))
    assert "<redacted" in answer["Reason"]

    output = capsys.readouterr().out
    reasons = " ".join(json.dumps(put.body) for put in cfn.responses)
    assert len(provider.urls) == 4 and leaked
    for url in provider.urls:
        parts = urllib.parse.urlsplit(url)
        for secret in (url, parts.query, parts.path, parse_signature(url)):
            assert secret not in output
            assert secret not in reasons
    assert "X-Amz-Signature" not in output and "X-Amz-Signature" not in reasons
    assert log_lines(output)  # it did log


def parse_signature(url: str) -> str:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["X-Amz-Signature"]


def test_access_denied_right_after_a_policy_change_is_retried(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    # A new flow's name and role join the provider's policy right before its create; IAM
    # may deny them for a few seconds.
    message = "User is not authorized to perform: iam:PassRole on resource"
    fake.fail_next("CreateFlowDefinition", "AccessDeniedException", times=2, message=message)
    arn, _ = provider.create(properties(FlowDefinitionName="new-flow"))
    assert arn == arn_of("new-flow")
    assert len(handler_time.sleeps) == 2


def test_access_denied_for_good_fails_after_the_budget(
    provider: Provider, fake: FakeA2I, handler_time: HandlerTime
) -> None:
    fake.fail_next("CreateFlowDefinition", "AccessDeniedException", times=1000, message="denied")
    reason = provider.fail(cfn_event("Create", properties()))["Reason"]
    assert reason.startswith("The provider was denied CreateFlowDefinition for ")
    assert "permissions boundary or an SCP" in reason
    assert sum(handler_time.sleeps) <= index.IAM_RETRY_BUDGET_SECONDS
    assert fake.flow_definitions == {}
