#!/usr/bin/env python3
"""Example: reviewers check the form fields Amazon Textract was unsure of.

Amazon Textract starts the human loops itself: the application calls ``AnalyzeDocument``
(``FeatureTypes=["FORMS"]``) with a ``HumanLoopConfig`` naming the flow definition, and
the activation conditions pick what reviewers see. The team joins the account's
existing private workforce (one per account and Region), so it is given that
workforce's Cognito user pool and app client. Synthesizes offline::

    python examples/textract_forms_review.py
    cdk synth --app "python examples/textract_forms_review.py" \\
        -c user_pool_id=us-east-1_AbCdEfGhI -c user_pool_client_id=1example23456789
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, App, Duration, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_a2i import (
    ActivationConditions,
    Confidence,
    FlowDefinition,
    HumanTaskUi,
    ImportantFormKeyConfidenceCheck,
    InputBucket,
    MissingImportantFormKey,
    Or,
    PrivateWorkteam,
    RequestSource,
    Sampling,
    TaskTemplate,
)

PLACEHOLDER_USER_POOL_ID = "us-east-1_EXAMPLE00"
"""Used without ``-c user_pool_id=...``: the existing workforce's user pool (replace it)."""
PLACEHOLDER_USER_POOL_CLIENT_ID = "example0client0id0placeholder"
"""Used without ``-c user_pool_client_id=...``: the existing workforce's app client."""

TEMPLATE = Path(__file__).parent / "templates" / "textract_forms_review.html"
FORMS_PREFIX = "forms"

# What A2I passes to a Textract review template (see the template's comment).
SAMPLE_INPUT = {
    "aiServiceRequest": {
        "document": {"s3Object": {"bucket": "example-bucket", "name": "forms/claim-0001.png"}},
        "featureTypes": ["FORMS"],
    },
    "selectedAiServiceResponse": {"blocks": []},
    "humanLoopContext": {"importantFormKeys": ["Pay Date", "Employee Name"]},
}


class TextractFormsReviewStack(Stack):
    """Reviewers check the pay dates and names Textract read with low confidence."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        user_pool_id: str,
        user_pool_client_id: str,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        user_pool = cognito.UserPool.from_user_pool_id(self, "WorkforcePool", user_pool_id)
        self.team = PrivateWorkteam(
            self,
            "FormReviewers",
            description="Reviewers of pay slips read by Amazon Textract",
            existing_workforce=True,
            user_pool=user_pool,
            user_pool_client=cognito.UserPoolClient.from_user_pool_client_id(
                self, "WorkforceClient", user_pool_client_id
            ),
            reviewer_emails=["payroll-reviewer@example.com"],
        )
        self.documents = _documents_bucket(self)
        ui = HumanTaskUi(
            self,
            "FormReviewUi",
            template=TaskTemplate.from_file(TEMPLATE, sample_input=SAMPLE_INPUT),
        )
        pay_date = ["PayDate", "DateOfPay", "pay-date"]
        self.flow = FlowDefinition(
            self,
            "PaySlipReview",
            workteam=self.team,
            human_task_ui=ui,
            task_title="Check the fields read from a pay slip",
            task_description="Correct pay dates and names that do not match the pay slip",
            task_availability_lifetime=Duration.days(1),
            task_time_limit=Duration.minutes(10),
            request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS,
            activation_conditions=ActivationConditions(
                Or(
                    ImportantFormKeyConfidenceCheck(
                        "Pay Date",
                        aliases=pay_date,
                        key_value_block_confidence=Confidence.less_than(65),
                        word_block_confidence=Confidence.less_than(85),
                    ),
                    Sampling(5),
                ),
                MissingImportantFormKey("Employee Name", aliases=["Name", "EmployeeName"]),
            ),
        )
        # Workers' browsers load the documents: CORS, and read access for the flow's role.
        InputBucket.prepare(self.documents, self.flow, prefix=FORMS_PREFIX)

        # The application that calls Textract AnalyzeDocument with the HumanLoopConfig.
        self.analyzer = iam.Role(
            self,
            "DocumentAnalyzer",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Analyzes pay slips with Textract, starting A2I reviews when unsure",
        )
        self.flow.grant_textract_analyze_document(self.analyzer)
        # Textract reads the document with the caller's permissions.
        self.analyzer.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.documents.arn_for_objects(f"{FORMS_PREFIX}/*")],
            )
        )
        bucket_id = self.resolve(self.get_logical_id(self.documents.node.default_child))  # type: ignore[arg-type]
        for finding, reason in (
            (
                "AwsSolutions-IAM5[Resource::*]",
                "textract:AnalyzeDocument supports no resource-level permissions; AWS documents "
                "Resource '*' for it.",
            ),
            (
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{FORMS_PREFIX}/*]",
                "Textract reads each document with the caller's permissions; document keys are "
                "not known in advance, so s3:GetObject is allowed under the forms prefix only.",
            ),
        ):
            Validations.of(self.analyzer).acknowledge(Acknowledgment(id=finding, reason=reason))
        # Textract reads the SSE-KMS objects with the caller's permissions: S3 decrypts them
        # on its behalf, so kms:Decrypt only through S3 in this Region.
        if self.documents.encryption_key is not None:
            self.analyzer.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.documents.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}
                    },
                )
            )
        _acknowledge_packs(
            self.analyzer,
            "IAMNoInlinePolicy",
            "The flow's grants and the read of the documents are least-privilege statements in "
            "this role's own policy, attached to this role only.",
        )


def _documents_bucket(scope: Construct) -> s3.Bucket:
    """A private, TLS-only, encrypted bucket for the documents, with access logs."""
    logs = s3.Bucket(
        scope,
        "DocumentAccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    for rule, reason in (
        (
            "S3DefaultEncryptionKMS",
            "Server access logs hold request metadata, not the documents; S3's logging service "
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
        "Documents",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=kms.Key(
            scope, "DocumentsKey", enable_key_rotation=True, description="Encrypts the documents"
        ),
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        server_access_logs_bucket=logs,
        server_access_logs_prefix="documents/",
        removal_policy=RemovalPolicy.RETAIN,
    )
    _acknowledge_packs(
        bucket,
        "S3BucketReplicationEnabled",
        "This example deploys to one Region and account; replicate the documents to a bucket of "
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
    TextractFormsReviewStack(
        app,
        "TextractFormsReviewExample",
        user_pool_id=app.node.try_get_context("user_pool_id") or PLACEHOLDER_USER_POOL_ID,
        user_pool_client_id=app.node.try_get_context("user_pool_client_id")
        or PLACEHOLDER_USER_POOL_CLIENT_ID,
        env=Environment(region=app.node.try_get_context("region") or "us-east-1"),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
