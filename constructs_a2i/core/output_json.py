"""An A2I ``output.json``, read the same way by the results Lambda and by ``a2i results``.

A2I writes one per finished loop under the flow definition's output path: a JSON object with
``flowDefinitionArn``, ``humanLoopName``, ``inputContent`` and ``humanAnswers`` (a list of
answers, each with ``answerContent`` and the worker's fields), as "Amazon A2I Output Data"
describes (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html).

:func:`parse_output` turns its bytes into that object or raises :class:`OutputDocumentError`
(a ``ValueError``) saying why it cannot be read: not JSON, nested deeper than
:data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels, or not an object. It never raises
``RecursionError``.
"""

from __future__ import annotations

from typing import Any

from constructs_a2i.core import untrusted_json

__all__ = ["OutputDocumentError", "human_answers", "parse_output"]


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


def human_answers(document: dict[str, Any]) -> list[Any]:
    """The document's ``humanAnswers`` (an empty list when it has none, or not a list)."""
    found = document.get("humanAnswers")
    return found if isinstance(found, list) else []
