"""One CloudFormation request to the provider: its deadline, its errors and its log lines.

Every log line goes through :func:`log_event`, which takes the request's secrets (the
ResponseURL and its query string) and any other signed URL or SigV4 parameter out first.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_a2i.core.json_log import log

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "FlowDefinitionError",
    "Request",
    "log_event",
    "redact",
    "redacted",
]

MAX_MESSAGE_LENGTH = 1000
"""The longest Reason sent to CloudFormation (longer ones are cut, with an ellipsis)."""

# A URL with a query string (a presigned URL carries its signature there), or a bare
# SigV4 query parameter: never written to a log line or a Reason.
_SIGNED_URL = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s\"'<>]*\?[^\s\"'<>]*", re.IGNORECASE)
_SIGNATURE_PARAMETER = re.compile(r"X-Amz-[A-Za-z]+=[^\s&\"'<>]*", re.IGNORECASE)


class FlowDefinitionError(Exception):
    """A failure reported to CloudFormation; the message says what to do."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 3] + "..."
        super().__init__(message)


@dataclass
class Request:
    """One invocation: the event, its deadline, and the flow definition it created."""

    event: Mapping[str, Any]
    context: Any
    deadline: float
    """The monotonic time by which the work must stop, to leave time for the answer."""
    end: float
    """The monotonic time of the Lambda timeout."""
    created: tuple[str, str] | None = None
    """(ARN, name) of the flow definition this request created or adopted."""
    secrets: tuple[str, ...] = field(default=())
    """Text never to be logged: the ResponseURL and its query string."""

    @property
    def request_type(self) -> str:
        return str(self.event.get("RequestType"))

    @property
    def request_id(self) -> str:
        return str(self.event.get("RequestId") or "")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the request's secrets, signed URLs or signature parameters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _SIGNED_URL.sub("<redacted URL>", text)
    return _SIGNATURE_PARAMETER.sub("<redacted>", text)


def redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list | tuple):
        return [redacted(item, secrets) for item in value]
    if isinstance(value, Mapping):
        return {key: redacted(item, secrets) for key, item in value.items()}
    return value


def log_event(level: str, message: str, request: Request, **fields: Any) -> None:
    event = request.event
    log(
        level,
        redact(message, request.secrets),
        requestType=event.get("RequestType"),
        requestId=event.get("RequestId"),
        logicalResourceId=event.get("LogicalResourceId"),
        **{key: redacted(value, request.secrets) for key, value in fields.items()},
    )
    sys.stdout.flush()
