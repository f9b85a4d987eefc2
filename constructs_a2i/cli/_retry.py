"""Client-side rate limiting and retries with backoff for the ``a2i`` command.

Every AWS call the command makes goes through :func:`call_with_retries`: throttling, 5xx and
connection errors are retried with exponential backoff and full jitter, up to
:attr:`RetryPolicy.max_attempts` attempts; anything else is raised at once. botocore's own
retries are switched off for these clients, so the attempts counted here are all there are.

:class:`TokenBucket` spaces calls out to a rate (``--rate``): every attempt, retries included,
takes a token. Both wait on a :class:`threading.Event` so Ctrl-C (which sets it) ends the
waits at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from botocore.exceptions import ClientError, HTTPClientError

__all__ = [
    "DEFAULT_POLICY",
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "Interrupted",
    "RetriesExhausted",
    "RetryPolicy",
    "TokenBucket",
    "call_with_retries",
    "error_code",
    "is_retryable",
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
"""Error codes that mean "too many requests": retried, and reported as throttling."""

TRANSIENT_CODES: Final = THROTTLING_CODES | frozenset(
    {
        "InternalServerException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
"""Error codes retried with backoff (throttling and server-side errors)."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff with full jitter.

    The wait before retry ``n`` (1-based) is uniform in ``[0, min(cap, base * 2 ** (n - 1))]``.
    """

    max_attempts: int = 8
    """Attempts in all, the first included (at least 1)."""
    base_seconds: float = 0.1
    """The backoff ceiling before the first retry."""
    cap_seconds: float = 5.0
    """The largest backoff ceiling."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("backoff seconds must not be negative")

    def backoff(self, retry: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        """The wait in seconds before retry number ``retry`` (1-based), with full jitter."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (retry - 1))
        return rng(0.0, ceiling)


DEFAULT_POLICY = RetryPolicy()
"""Eight attempts, backoff from 0.1 s doubling up to 5 s (about 15 s of waiting at most)."""


class RetriesExhausted(Exception):
    """A retryable error persisted through every attempt."""

    def __init__(self, last: BaseException, attempts: int) -> None:
        self.last = last
        """The error of the last attempt."""
        self.attempts = attempts
        """How many attempts were made."""
        self.code = error_code(last)
        """The AWS error code of the last attempt (or the exception's class name)."""
        super().__init__(f"gave up after {attempts} attempts; last error: {last}")

    @property
    def throttled(self) -> bool:
        """True when the last attempt was throttled."""
        return self.code in THROTTLING_CODES


class Interrupted(Exception):
    """The stop event was set (Ctrl-C) while waiting to call or retry."""


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception's class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "Unknown")
    return type(error).__name__


def is_retryable(error: BaseException) -> bool:
    """True for throttling, 5xx, dropped connections and read timeouts; else False."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in TRANSIENT_CODES:
            return True
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return isinstance(status, int) and status >= 500 and code != "ValidationException"
    # A dropped connection or a read timeout is worth another try; an endpoint that cannot be
    # reached at all (wrong --endpoint-url or Region, no network) is reported at once.
    return isinstance(error, HTTPClientError)


class TokenBucket:
    """A thread-safe token bucket: at most ``rate`` acquisitions per second on average.

    ``capacity`` tokens may be taken at once after a quiet period (default 1: evenly spaced
    calls). A rate of 0 or less means unlimited.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        """Tokens added per second (0 or less: unlimited)."""
        self.capacity = max(1.0, capacity)
        """The most tokens the bucket holds."""
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        """True when the bucket never waits."""
        return self.rate <= 0

    def reserve(self) -> float:
        """Take one token and return how long to wait (seconds) before using it."""
        if self.unlimited:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self, stop: threading.Event | None = None) -> None:
        """Wait for a token; raise :class:`Interrupted` if ``stop`` is set meanwhile."""
        delay = self.reserve()
        if stop is not None:
            if stop.is_set() or (delay > 0 and stop.wait(delay)):
                raise Interrupted()
        elif delay > 0:
            time.sleep(delay)


def call_with_retries(
    call: Callable[[], _T],
    policy: RetryPolicy | None = None,
    *,
    limiter: TokenBucket | None = None,
    stop: threading.Event | None = None,
    on_retry: Callable[[BaseException, int], None] | None = None,
) -> tuple[_T, int]:
    """``(call(), attempts)``, retrying retryable errors with backoff.

    Raise :class:`RetriesExhausted` when a retryable error outlasts ``policy``, the error
    itself when it is not retryable, and :class:`Interrupted` when ``stop`` is set while
    waiting. ``on_retry(error, attempt)`` is told of each retried failure. The default
    ``policy`` is this module's :data:`DEFAULT_POLICY` at the time of the call.
    """
    policy = policy if policy is not None else DEFAULT_POLICY
    attempt = 0
    while True:
        if stop is not None and stop.is_set():
            raise Interrupted()
        if limiter is not None:
            limiter.acquire(stop)
        attempt += 1
        try:
            return call(), attempt
        except Exception as error:
            if not is_retryable(error):
                raise
            if attempt >= policy.max_attempts:
                raise RetriesExhausted(error, attempt) from error
            if on_retry is not None:
                on_retry(error, attempt)
            delay = policy.backoff(attempt)
            if stop is not None:
                if stop.wait(delay):
                    raise Interrupted() from error
            elif delay > 0:
                time.sleep(delay)
