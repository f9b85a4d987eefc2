"""Create, update and delete Amazon A2I flow definitions for CloudFormation.

CloudFormation has no flow-definition resource type, so ``Custom::A2IFlowDefinition``
resources name this function as their ``ServiceToken``. :func:`handler` speaks the
custom-resource protocol itself: it does the work, waits for the flow definition within
the same invocation, and always answers the presigned ``ResponseURL`` (an HTTPS PUT,
retried), SUCCESS or FAILED, before the function's timeout.

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
    ``retain`` keeps the flow definition on delete (unless it ended ``Failed``: there is
    nothing to keep); anything else deletes it.

The physical resource id is the flow definition's ARN; the attributes (``Data``) are
``FlowDefinitionArn`` and ``FlowDefinitionName``. SageMaker has no update API, so every
change but tags (and RemovalPolicy, which only this handler reads) creates a new flow
definition; CloudFormation then deletes the old one.

Lambda retries an asynchronous invocation that did not finish, with the same event. A
retried Create or replacement therefore adopts the flow definition its earlier attempt
made: a generated name is derived from the RequestId, and a flow definition with a fixed
name carries the tag :data:`REQUEST_TAG_KEY` with the RequestId that created it.

Each action writes one JSON log line to stdout. Neither the ResponseURL nor any other
signed URL is ever logged or put into a Reason. Only the standard library, boto3 and
botocore are used: this file runs alone in Lambda.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import random
import re
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from constructs_a2i.core.arns import FLOW_DEFINITION_ARN_PATTERN, flow_definition_name
from constructs_a2i.core.json_log import log
from constructs_a2i.core.retry import RetryPolicy, is_transient

__all__ = [
    "CREATE_FAILED_PHYSICAL_ID",
    "DEADLINE_MARGIN_SECONDS",
    "IAM_RETRY_BUDGET_SECONDS",
    "MAX_MESSAGE_LENGTH",
    "MAX_RESPONSE_BYTES",
    "POLL_INTERVAL_CAP_SECONDS",
    "POLL_INTERVAL_SECONDS",
    "REQUEST_TAG_KEY",
    "RESPONSE_RETRY_POLICY",
    "FlowDefinitionError",
    "ResponseError",
    "handler",
]

POLL_INTERVAL_SECONDS = 1.0
"""How often DescribeFlowDefinition is asked whether a new flow definition is Active."""
POLL_INTERVAL_CAP_SECONDS = 2.0
"""The longest pause between two Describes (after throttling or a server error)."""
DEADLINE_MARGIN_SECONDS = 30.0
"""Time left unused before the Lambda timeout, to answer CloudFormation (with retries)."""
DEFAULT_REMAINING_SECONDS = 900.0
"""The time assumed when there is no Lambda context (Lambda's longest timeout)."""
IAM_RETRY_BUDGET_SECONDS = 120.0
"""How long Create keeps retrying while SageMaker cannot yet assume a brand-new role."""
IAM_RETRY_BASE_DELAY_SECONDS = 2.0
IAM_RETRY_MAX_DELAY_SECONDS = 20.0
MAX_MESSAGE_LENGTH = 1000
"""Error messages (CloudFormation's Reason) are cut to this length."""
MAX_RESPONSE_BYTES = 4096
"""CloudFormation's limit on the response body."""
RESPONSE_RETRY_POLICY = RetryPolicy(max_attempts=5, base_seconds=0.5, cap_seconds=4.0)
"""Attempts at the PUT to the ResponseURL, and the backoff between them."""
RESPONSE_TIMEOUT_SECONDS = 5.0
"""The socket timeout of one PUT attempt."""
CREATE_FAILED_PHYSICAL_ID = "constructs-a2i:flow-definition:create-failed"
"""The physical id of a Create that failed before any flow definition existed."""
REQUEST_TAG_KEY = "constructs-a2i:cfn-request-id"
"""The tag that names the CloudFormation request which created a fixed-name flow definition."""
DEFAULT_MAX_ATTEMPTS = 5
"""Total attempts per AWS call in botocore's standard retry mode (AWS_MAX_ATTEMPTS overrides)."""
MAX_TAGS = 50
"""SageMaker's limit on a resource's tags."""

# Injectable for tests: the clock, the sleep and the jitter of every wait.
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
# A URL with a query string (a presigned URL carries its signature there), or a bare
# SigV4 query parameter: never written to a log line or a Reason.
_SIGNED_URL = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s\"'<>]*\?[^\s\"'<>]*", re.IGNORECASE)
_SIGNATURE_PARAMETER = re.compile(r"X-Amz-[A-Za-z]+=[^\s&\"'<>]*", re.IGNORECASE)
_STACK_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\-]+):cloudformation:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
)
_FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\-]+):lambda:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
)
# Properties that do not shape the flow definition itself.
_NOT_DEFINITION = frozenset({"ServiceToken", "Tags", "RemovalPolicy"})
_TAG_BATCH = 50
_LOOPBACK_HOSTS = frozenset({"localhost"})
_MAX_PHYSICAL_ID_LENGTH = 1024  # CloudFormation's limit


class FlowDefinitionError(Exception):
    """A failure reported to CloudFormation; the message says what to do."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 3] + "..."
        super().__init__(message)


class ResponseError(Exception):
    """CloudFormation's ResponseURL could not be reached; Lambda retries the invocation."""


@dataclass
class _Request:
    """One invocation: the event, its deadline, and the flow definition it created."""

    event: Mapping[str, Any]
    context: Any
    deadline: float
    """The monotonic time by which the work must stop, to leave time for the answer."""
    end: float
    """The monotonic time of the Lambda timeout."""
    created: tuple[str, str] | None = None
    """(ARN, name) of the flow definition this request created or adopted."""
    secrets: tuple[str, ...] = field(default=())
    """Text never to be logged: the ResponseURL and its query string."""

    @property
    def request_type(self) -> str:
        return str(self.event.get("RequestType"))

    @property
    def request_id(self) -> str:
        return str(self.event.get("RequestId") or "")


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


def _redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the request's secrets, signed URLs or signature parameters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _SIGNED_URL.sub("<redacted URL>", text)
    return _SIGNATURE_PARAMETER.sub("<redacted>", text)


def _redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _redact(value, secrets)
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    if isinstance(value, Mapping):
        return {key: _redacted(item, secrets) for key, item in value.items()}
    return value


def _log(level: str, message: str, request: _Request, **fields: Any) -> None:
    event = request.event
    log(
        level,
        _redact(message, request.secrets),
        requestType=event.get("RequestType"),
        requestId=event.get("RequestId"),
        logicalResourceId=event.get("LogicalResourceId"),
        **{key: _redacted(value, request.secrets) for key, value in fields.items()},
    )
    sys.stdout.flush()


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def _http_status(error: ClientError) -> int:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def _data(arn: str, name: str) -> dict[str, str]:
    return {"FlowDefinitionArn": arn, "FlowDefinitionName": name}


def _preview(value: Any, length: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= length else text[: length - 3] + "..."


# -- properties --------------------------------------------------------------------------


def _flow_name(props: Mapping[str, Any], request_id: str) -> tuple[str, bool]:
    """The name to create, and whether it is fixed (not generated)."""
    name = props.get("FlowDefinitionName")
    prefix = props.get("FlowDefinitionNamePrefix")
    if name and prefix:
        raise FlowDefinitionError("Set FlowDefinitionName or FlowDefinitionNamePrefix, not both.")
    if name:
        return str(name), True
    if not prefix:
        raise FlowDefinitionError("FlowDefinitionName or FlowDefinitionNamePrefix is required.")
    digest = hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{digest}", False


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
    tags = _tag_list(props)  # checked before anything is sent
    shape = _sagemaker().meta.service_model.operation_model("CreateFlowDefinition").input_shape
    request: dict[str, Any] = _coerce(shape, dict(definition), "Definition")
    for reserved in ("FlowDefinitionName", "Tags"):
        request.pop(reserved, None)
    request["FlowDefinitionName"] = name
    if tags:
        request["Tags"] = tags
    return request


def _tag_list(props: Mapping[str, Any]) -> list[dict[str, str]]:
    """The Tags property as SageMaker takes it; a clear error when it is malformed."""
    tags = props.get("Tags")
    if tags is None or tags == "":
        return []
    if not isinstance(tags, list):
        raise FlowDefinitionError(
            f"Tags must be a list of {{Key, Value}} objects; got {type(tags).__name__} "
            f"{_preview(tags)}."
        )
    out: list[dict[str, str]] = []
    for i, tag in enumerate(tags):
        key = tag.get("Key") if isinstance(tag, Mapping) else None
        value = tag.get("Value", "") if isinstance(tag, Mapping) else None
        if (
            not isinstance(key, str | int | float)
            or isinstance(key, bool)
            or str(key) == ""
            or not (value is None or isinstance(value, str | int | float))
        ):
            raise FlowDefinitionError(
                f"Tags[{i}] must be an object with a non-empty Key and a string Value; got "
                f"{_preview(tag)}."
            )
        out.append({"Key": str(key), "Value": "" if value is None else str(value)})
    return out


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


def _is_retain(props: Mapping[str, Any]) -> bool:
    return str(props.get("RemovalPolicy", "")).lower() == "retain"


# -- create and wait -----------------------------------------------------------------------


def _is_role_not_assumable(error: ClientError) -> bool:
    return _error_code(error) == "ValidationException" and bool(
        _ROLE_NOT_ASSUMABLE.search(_error_message(error))
    )


def _is_access_denied(error: ClientError) -> bool:
    return _error_code(error) in ("AccessDeniedException", "AccessDenied")


def _create_flow_definition(request: dict[str, Any], req: _Request) -> str:
    """CreateFlowDefinition, retried while IAM has not yet propagated a brand-new grant.

    IAM is eventually consistent. A role created in the same deployment can be unknown to
    SageMaker for some seconds (ValidationException "Could not assume role ..."), and a
    statement just added to the provider's own policy (a new flow's name or role, added
    right before its create) can be denied for some seconds (AccessDeniedException). Both
    are retried with exponential backoff and jitter for IAM_RETRY_BUDGET_SECONDS at most,
    and never past the request's deadline. Any other error fails at once.
    """
    start = _monotonic()
    budget = min(IAM_RETRY_BUDGET_SECONDS, req.deadline - start)
    attempt = 0
    while True:
        attempt += 1
        try:
            response = _sagemaker().create_flow_definition(**request)
            return str(response["FlowDefinitionArn"])
        except ClientError as error:
            denied = _is_access_denied(error)
            if not (denied or _is_role_not_assumable(error)):
                raise
            elapsed = _monotonic() - start
            ceiling = min(
                IAM_RETRY_MAX_DELAY_SECONDS, IAM_RETRY_BASE_DELAY_SECONDS * 2 ** (attempt - 1)
            )
            delay = ceiling / 2 + _random.uniform(0, ceiling / 2)  # "equal jitter"
            if elapsed + delay > budget:
                if denied:
                    raise FlowDefinitionError(
                        f"The provider was denied CreateFlowDefinition for "
                        f"'{request['FlowDefinitionName']}' after {attempt} attempts over "
                        f"{elapsed:.0f} s: {_error_message(error)} Its role may create the "
                        "flow definitions named by this stack's flows and pass their roles "
                        "(sagemaker:CreateFlowDefinition, sagemaker:AddTags, iam:PassRole); "
                        "check for a permissions boundary or an SCP that denies them."
                    ) from error
                raise FlowDefinitionError(
                    f"SageMaker could not assume the role {request.get('RoleArn')} after "
                    f"{attempt} attempts over {elapsed:.0f} s: {_error_message(error)} Check "
                    "that the role exists and that its trust policy allows "
                    "sagemaker.amazonaws.com to assume it."
                ) from error
            _log(
                "WARN",
                ("access denied" if denied else "role not assumable") + " yet; retrying",
                req,
                action="create-retry",
                flowDefinitionName=request["FlowDefinitionName"],
                attempt=attempt,
                delaySeconds=round(delay, 3),
                error=_error_code(error),
            )
            _sleep(delay)


def _created_by(arn: str, request_id: str) -> bool:
    """True when the flow definition carries this request's tag."""
    response = _sagemaker().list_tags(ResourceArn=arn, MaxResults=100)
    return any(
        tag.get("Key") == REQUEST_TAG_KEY and tag.get("Value") == request_id
        for tag in response.get("Tags", [])
    )


def _create(req: _Request, action: str = "create") -> dict[str, Any]:
    props = req.event.get("ResourceProperties") or {}
    name, fixed = _flow_name(props, req.request_id)
    request = _create_request(props, name)
    if fixed and len(request.get("Tags", [])) < MAX_TAGS:
        # Lets a retry of this request recognise the flow definition as its own.
        request["Tags"] = [
            *request.get("Tags", []),
            {"Key": REQUEST_TAG_KEY, "Value": req.request_id},
        ]
    try:
        arn = _create_flow_definition(request, req)
        outcome = "created"
    except ClientError as error:
        code = _error_code(error)
        if code != "ResourceInUse":
            raise FlowDefinitionError(
                f"CreateFlowDefinition failed for '{name}': {code}: {_error_message(error)}"
            ) from error
        # A generated name embeds this request's id, and a fixed-name flow definition made
        # by this request carries its tag: either is ours, from an earlier attempt at this
        # same request (a retried invocation).
        arn = str(
            _sagemaker().describe_flow_definition(FlowDefinitionName=name)["FlowDefinitionArn"]
        )
        if fixed and not _created_by(arn, req.request_id):
            raise FlowDefinitionError(
                f"A flow definition named '{name}' already exists in this account and Region "
                "(names are unique per account and Region). Choose another "
                "flow_definition_name, or remove flow_definition_name to let the library "
                "generate a unique name."
            ) from error
        outcome = "adopted"
    req.created = (arn, name)
    _log(
        "INFO",
        f"flow definition {outcome}",
        req,
        action=action,
        flowDefinitionName=name,
        flowDefinitionArn=arn,
        outcome=outcome,
    )
    _wait_until_active(req, name)
    return {"PhysicalResourceId": arn, "Data": _data(arn, name)}


def _wait_until_active(req: _Request, name: str) -> None:
    """Describe every POLL_INTERVAL_SECONDS until Active; fail on Failed or at the deadline."""
    started = _monotonic()
    interval = POLL_INTERVAL_SECONDS
    status = "unknown"
    while True:
        try:
            response = _sagemaker().describe_flow_definition(FlowDefinitionName=name)
        except ClientError as error:
            code = _error_code(error)
            if not is_transient(code, _http_status(error)):
                raise FlowDefinitionError(
                    f"DescribeFlowDefinition failed for '{name}': {code}: {_error_message(error)}"
                ) from error
            _log("WARN", "describe failed; polling again", req, action="wait", error=code)
            interval = min(interval * 2, POLL_INTERVAL_CAP_SECONDS)
        except BotoCoreError as error:  # e.g. a connection error: ask again
            _log(
                "WARN",
                "describe failed; polling again",
                req,
                action="wait",
                error=type(error).__name__,
            )
            interval = min(interval * 2, POLL_INTERVAL_CAP_SECONDS)
        else:
            status = str(response["FlowDefinitionStatus"])
            _log(
                "INFO",
                f"flow definition is {status}",
                req,
                action="wait",
                flowDefinitionName=name,
                status=status,
            )
            if status == "Active":
                return
            if status == "Failed":
                reason = response.get("FailureReason") or "no reason given"
                raise FlowDefinitionError(f"Flow definition {name} failed: {reason}")
            if status != "Initializing":
                raise FlowDefinitionError(f"Flow definition {name} is {status}, not Active.")
            interval = POLL_INTERVAL_SECONDS
        now = _monotonic()
        if now >= req.deadline:
            raise FlowDefinitionError(
                f"Flow definition {name} is still {status} after {now - started:.0f} s; "
                "gave up to answer CloudFormation before the provider function's timeout. "
                "Check the flow definition in the SageMaker console; deploying again "
                "creates a new one."
            )
        _sleep(min(interval, req.deadline - now))


# -- update ------------------------------------------------------------------------------------


def _update_tags(arn: str, event: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    old = _tag_map(event.get("OldResourceProperties") or {})
    new_props = event.get("ResourceProperties") or {}
    new = _tag_map(new_props)
    removed = sorted(set(old) - set(new))
    if new_props.get("FlowDefinitionName") and len(new) >= MAX_TAGS:
        removed.append(REQUEST_TAG_KEY)  # make room: the retry marker is no longer needed
    changed = [{"Key": k, "Value": v} for k, v in new.items() if old.get(k) != v]
    client = _sagemaker()
    # Delete first: adding first could pass the 50-tag limit for a moment.
    for i in range(0, len(removed), _TAG_BATCH):
        client.delete_tags(ResourceArn=arn, TagKeys=removed[i : i + _TAG_BATCH])
    for i in range(0, len(changed), _TAG_BATCH):
        client.add_tags(ResourceArn=arn, Tags=changed[i : i + _TAG_BATCH])
    return removed, [tag["Key"] for tag in changed]


def _update(req: _Request) -> dict[str, Any]:
    event = req.event
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
        return _create(req, action="replace")
    name = flow_definition_name(physical_id)
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
            req,
            action="update-tags",
            flowDefinitionName=name,
            removedTagKeys=removed,
            addedTagKeys=added,
        )
    else:
        _log("INFO", "nothing to update", req, action="update-none", flowDefinitionName=name)
    return {"PhysicalResourceId": physical_id, "Data": _data(physical_id, name)}


# -- delete ------------------------------------------------------------------------------------


def _home(req: _Request) -> tuple[str, str, str] | None:
    """(partition, Region, account) of the stack: from its StackId, else from the function."""
    candidates = (
        (_STACK_ARN, req.event.get("StackId")),
        (_FUNCTION_ARN, getattr(req.context, "invoked_function_arn", None)),
    )
    for pattern, arn in candidates:
        match = pattern.match(arn) if isinstance(arn, str) else None
        if match:
            return match.group("partition"), match.group("region"), match.group("account")
    return None


def _foreign(arn: str, req: _Request) -> str | None:
    """Why ``arn`` is not this stack's account and Region to delete in, or None."""
    home = _home(req)
    match = FLOW_DEFINITION_ARN_PATTERN.match(arn)
    if home is None or match is None:
        return None
    theirs = (match.group("partition"), match.group("region"), match.group("account"))
    if theirs == home:
        return None
    return (
        f"the ARN names partition {theirs[0]}, Region {theirs[1]} and account {theirs[2]}, "
        f"but the stack is in partition {home[0]}, Region {home[1]} and account {home[2]}"
    )


def _status(name: str) -> tuple[str | None, str | None]:
    """(status, failure reason) of ``name``; (None, None) when it does not exist."""
    try:
        response = _sagemaker().describe_flow_definition(FlowDefinitionName=name)
    except ClientError as error:
        if _error_code(error) == "ResourceNotFound":
            return None, None
        raise
    return str(response["FlowDefinitionStatus"]), response.get("FailureReason")


def _delete(req: _Request) -> dict[str, Any]:
    event = req.event
    props = event.get("ResourceProperties") or {}
    physical_id = str(event.get("PhysicalResourceId") or "")
    result: dict[str, Any] = {"PhysicalResourceId": physical_id or CREATE_FAILED_PHYSICAL_ID}
    name = flow_definition_name(physical_id)
    if name is None:
        # A create that never made a flow definition: our marker, another id or nothing.
        _log("INFO", "nothing to delete", req, action="delete-skip", physicalResourceId=physical_id)
        return result
    foreign = _foreign(physical_id, req)
    if foreign is not None:
        _log(
            "WARN",
            "not deleting a flow definition outside the stack's account and Region",
            req,
            action="delete-skip",
            physicalResourceId=physical_id,
            reason=foreign,
        )
        return result
    if _is_retain(props):
        status, _ = _status(name)
        if status != "Failed":
            _log(
                "INFO",
                "flow definition retained",
                req,
                action="delete-retain",
                flowDefinitionName=name,
                status=status,
            )
            return result
        _log(
            "INFO",
            "flow definition Failed: deleting it despite RemovalPolicy retain",
            req,
            action="delete-failed",
            flowDefinitionName=name,
        )
    outcome = _delete_flow_definition(name)
    _log(
        "INFO",
        "flow definition deleted",
        req,
        action="delete",
        flowDefinitionName=name,
        outcome=outcome,
    )
    return result


def _delete_flow_definition(name: str) -> str:
    """DeleteFlowDefinition; how it went (``deleting``, ``already-gone``, ``already-deleting``).

    It does not wait: a deleted flow definition stays Deleting until the tasks already in
    progress finish or expire, which can take days.
    """
    try:
        _sagemaker().delete_flow_definition(FlowDefinitionName=name)
    except ClientError as error:
        code = _error_code(error)
        if code == "ResourceNotFound":
            return "already-gone"
        if code == "ResourceInUse" and _status(name)[0] in ("Deleting", None):
            return "already-deleting"
        hint = ""
        if code in ("AccessDeniedException", "AccessDenied"):
            hint = (
                " The provider may only delete the flow definitions whose names the stack's "
                "flows can have now (a fixed name that was changed or removed is no longer "
                "among them): delete it with `aws sagemaker delete-flow-definition "
                f"--flow-definition-name {name}`."
            )
        raise FlowDefinitionError(
            f"DeleteFlowDefinition failed for '{name}': {code}: {_error_message(error)}{hint}"
        ) from error
    return "deleting"


def _discard_replacement(req: _Request) -> None:
    """After a failed replacement, delete the new flow definition nothing refers to."""
    if req.created is None:
        return
    arn, name = req.created
    try:
        outcome = _delete_flow_definition(name)
    except (FlowDefinitionError, ClientError, BotoCoreError) as error:
        outcome = f"failed: {error}"
    _log(
        "INFO",
        "replacement discarded",
        req,
        action="replace-discard",
        flowDefinitionName=name,
        flowDefinitionArn=arn,
        outcome=outcome,
    )


# -- answering CloudFormation --------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _response_body(
    req: _Request, status: str, reason: str, physical_id: str, data: Mapping[str, str] | None
) -> bytes:
    """The JSON CloudFormation expects, at most MAX_RESPONSE_BYTES long."""
    event = req.event
    body: dict[str, Any] = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
    }
    if data:
        body["Data"] = dict(data)
    encoded = json.dumps(body).encode("utf-8")
    while len(encoded) > MAX_RESPONSE_BYTES and body["Reason"]:
        excess = len(encoded) - MAX_RESPONSE_BYTES
        body["Reason"] = body["Reason"][: max(0, len(body["Reason"]) - excess - 3)] + "..."
        encoded = json.dumps(body).encode("utf-8")
    if len(encoded) > MAX_RESPONSE_BYTES:  # only with ids longer than CloudFormation allows
        body.pop("Data", None)
        body.update(
            Status="FAILED",
            Reason="The response would exceed 4096 bytes.",
            PhysicalResourceId=str(physical_id)[:_MAX_PHYSICAL_ID_LENGTH],
        )
        encoded = json.dumps(body).encode("utf-8")
    return encoded


def _put(url: str, body: bytes, timeout: float) -> int:
    """One PUT of ``body`` to ``url``; the HTTP status (raises on failure)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="PUT",
        # CloudFormation's presigned URL is signed for an empty Content-Type.
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    host = urllib.parse.urlsplit(url).hostname
    opener = (
        urllib.request.build_opener(urllib.request.ProxyHandler({}))
        if _is_loopback(host)
        else urllib.request.build_opener()
    )
    with opener.open(request, timeout=timeout) as response:
        status: int = response.status
        response.read()
    return status


def _respond(
    req: _Request, status: str, reason: str, physical_id: str, data: Mapping[str, str] | None
) -> dict[str, Any]:
    """PUT the answer to the ResponseURL, retried; returns the body that was sent."""
    body = _response_body(req, status, reason, physical_id, data)
    answer: dict[str, Any] = json.loads(body)
    url = req.event.get("ResponseURL")
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or not (
        parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))
    ):
        _log(
            "ERROR",
            "no HTTPS ResponseURL in the event: the answer was not sent",
            req,
            action="respond",
            status=status,
        )
        return answer
    assert isinstance(url, str)
    policy = RESPONSE_RETRY_POLICY
    for attempt in range(1, policy.max_attempts + 1):
        timeout = max(1.0, min(RESPONSE_TIMEOUT_SECONDS, req.end - _monotonic()))
        try:
            http_status = _put(url, body, timeout)
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code}"
            error.close()
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            problem = type(error).__name__
        else:
            _log(
                "INFO",
                "answered CloudFormation",
                req,
                action="respond",
                status=status,
                physicalResourceId=physical_id,
                attempt=attempt,
                httpStatus=http_status,
                bytes=len(body),
            )
            return answer
        delay = policy.backoff(attempt, _random.uniform)
        last = attempt == policy.max_attempts or _monotonic() + delay + 1.0 >= req.end
        _log(
            "ERROR" if last else "WARN",
            "answering CloudFormation failed" + ("" if last else "; retrying"),
            req,
            action="respond",
            status=status,
            attempt=attempt,
            error=problem,
        )
        if last:
            break
        _sleep(delay)
    raise ResponseError(
        f"Could not answer CloudFormation ({status}) after {attempt} attempts: {problem}"
    )


# -- the entry point ---------------------------------------------------------------------------


def _dispatch(req: _Request) -> dict[str, Any]:
    request_type = req.request_type
    if request_type == "Create":
        return _create(req)
    if request_type == "Update":
        return _update(req)
    if request_type == "Delete":
        return _delete(req)
    raise FlowDefinitionError(f"Unknown RequestType {request_type!r}.")


def _failure_reason(error: Exception, req: _Request) -> str:
    if isinstance(error, FlowDefinitionError):
        return str(error)
    if isinstance(error, ParamValidationError):
        return f"Invalid flow definition properties: {error}"
    if isinstance(error, ClientError | BotoCoreError):
        return f"{req.request_type} failed: {error}"
    return f"{req.request_type} failed with an internal error: {type(error).__name__}: {error}"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Serve one CloudFormation custom-resource request and answer its ResponseURL.

    Returns the answer it sent (for callers in-process). Raises :class:`ResponseError`
    only when the ResponseURL cannot be reached, so that Lambda retries the invocation.
    """
    now = _monotonic()
    get_remaining = getattr(context, "get_remaining_time_in_millis", None)
    remaining = (
        float(get_remaining()) / 1000.0 if callable(get_remaining) else DEFAULT_REMAINING_SECONDS
    )
    url = event.get("ResponseURL") if isinstance(event, Mapping) else None
    secrets = tuple(
        secret
        for secret in (
            url if isinstance(url, str) else "",
            urllib.parse.urlsplit(url).query if isinstance(url, str) else "",
        )
        if secret
    )
    req = _Request(
        event=event if isinstance(event, Mapping) else {},
        context=context,
        deadline=now + remaining - DEADLINE_MARGIN_SECONDS,
        end=now + remaining,
        secrets=secrets,
    )
    try:
        result = _dispatch(req)
    except Exception as error:  # CloudFormation must hear of every failure
        reason = _redact(_failure_reason(error, req), secrets)
        if len(reason) > MAX_MESSAGE_LENGTH:
            reason = reason[: MAX_MESSAGE_LENGTH - 3] + "..."
        fields: dict[str, Any] = {"action": "error", "error": reason}
        if not isinstance(error, FlowDefinitionError):
            fields["trace"] = traceback.format_exc(limit=8)
        _log("ERROR", "request failed", req, **fields)
        physical_id = str(req.event.get("PhysicalResourceId") or "")
        if req.request_type == "Update":
            _discard_replacement(req)
        elif req.request_type == "Create" and req.created is not None:
            # CloudFormation's rollback then deletes it by this id (a Failed one even
            # under RemovalPolicy retain).
            physical_id = req.created[0]
        return _respond(req, "FAILED", reason, physical_id or CREATE_FAILED_PHYSICAL_ID, None)
    return _respond(req, "SUCCESS", "", str(result["PhysicalResourceId"]), result.get("Data"))
