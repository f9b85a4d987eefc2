"""Times for ``--since`` and ``--until``: ISO 8601 dates and times, or an age like ``7d``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

import typer

__all__ = ["parse_time", "time_option"]

_AGE: Final = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(text: str, now: Callable[[], dt.datetime] | None = None) -> dt.datetime:
    """A timezone-aware datetime from ``text``.

    Accepted: a date (``2026-11-01``, midnight UTC), a date and time (``2026-11-01T08:30``,
    UTC unless it has an offset such as ``+02:00`` or ``Z``), or an age before now (``90m``,
    ``12h``, ``7d``, ``2w``). Raise ValueError otherwise.
    """
    value = text.strip()
    age = _AGE.match(value.lower())
    if age is not None:
        current = now() if now is not None else dt.datetime.now(dt.UTC)
        seconds = float(age.group(1)) * _UNIT_SECONDS[age.group(2)]
        return current - dt.timedelta(seconds=seconds)
    try:
        parsed = dt.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; use 2026-11-01, 2026-11-01T08:30, "
            "2026-11-01T08:30+02:00 or an age such as 12h or 7d"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def time_option(value: str | None, option: str) -> dt.datetime | None:
    """Parse the value of ``option`` (``--since``/``--until``); a usage error if invalid."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
