#!/usr/bin/env python3
"""Example: human review of low-confidence text classifications.

Synthesizes with no AWS account, credentials or network::

    make synth                                   # or: cdk synth
    cdk synth -c workteam_arn=arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team
"""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_a2i import (
    Activation,
    FlowDefinition,
    HumanLoopResults,
    HumanLoopStarter,
    HumanTaskUi,
    ReviewMonitoring,
    StarterSource,
    TaskTemplate,
    Workteam,
)

PLACEHOLDER_WORKTEAM_ARN = (
    "arn:aws:sagemaker:us-east-1:111111111111:workteam/private-crowd/"
    "placeholder-replace-with-your-team"
)
"""Used when no ``-c workteam_arn=...`` is given; deploys only once replaced."""


class TextReviewStack(Stack):
    """Reviewers confirm or correct the labels a text classifier was unsure of."""

    def __init__(self, scope: Construct, id: str, *, workteam_arn: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        team = Workteam.from_workteam_arn(self, "Reviewers", workteam_arn)
        ui = HumanTaskUi(
            self,
            "ReviewUi",
            # The built-in template; the sample is a prediction as it arrives on the queue,
            # so `cdk synth` checks every task.input field the template reads against it.
            template=TaskTemplate.text_classification(
                categories=["positive", "negative", "neutral"],
                text_field="text",
                prediction_field="prediction",
            ).with_sample_input(
                {
                    "id": "review-0001",
                    "text": "The delivery was late but the product is great.",
                    "prediction": {"label": "negative", "confidence": 0.54},
                }
            ),
        )
        self.flow = FlowDefinition(
            self,
            "LowConfidenceReview",
            workteam=team,
            human_task_ui=ui,
            task_title="Check a low-confidence text label",
            task_description="Confirm or correct the category the model chose for a text",
            task_count=1,
            task_availability_lifetime=Duration.days(1),
            task_time_limit=Duration.minutes(10),
            task_keywords=["text", "classification"],
            output_prefix="reviews",
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Predictions arrive as JSON messages on the starter's queue; only those the model
        # was unsure of start a human loop, one per prediction id however often it arrives.
        self.starter = HumanLoopStarter(
            self,
            "Starter",
            flow_definition=self.flow,
            source=StarterSource.sqs(),
            activation=Activation.below("$.prediction.confidence", 0.8),
            id_field="$.id",
            content_classifiers=["FreeOfPersonallyIdentifiableInformation"],
            max_concurrent_invocations=5,  # at most 5 x 10 StartHumanLoop calls at once
        )
        # Every finished loop, with the reviewers' answers, lands on this queue.
        results_dlq = sqs.Queue(
            self,
            "ReviewedLabelsDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.results_queue = sqs.Queue(
            self,
            "ReviewedLabels",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=results_dlq, max_receive_count=5),
        )
        self.results = HumanLoopResults(
            self, "Results", flow_definition=self.flow, destination=self.results_queue
        )
        # Alarms and a dashboard on the metrics the starter and results functions emit; the
        # alarms notify an encrypted, TLS-only topic (subscribe your on-call to it).
        alarm_key = kms.Key(
            self,
            "ReviewAlarmsKey",
            enable_key_rotation=True,
            description="Encrypts the review alarms topic",
        )
        # CloudWatch publishes alarm notifications to an SSE-KMS topic only if the key lets it.
        alarm_key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
        self.alarm_topic = sns.Topic(self, "ReviewAlarms", master_key=alarm_key, enforce_ssl=True)
        self.monitoring = ReviewMonitoring(
            self,
            "Monitoring",
            flow_definition=self.flow,
            starter=self.starter,
            results=self.results,
            alarm_topic=self.alarm_topic,
        )
        Tags.of(self).add("project", "text-review")


def build_app(app: App | None = None) -> App:
    """The example app (also used by the tests and the synth benchmark)."""
    app = app or App()
    workteam_arn = app.node.try_get_context("workteam_arn") or PLACEHOLDER_WORKTEAM_ARN
    TextReviewStack(
        app,
        "TextReviewExample",
        workteam_arn=workteam_arn,
        env=Environment(region=app.node.try_get_context("region") or "us-east-1"),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
