"""Work teams: who reviews the tasks of a flow definition.

A flow definition sends its tasks to one work team: a private team of your own
reviewers, a vendor team, or the public crowd (Amazon Mechanical Turk). The public
crowd is paid per task, so it always comes with a :class:`~constructs_a2i.task_price.TaskPrice`;
private and vendor teams never do. To create a private team on Amazon Cognito, see
:class:`~constructs_a2i.private_workteam.PrivateWorkteam`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aws_cdk import ArnFormat, Resource, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_a2i._resource import IResourceProtocol
from constructs_a2i.core.arns import PUBLIC_CROWD_ACCOUNT
from constructs_a2i.task_price import TaskPrice
from constructs_a2i.validation import A2IValidationError, check_arn_resource

__all__ = ["PUBLIC_CROWD_ACCOUNT", "IWorkteam", "Workteam", "WorkteamBase"]


@runtime_checkable
class IWorkteam(IResourceProtocol, Protocol):
    """A SageMaker work team that flow definitions can send tasks to (an ``IResource``)."""

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        ...

    @property
    def is_public_crowd(self) -> bool:
        """True for the public crowd (Amazon Mechanical Turk)."""
        ...

    @property
    def task_price(self) -> TaskPrice | None:
        """What a public-crowd worker is paid per task; None for private and vendor teams."""
        ...

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` on this work team."""
        ...


class WorkteamBase(Resource):
    """What imported and created work teams share: the ARN and :meth:`grant`."""

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        raise NotImplementedError

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` (``sagemaker:DescribeWorkteam``...) on
        this work team's ARN, in ``grantee``'s own policy."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.workteam_arn]
        )


class Workteam(WorkteamBase):
    """A work team defined outside this construct: imported by ARN, or the public crowd.

    Use the factories; do not construct directly::

        team = Workteam.from_workteam_arn(stack, "Team",
            "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers")
        crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("0.036"))
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workteam_arn: str,
        is_public_crowd: bool = False,
        task_price: TaskPrice | None = None,
    ) -> None:
        # The account and Region of the team are its ARN's (AWS's account for the public crowd).
        super().__init__(scope, id, environment_from_arn=workteam_arn)
        check_arn_resource("workteam_arn", workteam_arn, "sagemaker", "workteam")
        _check_price(task_price, is_public_crowd, workteam_arn)
        self._workteam_arn = workteam_arn
        self._is_public_crowd = is_public_crowd
        self._task_price = task_price

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        return self._workteam_arn

    @property
    def is_public_crowd(self) -> bool:
        """True for the public crowd (Amazon Mechanical Turk)."""
        return self._is_public_crowd

    @property
    def task_price(self) -> TaskPrice | None:
        """What a public-crowd worker is paid per task; None for private and vendor teams."""
        return self._task_price

    @classmethod
    def from_workteam_arn(
        cls, scope: Construct, id: str, workteam_arn: str, *, task_price: TaskPrice | None = None
    ) -> IWorkteam:
        """Import an existing work team (private or vendor) by its ARN.

        An ARN ending in ``workteam/public-crowd/default`` is the public crowd; give it a
        ``task_price`` (or use :meth:`public_crowd`). Raises
        :class:`~constructs_a2i.validation.A2IValidationError` when the ARN is not a
        SageMaker ``workteam/...`` ARN (for example a flow-definition ARN), or when a
        price is given for a team that is not the public crowd.
        """
        check_arn_resource("workteam_arn", workteam_arn, "sagemaker", "workteam")
        is_crowd = ":workteam/public-crowd/" in workteam_arn
        return cls(
            scope, id, workteam_arn=workteam_arn, is_public_crowd=is_crowd, task_price=task_price
        )

    @classmethod
    def public_crowd(cls, scope: Construct, id: str, *, task_price: TaskPrice) -> IWorkteam:
        """The public crowd (Amazon Mechanical Turk) in the stack's partition and Region.

        :param task_price: what each worker is paid per task; one of the prices AWS
            lists for the flow's task type (see :class:`~constructs_a2i.task_price.TaskPrice`).
            Tasks for the public crowd stay available for at most 12 hours.
        """
        if not isinstance(task_price, TaskPrice):
            raise A2IValidationError(
                "task_price must be a TaskPrice, such as TaskPrice.usd('0.036'): the public "
                f"crowd is paid per task; got {task_price!r}"
            )
        arn = Stack.of(scope).format_arn(
            service="sagemaker",
            resource="workteam",
            resource_name="public-crowd/default",
            account=PUBLIC_CROWD_ACCOUNT,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return cls(scope, id, workteam_arn=arn, is_public_crowd=True, task_price=task_price)


def _check_price(task_price: TaskPrice | None, is_public_crowd: bool, workteam_arn: str) -> None:
    if task_price is None:
        return
    if not isinstance(task_price, TaskPrice):
        raise A2IValidationError(
            f"task_price must be a TaskPrice, such as TaskPrice.usd('0.036'); got {task_price!r}"
        )
    if not is_public_crowd:
        raise A2IValidationError(
            f"task_price is only for the public crowd; private and vendor teams are not paid "
            f"per task through A2I; got {task_price} for the team {workteam_arn}"
        )
