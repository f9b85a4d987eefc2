"""Start exactly one Amazon A2I human loop per input, from SQS batches.

Every starter source delivers into one SQS queue that this function consumes through an SQS
event source mapping with ``ReportBatchItemFailures``. A message body is one of:

* a plain JSON payload (``StarterSource.sqs()``, ``SOURCE_KIND=sqs``);
* an EventBridge event (``StarterSource.event_bridge(...)``, ``SOURCE_KIND=event-bridge``): the
  payload is its ``detail``;
* an S3 "Object Created" EventBridge event (``StarterSource.s3(...)``, ``SOURCE_KIND=s3``): the
  input is a reference to the object.

Guarantees:

* **Exactly once per input.** The human loop name is derived from the input's identity (the
  ``ID_FIELD`` value, else a SHA-256 of the canonical payload JSON; for S3, bucket + key +
  version id, or ETag where there is no real version id) and the flow definition, so a
  redelivered or re-sent input maps to the same name. Duplicates inside one batch cost a
  single API call.
* **Conflicts are told apart from duplicates.** A2I's API reference defines
  ``ConflictException`` as the same name with *different* input data. A name derived from the
  content (no ``ID_FIELD``, or an S3 object version) cannot name different input, so there the
  exception means "already started". With ``ID_FIELD`` it means the id arrived before with
  other content (``$10``, then ``$10000``): outcome ``conflict``, a WARNING with the loop name
  and a digest of the input (never the content); ``ON_CONFLICT=fail`` returns such messages to
  the queue on every delivery, so they reach its dead-letter queue. A conflict answered to a
  retry whose earlier attempt may have reached A2I (its answer was lost) counts as "already
  started": within this function's knowledge the input is the same.
* **Nothing lost.** Only failed messages are returned in ``batchItemFailures``. Throttling,
  5xx and connection errors are retried here with exponential backoff and full jitter while the
  invocation's time budget lasts, then reported failed so SQS redelivers them. Malformed input
  is reported failed on every delivery (never started, never retried in-process) and so reaches
  the queue's dead-letter queue after ``maxReceiveCount`` receives.
* **No call outlives the invocation.** A call starts only when its connect and read timeouts
  fit before the deadline (the Lambda timeout less :data:`SAFETY_MARGIN_SECONDS`); near the
  end, calls use a client whose timeouts are cut to the time left, so the function always
  returns its partial batch response itself instead of being killed (which would return the
  whole batch to the queue).
* **Fast.** The starts of a batch run concurrently on ``MAX_CONCURRENCY`` threads sharing one
  client, so a batch of 10 costs about one API round trip.

The function's settings (environment variables) are read by
:class:`constructs_a2i.core.starter_settings.StarterSettings`, the same code the
``HumanLoopStarter`` construct checks them with at synth. ``SOURCE_KIND`` says what the queue
carries: with ``sqs`` every body is the user's message, whatever its shape; only ``event-bridge``
and ``s3`` read EventBridge events.

Each message produces one JSON log line on stdout with ``level``, ``message``, ``messageId``,
``humanLoopName``, ``outcome`` (``started``, ``already-started``, ``conflict``, ``skipped``,
``failed``) and ``reason`` (conflicts add ``inputDigest``); payload content is never logged
(input quoted in a service error is withheld).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from constructs_a2i.core import strict_json, untrusted_json
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.json_log import log
from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.core.loop_names import (
    content_loop_name,
    id_loop_name,
    identity_value,
    s3_object_loop_name,
)
from constructs_a2i.core.paths import MISSING
from constructs_a2i.core.retry import RetryPolicy, is_transient
from constructs_a2i.core.starter_settings import StarterSettings

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient
    from mypy_boto3_sagemaker_a2i_runtime.literals import ContentClassifierType

__all__ = [
    "ConfigurationError",
    "Result",
    "handler",
    "input_digest",
    "load_settings",
    "reset",
    "s3_key",
]

# Retries of transient errors (module constants so tests and benchmarks can shorten them).
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0
# Time kept back from the invocation's remaining time: every call and every backoff is over
# this long before the Lambda timeout, so the function always returns its partial batch
# response itself. (Were it cut off anyway, the whole batch would return to the queue and the
# repeated starts would be harmless duplicates.)
SAFETY_MARGIN_SECONDS = 1.5
DEFAULT_BUDGET_SECONDS = 30.0  # when no Lambda context is given
# The client's timeouts while time is plentiful. A call may last about connect + read.
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 5.0
# Near the deadline a call gets the time left, rounded down to a step (so a few cached clients
# serve every case), and none starts with less than the minimum.
TIMEOUT_STEP_SECONDS = 0.5
MIN_CALL_SECONDS = 1.0
# ServiceQuotaExceededException is not transient (core.retry): it reports an account quota
# (for example human loops in progress) that frees up in minutes or hours, not within one
# invocation. The message is reported failed, SQS redelivers it after the visibility timeout,
# and once maxReceiveCount is reached it waits in the dead-letter queue for a redrive.


class ConfigurationError(A2IValidationError):
    """The function's environment is invalid; every message of the batch returns to SQS."""


def load_settings(environ: Mapping[str, str] | None = None) -> StarterSettings:
    """Read and check the environment; raise ConfigurationError saying what to fix."""
    try:
        return StarterSettings.from_environment(os.environ if environ is None else environ)
    except A2IValidationError as error:
        raise ConfigurationError(str(error)) from None


# --------------------------------------------------------------------------------------------
# Per-message preparation
# --------------------------------------------------------------------------------------------

STARTED: Final = "started"
ALREADY_STARTED: Final = "already-started"
CONFLICT: Final = "conflict"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"


@dataclass(slots=True)
class Result:
    """What happened to one message."""

    outcome: str
    reason: str | None = None
    attempts: int = 0
    error_code: str | None = None
    human_loop_arn: str | None = None


@dataclass(slots=True)
class _Item:
    message_id: str
    receive_count: str | None
    source: str
    name: str | None = None
    input_content: str | None = None
    content_named: bool = False
    """The name is derived from the content itself (a hash, or an S3 object version): another
    input cannot have it."""
    result: Result | None = None


def input_digest(content: str) -> str:
    """A short digest of an InputContent for logs (``sha256:`` and 16 hex characters).

    It tells inputs apart without showing them; like any hash of a short text, it does not hide
    an input that can be guessed (``{"amount": 10}``).
    """
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest[:16]}"


def _prepare(record: Mapping[str, Any], settings: StarterSettings) -> _Item:
    """One SQS record as a loop name and input, or a final result; never raises.

    Any error while reading one record (a body nested too deeply for the JSON parser, say)
    fails that record alone: the rest of the batch goes on.
    """
    attributes = record.get("attributes")
    item = _Item(
        message_id=str(record.get("messageId", "")),
        receive_count=attributes.get("ApproximateReceiveCount")
        if isinstance(attributes, dict)
        else None,
        source=settings.source_kind,
    )
    try:
        _read(record, settings, item)
    except (RecursionError, MemoryError) as error:
        item.name = None
        item.result = Result(FAILED, f"malformed: the message is too deeply nested ({error})")
    except Exception as error:  # a bug must not cost the other messages of the batch
        item.name = None
        item.result = Result(FAILED, f"unexpected error: {type(error).__name__}: {error}"[:500])
    return item


def _fail(item: _Item, reason: str) -> None:
    item.result = Result(FAILED, f"malformed: {reason}")


def _read(record: Mapping[str, Any], settings: StarterSettings, item: _Item) -> None:
    body = record.get("body")
    if not isinstance(body, str):
        return _fail(item, "the SQS record has no body")
    try:
        document = strict_json.loads(body)
    except ValueError as error:
        why = (
            f"{error.msg} at character {error.pos}"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        return _fail(item, f"body is not JSON ({why})")

    payload = document
    s3_input: dict[str, Any] | None = None
    if settings.source_kind != "sqs":
        if not (
            isinstance(document, dict) and {"detail-type", "source", "detail"} <= document.keys()
        ):
            return _fail(item, "body is not an EventBridge event (source, detail-type, detail)")
        payload = document["detail"]
    if settings.source_kind == "s3":
        if document["source"] != "aws.s3" or document["detail-type"] != "Object Created":
            return _fail(item, "body is not an S3 'Object Created' event")
        found = _s3_object(payload)
        if isinstance(found, str):
            return _fail(item, found)
        bucket, key, version, s3_input = found
        item.name = s3_object_loop_name(
            settings.flow_definition_arn, bucket, key, version, settings.loop_name_prefix
        )
        item.content_named = True
    elif settings.id_field is not None:
        identity = identity_value(settings.id_field.find(payload))
        if identity is None:
            return _fail(
                item,
                f"ID_FIELD {settings.id_field.text!r} is missing from the payload or is not a "
                "non-empty string or integer",
            )
        item.name = id_loop_name(settings.flow_definition_arn, identity, settings.loop_name_prefix)
    else:
        item.name = content_loop_name(
            settings.flow_definition_arn, payload, settings.loop_name_prefix
        )
        item.content_named = True

    if settings.activation is not None:
        verdict = settings.activation.evaluate(payload)
        if isinstance(verdict, str):
            return _fail(item, verdict)
        if not verdict:
            item.result = Result(SKIPPED, "activation condition is false")
            return None

    sent: Any = payload
    try:
        if settings.input_path is not None:
            sent = settings.input_path.find(payload)
            if sent is MISSING:
                return _fail(item, f"INPUT_PATH {settings.input_path.text!r} is missing")
            content = strict_json.compact(sent)
        elif s3_input is not None:
            sent = s3_input
            content = strict_json.compact(s3_input)
        elif payload is document and len(body) <= INPUT_CONTENT_MAX_LENGTH:
            content = body  # already JSON text (checked above): no need to serialise it again
        else:
            content = strict_json.compact(payload)
    except ValueError as error:  # cannot happen after strict_json.loads; kept as the last guard
        return _fail(item, f"the input is not standard JSON ({error})")
    too_deep = untrusted_json.input_content_too_deep(content, sent)
    if too_deep is not None:
        return _fail(item, too_deep)
    if len(content) > INPUT_CONTENT_MAX_LENGTH:
        return _fail(
            item,
            f"InputContent is {len(content)} characters; A2I accepts at most "
            f"{INPUT_CONTENT_MAX_LENGTH}",
        )
    item.input_content = content
    return None


_ENCODED_KEY: Final = re.compile(r"(?:[\x21-\x24\x26-\x7e]|%[0-9A-Fa-f]{2})*")
"""What a URL-encoded key can be: printable ASCII without spaces, ``%`` only before two hex
digits. A key with anything else (a space, a non-ASCII letter, a lone ``%``) arrived raw."""


def s3_key(key: str) -> str:
    """The real object key of an S3 event's ``detail.object.key``, URL-encoded or not.

    S3 documents its event notifications' keys as URL-encoded with ``+`` for spaces
    (``red flower.jpg`` → ``red+flower.jpg``); its EventBridge page neither says nor shows
    it, and AWS Lambda Powertools decodes them the same way. So a key that can be an encoded
    one is decoded (``+`` → space, ``%XX`` → the UTF-8 byte); a key that cannot (it holds a
    space, a non-ASCII character or a lone ``%``) is taken as it is. A raw key made only of
    characters an encoder leaves alone and holding ``+`` or ``%XX`` (``c++.txt``) would be
    misread; S3's encoded form of it (``c%2B%2B.txt``) is read right.
    """
    if not _ENCODED_KEY.fullmatch(key) or ("+" not in key and "%" not in key):
        return key
    try:
        return urllib.parse.unquote_to_bytes(key.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:  # not the encoding of a UTF-8 key: it was raw
        return key


def _s3_object(detail: Any) -> tuple[str, str, str, dict[str, Any]] | str:
    """(bucket, key, identity of the upload, default input) of an Object Created detail.

    The identity is the version id, which is unique per upload; with no version id, or the
    version id ``null`` (versioning suspended: every upload replaces the ``null`` version), it
    is the ETag (each content its own loop; an identical re-upload is the same input), else
    the sequencer.
    """
    if not isinstance(detail, dict):
        return "S3 event has no detail object"
    bucket = detail.get("bucket")
    obj = detail.get("object")
    name = bucket.get("name") if isinstance(bucket, dict) else None
    if not isinstance(name, str) or not name or not isinstance(obj, dict):
        return "S3 event has no detail.bucket.name or detail.object"
    raw_key = obj.get("key")
    if not isinstance(raw_key, str) or not raw_key:
        return "S3 event has no detail.object.key"
    key = s3_key(raw_key)
    version_id = obj.get("version-id")
    etag = obj.get("etag")
    real_version = version_id if isinstance(version_id, str) and version_id != "null" else None
    identity = next(
        (v for v in (real_version, etag, obj.get("sequencer")) if isinstance(v, str) and v), None
    )
    if identity is None:
        return "S3 event has none of detail.object version-id (other than null), etag, sequencer"
    default_input: dict[str, Any] = {
        "taskObject": f"s3://{name}/{key}",
        "bucket": name,
        "key": key,
        "size": obj.get("size"),
        "etag": etag,
    }
    if isinstance(version_id, str) and version_id:
        default_input["versionId"] = version_id
    return name, key, identity, default_input


# --------------------------------------------------------------------------------------------
# Starting loops
# --------------------------------------------------------------------------------------------


def _timeouts(available: float) -> tuple[float, float] | None:
    """(connect, read) timeouts for a call that must be over within ``available`` seconds;
    None when not even :data:`MIN_CALL_SECONDS` is left."""
    if available >= CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS:
        return CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS
    total = math.floor(available / TIMEOUT_STEP_SECONDS) * TIMEOUT_STEP_SECONDS
    if total < MIN_CALL_SECONDS:
        return None
    connect = min(CONNECT_TIMEOUT_SECONDS, total / 4)
    return connect, total - connect


def _start(
    client: AugmentedAIRuntimeClient, settings: StarterSettings, item: _Item, deadline: float
) -> Result:
    """StartHumanLoop with retries of transient errors; every call is over by ``deadline``
    (monotonic). ``client`` is the one for calls with the full timeouts."""
    assert item.name is not None and item.input_content is not None
    attempts = 0
    may_have_started = False  # an earlier attempt was sent and its answer lost
    while True:
        timeouts = _timeouts(deadline - time.monotonic())
        if timeouts is None:
            return Result(
                FAILED,
                "no time left in this invocation for another call; SQS will redeliver the message",
                attempts,
                "TimeBudgetExhausted",
            )
        caller = _client_for(client, timeouts)
        attempts += 1
        try:
            if settings.content_classifiers:
                response = caller.start_human_loop(
                    HumanLoopName=item.name,
                    FlowDefinitionArn=settings.flow_definition_arn,
                    HumanLoopInput={"InputContent": item.input_content},
                    DataAttributes={
                        "ContentClassifiers": cast(
                            "list[ContentClassifierType]", list(settings.content_classifiers)
                        )
                    },
                )
            else:
                response = caller.start_human_loop(
                    HumanLoopName=item.name,
                    FlowDefinitionArn=settings.flow_definition_arn,
                    HumanLoopInput={"InputContent": item.input_content},
                )
            return Result(STARTED, None, attempts, None, response.get("HumanLoopArn"))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            message = _redact(str(error.response.get("Error", {}).get("Message", "")))
            if code == "ConflictException":
                return _conflict(item, attempts, may_have_started)
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if not is_transient(code, status):
                return Result(FAILED, f"{code}: {message}", attempts, code)
            last = f"{code}: {message}"  # A2I answered: a repeat of the same start succeeds
        except HTTPClientError as error:  # sent, then no answer (read timeout, closed, ...)
            may_have_started = True
            code = type(error).__name__
            last = f"{code}: {error}"
        except BotoConnectionError as error:  # never connected: nothing was sent
            code = type(error).__name__
            last = f"{code}: {error}"
        if attempts >= MAX_ATTEMPTS:
            return Result(
                FAILED, f"gave up after {attempts} attempts; last: {last}", attempts, code
            )
        delay = RetryPolicy(MAX_ATTEMPTS, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS).backoff(
            attempts
        )
        if time.monotonic() + delay + MIN_CALL_SECONDS > deadline:
            return Result(
                FAILED,
                f"no time left in this invocation to retry; last: {last}",
                attempts,
                code,
            )
        time.sleep(delay)


def _conflict(item: _Item, attempts: int, may_have_started: bool) -> Result:
    """What a ConflictException for ``item``'s name means (see the module's docstring)."""
    code = "ConflictException"
    if item.content_named:
        return Result(
            ALREADY_STARTED,
            "a human loop with this name exists; the name is derived from this input, so it "
            "was started for it (redelivered or duplicate input)",
            attempts,
            code,
        )
    if may_have_started:
        return Result(
            ALREADY_STARTED,
            "a human loop with this name exists, most likely started by an earlier attempt "
            "for this message whose answer was lost",
            attempts,
            code,
        )
    return Result(
        CONFLICT,
        "a human loop with this name exists with different input (ConflictException): this "
        "input was not started",
        attempts,
        code,
    )


_QUOTED_INPUT: Final = re.compile(r"Value '.*?' at '(humanLoopInput|dataAttributes)", re.S)


def _redact(message: str) -> str:
    """A service error message without any quoted input content, cut to 300 characters."""
    return _QUOTED_INPUT.sub(r"Value (withheld) at '\1", message)[:300]


def _start_safely(
    client: AugmentedAIRuntimeClient, settings: StarterSettings, item: _Item, deadline: float
) -> Result:
    try:
        return _start(client, settings, item, deadline)
    except Exception as error:  # a bug or an unexpected botocore error fails only this message
        return Result(FAILED, f"unexpected error: {type(error).__name__}: {error}"[:500])


def _same_input(first: str, second: str) -> bool:
    """True when two InputContents hold the same JSON (spacing and key order aside)."""
    if first == second:
        return True
    try:
        return bool(strict_json.loads(first) == strict_json.loads(second))
    except (ValueError, RecursionError):
        return False


# --------------------------------------------------------------------------------------------
# Cached state (one per execution environment)
# --------------------------------------------------------------------------------------------

_settings: StarterSettings | None = None
_client: AugmentedAIRuntimeClient | None = None
_executor: ThreadPoolExecutor | None = None
_short_clients: dict[tuple[float, float], AugmentedAIRuntimeClient] = {}
"""Clients with timeouts cut for calls near the deadline, by (connect, read)."""
_clients_lock = threading.Lock()


def _new_client(connect: float, read: float, pool: int) -> AugmentedAIRuntimeClient:
    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "total_max_attempts": 1},  # _start retries
        max_pool_connections=pool,
        tcp_keepalive=True,
        # Requests are built here from checked values (name pattern and length, input
        # size); botocore's own checks (types, required members, minimums) would only
        # repeat them, at about 5% of the CPU of each call.
        parameter_validation=False,
    )
    return boto3.client("sagemaker-a2i-runtime", config=config)


def _state() -> tuple[StarterSettings, AugmentedAIRuntimeClient]:
    global _settings, _client
    if _settings is None:
        _settings = load_settings()
    if _client is None:
        _client = _new_client(
            CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, max(10, _settings.max_concurrency)
        )
    return _settings, _client


def _client_for(
    client: AugmentedAIRuntimeClient, timeouts: tuple[float, float]
) -> AugmentedAIRuntimeClient:
    """``client`` for the full timeouts, else a cached client with ``timeouts``.

    botocore fixes timeouts per client. Making one costs about 8 ms of CPU, so it happens only
    near a deadline, at most once per (connect, read) step in an execution environment: at
    most 12 of them.
    """
    if timeouts == (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS):
        return client
    with _clients_lock:
        short = _short_clients.get(timeouts)
        if short is None:
            pool = max(10, _settings.max_concurrency if _settings is not None else 10)
            short = _short_clients[timeouts] = _new_client(*timeouts, pool)
    return short


def _pool(size: int) -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="start-human-loop")
    return _executor


def reset() -> None:
    """Forget the cached settings, clients and thread pool (for tests and benchmarks)."""
    global _settings, _client, _executor
    if _executor is not None:
        _executor.shutdown(wait=True)
    _settings, _client, _executor = None, None, None
    with _clients_lock:
        _short_clients.clear()


# --------------------------------------------------------------------------------------------
# Logging and the handler
# --------------------------------------------------------------------------------------------


_MESSAGES: Final = {
    STARTED: "human loop started",
    ALREADY_STARTED: "human loop already started",
    CONFLICT: "human loop name in use with different input",
    SKIPPED: "no human loop needed",
    FAILED: "message failed",
}


def _level(result: Result) -> str:
    if result.outcome == CONFLICT:
        return "WARNING"
    if result.outcome != FAILED:
        return "INFO"
    return "ERROR" if (result.reason or "").startswith("malformed") else "WARNING"


def _follow(item: _Item, leader: _Item) -> Result:
    """The result of ``item``, whose loop name ``leader`` (earlier in the batch) has too."""
    assert leader.result is not None
    same = item.content_named or _same_input(item.input_content or "", leader.input_content or "")
    if leader.result.outcome == FAILED:
        what = "duplicate of" if same else "same loop name, different input, as"
        return Result(FAILED, f"{what} message {leader.message_id} in this batch, which failed")
    if not same:
        return Result(
            CONFLICT,
            f"same loop name as message {leader.message_id} in this batch, with different "
            "input: this input was not started",
        )
    if leader.result.outcome == CONFLICT:
        return Result(
            CONFLICT,
            f"duplicate of message {leader.message_id} in this batch, whose loop name is in "
            "use with different input",
        )
    return Result(ALREADY_STARTED, f"duplicate of message {leader.message_id} in this batch")


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """Process an SQS batch; return the partial batch response."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = remaining() / 1000.0 if callable(remaining) else DEFAULT_BUDGET_SECONDS
    deadline = time.monotonic() + budget - SAFETY_MARGIN_SECONDS
    settings, client = _state()
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("expected an SQS event with 'Records'; check the event source mapping")
    if not all(isinstance(r, Mapping) and r.get("messageId") for r in records):
        # A failure could not be reported for it: fail the whole batch instead of losing it.
        raise ValueError("an SQS record has no messageId; the whole batch returns to the queue")

    items = [_prepare(record, settings) for record in records]

    # One start per loop name: the others with that name follow the first one's result.
    leaders: dict[str, _Item] = {}
    followers: list[tuple[_Item, _Item]] = []
    for item in items:
        if item.result is None and item.name is not None:
            leader = leaders.setdefault(item.name, item)
            if leader is not item:
                followers.append((item, leader))
    to_start = list(leaders.values())
    if len(to_start) == 1:
        to_start[0].result = _start_safely(client, settings, to_start[0], deadline)
    elif to_start:
        pool = _pool(settings.max_concurrency)
        futures = [
            pool.submit(_start_safely, client, settings, item, deadline) for item in to_start
        ]
        for item, future in zip(to_start, futures, strict=True):
            item.result = future.result()
    for item, leader in followers:
        item.result = _follow(item, leader)

    conflicts_fail = settings.on_conflict == "fail"
    failures: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    for item in items:
        result = item.result
        assert result is not None
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        extra: dict[str, Any] = {}
        returned = result.outcome == FAILED
        if result.outcome == CONFLICT:
            extra["inputDigest"] = input_digest(item.input_content or "")
            returned = conflicts_fail
            extra["onConflict"] = settings.on_conflict
        if returned and item.message_id:
            failures.append({"itemIdentifier": item.message_id})
        log(
            _level(result),
            _MESSAGES[result.outcome],
            messageId=item.message_id,
            humanLoopName=item.name,
            outcome=result.outcome,
            reason=result.reason,
            source=item.source,
            attempts=result.attempts,
            errorCode=result.error_code,
            receiveCount=item.receive_count,
            **extra,
        )
    log("INFO", "batch processed", records=len(items), **counts)
    return {"batchItemFailures": failures}
