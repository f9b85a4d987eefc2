"""An A2I ``output.json``, read the same way by the results Lambda and by ``a2i results``.

A2I writes one per finished loop under the flow definition's output path: a JSON object with
``flowDefinitionArn``, ``humanLoopName``, ``inputContent`` and ``humanAnswers`` (a list of
answers, each with ``answerContent`` and the worker's fields), plus
``awsManagedHumanLoopRequestSource`` for Amazon Textract and Amazon Rekognition loops, as
"Amazon A2I Output Data" describes (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html).
Its "Track Worker Activity" section adds ``workerMetadata.identityData`` (``sub``, ``issuer``,
``identityProviderType``) to each answer of a private workforce (:func:`worker_identity`).

A loop that was Stopped can have one too: tasks workers had already started go on until they
are submitted or expire, and their results are stored in S3 ("Delete a Human Loop",
https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html). One that no
worker had started has none, which is normal, not an error.

:func:`parse_output` turns its bytes into that object or raises :class:`OutputDocumentError`
(a ``ValueError``) saying why it cannot be read: not JSON, nested deeper than
:data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels, or not an object. It never raises
``RecursionError``.

:func:`input_content` reads the loop's input from the current layout and from older ones:
``humanLoopInputContent`` instead of ``inputContent`` (an object, a JSON text, or the runtime
API's ``{"InputContent": "<JSON text>"}``), or the AWS-managed parts
(:data:`MANAGED_INPUT_KEYS`) at the top level of the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from constructs_a2i.core import untrusted_json

__all__ = [
    "IDENTITY_FIELDS",
    "MANAGED_INPUT_KEYS",
    "OutputDocumentError",
    "human_answers",
    "input_content",
    "member",
    "members",
    "parse_output",
    "request_source",
    "worker_identity",
]

MANAGED_INPUT_KEYS: Final = (
    "aiServiceRequest",
    "aiServiceResponse",
    "humanTaskActivationConditionResults",
    "selectedAiServiceResponse",
    "humanLoopContext",
)
"""The parts of an AWS-managed loop's ``inputContent``; older outputs put them at the top."""

IDENTITY_FIELDS: Final = (
    ("workerSub", "sub"),
    ("workerIssuer", "issuer"),
    ("workerIdentityProviderType", "identityProviderType"),
)
"""``(our field, workerMetadata.identityData key)`` for each fact about a worker's identity."""


class OutputDocumentError(ValueError):
    """An ``output.json`` that cannot be read; the message names its URI and the reason."""


def parse_output(body: bytes | str, uri: str) -> dict[str, Any]:
    """The output document at ``uri`` (its content is ``body``)."""
    try:
        document = untrusted_json.loads(body)
    except untrusted_json.JsonTooDeepError as error:
        raise OutputDocumentError(
            f"{uri} is nested deeper than {error.limit} levels; it was not read "
            "(read it from S3 yourself)"
        ) from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise OutputDocumentError(f"{uri} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise OutputDocumentError(f"{uri} is not an A2I output document (not a JSON object)")
    return document


def human_answers(document: Mapping[str, Any]) -> list[Any]:
    """The document's ``humanAnswers`` (an empty list when it has none, or not a list)."""
    found = document.get("humanAnswers")
    return found if isinstance(found, list) else []


def input_content(document: Mapping[str, Any]) -> Any:
    """The loop's input: ``inputContent``, else what an older layout holds, else None."""
    found = document.get("inputContent")
    if found is not None:
        return found
    older = document.get("humanLoopInputContent")
    if older is not None:
        return _unwrap(older)
    parts = {key: document[key] for key in MANAGED_INPUT_KEYS if document.get(key) is not None}
    return parts or None


def _unwrap(value: Any) -> Any:
    """``humanLoopInputContent`` as an object: the API's wrapper and JSON text undone."""
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), *_ = value.items()
        if key in ("InputContent", "inputContent") and isinstance(inner, str):
            value = inner
    if isinstance(value, str):
        try:
            return untrusted_json.loads(value)
        except ValueError:  # not JSON, or nested too deep: the text as it is
            return value
    return value


def request_source(document: Mapping[str, Any]) -> str | None:
    """``awsManagedHumanLoopRequestSource`` (Textract or Rekognition loops), else None."""
    found = document.get("awsManagedHumanLoopRequestSource")
    return found if isinstance(found, str) and found else None


def worker_identity(answer: Any) -> dict[str, Any]:
    """``workerSub``, ``workerIssuer`` and ``workerIdentityProviderType`` of one answer
    (each None when the answer has no ``workerMetadata.identityData``, as with public
    workers)."""
    metadata = answer.get("workerMetadata") if isinstance(answer, Mapping) else None
    identity = metadata.get("identityData") if isinstance(metadata, Mapping) else None
    if not isinstance(identity, Mapping):
        identity = {}
    return {ours: identity.get(theirs) for ours, theirs in IDENTITY_FIELDS}


def member(value: Any, name: str) -> Any:
    """``value[name]``, or its PascalCase twin (``blockType`` or ``BlockType``): A2I writes
    camelCase, Textract's API and some of AWS's samples PascalCase. None when absent or when
    ``value`` is not an object."""
    if not isinstance(value, Mapping):
        return None
    if name in value:
        return value[name]
    return value.get(name[:1].upper() + name[1:])


def members(value: Any, name: str) -> list[Any]:
    """:func:`member` when it is a list, else an empty list."""
    found = member(value, name)
    return found if isinstance(found, list) else []
