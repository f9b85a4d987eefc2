"""HumanLoopStarter, StarterSource, Activation and status-change rules (HumanLoopResults:
test_human_loop_results.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Aws, Duration, Environment, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_a2i import (
    A2IValidationError,
    Activation,
    FlowDefinition,
    HumanLoopStarter,
    StarterSource,
)
from constructs_a2i.runtime.human_loop_starter import index as starter_index
from tests.conftest import TEST_ENV, fixture_json
from tests.constructs.test_flow_definition import make_flow, resources, statements

FLOW_ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/existing-flow"


def new_stack() -> Stack:
    return Stack(App(), "Starter", env=Environment(**TEST_ENV))


def only(template: dict[str, Any], type_: str, where: str = "") -> dict[str, Any]:
    found = [v for k, v in resources(template, type_).items() if where in k]
    assert len(found) == 1, f"expected one {type_} with {where!r}, found {len(found)}"
    return found[0]


def starter_function(template: dict[str, Any]) -> dict[str, Any]:
    return only(template, "AWS::Lambda::Function", "StarterFunction")


@pytest.fixture(scope="module")
def default_starter() -> tuple[Stack, dict[str, Any]]:
    stack = new_stack()
    flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
    HumanLoopStarter(stack, "Starter", flow_definition=flow)
    return stack, Template.from_stack(stack).to_json()


class TestStarterDefaults:
    def test_queue_with_dead_letter_queue_encrypted_tls_only(
        self, default_starter: tuple[Stack, dict[str, Any]]
    ) -> None:
        _, template = default_starter
        queues = resources(template, "AWS::SQS::Queue")
        assert len(queues) == 2
        main_id = next(k for k in queues if "StarterQueue" in k)
        dlq_id = next(k for k in queues if "DeadLetterQueue" in k)
        main = queues[main_id]["Properties"]
        assert main["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": 20,  # DEFAULT_MAX_RECEIVE_COUNT: 2 hours of failures
        }
        assert main["VisibilityTimeout"] == 360  # six times the function's timeout
        for queue in queues.values():
            assert queue["Properties"]["SqsManagedSseEnabled"] is True
        tls = [
            st
            for policy in resources(template, "AWS::SQS::QueuePolicy").values()
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
            if st["Effect"] == "Deny"
            and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(tls) == 2

    def test_function_reports_partial_batch_failures(
        self, default_starter: tuple[Stack, dict[str, Any]]
    ) -> None:
        _, template = default_starter
        mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == 10
        assert "ScalingConfig" not in mapping  # no cap unless asked
        function = starter_function(template)["Properties"]
        assert function["Handler"] == "constructs_a2i.runtime.human_loop_starter.index.handler"
        assert function["Runtime"] == "python3.14"
        assert function["Environment"]["Variables"] == {
            "FLOW_DEFINITION_ARN": FLOW_ARN,
            "MAX_CONCURRENCY": "10",
            "SOURCE_KIND": "sqs",
        }
        assert "ReservedConcurrentExecutions" not in function

    def test_least_privilege(self, default_starter: tuple[Stack, dict[str, Any]]) -> None:
        _, template = default_starter
        sts = statements(template)
        start = [st for st in sts if st["Action"] == "sagemaker:StartHumanLoop"]
        assert start == [
            {"Action": "sagemaker:StartHumanLoop", "Effect": "Allow", "Resource": FLOW_ARN}
        ]
        consume = next(st for st in sts if "sqs:ReceiveMessage" in st["Action"])
        assert consume["Resource"] == {
            "Fn::GetAtt": [
                next(k for k in resources(template, "AWS::SQS::Queue") if "StarterQueue" in k),
                "Arn",
            ]
        }
        for role in resources(template, "AWS::IAM::Role").values():
            assert "ManagedPolicyArns" not in role["Properties"]

    def test_handler_code_is_the_packaged_runtime_with_core(
        self, default_starter: tuple[Stack, dict[str, Any]], tmp_path: Path
    ) -> None:
        stack, template = default_starter
        function = starter_function(template)["Properties"]
        assert function["Handler"] == "constructs_a2i.runtime.human_loop_starter.index.handler"
        assembly = stack.node.root.synth()  # type: ignore[attr-defined]
        [asset] = [
            p
            for p in Path(assembly.directory).iterdir()
            if (p / "constructs_a2i/runtime/human_loop_starter/index.py").is_file()
        ]
        files = {str(f.relative_to(asset)) for f in asset.rglob("*") if f.is_file()}
        assert "constructs_a2i/core/activation.py" in files
        assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
        assert not any(f.startswith("constructs_a2i/cli") for f in files)
        # The function imports from its asset alone: core comes from the asset, not from the
        # package installed here.
        probe = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "import constructs_a2i.runtime.human_loop_starter.index as m;"
            "import constructs_a2i.core.activation as a;"
            "print(m.__file__.startswith(sys.argv[1]) and a.__file__.startswith(sys.argv[1]));"
            "print('aws_cdk' in sys.modules)"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, str(asset)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.split() == ["True", "False"]


class TestStarterOptions:
    def test_memory_size_defaults_to_the_curves_pick_and_is_checked(self) -> None:
        from constructs_a2i.human_loop_starter import STARTER_MEMORY_SIZE

        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        HumanLoopStarter(stack, "Standard", flow_definition=flow)
        HumanLoopStarter(stack, "Small", flow_definition=flow, memory_size=512)
        template = Template.from_stack(stack).to_json()
        sizes = {
            key: function["Properties"]["MemorySize"]
            for key, function in resources(template, "AWS::Lambda::Function").items()
            if key.startswith(("Standard", "Small"))
        }
        assert STARTER_MEMORY_SIZE == 1024
        assert sorted(sizes.values()) == [512, 1024]
        assert next(v for k, v in sizes.items() if k.startswith("Standard")) == 1024
        for bad in (127, 10241):
            with pytest.raises(A2IValidationError, match=rf"memory_size .*128.*10240.*{bad}"):
                HumanLoopStarter(stack, f"Bad{bad}", flow_definition=flow, memory_size=bad)

    def test_options_reach_the_environment(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        HumanLoopStarter(
            stack,
            "Starter",
            flow_definition=flow,
            activation=Activation.below("$.prediction.confidence", 0.8),
            input_content="$.item",
            id_field="$.meta.id",
            content_classifiers=["FreeOfPersonallyIdentifiableInformation"],
            batch_size=5,
            max_batching_window=Duration.seconds(2),
            max_concurrency=4,
            max_concurrent_invocations=3,
            max_receive_count=2,
            loop_name_prefix="text",
            on_conflict="fail",
        )
        template = Template.from_stack(stack).to_json()
        function = starter_function(template)["Properties"]
        variables = function["Environment"]["Variables"]
        assert json.loads(variables["ACTIVATION"]) == {
            "path": "$.prediction.confidence",
            "operator": "lt",
            "value": 0.8,
        }
        assert variables["INPUT_PATH"] == "$.item"
        assert variables["ID_FIELD"] == "$.meta.id"
        assert variables["CONTENT_CLASSIFIERS"] == "FreeOfPersonallyIdentifiableInformation"
        assert variables["MAX_CONCURRENCY"] == "4"
        assert variables["LOOP_NAME_PREFIX"] == "text"
        assert variables["ON_CONFLICT"] == "fail"
        assert "ReservedConcurrentExecutions" not in function
        mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
        assert mapping["BatchSize"] == 5
        assert mapping["MaximumBatchingWindowInSeconds"] == 2
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": 3}
        queue = next(
            q for k, q in resources(template, "AWS::SQS::Queue").items() if "StarterQueue" in k
        )
        assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 2
        # Messages are in flight while a batch gathers: the window adds to 6 x the timeout.
        assert queue["Properties"]["VisibilityTimeout"] == 6 * 60 + 2

    def test_reserved_concurrency_is_deprecated_for_the_event_sources_cap(self) -> None:
        # Reserved concurrency throttles invocations of batches already received: each
        # throttle spends a receive, and a burst sent good messages to the DLQ.
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        HumanLoopStarter(stack, "Starter", flow_definition=flow, reserved_concurrency=5)
        template = Template.from_stack(stack).to_json()
        assert "ReservedConcurrentExecutions" not in starter_function(template)["Properties"]
        mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}
        [warning] = Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp("reserved_concurrency is deprecated")
        )
        assert "max_concurrent_invocations=5" in warning.entry.data

    def test_bring_your_own_queue(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        queue = sqs.Queue(stack, "Mine")
        starter = HumanLoopStarter(
            stack, "Starter", flow_definition=flow, source=StarterSource.sqs(queue)
        )
        assert starter.queue is queue
        assert starter.dead_letter_queue is None
        template = Template.from_stack(stack).to_json()
        assert len(resources(template, "AWS::SQS::Queue")) == 1

    def test_s3_source_routes_object_created_events_into_the_queue(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        bucket = s3.Bucket(stack, "Inputs")
        HumanLoopStarter(
            stack,
            "Starter",
            flow_definition=flow,
            source=StarterSource.s3(bucket, prefix="in/", suffix=".png"),
        )
        template = Template.from_stack(stack).to_json()
        rule = only(template, "AWS::Events::Rule")["Properties"]
        bucket_id = next(iter(resources(template, "AWS::S3::Bucket")))
        assert rule["EventPattern"] == {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {
                "bucket": {"name": [{"Ref": bucket_id}]},
                "object": {"key": [{"wildcard": "in/*.png"}]},
            },
        }
        queue_id = next(k for k in resources(template, "AWS::SQS::Queue") if "StarterQueue" in k)
        assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        # EventBridge notifications are turned on on the bucket itself: no custom resource,
        # no notifications Lambda with an AWS managed policy and a never-expiring log group.
        [bucket] = resources(template, "AWS::S3::Bucket").values()
        assert bucket["Properties"]["NotificationConfiguration"] == {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}
        }
        assert resources(template, "Custom::S3BucketNotifications") == {}
        assert list(resources(template, "AWS::Lambda::Function")) == [
            next(k for k in resources(template, "AWS::Lambda::Function") if "StarterFunction" in k)
        ]
        for role in resources(template, "AWS::IAM::Role").values():
            assert "ManagedPolicyArns" not in role["Properties"]
        for group in resources(template, "AWS::Logs::LogGroup").values():
            assert "RetentionInDays" in group["Properties"]
        allow = [
            st
            for policy in resources(template, "AWS::SQS::QueuePolicy").values()
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
            if st.get("Principal") == {"Service": "events.amazonaws.com"}
        ]
        assert allow and "sqs:SendMessage" in allow[0]["Action"]

    def test_s3_bucket_with_other_notifications_keeps_eventbridge_on(self) -> None:
        # The CDK's notifications resource replaces a bucket's whole configuration: when it
        # manages the bucket, EventBridge must be on in it, not only on the bucket's property.
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        bucket = s3.Bucket(stack, "Inputs")
        HumanLoopStarter(stack, "Starter", flow_definition=flow, source=StarterSource.s3(bucket))
        HumanLoopStarter(  # a second starter on the same bucket changes nothing
            stack, "Other", flow_definition=flow, source=StarterSource.s3(bucket, prefix="b/")
        )
        # Added after the starter: the choice is made at synth, with the app complete.
        bucket.add_event_notification(
            s3.EventType.OBJECT_REMOVED, s3n.SqsDestination(sqs.Queue(stack, "Removed"))
        )
        template = Template.from_stack(stack).to_json()
        [bucket_resource] = resources(template, "AWS::S3::Bucket").values()
        assert "NotificationConfiguration" not in bucket_resource.get("Properties", {})
        [notifications] = resources(template, "Custom::S3BucketNotifications").values()
        configuration = notifications["Properties"]["NotificationConfiguration"]
        assert configuration["EventBridgeConfiguration"] == {}
        assert len(configuration["QueueConfigurations"]) == 1

    def test_s3_imported_bucket_is_left_alone_with_a_warning(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        bucket = s3.Bucket.from_bucket_name(stack, "Theirs", "their-uploads")
        HumanLoopStarter(stack, "Starter", flow_definition=flow, source=StarterSource.s3(bucket))
        template = Template.from_stack(stack).to_json()
        assert resources(template, "Custom::S3BucketNotifications") == {}
        assert resources(template, "AWS::S3::Bucket") == {}
        rule = only(template, "AWS::Events::Rule")["Properties"]
        assert rule["EventPattern"]["detail"]["bucket"] == {"name": ["their-uploads"]}
        [warning] = Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp("turn on its EventBridge notifications")
        )
        assert "Theirs" in warning.entry.data

    @pytest.mark.parametrize(
        ("prefix", "suffix", "key"),
        [("in/", None, {"prefix": "in/"}), (None, ".png", {"suffix": ".png"}), (None, None, None)],
    )
    def test_s3_key_filters(self, prefix: str | None, suffix: str | None, key: Any) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        bucket = s3.Bucket(stack, "Inputs")
        HumanLoopStarter(
            stack,
            "Starter",
            flow_definition=flow,
            source=StarterSource.s3(bucket, prefix=prefix, suffix=suffix),
        )
        detail = only(Template.from_stack(stack).to_json(), "AWS::Events::Rule")["Properties"][
            "EventPattern"
        ]["detail"]
        assert detail.get("object", {}).get("key") == ([key] if key else None)

    def test_event_bridge_source(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
        bus = events.EventBus(stack, "Bus")
        HumanLoopStarter(
            stack,
            "Starter",
            flow_definition=flow,
            source=StarterSource.event_bridge(
                event_pattern=events.EventPattern(source=["my.app"], detail_type=["Prediction"]),
                event_bus=bus,
            ),
        )
        rule = only(Template.from_stack(stack).to_json(), "AWS::Events::Rule")["Properties"]
        assert rule["EventPattern"] == {"source": ["my.app"], "detail-type": ["Prediction"]}
        assert rule["EventBusName"] == {"Ref": next(iter(["BusEA82B648"]))}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_content": "$..bad"}, r"input_content must be a path"),
        ({"id_field": "a[x]"}, r"id_field must be a path"),
        ({"content_classifiers": ["FreeOfMalware"]}, r"content_classifiers items must be one of"),
        ({"batch_size": 11}, r"batch_size must be between 1 and 10; got 11"),
        ({"max_concurrency": 0}, r"max_concurrency must be between 1 and 100; got 0"),
        ({"max_concurrency": 101}, r"max_concurrency must be between 1 and 100; got 101"),
        ({"loop_name_prefix": Aws.STACK_NAME}, r"loop_name_prefix must be known at synth"),
        ({"id_field": Aws.REGION}, r"id_field must be known at synth"),
        ({"reserved_concurrency": 1}, r"reserved_concurrency is deprecated: use max_concurrent_"),
        ({"max_concurrent_invocations": 1}, r"max_concurrent_invocations must be between 2 and"),
        ({"max_concurrent_invocations": 1001}, r"max_concurrent_invocations must be between 2"),
        (
            {"max_concurrent_invocations": 5, "reserved_concurrency": 5},
            r"give only max_concurrent_invocations",
        ),
        ({"on_conflict": "ignore"}, r"on_conflict must be one of \['succeed', 'fail'\]"),
        ({"max_receive_count": 0}, r"max_receive_count must be between 1 and 1000"),
        ({"loop_name_prefix": "Upper"}, r"loop_name_prefix must be 1-20"),
        ({"loop_name_prefix": "x" * 21}, r"loop_name_prefix must be 1-20"),
    ],
)
def test_starter_rejects(kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack()
    flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
    with pytest.raises(A2IValidationError, match=message):
        HumanLoopStarter(stack, "Starter", flow_definition=flow, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": Activation.below("$.score", 1)},
        {"input_content": "$.item"},
        {"id_field": "$.id"},
    ],
)
def test_s3_source_refuses_message_paths(kwargs: dict[str, Any]) -> None:
    stack = new_stack()
    flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
    source = StarterSource.s3(s3.Bucket(stack, "Inputs"))
    with pytest.raises(
        A2IValidationError, match=r"cannot be used with S3 uploads \(StarterSource.s3\(\)\)"
    ):
        HumanLoopStarter(stack, "Starter", flow_definition=flow, source=source, **kwargs)


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        (("$.c", "lt", True), "finite number"),
        (("$.c", "lt", float("nan")), "finite number"),
        (("$.c", "eq", [1, 2]), "JSON scalar"),
        (("$.x", "between", 1), "activation operator must be one of"),
        (("$.", "lt", 1), "activation path must be a path"),
    ],
)
def test_activations_the_lambda_would_refuse_fail_at_synth(
    activation: tuple[Any, ...], message: str
) -> None:
    # Each of these once synthesized, then sent every message to the DLQ or skipped it.
    with pytest.raises(A2IValidationError, match=message):
        Activation(*activation)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(["$.c", "$.my key", "[0].id", "items[0].id", "a..b", "$."]),
    operator=st.sampled_from(["lt", "ge", "eq", "ne", "between"]),
    value=st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=3),
)
def test_a_synthesized_starter_runs_with_exactly_what_the_construct_accepted(
    path: str, operator: str, value: Any
) -> None:
    stack = new_stack()
    flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", FLOW_ARN)
    try:
        HumanLoopStarter(
            stack,
            "Starter",
            flow_definition=flow,
            activation=Activation(path, operator, value),
            id_field=path,
        )
    except A2IValidationError:
        accepted = False
    else:
        accepted = True
    spec = {"path": path, "operator": operator, "value": value}
    lambda_environment = {"FLOW_DEFINITION_ARN": FLOW_ARN, "ACTIVATION": json.dumps(spec)}
    lambda_environment["ID_FIELD"] = path
    try:
        starter_index.load_settings(lambda_environment)
    except starter_index.ConfigurationError:
        assert not accepted
    else:
        assert accepted
    if accepted:
        variables = starter_function(Template.from_stack(stack).to_json())["Properties"][
            "Environment"
        ]["Variables"]
        # The Lambda reads the synthesized environment back without a configuration error.
        settings_read = starter_index.load_settings({**variables, "FLOW_DEFINITION_ARN": FLOW_ARN})
        assert settings_read.activation == Activation(path, operator, value)


class TestStatusChange:
    def pattern(self, flow_arn: str, statuses: list[str] | None = None) -> dict[str, Any]:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", flow_arn)
        queue = sqs.Queue(stack, "Results")
        kwargs: dict[str, Any] = {"target": targets.SqsQueue(queue)}
        if statuses is not None:
            kwargs["statuses"] = statuses
        flow.on_human_loop_status_change("Finished", **kwargs)
        rule = only(Template.from_stack(stack).to_json(), "AWS::Events::Rule")
        return rule["Properties"]["EventPattern"]  # type: ignore[no-any-return]

    def test_pattern_matches_the_sample_event_and_not_another_flow(self) -> None:
        """AWS's example event from "Use Amazon CloudWatch Events in Amazon Augmented AI".

        https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-cloudwatch-events.html, kept as
        tests/fixtures/human-loop-status-change.json.
        """
        sample = fixture_json("human-loop-status-change.json")
        own = self.pattern(sample["detail"]["flowDefinitionArn"])
        other = self.pattern("arn:aws:sagemaker:us-east-1:111111111111:flow-definition/other")
        assert _matches(own, sample)
        assert not _matches(other, sample)
        assert not _matches(self.pattern(sample["detail"]["flowDefinitionArn"], ["Failed"]), sample)

    def test_statuses_are_checked(self) -> None:
        with pytest.raises(A2IValidationError, match=r"statuses must be 1-3 of"):
            self.pattern(FLOW_ARN, ["Done"])

    def test_rule_on_a_created_flow_definition(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        flow.on_human_loop_status_change("Finished")
        rule = only(Template.from_stack(stack).to_json(), "AWS::Events::Rule")
        detail = rule["Properties"]["EventPattern"]["detail"]
        assert detail["flowDefinitionArn"] == [{"Fn::GetAtt": [_cr_id(stack), "FlowDefinitionArn"]}]
        assert detail["humanLoopStatus"] == ["Completed", "Failed", "Stopped"]


def _cr_id(stack: Stack) -> str:
    template = Template.from_stack(stack).to_json()
    return next(k for k, v in template["Resources"].items() if v["Type"].startswith("Custom::"))


def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for the subset the library's patterns use (exact values)."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and _matches(value, event[key]) for key, value in pattern.items()
        )
    if isinstance(pattern, list):
        return event in pattern
    return bool(pattern == event)
