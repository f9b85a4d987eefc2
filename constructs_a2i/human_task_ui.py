"""The ``HumanTaskUi`` construct (``AWS::SageMaker::HumanTaskUi``): a task template in SageMaker.

A :class:`HumanTaskUi` is made from a
:class:`~constructs_a2i.templates.task_template.TaskTemplate` and checks it first, so a
broken template fails ``cdk synth`` instead of failing when a reviewer opens a task: the
Liquid syntax, a ``<crowd-form>``, the size, the filters, and (given a sample input) every
``task.input`` path the template uses. See :mod:`constructs_a2i.templates`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aws_cdk import ArnFormat, Resource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_a2i._resource import IResourceProtocol
from constructs_a2i.core.names import generated_name
from constructs_a2i.templates.task_template import TaskTemplate
from constructs_a2i.validation import check_arn_resource, check_name

__all__ = ["HumanTaskUi", "HumanTaskUiBase", "IHumanTaskUi"]


@runtime_checkable
class IHumanTaskUi(IResourceProtocol, Protocol):
    """A worker task template registered with SageMaker (an ``IResource``)."""

    @property
    def human_task_ui_arn(self) -> str:
        """The human task UI's ARN."""
        ...

    @property
    def human_task_ui_name(self) -> str:
        """The human task UI's name."""
        ...

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` on this human task UI."""
        ...


class HumanTaskUiBase(Resource):
    """What imported and created human task UIs share: the ARN, the name and :meth:`grant`."""

    @property
    def human_task_ui_arn(self) -> str:
        """The human task UI's ARN."""
        raise NotImplementedError

    @property
    def human_task_ui_name(self) -> str:
        """The human task UI's name."""
        raise NotImplementedError

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` (``sagemaker:DescribeHumanTaskUi``...)
        on this human task UI's ARN, in ``grantee``'s own policy."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.human_task_ui_arn]
        )


class HumanTaskUi(HumanTaskUiBase):
    """A worker task template (``AWS::SageMaker::HumanTaskUi``).

    ::

        ui = HumanTaskUi(stack, "Ui", template=TaskTemplate.from_file(
            "review.html", sample_input={"text": "...", "prediction": {"label": "spam"}}
        ))

    The template is checked when the UI is created (see :meth:`TaskTemplate.check`):
    a Liquid syntax error, a missing ``<crowd-form>``, an unknown filter or, with a
    sample input, a ``task.input`` path the sample does not have raises
    :class:`~constructs_a2i.templates.task_template.TaskTemplateError` naming this
    construct, the line and the path.

    The name defaults to one generated from the construct path and a hash of the
    template, so that a changed template can replace the old UI during an update
    (CloudFormation cannot replace a resource whose custom name stays the same).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        template: TaskTemplate,
        human_task_ui_name: str | None = None,
        check_template: bool = True,
    ) -> None:
        """
        :param template: the worker task template.
        :param human_task_ui_name: the UI's name (1-63 characters, ``^[a-z0-9](-*[a-z0-9])*$``).
            Default: generated from the construct path and the template's content.
            With a fixed name, a template change fails the update: change the name too.
        :param check_template: check the template at synth (default). Turn it off only
            for a template that uses Liquid this checker does not know; A2I still
            rejects templates over 128000 characters.
        """
        super().__init__(scope, id)
        if check_template:
            template.check(construct_path=self.node.path)
        if human_task_ui_name is not None:
            check_name("human_task_ui_name", human_task_ui_name)
            name = human_task_ui_name
        else:
            name = generated_name(self.node.path, 63, template.content)
        self._template = template
        self._resource = sagemaker.CfnHumanTaskUi(
            self,
            "Resource",
            human_task_ui_name=name,
            ui_template={"content": template.content},
        )
        self._human_task_ui_arn = self._resource.attr_human_task_ui_arn
        self._human_task_ui_name = name

    @property
    def human_task_ui_arn(self) -> str:
        """The human task UI's ARN."""
        return self._human_task_ui_arn

    @property
    def human_task_ui_name(self) -> str:
        """The human task UI's name."""
        return self._human_task_ui_name

    @property
    def template(self) -> TaskTemplate:
        """The template this UI was made from."""
        return self._template

    @classmethod
    def from_human_task_ui_arn(
        cls, scope: Construct, id: str, human_task_ui_arn: str
    ) -> IHumanTaskUi:
        """Import an existing human task UI by ARN (``...:human-task-ui/<name>``)."""
        check_arn_resource("human_task_ui_arn", human_task_ui_arn, "sagemaker", "human-task-ui")
        name = (
            Stack.of(scope)
            .split_arn(human_task_ui_arn, ArnFormat.SLASH_RESOURCE_NAME)
            .resource_name
        )
        return _ImportedHumanTaskUi(scope, id, human_task_ui_arn, name or "")

    @classmethod
    def from_human_task_ui_name(
        cls, scope: Construct, id: str, human_task_ui_name: str
    ) -> IHumanTaskUi:
        """Import an existing human task UI of this account and Region by name."""
        check_name("human_task_ui_name", human_task_ui_name)
        arn = Stack.of(scope).format_arn(
            service="sagemaker",
            resource="human-task-ui",
            resource_name=human_task_ui_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return _ImportedHumanTaskUi(scope, id, arn, human_task_ui_name)


class _ImportedHumanTaskUi(HumanTaskUiBase):
    def __init__(self, scope: Construct, id: str, arn: str, name: str) -> None:
        # Its account and Region are its ARN's.
        super().__init__(scope, id, environment_from_arn=arn)
        self._arn = arn
        self._name = name

    @property
    def human_task_ui_arn(self) -> str:
        return self._arn

    @property
    def human_task_ui_name(self) -> str:
        return self._name
