#!/usr/bin/env python3
"""Example: the public crowd reviews images Amazon Rekognition flagged with low confidence.

Amazon Rekognition starts the human loops itself: the application calls
``DetectModerationLabels`` with a ``HumanLoopConfig`` naming the flow definition. The
public crowd (Amazon Mechanical Turk) is paid per task, a price AWS lists for Rekognition
moderation, and a task waits at most 12 hours for a worker. Synthesizes offline::

    python examples/rekognition_moderation_review.py

Public-crowd workers are anonymous: send them only images free of personal data, and
declare the content classifiers in the ``HumanLoopConfig`` ``DataAttributes``.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, App, Duration, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_a2i import (
    ActivationConditions,
    And,
    Confidence,
    FlowDefinition,
    HumanTaskUi,
    InputBucket,
    ModerationLabelConfidenceCheck,
    Or,
    RequestSource,
    Sampling,
    TaskPrice,
    TaskTemplate,
    Workteam,
)

TEMPLATE = Path(__file__).parent / "templates" / "rekognition_moderation_review.html"
IMAGES_PREFIX = "uploads"
TASK_PRICE = TaskPrice.usd("0.120")
"""Paid per image reviewed; one of the prices AWS lists for Rekognition moderation."""

# What A2I passes to a Rekognition review template (see the template's comment).
SAMPLE_INPUT = {
    "aiServiceRequest": {
        "image": {"s3Object": {"bucket": "example-bucket", "name": "uploads/photo-0001.jpg"}},
    },
    "selectedAiServiceResponse": {
        "moderationLabels": [{"name": "Suggestive", "parentName": "", "confidence": 71.5}]
    },
}


class RekognitionModerationReviewStack(Stack):
    """The public crowd checks the moderation labels Rekognition was unsure of."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        crowd = Workteam.public_crowd(self, "PublicCrowd", task_price=TASK_PRICE)
        self.images = _images_bucket(self)
        ui = HumanTaskUi(
            self,
            "ModerationReviewUi",
            template=TaskTemplate.from_file(TEMPLATE, sample_input=SAMPLE_INPUT),
        )
        self.flow = FlowDefinition(
            self,
            "UploadModeration",
            workteam=crowd,
            human_task_ui=ui,
            task_title="Choose the categories that apply to an image",
            task_description="Check the moderation categories suggested for an uploaded image",
            task_count=3,
            task_availability_lifetime=Duration.hours(12),
            task_time_limit=Duration.minutes(5),
            task_keywords=["image", "moderation"],
            request_source=RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE,
            activation_conditions=ActivationConditions(
                # Every label the model is unsure of, and 1 % of the confident ones.
                Or(
                    ModerationLabelConfidenceCheck("*", confidence=Confidence.less_than(80)),
                    And(
                        Sampling(1),
                        ModerationLabelConfidenceCheck(
                            "*", confidence=Confidence.greater_than_or_equal_to(80)
                        ),
                    ),
                ),
            ),
        )
        InputBucket.prepare(self.images, self.flow, prefix=IMAGES_PREFIX)

        # The application that calls Rekognition DetectModerationLabels with the HumanLoopConfig.
        self.moderator = iam.Role(
            self,
            "ImageModerator",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Moderates uploads with Rekognition, starting A2I reviews when unsure",
        )
        self.flow.grant_rekognition_detect_moderation_labels(self.moderator)
        # Rekognition reads the image with the caller's permissions.
        self.moderator.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.images.arn_for_objects(f"{IMAGES_PREFIX}/*")],
            )
        )
        bucket_id = self.resolve(self.get_logical_id(self.images.node.default_child))  # type: ignore[arg-type]
        for finding, reason in (
            (
                "AwsSolutions-IAM5[Resource::*]",
                "rekognition:DetectModerationLabels acts on no Rekognition resource; AWS "
                "documents Resource '*' for it.",
            ),
            (
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{IMAGES_PREFIX}/*]",
                "Rekognition reads each image with the caller's permissions; image keys are not "
                "known in advance, so s3:GetObject is allowed under the uploads prefix only.",
            ),
        ):
            Validations.of(self.moderator).acknowledge(Acknowledgment(id=finding, reason=reason))
        # Rekognition reads the SSE-KMS objects with the caller's permissions: S3 decrypts them
        # on its behalf, so kms:Decrypt only through S3 in this Region.
        if self.images.encryption_key is not None:
            self.moderator.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.images.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}
                    },
                )
            )
        _acknowledge_packs(
            self.moderator,
            "IAMNoInlinePolicy",
            "The flow's grants and the read of the images are least-privilege statements in "
            "this role's own policy, attached to this role only.",
        )


def _images_bucket(scope: Construct) -> s3.Bucket:
    """A private, TLS-only, encrypted bucket for the uploads, with access logs."""
    logs = s3.Bucket(
        scope,
        "ImageAccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    for rule, reason in (
        (
            "S3DefaultEncryptionKMS",
            "Server access logs hold request metadata, not the images; S3's logging service "
            "writes them, and SSE-S3 spares a key policy for it and a KMS call per log object.",
        ),
        (
            "S3BucketReplicationEnabled",
            "This example deploys to one Region and account; replicate the access logs to a "
            "bucket of your own in another Region when your recovery plan requires it.",
        ),
    ):
        _acknowledge_packs(logs, rule, reason)
    bucket = s3.Bucket(
        scope,
        "Images",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=kms.Key(
            scope, "ImagesKey", enable_key_rotation=True, description="Encrypts the images"
        ),
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        server_access_logs_bucket=logs,
        server_access_logs_prefix="images/",
        removal_policy=RemovalPolicy.RETAIN,
    )
    _acknowledge_packs(
        bucket,
        "S3BucketReplicationEnabled",
        "This example deploys to one Region and account; replicate the images to a bucket of "
        "your own in another Region when your recovery plan requires it.",
    )
    return bucket


def _acknowledge_packs(construct: Construct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` of the HIPAA Security and NIST 800-53 R5 packs on ``construct``."""
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        Validations.of(construct).acknowledge(Acknowledgment(id=f"{pack}-{rule}", reason=reason))


def build_app(app: App | None = None) -> App:
    """The example app (also used by the tests)."""
    app = app or App()
    RekognitionModerationReviewStack(
        app,
        "RekognitionModerationReviewExample",
        env=Environment(region=app.node.try_get_context("region") or "us-east-1"),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
