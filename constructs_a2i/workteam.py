"""Work teams: who reviews the tasks of a flow definition.

A flow definition sends its tasks to one work team: a private team of your own
reviewers, a vendor team, or the public crowd (Amazon Mechanical Turk).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aws_cdk import ArnFormat, Resource, Stack
from constructs import Construct

from constructs_a2i.validation import check_arn_resource

__all__ = ["PUBLIC_CROWD_ACCOUNT", "IWorkteam", "Workteam"]

PUBLIC_CROWD_ACCOUNT = "394669845002"
"""The AWS account that owns the public crowd work team in every Region."""


@runtime_checkable
class IWorkteam(Protocol):
    """A SageMaker work team that flow definitions can send tasks to."""

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        ...

    @property
    def is_public_crowd(self) -> bool:
        """True for the public crowd (Amazon Mechanical Turk)."""
        ...


class Workteam(Resource):
    """A work team defined outside this construct: imported by ARN, or the public crowd.

    Use the factories; do not construct directly::

        team = Workteam.from_workteam_arn(stack, "Team",
            "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers")
        crowd = Workteam.public_crowd(stack, "Crowd")
    """

    def __init__(
        self, scope: Construct, id: str, *, workteam_arn: str, is_public_crowd: bool = False
    ) -> None:
        super().__init__(scope, id)
        check_arn_resource("workteam_arn", workteam_arn, "sagemaker", "workteam")
        self._workteam_arn = workteam_arn
        self._is_public_crowd = is_public_crowd

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        return self._workteam_arn

    @property
    def is_public_crowd(self) -> bool:
        """True for the public crowd (Amazon Mechanical Turk)."""
        return self._is_public_crowd

    @classmethod
    def from_workteam_arn(cls, scope: Construct, id: str, workteam_arn: str) -> IWorkteam:
        """Import an existing work team (private or vendor) by its ARN.

        Raises :class:`~constructs_a2i.validation.A2IValidationError` when the ARN is not
        a SageMaker ``workteam/...`` ARN (for example a flow-definition ARN).
        """
        check_arn_resource("workteam_arn", workteam_arn, "sagemaker", "workteam")
        is_crowd = ":workteam/public-crowd/" in workteam_arn
        return cls(scope, id, workteam_arn=workteam_arn, is_public_crowd=is_crowd)

    @classmethod
    def public_crowd(cls, scope: Construct, id: str) -> IWorkteam:
        """The public crowd (Amazon Mechanical Turk) in the stack's partition and Region."""
        arn = Stack.of(scope).format_arn(
            service="sagemaker",
            resource="workteam",
            resource_name="public-crowd/default",
            account=PUBLIC_CROWD_ACCOUNT,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return cls(scope, id, workteam_arn=arn, is_public_crowd=True)
