"""Worker task templates and the human task UIs (``AWS::SageMaker::HumanTaskUi``) made from them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aws_cdk import ArnFormat, Resource, Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_a2i.naming import generated_name
from constructs_a2i.validation import check_arn_resource, check_length, check_name

__all__ = ["TEMPLATE_MAX_LENGTH", "HumanTaskUi", "IHumanTaskUi", "TaskTemplate"]

TEMPLATE_MAX_LENGTH = 128000
"""The largest worker task template A2I accepts, in characters."""


class TaskTemplate:
    """The HTML/Liquid content of a worker task template.

    Make one with :meth:`from_file` or :meth:`from_string`. ``sample_input`` is an
    example of the ``InputContent`` your human loops will receive; it documents the
    template's expected input.
    """

    def __init__(self, content: str, *, sample_input: Mapping[str, Any] | None = None) -> None:
        check_length("template", content, 1, TEMPLATE_MAX_LENGTH)
        self._content = content
        self._sample_input = dict(sample_input) if sample_input is not None else None

    @classmethod
    def from_string(
        cls, content: str, *, sample_input: Mapping[str, Any] | None = None
    ) -> TaskTemplate:
        """A template from HTML/Liquid text (1-128000 characters)."""
        return cls(content, sample_input=sample_input)

    @classmethod
    def from_file(
        cls, path: str | Path, *, sample_input: Mapping[str, Any] | None = None
    ) -> TaskTemplate:
        """A template read from a UTF-8 file at synth time."""
        return cls(Path(path).read_text(encoding="utf-8"), sample_input=sample_input)

    def with_sample_input(self, sample_input: Mapping[str, Any]) -> TaskTemplate:
        """A copy of this template that carries ``sample_input``."""
        return type(self)(self._content, sample_input=sample_input)

    @property
    def content(self) -> str:
        """The template text."""
        return self._content

    @property
    def sample_input(self) -> dict[str, Any] | None:
        """An example ``InputContent`` for the template, if one was given."""
        return None if self._sample_input is None else dict(self._sample_input)


@runtime_checkable
class IHumanTaskUi(Protocol):
    """A worker task template registered with SageMaker."""

    @property
    def human_task_ui_arn(self) -> str:
        """The human task UI's ARN."""
        ...


class HumanTaskUi(Resource):
    """A worker task template (``AWS::SageMaker::HumanTaskUi``).

    ::

        ui = HumanTaskUi(stack, "Ui", template=TaskTemplate.from_file("review.html"))

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
    ) -> None:
        """
        :param template: the worker task template.
        :param human_task_ui_name: the UI's name (1-63 characters, ``^[a-z0-9](-*[a-z0-9])*$``).
            Default: generated from the construct path and the template's content.
            With a fixed name, a template change fails the update: change the name too.
        """
        super().__init__(scope, id)
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
        return _ImportedHumanTaskUi(scope, id, human_task_ui_arn)

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
        return _ImportedHumanTaskUi(scope, id, arn)


class _ImportedHumanTaskUi(Resource):
    def __init__(self, scope: Construct, id: str, arn: str) -> None:
        super().__init__(scope, id)
        self._arn = arn

    @property
    def human_task_ui_arn(self) -> str:
        return self._arn
