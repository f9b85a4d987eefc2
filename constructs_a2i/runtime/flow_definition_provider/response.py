"""Answering CloudFormation: the response body and its PUT to the presigned ResponseURL.

The body is at most :data:`MAX_RESPONSE_BYTES` (CloudFormation's limit); the PUT is retried
with backoff until the invocation's end is near. The URL is never logged.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from constructs_a2i.core.retry import RetryPolicy
from constructs_a2i.runtime.flow_definition_provider.request import Request, log_event

__all__ = [
    "MAX_RESPONSE_BYTES",
    "RESPONSE_RETRY_POLICY",
    "RESPONSE_TIMEOUT_SECONDS",
    "ResponseError",
    "is_loopback",
    "put",
    "respond",
    "response_body",
]

MAX_RESPONSE_BYTES = 4096
"""CloudFormation's limit on a custom resource's response."""
RESPONSE_RETRY_POLICY = RetryPolicy(max_attempts=5, base_seconds=0.5, cap_seconds=4.0)
"""Attempts and backoff of the PUT to the ResponseURL."""
RESPONSE_TIMEOUT_SECONDS = 5.0
"""The longest one PUT may take."""

_LOOPBACK_HOSTS = frozenset({"localhost"})
_MAX_PHYSICAL_ID_LENGTH = 1024  # CloudFormation's limit


class ResponseError(Exception):
    """CloudFormation's ResponseURL could not be reached; Lambda retries the invocation."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def response_body(
    req: Request, status: str, reason: str, physical_id: str, data: Mapping[str, str] | None
) -> bytes:
    """The JSON CloudFormation expects, at most MAX_RESPONSE_BYTES long."""
    event = req.event
    body: dict[str, Any] = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
    }
    if data:
        body["Data"] = dict(data)
    encoded = json.dumps(body).encode("utf-8")
    while len(encoded) > MAX_RESPONSE_BYTES and body["Reason"]:
        excess = len(encoded) - MAX_RESPONSE_BYTES
        body["Reason"] = body["Reason"][: max(0, len(body["Reason"]) - excess - 3)] + "..."
        encoded = json.dumps(body).encode("utf-8")
    if len(encoded) > MAX_RESPONSE_BYTES:  # only with ids longer than CloudFormation allows
        body.pop("Data", None)
        body.update(
            Status="FAILED",
            Reason="The response would exceed 4096 bytes.",
            PhysicalResourceId=str(physical_id)[:_MAX_PHYSICAL_ID_LENGTH],
        )
        encoded = json.dumps(body).encode("utf-8")
    return encoded


def put(url: str, body: bytes, timeout: float) -> int:
    """One PUT of ``body`` to ``url``; the HTTP status (raises on failure)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="PUT",
        # CloudFormation's presigned URL is signed for an empty Content-Type.
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    host = urllib.parse.urlsplit(url).hostname
    opener = (
        urllib.request.build_opener(urllib.request.ProxyHandler({}))
        if is_loopback(host)
        else urllib.request.build_opener()
    )
    with opener.open(request, timeout=timeout) as response:
        status: int = response.status
        response.read()
    return status


def respond(
    req: Request,
    status: str,
    reason: str,
    physical_id: str,
    data: Mapping[str, str] | None,
    *,
    transport: Callable[[str, bytes, float], int] = put,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    jitter: Callable[[float, float], float] = random.uniform,
) -> dict[str, Any]:
    """PUT the answer to the ResponseURL, retried; returns the body that was sent.

    ``transport`` makes one PUT; ``sleep``, ``monotonic`` and ``jitter`` are the clock and
    the randomness of the retries (the handler passes its own, which tests replace).
    """
    body = response_body(req, status, reason, physical_id, data)
    answer: dict[str, Any] = json.loads(body)
    url = req.event.get("ResponseURL")
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or not (
        parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))
    ):
        log_event(
            "ERROR",
            "no HTTPS ResponseURL in the event: the answer was not sent",
            req,
            action="respond",
            status=status,
        )
        return answer
    assert isinstance(url, str)
    policy = RESPONSE_RETRY_POLICY
    for attempt in range(1, policy.max_attempts + 1):
        timeout = max(1.0, min(RESPONSE_TIMEOUT_SECONDS, req.end - monotonic()))
        try:
            http_status = transport(url, body, timeout)
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code}"
            error.close()
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            problem = type(error).__name__
        else:
            log_event(
                "INFO",
                "answered CloudFormation",
                req,
                action="respond",
                status=status,
                physicalResourceId=physical_id,
                attempt=attempt,
                httpStatus=http_status,
                bytes=len(body),
            )
            return answer
        delay = policy.backoff(attempt, jitter)
        last = attempt == policy.max_attempts or monotonic() + delay + 1.0 >= req.end
        log_event(
            "ERROR" if last else "WARN",
            "answering CloudFormation failed" + ("" if last else "; retrying"),
            req,
            action="respond",
            status=status,
            attempt=attempt,
            error=problem,
        )
        if last:
            break
        sleep(delay)
    raise ResponseError(
        f"Could not answer CloudFormation ({status}) after {attempt} attempts: {problem}"
    )
