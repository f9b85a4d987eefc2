"""The AWS services that start human loops by themselves, and the conditions each supports.

A flow definition with ``HumanLoopRequestSource.AwsManagedHumanLoopRequestSource`` is started by
Amazon Textract or Amazon Rekognition when the request's activation conditions hold.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from constructs_a2i.core.errors import A2IValidationError

__all__ = [
    "IMPORTANT_FORM_KEY_CONFIDENCE_CHECK",
    "MISSING_IMPORTANT_FORM_KEY",
    "MODERATION_LABEL_CONFIDENCE_CHECK",
    "SAMPLING",
    "RequestSource",
]

IMPORTANT_FORM_KEY_CONFIDENCE_CHECK: Final = "ImportantFormKeyConfidenceCheck"
MISSING_IMPORTANT_FORM_KEY: Final = "MissingImportantFormKey"
MODERATION_LABEL_CONFIDENCE_CHECK: Final = "ModerationLabelConfidenceCheck"
SAMPLING: Final = "Sampling"


class RequestSource(StrEnum):
    """An AWS service that starts human loops of a flow definition by itself.

    The value is the ``AwsManagedHumanLoopRequestSource`` of ``CreateFlowDefinition``.
    """

    TEXTRACT_ANALYZE_DOCUMENT_FORMS = "AWS/Textract/AnalyzeDocument/Forms/V1"
    """Amazon Textract ``AnalyzeDocument`` with the ``FORMS`` feature."""

    REKOGNITION_DETECT_MODERATION_LABELS_IMAGE = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    """Amazon Rekognition ``DetectModerationLabels`` on images."""

    @property
    def display_name(self) -> str:
        """A readable name of the integration, for messages."""
        if self is RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS:
            return "Amazon Textract AnalyzeDocument (forms)"
        return "Amazon Rekognition DetectModerationLabels (image)"

    @property
    def condition_types(self) -> frozenset[str]:
        """The ``ConditionType`` values the integration supports."""
        if self is RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS:
            return frozenset(
                {IMPORTANT_FORM_KEY_CONFIDENCE_CHECK, MISSING_IMPORTANT_FORM_KEY, SAMPLING}
            )
        return frozenset({MODERATION_LABEL_CONFIDENCE_CHECK, SAMPLING})

    @classmethod
    def of(cls, value: RequestSource | str, prop: str = "request_source") -> RequestSource:
        """``value`` as a :class:`RequestSource`; a clear error names the allowed values."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(f"{m.name} ({m.value!r})" for m in cls)
            raise A2IValidationError(f"{prop} must be one of {allowed}; got {value!r}") from None
