"""FakeA2I: SageMaker's flow-definition API and the A2I runtime on a local HTTP server."""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, overload

import boto3
from botocore.config import Config

from constructs_a2i.testing._protocol import (
    A2I_RUNTIME,
    SAGEMAKER,
    SerializationError,
    decode_json_request,
    decode_rest_request,
    encode_response,
    error_status,
    find_rest_route,
    service_model,
)
from constructs_a2i.testing._server import Server
from constructs_a2i.testing._validation import validation_errors, validation_message

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = [
    "A2I_RUNTIME_OPERATIONS",
    "SAGEMAKER_OPERATIONS",
    "Call",
    "FakeA2I",
    "FakeFlowDefinition",
    "FakeHumanLoop",
    "Faults",
    "Limits",
]

SAGEMAKER_OPERATIONS = frozenset(
    {
        "CreateFlowDefinition",
        "DescribeFlowDefinition",
        "DeleteFlowDefinition",
        "ListFlowDefinitions",
        "AddTags",
        "DeleteTags",
        "ListTags",
    }
)
"""The SageMaker operations the fake serves (others answer UnknownOperationException)."""

A2I_RUNTIME_OPERATIONS = frozenset(
    {"StartHumanLoop", "DescribeHumanLoop", "ListHumanLoops", "StopHumanLoop", "DeleteHumanLoop"}
)
"""The A2I runtime operations the fake serves (all of them)."""

_DUMMY_KEY = "testing"
_PUBLIC_CROWD_ACCOUNT = "394669845002"
_PUBLIC_CROWD = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:" + _PUBLIC_CROWD_ACCOUNT + r":workteam/public-crowd/.*"
)
_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]*):(?P<account>\d{12}):"
    r"(?P<type>[a-z\-]+)/(?P<name>.+)"
)
# The service caps that the model does not state (see shared/DESIGN.md).
_MAX_TASK_TIME_LIMIT = 28800
_MAX_LIFETIME_PRIVATE = 864000
_MAX_LIFETIME_PUBLIC = 43200
_MAX_TAGS = 50
# Public-crowd prices AWS accepts, in thousandths of a dollar: the list for custom,
# Rekognition and other tasks, and the longer one for Textract AnalyzeDocument forms.
_PRICES = frozenset({12, 24, 36, 48, 60, 72, *range(120, 1201, 120)})
_TEXTRACT_PRICES = _PRICES | frozenset(range(1320, 2401, 120))
_TEXTRACT_SOURCE = "AWS/Textract/AnalyzeDocument/Forms/V1"
_FAILURE_CODES = ("ValidationError", "Expired", "InternalError")
_LOOP_DONE = frozenset({"Completed", "Failed", "Stopped"})
_DEFAULT_PAGE_SIZE = 10  # like SageMaker's other List* operations
_DEFAULT_TAG_PAGE_SIZE = 50


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
class Faults:
    """Random faults, drawn from the fake's seeded generator (deterministic per seed).

    Faults are decided before a request is validated or acted on, so a faulted
    request changes no state.
    """

    throttle_rate: float = 0.0
    """Share of requests answered with ThrottlingException (429 for A2I, 400 for SageMaker)."""
    error_rate: float = 0.0
    """Share answered with a 500: InternalServerException (A2I), InternalFailure (SageMaker)."""
    latency: float = 0.0
    """Seconds slept before answering each request (outside the state lock)."""
    operations: frozenset[str] | None = None
    """The operations the random faults apply to; None means all of them."""


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


class _ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _validation(message: str) -> _ServiceError:
    return _ServiceError("ValidationException", message)


def _constraint(value: Any, path: str, constraint: str) -> _ServiceError:
    """A ValidationException in the services' own wording for one broken constraint."""
    return _validation(
        validation_message(
            [f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"]
        )
    )


@dataclass
class _Flow:
    name: str
    arn: str
    status: str
    creation_time: dt.datetime
    seq: int
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
class _Loop:
    name: str
    arn: str
    flow_definition_arn: str
    flow_definition_name: str
    status: str
    creation_time: dt.datetime
    seq: int
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
class _Scripted:
    code: str
    message: str | None
    times: int


@dataclass
class _Lifecycle:
    activate_after: int = 1
    delete_after: int = 1
    stop_after: int = 0
    failure_reason: str | None = None
    role_rejections: int = 0
    role_message: str | None = None
    scripted: dict[str, list[_Scripted]] = field(default_factory=dict)


_SESSION_LOCK = threading.Lock()
_SESSION: list[boto3.session.Session] = []


def _shared_session() -> boto3.session.Session:
    """One boto3 session for every fake's clients: it loads each service model once.

    (Creating clients from one session is not thread-safe: callers hold _SESSION_LOCK.)
    """
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FakeA2I:
    """A local, faithful fake of SageMaker's flow-definition API and the A2I runtime.

    One threaded HTTP server on 127.0.0.1 speaks both wire protocols: requests with
    an ``X-Amz-Target: SageMaker.<Operation>`` header are SageMaker (``json`` 1.1),
    all others are routed by method and path to the A2I runtime (``rest-json``). So
    one endpoint URL serves real boto3 clients of both services::

        with FakeA2I(region="us-east-1", account="111111111111", seed=0) as fake:
            sagemaker = fake.client("sagemaker")
            a2i = fake.client("sagemaker-a2i-runtime")

    Every request is checked against botocore's service model (lengths, ranges,
    patterns, enums, nested members: what botocore's client-side validation skips)
    and against the services' documented rules, and answered with the modelled
    errors. Flow definitions and human loops follow the real lifecycles, which tests
    drive with :meth:`activate_after`, :meth:`fail_flow_definitions`,
    :meth:`delete_after`, :meth:`stop_after`, :meth:`complete_human_loop` and
    :meth:`fail_human_loop`. Faults are injected with :attr:`faults`,
    :meth:`fail_next` and :meth:`reject_new_roles`.

    All state sits behind one lock: the fake is safe to call from many threads.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account: str = "111111111111",
        seed: int = 0,
        clock: Callable[[], dt.datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure the fake; :meth:`start` (or ``with``) starts its server.

        ``clock`` gives creation times (timezone-aware; default: the system clock).
        ``port`` 0 lets the OS pick a free port.
        """
        if not re.fullmatch(r"\d{12}", account):
            raise ValueError(f"account must be 12 digits; got {account!r}")
        self.region = region
        """The Region in every ARN the fake makes."""
        self.account = account
        """The account ID in every ARN the fake makes."""
        self.partition = _partition(region)
        """The ARN partition of :attr:`region`."""
        self.faults = Faults()
        """Random faults; set its attributes at any time."""
        self.limits = Limits()
        """Account quotas; set its attributes at any time."""
        self._seed = seed
        self._rng = random.Random(seed)
        self._clock_source = clock or _utcnow
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._flows: dict[str, _Flow] = {}
        self._loops: dict[str, _Loop] = {}
        self._calls: list[Call] = []
        self._events: list[dict[str, Any]] = []
        self._lifecycle = _Lifecycle()
        self._seq = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def _clock(self) -> dt.datetime:
        now = self._clock_source()
        return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)

    # -- server lifecycle ---------------------------------------------------------------

    def start(self) -> FakeA2I:
        """Start the HTTP server in a background thread; returns the fake."""
        if self._server is not None:
            raise RuntimeError("FakeA2I is already started")
        server = Server((self._host, self._port), self._handle_http)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeA2I:{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def close(self) -> None:
        """Stop the server and close its connections (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeA2I:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the endpoint of both services."""
        if self._server is None:
            raise RuntimeError("FakeA2I is not started: use `with FakeA2I() as fake` or start()")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- clients ------------------------------------------------------------------------

    @overload
    def client(
        self,
        service_name: Literal["sagemaker"],
        *,
        max_attempts: int = 1,
        config: Config | None = None,
    ) -> SageMakerClient: ...

    @overload
    def client(
        self,
        service_name: Literal["sagemaker-a2i-runtime"],
        *,
        max_attempts: int = 1,
        config: Config | None = None,
    ) -> AugmentedAIRuntimeClient: ...

    def client(
        self,
        service_name: Literal["sagemaker", "sagemaker-a2i-runtime"],
        *,
        max_attempts: int = 1,
        config: Config | None = None,
    ) -> Any:
        """A real boto3 client of ``service_name`` that talks to this fake.

        It has dummy credentials, the fake's Region and ``standard`` retries with
        ``max_attempts`` *total* attempts (default 1: no retries, so every injected
        fault reaches the caller). ``config`` is merged over that.
        """
        if service_name not in (SAGEMAKER, A2I_RUNTIME):
            raise ValueError(
                f"the fake serves sagemaker and sagemaker-a2i-runtime, not {service_name}"
            )
        base = Config(retries={"mode": "standard", "total_max_attempts": max_attempts})
        merged = base.merge(config) if config is not None else base
        with _SESSION_LOCK:
            return _shared_session().client(
                service_name,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=_DUMMY_KEY,
                aws_secret_access_key=_DUMMY_KEY,
                aws_session_token=_DUMMY_KEY,
                config=merged,
            )

    def environ(self) -> dict[str, str]:
        """Environment variables that point boto3 clients made elsewhere at this fake.

        ``AWS_ENDPOINT_URL_<SERVICE ID>`` is botocore's service-specific endpoint
        variable (the service ID upper-cased, spaces as underscores: ``SageMaker`` and
        ``SageMaker A2I Runtime``), with dummy credentials and the fake's Region. Use it
        with ``monkeypatch.setenv`` so code under test that builds its own clients
        reaches the fake.
        """
        url = self.endpoint_url
        return {
            "AWS_ENDPOINT_URL_SAGEMAKER": url,
            "AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME": url,
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
            "AWS_ACCESS_KEY_ID": _DUMMY_KEY,
            "AWS_SECRET_ACCESS_KEY": _DUMMY_KEY,
            "AWS_SESSION_TOKEN": _DUMMY_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    # -- inspection ---------------------------------------------------------------------

    @property
    def flow_definitions(self) -> dict[str, FakeFlowDefinition]:
        """Snapshots of the flow definitions that exist (Deleting ones included), by name."""
        with self._lock:
            return {name: flow.snapshot() for name, flow in self._flows.items()}

    @property
    def human_loops(self) -> dict[str, FakeHumanLoop]:
        """Snapshots of the human loops that exist (not deleted), by name."""
        with self._lock:
            return {name: loop.snapshot() for name, loop in self._loops.items()}

    @property
    def calls(self) -> list[Call]:
        """Every request received so far, faulted and failed ones included."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, operation: str, *, succeeded: bool | None = None) -> list[dict[str, Any]]:
        """The params of each call to ``operation`` (only successes or failures if asked)."""
        return [
            call.params
            for call in self.calls
            if call.operation == operation
            and (succeeded is None or (call.error is None) == succeeded)
        ]

    @property
    def events(self) -> list[dict[str, Any]]:
        """The EventBridge events A2I would have sent: ``SageMaker A2I HumanLoop Status Change``."""
        with self._lock:
            return copy.deepcopy(self._events)

    def reset(self) -> None:
        """Forget all state, calls, events, faults, limits and lifecycle settings."""
        with self._lock:
            self._flows.clear()
            self._loops.clear()
            self._calls.clear()
            self._events.clear()
            self._lifecycle = _Lifecycle()
            self.faults = Faults()
            self.limits = Limits()
            self._rng = random.Random(self._seed)

    # -- lifecycle and fault controls -----------------------------------------------------

    def activate_after(self, describes: int) -> None:
        """New flow definitions settle (Active, or Failed) on their ``describes``-th Describe.

        Default 1: the first DescribeFlowDefinition already reports Active (ListFlowDefinitions
        shows Initializing before it). 0 makes them Active at once.
        """
        if describes < 0:
            raise ValueError("describes must be >= 0")
        with self._lock:
            self._lifecycle.activate_after = describes

    def fail_flow_definitions(self, reason: str | None = "Failed to validate the task UI") -> None:
        """Flow definitions that settle from now on become Failed with ``reason``.

        Pass None to let them become Active again.
        """
        with self._lock:
            self._lifecycle.failure_reason = reason

    def delete_after(self, describes: int) -> None:
        """Deleted flow definitions are gone on their ``describes``-th Describe (default 1).

        Until then they report Deleting. 0 removes them at once. A flow definition
        with human loops still InProgress or Stopping stays Deleting until they end,
        as the real one does until its tasks finish or expire.
        """
        if describes < 0:
            raise ValueError("describes must be >= 0")
        with self._lock:
            self._lifecycle.delete_after = describes

    def stop_after(self, describes: int) -> None:
        """Stopped human loops report Stopping until their ``describes``-th Describe.

        Default 0: StopHumanLoop leaves them Stopped at once.
        """
        if describes < 0:
            raise ValueError("describes must be >= 0")
        with self._lock:
            self._lifecycle.stop_after = describes

    def fail_next(
        self,
        operation: str,
        error_code: str,
        *,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``operation`` with ``error_code``.

        The HTTP status is the service's for that code (e.g. ThrottlingException is
        429 on the A2I runtime). Scripted failures come before everything else and
        change no state.
        """
        if operation not in SAGEMAKER_OPERATIONS | A2I_RUNTIME_OPERATIONS:
            raise ValueError(f"the fake does not serve {operation}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            queue = self._lifecycle.scripted.setdefault(operation, [])
            queue.append(_Scripted(error_code, message, times))

    def reject_new_roles(self, times: int = 1, *, message: str | None = None) -> None:
        """Simulate IAM propagation: the next ``times`` CreateFlowDefinition calls fail.

        They fail with ValidationException, as SageMaker answers when it cannot yet
        assume a role created seconds before, after the request is otherwise valid
        (nothing is created).
        """
        if times < 0:
            raise ValueError("times must be >= 0")
        with self._lock:
            self._lifecycle.role_rejections = times
            self._lifecycle.role_message = message

    def create_active_flow_definition(
        self, name: str = "review", *, output_s3_path: str = "s3://review-output/results"
    ) -> str:
        """Create a custom-task flow definition and wait until it is Active; return its ARN.

        The one-call set-up for tests and benchmarks that start human loops. It goes
        through the real protocol (CreateFlowDefinition, then DescribeFlowDefinition until
        the status settles), so the request is validated like any other; a flow that
        settles as Failed raises ``RuntimeError`` with its FailureReason.
        """
        base = f"arn:{self.partition}:sagemaker:{self.region}:{self.account}"
        sagemaker = self.client("sagemaker")
        arn: str = sagemaker.create_flow_definition(
            FlowDefinitionName=name,
            RoleArn=f"arn:{self.partition}:iam::{self.account}:role/a2i-review",
            HumanLoopConfig={
                "WorkteamArn": f"{base}:workteam/private-crowd/team",
                "HumanTaskUiArn": f"{base}:human-task-ui/review-ui",
                "TaskTitle": "Check the label",
                "TaskDescription": "Confirm or correct the label the model chose",
                "TaskCount": 1,
            },
            OutputConfig={"S3OutputPath": output_s3_path},
        )["FlowDefinitionArn"]
        # Each Describe moves the lifecycle on (see activate_after), so this settles.
        for _ in range(self._lifecycle.activate_after + 1):
            described = sagemaker.describe_flow_definition(FlowDefinitionName=name)
            status = described["FlowDefinitionStatus"]
            if status == "Active":
                return arn
            if status == "Failed":
                raise RuntimeError(
                    f"flow definition {name} failed: {described.get('FailureReason')}"
                )
        raise RuntimeError(f"flow definition {name} is still {status}")

    def complete_human_loop(self, name: str, *, output_s3_uri: str | None = None) -> FakeHumanLoop:
        """Mark an InProgress human loop Completed, as if its workers had answered.

        The default ``output_s3_uri`` is where A2I writes the output:
        ``<S3OutputPath>/<flow name>/YYYY/MM/DD/hh/mm/ss/<loop name>/output.json``.
        """
        with self._lock:
            loop = self._loop_for_helper(name, ("InProgress",))
            if output_s3_uri is None:
                flow = self._flows.get(loop.flow_definition_name)
                output_path = (
                    flow.definition["OutputConfig"]["S3OutputPath"]
                    if flow is not None
                    else f"s3://fake-a2i-output-{self.account}"
                )
                stamp = loop.creation_time.astimezone(dt.UTC).strftime("%Y/%m/%d/%H/%M/%S")
                output_s3_uri = (
                    f"{output_path.rstrip('/')}/{loop.flow_definition_name}/{stamp}/"
                    f"{loop.name}/output.json"
                )
            loop.status = "Completed"
            loop.output_s3_uri = output_s3_uri
            self._loop_ended(loop)
            return loop.snapshot()

    def fail_human_loop(
        self,
        name: str,
        *,
        failure_code: str = "Expired",
        reason: str | None = None,
    ) -> FakeHumanLoop:
        """Mark an InProgress (or Stopping) human loop Failed with ``failure_code``.

        ``failure_code`` is ValidationError, Expired or InternalError.
        """
        if failure_code not in _FAILURE_CODES:
            raise ValueError(f"failure_code must be one of {_FAILURE_CODES}; got {failure_code!r}")
        default_reasons = {
            "Expired": "The human loop expired before all of its tasks were completed.",
            "ValidationError": "The human loop input failed validation.",
            "InternalError": "An internal error occurred.",
        }
        with self._lock:
            loop = self._loop_for_helper(name, ("InProgress", "Stopping"))
            loop.status = "Failed"
            loop.failure_code = failure_code
            loop.failure_reason = reason or default_reasons[failure_code]
            self._loop_ended(loop)
            return loop.snapshot()

    def _loop_for_helper(self, name: str, statuses: Sequence[str]) -> _Loop:
        loop = self._loops.get(name)
        if loop is None:
            raise KeyError(f"no human loop named {name!r}")
        if loop.status not in statuses:
            raise ValueError(f"human loop {name!r} is {loop.status}, not {' or '.join(statuses)}")
        return loop

    # -- request handling -----------------------------------------------------------------

    def _handle_http(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request (``headers`` with lower-case names)."""
        path, _, query = raw_path.partition("?")
        target = headers.get("x-amz-target")
        operation: str
        if target:
            service = SAGEMAKER
            prefix, _, operation = target.partition(".")
            if prefix != "SageMaker" or operation not in SAGEMAKER_OPERATIONS:
                return self._error_response(
                    service,
                    "UnknownOperationException",
                    f"The fake serves SageMaker.{', SageMaker.'.join(sorted(SAGEMAKER_OPERATIONS))}"
                    f" only, not {target}",
                )
            op_model = service_model(SAGEMAKER).operation_model(operation)

            def decode() -> dict[str, Any]:
                return decode_json_request(op_model, body)

        else:
            service = A2I_RUNTIME
            route = find_rest_route(A2I_RUNTIME, method, path)
            if route is None:
                return self._error_response(
                    service, "UnknownOperationException", f"No operation matches {method} {path}"
                )
            operation, labels = route
            op_model = service_model(A2I_RUNTIME).operation_model(operation)

            def decode() -> dict[str, Any]:
                return decode_rest_request(op_model, labels, query, body)

        latency = self.faults.latency
        if latency > 0:
            time.sleep(latency)
        try:
            params = decode()
        except SerializationError as error:
            self._record(Call(operation, {}, "SerializationException", service))
            return self._error_response(service, "SerializationException", str(error))
        try:
            with self._lock:
                self._inject_faults(service, operation)
                errors = (
                    validation_errors(op_model.input_shape, params) if op_model.input_shape else []
                )
                if errors:
                    raise _validation(validation_message(errors))
                output = self._operations[operation](self, params)
                self._calls.append(Call(operation, copy.deepcopy(params), None, service))
        except _ServiceError as error:
            self._record(Call(operation, copy.deepcopy(params), error.code, service))
            return self._error_response(service, error.code, error.message)
        except Exception as error:  # a bug in the fake must still answer like a service
            code = "InternalFailure" if service == SAGEMAKER else "InternalServerException"
            self._record(Call(operation, copy.deepcopy(params), code, service))
            return self._error_response(service, code, f"{type(error).__name__}: {error}")
        content_type = "application/x-amz-json-1.1" if service == SAGEMAKER else "application/json"
        return 200, self._headers(content_type), encode_response(op_model, output)

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _headers(self, content_type: str) -> dict[str, str]:
        with self._lock:
            self._seq += 1
            request_id = str(uuid.UUID(int=self._seq))
        return {"Content-Type": content_type, "x-amzn-RequestId": request_id}

    def _error_response(
        self, service: str, code: str, message: str
    ) -> tuple[int, dict[str, str], bytes]:
        status = error_status(service, code)
        if service == SAGEMAKER:
            headers = self._headers("application/x-amz-json-1.1")
            payload = {"__type": code, "Message": message}
        else:
            headers = self._headers("application/json")
            headers["x-amzn-ErrorType"] = code
            payload = {"message": message}
        return status, headers, json.dumps(payload).encode("utf-8")

    def _inject_faults(self, service: str, operation: str) -> None:
        queue = self._lifecycle.scripted.get(operation)
        if queue:
            scripted = queue[0]
            scripted.times -= 1
            if scripted.times <= 0:
                queue.pop(0)
            raise _ServiceError(scripted.code, scripted.message or f"Injected {scripted.code}")
        faults = self.faults
        if faults.operations is not None and operation not in faults.operations:
            return
        if faults.throttle_rate > 0 and self._rng.random() < faults.throttle_rate:
            raise _ServiceError("ThrottlingException", "Rate exceeded")
        if faults.error_rate > 0 and self._rng.random() < faults.error_rate:
            if service == SAGEMAKER:
                raise _ServiceError("InternalFailure", "An internal error occurred. Try again.")
            raise _ServiceError(
                "InternalServerException", "We encountered an internal error. Try again."
            )

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _arn(self, resource_type: str, name: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{resource_type}/{name}"

    # -- SageMaker: flow definitions --------------------------------------------------

    def _create_flow_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["FlowDefinitionName"]
        self._check_flow_definition(params)
        if name in self._flows:
            # Real message wording not published; this keeps its substance.
            raise _ServiceError(
                "ResourceInUse",
                f"Cannot create flow definition {name}: a flow definition with this name "
                "already exists in this account and Region.",
            )
        limit = self.limits.flow_definitions
        if limit is not None and len(self._flows) >= limit:
            raise _ServiceError(
                "ResourceLimitExceeded",
                f"The account-level service limit 'Maximum number of flow definitions' is "
                f"{limit}, with current utilization of {len(self._flows)}.",
            )
        if self._lifecycle.role_rejections > 0:
            self._lifecycle.role_rejections -= 1
            # The wording SageMaker's Create* operations use when the role cannot be
            # assumed (seen for CreateTransformJob, CreateModel, ...): a role created
            # seconds earlier gets it until IAM has propagated it.
            raise _validation(
                self._lifecycle.role_message
                or f"Could not assume role {params['RoleArn']}. Please ensure that the role "
                "exists and allows principal 'sagemaker.amazonaws.com' to assume the role."
            )
        definition = {
            k: copy.deepcopy(v)
            for k, v in params.items()
            if k not in ("FlowDefinitionName", "Tags")
        }
        flow = _Flow(
            name=name,
            arn=self._arn("flow-definition", name),
            status="Initializing",
            creation_time=self._clock(),
            seq=self._next_seq(),
            definition=definition,
            tags={tag["Key"]: tag["Value"] for tag in params.get("Tags") or []},
            describes_until_settled=self._lifecycle.activate_after,
        )
        self._flows[name] = flow
        if flow.describes_until_settled <= 0:
            self._settle(flow)
        return {"FlowDefinitionArn": flow.arn}

    def _check_flow_definition(self, params: dict[str, Any]) -> None:
        """The documented rules the model does not state."""
        source = params.get("HumanLoopRequestSource")
        activation = params.get("HumanLoopActivationConfig")
        if activation is not None and source is None:
            raise _validation(
                "HumanLoopActivationConfig can only be specified together with "
                "HumanLoopRequestSource."
            )
        if activation is not None:
            conditions = activation["HumanLoopActivationConditionsConfig"][
                "HumanLoopActivationConditions"
            ]
            try:
                parsed = json.loads(conditions)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise _validation("HumanLoopActivationConditions must be a JSON object.")
        output_path = params["OutputConfig"]["S3OutputPath"]
        if not re.fullmatch(r"s3://[^/]+(/.*)?", output_path):
            raise _constraint(
                output_path,
                "outputConfig.s3OutputPath",
                "Member must be an S3 URI of the form s3://bucket/prefix",
            )
        self._check_tags(params.get("Tags") or [], "tags")
        config = params.get("HumanLoopConfig")
        if config is None:
            return
        workteam = config["WorkteamArn"]
        public = _PUBLIC_CROWD.fullmatch(workteam) is not None
        self._check_arn_reachable(
            workteam, "Workteam", allow_foreign=public or "vendor-crowd" in workteam
        )
        self._check_arn_reachable(config["HumanTaskUiArn"], "HumanTaskUi", allow_foreign=False)
        time_limit = config.get("TaskTimeLimitInSeconds")
        if time_limit is not None and time_limit > _MAX_TASK_TIME_LIMIT:
            raise _constraint(
                time_limit,
                "humanLoopConfig.taskTimeLimitInSeconds",
                f"Member must have value less than or equal to {_MAX_TASK_TIME_LIMIT}",
            )
        lifetime = config.get("TaskAvailabilityLifetimeInSeconds")
        cap = _MAX_LIFETIME_PUBLIC if public else _MAX_LIFETIME_PRIVATE
        if lifetime is not None and lifetime > cap:
            raise _constraint(
                lifetime,
                "humanLoopConfig.taskAvailabilityLifetimeInSeconds",
                f"Member must have value less than or equal to {cap}"
                + (" for the public workforce" if public else ""),
            )
        price = config.get("PublicWorkforceTaskPrice")
        if public and price is None:
            raise _validation("PublicWorkforceTaskPrice is required for the public workforce.")
        if price is not None:
            amount = price.get("AmountInUsd") or {}
            thousandths = (
                amount.get("Dollars", 0) * 1000
                + amount.get("Cents", 0) * 10
                + amount.get("TenthFractionsOfACent", 0)
            )
            allowed = (
                _TEXTRACT_PRICES
                if source and source.get("AwsManagedHumanLoopRequestSource") == _TEXTRACT_SOURCE
                else _PRICES
            )
            if thousandths not in allowed:
                raise _validation(
                    f"PublicWorkforceTaskPrice {thousandths / 1000:.3f} USD is not one of the "
                    "prices allowed for this task type: "
                    + ", ".join(f"{p / 1000:.3f}" for p in sorted(allowed))
                )

    def _check_arn_reachable(self, arn: str, kind: str, *, allow_foreign: bool) -> None:
        match = _ARN.fullmatch(arn)
        if match is None:
            return  # the model's pattern has already judged it
        foreign = match["region"] != self.region or (
            match["account"] != self.account and not allow_foreign
        )
        if foreign:
            # SageMaker's wording for a work team it cannot see.
            raise _validation(
                f"The specified {kind} '{arn}' does not exist or you do not have access to it."
            )

    def _check_tags(self, tags: list[dict[str, str]], path: str) -> None:
        keys = [tag["Key"] for tag in tags]
        if len(set(keys)) != len(keys):
            raise _validation(f"Tag keys must be unique per resource; '{path}' repeats a key.")
        for key in keys:
            if key.lower().startswith("aws:"):
                raise _validation(f"Tag keys starting with 'aws:' are reserved for AWS use: {key}")

    def _settle(self, flow: _Flow) -> None:
        reason = self._lifecycle.failure_reason
        if reason is None:
            flow.status = "Active"
        else:
            flow.status = "Failed"
            flow.failure_reason = reason

    def _describe_flow_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["FlowDefinitionName"]
        flow = self._flows.get(name)
        if flow is None:
            raise self._flow_not_found(name)
        if flow.status == "Initializing":
            flow.describes_until_settled -= 1
            if flow.describes_until_settled <= 0:
                self._settle(flow)
        elif flow.status == "Deleting":
            flow.describes_until_gone -= 1
            self._maybe_gone(flow)
            if name not in self._flows:
                raise self._flow_not_found(name)
        return {
            "FlowDefinitionArn": flow.arn,
            "FlowDefinitionName": flow.name,
            "FlowDefinitionStatus": flow.status,
            "CreationTime": flow.creation_time,
            "FailureReason": flow.failure_reason,
            **copy.deepcopy(flow.definition),
        }

    @staticmethod
    def _flow_not_found(name: str) -> _ServiceError:
        return _ServiceError(
            "ResourceNotFound", f"Could not find flow definition with name '{name}'."
        )

    def _maybe_gone(self, flow: _Flow) -> None:
        if flow.status != "Deleting" or flow.describes_until_gone > 0:
            return
        busy = any(
            loop.flow_definition_arn == flow.arn and loop.status in ("InProgress", "Stopping")
            for loop in self._loops.values()
        )
        if not busy and self._flows.get(flow.name) is flow:
            del self._flows[flow.name]

    def _delete_flow_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["FlowDefinitionName"]
        flow = self._flows.get(name)
        if flow is None:
            raise self._flow_not_found(name)
        if flow.status != "Deleting":
            flow.status = "Deleting"
            flow.describes_until_gone = self._lifecycle.delete_after
            self._maybe_gone(flow)
        return {}

    def _list_flow_definitions(self, params: dict[str, Any]) -> dict[str, Any]:
        flows = self._filtered(list(self._flows.values()), params)
        page, token = self._page(flows, params, "flow-definitions")
        return {
            "FlowDefinitionSummaries": [
                {
                    "FlowDefinitionName": flow.name,
                    "FlowDefinitionArn": flow.arn,
                    "FlowDefinitionStatus": flow.status,
                    "CreationTime": flow.creation_time,
                    "FailureReason": flow.failure_reason,
                }
                for flow in page
            ],
            "NextToken": token,
        }

    def _flow_for_tags(self, arn: str) -> _Flow:
        match = _ARN.fullmatch(arn)
        flow = (
            self._flows.get(match["name"]) if match and match["type"] == "flow-definition" else None
        )
        if flow is None or flow.arn != arn:
            # AddTags/DeleteTags/ListTags model no ResourceNotFound: SageMaker answers
            # an unknown resource with ValidationException.
            raise _validation(f"Resource {arn} does not exist or is not supported by the fake.")
        return flow

    def _add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        flow = self._flow_for_tags(params["ResourceArn"])
        self._check_tags(params["Tags"], "tags")
        merged = dict(flow.tags)
        merged.update({tag["Key"]: tag["Value"] for tag in params["Tags"]})
        if len(merged) > _MAX_TAGS:
            raise _validation(
                f"A resource can have at most {_MAX_TAGS} tags; this request would give "
                f"{params['ResourceArn']} {len(merged)}."
            )
        flow.tags = merged
        return {"Tags": copy.deepcopy(params["Tags"])}

    def _delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        flow = self._flow_for_tags(params["ResourceArn"])
        for key in params["TagKeys"]:
            flow.tags.pop(key, None)
        return {}

    def _list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        flow = self._flow_for_tags(params["ResourceArn"])
        tags = [{"Key": k, "Value": v} for k, v in flow.tags.items()]
        start = 0
        if params.get("NextToken"):
            start = int(self._decode_token(params["NextToken"], "tags")["offset"])
        size = params.get("MaxResults") or _DEFAULT_TAG_PAGE_SIZE
        page = tags[start : start + size]
        token = None
        if start + size < len(tags):
            token = self._encode_token({"kind": "tags", "offset": start + size})
        return {"Tags": page, "NextToken": token}

    # -- paging ---------------------------------------------------------------------------

    @staticmethod
    def _filtered(items: list[Any], params: Mapping[str, Any]) -> list[Any]:
        after = params.get("CreationTimeAfter")
        before = params.get("CreationTimeBefore")
        # "greater than or equal to" CreationTimeAfter, "before" CreationTimeBefore, as
        # the APIs document them.
        return [
            item
            for item in items
            if (after is None or item.creation_time >= after)
            and (before is None or item.creation_time < before)
        ]

    def _page(
        self, items: list[Any], params: Mapping[str, Any], kind: str
    ) -> tuple[list[Any], str | None]:
        """One page of ``items`` in creation order, with a stable NextToken.

        The token names the last item returned (its creation time and sequence), so
        items created or deleted between pages shift nothing.
        """
        order = params.get("SortOrder") or "Descending"
        descending = order == "Descending"
        ordered = sorted(items, key=lambda item: (item.creation_time, item.seq), reverse=descending)
        if params.get("NextToken"):
            token = self._decode_token(params["NextToken"], kind)
            if token.get("order") != order:
                raise _validation("The NextToken was issued for another SortOrder.")
            mark = (dt.datetime.fromisoformat(token["time"]), int(token["seq"]))
            ordered = [
                item
                for item in ordered
                if (
                    (item.creation_time, item.seq) < mark
                    if descending
                    else (item.creation_time, item.seq) > mark
                )
            ]
        size = params.get("MaxResults") or _DEFAULT_PAGE_SIZE
        page = ordered[:size]
        next_token = None
        if len(ordered) > size:
            last = page[-1]
            next_token = self._encode_token(
                {
                    "kind": kind,
                    "order": order,
                    "time": last.creation_time.isoformat(),
                    "seq": last.seq,
                }
            )
        return page, next_token

    @staticmethod
    def _encode_token(payload: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")

    @staticmethod
    def _decode_token(token: str, kind: str) -> dict[str, Any]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            payload = None
        if not isinstance(payload, dict) or payload.get("kind") != kind:
            raise _validation("The NextToken is not valid for this request.")
        return payload

    # -- A2I runtime: human loops -----------------------------------------------------------

    def _start_human_loop(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["HumanLoopName"]
        arn = params["FlowDefinitionArn"]
        match = _ARN.fullmatch(arn)
        flow = self._flows.get(match["name"]) if match else None
        if flow is None or flow.arn != arn:
            # StartHumanLoop models no ResourceNotFoundException (its errors are
            # Validation, Throttling, ServiceQuotaExceeded, InternalServer and
            # Conflict), so the service can only answer an unknown flow definition
            # with ValidationException.
            raise _validation(f"Flow definition {arn} does not exist.")
        if flow.status != "Active":
            raise _validation(
                f"Flow definition {arn} is not Active (its status is {flow.status}); "
                "human loops can only be started for Active flow definitions."
            )
        content = params["HumanLoopInput"]["InputContent"]
        try:
            json.loads(content)
        except ValueError:
            raise _validation("HumanLoopInput.InputContent must be a valid JSON string.") from None
        if name in self._loops:
            # Names are unique per account and Region, whatever the flow definition.
            raise _ServiceError(
                "ConflictException", f"A human loop with the name {name} already exists."
            )
        limit = self.limits.in_progress_human_loops
        in_progress = sum(loop.status == "InProgress" for loop in self._loops.values())
        if limit is not None and in_progress >= limit:
            raise _ServiceError(
                "ServiceQuotaExceededException",
                f"You have reached the limit of {limit} human loops in progress.",
            )
        loop = _Loop(
            name=name,
            arn=self._arn("human-loop", name),
            flow_definition_arn=flow.arn,
            flow_definition_name=flow.name,
            status="InProgress",
            creation_time=self._clock(),
            seq=self._next_seq(),
            input_content=content,
            data_attributes=copy.deepcopy(params.get("DataAttributes")),
        )
        self._loops[name] = loop
        return {"HumanLoopArn": loop.arn}

    def _loop(self, name: str) -> _Loop:
        loop = self._loops.get(name)
        if loop is None:
            raise _ServiceError("ResourceNotFoundException", f"Human loop {name} does not exist.")
        return loop

    def _describe_human_loop(self, params: dict[str, Any]) -> dict[str, Any]:
        loop = self._loop(params["HumanLoopName"])
        if loop.status == "Stopping":
            loop.describes_until_stopped -= 1
            if loop.describes_until_stopped <= 0:
                loop.status = "Stopped"
                self._loop_ended(loop)
        return {
            "CreationTime": loop.creation_time,
            "FailureReason": loop.failure_reason,
            "FailureCode": loop.failure_code,
            "HumanLoopStatus": loop.status,
            "HumanLoopName": loop.name,
            "HumanLoopArn": loop.arn,
            "FlowDefinitionArn": loop.flow_definition_arn,
            "HumanLoopOutput": (
                {"OutputS3Uri": loop.output_s3_uri} if loop.output_s3_uri is not None else None
            ),
        }

    def _list_human_loops(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["FlowDefinitionArn"]
        match = _ARN.fullmatch(arn)
        flow = self._flows.get(match["name"]) if match else None
        if flow is None or flow.arn != arn:
            raise _ServiceError(
                "ResourceNotFoundException", f"Flow definition {arn} does not exist."
            )
        loops = [loop for loop in self._loops.values() if loop.flow_definition_arn == arn]
        page, token = self._page(self._filtered(loops, params), params, f"human-loops:{arn}")
        return {
            "HumanLoopSummaries": [
                {
                    "HumanLoopName": loop.name,
                    "HumanLoopStatus": loop.status,
                    "CreationTime": loop.creation_time,
                    "FailureReason": loop.failure_reason,
                    "FlowDefinitionArn": loop.flow_definition_arn,
                }
                for loop in page
            ],
            "NextToken": token,
        }

    def _stop_human_loop(self, params: dict[str, Any]) -> dict[str, Any]:
        loop = self._loop(params["HumanLoopName"])
        if loop.status in ("Stopping", "Stopped"):
            return {}  # already stopping or stopped: nothing to do
        if loop.status != "InProgress":
            raise _validation(
                f"Human loop {loop.name} is {loop.status}; only an InProgress human loop can "
                "be stopped."
            )
        loop.describes_until_stopped = self._lifecycle.stop_after
        if loop.describes_until_stopped <= 0:
            loop.status = "Stopped"
            self._loop_ended(loop)
        else:
            loop.status = "Stopping"
        return {}

    def _delete_human_loop(self, params: dict[str, Any]) -> dict[str, Any]:
        loop = self._loop(params["HumanLoopName"])
        if loop.status not in _LOOP_DONE:
            raise _validation(
                f"Human loop {loop.name} is {loop.status}; only Failed, Completed or Stopped "
                "human loops can be deleted. Stop it first."
            )
        del self._loops[loop.name]
        return {}

    def _loop_ended(self, loop: _Loop) -> None:
        """Record the EventBridge event and let a Deleting flow definition go."""
        now = self._clock().astimezone(dt.UTC)
        self._events.append(
            {
                "version": "0",
                "id": str(uuid.UUID(int=self._next_seq())),
                "detail-type": "SageMaker A2I HumanLoop Status Change",
                "source": "aws.sagemaker",
                "account": self.account,
                "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.region,
                "resources": [loop.arn],
                "detail": {
                    "creationTime": loop.creation_time.astimezone(dt.UTC).strftime(
                        "%Y-%m-%dT%H:%M:%S."
                    )
                    + f"{loop.creation_time.microsecond // 1000:03d}Z",
                    "failureCode": loop.failure_code,
                    "failureReason": loop.failure_reason,
                    "flowDefinitionArn": loop.flow_definition_arn,
                    "humanLoopArn": loop.arn,
                    "humanLoopName": loop.name,
                    "humanLoopOutput": (
                        {"outputS3Uri": loop.output_s3_uri} if loop.output_s3_uri else None
                    ),
                    "humanLoopStatus": loop.status,
                },
            }
        )
        flow = self._flows.get(loop.flow_definition_name)
        if flow is not None:
            self._maybe_gone(flow)

    _operations: ClassVar[dict[str, Callable[[FakeA2I, dict[str, Any]], dict[str, Any]]]] = {
        "CreateFlowDefinition": _create_flow_definition,
        "DescribeFlowDefinition": _describe_flow_definition,
        "DeleteFlowDefinition": _delete_flow_definition,
        "ListFlowDefinitions": _list_flow_definitions,
        "AddTags": _add_tags,
        "DeleteTags": _delete_tags,
        "ListTags": _list_tags,
        "StartHumanLoop": _start_human_loop,
        "DescribeHumanLoop": _describe_human_loop,
        "ListHumanLoops": _list_human_loops,
        "StopHumanLoop": _stop_human_loop,
        "DeleteHumanLoop": _delete_human_loop,
    }
