"""The message-path grammar: where a value is in a JSON message.

A path is ``$`` (the whole message) followed by steps, each ``.key`` or ``[index]``; the ``$``
and the first step's dot may be left out: ``$.prediction.confidence``, ``meta.requestId``,
``items[0].id``, ``[0].id``, ``$.my key``. A key is any run of characters other than ``.``,
``[`` and ``]`` (spaces and unicode included); an index is a non-negative decimal number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview

__all__ = ["MISSING", "PATH_MAX_LENGTH", "Path", "PathStep"]

PATH_MAX_LENGTH: Final = 1024
"""A path's characters at most (the Lambda reads paths from its 4 KiB environment)."""

MISSING: Final = object()
"""What :meth:`Path.find` returns when the path leads nowhere."""

PathStep = str | int

_STEP: Final = re.compile(r"\.?([^.\[\]]+)|\[(\d{1,9})\]")


@dataclass(frozen=True, slots=True)
class Path:
    """A parsed path; build it with :meth:`parse`."""

    text: str
    """The path as written."""
    steps: tuple[PathStep, ...]
    """Keys (``str``) and indexes (``int``) from the message's top."""

    @classmethod
    def parse(cls, text: str, prop: str, *, allow_root: bool = False) -> Path:
        """Parse ``text``; raise :class:`A2IValidationError` naming ``prop`` when it is not a
        path. ``allow_root`` accepts ``$`` alone (the whole message)."""
        if not isinstance(text, str) or not text or text != text.strip():
            raise A2IValidationError(
                f"{prop} must be a path into the message with no surrounding spaces; "
                f"got {preview(text)}"
            )
        if not text.isprintable():
            raise A2IValidationError(
                f"{prop} must be a path into the message in printable text (no control "
                f"characters, separators other than the space, or lone surrogates); "
                f"got {preview(text)}"
            )
        if len(text) > PATH_MAX_LENGTH:
            raise A2IValidationError(
                f"{prop} must be at most {PATH_MAX_LENGTH} characters; got {len(text)}"
            )
        body = text[1:] if text.startswith("$") else text
        steps: list[PathStep] = []
        position = 0
        while position < len(body):
            match = _STEP.match(body, position)
            if match is None or (
                match.group(1) is not None and position > 0 and body[position] != "."
            ):
                raise A2IValidationError(
                    f"{prop} must be a path into the message like 'id', '$.meta.requestId' or "
                    f"'$.items[0].id' (keys of any characters but '.', '[' and ']'); "
                    f"got {preview(text)}"
                )
            key, index = match.groups()
            steps.append(key if key is not None else int(index))
            position = match.end()
        if not steps and not allow_root:
            raise A2IValidationError(
                f"{prop} must be a path into the message that names a field; got {text!r}"
            )
        return cls(text=text, steps=tuple(steps))

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
