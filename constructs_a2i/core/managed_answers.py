"""The answers of AWS-managed loops (Amazon Textract forms, Amazon Rekognition moderation) as
items a person can read.

Such an answer is one object under the request source's name ("Amazon A2I Output Data",
https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html)::

    {"AWS/Textract/AnalyzeDocument/Forms/V1": {"blocks": [...]}}
    {"AWS/Rekognition/DetectModerationLabels/Image/V3": {"moderationLabels": [...]}}

:func:`reviewed_items` reads one answer as :data:`TEXTRACT` (one item per form key:
:mod:`~constructs_a2i.core.textract_forms`) or :data:`REKOGNITION` (one item per moderation
label: :mod:`~constructs_a2i.core.moderation_labels`); :func:`answer_source` says which a
document is (``awsManagedHumanLoopRequestSource``, or the key its answers are under), and
:func:`expansion_of` maps that to the kind. Standard library only: the results Lambda uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from constructs_a2i.core.moderation_labels import moderation_label_items
from constructs_a2i.core.output_json import human_answers, member, request_source
from constructs_a2i.core.request_sources import RequestSource
from constructs_a2i.core.textract_forms import textract_form_items

__all__ = [
    "EXPANSIONS",
    "REKOGNITION",
    "TEXTRACT",
    "answer_source",
    "expansion_of",
    "reviewed_items",
]

TEXTRACT: Final = "textract"
REKOGNITION: Final = "rekognition"
EXPANSIONS: Final = (TEXTRACT, REKOGNITION)
"""The kinds of AWS-managed answers that :func:`reviewed_items` reads."""
_SOURCES: Final = {
    RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS.value: TEXTRACT,
    RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE.value: REKOGNITION,
}
_MEMBER: Final = {TEXTRACT: "blocks", REKOGNITION: "moderationLabels"}


def answer_source(document: Mapping[str, Any]) -> str | None:
    """The request source of a document: ``awsManagedHumanLoopRequestSource``, else the key
    of an answer's ``answerContent`` that names one (an output without the field)."""
    found = request_source(document)
    if found is not None:
        return found
    for answer in human_answers(document):
        content = answer.get("answerContent") if isinstance(answer, Mapping) else None
        if isinstance(content, Mapping):
            for key in content:
                if key in _SOURCES:
                    return str(key)
    return None


def expansion_of(source: str | None) -> str | None:
    """:data:`TEXTRACT` or :data:`REKOGNITION` for a request source; None for any other."""
    return _SOURCES.get(source) if source is not None else None


def reviewed_items(
    kind: str, answer_content: Any, input_content: Any
) -> list[dict[str, Any]] | None:
    """The items of one answer read as ``kind``; None when the answer is not of that shape
    (its object under the request source's key, or the answer itself, has no list of
    ``blocks`` or ``moderationLabels``)."""
    if kind not in _MEMBER:
        raise ValueError(f"kind must be one of {EXPANSIONS}; got {kind!r}")
    inner = answer_content
    for source, found_kind in _SOURCES.items():
        if found_kind == kind and isinstance(member(answer_content, source), Mapping):
            inner = answer_content[source]
    if not isinstance(member(inner, _MEMBER[kind]), list):
        return None
    if kind == TEXTRACT:
        return textract_form_items(inner, input_content)
    return moderation_label_items(inner, input_content)
