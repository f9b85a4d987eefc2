"""FakeA2I: the facade that composes the fake's state, operations, faults and server.

The parts live beside it: ``_state`` (records and the store), ``_sagemaker`` and
``_runtime`` (the operations), ``_paging``, ``_faults``, ``_errors``, ``_dispatch`` (HTTP
request to operation), ``_protocol`` (wire formats), ``_validation`` (model constraints),
``_clients`` (boto3 clients) and ``_server``. This module holds only what a test calls.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from botocore.config import Config

from constructs_a2i.testing import _runtime
from constructs_a2i.testing._clients import check_service, client_for, environ_for
from constructs_a2i.testing._dispatch import OPERATIONS, Dispatcher
from constructs_a2i.testing._faults import FaultInjector, Faults
from constructs_a2i.testing._server import BackgroundServer, Server
from constructs_a2i.testing._state import (
    Call,
    FakeFlowDefinition,
    FakeHumanLoop,
    Limits,
    Store,
    partition_of,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = ["FakeA2I"]


def _at_least_zero(describes: int) -> int:
    if describes < 0:
        raise ValueError("describes must be >= 0")
    return describes


class FakeA2I(BackgroundServer):
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
    errors. A human loop name in use answers ConflictException, except for a repeat of the
    same request (flow definition, input, data attributes) while that loop is InProgress,
    which answers its ARN and starts nothing: the API reference's ConflictException is "the
    same name ... but different input data". Flow definitions and human loops follow the real
    lifecycles, which tests
    drive with :meth:`activate_after`, :meth:`fail_flow_definitions`,
    :meth:`delete_after`, :meth:`stop_after`, :meth:`complete_human_loop`,
    :meth:`stop_human_loop` and :meth:`fail_human_loop` (completing and stopping can write the
    loop's ``output.json`` to S3 through a client the test passes). Faults are injected with
    :attr:`faults`, :meth:`fail_next` and :meth:`reject_new_roles`.

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
        self._store = Store(region=region, account=account, partition=partition_of(region))
        if clock is not None:
            self._store.clock = clock
        self._injector = FaultInjector(seed)
        self._host = host
        self._port = port
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- configuration: kept on the store and the injector, where requests read it ----------

    @property
    def region(self) -> str:
        """The Region in every ARN the fake makes."""
        return self._store.region

    @region.setter
    def region(self, value: str) -> None:
        self._store.region = value

    @property
    def account(self) -> str:
        """The account ID in every ARN the fake makes."""
        return self._store.account

    @account.setter
    def account(self, value: str) -> None:
        self._store.account = value

    @property
    def partition(self) -> str:
        """The ARN partition of :attr:`region`."""
        return self._store.partition

    @partition.setter
    def partition(self, value: str) -> None:
        self._store.partition = value

    @property
    def faults(self) -> Faults:
        """Random faults; set its attributes at any time."""
        return self._injector.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._injector.faults = value

    @property
    def limits(self) -> Limits:
        """Account quotas; set its attributes at any time."""
        return self._store.limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self._store.limits = value

    # -- server lifecycle ---------------------------------------------------------------

    def _make_server(self) -> Server:
        return Server((self._host, self._port), Dispatcher(self._store, self._injector))

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
        check_service(service_name)  # before endpoint_url, which fails if not started
        return client_for(
            service_name,
            endpoint_url=self.endpoint_url,
            region=self.region,
            max_attempts=max_attempts,
            config=config,
        )

    def environ(self) -> dict[str, str]:
        """Environment variables that point boto3 clients made elsewhere at this fake.

        ``AWS_ENDPOINT_URL_<SERVICE ID>`` is botocore's service-specific endpoint
        variable (the service ID upper-cased, spaces as underscores: ``SageMaker`` and
        ``SageMaker A2I Runtime``), with dummy credentials and the fake's Region. Use it
        with ``monkeypatch.setenv`` so code under test that builds its own clients
        reaches the fake.
        """
        return environ_for(self.endpoint_url, self.region)

    # -- inspection ---------------------------------------------------------------------

    @property
    def flow_definitions(self) -> dict[str, FakeFlowDefinition]:
        """Snapshots of the flow definitions that exist (Deleting ones included), by name."""
        with self._store.lock:
            return {name: flow.snapshot() for name, flow in self._store.flows.items()}

    @property
    def human_loops(self) -> dict[str, FakeHumanLoop]:
        """Snapshots of the human loops that exist (not deleted), by name."""
        with self._store.lock:
            return {name: loop.snapshot() for name, loop in self._store.loops.items()}

    @property
    def calls(self) -> list[Call]:
        """Every request received so far, faulted and failed ones included."""
        with self._store.lock:
            return list(self._store.calls)

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
        with self._store.lock:
            return copy.deepcopy(self._store.events)

    def reset(self) -> None:
        """Forget all state, calls, events, faults, limits and lifecycle settings."""
        with self._store.lock:
            self._store.clear()
            self._injector.reset()

    # -- lifecycle and fault controls -----------------------------------------------------

    def activate_after(self, describes: int) -> None:
        """New flow definitions settle (Active, or Failed) on their ``describes``-th Describe.

        Default 1: the first DescribeFlowDefinition already reports Active (ListFlowDefinitions
        shows Initializing before it). 0 makes them Active at once.
        """
        with self._store.lock:
            self._store.lifecycle.activate_after = _at_least_zero(describes)

    def fail_flow_definitions(self, reason: str | None = "Failed to validate the task UI") -> None:
        """Flow definitions that settle from now on become Failed with ``reason``.

        Pass None to let them become Active again.
        """
        with self._store.lock:
            self._store.lifecycle.failure_reason = reason

    def delete_after(self, describes: int) -> None:
        """Deleted flow definitions are gone on their ``describes``-th Describe (default 1).

        Until then they report Deleting. 0 removes them at once. A flow definition
        with human loops still InProgress or Stopping stays Deleting until they end,
        as the real one does until its tasks finish or expire.
        """
        with self._store.lock:
            self._store.lifecycle.delete_after = _at_least_zero(describes)

    def stop_after(self, describes: int) -> None:
        """Stopped human loops report Stopping until their ``describes``-th Describe.

        Default 0: StopHumanLoop leaves them Stopped at once.
        """
        with self._store.lock:
            self._store.lifecycle.stop_after = _at_least_zero(describes)

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
        if operation not in OPERATIONS:
            raise ValueError(f"the fake does not serve {operation}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._store.lock:
            self._injector.script(operation, error_code, times=times, message=message)

    def reject_new_roles(self, times: int = 1, *, message: str | None = None) -> None:
        """Simulate IAM propagation: the next ``times`` CreateFlowDefinition calls fail.

        They fail with ValidationException, as SageMaker answers when it cannot yet
        assume a role created seconds before, after the request is otherwise valid
        (nothing is created).
        """
        if times < 0:
            raise ValueError("times must be >= 0")
        with self._store.lock:
            self._store.lifecycle.role_rejections = times
            self._store.lifecycle.role_message = message

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
        for _ in range(self._store.lifecycle.activate_after + 1):
            described = sagemaker.describe_flow_definition(FlowDefinitionName=name)
            status = described["FlowDefinitionStatus"]
            if status == "Active":
                return arn
            if status == "Failed":
                raise RuntimeError(
                    f"flow definition {name} failed: {described.get('FailureReason')}"
                )
        raise RuntimeError(f"flow definition {name} is still {status}")

    def complete_human_loop(
        self,
        name: str,
        *,
        output_s3_uri: str | None = None,
        answers: Sequence[dict[str, Any]] | None = None,
        s3: Any = None,
    ) -> FakeHumanLoop:
        """Mark an InProgress human loop Completed, as if its workers had answered.

        The default ``output_s3_uri`` is where A2I writes the output:
        ``<S3OutputPath>/<flow name>/YYYY/MM/DD/hh/mm/ss/<loop name>/output.json``.
        With ``s3`` (a boto3 S3 client, moto's in tests), the fake writes the ``output.json``
        A2I writes for a custom task there, holding ``answers`` (the ``humanAnswers``, default
        none); without it, nothing is written and the test writes what it needs.
        """
        if answers is not None and s3 is None:
            raise ValueError("answers are written to S3: pass s3 (a boto3 S3 client) too")
        with self._store.lock:
            loop = _runtime.complete_loop(self._store, name, output_s3_uri)
            document = _runtime.output_document(loop, answers or [])
            snapshot = loop.snapshot()
        if s3 is not None and snapshot.output_s3_uri is not None:
            _runtime.write_output(s3, snapshot.output_s3_uri, document)
        return snapshot

    def stop_human_loop(
        self,
        name: str,
        *,
        answers: Sequence[dict[str, Any]] | None = None,
        s3: Any = None,
        output_s3_uri: str | None = None,
    ) -> FakeHumanLoop:
        """Mark an InProgress (or Stopping) human loop Stopped, as StopHumanLoop ends it.

        Without ``answers`` it has no output, as when no worker had started its tasks (what
        StopHumanLoop itself leaves). With ``answers``, workers had started them: tasks already
        in progress when a loop is stopped go on, and their results are stored in S3 ("Delete
        a Human Loop" in the SageMaker Developer Guide). The loop then has an output location
        like a Completed one (``output_s3_uri``, default where A2I writes), in its
        DescribeHumanLoop and its event, and with ``s3`` the fake writes the ``output.json``
        holding ``answers`` there (see :meth:`complete_human_loop`).
        """
        if s3 is not None and answers is None:
            raise ValueError("a loop stopped without answers has no output to write")
        with self._store.lock:
            loop = _runtime.stop_loop(
                self._store, name, with_output=answers is not None, output_s3_uri=output_s3_uri
            )
            document = _runtime.output_document(loop, answers or [])
            snapshot = loop.snapshot()
        if s3 is not None and snapshot.output_s3_uri is not None:
            _runtime.write_output(s3, snapshot.output_s3_uri, document)
        return snapshot

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
        with self._store.lock:
            return _runtime.fail_loop(self._store, name, failure_code, reason).snapshot()
