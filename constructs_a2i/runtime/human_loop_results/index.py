"""Deliver the result of each finished Amazon A2I human loop to one SQS queue.

Input: the EventBridge event ``SageMaker A2I HumanLoop Status Change`` (source
``aws.sagemaker``), delivered directly to this function (asynchronous invocation).

* ``Completed``: reads ``detail.humanLoopOutput.outputS3Uri`` (``output.json``; SSE-KMS is
  transparent to the client) and sends one message with the human answers.
* ``Stopped``: tasks workers had already started when the loop was stopped go on, and their
  results are stored in S3 ("Delete a Human Loop",
  https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html). So when the event
  names an ``outputS3Uri``, the function reads it like a Completed loop's; a missing object is
  normal there (no worker had started), and the message has ``humanAnswers: []`` and
  ``"outputRead": false``. S3 answers ``NoSuchKey`` for it, or ``AccessDenied`` to a reader
  without ``s3:ListBucket`` (this function's role has ``s3:GetObject`` only), so both mean "no
  output" for a Stopped loop; for a Completed loop both still raise.
* ``Failed``: no ``output.json`` is read; the message has ``humanAnswers: []`` and the failure
  fields.
* An event for another flow definition, or a status that is not final, is ignored (logged).

The message::

    {"humanLoopName", "humanLoopArn", "flowDefinitionArn", "status", "creationTime",
     "failureCode", "failureReason", "outputS3Uri", "outputRead",
     "awsManagedHumanLoopRequestSource", "inputContent", "humanAnswers": [...],
     "parsedAnswers": null | [{"answerIndex", "workerId", "items": [...]}]}

``creationTime`` is the event's (when the loop was created). ``inputContent`` is read from older
output layouts too (:func:`constructs_a2i.core.output_json.input_content`). For a Textract or
Rekognition loop (``awsManagedHumanLoopRequestSource``), ``parsedAnswers`` holds each answer's
reviewed items, one per form key or moderation label
(:mod:`constructs_a2i.core.managed_answers`); for a custom task it is null.

It is JSON text that SQS accepts whatever the workers typed: characters outside SQS's allowed
set (U+FFFE, U+FFFF, a lone surrogate such as ``"\\ud800"``) are written as ``\\uXXXX``
escapes, which decode to the same text (:func:`constructs_a2i.core.untrusted_json.dumps`).

When it would exceed the queue's classic 256 KiB message limit, ``inputContent`` is left out
first (``null``), then ``parsedAnswers`` (``null``), then, only if still too large,
``humanAnswers`` (``[]``); ``"truncated": true`` and ``"omitted": ["inputContent", ...]`` tell
the consumer what to read from ``outputS3Uri``.

Errors raise, so the event is retried and, when every attempt fails, kept with the error:

* An S3 or SQS error (the output not written yet, throttling, access) raises the client error.
* An ``output.json`` that cannot be read (not JSON, not an object, or nested deeper than
  :data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels, which would otherwise crash the
  parser with ``RecursionError``) raises
  :class:`~constructs_a2i.core.output_json.OutputDocumentError` naming the loop, the URI and the
  reason. Only that loop's event fails; every other loop is delivered.

Lambda retries an asynchronous event twice, then sends an invocation record (the event and the
error) to the construct's dead-letter queue, its on-failure destination. Delivery is at least
once; consumers can deduplicate on ``humanLoopName`` + ``status``. With a FIFO queue the
message group is the flow definition name and the deduplication id is
``<humanLoopName>-<status>``, so SQS drops repeats within its five-minute deduplication window.

Environment: ``FLOW_DEFINITION_ARN``, ``DESTINATION_QUEUE_URL`` (both required).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from constructs_a2i.core import metrics, untrusted_json
from constructs_a2i.core.arns import flow_definition_name
from constructs_a2i.core.json_log import log
from constructs_a2i.core.managed_answers import answer_source, expansion_of, reviewed_items
from constructs_a2i.core.output_json import (
    OutputDocumentError,
    human_answers,
    input_content,
    parse_output,
)
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.core.statuses import (
    LOOP_COMPLETED,
    LOOP_FAILED,
    LOOP_FINAL_STATUSES,
    LOOP_STOPPED,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["MESSAGE_MAX_BYTES", "handler", "reset"]

MESSAGE_MAX_BYTES: Final = 262_144
_NO_OBJECT: Final = frozenset({"NoSuchKey", "404", "AccessDenied", "403"})
"""S3's answers to GetObject of a missing key (AccessDenied without ``s3:ListBucket``)."""
_CONFIG: Final = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)

_s3: S3Client | None = None
_sqs: Any = None


def _s3_client() -> S3Client:
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3", config=_CONFIG)
    return _s3


def _sqs_client() -> Any:
    global _sqs
    if _sqs is None:
        _sqs = boto3.client("sqs", config=_CONFIG)
    return _sqs


def reset() -> None:
    """Forget the cached clients (for tests)."""
    global _s3, _sqs
    _s3, _sqs = None, None


def _required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ValueError(f"{name} is not set; the HumanLoopResults construct sets it")
    return value


def _read_output(name: str, uri: str) -> dict[str, Any]:
    bucket, key = parse_s3_uri(uri, "outputS3Uri")
    body = _s3_client().get_object(Bucket=bucket, Key=key)["Body"]
    try:
        content = body.read()
    finally:
        body.close()
    try:
        return parse_output(content, uri)
    except OutputDocumentError as error:
        raise OutputDocumentError(f"human loop {name}: {error}") from None


def _read_stopped_output(name: str, uri: str) -> dict[str, Any] | None:
    """A Stopped loop's output, or None when S3 has none (no worker had started a task)."""
    try:
        return _read_output(name, uri)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code not in _NO_OBJECT:
            raise
        log(
            "INFO",
            "Stopped loop has no output.json",
            humanLoopName=name,
            outputS3Uri=uri,
            s3Error=code,
        )
        return None


def _parsed_answers(document: dict[str, Any], content: Any) -> list[dict[str, Any]] | None:
    """Each answer's reviewed items, for a Textract or Rekognition loop; else None."""
    kind = expansion_of(answer_source(document))
    if kind is None:
        return None
    parsed: list[dict[str, Any]] = []
    for index, answer in enumerate(human_answers(document)):
        entry = answer if isinstance(answer, dict) else {}
        items = reviewed_items(kind, entry.get("answerContent"), content)
        if items is not None:
            parsed.append({"answerIndex": index, "workerId": entry.get("workerId"), "items": items})
    return parsed


def _encode(message: dict[str, Any]) -> tuple[str, int]:
    """The message body SQS accepts, and its size in bytes."""
    body = untrusted_json.dumps(message, separators=(",", ":"))
    return body, len(body.encode("utf-8"))


def _fit(message: dict[str, Any]) -> tuple[str, list[str]]:
    """The body, cut to :data:`MESSAGE_MAX_BYTES`: ``inputContent`` goes first, then
    ``parsedAnswers``, then ``humanAnswers``; return it and the fields left out."""
    body, size = _encode(message)
    omitted: list[str] = []
    for field, empty in (("inputContent", None), ("parsedAnswers", None), ("humanAnswers", [])):
        if size <= MESSAGE_MAX_BYTES:
            break
        if message.get(field) == empty:
            continue
        omitted.append(field)
        message.update({field: empty, "truncated": True, "omitted": list(omitted)})
        body, size = _encode(message)
    return body, omitted


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Send the loop's result to ``DESTINATION_QUEUE_URL``; return what was done."""
    flow_definition_arn = _required_env("FLOW_DEFINITION_ARN")
    queue_url = _required_env("DESTINATION_QUEUE_URL")
    detail = event.get("detail") if isinstance(event, Mapping) else None
    if not isinstance(detail, Mapping):
        raise ValueError("expected an EventBridge 'SageMaker A2I HumanLoop Status Change' event")

    name = detail.get("humanLoopName")
    status = detail.get("humanLoopStatus")
    if detail.get("flowDefinitionArn") != flow_definition_arn:
        log(
            "INFO",
            "ignored: event for another flow definition",
            humanLoopName=name,
            flowDefinitionArn=detail.get("flowDefinitionArn"),
            expected=flow_definition_arn,
        )
        return {"outcome": "ignored", "reason": "other flow definition"}
    if status not in LOOP_FINAL_STATUSES:
        log("INFO", "ignored: status is not final", humanLoopName=name, status=status)
        return {"outcome": "ignored", "reason": f"status {status!r}"}
    if not isinstance(name, str) or not name:
        raise ValueError("event detail has no humanLoopName")

    output = detail.get("humanLoopOutput")
    found_uri = output.get("outputS3Uri") if isinstance(output, Mapping) else None
    output_uri = found_uri if isinstance(found_uri, str) else ""
    has_uri = bool(output_uri)
    document: dict[str, Any] | None = None
    if status == LOOP_COMPLETED:
        if not has_uri:
            raise ValueError(f"Completed event for {name} has no humanLoopOutput.outputS3Uri")
        document = _read_output(name, output_uri)
    elif status == LOOP_STOPPED and has_uri:
        document = _read_stopped_output(name, output_uri)
    content = input_content(document) if document is not None else None
    answers = human_answers(document) if document is not None else []

    message: dict[str, Any] = {
        "humanLoopName": name,
        "humanLoopArn": detail.get("humanLoopArn"),
        "flowDefinitionArn": flow_definition_arn,
        "status": status,
        "creationTime": detail.get("creationTime"),
        "failureCode": detail.get("failureCode"),
        "failureReason": detail.get("failureReason"),
        "outputS3Uri": output_uri if has_uri else None,
        "outputRead": document is not None,
        "awsManagedHumanLoopRequestSource": (
            answer_source(document) if document is not None else None
        ),
        "inputContent": content,
        "humanAnswers": answers,
        "parsedAnswers": _parsed_answers(document, content) if document is not None else None,
    }
    body, omitted = _fit(message)
    truncated = bool(omitted)

    request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": body}
    if queue_url.endswith(".fifo"):
        request["MessageGroupId"] = flow_definition_arn.rsplit("/", 1)[-1][:128]
        request["MessageDeduplicationId"] = f"{name}-{status}"[:128]
    message_id = _sqs_client().send_message(**request)["MessageId"]
    log(
        "INFO",
        "result sent",
        humanLoopName=name,
        status=status,
        answers=len(answers),
        truncated=truncated,
        omitted=omitted,
        messageId=message_id,
    )
    _emit_metrics(flow_definition_arn, event, detail, status, len(answers))
    return {
        "outcome": "sent",
        "messageId": message_id,
        "truncated": truncated,
        "omitted": omitted,
    }


_STATUS_METRICS: Final = {
    LOOP_COMPLETED: metrics.LOOPS_COMPLETED,
    LOOP_STOPPED: metrics.LOOPS_STOPPED,
    LOOP_FAILED: metrics.LOOPS_FAILED,
}


def _seconds_between(start: Any, end: Any) -> float | None:
    """Seconds from ISO 8601 ``start`` to ``end`` (``...Z`` or with an offset), or None."""
    try:
        began = dt.datetime.fromisoformat(str(start))
        ended = dt.datetime.fromisoformat(str(end))
        seconds = (ended - began).total_seconds()
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _emit_metrics(
    flow_definition_arn: str,
    event: Mapping[str, Any],
    detail: Mapping[str, Any],
    status: str,
    answers: int,
) -> None:
    """The loop's metrics as EMF lines (core.metrics): its final status (failures also by
    FailureCode), creation to completion, answers. They never fail the delivery."""
    name = flow_definition_name(flow_definition_arn)
    if name is None or status not in _STATUS_METRICS:
        return
    now = int(time.time() * 1000)
    values: dict[str, float | list[float]] = {metrics.ANSWERS_PER_LOOP: answers}
    if status != LOOP_FAILED:
        values[_STATUS_METRICS[status]] = 1
    took = _seconds_between(detail.get("creationTime"), event.get("time"))
    if took is not None and status == LOOP_COMPLETED:
        values[metrics.TIME_TO_COMPLETE] = took
    try:
        lines = metrics.emf_lines(name, values, timestamp_ms=now)
        if status == LOOP_FAILED:
            code = detail.get("failureCode")
            dimensions = {metrics.FAILURE_CODE: code} if code in metrics.FAILURE_CODES else None
            lines += metrics.emf_lines(
                name, {metrics.LOOPS_FAILED: 1}, timestamp_ms=now, dimensions=dimensions
            )
        for line in lines:
            sys.stdout.write(line + "\n")
    except Exception as error:  # metrics must never cost a delivery
        log("WARNING", "metrics not emitted", error=f"{type(error).__name__}: {error}")
