"""The flow-definition custom-resource handler against the A2I fake, through real boto3.

Events have the shape CloudFormation sends through the CDK Provider framework; the
``Framework`` helper plays the framework's part (on_event, then is_complete until done).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from constructs_a2i.runtime.flow_definition_provider import index
from constructs_a2i.testing import FakeA2I

ACCOUNT = "111111111111"
REGION = "us-east-1"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ReviewStack/"
    "5b9c1f10-0a3e-11ef-9c1a-0e2b6f1e7c4d"
)
SERVICE_TOKEN = (
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
    "ReviewStack-A2IFlowDefinitionProviderframeworkon-Ab12Cd34Ef56"
)
PREFIX = "reviewstack-review-4f1c2d3e"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ReviewStack-ReviewRole-1X2Y3Z"
CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"


class LambdaContext:
    """The part of Lambda's context object the handler reads."""

    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class Clock:
    """Stands in for time.sleep and time.monotonic inside the handler."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
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
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
        "arn%3Aaws%3Acloudformation%3Aus-east-1?X-Amz-Signature=abc",
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


class Framework:
    """Plays the CDK Provider framework: on_event, then is_complete until complete."""

    def __init__(self, fake: FakeA2I, clock: Clock) -> None:
        self.fake = fake
        self.clock = clock

    def on_event(self, event: dict[str, Any], remaining_ms: int = 300_000) -> dict[str, Any]:
        result = index.on_event(copy.deepcopy(event), LambdaContext(remaining_ms))
        json.dumps(result)  # the framework serialises it
        return result

    def run(self, event: dict[str, Any], max_polls: int = 10) -> tuple[dict[str, Any], int]:
        """The response the framework would send to CloudFormation, and the polls it took."""
        result = self.on_event(event)
        physical_id = result.get("PhysicalResourceId") or (
            event["RequestId"] if event["RequestType"] == "Create" else event["PhysicalResourceId"]
        )
        waiting = {**event, **result, "PhysicalResourceId": physical_id}
        for poll in range(1, max_polls + 1):
            done = index.is_complete(copy.deepcopy(waiting), LambdaContext())
            if done["IsComplete"]:
                data = {**(waiting.get("Data") or {}), **(done.get("Data") or {})}
                return {"PhysicalResourceId": physical_id, "Data": data}, poll
            assert set(done) == {"IsComplete"}  # "Data" is not allowed while not complete
        raise AssertionError("is_complete never completed")

    def create(self, props: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        event = cfn_event("Create", props or properties())
        response, _ = self.run(event)
        return response["PhysicalResourceId"], response["Data"]

    def operations(self) -> list[str]:
        return [call.operation for call in self.fake.calls]


@pytest.fixture
def a2i_fake() -> Iterator[FakeA2I]:
    with FakeA2I(region=REGION, account=ACCOUNT, seed=0) as fake:
        yield fake


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(index, "_sleep", clock.sleep)
    monkeypatch.setattr(index, "_monotonic", clock.monotonic)
    monkeypatch.setattr(index, "_random", random.Random(0))
    return clock


@pytest.fixture
def framework(
    a2i_fake: FakeA2I, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Framework]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in a2i_fake.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setattr(index, "_clients", {})
    yield Framework(a2i_fake, clock)


def log_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


# -- create -----------------------------------------------------------------------------------


def test_create_waits_for_active(
    framework: Framework, a2i_fake: FakeA2I, capsys: pytest.CaptureFixture[str]
) -> None:
    a2i_fake.activate_after(3)
    event = cfn_event("Create", properties())
    name = generated_name(event["RequestId"])
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/{name}"

    result = framework.on_event(event)
    assert result == {
        "PhysicalResourceId": arn,
        "Data": {"FlowDefinitionArn": arn, "FlowDefinitionName": name},
    }
    waiting = {**event, **result}
    assert index.is_complete(waiting, LambdaContext()) == {"IsComplete": False}
    assert index.is_complete(waiting, LambdaContext()) == {"IsComplete": False}
    assert index.is_complete(waiting, LambdaContext()) == {
        "IsComplete": True,
        "Data": {"FlowDefinitionArn": arn, "FlowDefinitionName": name},
    }

    flow = a2i_fake.flow_definitions[name]
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
    assert [line["action"] for line in logs] == ["create", "wait", "wait", "wait"]
    assert logs[0]["flowDefinitionName"] == name
    assert logs[0]["requestId"] == event["RequestId"]
    assert [line["status"] for line in logs[1:]] == ["Initializing", "Initializing", "Active"]


def test_create_with_fixed_name(framework: Framework, a2i_fake: FakeA2I) -> None:
    arn, data = framework.create(properties(FlowDefinitionName="my-review-flow"))
    assert arn.endswith(":flow-definition/my-review-flow")
    assert data["FlowDefinitionName"] == "my-review-flow"


def test_create_failed_reports_the_reason(framework: Framework, a2i_fake: FakeA2I) -> None:
    a2i_fake.fail_flow_definitions("The HumanTaskUi ARN does not refer to an existing UI.")
    event = cfn_event("Create", properties())
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.run(event)
    name = generated_name(event["RequestId"])
    assert str(excinfo.value) == (
        f"Flow definition {name} failed: The HumanTaskUi ARN does not refer to an existing UI."
    )


def test_iam_propagation_retried_until_it_succeeds(
    framework: Framework, a2i_fake: FakeA2I, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    a2i_fake.reject_new_roles(times=3)
    arn, _ = framework.create()
    assert arn in {flow.arn for flow in a2i_fake.flow_definitions.values()}
    creates = [c for c in a2i_fake.calls if c.operation == "CreateFlowDefinition"]
    assert [c.error for c in creates] == ["ValidationException"] * 3 + [None]
    # Exponential backoff with jitter: each ceiling doubles (2, 4, 8 s), half of it is random.
    assert len(clock.sleeps) == 3
    for attempt, slept in enumerate(clock.sleeps, start=1):
        ceiling = 2.0 * 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling
    retries = [
        line for line in log_lines(capsys.readouterr().out) if line["action"] == "create-retry"
    ]
    assert [line["attempt"] for line in retries] == [1, 2, 3]


def test_iam_propagation_gives_up_after_the_budget(
    framework: Framework, a2i_fake: FakeA2I, clock: Clock
) -> None:
    a2i_fake.reject_new_roles(times=1000)
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.on_event(cfn_event("Create", properties()))
    message = str(excinfo.value)
    assert message.startswith(f"SageMaker could not assume the role {ROLE_ARN} after ")
    assert "trust policy" in message
    assert sum(clock.sleeps) <= index.IAM_RETRY_BUDGET_SECONDS
    assert sum(clock.sleeps) > index.IAM_RETRY_BUDGET_SECONDS - index.IAM_RETRY_MAX_DELAY_SECONDS
    assert a2i_fake.flow_definitions == {}


def test_iam_retries_never_outlive_the_lambda(
    framework: Framework, a2i_fake: FakeA2I, clock: Clock
) -> None:
    a2i_fake.reject_new_roles(times=1000)
    with pytest.raises(index.FlowDefinitionError):
        framework.on_event(cfn_event("Create", properties()), remaining_ms=40_000)
    assert sum(clock.sleeps) <= 40 - index.IAM_RETRY_SAFETY_MARGIN_SECONDS


def test_other_validation_errors_fail_at_once(
    framework: Framework, a2i_fake: FakeA2I, clock: Clock
) -> None:
    props = properties(Definition=definition(TaskCount="4"))
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.on_event(cfn_event("Create", props))
    message = str(excinfo.value)
    assert message.startswith("CreateFlowDefinition failed for ")
    assert "ValidationException" in message and "humanLoopConfig.taskCount" in message
    assert framework.operations() == ["CreateFlowDefinition"]
    assert clock.sleeps == []


def test_fixed_name_already_taken(framework: Framework, a2i_fake: FakeA2I) -> None:
    framework.create(properties(FlowDefinitionName="shared-name"))
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.on_event(cfn_event("Create", properties(FlowDefinitionName="shared-name")))
    message = str(excinfo.value)
    assert "'shared-name' already exists" in message
    assert "remove flow_definition_name" in message


def test_repeated_create_of_the_same_request_adopts_its_flow(
    framework: Framework, a2i_fake: FakeA2I
) -> None:
    event = cfn_event("Create", properties())
    first = framework.on_event(event)
    second = framework.on_event(event)  # e.g. a retried invocation
    assert first == second
    assert len(a2i_fake.flow_definitions) == 1


def test_stringified_values_of_every_numeric_member(
    framework: Framework, a2i_fake: FakeA2I
) -> None:
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
    _, data = framework.create(props)
    flow = a2i_fake.flow_definitions[data["FlowDefinitionName"]]
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
    coerced = index._coerce(
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
    as_object = index._coerce(
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
        index._coerce(variant, {"EnableSSMAccess": "yes"}, "Variant")


def test_bad_numbers_and_properties(framework: Framework, a2i_fake: FakeA2I) -> None:
    with pytest.raises(index.FlowDefinitionError, match=r"TaskCount must be a whole number"):
        framework.on_event(cfn_event("Create", properties(Definition=definition(TaskCount="two"))))
    with pytest.raises(index.FlowDefinitionError, match="not both"):
        framework.on_event(cfn_event("Create", {**properties(), "FlowDefinitionName": "x"}))
    with pytest.raises(index.FlowDefinitionError, match="is required"):
        framework.on_event(cfn_event("Create", properties(FlowDefinitionNamePrefix=None)))
    with pytest.raises(index.FlowDefinitionError, match="Invalid flow definition properties"):
        framework.on_event(
            cfn_event("Create", properties(Definition={**definition(), "Colour": "blue"}))
        )
    with pytest.raises(index.FlowDefinitionError, match="Unknown RequestType"):
        framework.on_event({**cfn_event("Create", properties()), "RequestType": "Upsert"})
    assert a2i_fake.flow_definitions == {}


# -- update -----------------------------------------------------------------------------------


def test_update_tags_only(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties()
    arn, data = framework.create(old)
    new = properties(Tags=[{"Key": "stage", "Value": "prod"}, {"Key": "owner", "Value": "ml"}])
    before = len(a2i_fake.calls)
    response, polls = framework.run(cfn_event("Update", new, old=old, physical_id=arn))
    assert response == {"PhysicalResourceId": arn, "Data": data}
    assert polls == 1
    assert a2i_fake.flow_definitions[data["FlowDefinitionName"]].tags == {
        "stage": "prod",
        "owner": "ml",
    }
    assert len(a2i_fake.flow_definitions) == 1
    assert [c.operation for c in a2i_fake.calls[before:]] == ["DeleteTags", "AddTags"]
    assert a2i_fake.calls[-2].params["TagKeys"] == ["project"]


def test_update_with_replacement(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties()
    old_arn, old_data = framework.create(old)
    a2i_fake.activate_after(2)
    new = properties(Definition=definition(TaskTitle="A better title"))
    update = cfn_event("Update", new, old=old, physical_id=old_arn)
    response, polls = framework.run(update)
    new_name = generated_name(update["RequestId"])
    assert response["Data"]["FlowDefinitionName"] == new_name
    assert response["PhysicalResourceId"] == response["Data"]["FlowDefinitionArn"] != old_arn
    assert polls == 2  # waited for Active like a create
    flows = a2i_fake.flow_definitions
    assert set(flows) == {old_data["FlowDefinitionName"], new_name}  # old one until the Delete
    config = flows[new_name].human_loop_config
    assert config is not None and config["TaskTitle"] == "A better title"

    # CloudFormation then deletes the old physical id, with the old properties.
    framework.run(cfn_event("Delete", old, physical_id=old_arn))
    assert a2i_fake.flow_definitions[old_data["FlowDefinitionName"]].status == "Deleting"


def test_fixed_name_replacement_is_refused(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties(FlowDefinitionName="fixed-flow")
    arn, _ = framework.create(old)
    new = properties(
        FlowDefinitionName="fixed-flow", Definition=definition(TaskTitle="Another title")
    )
    before = len(a2i_fake.calls)
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.on_event(cfn_event("Update", new, old=old, physical_id=arn))
    message = str(excinfo.value)
    assert "Definition.HumanLoopConfig.TaskTitle" in message
    assert "fixed name 'fixed-flow'" in message
    assert "flow_definition_name" in message
    assert a2i_fake.calls[before:] == []


def test_changing_a_fixed_name_replaces(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties(FlowDefinitionName="first-name")
    arn, _ = framework.create(old)
    new = properties(FlowDefinitionName="second-name")
    response, _ = framework.run(cfn_event("Update", new, old=old, physical_id=arn))
    assert response["Data"]["FlowDefinitionName"] == "second-name"
    assert set(a2i_fake.flow_definitions) == {"first-name", "second-name"}


def test_removal_policy_only_change(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties()
    arn, data = framework.create(old)
    before = len(a2i_fake.calls)
    new = properties(RemovalPolicy="retain")
    response, _ = framework.run(cfn_event("Update", new, old=old, physical_id=arn))
    assert response == {"PhysicalResourceId": arn, "Data": data}
    assert a2i_fake.calls[before:] == []


def test_new_service_token_does_not_replace(framework: Framework, a2i_fake: FakeA2I) -> None:
    old = properties()
    arn, _ = framework.create(old)
    new = properties(ServiceToken=SERVICE_TOKEN + "-v2")
    response, _ = framework.run(cfn_event("Update", new, old=old, physical_id=arn))
    assert response["PhysicalResourceId"] == arn


# -- delete ------------------------------------------------------------------------------------


def test_delete(
    framework: Framework, a2i_fake: FakeA2I, capsys: pytest.CaptureFixture[str]
) -> None:
    props = properties()
    arn, data = framework.create(props)
    a2i_fake.delete_after(3)
    response, polls = framework.run(cfn_event("Delete", props, physical_id=arn))
    assert response["PhysicalResourceId"] == arn and polls == 1
    assert a2i_fake.flow_definitions[data["FlowDefinitionName"]].status == "Deleting"
    delete_log = log_lines(capsys.readouterr().out)[-1]
    assert delete_log["action"] == "delete" and delete_log["outcome"] == "deleting"


def test_delete_of_a_missing_flow_definition(framework: Framework, a2i_fake: FakeA2I) -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/{PREFIX}-deadbeef"
    response, _ = framework.run(cfn_event("Delete", properties(), physical_id=arn))
    assert response["PhysicalResourceId"] == arn
    assert [(c.operation, c.error) for c in a2i_fake.calls] == [
        ("DeleteFlowDefinition", "ResourceNotFound")
    ]


@pytest.mark.parametrize(
    "physical_id",
    [CREATE_FAILED_MARKER, "0f6c1e0e-6b3c-4a42-9d3e-3f0f7f1b2c3d", "", "not-an-arn"],
)
def test_delete_of_a_resource_never_created(
    framework: Framework, a2i_fake: FakeA2I, physical_id: str
) -> None:
    result = framework.on_event(cfn_event("Delete", properties(), physical_id=physical_id))
    assert result.get("PhysicalResourceId", "") == physical_id
    assert a2i_fake.calls == []


def test_retain(framework: Framework, a2i_fake: FakeA2I) -> None:
    props = properties(RemovalPolicy="retain")
    arn, data = framework.create(props)
    framework.run(cfn_event("Delete", props, physical_id=arn))
    assert a2i_fake.flow_definitions[data["FlowDefinitionName"]].status == "Active"
    assert "DeleteFlowDefinition" not in framework.operations()


def test_delete_while_already_deleting(framework: Framework, a2i_fake: FakeA2I) -> None:
    props = properties()
    arn, data = framework.create(props)
    a2i_fake.delete_after(5)
    framework.run(cfn_event("Delete", props, physical_id=arn))
    a2i_fake.fail_next("DeleteFlowDefinition", "ResourceInUse", message="being deleted")
    framework.run(cfn_event("Delete", props, physical_id=arn))
    assert a2i_fake.flow_definitions[data["FlowDefinitionName"]].status == "Deleting"


def test_delete_failure_is_reported(framework: Framework, a2i_fake: FakeA2I) -> None:
    props = properties()
    arn, _ = framework.create(props)
    a2i_fake.fail_next("DeleteFlowDefinition", "AccessDeniedException", message="not allowed")
    with pytest.raises(index.FlowDefinitionError, match="AccessDeniedException: not allowed"):
        framework.on_event(cfn_event("Delete", props, physical_id=arn))


# -- waiting, limits and sizes ------------------------------------------------------------------


def test_is_complete_polls_again_after_a_throttle(framework: Framework, a2i_fake: FakeA2I) -> None:
    event = cfn_event("Create", properties())
    a2i_fake.fail_next("DescribeFlowDefinition", "ThrottlingException")
    response, polls = framework.run(event)
    assert polls == 2
    assert response["Data"]["FlowDefinitionName"] == generated_name(event["RequestId"])


def test_responses_stay_far_below_4096_bytes(framework: Framework, a2i_fake: FakeA2I) -> None:
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
    event = cfn_event("Create", props)
    result = framework.on_event(event)
    assert len(json.dumps(result)) < 1024
    done = index.is_complete({**event, **result}, LambdaContext())
    assert done["IsComplete"] is True
    assert len(json.dumps(done)) < 1024
    assert len(result["Data"]["FlowDefinitionName"]) == 63
    # A failure's message (CloudFormation's Reason) is bounded too.
    a2i_fake.fail_flow_definitions("r" * 1024)
    failing = cfn_event("Create", props)
    with pytest.raises(index.FlowDefinitionError) as excinfo:
        framework.run(failing)
    assert len(str(excinfo.value)) <= index.MAX_MESSAGE_LENGTH


def test_is_complete_for_delete_is_immediate(framework: Framework, a2i_fake: FakeA2I) -> None:
    event = cfn_event("Delete", properties(), physical_id="anything")
    assert index.is_complete(event, LambdaContext()) == {"IsComplete": True}
    assert a2i_fake.calls == []
