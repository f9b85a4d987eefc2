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

import math
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from constructs_a2i.core import metrics, strict_json
from constructs_a2i.core.arns import flow_definition_name
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.json_log import log
from constructs_a2i.core.retry import RetryPolicy, is_throttling, is_transient
from constructs_a2i.core.starter_settings import StarterSettings
from constructs_a2i.runtime.human_loop_starter.messages import (
    ALREADY_STARTED,
    CONFLICT,
    FAILED,
    SKIPPED,
    STARTED,
    Item,
    Result,
    input_digest,
    prepare,
    s3_key,
)

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
    client: AugmentedAIRuntimeClient, settings: StarterSettings, item: Item, deadline: float
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
        began = time.monotonic()
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
            item.latency_ms = (time.monotonic() - began) * 1000.0
            return Result(STARTED, None, attempts, None, response.get("HumanLoopArn"))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            if is_throttling(code):
                item.throttled += 1
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


def _conflict(item: Item, attempts: int, may_have_started: bool) -> Result:
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
    client: AugmentedAIRuntimeClient, settings: StarterSettings, item: Item, deadline: float
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


def _follow(item: Item, leader: Item) -> Result:
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

    items = [prepare(record, settings) for record in records]

    # One start per loop name: the others with that name follow the first one's result.
    leaders: dict[str, Item] = {}
    followers: list[tuple[Item, Item]] = []
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
    _emit_metrics(settings, items, counts)
    return {"batchItemFailures": failures}


def _emit_metrics(settings: StarterSettings, items: list[Item], counts: dict[str, int]) -> None:
    """The batch's metrics as EMF lines (core.metrics); they never fail the batch."""
    name = flow_definition_name(settings.flow_definition_arn)
    if name is None:
        return
    malformed = sum(
        1 for i in items if i.result and (i.result.reason or "").startswith("malformed")
    )
    values: dict[str, float | list[float]] = {
        metrics.LOOPS_STARTED: counts.get(STARTED, 0),
        metrics.LOOPS_ALREADY_STARTED: counts.get(ALREADY_STARTED, 0),
        metrics.LOOP_CONFLICTS: counts.get(CONFLICT, 0),
        metrics.MESSAGES_SKIPPED: counts.get(SKIPPED, 0),
        metrics.MESSAGES_MALFORMED: malformed,
        metrics.THROTTLED_RETRIES: sum(i.throttled for i in items),
    }
    latencies = [i.latency_ms for i in items if i.latency_ms is not None]
    if latencies:
        values[metrics.START_HUMAN_LOOP_LATENCY] = latencies
    try:
        for line in metrics.emf_lines(name, values, timestamp_ms=int(time.time() * 1000)):
            sys.stdout.write(line + "\n")
    except Exception as error:  # metrics must never cost a message
        log("WARNING", "metrics not emitted", error=f"{type(error).__name__}: {error}")
