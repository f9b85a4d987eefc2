"""Idempotent human loop names for ``a2i loops start``.

A human loop name is derived from the input's identity and the flow definition, so starting the
same input twice maps to the same name and the second StartHumanLoop answers
``ConflictException`` instead of starting a duplicate. The rule is the one the
``HumanLoopStarter`` Lambda function uses (``ID_FIELD``, ``LOOP_NAME_PREFIX``), so an item sent
both through the starter's queue and through ``a2i loops start`` gets one loop, not two:

* with an id field, the name is ``<prefix>-<readable id>-<hash>`` where the hash is the SHA-256
  of ``flow ARN \\0 "id" \\0 id``;
* without one, the name is ``<prefix>-<hash>`` of ``flow ARN \\0 "content" \\0 canonical JSON``
  (keys sorted, no spaces).

The CLI does not import the Lambda code (it is not part of the installed command); the tests
check that both produce the same names.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "HASH_LENGTH",
    "LOOP_NAME_MAX_LENGTH",
    "MISSING",
    "NAME_PATTERN",
    "PREFIX_MAX_LENGTH",
    "FieldPath",
    "content_loop_name",
    "id_loop_name",
    "identity_value",
    "loop_name",
    "validate_prefix",
]

LOOP_NAME_MAX_LENGTH: Final = 63
"""A2I's limit on HumanLoopName."""
PREFIX_MAX_LENGTH: Final = 20
"""The longest loop name prefix (the starter's ``LOOP_NAME_PREFIX`` limit)."""
HASH_LENGTH: Final = 20
"""Hex characters of the identity's SHA-256 that every name ends with (80 bits)."""
NAME_PATTERN: Final = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
"""A2I's pattern for human loop and flow definition names."""

_NOT_NAME_CHARS: Final = re.compile(r"[^a-z0-9]+")
_PATH_TOKEN: Final = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


class _Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""What :meth:`FieldPath.find` returns when the path leads nowhere."""


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A path into a JSON item: ``id``, ``$.meta.requestId``, ``items[0].id`` (``$`` = item)."""

    text: str
    """The path as the user wrote it."""
    steps: tuple[str | int, ...]
    """Object keys (str) and list indexes (int), outermost first."""

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        """Parse ``text``; raise ValueError saying what is wrong."""
        body = text.strip()
        if body.startswith("$"):
            body = body[1:]
        steps: list[str | int] = []
        position = 0
        while position < len(body):
            match = _PATH_TOKEN.match(body, position)
            if match is None or (
                match.group(1) is not None and position > 0 and body[position] != "."
            ):
                raise ValueError(
                    f"{text!r} is not a valid path; use forms like 'id', '$.meta.requestId' "
                    "or '$.items[0].id'"
                )
            key, index = match.groups()
            steps.append(key if key is not None else int(index))
            position = match.end()
        return cls(text=text.strip(), steps=tuple(steps))

    def find(self, document: Any) -> Any:
        """The value at this path in ``document``, or :data:`MISSING`."""
        current = document
        for step in self.steps:
            if isinstance(step, str):
                if not isinstance(current, dict) or step not in current:
                    return MISSING
            elif not isinstance(current, list) or step >= len(current):
                return MISSING
            current = current[step]
        return current


def validate_prefix(prefix: str) -> str:
    """``prefix`` if it is a valid loop name prefix, else raise ValueError."""
    if prefix and (len(prefix) > PREFIX_MAX_LENGTH or not NAME_PATTERN.match(prefix)):
        raise ValueError(
            f"prefix {prefix!r} must be at most {PREFIX_MAX_LENGTH} characters of a-z, 0-9 and "
            "single hyphens, starting and ending with a letter or digit"
        )
    return prefix


def identity_value(value: Any) -> str | None:
    """An id field's value as text: non-empty strings and integers only (else None)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def loop_name(prefix: str, readable: str, digest: str) -> str:
    """A valid human loop name ``<prefix>-<readable>-<hash>`` of at most 63 characters.

    ``readable`` is lower-cased, every run of characters outside ``a-z0-9`` becomes one hyphen,
    and it is cut to the room left; the first :data:`HASH_LENGTH` characters of ``digest``
    always end the name, so distinct identities get distinct names.
    """
    suffix = digest[:HASH_LENGTH]
    clean_prefix = _NOT_NAME_CHARS.sub("-", prefix.lower()).strip("-")[:PREFIX_MAX_LENGTH]
    clean_prefix = clean_prefix.rstrip("-")
    room = LOOP_NAME_MAX_LENGTH - len(suffix) - 1 - (len(clean_prefix) + 1 if clean_prefix else 0)
    part = ""
    if room > 0 and readable:
        part = _NOT_NAME_CHARS.sub("-", readable[: room * 8].lower()).strip("-")[:room]
        part = part.rstrip("-")
    return "-".join(p for p in (clean_prefix, part, suffix) if p)


def _digest(flow_definition_arn: str, *identity: str) -> str:
    joined = "\x00".join((flow_definition_arn, *identity))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def id_loop_name(flow_definition_arn: str, identity: str, prefix: str = "") -> str:
    """The loop name of the item whose id field holds ``identity``."""
    return loop_name(prefix, identity, _digest(flow_definition_arn, "id", identity))


def content_loop_name(flow_definition_arn: str, item: Any, prefix: str = "") -> str:
    """The loop name of an item without an id field: a hash of its canonical JSON."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"))
    return loop_name(prefix, "", _digest(flow_definition_arn, "content", canonical))
