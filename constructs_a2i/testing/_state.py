"""The fake's state: the records it keeps, the snapshots it hands out, and the store.

:class:`Store` holds everything one fake knows (flow definitions, human loops, the calls
it received, the events it would have sent, lifecycle settings and quotas) behind one
lock. The operation modules read and change it; the facade only inspects it. The public
value types (:class:`Call`, :class:`Limits`, :class:`FakeFlowDefinition`,
:class:`FakeHumanLoop`) live here too, because the records make the snapshots.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "ARN",
    "Call",
    "FakeFlowDefinition",
    "FakeHumanLoop",
    "FlowRecord",
    "Lifecycle",
    "Limits",
    "LoopRecord",
    "Operation",
    "Store",
    "partition_of",
]

ARN = re.compile(
    r"arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]*):(?P<account>\d{12}):"
    r"(?P<type>[a-z\-]+)/(?P<name>.+)"
)
"""A SageMaker ARN, split into its parts."""


class Call(NamedTuple):
    """One request the fake received, in arrival order.

    ``params`` are the decoded request parameters, named as in the boto3 call
    (``{"HumanLoopName": ..., "FlowDefinitionArn": ..., ...}``); ``error`` is the error
    code the fake answered with, or None for a success.
    """

    operation: str
    params: dict[str, Any]
    error: str | None
    service: str


@dataclass
class Limits:
    """Account quotas; None means unlimited."""

    flow_definitions: int | None = None
    """Flow definitions that may exist at once (CreateFlowDefinition → ResourceLimitExceeded)."""
    in_progress_human_loops: int | None = None
    """Human loops InProgress at once (StartHumanLoop → ServiceQuotaExceededException)."""


@dataclass(frozen=True)
class FakeFlowDefinition:
    """A snapshot of one flow definition in the fake."""

    name: str
    arn: str
    status: str
    """Initializing, Active, Failed or Deleting."""
    creation_time: dt.datetime
    definition: dict[str, Any]
    """The CreateFlowDefinition request members other than FlowDefinitionName and Tags."""
    tags: dict[str, str]
    failure_reason: str | None

    @property
    def human_loop_config(self) -> dict[str, Any] | None:
        """The HumanLoopConfig it was created with."""
        config: dict[str, Any] | None = self.definition.get("HumanLoopConfig")
        return config

    @property
    def role_arn(self) -> str:
        """The execution role's ARN."""
        return str(self.definition["RoleArn"])

    @property
    def output_config(self) -> dict[str, Any]:
        """The OutputConfig it was created with."""
        config: dict[str, Any] = self.definition["OutputConfig"]
        return config


@dataclass(frozen=True)
class FakeHumanLoop:
    """A snapshot of one human loop in the fake."""

    name: str
    arn: str
    flow_definition_arn: str
    status: str
    """InProgress, Stopping, Stopped, Completed or Failed."""
    creation_time: dt.datetime
    input_content: str
    data_attributes: dict[str, Any] | None
    failure_code: str | None
    failure_reason: str | None
    output_s3_uri: str | None

    @property
    def input(self) -> Any:
        """The InputContent, parsed."""
        return json.loads(self.input_content)


@dataclass
class FlowRecord:
    """A flow definition as the fake keeps it (mutable; snapshots are copies)."""

    name: str
    arn: str
    status: str
    creation_time: dt.datetime
    seq: int
    """Creation order: breaks ties between equal creation times when paging."""
    definition: dict[str, Any]
    tags: dict[str, str]
    failure_reason: str | None = None
    describes_until_settled: int = 0
    describes_until_gone: int = 0

    def snapshot(self) -> FakeFlowDefinition:
        return FakeFlowDefinition(
            name=self.name,
            arn=self.arn,
            status=self.status,
            creation_time=self.creation_time,
            definition=copy.deepcopy(self.definition),
            tags=dict(self.tags),
            failure_reason=self.failure_reason,
        )


@dataclass
class LoopRecord:
    """A human loop as the fake keeps it (mutable; snapshots are copies)."""

    name: str
    arn: str
    flow_definition_arn: str
    flow_definition_name: str
    status: str
    creation_time: dt.datetime
    seq: int
    """Creation order: breaks ties between equal creation times when paging."""
    input_content: str
    data_attributes: dict[str, Any] | None
    failure_code: str | None = None
    failure_reason: str | None = None
    output_s3_uri: str | None = None
    describes_until_stopped: int = 0

    def snapshot(self) -> FakeHumanLoop:
        return FakeHumanLoop(
            name=self.name,
            arn=self.arn,
            flow_definition_arn=self.flow_definition_arn,
            status=self.status,
            creation_time=self.creation_time,
            input_content=self.input_content,
            data_attributes=copy.deepcopy(self.data_attributes),
            failure_code=self.failure_code,
            failure_reason=self.failure_reason,
            output_s3_uri=self.output_s3_uri,
        )


@dataclass
class Lifecycle:
    """How resources move through their statuses; tests set it through the facade."""

    activate_after: int = 1
    """Describes until a new flow definition settles (Active or Failed)."""
    delete_after: int = 1
    """Describes until a deleted flow definition is gone."""
    stop_after: int = 0
    """Describes until a stopped human loop is Stopped."""
    failure_reason: str | None = None
    """When set, settling flow definitions become Failed with this reason."""
    role_rejections: int = 0
    """CreateFlowDefinition calls still to refuse as if IAM had not propagated the role."""
    role_message: str | None = None


def partition_of(region: str) -> str:
    """The ARN partition of ``region``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Store:
    """Everything one fake knows. Hold :attr:`lock` to read or change any of it.

    The lock is re-entrant so that a helper called under it (an operation ending a
    human loop, which may let a Deleting flow definition go) can take it again.
    """

    region: str
    account: str
    partition: str
    clock: Callable[[], dt.datetime] = _utcnow
    limits: Limits = field(default_factory=Limits)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    flows: dict[str, FlowRecord] = field(default_factory=dict)
    loops: dict[str, LoopRecord] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    """One counter for creation order, request IDs and event IDs: all deterministic."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def now(self) -> dt.datetime:
        """The clock's time to the millisecond, timezone-aware (UTC if the clock gave a naive one).

        Creation times are kept, and so sent, at millisecond precision: an SDK that keeps
        milliseconds (the AWS SDK for JavaScript v3 rounds an epoch-seconds value to the
        nearest millisecond) reads back the very time the fake stored, so a resource's own
        CreationTime given as CreationTimeAfter finds it. With microseconds stored, that
        rounding went past the stored time about half the time and missed the resource.
        """
        now = self.clock()
        now = now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)
        return now.replace(microsecond=now.microsecond - now.microsecond % 1000)

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def arn(self, resource_type: str, name: str) -> str:
        """The ARN of a SageMaker resource in this fake's account and Region."""
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{resource_type}/{name}"

    def flow_by_arn(self, arn: str) -> FlowRecord | None:
        """The flow definition whose ARN is exactly ``arn``, if it exists."""
        match = ARN.fullmatch(arn)
        flow = self.flows.get(match["name"]) if match else None
        # Comparing the whole ARN also rejects another type, Region or account.
        return flow if flow is not None and flow.arn == arn else None

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def clear(self) -> None:
        """Forget all resources, calls, events, lifecycle settings and quotas.

        The sequence counter goes on, so request IDs stay unique for the fake's life.
        """
        with self.lock:
            self.flows.clear()
            self.loops.clear()
            self.calls.clear()
            self.events.clear()
            self.lifecycle = Lifecycle()
            self.limits = Limits()


Operation = Callable[[Store, dict[str, Any]], dict[str, Any]]
"""One service operation: (store, decoded request) → response members.

Called with the store's lock held; raises :class:`~._errors.ServiceError` to fail.
"""
