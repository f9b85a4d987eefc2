"""JSON from outside, read without recursion errors and written so every consumer accepts it.

**Reading.** Python's :mod:`json` parser recurses once per level of nesting: a line of 50,000
``[`` raises ``RecursionError``, and a value that does parse can still overflow whatever walks
it next (flattening it into CSV columns, hashing it, encoding it again). So everything the
package reads from outside (an A2I ``output.json``, a line of ``a2i loops start``'s input, a
line of an ``a2i results`` file) goes through :func:`loads`, which refuses documents nested
deeper than :data:`MAX_DEPTH` levels with :class:`JsonTooDeepError` (a ``ValueError``), and the
caller fails that one document, never the run. InputContent the package sends is held to
:data:`INPUT_CONTENT_MAX_DEPTH`, so that the ``output.json`` A2I writes around it
(``inputContent`` one level down) stays readable.

**Writing.** :func:`dumps` keeps non-ASCII text as it is but writes every character outside
what an SQS message body and UTF-8 accept as a JSON ``\\uXXXX`` escape. SQS accepts
``#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`` (SendMessage, MessageBody),
and a lone surrogate such as ``"\\ud800"`` (which ``json.loads`` accepts) cannot be encoded as
UTF-8 at all. The escaped text decodes to exactly the same value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "INPUT_CONTENT_MAX_DEPTH",
    "MAX_DEPTH",
    "JsonTooDeepError",
    "check_depth",
    "dumps",
    "escape_unsafe_characters",
    "input_content_too_deep",
    "loads",
    "nesting_depth",
]

MAX_DEPTH: Final = 200
"""Levels of arrays and objects a document read from outside may nest (``[[1]]`` is 2)."""
INPUT_CONTENT_MAX_DEPTH: Final = 100
"""Levels an InputContent the package sends may nest: well below :data:`MAX_DEPTH`, so the
``output.json`` holding it (and the answers, three levels down) can be read back."""

_UNSAFE: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character outside SQS's allowed set (XML 1.0's ``Char``): controls, surrogates,
U+FFFE and U+FFFF."""


class JsonTooDeepError(ValueError):
    """A JSON document nests deeper than the limit it is read with."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def nesting_depth(value: Any, stop_above: int | None = None) -> int:
    """Levels of lists and dicts in ``value`` (a scalar is 0), walked without recursion.

    With ``stop_above``, the walk ends as soon as that many levels are exceeded.
    """
    if not isinstance(value, dict | list):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest = level
            if stop_above is not None and deepest > stop_above:
                return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`JsonTooDeepError` when ``value`` nests deeper than ``limit``."""
    if nesting_depth(value, stop_above=limit) > limit:
        raise JsonTooDeepError(limit)


def loads(
    text: str | bytes,
    *,
    limit: int = MAX_DEPTH,
    parse: Callable[[Any], Any] = json.loads,
) -> Any:
    """``parse(text)``, refusing documents nested deeper than ``limit``.

    Raise :class:`JsonTooDeepError` for those (never ``RecursionError``), and whatever ``parse``
    raises otherwise (``json.JSONDecodeError`` and ``UnicodeDecodeError`` are ValueErrors).
    """
    openers = (
        text.count("[") + text.count("{")
        if isinstance(text, str)
        else text.count(b"[") + text.count(b"{")
    )
    try:
        value = parse(text)
    except RecursionError:
        raise JsonTooDeepError(limit) from None
    if openers > limit:  # fewer opening brackets cannot nest deeper than the limit
        check_depth(value, limit)
    return value


def input_content_too_deep(content: str, value: Any) -> str | None:
    """Why InputContent ``content`` (the JSON text of ``value``) must not be sent, when it nests
    deeper than :data:`INPUT_CONTENT_MAX_DEPTH`; else ``None``. The starter Lambda and
    ``a2i loops start`` both refuse such input, so each starts exactly what the other does."""
    limit = INPUT_CONTENT_MAX_DEPTH
    if content.count("[") + content.count("{") <= limit:  # cannot nest deeper
        return None
    depth = nesting_depth(value, stop_above=limit)
    if depth <= limit:
        return None
    return (
        f"the input nests more than {limit} levels deep; at most {limit} are started, so that "
        "its output.json can be read back"
    )


def escape_unsafe_characters(text: str) -> str:
    """JSON ``text`` with each character SQS or UTF-8 refuses written as a ``\\uXXXX`` escape.

    Outside strings JSON text is ASCII, so every such character is inside a string, where the
    escape means the same character.
    """
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)``, safe for SQS and UTF-8."""
    return escape_unsafe_characters(json.dumps(value, ensure_ascii=False, **options))
