"""The A2I runtime's human-loop operations, and the human-loop lifecycle.

StartHumanLoop answers ConflictException for a name in use with different input (another flow
definition, other InputContent or DataAttributes, or a loop that has ended); the same request
repeated while its loop is InProgress answers that loop's ARN and starts nothing.

A human loop starts InProgress on an Active flow definition; StopHumanLoop makes it
Stopping (for ``stop_after`` Describes) then Stopped, without output; the facade's test
controls make it Completed or Failed as workers or expiry would, or Stopped with output: tasks
workers had already started when the loop was stopped go on, and their results are stored in S3
("Delete a Human Loop", https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html).
A loop with output has an ``OutputS3Uri`` where A2I writes it, and :func:`output_document` is the
``output.json`` A2I writes there for a custom task ("Amazon A2I Output Data");
:func:`write_output` puts it in S3 through the test's client. Every end records the EventBridge
event A2I sends and may let a Deleting flow definition go.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from constructs_a2i.testing._errors import ServiceError, validation_error
from constructs_a2i.testing._paging import filter_by_creation_time, page
from constructs_a2i.testing._sagemaker import release_if_deleted
from constructs_a2i.testing._state import LoopRecord, Operation, Store

__all__ = [
    "A2I_RUNTIME_OPERATIONS",
    "FAILURE_CODES",
    "OPERATIONS",
    "complete_loop",
    "fail_loop",
    "output_document",
    "stop_loop",
    "write_output",
]

FAILURE_CODES = ("ValidationError", "Expired", "InternalError")
"""The FailureCode values A2I reports for a Failed human loop."""
_DEFAULT_FAILURE_REASONS = {
    "Expired": "The human loop expired before all of its tasks were completed.",
    "ValidationError": "The human loop input failed validation.",
    "InternalError": "An internal error occurred.",
}
_LOOP_DONE = frozenset({"Completed", "Failed", "Stopped"})


# -- operations ---------------------------------------------------------------------------


def start_human_loop(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    name = params["HumanLoopName"]
    arn = params["FlowDefinitionArn"]
    flow = store.flow_by_arn(arn)
    if flow is None:
        # StartHumanLoop models no ResourceNotFoundException (its errors are
        # Validation, Throttling, ServiceQuotaExceeded, InternalServer and
        # Conflict), so the service can only answer an unknown flow definition
        # with ValidationException.
        raise validation_error(f"Flow definition {arn} does not exist.")
    if flow.status != "Active":
        raise validation_error(
            f"Flow definition {arn} is not Active (its status is {flow.status}); "
            "human loops can only be started for Active flow definitions."
        )
    content = params["HumanLoopInput"]["InputContent"]
    try:
        json.loads(content)
    except ValueError:
        raise validation_error("HumanLoopInput.InputContent must be a valid JSON string.") from None
    existing = store.loops.get(name)
    if existing is not None:
        # Names are unique per account and Region, whatever the flow definition. The API
        # reference defines ConflictException as "the same name as another active human loop
        # but ... different input data"; so a repeat with the same input, for the same flow
        # definition, while that loop is still InProgress, is not a conflict: it answers the
        # existing loop's ARN and starts nothing (as Step Functions documents StartExecution).
        # That reading is inferred from the documentation; A2I publishes no example of it.
        if (
            existing.status == "InProgress"
            and existing.flow_definition_arn == flow.arn
            and existing.input_content == content
            and existing.data_attributes == params.get("DataAttributes")
        ):
            return {"HumanLoopArn": existing.arn}
        raise ServiceError(
            "ConflictException",
            f"A human loop with the name {name} already exists"
            + (
                " with different input data."
                if existing.status == "InProgress"
                else f" ({existing.status}); delete it before reusing its name."
            ),
        )
    limit = store.limits.in_progress_human_loops
    in_progress = sum(loop.status == "InProgress" for loop in store.loops.values())
    if limit is not None and in_progress >= limit:
        raise ServiceError(
            "ServiceQuotaExceededException",
            f"You have reached the limit of {limit} human loops in progress.",
        )
    loop = LoopRecord(
        name=name,
        arn=store.arn("human-loop", name),
        flow_definition_arn=flow.arn,
        flow_definition_name=flow.name,
        status="InProgress",
        creation_time=store.now(),
        seq=store.next_seq(),
        input_content=content,
        data_attributes=copy.deepcopy(params.get("DataAttributes")),
    )
    store.loops[name] = loop
    return {"HumanLoopArn": loop.arn}


def _loop(store: Store, name: str) -> LoopRecord:
    loop = store.loops.get(name)
    if loop is None:
        raise ServiceError("ResourceNotFoundException", f"Human loop {name} does not exist.")
    return loop


def describe_human_loop(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    loop = _loop(store, params["HumanLoopName"])
    if loop.status == "Stopping":
        loop.describes_until_stopped -= 1
        if loop.describes_until_stopped <= 0:
            loop.status = "Stopped"
            _loop_ended(store, loop)
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


def list_human_loops(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["FlowDefinitionArn"]
    if store.flow_by_arn(arn) is None:
        raise ServiceError("ResourceNotFoundException", f"Flow definition {arn} does not exist.")
    loops = [loop for loop in store.loops.values() if loop.flow_definition_arn == arn]
    # The token's kind names the flow definition: a token is no good for another one.
    chosen, token = page(filter_by_creation_time(loops, params), params, f"human-loops:{arn}")
    return {
        "HumanLoopSummaries": [
            {
                "HumanLoopName": loop.name,
                "HumanLoopStatus": loop.status,
                "CreationTime": loop.creation_time,
                "FailureReason": loop.failure_reason,
                "FlowDefinitionArn": loop.flow_definition_arn,
            }
            for loop in chosen
        ],
        "NextToken": token,
    }


def stop_human_loop(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    loop = _loop(store, params["HumanLoopName"])
    if loop.status in ("Stopping", "Stopped"):
        return {}  # already stopping or stopped: nothing to do
    if loop.status != "InProgress":
        raise validation_error(
            f"Human loop {loop.name} is {loop.status}; only an InProgress human loop can "
            "be stopped."
        )
    loop.describes_until_stopped = store.lifecycle.stop_after
    if loop.describes_until_stopped <= 0:
        loop.status = "Stopped"
        _loop_ended(store, loop)
    else:
        loop.status = "Stopping"
    return {}


def delete_human_loop(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    loop = _loop(store, params["HumanLoopName"])
    if loop.status not in _LOOP_DONE:
        raise validation_error(
            f"Human loop {loop.name} is {loop.status}; only Failed, Completed or Stopped "
            "human loops can be deleted. Stop it first."
        )
    del store.loops[loop.name]
    return {}


OPERATIONS: dict[str, Operation] = {
    "StartHumanLoop": start_human_loop,
    "DescribeHumanLoop": describe_human_loop,
    "ListHumanLoops": list_human_loops,
    "StopHumanLoop": stop_human_loop,
    "DeleteHumanLoop": delete_human_loop,
}
"""The A2I runtime operations the fake serves, by name."""

A2I_RUNTIME_OPERATIONS = frozenset(OPERATIONS)
"""The A2I runtime operations the fake serves (all of them)."""


# -- what workers and expiry do (the facade's test controls) --------------------------------


def _default_output_uri(store: Store, loop: LoopRecord) -> str:
    """Where A2I writes: ``<S3OutputPath>/<flow>/YYYY/MM/DD/hh/mm/ss/<loop>/output.json``."""
    flow = store.flows.get(loop.flow_definition_name)
    output_path = (
        flow.definition["OutputConfig"]["S3OutputPath"]
        if flow is not None
        else f"s3://fake-a2i-output-{store.account}"
    )
    stamp = loop.creation_time.astimezone(dt.UTC).strftime("%Y/%m/%d/%H/%M/%S")
    return f"{output_path.rstrip('/')}/{loop.flow_definition_name}/{stamp}/{loop.name}/output.json"


def complete_loop(store: Store, name: str, output_s3_uri: str | None) -> LoopRecord:
    """Mark an InProgress human loop Completed; the default URI is where A2I writes."""
    loop = _loop_for_control(store, name, ("InProgress",))
    loop.status = "Completed"
    loop.output_s3_uri = output_s3_uri or _default_output_uri(store, loop)
    _loop_ended(store, loop)
    return loop


def stop_loop(
    store: Store, name: str, *, with_output: bool, output_s3_uri: str | None
) -> LoopRecord:
    """Mark an InProgress or Stopping human loop Stopped; ``with_output``: workers had started
    its tasks and submitted them, so it has an output location (default: where A2I writes)."""
    loop = _loop_for_control(store, name, ("InProgress", "Stopping"))
    loop.status = "Stopped"
    loop.output_s3_uri = (
        (output_s3_uri or _default_output_uri(store, loop)) if with_output else None
    )
    _loop_ended(store, loop)
    return loop


def output_document(loop: LoopRecord, answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``output.json`` A2I writes for a custom task: ``flowDefinitionArn``,
    ``humanAnswers``, ``humanLoopName`` and ``inputContent`` (the loop's input, parsed)."""
    return {
        "flowDefinitionArn": loop.flow_definition_arn,
        "humanAnswers": copy.deepcopy(list(answers)),
        "humanLoopName": loop.name,
        "inputContent": json.loads(loop.input_content),
    }


def write_output(s3: Any, uri: str, document: dict[str, Any]) -> None:
    """Put ``document`` at ``uri`` (``s3://bucket/key``) with the test's S3 client."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an S3 object URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode("utf-8"))


def fail_loop(store: Store, name: str, failure_code: str, reason: str | None) -> LoopRecord:
    """Mark an InProgress or Stopping human loop Failed with ``failure_code``."""
    if failure_code not in FAILURE_CODES:
        raise ValueError(f"failure_code must be one of {FAILURE_CODES}; got {failure_code!r}")
    loop = _loop_for_control(store, name, ("InProgress", "Stopping"))
    loop.status = "Failed"
    loop.failure_code = failure_code
    loop.failure_reason = reason or _DEFAULT_FAILURE_REASONS[failure_code]
    _loop_ended(store, loop)
    return loop


def _loop_for_control(store: Store, name: str, statuses: Sequence[str]) -> LoopRecord:
    # A test's mistake, not a service error: plain Python exceptions.
    loop = store.loops.get(name)
    if loop is None:
        raise KeyError(f"no human loop named {name!r}")
    if loop.status not in statuses:
        raise ValueError(f"human loop {name!r} is {loop.status}, not {' or '.join(statuses)}")
    return loop


def _loop_ended(store: Store, loop: LoopRecord) -> None:
    """Record the EventBridge event and let a Deleting flow definition go."""
    store.events.append(_status_change_event(store, loop))
    flow = store.flows.get(loop.flow_definition_name)
    if flow is not None:
        release_if_deleted(store, flow)


def _status_change_event(store: Store, loop: LoopRecord) -> dict[str, Any]:
    """``SageMaker A2I HumanLoop Status Change``, as EventBridge delivers it."""
    now = store.now().astimezone(dt.UTC)
    created = loop.creation_time.astimezone(dt.UTC)
    return {
        "version": "0",
        "id": str(uuid.UUID(int=store.next_seq())),
        "detail-type": "SageMaker A2I HumanLoop Status Change",
        "source": "aws.sagemaker",
        "account": store.account,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": store.region,
        "resources": [loop.arn],
        "detail": {
            # Milliseconds, as A2I writes them; the envelope's "time" has seconds only.
            "creationTime": created.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{loop.creation_time.microsecond // 1000:03d}Z",
            "failureCode": loop.failure_code,
            "failureReason": loop.failure_reason,
            "flowDefinitionArn": loop.flow_definition_arn,
            "humanLoopArn": loop.arn,
            "humanLoopName": loop.name,
            "humanLoopOutput": {"outputS3Uri": loop.output_s3_uri} if loop.output_s3_uri else None,
            "humanLoopStatus": loop.status,
        },
    }
