"""JSON as A2I accepts it: standard JSON, so no ``NaN``, ``Infinity`` or ``-Infinity``.

Python's :mod:`json` reads and writes those three by default; InputContent holding them is not
JSON to A2I (or to the worker's browser), so they are refused here on the way in and out.
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["compact", "is_json_scalar", "loads"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str) -> Any:
    """Parse standard JSON; raise ``ValueError`` (``json.JSONDecodeError`` for syntax) on
    anything else, ``NaN`` and ``Infinity`` included."""
    return _DECODER.decode(text)


def compact(value: Any) -> str:
    """``value`` as compact standard JSON (non-ASCII kept); ``ValueError`` for NaN/Infinity."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def is_json_scalar(value: object) -> bool:
    """True for a string, a boolean, ``None`` or a finite number: the JSON scalars."""
    if value is None or isinstance(value, str | bool | int):
        return True
    return isinstance(value, float) and value == value and abs(value) != float("inf")
