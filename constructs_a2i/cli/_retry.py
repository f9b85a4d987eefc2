"""Client-side rate limiting and retries with backoff for the ``a2i`` command.

Which errors are transient and how long to back off are A2I-wide rules, kept in
:mod:`constructs_a2i.core.retry`; this module applies them to the command's calls. Every AWS call
the command makes goes through :func:`call_with_retries`: throttling, 5xx and connection errors
are retried with exponential backoff and full jitter, up to
:attr:`~constructs_a2i.core.retry.RetryPolicy.max_attempts` attempts; anything else is raised at
once. botocore's own retries are switched off for these clients, so the attempts counted here
are all there are.

:class:`TokenBucket` spaces calls out to a rate (``--rate``): every attempt, retries included,
takes a token. Both wait on a :class:`threading.Event` so Ctrl-C (which sets it) ends the
waits at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError, HTTPClientError

from constructs_a2i.core.retry import (
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    is_throttling,
    is_transient,
)

__all__ = [
    "DEFAULT_POLICY",
    "Interrupted",
    "RetriesExhausted",
    "RetryPolicy",
    "TokenBucket",
    "call_with_retries",
    "error_code",
    "is_retryable",
]

DEFAULT_POLICY: RetryPolicy = DEFAULT_RETRY_POLICY
"""The policy :func:`call_with_retries` uses when given none, read at each call: core's
:data:`~constructs_a2i.core.retry.DEFAULT_RETRY_POLICY` (tests swap in a faster one).
:class:`RetryPolicy` is re-exported from core for them."""

_T = TypeVar("_T")


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
        return is_throttling(self.code)


class Interrupted(Exception):
    """The stop event was set (Ctrl-C) while waiting to call or retry."""


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception's class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "Unknown")
    return type(error).__name__


def is_retryable(error: BaseException) -> bool:
    """True for throttling, 5xx (:func:`constructs_a2i.core.retry.is_transient`), dropped
    connections and read timeouts; else False."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return is_transient(error_code(error), status if isinstance(status, int) else 0)
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
