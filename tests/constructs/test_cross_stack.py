"""A flow in one stack, its consumers in another: sibling stacks, a nested stack and its parent.

What a consumer adds (``HumanLoopResults``, a rule from ``on_human_loop_status_change`` with
``cross_stack_scope``, grants, ``InputBucket.prepare`` of a bucket the flow's stack depends on)
is created on the consumer's side, so every scenario synthesizes without a dependency cycle
(CDK's ``DependencyCycle`` between top-level stacks, CloudFormation's circular dependency,
cfn-lint E3004, between a nested stack and its parent). Each scenario is synthesized without
feature flags and under aws-cdk-lib's recommended flags (cdk.json's context), with the
AwsSolutions checks: the library's own acknowledgments hold wherever the pieces live.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aws_cdk import App, Environment, NestedStack, Stack, Validations
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from constructs_a2i import FlowDefinition, HumanLoopResults, InputBucket
from constructs_a2i.nag import acknowledge, acknowledge_resource, flatten_cfn_reference
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow
from tests.lint import cfn_lint_errors
from tests.test_feature_flags import cdk_json_context

ENV = Environment(**TEST_ENV)
FLAGS = {"no flags": {}, "recommended flags": cdk_json_context()}


class Consumer(Construct):
    """What an application adds around someone else's flow, all in its own scope."""

    def __init__(self, scope: Construct, id: str, flow: FlowDefinition) -> None:
        super().__init__(scope, id)
        dead_letters = sqs.Queue(
            self, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True
        )
        self.queue = sqs.Queue(
            self,
            "Answers",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
        )
        self.results = HumanLoopResults(
            self, "Results", flow_definition=flow, destination=self.queue
        )
        # The same flow's events to a queue of this consumer, by the flow's own helper.
        self.rule = flow.on_human_loop_status_change(
            "Ended",
            target=targets.SqsQueue(self.queue),
            statuses=["Failed", "Stopped"],
            cross_stack_scope=self,
        )
        self.caller = iam.Role(
            self, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
        )
        flow.grant_start_human_loop(self.caller)
        flow.grant_read_results(self.caller)
        # A consumer acknowledges its own grant's wildcard the way the library does.
        acknowledge_resource(
            self.caller,
            flow.output_bucket.arn_for_objects(f"{flow.output_prefix}/*"),
            "The caller reads the output.json files A2I writes under keys it chooses below "
            "the flow's output prefix; nothing else in the bucket.",
        )


def input_bucket(scope: Construct) -> s3.Bucket:
    logs = s3.Bucket(scope, "InputLogs", enforce_ssl=True)
    acknowledge(
        logs,
        "AwsSolutions-S1",
        "The access-log bucket of the input bucket (test scaffolding, not the library's).",
    )
    return s3.Bucket(
        scope,
        "Inputs",
        enforce_ssl=True,
        server_access_logs_bucket=logs,
        server_access_logs_prefix="inputs/",
    )


class Scenario(NamedTuple):
    app: App
    flow: FlowDefinition
    flow_stack: Stack
    consumer_stack: Stack
    stacks: list[Stack]


def sibling_stacks(app: App) -> Scenario:
    """Inputs in stack Data, the flow in stack Flows, the consumer in stack Consumers."""
    data = Stack(app, "Data", env=ENV)
    flows = Stack(app, "Flows", env=ENV)
    consumers = Stack(app, "Consumers", env=ENV)
    flow = make_flow(flows, "Review")
    InputBucket.prepare(input_bucket(data), flow, prefix="incoming/")
    Consumer(consumers, "App", flow)
    return Scenario(app, flow, flows, consumers, [data, flows, consumers])


def flow_in_a_nested_stack(app: App) -> Scenario:
    """The flow in a nested stack, the consumer in its parent."""
    parent = Stack(app, "Parent", env=ENV)
    nested = NestedStack(parent, "Flows")
    flow = make_flow(nested, "Review")
    InputBucket.prepare(input_bucket(nested), flow, prefix="incoming/")
    Consumer(parent, "App", flow)
    return Scenario(app, flow, nested, parent, [parent, nested])


def consumer_in_a_nested_stack(app: App) -> Scenario:
    """The flow in the parent, the consumer in a nested stack."""
    parent = Stack(app, "Parent", env=ENV)
    nested = NestedStack(parent, "Consumers")
    flow = make_flow(parent, "Review")
    InputBucket.prepare(input_bucket(parent), flow, prefix="incoming/")
    Consumer(nested, "App", flow)
    return Scenario(app, flow, parent, nested, [parent, nested])


SCENARIOS: dict[str, Callable[[App], Scenario]] = {
    "sibling stacks": sibling_stacks,
    "flow in a nested stack": flow_in_a_nested_stack,
    "consumer in a nested stack": consumer_in_a_nested_stack,
}


def synthesized(build: Callable[[App], Scenario], flags: dict[str, Any], outdir: Path) -> Any:
    """Synthesize with the AwsSolutions checks; (scenario, templates by file, violations)."""
    scenario = build(App(outdir=str(outdir), context=flags))
    Validations.of(scenario.app).add_plugins(AwsSolutionsChecks(scenario.app))
    try:
        scenario.app.synth()
    except Exception as error:  # the CDK raises when a validation plugin reports errors
        if "ValidationFailed" not in str(error):
            raise
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    violations = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    templates = {p.name: json.loads(p.read_text()) for p in outdir.glob("*.template.json")}
    return scenario, templates, violations


@pytest.mark.parametrize("flags", sorted(FLAGS))
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_consumers_in_another_stack(name: str, flags: str, tmp_path: Path) -> None:
    scenario, templates, violations = synthesized(SCENARIOS[name], FLAGS[flags], tmp_path)

    assert violations == []
    nested = sum(1 for file in templates if file.endswith(".nested.template.json"))
    assert len(templates) == len(scenario.stacks) and nested == (name != "sibling stacks")
    for file, template in templates.items():
        errors = cfn_lint_errors(template)
        assert [e for e in errors if e.startswith("E3004")] == [], file  # circular dependency
        assert errors == [], file

    by_stack = {s.node.path: Template.from_stack(s).to_json() for s in scenario.stacks}
    flow_side = by_stack[scenario.flow_stack.node.path]
    consumer_side = by_stack[scenario.consumer_stack.node.path]
    # Both rules (the results construct's, the helper's with cross_stack_scope) are the
    # consumer's; the flow's stack gained none.
    rules = [r for r in consumer_side["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 2
    assert not [r for r in flow_side["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    # Each matches the flow's ARN as the consumer's stack reads it (an import, a parameter
    # or a nested stack's output).
    arn = scenario.consumer_stack.resolve(scenario.flow.flow_definition_arn)
    assert arn != scenario.flow_stack.resolve(scenario.flow.flow_definition_arn)
    for rule in rules:
        assert rule["Properties"]["EventPattern"]["detail"]["flowDefinitionArn"] == [arn]


def test_two_results_constructs_with_one_id_follow_one_flow() -> None:
    stack = Stack(App(), "Review", env=ENV)
    flow = make_flow(stack)
    for team in ("TeamA", "TeamB"):
        scope = Construct(stack, team)
        queue = sqs.Queue(scope, "Answers")
        HumanLoopResults(scope, "Results", flow_definition=flow, destination=queue)
    template = Template.from_stack(stack).to_json()
    rules = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule"}
    assert len(rules) == 2
    assert all(k.startswith(("TeamAResultsRule", "TeamBResultsRule")) for k in rules)


def test_the_helper_keeps_the_rule_beside_the_flow_without_cross_stack_scope() -> None:
    """As aws-cdk-lib's onEvent helpers: the flow's scope by default, and also when the
    cross_stack_scope is in the flow's own stack."""
    app = App()
    flows = Stack(app, "Flows", env=ENV)
    flow = make_flow(flows, "Review")
    default = flow.on_human_loop_status_change("Default")
    same_stack = flow.on_human_loop_status_change("Same", cross_stack_scope=Construct(flows, "C"))
    other = flow.on_human_loop_status_change(
        "Other", cross_stack_scope=Construct(Stack(app, "Other", env=ENV), "C")
    )
    assert default.node.scope is flow and same_stack.node.scope is flow
    assert Stack.of(other).node.path == "Other"
    assert other.node.path == "Other/C/Other"


@pytest.mark.parametrize(
    ("resolved", "flattened"),
    [
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"),
        ({"Fn::GetAtt": ["Bucket1", "Arn"]}, "<Bucket1.Arn>"),
        ({"Ref": "AWS::Partition"}, "<AWS::Partition>"),
        (
            {"Fn::ImportValue": "Flows:ExportsOutputFnGetAttB1Arn"},
            "Flows:ExportsOutputFnGetAttB1Arn",
        ),
        (
            {"Fn::Join": ["", [{"Fn::GetAtt": ["N", "Outputs.X"]}, "/a2i-output/*"]]},
            "<N.Outputs.X>/a2i-output/*",
        ),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}, "arn:<AWS::Partition>:s3:::b/*"),
        ({"Fn::Select": [0, ["a", "b"]]}, '{"Fn::Select":[0,["a","b"]]}'),
    ],
)
def test_resources_are_flattened_as_cdk_nag_flattens_them(resolved: Any, flattened: str) -> None:
    assert flatten_cfn_reference(resolved) == flattened
