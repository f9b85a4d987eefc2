"""A worker task template's text and sample input (:class:`TaskTemplate`), and its check's error.

A :class:`TaskTemplate` is the HTML/Liquid content of a worker task template: from a file,
a string or one of the built-ins (:mod:`~constructs_a2i.templates.builtins`), with an
optional sample ``InputContent``. ``HumanTaskUi`` checks it at synth
(:meth:`TaskTemplate.check`), so a broken template fails ``cdk synth`` instead of failing
when a reviewer opens a task.

No ``aws_cdk`` and, until a template is checked or rendered, no python-liquid: making a
template only reads text; :mod:`~constructs_a2i.templates.check` and
:mod:`~constructs_a2i.templates.render` are imported on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import TEMPLATE_MAX_LENGTH, check_length
from constructs_a2i.templates import builtins
from constructs_a2i.templates.problems import TemplateError, TemplateProblem

__all__ = ["TaskTemplate", "TaskTemplateError"]


class TaskTemplateError(A2IValidationError, TemplateError):
    """A worker task template A2I would reject or fail to render, found at synth.

    Both an :class:`~constructs_a2i.core.errors.A2IValidationError` and a
    :class:`~constructs_a2i.templates.problems.TemplateError`: ``problems`` lists each
    problem with its line, and the message names the construct it belongs to.
    """

    def __init__(
        self,
        problems: Sequence[TemplateProblem],
        *,
        name: str | None = None,
        construct_path: str | None = None,
    ) -> None:
        self.construct_path = construct_path
        """The path of the construct the template belongs to, if any."""
        TemplateError.__init__(self, problems, name=name)

    def _message(self) -> str:
        message = TemplateError._message(self)
        return f"{self.construct_path}: {message}" if self.construct_path else message


def _as_validation_error(err: ValueError) -> A2IValidationError:
    return A2IValidationError(str(err))


class TaskTemplate:
    """The HTML/Liquid content of a worker task template.

    Make one with :meth:`from_file` or :meth:`from_string`, or start from a built-in:
    :meth:`text_classification`, :meth:`image_classification`, :meth:`text_correction`,
    :meth:`key_value_review`. ``sample_input`` is an example of the ``InputContent``
    your human loops will receive: it documents the template's expected input, and
    with it :class:`~constructs_a2i.human_task_ui.HumanTaskUi` checks that every
    ``task.input`` path the template uses exists (without it, only the syntax is
    checked). Preview the result with ``a2i template preview``.
    """

    def __init__(
        self,
        content: str,
        *,
        sample_input: Mapping[str, Any] | None = None,
        origin: str | None = None,
    ) -> None:
        """
        :param content: the template text (1-128000 characters).
        :param sample_input: an example ``InputContent`` (a JSON object).
        :param origin: where the template comes from (a file name), for error messages.
        """
        if not _is_unresolved_token(content):
            check_length("template", content, 1, TEMPLATE_MAX_LENGTH)
        if sample_input is not None and not isinstance(sample_input, Mapping):
            raise A2IValidationError(
                "sample_input must be a mapping (a JSON object, like the human loop's "
                f"InputContent); got {type(sample_input).__name__}"
            )
        self._content = content
        self._sample_input = dict(sample_input) if sample_input is not None else None
        self._origin = origin

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
        return cls(
            Path(path).read_text(encoding="utf-8"), sample_input=sample_input, origin=str(path)
        )

    @classmethod
    def _from_builtin(cls, built: builtins.BuiltinTemplate) -> TaskTemplate:
        return cls(built.content, sample_input=built.sample_input, origin=f"built-in {built.name}")

    @classmethod
    def text_classification(
        cls,
        categories: Sequence[str],
        *,
        text_field: str = "text",
        prediction_field: str | None = None,
        header: str | None = None,
        instructions: str | None = None,
        answer_name: str = "category",
    ) -> TaskTemplate:
        """Built-in: reviewers read a text and choose one of ``categories``.

        Input fields (``task.input``):

        * ``<text_field>`` (default ``text``): the text to classify.
        * with ``prediction_field`` (say ``"prediction"``): ``<prediction_field>.label``
          and ``<prediction_field>.confidence``, the model's answer, shown as a hint.

        Answer: ``<answer_name>.label`` (default ``category.label``), one of the
        categories. ``header`` and ``instructions`` are plain text (defaults suit the
        task). Carries a sample input with every field; replace it with
        :meth:`with_sample_input`. ::

            TaskTemplate.text_classification(
                categories=["positive", "negative", "neutral"], text_field="text"
            )
        """
        options = _texts(header=header, instructions=instructions)
        try:
            built = builtins.text_classification(
                categories,
                text_field=text_field,
                prediction_field=prediction_field,
                answer_name=answer_name,
                **options,
            )
        except ValueError as err:
            raise _as_validation_error(err) from err
        return cls._from_builtin(built)

    @classmethod
    def image_classification(
        cls,
        categories: Sequence[str],
        *,
        image_field: str = "image",
        header: str | None = None,
        instructions: str | None = None,
        answer_name: str = "category",
    ) -> TaskTemplate:
        """Built-in: reviewers look at an image in S3 and choose one of ``categories`` (2-10).

        Input fields (``task.input``):

        * ``<image_field>`` (default ``image``): the image's S3 URI (``s3://bucket/key``),
          shown through ``grant_read_access``. The flow definition's role needs
          ``s3:GetObject`` on it and the bucket needs CORS allowing GET from any origin.

        Answer: ``<answer_name>.label`` (default ``category.label``).
        """
        options = _texts(header=header, instructions=instructions)
        try:
            built = builtins.image_classification(
                categories, image_field=image_field, answer_name=answer_name, **options
            )
        except ValueError as err:
            raise _as_validation_error(err) from err
        return cls._from_builtin(built)

    @classmethod
    def text_correction(
        cls,
        *,
        source_field: str = "source",
        answer_field: str = "answer",
        header: str | None = None,
        source_label: str | None = None,
        answer_label: str | None = None,
        instructions: str | None = None,
        answer_name: str = "corrected_answer",
    ) -> TaskTemplate:
        """Built-in: reviewers correct a model's free-text answer.

        Input fields (``task.input``):

        * ``<source_field>`` (default ``source``): what the model was given, shown as text.
        * ``<answer_field>`` (default ``answer``): the model's answer, pre-filled in a
          text box the reviewer edits.

        Answer: ``<answer_name>`` (default ``corrected_answer``), the corrected text.
        """
        options = _texts(
            header=header,
            source_label=source_label,
            answer_label=answer_label,
            instructions=instructions,
        )
        try:
            built = builtins.text_correction(
                source_field=source_field,
                answer_field=answer_field,
                answer_name=answer_name,
                **options,
            )
        except ValueError as err:
            raise _as_validation_error(err) from err
        return cls._from_builtin(built)

    @classmethod
    def key_value_review(
        cls,
        *,
        pairs_field: str = "pairs",
        document_field: str | None = None,
        header: str | None = None,
        instructions: str | None = None,
    ) -> TaskTemplate:
        """Built-in: reviewers check and correct key/value pairs a model extracted.

        Input fields (``task.input``):

        * ``<pairs_field>`` (default ``pairs``): a list of objects, each with ``key``
          (shown as the label) and ``value`` (pre-filled, editable).
        * with ``document_field``: ``<document_field>``, the S3 URI of the document
          image, shown through ``grant_read_access``.

        Answers: ``value-0``, ``value-1``, ...: the checked value of each pair, in order.
        """
        options = _texts(header=header, instructions=instructions)
        try:
            built = builtins.key_value_review(
                pairs_field=pairs_field, document_field=document_field, **options
            )
        except ValueError as err:
            raise _as_validation_error(err) from err
        return cls._from_builtin(built)

    def with_sample_input(self, sample_input: Mapping[str, Any]) -> TaskTemplate:
        """A copy of this template that carries ``sample_input``."""
        return type(self)(self._content, sample_input=sample_input, origin=self._origin)

    @property
    def content(self) -> str:
        """The template text."""
        return self._content

    @property
    def sample_input(self) -> dict[str, Any] | None:
        """An example ``InputContent`` for the template, if one was given."""
        return None if self._sample_input is None else dict(self._sample_input)

    @property
    def origin(self) -> str | None:
        """Where the template comes from (a file name, ``built-in text_classification``)."""
        return self._origin

    def problems(self) -> list[TemplateProblem]:
        """Everything A2I would reject or fail to render, checked with the sample input.

        Errors, and notes that fail nothing (an optional ``task.input`` path the sample
        lacks): see :attr:`TemplateProblem.is_error`. Empty when the template is fine,
        and for a template whose content is a CDK token.
        """
        if _is_unresolved_token(self._content):
            return []
        from constructs_a2i.templates.check import find_problems  # loads python-liquid

        return find_problems(self._content, self._sample_input)

    def check(self, *, construct_path: str | None = None) -> None:
        """Raise :class:`TaskTemplateError` if :meth:`problems` finds any error (notes pass)."""
        errors = [problem for problem in self.problems() if problem.is_error]
        if errors:
            raise TaskTemplateError(errors, name=self._origin, construct_path=construct_path)

    def render(self, sample_input: Mapping[str, Any] | None = None) -> str:
        """The template rendered the way A2I does, with ``sample_input`` (default: the sample).

        ``grant_read_access`` gives fake presigned URLs. Raises :class:`TaskTemplateError`
        when the template cannot be rendered.
        """
        data = sample_input if sample_input is not None else self._sample_input
        if data is None:
            raise A2IValidationError("render() needs a sample input: this template has none")
        from constructs_a2i.templates.render import render_template  # loads python-liquid

        try:
            return render_template(self._content, data, name=self._origin)
        except TemplateError as err:
            raise TaskTemplateError(err.problems, name=self._origin) from err


def _texts(**texts: str | None) -> dict[str, str]:
    """The texts given, leaving the built-in's defaults for the others."""
    return {key: value for key, value in texts.items() if value is not None}


def _is_unresolved_token(value: str) -> bool:
    """True when ``value`` is an unresolved CDK token (known only at deploy time).

    A token exists only once ``aws_cdk`` is imported, so without it nothing is a token
    and this module need not import it.
    """
    cdk = sys.modules.get("aws_cdk")
    return cdk is not None and bool(cdk.Token.is_unresolved(value))
