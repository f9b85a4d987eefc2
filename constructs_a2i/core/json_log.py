"""The one-line JSON log record every package Lambda prints.

CloudWatch Logs Insights discovers the fields of a JSON line by itself, so each record is one
``json.dumps`` of ``level``, ``message`` and the caller's fields, written to stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["format_log_line", "log"]


def format_log_line(level: str, message: str, **fields: Any) -> str:
    """The record as text: ``{"level": ..., "message": ..., **fields}`` (values ``str()``-ed
    when JSON has no form for them)."""
    return json.dumps({"level": level, "message": message, **fields}, default=str)


def log(level: str, message: str, **fields: Any) -> None:
    """Print one record to the current ``sys.stdout`` (Lambda sends it to CloudWatch Logs)."""
    sys.stdout.write(format_log_line(level, message, **fields) + "\n")
