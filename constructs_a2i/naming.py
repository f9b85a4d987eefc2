"""Valid, stable A2I resource names generated from construct paths.

A2I names are 1-63 characters matching ``^[a-z0-9](-*[a-z0-9])*$``. A name is made of
a readable part (the construct path, lower-cased, every other character run turned
into one hyphen) and a short hash of the whole path, so two paths never collide even
when their readable parts are cut to the same text.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["generated_name", "hash_suffix"]

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH = 8


def hash_suffix(*parts: str, length: int = _HASH_LENGTH) -> str:
    """A lower-case hex digest of ``parts`` (joined unambiguously), ``length`` characters."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def generated_name(path: str, max_length: int = 63, *extra: str) -> str:
    """A valid A2I name for the construct at ``path``, at most ``max_length`` characters.

    ``extra`` values are mixed into the hash only (for example a template's content),
    so the name changes when they change while the readable part stays the same.
    """
    if max_length < _HASH_LENGTH + 2:
        raise ValueError(f"max_length must be at least {_HASH_LENGTH + 2}; got {max_length}")
    suffix = hash_suffix(path, *extra)
    readable = _NOT_ALLOWED.sub("-", path.lower()).strip("-")
    room = max_length - len(suffix) - 1
    readable = readable[:room].rstrip("-")
    return f"{readable}-{suffix}" if readable else suffix
