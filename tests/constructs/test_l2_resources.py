"""Flow definitions, human task UIs and work teams behave like aws-cdk-lib's L2 resources.

aws-cdk-lib's ``Bucket`` is the model: ``IBucket`` extends ``IResource`` (``node``, ``stack``,
``env``, ``apply_removal_policy``) and carries every grant; ``node.default_child`` is the L1
(``add_property_override`` reaches it, ``apply_removal_policy`` sets its DeletionPolicy); an
import's ``env`` is its ARN's account and Region; grants go to the grantee's policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import (
    App,
    CfnDeletionPolicy,
    CfnResource,
    CustomResource,
    Environment,
    RemovalPolicies,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct

from constructs_a2i import (
    A2IValidationError,
    FlowDefinition,
    FlowDefinitionBase,
    HumanLoopResults,
    HumanTaskUi,
    IFlowDefinition,
    IHumanTaskUi,
    IWorkteam,
    RequestSource,
    TaskPrice,
    Workteam,
)
from constructs_a2i.cli._flow import OUTPUT_DESCRIPTION_PREFIX
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow

ENV = Environment(**TEST_ENV)
EU_FLOW_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:flow-definition/eu-review"
EU_UI_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:human-task-ui/eu-ui"
EU_TEAM_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:workteam/private-crowd/eu-team"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=ENV)


def flow_resource(template: dict[str, Any]) -> dict[str, Any]:
    (resource,) = [
        r for r in template["Resources"].values() if r["Type"] == "Custom::A2IFlowDefinition"
    ]
    return resource


def statements(template: dict[str, Any], policy: str) -> list[dict[str, Any]]:
    (found,) = [
        r
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and k.startswith(policy)
    ]
    result: list[dict[str, Any]] = found["Properties"]["PolicyDocument"]["Statement"]
    return result


def reader(stack: Stack) -> iam.Role:
    return iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())


class TestTheCfnResource:
    def test_default_child_is_the_custom_resource_and_overrides_reach_it(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        child = flow.node.default_child
        assert isinstance(child, CfnResource) and child is flow.resource
        assert child.cfn_resource_type == "Custom::A2IFlowDefinition"
        child.add_property_override("Definition.HumanLoopConfig.TaskCount", 2)
        resource = flow_resource(Template.from_stack(stack).to_json())
        assert resource["Properties"]["Definition"]["HumanLoopConfig"]["TaskCount"] == 2
        assert resource["Properties"]["ServiceTimeout"] == "1800"

    def test_the_logical_id_is_the_one_of_the_custom_resource_l2(self) -> None:
        """The L1 moved from Resource/Default to Resource: CDK leaves "Default" out of
        logical ids, so deployed flow definitions keep theirs."""
        stack = new_stack()
        flow = make_flow(stack)
        before = Stack(App(), "TestStack", env=ENV)
        old = CustomResource(
            Construct(before, "Flow"), "Resource", service_token="arn:aws:lambda:x"
        )
        assert stack.resolve(stack.get_logical_id(flow.resource)) == before.resolve(
            before.get_logical_id(old.node.default_child)  # type: ignore[arg-type]
        )


class TestRemovalPolicy:
    @pytest.mark.parametrize(
        ("policy", "deletion", "replace", "handler"),
        [
            (RemovalPolicy.RETAIN, "Retain", "Retain", "retain"),
            (RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, "RetainExceptOnCreate", "Retain", "retain"),
            (RemovalPolicy.DESTROY, "Delete", "Delete", "destroy"),
        ],
    )
    def test_apply_removal_policy_and_the_prop_agree_with_the_handler(
        self, policy: RemovalPolicy, deletion: str, replace: str, handler: str
    ) -> None:
        applied = new_stack()
        make_flow(applied).apply_removal_policy(policy)
        by_prop = new_stack()
        make_flow(by_prop, removal_policy=policy)
        for stack in (applied, by_prop):
            resource = flow_resource(Template.from_stack(stack).to_json())
            assert resource["DeletionPolicy"] == deletion
            assert resource["UpdateReplacePolicy"] == replace
            assert resource["Properties"]["RemovalPolicy"] == handler

    def test_the_handler_follows_the_deletion_policy_however_it_was_set(self) -> None:
        stack = new_stack()
        flow = make_flow(stack, removal_policy=RemovalPolicy.RETAIN)
        flow.apply_removal_policy(RemovalPolicy.DESTROY)
        assert flow_resource(Template.from_stack(stack).to_json())["Properties"][
            "RemovalPolicy"
        ] == ("destroy")
        stack = new_stack()
        make_flow(stack)
        RemovalPolicies.of(stack).retain()
        resource = flow_resource(Template.from_stack(stack).to_json())
        assert (resource["DeletionPolicy"], resource["Properties"]["RemovalPolicy"]) == (
            "Retain",
            "retain",
        )
        stack = new_stack()
        make_flow(stack).resource.cfn_options.deletion_policy = CfnDeletionPolicy.RETAIN
        assert flow_resource(Template.from_stack(stack).to_json())["Properties"][
            "RemovalPolicy"
        ] == ("retain")

    def test_snapshot_is_refused(self) -> None:
        flow = make_flow(new_stack())
        with pytest.raises(A2IValidationError, match="no snapshot"):
            flow.apply_removal_policy(RemovalPolicy.SNAPSHOT)
        with pytest.raises(A2IValidationError, match="no snapshot"):
            make_flow(new_stack(), removal_policy=RemovalPolicy.SNAPSHOT)
        stack = new_stack()
        make_flow(stack).resource.cfn_options.deletion_policy = CfnDeletionPolicy.SNAPSHOT
        with pytest.raises(Exception, match="it has no snapshot"):
            Template.from_stack(stack)

    def test_a_human_task_ui_takes_one_too(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        ui = stack.node.find_child("FlowUi")
        assert isinstance(ui, HumanTaskUi) and flow is not None
        ui.apply_removal_policy(RemovalPolicy.RETAIN)
        template = Template.from_stack(stack).to_json()
        (resource,) = [
            r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::HumanTaskUi"
        ]
        assert resource["DeletionPolicy"] == "Retain"


class TestInterfaces:
    def test_created_and_imported_resources_are_iresources(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        imports: list[tuple[Any, type]] = [
            (flow, IFlowDefinition),
            (FlowDefinition.from_flow_definition_arn(stack, "F", EU_FLOW_ARN), IFlowDefinition),
            (FlowDefinition.from_flow_definition_name(stack, "N", "by-name"), IFlowDefinition),
            (stack.node.find_child("FlowUi"), IHumanTaskUi),
            (HumanTaskUi.from_human_task_ui_arn(stack, "U", EU_UI_ARN), IHumanTaskUi),
            (Workteam.from_workteam_arn(stack, "T", EU_TEAM_ARN), IWorkteam),
            (Workteam.public_crowd(stack, "C", task_price=TaskPrice.usd("0.036")), IWorkteam),
        ]
        for resource, interface in imports:
            assert isinstance(resource, interface), resource
            assert resource.stack is stack and resource.node.scope is stack
            assert resource.env.region is not None and resource.env.account is not None

    def test_the_flow_interface_carries_every_grant(self) -> None:
        grants = {name for name in dir(FlowDefinitionBase) if name.startswith("grant")}
        assert grants >= {
            "grant",
            "grant_start_human_loop",
            "grant_manage_human_loops",
            "grant_read_results",
            "grant_textract_analyze_document",
            "grant_rekognition_detect_moderation_labels",
        }
        for name in [
            *sorted(grants),
            "output_bucket",
            "output_prefix",
            "encryption_key",
            "human_loop_status_change_pattern",
            "on_human_loop_status_change",
            "node",
            "stack",
            "env",
            "apply_removal_policy",
        ]:
            assert hasattr(IFlowDefinition, name), name

    def test_imports_take_their_account_and_region_from_the_arn(self) -> None:
        stack = new_stack()
        for imported in (
            FlowDefinition.from_flow_definition_arn(stack, "Flow", EU_FLOW_ARN),
            HumanTaskUi.from_human_task_ui_arn(stack, "Ui", EU_UI_ARN),
            Workteam.from_workteam_arn(stack, "Team", EU_TEAM_ARN),
        ):
            assert (imported.env.region, imported.env.account) == ("eu-west-1", "210987654321")
        by_name = FlowDefinition.from_flow_definition_name(stack, "ByName", "here")
        assert (by_name.env.region, by_name.env.account) == ("us-east-1", "123456789012")
        ui = HumanTaskUi.from_human_task_ui_arn(stack, "Ui2", EU_UI_ARN)
        assert ui.human_task_ui_name == "eu-ui"

    def test_managing_an_imported_flows_loops_is_granted_in_its_region(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", EU_FLOW_ARN)
        flow.grant_manage_human_loops(reader(stack))
        loops = next(
            st
            for st in statements(Template.from_stack(stack).to_json(), "ReaderDefaultPolicy")
            if "sagemaker:StopHumanLoop" in st["Action"]
        )
        assert loops["Resource"] == {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":sagemaker:eu-west-1:210987654321:human-loop/*",
                ],
            ]
        }


class TestGrants:
    def test_grant_any_action(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        ui = HumanTaskUi.from_human_task_ui_arn(stack, "Ui", EU_UI_ARN)
        team = Workteam.from_workteam_arn(stack, "Team", EU_TEAM_ARN)
        role = reader(stack)
        flow.grant(role, "sagemaker:DescribeFlowDefinition")
        ui.grant(role, "sagemaker:DescribeHumanTaskUi")
        team.grant(role, "sagemaker:DescribeWorkteam")
        template = Template.from_stack(stack).to_json()
        flow_id = next(
            k for k, r in template["Resources"].items() if r["Type"] == "Custom::A2IFlowDefinition"
        )
        assert statements(template, "ReaderDefaultPolicy") == [
            {
                "Action": "sagemaker:DescribeFlowDefinition",
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [flow_id, "FlowDefinitionArn"]},
            },
            {"Action": "sagemaker:DescribeHumanTaskUi", "Effect": "Allow", "Resource": EU_UI_ARN},
            {"Action": "sagemaker:DescribeWorkteam", "Effect": "Allow", "Resource": EU_TEAM_ARN},
        ]

    def test_integration_grants_on_an_import(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", EU_FLOW_ARN)
        role = reader(stack)
        flow.grant_textract_analyze_document(role)
        flow.grant_rekognition_detect_moderation_labels(role)
        template = Template.from_stack(stack).to_json()
        actions = {st["Action"] for st in statements(template, "ReaderDefaultPolicy")}
        assert actions == {
            "textract:AnalyzeDocument",
            "sagemaker:StartHumanLoop",
            "rekognition:DetectModerationLabels",
        }

    def test_reading_an_imports_results_needs_its_bucket(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_arn(stack, "Flow", EU_FLOW_ARN)
        assert (flow.output_bucket, flow.output_prefix, flow.encryption_key) == (None, None, None)
        with pytest.raises(A2IValidationError, match="from_flow_definition_attributes"):
            flow.grant_read_results(reader(stack))
        with pytest.raises(A2IValidationError, match="from_flow_definition_attributes"):
            HumanLoopResults(
                stack, "Results", flow_definition=flow, destination=sqs.Queue(stack, "Q")
            )
        with pytest.raises(A2IValidationError, match="give output_bucket"):
            FlowDefinition.from_flow_definition_attributes(
                stack, "Partial", flow_definition_arn=EU_FLOW_ARN, output_prefix="reviews"
            )

    def test_an_import_with_its_bucket_and_key_grants_reading_its_results(self) -> None:
        stack = new_stack()
        flow = FlowDefinition.from_flow_definition_attributes(
            stack,
            "Flow",
            flow_definition_arn="arn:aws:sagemaker:us-east-1:123456789012:flow-definition/f",
            output_bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "my-results"),
            output_prefix="/reviews/",
            output_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
        )
        assert flow.output_prefix == "reviews"
        flow.grant_read_results(reader(stack))
        HumanLoopResults(stack, "Results", flow_definition=flow, destination=sqs.Queue(stack, "Q"))
        template = Template.from_stack(stack).to_json()
        read = statements(template, "ReaderDefaultPolicy")
        assert [(st["Action"], st["Resource"]) for st in read] == [
            (
                "s3:GetObject",
                {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-results/reviews/*"],
                    ]
                },
            ),
            (
                "s3:ListBucket",
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-results"]]},
            ),
            ("kms:Decrypt", KEY_ARN),
        ]
        results = statements(template, "ResultsRoleDefaultPolicy")
        assert any(st["Action"] == "s3:GetObject" for st in results)
        assert any("kms:Decrypt" in st["Action"] for st in results)

    def test_without_a_key_the_buckets_own_or_none(self) -> None:
        stack = new_stack()
        key = kms.Key(stack, "BucketKey", enable_key_rotation=True)
        with_key = FlowDefinition.from_flow_definition_attributes(
            stack,
            "WithKey",
            flow_definition_arn=EU_FLOW_ARN,
            output_bucket=s3.Bucket(stack, "Kms", encryption_key=key),
        )
        assert with_key.encryption_key is key and with_key.output_prefix == "a2i-output"
        s3_managed = FlowDefinition.from_flow_definition_attributes(
            stack,
            "S3Managed",
            flow_definition_arn=EU_FLOW_ARN,
            output_bucket=s3.Bucket.from_bucket_name(stack, "Plain", "plain-results"),
        )
        s3_managed.grant_read_results(reader(stack))
        template = Template.from_stack(stack).to_json()
        actions = [st["Action"] for st in statements(template, "ReaderDefaultPolicy")]
        assert actions == ["s3:GetObject", "s3:ListBucket"]

    def test_grants_check_the_request_source_of_created_flows_only(self) -> None:
        stack = new_stack()
        created = make_flow(stack, request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        with pytest.raises(A2IValidationError, match="request_source"):
            created.grant_rekognition_detect_moderation_labels(reader(stack))


class TestArnOutput:
    def test_one_output_by_default_for_the_a2i_command(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        outputs = Template.from_stack(stack).to_json()["Outputs"]
        assert [o["Description"] for o in outputs.values()] == [
            OUTPUT_DESCRIPTION_PREFIX + flow.node.path
        ]

    def test_none_with_arn_output_false(self) -> None:
        stack = new_stack()
        make_flow(stack, arn_output=False)
        assert "Outputs" not in Template.from_stack(stack).to_json()
