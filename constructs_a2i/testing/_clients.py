"""Real boto3 clients, and boto3 environment variables, that reach a running fake.

Both carry dummy credentials: the fake checks no signatures, and a test that leaks a
client to the real AWS fails to authenticate instead of acting on an account.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from constructs_a2i.testing._protocol import A2I_RUNTIME, SAGEMAKER

__all__ = ["DUMMY_KEY", "check_service", "client_for", "environ_for"]

DUMMY_KEY = "testing"

_SESSION_LOCK = threading.Lock()
_SESSION: list[boto3.session.Session] = []


def _shared_session() -> boto3.session.Session:
    """One boto3 session for every fake's clients: it loads each service model once.

    (Creating clients from one session is not thread-safe: callers hold _SESSION_LOCK.)
    """
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


def check_service(service_name: str) -> None:
    """ValueError unless the fake serves ``service_name``."""
    if service_name not in (SAGEMAKER, A2I_RUNTIME):
        raise ValueError(f"the fake serves sagemaker and sagemaker-a2i-runtime, not {service_name}")


def client_for(
    service_name: str,
    *,
    endpoint_url: str,
    region: str,
    max_attempts: int,
    config: Config | None,
) -> Any:
    """A boto3 client of ``service_name`` at ``endpoint_url`` (see ``FakeA2I.client``)."""
    check_service(service_name)
    base = Config(retries={"mode": "standard", "total_max_attempts": max_attempts})
    merged = base.merge(config) if config is not None else base
    with _SESSION_LOCK:
        return _shared_session().client(
            # boto3-stubs type client() per literal service name; this one is a checked str.
            service_name,  # type: ignore[call-overload]
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            aws_session_token=DUMMY_KEY,
            config=merged,
        )


def environ_for(endpoint_url: str, region: str) -> dict[str, str]:
    """The variables of ``FakeA2I.environ``: service endpoints, dummy keys, the Region.

    ``AWS_ENDPOINT_URL_<SERVICE ID>`` is botocore's service-specific endpoint variable
    (the service ID upper-cased, spaces as underscores), so only SageMaker and the A2I
    runtime move: S3 and the rest keep their endpoints.
    """
    return {
        "AWS_ENDPOINT_URL_SAGEMAKER": endpoint_url,
        "AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME": endpoint_url,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
        "AWS_ACCESS_KEY_ID": DUMMY_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
        "AWS_SESSION_TOKEN": DUMMY_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }
