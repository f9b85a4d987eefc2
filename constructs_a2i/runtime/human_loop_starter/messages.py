"""Reading one SQS record of the starter's queue: its loop name and InputContent, or why not.

:func:`prepare` never raises: a record it cannot read (malformed JSON, a body nested too deeply
for the parser, a missing id, an S3 event without a key) gets a final :class:`Result` and fails
alone; the rest of the batch goes on. What a record is depends on the settings' source kind
(see :mod:`constructs_a2i.runtime.human_loop_starter.index`).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from constructs_a2i.core import strict_json, untrusted_json
from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.core.loop_names import (
    content_loop_name,
    id_loop_name,
    identity_value,
    s3_object_loop_name,
)
from constructs_a2i.core.paths import MISSING
from constructs_a2i.core.starter_settings import StarterSettings

__all__ = [
    "ALREADY_STARTED",
    "CONFLICT",
    "FAILED",
    "SKIPPED",
    "STARTED",
    "Item",
    "Result",
    "input_digest",
    "prepare",
    "s3_key",
]


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
class Item:
    """One record on its way: what :func:`prepare` read, then what starting it gave."""

    message_id: str
    receive_count: str | None
    source: str
    name: str | None = None
    input_content: str | None = None
    content_named: bool = False
    """The name is derived from the content itself (a hash, or an S3 object version): another
    input cannot have it."""
    result: Result | None = None
    throttled: int = 0
    """StartHumanLoop calls A2I throttled for this item (each was retried or gave up)."""
    latency_ms: float | None = None
    """How long the StartHumanLoop call that succeeded took."""


def input_digest(content: str) -> str:
    """A short digest of an InputContent for logs (``sha256:`` and 16 hex characters).

    It tells inputs apart without showing them; like any hash of a short text, it does not hide
    an input that can be guessed (``{"amount": 10}``).
    """
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest[:16]}"


def prepare(record: Mapping[str, Any], settings: StarterSettings) -> Item:
    """One SQS record as a loop name and input, or a final result; never raises.

    Any error while reading one record (a body nested too deeply for the JSON parser, say)
    fails that record alone: the rest of the batch goes on.
    """
    attributes = record.get("attributes")
    item = Item(
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


def _fail(item: Item, reason: str) -> None:
    item.result = Result(FAILED, f"malformed: {reason}")


def _read(record: Mapping[str, Any], settings: StarterSettings, item: Item) -> None:
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
