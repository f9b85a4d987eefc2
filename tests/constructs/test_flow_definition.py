"""Template assertions for FlowDefinition and its secure defaults."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs_a2i import (
    FLOW_DEFINITION_RESOURCE_TYPE,
    FlowDefinition,
    HumanTaskUi,
    TaskTemplate,
    Workteam,
)
from constructs_a2i.validation import NAME_PATTERN
from tests.conftest import TEAM_ARN, TEST_ENV

TEMPLATE_HTML = "<crowd-form><p>{{ task.input.text }}</p></crowd-form>"


def make_flow(stack: Stack, id: str = "Flow", **overrides: Any) -> FlowDefinition:
    props: dict[str, Any] = {
        "workteam": Workteam.from_workteam_arn(stack, f"{id}Team", TEAM_ARN),
        "human_task_ui": HumanTaskUi(
            stack, f"{id}Ui", template=TaskTemplate.from_string(TEMPLATE_HTML)
        ),
        "task_title": "Review low-confidence labels",
        "task_description": "Confirm or correct the label the model chose",
    }
    props.update(overrides)
    return FlowDefinition(stack, id, **props)


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=Environment(**TEST_ENV))


def resources(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every IAM policy statement of every AWS::IAM::Policy in the template."""
    out: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def default_flow() -> tuple[FlowDefinition, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(stack)
    return flow, Template.from_stack(stack).to_json()


class TestCustomResource:
    def test_definition_carries_every_setting(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        props = only(template, FLOW_DEFINITION_RESOURCE_TYPE)["Properties"]
        config = props["Definition"]["HumanLoopConfig"]
        assert config["WorkteamArn"] == TEAM_ARN
        assert config["TaskTitle"] == "Review low-confidence labels"
        assert config["TaskDescription"] == "Confirm or correct the label the model chose"
        assert config["TaskCount"] == 1
        assert config["TaskTimeLimitInSeconds"] == 3600  # the documented default: 1 hour
        assert "TaskAvailabilityLifetimeInSeconds" not in config
        assert "TaskKeywords" not in config
        assert config["HumanTaskUiArn"] == {
            "Fn::GetAtt": [_logical_id(template, "AWS::SageMaker::HumanTaskUi"), "HumanTaskUiArn"]
        }
        assert props["Definition"]["RoleArn"] == {
            "Fn::GetAtt": [_logical_id(template, "AWS::IAM::Role", "FlowRole"), "Arn"]
        }
        assert props["RemovalPolicy"] == "destroy"

    def test_generated_name_prefix_is_valid_and_leaves_room_for_the_suffix(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        props = only(template, FLOW_DEFINITION_RESOURCE_TYPE)["Properties"]
        prefix = props["FlowDefinitionNamePrefix"]
        assert "FlowDefinitionName" not in props
        assert NAME_PATTERN.match(prefix)
        assert len(prefix) + len("-12345678") <= 63
        assert prefix.startswith("teststack-flow-")

    def test_output_goes_to_the_new_bucket_under_the_prefix_with_the_key(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        output = only(template, FLOW_DEFINITION_RESOURCE_TYPE)["Properties"]["Definition"][
            "OutputConfig"
        ]
        bucket_id = _logical_id(template, "AWS::S3::Bucket", "FlowOutputBucket")
        key_id = _logical_id(template, "AWS::KMS::Key")
        assert output["S3OutputPath"] == {
            "Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/a2i-output"]]
        }
        assert output["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}

    def test_resource_is_deleted_with_the_stack_and_bounded_in_time(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        resource = only(template, FLOW_DEFINITION_RESOURCE_TYPE)
        assert resource["DeletionPolicy"] == "Delete"
        assert resource["Properties"]["ServiceTimeout"] == "1800"

    def test_resource_waits_for_the_role_policy(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        resource = only(template, FLOW_DEFINITION_RESOURCE_TYPE)
        policy_id = _logical_id(template, "AWS::IAM::Policy", "FlowRoleDefaultPolicy")
        assert policy_id in resource["DependsOn"]

    def test_arn_and_name_come_from_the_handler(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        flow, template = default_flow
        resolved = Stack.of(flow).resolve(flow.flow_definition_arn)
        cr_id = _logical_id(template, FLOW_DEFINITION_RESOURCE_TYPE)
        assert resolved == {"Fn::GetAtt": [cr_id, "FlowDefinitionArn"]}
        assert Stack.of(flow).resolve(flow.flow_definition_name) == {
            "Fn::GetAtt": [cr_id, "FlowDefinitionName"]
        }
        outputs = template["Outputs"]
        assert any(o["Value"] == resolved for o in outputs.values())


class TestSecureDefaults:
    def test_key_rotates(self, default_flow: tuple[FlowDefinition, dict[str, Any]]) -> None:
        _, template = default_flow
        assert only(template, "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True

    def test_output_bucket(self, default_flow: tuple[FlowDefinition, dict[str, Any]]) -> None:
        _, template = default_flow
        bucket_id = _logical_id(template, "AWS::S3::Bucket", "FlowOutputBucket")
        logs_id = _logical_id(template, "AWS::S3::Bucket", "FlowAccessLogs")
        bucket = template["Resources"][bucket_id]
        props = bucket["Properties"]
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [_logical_id(template, "AWS::KMS::Key"), "Arn"]},
        }
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in rule for rule in rules)
        assert bucket["DeletionPolicy"] == "Retain"  # human answers outlive the stack

    def test_buckets_refuse_plain_http(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        policies = resources(template, "AWS::S3::BucketPolicy").values()
        denied = [
            st
            for policy in policies
            for st in policy["Properties"]["PolicyDocument"]["Statement"]
            if st["Effect"] == "Deny"
            and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(denied) == 2  # the output bucket and its access-log bucket

    def test_access_logs_are_delivered_by_bucket_policy_not_acl(self) -> None:
        # Whatever the app's feature flag says, the log bucket has ACLs disabled and lets the
        # S3 logging service write only the output bucket's logs under the log prefix.
        for flag in (None, False, True):
            context = (
                {} if flag is None else {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": flag}
            )
            stack = Stack(App(context=context), "TestStack", env=Environment(**TEST_ENV))
            make_flow(stack)
            template = Template.from_stack(stack).to_json()
            logs_id = _logical_id(template, "AWS::S3::Bucket", "FlowAccessLogs")
            output_id = _logical_id(template, "AWS::S3::Bucket", "FlowOutputBucket")
            for bucket in resources(template, "AWS::S3::Bucket").values():
                assert "AccessControl" not in bucket["Properties"], flag
                assert bucket["Properties"]["OwnershipControls"] == {
                    "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
                }, flag
            output = template["Resources"][output_id]["Properties"]
            assert output["LoggingConfiguration"] == {
                "DestinationBucketName": {"Ref": logs_id},
                "LogFilePrefix": "output-bucket/",
            }
            policy = next(
                p["Properties"]
                for p in resources(template, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": logs_id}
            )
            allows = [st for st in policy["PolicyDocument"]["Statement"] if st["Effect"] == "Allow"]
            assert allows == [
                {
                    "Action": "s3:PutObject",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [output_id, "Arn"]}},
                        "StringEquals": {"aws:SourceAccount": TEST_ENV["account"]},
                    },
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Resource": {
                        "Fn::Join": ["", [{"Fn::GetAtt": [logs_id, "Arn"]}, "/output-bucket/*"]]
                    },
                }
            ], flag

    def test_role_is_for_sagemaker_only(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        # No aws:SourceAccount/aws:SourceArn condition: AWS documents neither for A2I's use of
        # the role (see the comment in FlowDefinition), and a condition on a key SageMaker
        # does not send would lock it out.
        _, template = default_flow
        role = template["Resources"][_logical_id(template, "AWS::IAM::Role", "FlowRole")]
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
            }
        ]
        assert "ManagedPolicyArns" not in role["Properties"]

    def test_role_policy_is_least_privilege(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        policy = template["Resources"][
            _logical_id(template, "AWS::IAM::Policy", "FlowRoleDefaultPolicy")
        ]
        sts = policy["Properties"]["PolicyDocument"]["Statement"]
        bucket_id = _logical_id(template, "AWS::S3::Bucket", "FlowOutputBucket")
        key_id = _logical_id(template, "AWS::KMS::Key")
        put = next(st for st in sts if st["Action"] == "s3:PutObject")
        assert put["Resource"] == {
            "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/a2i-output/*"]]
        }
        kms_sts = [st for st in sts if any(a.startswith("kms:") for a in as_list(st["Action"]))]
        # What S3 needs to write SSE-KMS objects for A2I: a data key per PutObject, and
        # Decrypt for a multipart upload. No Encrypt, ReEncrypt*, DescribeKey or
        # GenerateDataKeyWithoutPlaintext.
        assert len(kms_sts) == 1
        assert sorted(as_list(kms_sts[0]["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert kms_sts[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert len(sts) == 2  # s3:PutObject and the KMS statement: nothing else
        for st in sts:
            assert st["Resource"] != "*"
            assert not any(a.endswith("*") for a in as_list(st["Action"]))


class TestOptions:
    def test_fixed_name_bring_your_own_bucket_key_and_role(self) -> None:
        stack = new_stack()
        bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "my-results")
        key = kms.Key.from_key_arn(
            stack,
            "Key",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
        role = iam.Role(stack, "MyRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        flow = make_flow(
            stack,
            flow_definition_name="my-review",
            output_bucket=bucket,
            output_prefix="/reviews/",
            encryption_key=key,
            role=role,
            task_count=3,
            task_availability_lifetime=Duration.days(10),
            task_time_limit=Duration.hours(8),
            task_keywords=["text", "classification review"],
            removal_policy=RemovalPolicy.RETAIN,
        )
        template = Template.from_stack(stack).to_json()
        assert not resources(template, "AWS::S3::Bucket")
        assert not resources(template, "AWS::KMS::Key")
        sagemaker_roles = [
            k
            for k, r in resources(template, "AWS::IAM::Role").items()
            if "sagemaker" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
        ]
        assert sagemaker_roles == [_logical_id(template, "AWS::IAM::Role", "MyRole")]
        resource = only(template, FLOW_DEFINITION_RESOURCE_TYPE)
        props = resource["Properties"]
        assert props["FlowDefinitionName"] == "my-review"
        assert "FlowDefinitionNamePrefix" not in props
        config = props["Definition"]["HumanLoopConfig"]
        assert config["TaskCount"] == 3
        assert config["TaskAvailabilityLifetimeInSeconds"] == 864000
        assert config["TaskTimeLimitInSeconds"] == 28800
        assert config["TaskKeywords"] == ["text", "classification review"]
        output = props["Definition"]["OutputConfig"]
        assert output["S3OutputPath"] == "s3://my-results/reviews"
        assert output["KmsKeyId"] == key.key_arn
        assert resource["DeletionPolicy"] == "Retain"
        assert props["RemovalPolicy"] == "retain"
        assert (
            flow.role is role and flow.output_bucket is bucket and flow.output_prefix == "reviews"
        )
        put = next(st for st in statements(template) if st["Action"] == "s3:PutObject")
        assert put["Resource"] == {
            "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-results/reviews/*"]]
        }

    def test_tags_of_reach_the_flow_definition(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        Tags.of(stack).add("project", "text-review")
        Tags.of(flow).add("owner", "ml-team")
        props = only(Template.from_stack(stack).to_json(), FLOW_DEFINITION_RESOURCE_TYPE)[
            "Properties"
        ]
        assert props["Tags"] == [
            {"Key": "owner", "Value": "ml-team"},
            {"Key": "project", "Value": "text-review"},
        ]

    def test_no_tags_property_without_tags(
        self, default_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = default_flow
        assert "Tags" not in only(template, FLOW_DEFINITION_RESOURCE_TYPE)["Properties"]

    def test_more_than_50_tags_fail_synth(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        for index in range(51):
            Tags.of(flow).add(f"key{index}", "v")
        with pytest.raises(Exception, match=r"tags may hold at most 50 tags; got 51"):
            Template.from_stack(stack)

    def test_tokens_pass_through_unchecked(self) -> None:
        from aws_cdk import CfnParameter

        stack = new_stack()
        title = CfnParameter(stack, "Title").value_as_string
        count = CfnParameter(stack, "Count", type="Number").value_as_number
        make_flow(stack, task_title=title, task_count=count)
        props = only(Template.from_stack(stack).to_json(), FLOW_DEFINITION_RESOURCE_TYPE)[
            "Properties"
        ]
        assert props["Definition"]["HumanLoopConfig"]["TaskTitle"] == {"Ref": "Title"}
        assert props["Definition"]["HumanLoopConfig"]["TaskCount"] == {"Ref": "Count"}


class TestGrants:
    def test_grants(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        function = lambda_.Function(
            stack,
            "Caller",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(e, c): pass"),
        )
        flow.grant_start_human_loop(function)
        flow.grant_read_results(function)
        flow.grant_manage_human_loops(function)
        template = Template.from_stack(stack)
        cr_id = _logical_id(template.to_json(), FLOW_DEFINITION_RESOURCE_TYPE)
        template.has_resource_properties(
            "AWS::IAM::Policy",
            {
                "Roles": [{"Ref": Match.string_like_regexp("CallerServiceRole")}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            {
                                "Action": "sagemaker:StartHumanLoop",
                                "Effect": "Allow",
                                "Resource": {"Fn::GetAtt": [cr_id, "FlowDefinitionArn"]},
                            },
                            {
                                "Action": "sagemaker:ListHumanLoops",
                                "Effect": "Allow",
                                "Resource": {"Fn::GetAtt": [cr_id, "FlowDefinitionArn"]},
                            },
                            Match.object_like(
                                {
                                    "Action": [
                                        "sagemaker:DescribeHumanLoop",
                                        "sagemaker:StopHumanLoop",
                                        "sagemaker:DeleteHumanLoop",
                                    ]
                                }
                            ),
                        ]
                    )
                },
            },
        )

    def test_read_results_is_scoped_to_the_prefix_and_decrypts_once_through_s3(self) -> None:
        stack = new_stack()
        flow = make_flow(stack, output_prefix="reviews/")
        reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
        flow.grant_read_results(reader)
        template = Template.from_stack(stack).to_json()
        bucket_id = _logical_id(template, "AWS::S3::Bucket", "FlowOutputBucket")
        key_id = _logical_id(template, "AWS::KMS::Key")
        policy = only_matching(template, "AWS::IAM::Policy", "ReaderDefaultPolicy")
        assert policy["Properties"]["PolicyDocument"]["Statement"] == [
            {
                "Action": "s3:GetObject",
                "Effect": "Allow",
                "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/reviews/*"]]},
            },
            {
                "Action": "s3:ListBucket",
                "Condition": {"StringLike": {"s3:prefix": ["reviews/*"]}},
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [bucket_id, "Arn"]},
            },
            {
                "Action": "kms:Decrypt",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
            },
        ]
        # Nothing reaches the bucket or key policies for a reader in the same account.
        assert "Reader" not in json.dumps(resources(template, "AWS::S3::BucketPolicy"))
        key_policy = json.dumps(only(template, "AWS::KMS::Key")["Properties"]["KeyPolicy"])
        assert "Reader" not in key_policy

    def test_read_results_of_an_imported_bucket_and_key(self) -> None:
        stack = new_stack()
        key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        flow = make_flow(
            stack,
            output_bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "my-results"),
            encryption_key=kms.Key.from_key_arn(stack, "Key", key_arn),
        )
        reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
        flow.grant_read_results(reader)
        template = Template.from_stack(stack).to_json()
        sts = only_matching(template, "AWS::IAM::Policy", "ReaderDefaultPolicy")["Properties"][
            "PolicyDocument"
        ]["Statement"]
        bucket_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-results"]]}
        assert [(st["Action"], st["Resource"]) for st in sts] == [
            (
                "s3:GetObject",
                {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-results/a2i-output/*"],
                    ]
                },
            ),
            ("s3:ListBucket", bucket_arn),
            ("kms:Decrypt", key_arn),
        ]

    def test_imported_flow_definition_grants_on_its_arn(self) -> None:
        stack = new_stack()
        arn = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/existing-flow"
        flow = FlowDefinition.from_flow_definition_arn(stack, "Imported", arn)
        assert flow.flow_definition_arn == arn
        assert Stack.of(stack).resolve(flow.flow_definition_name) == "existing-flow"
        role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        flow.grant_start_human_loop(role)
        by_name = FlowDefinition.from_flow_definition_name(stack, "ByName", "existing-flow")
        assert stack.resolve(by_name.flow_definition_arn) == {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":sagemaker:us-east-1:123456789012:flow-definition/existing-flow",
                ],
            ]
        }
        st = statements(Template.from_stack(stack).to_json())
        assert {"Action": "sagemaker:StartHumanLoop", "Effect": "Allow", "Resource": arn} in st


def only_matching(template: dict[str, Any], type_: str, contains: str) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"][_logical_id(template, type_, contains)]
    return resource


def _logical_id(template: dict[str, Any], type_: str, contains: str = "") -> str:
    ids = [
        k for k, v in template["Resources"].items() if v["Type"] == type_ and re.search(contains, k)
    ]
    assert len(ids) == 1, f"expected one {type_} matching {contains!r}: {ids}"
    return ids[0]
