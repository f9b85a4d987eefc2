"""Create, update and delete Amazon A2I flow definitions for CloudFormation.

CloudFormation has no flow-definition resource type, so ``Custom::A2IFlowDefinition``
resources are served by this module under the CDK ``custom_resources.Provider``
framework: ``index.on_event`` handles each lifecycle event and ``index.is_complete`` is
polled by the framework's waiter until the flow definition is Active.

Resource properties (all values arrive as strings: CloudFormation stringifies numbers
and booleans):

``FlowDefinitionName`` *or* ``FlowDefinitionNamePrefix``
    A fixed name, or a prefix (at most 54 characters) to which each create or
    replacement appends ``-`` and 8 hex characters of SHA-256(RequestId).
``Definition``
    The CreateFlowDefinition members other than FlowDefinitionName and Tags. Numbers and
    booleans are converted back by walking botocore's model of the request.
``Tags``
    Optional list of ``{"Key": ..., "Value": ...}``; changed in place on update.
``RemovalPolicy``
    ``retain`` keeps the flow definition on delete; anything else deletes it.

The physical resource id is the flow definition's ARN; the attributes (``Data``) are
``FlowDefinitionArn`` and ``FlowDefinitionName``. SageMaker has no update API, so every
change but tags (and RemovalPolicy, which only this handler reads) creates a new flow
definition; CloudFormation then deletes the old one.

Each action writes one JSON log line to stdout. Only the standard library, boto3 and
botocore are used: this file runs alone in Lambda.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from constructs_a2i.core.arns import flow_definition_name
from constructs_a2i.core.json_log import log
from constructs_a2i.core.retry import is_transient

__all__ = [
    "IAM_RETRY_BUDGET_SECONDS",
    "FlowDefinitionError",
    "is_complete",
    "on_event",
]

IAM_RETRY_BUDGET_SECONDS = 120.0
"""How long Create keeps retrying while SageMaker cannot yet assume a brand-new role."""
IAM_RETRY_SAFETY_MARGIN_SECONDS = 15.0
"""Time left unused before the Lambda timeout, to answer the framework."""
IAM_RETRY_BASE_DELAY_SECONDS = 2.0
IAM_RETRY_MAX_DELAY_SECONDS = 20.0
MAX_MESSAGE_LENGTH = 1000
"""Error messages are cut to this length (CloudFormation's response is limited to 4 KiB)."""
DEFAULT_MAX_ATTEMPTS = 5
"""Total attempts per AWS call in botocore's standard retry mode (AWS_MAX_ATTEMPTS overrides)."""

# Injectable for tests: the clock, the sleep and the jitter of the IAM retry loop.
_sleep: Callable[[float], None] = time.sleep
_monotonic: Callable[[], float] = time.monotonic
_random = random.Random()

_clients: dict[str, Any] = {}

# SageMaker's answer while it cannot (yet) assume a role, e.g. "Could not assume role
# arn:...:role/x. Please ensure that the role exists and allows principal
# 'sagemaker.amazonaws.com' to assume the role."
_ROLE_NOT_ASSUMABLE = re.compile(
    r"(could\s*not|cannot|can't|unable\s+to|not\s+able\s+to|failed\s+to)\b[^.]{0,60}\bassume"
    r"|\bassume\s*role\b|sts:AssumeRole",
    re.IGNORECASE,
)
# Properties that do not shape the flow definition itself.
_NOT_DEFINITION = frozenset({"ServiceToken", "Tags", "RemovalPolicy"})
_TAG_BATCH = 50


class FlowDefinitionError(Exception):
    """A failure reported to CloudFormation; the message says what to do."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 3] + "..."
        super().__init__(message)


# -- plumbing ----------------------------------------------------------------------------


def _sagemaker() -> Any:
    """The SageMaker client, created on first use (tests point it elsewhere via env)."""
    client = _clients.get("sagemaker")
    if client is None:
        max_attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
        client = boto3.client(
            "sagemaker",
            config=Config(
                retries={"mode": "standard", "total_max_attempts": max_attempts},
                user_agent_extra="constructs-a2i/flow-definition-provider",
            ),
        )
        _clients["sagemaker"] = client
    return client


def _log(level: str, message: str, event: Mapping[str, Any], **fields: Any) -> None:
    log(
        level,
        message,
        requestType=event.get("RequestType"),
        requestId=event.get("RequestId"),
        logicalResourceId=event.get("LogicalResourceId"),
        **fields,
    )
    sys.stdout.flush()


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def _name_from_arn(physical_id: Any) -> str | None:
    return flow_definition_name(physical_id)


def _data(arn: str, name: str) -> dict[str, str]:
    return {"FlowDefinitionArn": arn, "FlowDefinitionName": name}


# -- properties --------------------------------------------------------------------------


def _flow_name(props: Mapping[str, Any], request_id: str) -> str:
    name = props.get("FlowDefinitionName")
    prefix = props.get("FlowDefinitionNamePrefix")
    if name and prefix:
        raise FlowDefinitionError("Set FlowDefinitionName or FlowDefinitionNamePrefix, not both.")
    if name:
        return str(name)
    if not prefix:
        raise FlowDefinitionError("FlowDefinitionName or FlowDefinitionNamePrefix is required.")
    digest = hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{digest}"


def _coerce(shape: Any, value: Any, path: str) -> Any:
    """``value`` with CloudFormation's strings turned back into ``shape``'s types."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {
            key: _coerce(shape.members[key], item, f"{path}.{key}")
            if key in shape.members
            else item  # unknown: left for botocore to reject by name
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, Mapping):
        return {key: _coerce(shape.value, item, f"{path}.{key}") for key, item in value.items()}
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise FlowDefinitionError(f"{path} must be a whole number; got {value!r}.") from None
    if kind in ("float", "double") and isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise FlowDefinitionError(f"{path} must be a number; got {value!r}.") from None
    if kind == "boolean" and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise FlowDefinitionError(f"{path} must be true or false; got {value!r}.")
        return lowered == "true"
    if kind == "string" and isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))  # e.g. activation conditions as JSON
    if kind == "string" and isinstance(value, bool | int | float):
        return json.dumps(value)
    return value


def _create_request(props: Mapping[str, Any], name: str) -> dict[str, Any]:
    definition = props.get("Definition")
    if not isinstance(definition, Mapping):
        raise FlowDefinitionError("The Definition property (an object) is required.")
    shape = _sagemaker().meta.service_model.operation_model("CreateFlowDefinition").input_shape
    request: dict[str, Any] = _coerce(shape, dict(definition), "Definition")
    for reserved in ("FlowDefinitionName", "Tags"):
        request.pop(reserved, None)
    request["FlowDefinitionName"] = name
    tags = _tag_list(props)
    if tags:
        request["Tags"] = tags
    return request


def _tag_list(props: Mapping[str, Any]) -> list[dict[str, str]]:
    tags = props.get("Tags") or []
    if not isinstance(tags, list):
        raise FlowDefinitionError("Tags must be a list of {Key, Value} objects.")
    return [{"Key": str(tag["Key"]), "Value": str(tag.get("Value", ""))} for tag in tags]


def _tag_map(props: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in _tag_list(props)}


def _definition_identity(props: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in props.items() if k not in _NOT_DEFINITION}, sort_keys=True, default=str
    )


def _update_kind(event: Mapping[str, Any]) -> str:
    """``replace``, ``tags`` (in place) or ``none`` for an Update event."""
    old = event.get("OldResourceProperties") or {}
    new = event.get("ResourceProperties") or {}
    if _definition_identity(old) != _definition_identity(new):
        return "replace"
    if _tag_map(old) != _tag_map(new):
        return "tags"
    return "none"


def _changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changed: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key in _NOT_DEFINITION and not path:
                continue
            changed += _changed_paths(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return changed
    return [] if old == new else [path]


# -- actions -------------------------------------------------------------------------------


def _remaining_seconds(context: Any) -> float | None:
    get_remaining = getattr(context, "get_remaining_time_in_millis", None)
    if get_remaining is None:
        return None
    return float(get_remaining()) / 1000.0


def _is_role_not_assumable(error: ClientError) -> bool:
    return _error_code(error) == "ValidationException" and bool(
        _ROLE_NOT_ASSUMABLE.search(_error_message(error))
    )


def _create_flow_definition(request: dict[str, Any], context: Any, event: Mapping[str, Any]) -> str:
    """CreateFlowDefinition, retried while SageMaker cannot yet assume a brand-new role.

    IAM is eventually consistent: a role created in the same deployment can be
    unknown to SageMaker for some seconds, and CreateFlowDefinition then answers
    ValidationException "Could not assume role ...". That is retried with exponential
    backoff and jitter for IAM_RETRY_BUDGET_SECONDS at most, and never past the Lambda
    timeout less a safety margin. Any other error fails at once.
    """
    budget = IAM_RETRY_BUDGET_SECONDS
    remaining = _remaining_seconds(context)
    if remaining is not None:
        budget = min(budget, remaining - IAM_RETRY_SAFETY_MARGIN_SECONDS)
    start = _monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            response = _sagemaker().create_flow_definition(**request)
            return str(response["FlowDefinitionArn"])
        except ClientError as error:
            if not _is_role_not_assumable(error):
                raise
            elapsed = _monotonic() - start
            ceiling = min(
                IAM_RETRY_MAX_DELAY_SECONDS, IAM_RETRY_BASE_DELAY_SECONDS * 2 ** (attempt - 1)
            )
            delay = ceiling / 2 + _random.uniform(0, ceiling / 2)  # "equal jitter"
            if elapsed + delay > budget:
                raise FlowDefinitionError(
                    f"SageMaker could not assume the role {request.get('RoleArn')} after "
                    f"{attempt} attempts over {elapsed:.0f} s: {_error_message(error)} Check "
                    "that the role exists and that its trust policy allows "
                    "sagemaker.amazonaws.com to assume it."
                ) from error
            _log(
                "WARN",
                "role not assumable yet; retrying",
                event,
                action="create-retry",
                flowDefinitionName=request["FlowDefinitionName"],
                attempt=attempt,
                delaySeconds=round(delay, 3),
            )
            _sleep(delay)


def _create(event: Mapping[str, Any], context: Any, action: str = "create") -> dict[str, Any]:
    props = event.get("ResourceProperties") or {}
    name = _flow_name(props, str(event["RequestId"]))
    fixed = bool(props.get("FlowDefinitionName"))
    request = _create_request(props, name)
    try:
        arn = _create_flow_definition(request, context, event)
        outcome = "created"
    except ClientError as error:
        code = _error_code(error)
        if code == "ResourceInUse" and fixed:
            raise FlowDefinitionError(
                f"A flow definition named '{name}' already exists in this account and Region "
                "(names are unique per account and Region). Choose another "
                "flow_definition_name, or remove flow_definition_name to let the library "
                "generate a unique name."
            ) from error
        if code == "ResourceInUse":
            # A generated name embeds this request's id: the flow definition is ours, from
            # an earlier attempt at this same request (e.g. a retried invocation).
            arn = str(
                _sagemaker().describe_flow_definition(FlowDefinitionName=name)["FlowDefinitionArn"]
            )
            outcome = "adopted"
        else:
            raise FlowDefinitionError(
                f"CreateFlowDefinition failed for '{name}': {code}: {_error_message(error)}"
            ) from error
    _log(
        "INFO",
        f"flow definition {outcome}",
        event,
        action=action,
        flowDefinitionName=name,
        flowDefinitionArn=arn,
        outcome=outcome,
    )
    return {"PhysicalResourceId": arn, "Data": _data(arn, name)}


def _update_tags(arn: str, event: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    old = _tag_map(event.get("OldResourceProperties") or {})
    new = _tag_map(event.get("ResourceProperties") or {})
    removed = sorted(set(old) - set(new))
    changed = [{"Key": k, "Value": v} for k, v in new.items() if old.get(k) != v]
    client = _sagemaker()
    # Delete first: adding first could pass the 50-tag limit for a moment.
    for i in range(0, len(removed), _TAG_BATCH):
        client.delete_tags(ResourceArn=arn, TagKeys=removed[i : i + _TAG_BATCH])
    for i in range(0, len(changed), _TAG_BATCH):
        client.add_tags(ResourceArn=arn, Tags=changed[i : i + _TAG_BATCH])
    return removed, [tag["Key"] for tag in changed]


def _update(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    old = event.get("OldResourceProperties") or {}
    new = event.get("ResourceProperties") or {}
    physical_id = str(event.get("PhysicalResourceId") or "")
    kind = _update_kind(event)
    if kind == "replace":
        fixed = new.get("FlowDefinitionName")
        if fixed and fixed == old.get("FlowDefinitionName"):
            changed = ", ".join(_changed_paths(old, new)) or "the definition"
            raise FlowDefinitionError(
                f"Cannot update flow definition '{fixed}': SageMaker has no update API, so the "
                f"change to {changed} needs a new flow definition, and the new one cannot "
                f"have the fixed name '{fixed}' while the old one exists. Change "
                "flow_definition_name to a new name, or remove it so the library generates "
                "names."
            )
        return _create(event, context, action="replace")
    name = _name_from_arn(physical_id)
    if name is None:
        raise FlowDefinitionError(
            f"The physical resource id {physical_id!r} is not a flow definition ARN."
        )
    if kind == "tags":
        try:
            removed, added = _update_tags(physical_id, event)
        except ClientError as error:
            raise FlowDefinitionError(
                f"Updating the tags of '{name}' failed: {_error_code(error)}: "
                f"{_error_message(error)}"
            ) from error
        _log(
            "INFO",
            "flow definition tags updated",
            event,
            action="update-tags",
            flowDefinitionName=name,
            removedTagKeys=removed,
            addedTagKeys=added,
        )
    else:
        _log("INFO", "nothing to update", event, action="update-none", flowDefinitionName=name)
    return {"PhysicalResourceId": physical_id, "Data": _data(physical_id, name)}


def _delete(event: Mapping[str, Any]) -> dict[str, Any]:
    props = event.get("ResourceProperties") or {}
    physical_id = event.get("PhysicalResourceId")
    result: dict[str, Any] = {"PhysicalResourceId": physical_id} if physical_id else {}
    name = _name_from_arn(physical_id)
    if str(props.get("RemovalPolicy", "")).lower() == "retain":
        _log(
            "INFO",
            "flow definition retained",
            event,
            action="delete-retain",
            physicalResourceId=physical_id,
        )
        return result
    if name is None:
        # A create that never succeeded: the framework's marker, a request id or nothing.
        _log(
            "INFO", "nothing to delete", event, action="delete-skip", physicalResourceId=physical_id
        )
        return result
    client = _sagemaker()
    outcome = "deleting"
    try:
        client.delete_flow_definition(FlowDefinitionName=name)
    except ClientError as error:
        code = _error_code(error)
        if code == "ResourceNotFound":
            outcome = "already-gone"
        elif code == "ResourceInUse" and _status(name) in ("Deleting", None):
            outcome = "already-deleting"
        else:
            raise FlowDefinitionError(
                f"DeleteFlowDefinition failed for '{name}': {code}: {_error_message(error)}"
            ) from error
    _log(
        "INFO",
        "flow definition deleted",
        event,
        action="delete",
        flowDefinitionName=name,
        outcome=outcome,
    )
    return result


def _status(name: str) -> str | None:
    try:
        response = _sagemaker().describe_flow_definition(FlowDefinitionName=name)
    except ClientError as error:
        if _error_code(error) == "ResourceNotFound":
            return None
        raise
    return str(response["FlowDefinitionStatus"])


# -- entry points ----------------------------------------------------------------------------


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Provider framework's onEvent handler: Create, Update or Delete."""
    request_type = event.get("RequestType")
    try:
        if request_type == "Create":
            return _create(event, context)
        if request_type == "Update":
            return _update(event, context)
        if request_type == "Delete":
            return _delete(event)
        raise FlowDefinitionError(f"Unknown RequestType {request_type!r}.")
    except FlowDefinitionError as error:
        _log("ERROR", "request failed", event, action="error", error=str(error))
        raise
    except ParamValidationError as error:
        _log("ERROR", "request failed", event, action="error", error=str(error))
        raise FlowDefinitionError(f"Invalid flow definition properties: {error}") from error
    except (ClientError, BotoCoreError) as error:
        _log("ERROR", "request failed", event, action="error", error=str(error))
        raise FlowDefinitionError(f"{request_type} failed: {error}") from error


def is_complete(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Provider framework's isComplete handler: is the flow definition Active?

    Delete completes at once: a deleted flow definition stays Deleting until the tasks
    already in progress finish or expire, which can take days, and nothing waits on it.
    """
    request_type = event.get("RequestType")
    if request_type == "Delete":
        return {"IsComplete": True}
    physical_id = event.get("PhysicalResourceId")
    name = _name_from_arn(physical_id)
    if name is None:
        raise FlowDefinitionError(
            f"The physical resource id {physical_id!r} is not a flow definition ARN."
        )
    arn = str(physical_id)
    if request_type == "Update" and _update_kind(event) != "replace":
        return {"IsComplete": True, "Data": _data(arn, name)}
    try:
        response = _sagemaker().describe_flow_definition(FlowDefinitionName=name)
    except ClientError as error:
        if is_transient(_error_code(error)):
            _log(
                "WARN",
                "describe failed; will poll again",
                event,
                action="wait",
                flowDefinitionName=name,
                error=_error_code(error),
            )
            return {"IsComplete": False}
        raise FlowDefinitionError(
            f"DescribeFlowDefinition failed for '{name}': {_error_code(error)}: "
            f"{_error_message(error)}"
        ) from error
    except BotoCoreError as error:  # e.g. a connection error: the waiter asks again
        _log(
            "WARN",
            "describe failed; will poll again",
            event,
            action="wait",
            flowDefinitionName=name,
            error=type(error).__name__,
        )
        return {"IsComplete": False}
    status = response["FlowDefinitionStatus"]
    _log(
        "INFO",
        f"flow definition is {status}",
        event,
        action="wait",
        flowDefinitionName=name,
        status=status,
    )
    if status == "Active":
        return {"IsComplete": True, "Data": _data(arn, name)}
    if status == "Initializing":
        return {"IsComplete": False}
    if status == "Failed":
        raise FlowDefinitionError(
            f"Flow definition {name} failed: {response.get('FailureReason') or 'no reason given'}"
        )
    raise FlowDefinitionError(f"Flow definition {name} is {status}, not Active.")
