"""JSON as A2I accepts it: standard JSON, so no ``NaN``, ``Infinity`` or ``-Infinity``, and no
number beyond a double's range.

Python's :mod:`json` reads and writes those three by default; InputContent holding them is not
JSON to A2I (or to the worker's browser), so they are refused here on the way in and out.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

__all__ = ["compact", "loads"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(
            f"the number {text[:30]} is beyond a double's range (it reads as Infinity)"
        )
    return value


def _finite_int(text: str) -> int:
    value = int(text)
    if len(text) > 300:  # only numbers this long can pass 1.8e308
        try:
            float(value)
        except OverflowError:
            raise ValueError(
                f"the {len(text)}-digit integer is beyond a double's range (a browser reads "
                "it as Infinity)"
            ) from None
    return value


_DECODER: Final = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_finite_int
)


def loads(text: str) -> Any:
    """Parse standard JSON; raise ``ValueError`` (``json.JSONDecodeError`` for syntax) on
    anything else: ``NaN`` and ``Infinity``, and any number a JSON reader of doubles
    (JavaScript's, the reviewer's browser) reads as Infinity (``1e999``).

    The number hooks cost nothing measurable on a message of a few numbers; on one of thousands
    they about double the parse (a regex ruling out exponents and long digit runs first costs
    more).
    """
    return _DECODER.decode(text)


def compact(value: Any) -> str:
    """``value`` as compact standard JSON (non-ASCII kept); ``ValueError`` for NaN/Infinity."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
