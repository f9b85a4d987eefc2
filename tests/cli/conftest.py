"""Fixtures for the ``a2i`` command's tests: the fake A2I on 127.0.0.1 and a CLI runner.

The command runs in-process (Typer's CliRunner) with real boto3 clients: SageMaker and A2I
runtime calls go over HTTP to :class:`constructs_a2i.testing.FakeA2I` (``--endpoint-url``),
S3 and CloudFormation calls to moto where a test needs them. ``fake`` is the shared one
(``tests/fake_a2i.py``); only its clock differs here, ticking one second per read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from constructs_a2i.cli import _retry
from constructs_a2i.cli.main import app
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import ACCOUNT, REGION, Clock, active_flow_definition

FLOW_NAME = "review-flow"
FLOW_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/{FLOW_NAME}"
OUTPUT_BUCKET = "review-output"
OUTPUT_PATH = f"s3://{OUTPUT_BUCKET}/results"


START = dt.datetime(2026, 11, 1, 9, 0, 0, tzinfo=dt.UTC)
"""Where the clock starts: tests filter on its date (``--since 2026-11-01``)."""


def create_flow(fake: FakeA2I, name: str = FLOW_NAME) -> str:
    """Create an Active flow definition on the fake; return its ARN."""
    return active_flow_definition(fake, name, output_s3_path=OUTPUT_PATH)


def write_jsonl(path: Path, items: Sequence[Any]) -> Path:
    """Write ``items`` as JSON Lines to ``path``."""
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    """The shared clock, ticking: each loop a command starts gets its own creation time.

    (It overrides ``clock``; the shared ``fake`` reads it.)
    """
    return Clock(START, tick=1)


@pytest.fixture
def flow_arn(fake: FakeA2I) -> str:
    return create_flow(fake)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and Region only; no AWS config files, no instance metadata."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SAGEMAKER",
        "AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Millisecond backoff, so retried throttling costs the tests no time."""
    monkeypatch.setattr(
        _retry,
        "DEFAULT_POLICY",
        _retry.RetryPolicy(max_attempts=12, base_seconds=0.001, cap_seconds=0.01),
    )


Run = Callable[..., Result]


@pytest.fixture
def run(fake: FakeA2I) -> Run:
    """``run("loops", "list", ...)``: invoke ``a2i --endpoint-url <fake> ...`` in-process."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["--endpoint-url", fake.endpoint_url, *args])

    return invoke


def succeeded_starts(fake: FakeA2I) -> list[str]:
    """Names of the StartHumanLoop calls the fake answered with success, in order."""
    return [params["HumanLoopName"] for params in fake.calls_to("StartHumanLoop", succeeded=True)]
