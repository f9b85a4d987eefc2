"""Which AWS errors are worth retrying, and how long to wait before the next attempt.

One policy for every caller: the starter Lambda, the flow-definition provider and the ``a2i``
command. Codes are matched as botocore reports them (``error.response["Error"]["Code"]``); an
HTTP 5xx status is transient too, unless the service says the request itself is invalid.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "NEVER_RETRIED_CODES",
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "RetryPolicy",
    "is_throttling",
    "is_transient",
]

THROTTLING_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
"""Codes that mean "too many requests": retried, and counted as throttling."""

TRANSIENT_CODES: Final = THROTTLING_CODES | frozenset(
    {
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
"""Codes retried with backoff: throttling and server-side errors."""

NEVER_RETRIED_CODES: Final = frozenset({"ValidationException", "ServiceQuotaExceededException"})
"""Not transient whatever the HTTP status: the request is invalid, or an account quota (for
example human loops in progress) frees up in minutes or hours, not within one call's retries."""


def is_throttling(code: str) -> bool:
    """True when ``code`` says the caller sends too many requests."""
    return code in THROTTLING_CODES


def is_transient(code: str, http_status: int = 0) -> bool:
    """True when a call that failed with ``code`` (and ``http_status``) may succeed if retried."""
    if code in NEVER_RETRIED_CODES:
        return False
    return code in TRANSIENT_CODES or http_status >= 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff with full jitter.

    The wait before retry ``n`` (1-based) is uniform in ``[0, min(cap, base * 2 ** (n - 1))]``
    (AWS Architecture Blog, "Exponential Backoff And Jitter").
    """

    max_attempts: int = 8
    """Attempts in all, the first included (at least 1)."""
    base_seconds: float = 0.1
    """The backoff ceiling before the first retry."""
    cap_seconds: float = 5.0
    """The largest backoff ceiling."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1; got {self.max_attempts}")
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("base_seconds and cap_seconds must not be negative")

    def backoff(self, retry: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        """The wait in seconds before retry number ``retry`` (1-based), with full jitter."""
        return rng(0.0, min(self.cap_seconds, self.base_seconds * 2 ** min(retry - 1, 62)))


DEFAULT_RETRY_POLICY: Final = RetryPolicy()
"""Eight attempts, backoff from 0.1 s up to 5 s."""
