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

import os
import random
import re
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from constructs_a2i.core.arns import FLOW_DEFINITION_ARN_PATTERN, flow_definition_name
from constructs_a2i.core.retry import is_transient
from constructs_a2i.runtime.flow_definition_provider import response
from constructs_a2i.runtime.flow_definition_provider.properties import (
    changed_paths,
    coerce,
    flow_name,
    is_retain,
    tag_list,
    tag_map,
    update_kind,
)
from constructs_a2i.runtime.flow_definition_provider.request import (
    MAX_MESSAGE_LENGTH,
    FlowDefinitionError,
    Request,
    log_event,
    redact,
)
from constructs_a2i.runtime.flow_definition_provider.response import (
    MAX_RESPONSE_BYTES,
    RESPONSE_RETRY_POLICY,
    ResponseError,
)

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
# The PUT to the ResponseURL (tests make it fail).
_put: Callable[[str, bytes, float], int] = response.put

# SageMaker's answer while it cannot (yet) assume a role, e.g. "Could not assume role
# arn:...:role/x. Please ensure that the role exists and allows principal
# 'sagemaker.amazonaws.com' to assume the role."
_ROLE_NOT_ASSUMABLE = re.compile(
    r"(could\s*not|cannot|can't|unable\s+to|not\s+able\s+to|failed\s+to)\b[^.]{0,60}\bassume"
    r"|\bassume\s*role\b|sts:AssumeRole",
    re.IGNORECASE,
)
_STACK_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\-]+):cloudformation:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
)
_FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\-]+):lambda:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
)
_TAG_BATCH = 50


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


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def _http_status(error: ClientError) -> int:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def _data(arn: str, name: str) -> dict[str, str]:
    return {"FlowDefinitionArn": arn, "FlowDefinitionName": name}


# -- properties --------------------------------------------------------------------------


def _create_request(props: Mapping[str, Any], name: str) -> dict[str, Any]:
    definition = props.get("Definition")
    if not isinstance(definition, Mapping):
        raise FlowDefinitionError("The Definition property (an object) is required.")
    tags = tag_list(props)  # checked before anything is sent
    shape = _sagemaker().meta.service_model.operation_model("CreateFlowDefinition").input_shape
    request: dict[str, Any] = coerce(shape, dict(definition), "Definition")
    for reserved in ("FlowDefinitionName", "Tags"):
        request.pop(reserved, None)
    request["FlowDefinitionName"] = name
    if tags:
        request["Tags"] = tags
    return request


# -- create and wait -----------------------------------------------------------------------


def _is_role_not_assumable(error: ClientError) -> bool:
    return _error_code(error) == "ValidationException" and bool(
        _ROLE_NOT_ASSUMABLE.search(_error_message(error))
    )


def _is_access_denied(error: ClientError) -> bool:
    return _error_code(error) in ("AccessDeniedException", "AccessDenied")


def _create_flow_definition(request: dict[str, Any], req: Request) -> str:
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
            log_event(
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


def _create(req: Request, action: str = "create") -> dict[str, Any]:
    props = req.event.get("ResourceProperties") or {}
    name, fixed = flow_name(props, req.request_id)
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
    log_event(
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


def _wait_until_active(req: Request, name: str) -> None:
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
            log_event("WARN", "describe failed; polling again", req, action="wait", error=code)
            interval = min(interval * 2, POLL_INTERVAL_CAP_SECONDS)
        except BotoCoreError as error:  # e.g. a connection error: ask again
            log_event(
                "WARN",
                "describe failed; polling again",
                req,
                action="wait",
                error=type(error).__name__,
            )
            interval = min(interval * 2, POLL_INTERVAL_CAP_SECONDS)
        else:
            status = str(response["FlowDefinitionStatus"])
            log_event(
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
    old = tag_map(event.get("OldResourceProperties") or {})
    new_props = event.get("ResourceProperties") or {}
    new = tag_map(new_props)
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


def _update(req: Request) -> dict[str, Any]:
    event = req.event
    old = event.get("OldResourceProperties") or {}
    new = event.get("ResourceProperties") or {}
    physical_id = str(event.get("PhysicalResourceId") or "")
    kind = update_kind(event)
    if kind == "replace":
        fixed = new.get("FlowDefinitionName")
        if fixed and fixed == old.get("FlowDefinitionName"):
            changed = ", ".join(changed_paths(old, new)) or "the definition"
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
        log_event(
            "INFO",
            "flow definition tags updated",
            req,
            action="update-tags",
            flowDefinitionName=name,
            removedTagKeys=removed,
            addedTagKeys=added,
        )
    else:
        log_event("INFO", "nothing to update", req, action="update-none", flowDefinitionName=name)
    return {"PhysicalResourceId": physical_id, "Data": _data(physical_id, name)}


# -- delete ------------------------------------------------------------------------------------


def _home(req: Request) -> tuple[str, str, str] | None:
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


def _foreign(arn: str, req: Request) -> str | None:
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


def _delete(req: Request) -> dict[str, Any]:
    event = req.event
    props = event.get("ResourceProperties") or {}
    physical_id = str(event.get("PhysicalResourceId") or "")
    result: dict[str, Any] = {"PhysicalResourceId": physical_id or CREATE_FAILED_PHYSICAL_ID}
    name = flow_definition_name(physical_id)
    if name is None:
        # A create that never made a flow definition: our marker, another id or nothing.
        log_event(
            "INFO", "nothing to delete", req, action="delete-skip", physicalResourceId=physical_id
        )
        return result
    foreign = _foreign(physical_id, req)
    if foreign is not None:
        log_event(
            "WARN",
            "not deleting a flow definition outside the stack's account and Region",
            req,
            action="delete-skip",
            physicalResourceId=physical_id,
            reason=foreign,
        )
        return result
    if is_retain(props):
        status, _ = _status(name)
        if status != "Failed":
            log_event(
                "INFO",
                "flow definition retained",
                req,
                action="delete-retain",
                flowDefinitionName=name,
                status=status,
            )
            return result
        log_event(
            "INFO",
            "flow definition Failed: deleting it despite RemovalPolicy retain",
            req,
            action="delete-failed",
            flowDefinitionName=name,
        )
    outcome = _delete_flow_definition(name)
    log_event(
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


def _discard_replacement(req: Request) -> None:
    """After a failed replacement, delete the new flow definition nothing refers to."""
    if req.created is None:
        return
    arn, name = req.created
    try:
        outcome = _delete_flow_definition(name)
    except (FlowDefinitionError, ClientError, BotoCoreError) as error:
        outcome = f"failed: {error}"
    log_event(
        "INFO",
        "replacement discarded",
        req,
        action="replace-discard",
        flowDefinitionName=name,
        flowDefinitionArn=arn,
        outcome=outcome,
    )


# -- the entry point ---------------------------------------------------------------------------


def _dispatch(req: Request) -> dict[str, Any]:
    request_type = req.request_type
    if request_type == "Create":
        return _create(req)
    if request_type == "Update":
        return _update(req)
    if request_type == "Delete":
        return _delete(req)
    raise FlowDefinitionError(f"Unknown RequestType {request_type!r}.")


def _failure_reason(error: Exception, req: Request) -> str:
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
    req = Request(
        event=event if isinstance(event, Mapping) else {},
        context=context,
        deadline=now + remaining - DEADLINE_MARGIN_SECONDS,
        end=now + remaining,
        secrets=secrets,
    )
    try:
        result = _dispatch(req)
    except Exception as error:  # CloudFormation must hear of every failure
        reason = redact(_failure_reason(error, req), secrets)
        if len(reason) > MAX_MESSAGE_LENGTH:
            reason = reason[: MAX_MESSAGE_LENGTH - 3] + "..."
        fields: dict[str, Any] = {"action": "error", "error": reason}
        if not isinstance(error, FlowDefinitionError):
            fields["trace"] = traceback.format_exc(limit=8)
        log_event("ERROR", "request failed", req, **fields)
        physical_id = str(req.event.get("PhysicalResourceId") or "")
        if req.request_type == "Update":
            _discard_replacement(req)
        elif req.request_type == "Create" and req.created is not None:
            # CloudFormation's rollback then deletes it by this id (a Failed one even
            # under RemovalPolicy retain).
            physical_id = req.created[0]
        return _respond(req, "FAILED", reason, physical_id or CREATE_FAILED_PHYSICAL_ID, None)
    return _respond(req, "SUCCESS", "", str(result["PhysicalResourceId"]), result.get("Data"))


def _respond(
    req: Request, status: str, reason: str, physical_id: str, data: dict[str, str] | None
) -> dict[str, Any]:
    """Answer CloudFormation with this module's (replaceable) transport, clock and jitter."""
    return response.respond(
        req,
        status,
        reason,
        physical_id,
        data,
        transport=_put,
        sleep=_sleep,
        monotonic=_monotonic,
        jitter=_random.uniform,
    )
