"""Idempotent human-loop names: one input, one name, so a repeat never starts a second loop.

HumanLoopName is unique per account and Region, and StartHumanLoop answers
``ConflictException`` for a name already used. The starter Lambda and ``a2i loops start`` both
name loops here, so an item sent through either gets one loop, not two:

* with an id field, ``<prefix>-<readable id>-<hash>``, the hash being the SHA-256 of
  ``flow ARN \\0 "id" \\0 id``;
* without one, ``<prefix>-<hash>`` of ``flow ARN \\0 "content" \\0 canonical JSON`` (keys sorted,
  no spaces);
* for an S3 object, ``<prefix>-<readable file name>-<hash>`` of
  ``flow ARN \\0 "s3" \\0 bucket \\0 key \\0 version``.

The flow definition is part of the identity: two starters given the same id must not collide.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview
from constructs_a2i.core.names import NAME_MAX_LENGTH, NAME_PATTERN, name_part

__all__ = [
    "HASH_LENGTH",
    "PREFIX_MAX_LENGTH",
    "check_loop_name_prefix",
    "content_loop_name",
    "id_loop_name",
    "identity_value",
    "loop_name",
    "s3_object_loop_name",
]

PREFIX_MAX_LENGTH: Final = 20
"""A loop-name prefix's characters at most (so the readable part and the hash keep room)."""
HASH_LENGTH: Final = 20
"""Hex characters (80 bits) of the identity's SHA-256, always in the name."""


def check_loop_name_prefix(prop: str, prefix: str) -> str:
    """``prefix`` when it is empty or a valid name of at most 20 characters, else raise."""
    if prefix and (
        not isinstance(prefix, str)
        or len(prefix) > PREFIX_MAX_LENGTH
        or not NAME_PATTERN.match(prefix)
    ):
        raise A2IValidationError(
            f"{prop} must be 1-{PREFIX_MAX_LENGTH} lower-case letters, digits and hyphens, "
            f"starting and ending with a letter or digit; got {preview(prefix)}"
        )
    return prefix


def loop_name(prefix: str, readable: str, digest: str) -> str:
    """A valid human loop name: ``<prefix>-<readable>-<hash>``, at most 63 characters.

    ``readable`` is made name-safe and cut to the room left; ``digest`` (hex) always contributes
    its first :data:`HASH_LENGTH` characters, so distinct identities get distinct names.
    """
    suffix = digest[:HASH_LENGTH]
    clean_prefix = name_part(prefix, PREFIX_MAX_LENGTH)
    room = NAME_MAX_LENGTH - len(suffix) - 1 - (len(clean_prefix) + 1 if clean_prefix else 0)
    part = name_part(readable, room) if room > 0 and readable else ""
    return "-".join(p for p in (clean_prefix, part, suffix) if p)


def identity_value(value: Any) -> str | None:
    """An id field's value as text: non-empty strings and integers only (else ``None``).

    ``1`` and ``"1"`` are the same identity (both are the text ``1``).
    """
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def id_loop_name(flow_definition_arn: str, identity: str, prefix: str = "") -> str:
    """The loop name of the input whose id field holds ``identity``."""
    return loop_name(prefix, identity, _digest(flow_definition_arn, "id", identity))


def content_loop_name(flow_definition_arn: str, payload: Any, prefix: str = "") -> str:
    """The loop name of an input without an id: a hash of its canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return loop_name(prefix, "", _digest(flow_definition_arn, "content", canonical))


def s3_object_loop_name(
    flow_definition_arn: str, bucket: str, key: str, version: str, prefix: str = ""
) -> str:
    """The loop name of one version of an S3 object (readable part: its file name)."""
    digest = _digest(flow_definition_arn, "s3", bucket, key, version)
    return loop_name(prefix, key.rsplit("/", 1)[-1], digest)


def _digest(flow_definition_arn: str, *identity: str) -> str:
    joined = "\x00".join((flow_definition_arn, *identity))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
