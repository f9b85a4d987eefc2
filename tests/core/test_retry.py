"""One retry policy: which errors are transient, and the full-jitter backoff."""

from __future__ import annotations

import random

import pytest

from constructs_a2i.core.retry import RetryPolicy, is_throttling, is_transient


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 429, True),
        ("Throttling", 400, True),  # SageMaker's JSON 1.1 protocol
        ("InternalServerException", 500, True),
        ("ServiceUnavailable", 503, True),
        ("SomethingNew", 502, True),  # any 5xx
        ("ValidationException", 500, False),
        ("ServiceQuotaExceededException", 402, False),
        ("ConflictException", 409, False),
        ("ResourceNotFound", 400, False),
    ],
)
def test_is_transient(code: str, status: int, expected: bool) -> None:
    assert is_transient(code, status) is expected


def test_throttling_codes() -> None:
    assert is_throttling("ThrottlingException") and is_throttling("SlowDown")
    assert not is_throttling("InternalServerException")


def test_backoff_is_full_jitter_within_a_capped_ceiling() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=0.1, cap_seconds=1.0)
    assert policy.backoff(1, lambda low, high: high) == pytest.approx(0.1)
    assert policy.backoff(3, lambda low, high: high) == pytest.approx(0.4)
    assert policy.backoff(10, lambda low, high: high) == 1.0
    assert policy.backoff(10_000, lambda low, high: high) == 1.0  # no overflow
    rng = random.Random(7)
    assert all(0 <= policy.backoff(4, rng.uniform) <= 0.8 for _ in range(200))


def test_policy_checks_itself() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(base_seconds=-1)
