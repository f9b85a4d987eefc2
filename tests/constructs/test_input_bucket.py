"""InputBucket.prepare: the CORS rule workers' browsers need and the flow role's read access."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_a2i import (
    A2IValidationError,
    FlowDefinition,
    HumanTaskUi,
    InputBucket,
    TaskTemplate,
    Workteam,
)
from tests.conftest import TEAM_ARN, TEST_ENV

HTML = "<crowd-form><p>{{ task.input.text }}</p></crowd-form>"


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=Environment(**TEST_ENV))


def make_flow(stack: Stack) -> FlowDefinition:
    return FlowDefinition(
        stack,
        "Flow",
        workteam=Workteam.from_workteam_arn(stack, "Team", TEAM_ARN),
        human_task_ui=HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string(HTML)),
        task_title="Review",
        task_description="Review the image",
    )


def role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith("FlowRole"):
            out.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return out


def acknowledged(construct: Any) -> dict[str, str]:
    rules: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == "aws:cdk:acknowledged-rules":
            # recorded as "<kind>::<rule id>"
            rules.update({rule.split("::", 1)[-1]: reason for rule, reason in entry.data.items()})
    return rules


@pytest.fixture(scope="module")
def prepared() -> tuple[FlowDefinition, s3.Bucket, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(stack)
    key = kms.Key(stack, "ImagesKey", enable_key_rotation=True)
    images = s3.Bucket(stack, "Images", encryption_key=key, enforce_ssl=True)
    InputBucket.prepare(images, flow, prefix="/incoming/")
    InputBucket.prepare(images, flow, prefix="archive")  # the CORS rule is added once
    return flow, images, dict(Template.from_stack(stack).to_json())


class TestPrepare:
    def test_cors_rule_allows_get_from_any_origin_once(
        self, prepared: tuple[FlowDefinition, s3.Bucket, dict[str, Any]]
    ) -> None:
        _, _, template = prepared
        (bucket,) = [
            r
            for k, r in template["Resources"].items()
            if r["Type"] == "AWS::S3::Bucket" and k.startswith("Images")
        ]
        assert bucket["Properties"]["CorsConfiguration"] == {
            "CorsRules": [
                {
                    "AllowedHeaders": [],
                    "AllowedMethods": ["GET"],
                    "AllowedOrigins": ["*"],
                    "ExposedHeaders": [],
                    "MaxAge": 3600,
                }
            ]
        }

    def test_flow_role_may_get_objects_under_each_prefix_and_decrypt(
        self, prepared: tuple[FlowDefinition, s3.Bucket, dict[str, Any]]
    ) -> None:
        _, _, template = prepared
        bucket_id = next(
            k for k in template["Resources"] if k.startswith("Images") and "Key" not in k
        )
        key_id = next(k for k in template["Resources"] if k.startswith("ImagesKey"))
        statements = role_statements(template)
        gets = [s for s in statements if s["Action"] == "s3:GetObject"]
        resources = [s["Resource"] for s in gets]
        for prefix in ("incoming", "archive"):
            assert {
                "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{prefix}/*"]]
            } in resources
        assert len(gets) == 2
        decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
        # Once however often the bucket is prepared, and only through S3 (presigned URLs).
        assert decrypt == [
            {
                "Action": "kms:Decrypt",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
            }
        ]
        # no List or GetBucket wildcards
        assert not [s for s in statements if "s3:List*" in str(s["Action"])]

    def test_object_wildcard_is_acknowledged_with_a_reason(
        self, prepared: tuple[FlowDefinition, s3.Bucket, dict[str, Any]]
    ) -> None:
        flow, images, template = prepared
        bucket_id = next(
            k for k in template["Resources"] if k.startswith("Images") and "Key" not in k
        )
        rules = acknowledged(flow.role)
        for prefix in ("incoming", "archive"):
            reason = rules[f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}/*]"]
            assert "presigns" in reason
        assert images.node.try_find_child("A2IWorkerCorsRule") is not None

    def test_whole_bucket_and_chosen_origins(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        bucket = s3.Bucket(stack, "Docs")
        grant = InputBucket.prepare(
            bucket, flow, allowed_origins=["https://example.labeling.us-east-1.sagemaker.aws"]
        )
        assert grant.success
        template = Template.from_stack(stack)
        template.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "CorsConfiguration": {
                    "CorsRules": [
                        {"AllowedOrigins": ["https://example.labeling.us-east-1.sagemaker.aws"]}
                    ]
                }
            },
        )
        resources = [s["Resource"] for s in role_statements(dict(template.to_json()))]
        assert any("/*" in str(r) for r in resources)

    def test_imported_bucket_needs_cors_configured_elsewhere(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        imported = s3.Bucket.from_bucket_name(stack, "Imported", "existing-images")
        with pytest.raises(A2IValidationError, match=r"CORS rule workers need can only be added"):
            InputBucket.prepare(imported, flow, prefix="incoming")
        InputBucket.prepare(imported, flow, prefix="incoming", allowed_origins=())
        statements = stack.resolve(flow.role.node.find_child("DefaultPolicy").document)["Statement"]  # type: ignore[attr-defined]
        assert any(s["Action"] == "s3:GetObject" for s in statements)

    def test_rejects(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        bucket = s3.Bucket(stack, "Docs")
        imported = FlowDefinition.from_flow_definition_name(stack, "Imported", "existing-flow")
        with pytest.raises(A2IValidationError, match=r"flow must be a FlowDefinition created"):
            InputBucket.prepare(bucket, imported)  # type: ignore[arg-type]
        with pytest.raises(A2IValidationError, match=r"prefix must be 1-1024 characters"):
            InputBucket.prepare(bucket, flow, prefix="/")
        with pytest.raises(A2IValidationError, match=r"allowed_origins must be a list"):
            InputBucket.prepare(bucket, flow, allowed_origins="*")
        InputBucket.prepare(bucket, flow, prefix="a")
        with pytest.raises(A2IValidationError, match=r"already has the workers' CORS rule"):
            InputBucket.prepare(bucket, flow, prefix="b", allowed_origins=["https://x.example"])
