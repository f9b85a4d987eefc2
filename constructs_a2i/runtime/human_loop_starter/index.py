"""Start exactly one Amazon A2I human loop per input, from SQS batches.

Every starter source delivers into one SQS queue that this function consumes through an SQS
event source mapping with ``ReportBatchItemFailures``. A message body is one of:

* a plain JSON payload (``StarterSource.sqs()``);
* an EventBridge event (``StarterSource.event_bridge(...)``): the payload is its ``detail``;
* an S3 "Object Created" EventBridge event (``StarterSource.s3(...)``): the input is the object.

Guarantees:

* **Exactly once per input.** The human loop name is derived from the input's identity (the
  ``ID_FIELD`` value, else a SHA-256 of the canonical payload JSON; for S3, bucket + key +
  version id or ETag) and the flow definition, so a redelivered or re-sent input maps to the
  same name. A ``ConflictException`` for that name means the loop exists: success. Duplicates
  inside one batch cost a single API call.
* **Nothing lost.** Only failed messages are returned in ``batchItemFailures``. Throttling,
  5xx and connection errors are retried here with exponential backoff and full jitter while the
  invocation's time budget lasts, then reported failed so SQS redelivers them. Malformed input
  is reported failed on every delivery (never started, never retried in-process) and so reaches
  the queue's dead-letter queue after ``maxReceiveCount`` receives.
* **Fast.** The starts of a batch run concurrently on ``MAX_CONCURRENCY`` threads sharing one
  client, so a batch of 10 costs about one API round trip.

Environment:

``FLOW_DEFINITION_ARN`` (required)
    The flow definition every loop is started for.
``ID_FIELD``
    A path (``id``, ``$.meta.requestId``, ``items[0].id``) to the value (a non-empty string or
    an integer) that identifies a payload. When set and absent from a payload, that message
    is malformed. S3 objects are always identified by bucket, key and version id or ETag.
``INPUT_PATH``
    A path to the value (JSON-serialised) used as ``InputContent``; default the whole payload,
    or for S3 objects ``{"taskObject": "s3://bucket/key", "bucket", "key", "size", "etag"}``
    (plus ``"versionId"`` for versioned buckets). For S3 events paths resolve in ``detail``.
``ACTIVATION``
    JSON ``{"path": "$.prediction.confidence", "operator": "lt", "value": 0.8}`` (operators
    ``lt le gt ge eq ne``). When false the message succeeds as ``skipped``; a missing or
    non-comparable value makes it malformed.
``CONTENT_CLASSIFIERS``
    Comma-separated ``FreeOfPersonallyIdentifiableInformation``, ``FreeOfAdultContent``.
``MAX_CONCURRENCY``
    Concurrent StartHumanLoop calls per invocation (1-100, default 10).
``LOOP_NAME_PREFIX``
    A valid name part of at most 20 characters that starts every loop name.

Each message produces one JSON log line on stdout with ``level``, ``message``, ``messageId``,
``humanLoopName``, ``outcome`` (``started``, ``already-started``, ``skipped``, ``failed``) and
``reason``; payload content is never logged (input quoted in a service error is withheld).
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import random
import re
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient
    from mypy_boto3_sagemaker_a2i_runtime.literals import ContentClassifierType

__all__ = [
    "CONTENT_CLASSIFIERS",
    "HASH_LENGTH",
    "INPUT_CONTENT_MAX_LENGTH",
    "LOOP_NAME_MAX_LENGTH",
    "MISSING",
    "PREFIX_MAX_LENGTH",
    "ConfigurationError",
    "Path",
    "Settings",
    "content_loop_name",
    "handler",
    "id_loop_name",
    "identity_value",
    "load_settings",
    "loop_name",
    "reset",
]

INPUT_CONTENT_MAX_LENGTH: Final = 3_145_728
CONTENT_CLASSIFIERS: Final = frozenset(
    {"FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"}
)
LOOP_NAME_MAX_LENGTH: Final = 63
PREFIX_MAX_LENGTH: Final = 20
HASH_LENGTH: Final = 20  # hex characters (80 bits) of the identity's SHA-256, always in the name

# Retries of transient errors (module constants so tests and benchmarks can shorten them).
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0
# Time kept back from the invocation's remaining time: no attempt starts, and no backoff ends,
# later than this before the Lambda timeout, so the function always returns its partial batch
# response itself. (Were it cut off anyway, the whole batch would return to the queue and the
# repeated starts would be harmless conflicts.)
SAFETY_MARGIN_SECONDS = 1.5
DEFAULT_BUDGET_SECONDS = 30.0  # when no Lambda context is given
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 5.0

_NAME_PATTERN: Final = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
_NOT_NAME_CHARS: Final = re.compile(r"[^a-z0-9]+")
_PATH_TOKEN: Final = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")

# Retried here: the service says "try again later" and usually means seconds.
_TRANSIENT_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TooManyRequestsException",
    }
)
# ServiceQuotaExceededException is NOT retried here: it reports an account quota (for example
# human loops in progress) that frees up in minutes or hours, not within one invocation. The
# message is reported failed, SQS redelivers it after the visibility timeout, and once
# maxReceiveCount is reached it waits in the dead-letter queue for a redrive.
# ValidationException and other client errors are not retried here either: they return to SQS
# and end in the dead-letter queue if they keep failing.

MISSING: Final = object()
"""What :meth:`Path.find` returns when the path leads nowhere."""


class ConfigurationError(ValueError):
    """The function's environment is invalid; every message of the batch returns to SQS."""


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------

PathStep = str | int


@dataclass(frozen=True, slots=True)
class Path:
    """A parsed payload path: ``$.a.b``, ``a.b``, ``items[0].id`` (``$`` is the payload)."""

    text: str
    steps: tuple[PathStep, ...]

    @classmethod
    def parse(cls, text: str, setting: str) -> Path:
        body = text.strip()
        if body.startswith("$"):
            body = body[1:]
        steps: list[PathStep] = []
        position = 0
        while position < len(body):
            match = _PATH_TOKEN.match(body, position)
            if match is None or (
                match.group(1) is not None and position > 0 and body[position] != "."
            ):
                raise ConfigurationError(
                    f"{setting} {text!r} is not a valid path; use forms like 'id', "
                    "'$.meta.requestId' or '$.items[0].id'"
                )
            key, index = match.groups()
            steps.append(key if key is not None else int(index))
            position = match.end()
        if not steps and setting != "INPUT_PATH":
            raise ConfigurationError(f"{setting} {text!r} names no field")
        return cls(text=text.strip(), steps=tuple(steps))

    def find(self, document: Any) -> Any:
        """The value at this path in ``document``, or ``MISSING``."""
        current = document
        for step in self.steps:
            if isinstance(step, str):
                if not isinstance(current, dict) or step not in current:
                    return MISSING
                current = current[step]
            else:
                if not isinstance(current, list) or step >= len(current):
                    return MISSING
                current = current[step]
        return current


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}


def _kind(value: Any) -> str | None:
    """The comparison kind of a JSON value (``None`` for objects and arrays)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return None


@dataclass(frozen=True, slots=True)
class Activation:
    """Start a loop only when ``<payload value at path> <operator> <value>`` holds."""

    path: Path
    operator: str
    value: Any

    @classmethod
    def parse(cls, text: str) -> Activation:
        try:
            spec = json.loads(text)
        except ValueError as error:
            raise ConfigurationError(f"ACTIVATION is not valid JSON: {error}") from None
        if not isinstance(spec, dict) or set(spec) != {"path", "operator", "value"}:
            raise ConfigurationError(
                'ACTIVATION must be a JSON object {"path": ..., "operator": ..., "value": ...}'
            )
        op, value = spec["operator"], spec["value"]
        if op not in _OPERATORS:
            raise ConfigurationError(
                f"ACTIVATION operator {op!r} is not one of {', '.join(_OPERATORS)}"
            )
        kind = _kind(value)
        ordered = op in {"lt", "le", "gt", "ge"}
        if kind is None or (ordered and kind not in {"number", "string"}):
            raise ConfigurationError(
                f"ACTIVATION value {value!r} cannot be compared with {op!r}; use a number or "
                "a string (eq/ne also accept true, false and null)"
            )
        if not isinstance(spec["path"], str):
            raise ConfigurationError("ACTIVATION path must be a string")
        return cls(path=Path.parse(spec["path"], "ACTIVATION path"), operator=op, value=value)

    def evaluate(self, payload: Any) -> bool | str:
        """``True``/``False``, or the reason the payload cannot be evaluated."""
        found = self.path.find(payload)
        if found is MISSING:
            return f"ACTIVATION path {self.path.text!r} is missing from the payload"
        found_kind, wanted_kind = _kind(found), _kind(self.value)
        if found_kind != wanted_kind:
            return (
                f"ACTIVATION path {self.path.text!r} holds a {found_kind or 'structured value'}, "
                f"not comparable with the configured {wanted_kind}"
            )
        return bool(_OPERATORS[self.operator](found, self.value))


@dataclass(frozen=True, slots=True)
class Settings:
    """The function's configuration, read once per execution environment."""

    flow_definition_arn: str
    id_field: Path | None = None
    input_path: Path | None = None
    activation: Activation | None = None
    content_classifiers: tuple[ContentClassifierType, ...] = ()
    max_concurrency: int = 10
    loop_name_prefix: str = ""


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment; raise ConfigurationError saying what to fix."""
    env = os.environ if environ is None else environ
    arn = env.get("FLOW_DEFINITION_ARN", "").strip()
    if not arn:
        raise ConfigurationError(
            "FLOW_DEFINITION_ARN is not set; set it to the flow definition ARN"
        )
    id_text = env.get("ID_FIELD", "").strip()
    input_text = env.get("INPUT_PATH", "").strip()
    activation_text = env.get("ACTIVATION", "").strip()
    classifiers = tuple(
        sorted({part.strip() for part in env.get("CONTENT_CLASSIFIERS", "").split(",")} - {""})
    )
    unknown = [c for c in classifiers if c not in CONTENT_CLASSIFIERS]
    if unknown:
        raise ConfigurationError(
            f"CONTENT_CLASSIFIERS has unknown values {unknown}; allowed: "
            f"{', '.join(sorted(CONTENT_CLASSIFIERS))}"
        )
    concurrency_text = env.get("MAX_CONCURRENCY", "").strip() or "10"
    try:
        concurrency = int(concurrency_text)
    except ValueError:
        concurrency = 0
    if not 1 <= concurrency <= 100:
        raise ConfigurationError(
            f"MAX_CONCURRENCY must be an integer from 1 to 100; got {concurrency_text!r}"
        )
    prefix = env.get("LOOP_NAME_PREFIX", "").strip()
    if prefix and (len(prefix) > PREFIX_MAX_LENGTH or not _NAME_PATTERN.match(prefix)):
        raise ConfigurationError(
            f"LOOP_NAME_PREFIX {prefix!r} must be at most {PREFIX_MAX_LENGTH} characters of "
            "a-z, 0-9 and single hyphens, starting and ending with a letter or digit"
        )
    return Settings(
        flow_definition_arn=arn,
        id_field=Path.parse(id_text, "ID_FIELD") if id_text else None,
        input_path=Path.parse(input_text, "INPUT_PATH") if input_text else None,
        activation=Activation.parse(activation_text) if activation_text else None,
        content_classifiers=cast("tuple[ContentClassifierType, ...]", classifiers),
        max_concurrency=concurrency,
        loop_name_prefix=prefix,
    )


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def loop_name(prefix: str, readable: str, digest: str) -> str:
    """A valid human loop name: ``<prefix>-<readable>-<hash>``, at most 63 characters.

    ``readable`` is lower-cased and every run of characters outside ``a-z0-9`` becomes one
    hyphen, then it is cut to the room left; ``digest`` (hex) always contributes its first
    ``HASH_LENGTH`` characters, so distinct identities get distinct names.
    """
    suffix = digest[:HASH_LENGTH]
    clean_prefix = _NOT_NAME_CHARS.sub("-", prefix.lower()).strip("-")[:PREFIX_MAX_LENGTH]
    clean_prefix = clean_prefix.rstrip("-")
    room = LOOP_NAME_MAX_LENGTH - len(suffix) - 1 - (len(clean_prefix) + 1 if clean_prefix else 0)
    part = ""
    if room > 0 and readable:
        # Cut before cleaning too (bounded work for huge values), with slack for collapsed runs.
        part = _NOT_NAME_CHARS.sub("-", readable[: room * 8].lower()).strip("-")[:room]
        part = part.rstrip("-")
    return "-".join(p for p in (clean_prefix, part, suffix) if p)


def id_loop_name(flow_definition_arn: str, identity: str, prefix: str = "") -> str:
    """The loop name of the input whose id field holds ``identity``."""
    return loop_name(prefix, identity, _digest(flow_definition_arn, "id", identity))


def content_loop_name(flow_definition_arn: str, payload: Any, prefix: str = "") -> str:
    """The loop name of an input without an id: a hash of its canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return loop_name(prefix, "", _digest(flow_definition_arn, "content", canonical))


def _digest(flow_definition_arn: str, *identity: str) -> str:
    # The flow definition is part of the identity: loop names are unique per account and
    # Region, so two starters given the same input id must not collide.
    joined = "\x00".join((flow_definition_arn, *identity))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------------------------
# Per-message preparation
# --------------------------------------------------------------------------------------------

STARTED: Final = "started"
ALREADY_STARTED: Final = "already-started"
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
    source: str = "sqs"
    name: str | None = None
    input_content: str | None = None
    result: Result | None = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# Python's json accepts NaN and Infinity; A2I's InputContent must be standard JSON.
_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def identity_value(value: Any) -> str | None:
    """An id field's value as text: non-empty strings and integers only (else None)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _prepare(record: Mapping[str, Any], settings: Settings) -> _Item:
    """Parse one SQS record into a loop name and input, or a final result."""
    attributes = record.get("attributes")
    item = _Item(
        message_id=str(record.get("messageId", "")),
        receive_count=attributes.get("ApproximateReceiveCount")
        if isinstance(attributes, dict)
        else None,
    )
    body = record.get("body")
    if not isinstance(body, str):
        item.result = Result(FAILED, "malformed: the SQS record has no body")
        return item
    try:
        document = _DECODER.decode(body)
    except ValueError as error:
        why = (
            f"{error.msg} at character {error.pos}"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        item.result = Result(FAILED, f"malformed: body is not JSON ({why})")
        return item

    s3_input: dict[str, Any] | None = None
    if (
        isinstance(document, dict)
        and "detail-type" in document
        and "source" in document
        and "detail" in document
    ):
        payload = document["detail"]
        item.source = "eventbridge"
        if document["source"] == "aws.s3" and document["detail-type"] == "Object Created":
            item.source = "s3"
            found = _s3_object(payload)
            if isinstance(found, str):
                item.result = Result(FAILED, f"malformed: {found}")
                return item
            bucket, key, version, s3_input = found
            digest = _digest(settings.flow_definition_arn, "s3", bucket, key, version)
            item.name = loop_name(settings.loop_name_prefix, key.rsplit("/", 1)[-1], digest)
    else:
        payload = document

    if item.name is None:
        if settings.id_field is not None:
            identity = identity_value(settings.id_field.find(payload))
            if identity is None:
                item.result = Result(
                    FAILED,
                    f"malformed: ID_FIELD {settings.id_field.text!r} is missing from the payload "
                    "or is not a non-empty string or integer",
                )
                return item
            item.name = id_loop_name(
                settings.flow_definition_arn, identity, settings.loop_name_prefix
            )
        else:
            item.name = content_loop_name(
                settings.flow_definition_arn, payload, settings.loop_name_prefix
            )

    if settings.activation is not None:
        verdict = settings.activation.evaluate(payload)
        if isinstance(verdict, str):
            item.result = Result(FAILED, f"malformed: {verdict}")
            return item
        if not verdict:
            item.result = Result(SKIPPED, "activation condition is false")
            return item

    if settings.input_path is not None:
        value = settings.input_path.find(payload)
        if value is MISSING:
            item.result = Result(
                FAILED, f"malformed: INPUT_PATH {settings.input_path.text!r} is missing"
            )
            return item
        content = _compact(value)
    elif s3_input is not None:
        content = _compact(s3_input)
    elif payload is document and len(body) <= INPUT_CONTENT_MAX_LENGTH:
        content = body  # already JSON text: no need to serialise it again
    else:
        content = _compact(payload)
    if len(content) > INPUT_CONTENT_MAX_LENGTH:
        item.result = Result(
            FAILED,
            f"malformed: InputContent is {len(content)} characters; A2I accepts at most "
            f"{INPUT_CONTENT_MAX_LENGTH}",
        )
        return item
    item.input_content = content
    return item


def _s3_object(detail: Any) -> tuple[str, str, str, dict[str, Any]] | str:
    """(bucket, key, version id or ETag, default input) of an Object Created detail."""
    if not isinstance(detail, dict):
        return "S3 event has no detail object"
    bucket = detail.get("bucket")
    obj = detail.get("object")
    name = bucket.get("name") if isinstance(bucket, dict) else None
    if not isinstance(name, str) or not name or not isinstance(obj, dict):
        return "S3 event has no detail.bucket.name or detail.object"
    key = obj.get("key")
    if not isinstance(key, str) or not key:
        return "S3 event has no detail.object.key"
    version_id = obj.get("version-id")
    etag = obj.get("etag")
    version = next(
        (v for v in (version_id, etag, obj.get("sequencer")) if isinstance(v, str) and v), None
    )
    if version is None:
        return "S3 event has none of detail.object version-id, etag, sequencer"
    default_input: dict[str, Any] = {
        "taskObject": f"s3://{name}/{key}",
        "bucket": name,
        "key": key,
        "size": obj.get("size"),
        "etag": etag,
    }
    if isinstance(version_id, str) and version_id:
        default_input["versionId"] = version_id
    return name, key, version, default_input


# --------------------------------------------------------------------------------------------
# Starting loops
# --------------------------------------------------------------------------------------------


def _start(
    client: AugmentedAIRuntimeClient, settings: Settings, item: _Item, deadline: float
) -> Result:
    """StartHumanLoop with retries of transient errors until ``deadline`` (monotonic)."""
    assert item.name is not None and item.input_content is not None
    attempts = 0
    while True:
        if time.monotonic() >= deadline:
            return Result(
                FAILED,
                "no time left in this invocation; SQS will redeliver the message",
                attempts,
                "TimeBudgetExhausted",
            )
        attempts += 1
        try:
            if settings.content_classifiers:
                response = client.start_human_loop(
                    HumanLoopName=item.name,
                    FlowDefinitionArn=settings.flow_definition_arn,
                    HumanLoopInput={"InputContent": item.input_content},
                    DataAttributes={"ContentClassifiers": list(settings.content_classifiers)},
                )
            else:
                response = client.start_human_loop(
                    HumanLoopName=item.name,
                    FlowDefinitionArn=settings.flow_definition_arn,
                    HumanLoopInput={"InputContent": item.input_content},
                )
            return Result(STARTED, None, attempts, None, response.get("HumanLoopArn"))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            message = _redact(str(error.response.get("Error", {}).get("Message", "")))
            if code == "ConflictException":
                return Result(
                    ALREADY_STARTED,
                    "a human loop with this name exists (redelivered or duplicate input)",
                    attempts,
                    code,
                )
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            transient = code in _TRANSIENT_CODES or (
                status >= 500 and code != "ValidationException"
            )
            if not transient:
                return Result(FAILED, f"{code}: {message}", attempts, code)
            last = f"{code}: {message}"
        except (BotoConnectionError, HTTPClientError) as error:
            code = type(error).__name__
            last = f"{code}: {error}"
        if attempts >= MAX_ATTEMPTS:
            return Result(
                FAILED, f"gave up after {attempts} attempts; last: {last}", attempts, code
            )
        delay = random.uniform(
            0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
        )
        if time.monotonic() + delay >= deadline:
            return Result(
                FAILED,
                f"no time left in this invocation to retry; last: {last}",
                attempts,
                code,
            )
        time.sleep(delay)


_QUOTED_INPUT: Final = re.compile(r"Value '.*?' at '(humanLoopInput|dataAttributes)", re.S)


def _redact(message: str) -> str:
    """A service error message without any quoted input content, cut to 300 characters."""
    return _QUOTED_INPUT.sub(r"Value (withheld) at '\1", message)[:300]


def _start_safely(
    client: AugmentedAIRuntimeClient, settings: Settings, item: _Item, deadline: float
) -> Result:
    try:
        return _start(client, settings, item, deadline)
    except Exception as error:  # a bug or an unexpected botocore error fails only this message
        return Result(FAILED, f"unexpected error: {type(error).__name__}: {error}"[:500])


# --------------------------------------------------------------------------------------------
# Cached state (one per execution environment)
# --------------------------------------------------------------------------------------------

_settings: Settings | None = None
_client: AugmentedAIRuntimeClient | None = None
_executor: ThreadPoolExecutor | None = None


def _state() -> tuple[Settings, AugmentedAIRuntimeClient]:
    global _settings, _client
    if _settings is None:
        _settings = load_settings()
    if _client is None:
        config = Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": 1},  # _start retries
            max_pool_connections=max(10, _settings.max_concurrency),
            tcp_keepalive=True,
            # Requests are built here from checked values (name pattern and length, input
            # size); botocore's own checks (types, required members, minimums) would only
            # repeat them, at about 5% of the CPU of each call.
            parameter_validation=False,
        )
        _client = boto3.client("sagemaker-a2i-runtime", config=config)
    return _settings, _client


def _pool(size: int) -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="start-human-loop")
    return _executor


def reset() -> None:
    """Forget the cached settings, client and thread pool (for tests and benchmarks)."""
    global _settings, _client, _executor
    if _executor is not None:
        _executor.shutdown(wait=True)
    _settings, _client, _executor = None, None, None


# --------------------------------------------------------------------------------------------
# Logging and the handler
# --------------------------------------------------------------------------------------------


def _log(level: str, message: str, **fields: Any) -> None:
    line = json.dumps({"level": level, "message": message, **fields}, default=str)
    sys.stdout.write(line + "\n")


_MESSAGES: Final = {
    STARTED: "human loop started",
    ALREADY_STARTED: "human loop already started",
    SKIPPED: "no human loop needed",
    FAILED: "message failed",
}


def _level(result: Result) -> str:
    if result.outcome != FAILED:
        return "INFO"
    return "ERROR" if (result.reason or "").startswith("malformed") else "WARNING"


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

    # One start per loop name: duplicates inside the batch share the first one's result.
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
        assert leader.result is not None
        if leader.result.outcome == FAILED:
            item.result = Result(
                FAILED, f"duplicate of message {leader.message_id} in this batch, which failed"
            )
        else:
            item.result = Result(
                ALREADY_STARTED, f"duplicate of message {leader.message_id} in this batch"
            )

    failures: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    for item in items:
        result = item.result
        assert result is not None
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if result.outcome == FAILED and item.message_id:
            failures.append({"itemIdentifier": item.message_id})
        _log(
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
        )
    _log("INFO", "batch processed", records=len(items), **counts)
    return {"batchItemFailures": failures}
