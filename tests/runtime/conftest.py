"""Fixtures for the Lambda runtime tests: the A2I fake, real-shaped events, a Lambda context.

The handlers build their own boto3 clients, so they reach the shared fake through
``fake_env`` (``tests/fake_a2i.py``): boto3's environment variables pointed at it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

import pytest

from constructs_a2i.runtime.human_loop_starter import index as starter_index
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import active_flow_definition

ENV_KEYS = (
    "FLOW_DEFINITION_ARN",
    "ID_FIELD",
    "INPUT_PATH",
    "ACTIVATION",
    "CONTENT_CLASSIFIERS",
    "MAX_CONCURRENCY",
    "LOOP_NAME_PREFIX",
)


class LambdaContext:
    """The part of the Lambda context object the handlers use."""

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms
        self.function_name = "starter"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def sqs_record(
    body: str | Mapping[str, Any], message_id: str | None = None, receive_count: int = 1
) -> dict[str, Any]:
    """One SQS record as the Lambda event source mapping delivers it."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1700000000001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:starter-input",
        "awsRegion": "us-east-1",
    }


def sqs_event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Records": list(records)}


def eventbridge_event(source: str, detail_type: str, detail: Any) -> dict[str, Any]:
    """An EventBridge event as a rule delivers it to an SQS target (the message body)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "111111111111",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def s3_object_created(
    bucket: str,
    key: str,
    *,
    etag: str = "b1946ac92492d2347c6235b4d2611184",
    version_id: str | None = None,
    size: int = 5,
) -> dict[str, Any]:
    """S3's "Object Created" EventBridge event (shape of the S3 user guide's example)."""
    obj: dict[str, Any] = {"key": key, "size": size, "etag": etag, "sequencer": "617f08299329d189"}
    if version_id is not None:
        obj["version-id"] = version_id
    event = eventbridge_event(
        "aws.s3",
        "Object Created",
        {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "111111111111",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    )
    event["resources"] = [f"arn:aws:s3:::{bucket}"]
    return event


create_active_flow_definition = active_flow_definition
"""A flow definition that is Active at once; returns its ARN (the shared helper)."""


class Starter:
    """The starter handler wired to the fake, configured through its environment."""

    def __init__(self, module: ModuleType, fake: FakeA2I, monkeypatch: pytest.MonkeyPatch):
        self.module = module
        self.fake = fake
        self.monkeypatch = monkeypatch
        self.flow_definition_arn = create_active_flow_definition(fake)

    def configure(self, **env: str | None) -> None:
        """Set (or with None, unset) environment variables and forget cached state."""
        for name, value in env.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        self.module.reset()

    def run(
        self, records: Sequence[Mapping[str, Any]], remaining_ms: int = 60_000
    ) -> dict[str, list[dict[str, str]]]:
        result: dict[str, list[dict[str, str]]] = self.module.handler(
            sqs_event(records), LambdaContext(remaining_ms)
        )
        return result

    @staticmethod
    def failed_ids(response: Mapping[str, list[dict[str, str]]]) -> set[str]:
        return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}

    def starts(self, *, succeeded: bool | None = None) -> list[dict[str, Any]]:
        return self.fake.calls_to("StartHumanLoop", succeeded=succeeded)


@pytest.fixture
def starter(fake_env: FakeA2I, monkeypatch: pytest.MonkeyPatch) -> Iterator[Starter]:
    """The starter handler pointed at the fake through boto3's environment variables."""
    for name in ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    # Tiny backoff so retry tests take milliseconds.
    monkeypatch.setattr(starter_index, "BACKOFF_BASE_SECONDS", 0.001)
    monkeypatch.setattr(starter_index, "BACKOFF_CAP_SECONDS", 0.005)
    handle = Starter(starter_index, fake_env, monkeypatch)
    handle.configure(FLOW_DEFINITION_ARN=handle.flow_definition_arn)
    yield handle
    starter_index.reset()


def log_lines(output: str) -> list[dict[str, Any]]:
    """The JSON log lines a handler printed (its EMF metric records left out)."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" not in line]  # EMF metric records are not logs
