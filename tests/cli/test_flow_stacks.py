"""``--stack``: the flow's output is found in the stack's nested stacks too.

Against moto's CloudFormation (which creates nested stacks from a ``TemplateURL`` in its S3),
and, for what moto does not play (a page token, a caller without ``ListStackResources``), a
botocore Stubber on a real CloudFormation client, which checks every call and answer against
botocore's model of the service.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from constructs_a2i.cli import _flow
from constructs_a2i.cli._aws import CliError
from constructs_a2i.cli._flow import OUTPUT_DESCRIPTION_PREFIX, flow_arn_from_outputs
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import ACCOUNT, REGION

from .conftest import FLOW_ARN, Run

TEMPLATES_BUCKET = "nested-templates"
OTHER_ARN = FLOW_ARN.replace("review-flow", "other-flow")


def synthesized_outputs() -> tuple[str, dict[str, Any]]:
    """The nested stack's outputs as a real ``FlowDefinition`` writes them, with its path."""
    from aws_cdk import App, Environment, NestedStack, Stack
    from aws_cdk.assertions import Template

    from tests.constructs.test_flow_definition import make_flow

    parent = Stack(App(), "ReviewStack", env=Environment(account=ACCOUNT, region=REGION))
    flows = NestedStack(parent, "Flows")
    flow = make_flow(flows, "Review")
    outputs: dict[str, Any] = Template.from_stack(flows).to_json()["Outputs"]
    return flow.node.path, outputs


def with_value(outputs: dict[str, Any], arn: str) -> dict[str, Any]:
    """``outputs`` with every value the literal ``arn`` (moto cannot run the custom resource)."""
    return {key: {**output, "Value": arn} for key, output in outputs.items()}


def create_nested(cloudformation: Any, name: str, child: dict[str, Any], grandchild: Any) -> None:
    """Stack ``name`` with a nested stack ``Flows`` (``child``), itself nesting ``grandchild``."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=TEMPLATES_BUCKET)
    url = f"https://{TEMPLATES_BUCKET}.s3.amazonaws.com"
    if grandchild is not None:
        s3.put_object(Bucket=TEMPLATES_BUCKET, Key="inner.json", Body=json.dumps(grandchild))
        child = {
            **child,
            "Resources": {
                **child["Resources"],
                "Inner": {
                    "Type": "AWS::CloudFormation::Stack",
                    "Properties": {"TemplateURL": f"{url}/inner.json"},
                },
            },
        }
    s3.put_object(Bucket=TEMPLATES_BUCKET, Key="flows.json", Body=json.dumps(child))
    parent = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Flows": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": f"{url}/flows.json"},
            },
        }
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(parent))


def test_a_flow_in_a_nested_stack_is_found_from_the_parent(
    run: Run, fake: FakeA2I, flow_arn: str
) -> None:
    path, outputs = synthesized_outputs()
    assert path == "ReviewStack/Flows/Review"
    assert [o["Description"] for o in outputs.values()] == [OUTPUT_DESCRIPTION_PREFIX + path]
    child = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": with_value(outputs, flow_arn),
    }
    fake.client("sagemaker-a2i-runtime").start_human_loop(
        HumanLoopName="loop-1",
        FlowDefinitionArn=flow_arn,
        HumanLoopInput={"InputContent": json.dumps({"n": 1})},
    )
    with mock_aws():
        create_nested(
            boto3.client("cloudformation", region_name=REGION), "ReviewStack", child, None
        )
        for construct in (None, "Review", "Flows/Review", "ReviewStack/Flows/Review"):
            extra = ["--construct", construct] if construct else []
            result = run("--output", "json", "loops", "list", "--stack", "ReviewStack", *extra)
            assert result.exit_code == 0, (construct, result.output)
            assert [loop["HumanLoopName"] for loop in json.loads(result.stdout)] == ["loop-1"]
        missing = run("loops", "list", "--stack", "ReviewStack", "--construct", "Nope")
        assert missing.exit_code == 1
        assert "(it has: ReviewStack/Flows/Review)" in missing.stderr


def test_nested_stacks_at_any_depth_are_read() -> None:
    inner = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "OtherFlowDefinitionArn1A2B3C4D": {
                "Value": OTHER_ARN,
                "Description": OUTPUT_DESCRIPTION_PREFIX + "ReviewStack/Flows/Inner/Other",
            }
        },
    }
    child = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "ReviewFlowDefinitionArn5E6F7A8B": {
                "Value": FLOW_ARN,
                "Description": OUTPUT_DESCRIPTION_PREFIX + "ReviewStack/Flows/Review",
            }
        },
    }
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        create_nested(cloudformation, "ReviewStack", child, inner)
        outputs = _flow._stack_outputs(_Clients(cloudformation), "ReviewStack")
    assert flow_arn_from_outputs(outputs, "ReviewStack", "Review") == FLOW_ARN
    assert flow_arn_from_outputs(outputs, "ReviewStack", "Inner/Other") == OTHER_ARN
    with pytest.raises(CliError, match="has 2 flow definitions; pick one with --construct"):
        flow_arn_from_outputs(outputs, "ReviewStack", None)


class _Clients:
    """What ``_stack_outputs`` uses of ``Clients``: a CloudFormation client and the Region."""

    region = REGION

    def __init__(self, cloudformation: Any) -> None:
        self._cloudformation = cloudformation

    def cloudformation(self) -> Any:
        return self._cloudformation


def _stack(name: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": name,
                "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1",
                "CreationTime": "2026-11-01T00:00:00Z",
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": outputs,
            }
        ]
    }


def _nested(logical_id: str, physical_id: str, status: str = "CREATE_COMPLETE") -> dict[str, Any]:
    return {
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": physical_id,
        "ResourceType": "AWS::CloudFormation::Stack",
        "LastUpdatedTimestamp": "2026-11-01T00:00:00Z",
        "ResourceStatus": status,
    }


def test_pages_of_resources_are_followed_and_deleted_nested_stacks_skipped() -> None:
    client = boto3.client("cloudformation", region_name=REGION)
    nested_arn = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ReviewStack-Flows-X/2"
    flow_output = {
        "OutputKey": "ReviewFlowDefinitionArn5E6F7A8B",
        "OutputValue": FLOW_ARN,
        "Description": OUTPUT_DESCRIPTION_PREFIX + "ReviewStack/Flows/Review",
    }
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stacks", _stack("ReviewStack", []), {"StackName": "ReviewStack"}
        )
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [_nested("Old", "old-arn", "DELETE_COMPLETE")],
                "NextToken": "page-2",
            },
            {"StackName": "ReviewStack"},
        )
        stub.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [_nested("Flows", nested_arn)]},
            {"StackName": "ReviewStack", "NextToken": "page-2"},
        )
        stub.add_response(
            "describe_stacks",
            _stack("ReviewStack-Flows-X", [flow_output]),
            {"StackName": nested_arn},
        )
        stub.add_response(
            "list_stack_resources", {"StackResourceSummaries": []}, {"StackName": nested_arn}
        )
        outputs = _flow._stack_outputs(_Clients(client), "ReviewStack")
        stub.assert_no_pending_responses()
    assert outputs == [flow_output]


def test_without_permission_to_list_resources_the_stack_own_outputs_are_read() -> None:
    client = boto3.client("cloudformation", region_name=REGION)
    own = {
        "OutputKey": "ReviewFlowDefinitionArnCEA8801E",
        "OutputValue": FLOW_ARN,
        "Description": OUTPUT_DESCRIPTION_PREFIX + "ReviewStack/Review",
    }
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stacks", _stack("ReviewStack", [own]), {"StackName": "ReviewStack"}
        )
        stub.add_client_error(
            "list_stack_resources",
            service_error_code="AccessDenied",
            service_message="not authorized to perform: cloudformation:ListStackResources",
            http_status_code=403,
            expected_params={"StackName": "ReviewStack"},
        )
        outputs = _flow._stack_outputs(_Clients(client), "ReviewStack")
        stub.assert_no_pending_responses()
    assert flow_arn_from_outputs(outputs, "ReviewStack", None) == FLOW_ARN


def test_a_missing_stack_is_named() -> None:
    with mock_aws():
        client = boto3.client("cloudformation", region_name=REGION)
        with pytest.raises(CliError, match="stack 'Missing' does not exist in us-east-1"):
            _flow._stack_outputs(_Clients(client), "Missing")


def test_exports_and_references_of_the_same_flow_are_one_flow() -> None:
    """A flow used from another stack has a CDK export (and, nested, a reference output) of
    its ARN besides its own output: still one flow."""
    outputs = [
        {
            "OutputKey": "ReviewFlowDefinitionArnCEA8801E",
            "OutputValue": FLOW_ARN,
            "Description": OUTPUT_DESCRIPTION_PREFIX + "ReviewStack/Review",
        },
        {
            "OutputKey": "ExportsOutputFnGetAttReview1A2B3C4DFlowDefinitionArn5E6F7A8B",
            "OutputValue": FLOW_ARN,
            "ExportName": "ReviewStack:ExportsOutputFnGetAttReview1A2B3C4DFlowDefinitionArn",
        },
    ]
    assert flow_arn_from_outputs(outputs, "ReviewStack", None) == FLOW_ARN
    assert flow_arn_from_outputs(outputs, "ReviewStack", "Review") == FLOW_ARN
    # Without its own output (arn_output=False), the export and a nested stack's reference
    # output still name one flow.
    exported = [
        outputs[1],
        {"OutputKey": "ReviewStackReview1A2B3C4DFlowDefinitionArn", "OutputValue": FLOW_ARN},
    ]
    assert flow_arn_from_outputs(exported, "ReviewStack", None) == FLOW_ARN
