"""A2I's resource-name rule, and valid, stable names generated from construct paths.

FlowDefinitionName, HumanTaskUiName and HumanLoopName are 1-63 characters matching
``^[a-z0-9](-*[a-z0-9])*$``. A generated name is made of a readable part (the construct path,
lower-cased, every other run of characters turned into one hyphen) and a short hash of the whole
path, so two paths never collide even when their readable parts are cut to the same text.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview

__all__ = [
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "check_name",
    "generated_name",
    "hash_suffix",
    "is_valid_name",
    "name_part",
]

NAME_PATTERN: Final = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
"""FlowDefinitionName, HumanTaskUiName and HumanLoopName all follow this pattern."""
NAME_MAX_LENGTH: Final = 63

_NOT_ALLOWED: Final = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH: Final = 8


def is_valid_name(value: str, max_length: int = NAME_MAX_LENGTH) -> bool:
    """True when ``value`` is 1 to ``max_length`` characters matching :data:`NAME_PATTERN`."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= max_length
        and NAME_PATTERN.match(value) is not None
    )


def check_name(prop: str, value: str, max_length: int = NAME_MAX_LENGTH) -> None:
    """Raise :class:`A2IValidationError` unless ``value`` is a valid name."""
    if not is_valid_name(value, max_length):
        length = f" ({len(value)} characters)" if isinstance(value, str) else ""
        raise A2IValidationError(
            f"{prop} must be 1-{max_length} characters of lower-case letters, digits "
            f"and hyphens, starting and ending with a letter or digit "
            f"(pattern {NAME_PATTERN.pattern}); got {preview(value)}{length}"
        )


def name_part(text: str, max_length: int) -> str:
    """``text`` made name-safe: lower-cased, every run outside ``a-z0-9`` one hyphen, no hyphen
    at either end, at most ``max_length`` characters (possibly empty)."""
    # Cut before cleaning too (bounded work for huge values), with slack for collapsed runs.
    cleaned = _NOT_ALLOWED.sub("-", text[: max_length * 8].lower()).strip("-")
    return cleaned[:max_length].rstrip("-")


def hash_suffix(*parts: str, length: int = _HASH_LENGTH) -> str:
    """A lower-case hex digest of ``parts`` (joined unambiguously), ``length`` characters."""
    joined = "\x00".join(parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def generated_name(path: str, max_length: int = NAME_MAX_LENGTH, *extra: str) -> str:
    """A valid A2I name for the construct at ``path``, at most ``max_length`` characters.

    ``extra`` values are mixed into the hash only (for example a template's content),
    so the name changes when they change while the readable part stays the same.
    """
    if max_length < _HASH_LENGTH + 2:
        raise ValueError(f"max_length must be at least {_HASH_LENGTH + 2}; got {max_length}")
    suffix = hash_suffix(path, *extra)
    readable = _NOT_ALLOWED.sub("-", path.lower()).strip("-")
    readable = readable[: max_length - len(suffix) - 1].rstrip("-")
    return f"{readable}-{suffix}" if readable else suffix
