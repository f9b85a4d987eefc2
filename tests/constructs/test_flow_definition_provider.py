"""Template assertions for the one flow-definition provider function per stack."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Stage
from aws_cdk.assertions import Template

from constructs_a2i import FLOW_DEFINITION_RESOURCE_TYPE, FlowDefinition
from constructs_a2i.flow_definition_provider import FUNCTION_TIMEOUT, SERVICE_TIMEOUT
from tests.conftest import ROOT, TEST_ENV
from tests.constructs.test_flow_definition import (
    as_list,
    make_flow,
    new_stack,
    only,
    resources,
    statements,
)

HANDLER = "constructs_a2i.runtime.flow_definition_provider.index.handler"
# The function's logical id is that of the previous design's entry point (the CDK
# Provider framework's onEvent function): the ARN, every flow's ServiceToken, stays put.
FUNCTION_LOGICAL_ID = "A2IFlowDefinitionProviderframeworkonEvent543F6B1D"
PROVIDER_PREFIX = "A2IFlowDefinitionProvider"


@pytest.fixture(scope="module")
def default_flow() -> tuple[FlowDefinition, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(stack)
    return flow, Template.from_stack(stack).to_json()


def manage_statement(template: dict[str, Any]) -> dict[str, Any]:
    found = [st for st in statements(template) if "sagemaker:CreateFlowDefinition" in st["Action"]]
    assert len(found) == 1
    return found[0]


def granted_names(template: dict[str, Any]) -> list[str]:
    """The flow-definition name patterns the provider may manage."""
    out = []
    for resource in as_list(manage_statement(template)["Resource"]):
        parts = resource["Fn::Join"][1]
        assert parts[:2] == ["arn:", {"Ref": "AWS::Partition"}]
        tail = "".join(parts[2:])
        home = f":sagemaker:{TEST_ENV['region']}:{TEST_ENV['account']}:flow-definition/"
        assert tail.startswith(home), tail
        out.append(tail.removeprefix(home))
    return out


def test_one_function_runs_the_handler_on_the_latest_python(
    default_flow: tuple[FlowDefinition, dict[str, Any]],
) -> None:
    _, template = default_flow
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Handler"] == HANDLER
    assert function["Runtime"] == "python3.14"
    assert function["Timeout"] == FUNCTION_TIMEOUT.to_seconds() == 900
    assert function["MemorySize"] == 256
    group = only(template, "AWS::Logs::LogGroup")
    assert group["Properties"]["RetentionInDays"] == 90
    assert function["LoggingConfig"]["LogGroup"] == {
        "Ref": next(iter(resources(template, "AWS::Logs::LogGroup")))
    }


def test_the_function_is_the_service_token_and_keeps_its_logical_id(
    default_flow: tuple[FlowDefinition, dict[str, Any]],
) -> None:
    _, template = default_flow
    assert list(resources(template, "AWS::Lambda::Function")) == [FUNCTION_LOGICAL_ID]
    flow = only(template, FLOW_DEFINITION_RESOURCE_TYPE)
    assert flow["Properties"]["ServiceToken"] == {"Fn::GetAtt": [FUNCTION_LOGICAL_ID, "Arn"]}
    # CloudFormation stops waiting only well after the function has answered.
    assert int(flow["Properties"]["ServiceTimeout"]) == SERVICE_TIMEOUT.to_seconds()
    assert SERVICE_TIMEOUT.to_seconds() >= 2 * FUNCTION_TIMEOUT.to_seconds()


def test_no_state_machine_and_nothing_that_logs_the_response_url(
    default_flow: tuple[FlowDefinition, dict[str, Any]],
) -> None:
    _, template = default_flow
    text = json.dumps(template)
    assert not any(
        r["Type"].startswith("AWS::StepFunctions::") for r in template["Resources"].values()
    )
    assert "ResponseURL" not in text
    assert "IncludeExecutionData" not in text
    assert "states:" not in text


def test_the_provider_is_four_resources(
    default_flow: tuple[FlowDefinition, dict[str, Any]],
) -> None:
    _, template = default_flow
    provider = sorted(
        v["Type"] for k, v in template["Resources"].items() if k.startswith(PROVIDER_PREFIX)
    )
    assert provider == [
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
    ]


def test_the_function_may_manage_only_this_stacks_flow_names_and_pass_their_roles(
    default_flow: tuple[FlowDefinition, dict[str, Any]],
) -> None:
    flow, template = default_flow
    manage = manage_statement(template)
    assert sorted(as_list(manage["Action"])) == [
        "sagemaker:AddTags",
        "sagemaker:CreateFlowDefinition",
        "sagemaker:DeleteFlowDefinition",
        "sagemaker:DeleteTags",
        "sagemaker:DescribeFlowDefinition",
        "sagemaker:ListTags",
    ]
    assert granted_names(template) == ["teststack-*"]
    prefix = only(template, FLOW_DEFINITION_RESOURCE_TYPE)["Properties"]["FlowDefinitionNamePrefix"]
    assert fnmatch.fnmatchcase(f"{prefix}-0a1b2c3d", "teststack-*")
    pass_roles = [st for st in statements(template) if st["Action"] == "iam:PassRole"]
    role_id = Stack.of(flow).resolve(flow.role.role_arn)
    assert pass_roles == [
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": role_id,
        }
    ]
    # The provider's role is the library's own: no AWS managed policy anywhere.
    for role in resources(template, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    # It waits for its policy, so a new flow's name and role are allowed before its create.
    function = only(template, "AWS::Lambda::Function")
    assert any(
        dep.startswith(f"{PROVIDER_PREFIX}HandlerRoleDefaultPolicy")
        for dep in function["DependsOn"]
    )


def test_fixed_names_are_granted_one_by_one() -> None:
    stack = new_stack()
    make_flow(stack, "Fixed", flow_definition_name="my-review")
    make_flow(stack, "Other", flow_definition_name="other-review")
    make_flow(stack, "Generated")
    make_flow(stack, "Generated2")
    template = Template.from_stack(stack).to_json()
    assert sorted(granted_names(template)) == ["my-review", "other-review", "teststack-*"]


@pytest.mark.parametrize(
    ("stage", "stack_name"),
    [
        (None, "Short"),
        ("Prod", "Review-Stack"),
        (None, "AVeryLongStackNameThatGoesOnAndOnBeyondFortyFiveCharacters"),
        ("A-Stage-With-A-Name", "AndAStackWhoseNameTogetherIsLongerThan45"),
        (None, "Stack-With-Trailing-"),
    ],
)
def test_every_generated_name_is_among_the_granted_ones(stage: str | None, stack_name: str) -> None:
    app = App()
    scope = Stage(app, stage) if stage else app
    stack = Stack(scope, stack_name, env=Environment(**TEST_ENV))
    make_flow(stack, "Flow")
    make_flow(stack, "AnotherFlowWithAVeryLongConstructIdIndeed")
    template = Template.from_stack(stack).to_json()
    (pattern,) = granted_names(template)
    assert pattern != "*"
    for flow in resources(template, FLOW_DEFINITION_RESOURCE_TYPE).values():
        prefix = flow["Properties"]["FlowDefinitionNamePrefix"]
        assert fnmatch.fnmatchcase(f"{prefix}-0a1b2c3d", pattern), (prefix, pattern)


def test_one_provider_function_per_stack_with_one_or_three_flows() -> None:
    one, three = new_stack(), new_stack()
    make_flow(one)
    for index in range(3):
        make_flow(three, f"Flow{index}")
    t1, t3 = Template.from_stack(one).to_json(), Template.from_stack(three).to_json()
    assert len(resources(t3, FLOW_DEFINITION_RESOURCE_TYPE)) == 3
    for template in (t1, t3):
        assert list(resources(template, "AWS::Lambda::Function")) == [FUNCTION_LOGICAL_ID]
        assert not resources(template, "AWS::StepFunctions::StateMachine")
        provider = [k for k in template["Resources"] if k.startswith(PROVIDER_PREFIX)]
        assert len(provider) == 4
    tokens = {
        json.dumps(r["Properties"]["ServiceToken"])
        for r in resources(t3, FLOW_DEFINITION_RESOURCE_TYPE).values()
    }
    assert len(tokens) == 1
    # Each flow's role may be passed; no other. Generated names share one pattern.
    pass_roles = [st for st in statements(t3) if st["Action"] == "iam:PassRole"]
    assert len(pass_roles) == 1, "one statement lists every flow's role"
    flow_roles = sorted(k for k in resources(t3, "AWS::IAM::Role") if k.startswith("Flow"))
    assert len(flow_roles) == 3
    assert sorted(r["Fn::GetAtt"][0] for r in pass_roles[0]["Resource"]) == flow_roles
    assert pass_roles[0]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert granted_names(t3) == ["teststack-*"]


def test_the_lambda_runtime_is_looked_up_on_first_use() -> None:
    # Reading Runtime.PYTHON_3_14 is a call into the jsii kernel: not at import.
    code = (
        "import constructs_a2i.packaged_function as packaged\n"
        "assert packaged.handler_runtime.cache_info().currsize == 0\n"
        "assert packaged.HANDLER_RUNTIME.name == 'python3.14'\n"
        "assert packaged.handler_runtime.cache_info().currsize == 1\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
