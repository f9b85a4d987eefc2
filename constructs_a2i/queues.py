"""The SQS queues the package creates: encrypted, TLS only."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

__all__ = ["DEAD_LETTER_RETENTION", "secure_queue"]

DEAD_LETTER_RETENTION = Duration.days(14)
"""Dead-letter queues keep messages for SQS's maximum, 14 days."""


def secure_queue(scope: Construct, id: str, **props: Any) -> sqs.Queue:
    """A queue with SQS-managed encryption that refuses requests without TLS."""
    return sqs.Queue(
        scope, id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **props
    )
