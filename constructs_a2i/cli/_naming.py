"""Idempotent human loop names for ``a2i loops start``.

A human loop name is derived from the input's identity and the flow definition, so starting the
same input twice maps to the same name and the second StartHumanLoop answers
``ConflictException`` instead of starting a duplicate. The rule is the ``HumanLoopStarter``
Lambda function's own (``ID_FIELD``, ``LOOP_NAME_PREFIX``): this module re-exports its code
(``constructs_a2i.runtime.human_loop_starter.index``, installed with the package), so an item
sent both through the starter's queue and through ``a2i loops start`` gets one loop, not two:

* with an id field, the name is ``<prefix>-<readable id>-<hash>`` where the hash is the SHA-256
  of ``flow ARN \\0 "id" \\0 id``;
* without one, the name is ``<prefix>-<hash>`` of ``flow ARN \\0 "content" \\0 canonical JSON``
  (keys sorted, no spaces).
"""

from __future__ import annotations

import re
from typing import Final

from constructs_a2i.runtime.human_loop_starter.index import (
    HASH_LENGTH,
    LOOP_NAME_MAX_LENGTH,
    MISSING,
    PREFIX_MAX_LENGTH,
    content_loop_name,
    id_loop_name,
    identity_value,
    loop_name,
)
from constructs_a2i.runtime.human_loop_starter.index import Path as FieldPath

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
    "parse_path",
    "validate_prefix",
]

NAME_PATTERN: Final = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
"""A2I's pattern for human loop and flow definition names."""


def parse_path(text: str, option: str) -> FieldPath:
    """Parse the path given to ``option`` (e.g. ``--id-field``); ValueError says what is wrong."""
    return FieldPath.parse(text, option)


def validate_prefix(prefix: str) -> str:
    """``prefix`` if it is a valid loop name prefix, else raise ValueError."""
    if prefix and (len(prefix) > PREFIX_MAX_LENGTH or not NAME_PATTERN.match(prefix)):
        raise ValueError(
            f"prefix {prefix!r} must be at most {PREFIX_MAX_LENGTH} characters of a-z, 0-9 and "
            "single hyphens, starting and ending with a letter or digit"
        )
    return prefix
