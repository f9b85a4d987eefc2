#!/usr/bin/env python3
"""Example: a custom review task for a private team of your own reviewers.

``PrivateWorkteam`` creates the Cognito user pool, its domain, the app client, the
reviewers' group, the private workforce and the work team, and invites the reviewers by
email. Synthesizes with no AWS account, credentials or network::

    python examples/custom_task_private_team.py
    cdk synth --app "python examples/custom_task_private_team.py" \\
        -c reviewer_emails=ana@example.com,ben@example.com

Only one private workforce may exist per account and Region: deploy this where none
exists yet (or see ``textract_forms_review.py`` for a team that joins an existing one).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, App, Duration, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_a2i import FlowDefinition, HumanTaskUi, PrivateWorkteam, TaskTemplate

DEFAULT_REVIEWER_EMAILS = ("reviewer@example.com",)
"""Invited when no ``-c reviewer_emails=...`` is given; replace with real addresses."""


class CustomTaskReviewStack(Stack):
    """Private reviewers confirm or correct the category a text classifier chose."""

    def __init__(
        self, scope: Construct, id: str, *, reviewer_emails: Sequence[str], **kwargs: object
    ) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        self.team = PrivateWorkteam(
            self,
            "Reviewers",
            description="Reviewers of low-confidence support ticket categories",
            reviewer_emails=reviewer_emails,
        )
        ui = HumanTaskUi(
            self,
            "ReviewUi",
            template=TaskTemplate.text_classification(
                categories=["billing", "delivery", "product", "other"],
                text_field="ticket",
                prediction_field="prediction",
            ),
        )
        self.flow = FlowDefinition(
            self,
            "TicketReview",
            workteam=self.team,
            human_task_ui=ui,
            task_title="Check the category of a support ticket",
            task_description="Confirm or correct the category the model chose for a ticket",
            task_availability_lifetime=Duration.days(2),
            task_time_limit=Duration.minutes(5),
            task_keywords=["tickets", "classification"],
        )
        # The application that calls StartHumanLoop for low-confidence predictions.
        self.requester = iam.Role(
            self,
            "ReviewRequester",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts human reviews of low-confidence ticket categories",
        )
        self.flow.grant_start_human_loop(self.requester)
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            Validations.of(self.requester).acknowledge(
                Acknowledgment(
                    id=f"{pack}-IAMNoInlinePolicy",
                    reason="The flow's grant adds one least-privilege statement "
                    "(sagemaker:StartHumanLoop on this flow) to this role's own policy, "
                    "attached to this role only.",
                )
            )


def build_app(app: App | None = None) -> App:
    """The example app (also used by the tests)."""
    app = app or App()
    emails = app.node.try_get_context("reviewer_emails")
    reviewer_emails = emails.split(",") if emails else list(DEFAULT_REVIEWER_EMAILS)
    CustomTaskReviewStack(
        app,
        "CustomTaskPrivateTeamExample",
        reviewer_emails=reviewer_emails,
        env=Environment(region=app.node.try_get_context("region") or "us-east-1"),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
