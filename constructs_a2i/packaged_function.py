"""Lambda functions that run the package's own runtime code (``constructs_a2i/runtime``).

Each gets the same hardening: the package's Python runtime, a role of its own that may
write to its log group only (no AWS managed policy), and logs kept three months.

Each function's asset is its runtime folder plus ``core`` (see :mod:`constructs_a2i.assets`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_a2i.assets import runtime_handler, stage_runtime

__all__ = [
    "LOG_RETENTION",
    "handler_runtime",
    "lambda_role",
    "packaged_function",
    "runtime_code",
    "runtime_handler",
]

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
"""How long the package's functions keep their logs."""


@cache
def handler_runtime() -> lambda_.Runtime:
    """The Lambda runtime of the package's handlers (the newest Python; boto3 is built in).

    Looked up on first use: reading ``Runtime.PYTHON_3_14`` is a call into the jsii kernel
    (about 50 ms), which importing this module should not pay.
    """
    return lambda_.Runtime.PYTHON_3_14


def __getattr__(name: str) -> Any:
    """``HANDLER_RUNTIME`` (kept for callers of earlier versions): :func:`handler_runtime`."""
    if name == "HANDLER_RUNTIME":
        return handler_runtime()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def runtime_code(folder: str) -> lambda_.Code:
    """The asset of ``constructs_a2i/runtime/<folder>``, shipped with ``core``."""
    return lambda_.Code.from_asset(str(stage_runtime(folder)))


def lambda_role(
    scope: Construct, id: str, *, description: str, log_group: logs.ILogGroup
) -> iam.Role:
    """A role Lambda assumes that may write to ``log_group`` and nothing else (yet)."""
    role = iam.Role(
        scope,
        id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )
    log_group.grant_write(role)
    return role


def packaged_function(
    scope: Construct,
    id: str,
    *,
    code: lambda_.Code,
    handler: str,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    timeout: Duration,
    description: str,
    environment: Mapping[str, str] | None = None,
    **props: Any,
) -> lambda_.Function:
    """A function running package code with the package's runtime and memory size."""
    return lambda_.Function(
        scope,
        id,
        runtime=handler_runtime(),
        handler=handler,
        code=code,
        role=role,
        timeout=timeout,
        memory_size=256,
        environment=dict(environment) if environment else None,
        log_group=log_group,
        description=description,
        **props,
    )
