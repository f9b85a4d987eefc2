"""The SQS queues the package creates: encrypted, TLS only."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

__all__ = [
    "DEAD_LETTER_RETENTION",
    "VISIBILITY_TIMEOUT_FACTOR",
    "lambda_source_visibility_timeout",
    "secure_queue",
]

DEAD_LETTER_RETENTION = Duration.days(14)
"""Dead-letter queues keep messages for SQS's maximum, 14 days."""

VISIBILITY_TIMEOUT_FACTOR = 6
"""AWS's advice for a queue a Lambda function consumes ("Understanding SQS retries", Lambda
operator guide): a visibility timeout of at least six times the function's timeout, so a batch
received while the function is throttled is not received again before it could run."""


def lambda_source_visibility_timeout(
    function_timeout: Duration, max_batching_window: Duration | None = None
) -> Duration:
    """The visibility timeout of a queue that ``function_timeout``'s function consumes: six times
    the timeout, plus the batching window (messages are in flight while a batch gathers)."""
    window = max_batching_window.to_seconds() if max_batching_window is not None else 0
    return Duration.seconds(function_timeout.to_seconds() * VISIBILITY_TIMEOUT_FACTOR + window)


def secure_queue(scope: Construct, id: str, **props: Any) -> sqs.Queue:
    """A queue with SQS-managed encryption that refuses requests without TLS."""
    return sqs.Queue(
        scope, id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **props
    )
