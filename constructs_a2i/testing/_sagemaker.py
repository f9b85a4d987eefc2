"""SageMaker's flow-definition operations, and the flow-definition lifecycle.

Each operation takes the store (its lock held) and the request, already checked against
botocore's model, and applies the rules the model does not state: the documented service
limits, the public-crowd prices, ARNs the account cannot reach, reserved tag keys. A new
flow definition is Initializing until its ``activate_after``-th Describe, then Active (or
Failed); a deleted one is Deleting until its ``delete_after``-th Describe and until its
human loops have ended.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from constructs_a2i.testing._errors import ServiceError, constraint_error, validation_error
from constructs_a2i.testing._paging import (
    DEFAULT_TAG_PAGE_SIZE,
    filter_by_creation_time,
    page,
    page_by_offset,
)
from constructs_a2i.testing._state import ARN, FlowRecord, Operation, Store

__all__ = ["OPERATIONS", "SAGEMAKER_OPERATIONS", "release_if_deleted"]

_PUBLIC_CROWD_ACCOUNT = "394669845002"
_PUBLIC_CROWD = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:" + _PUBLIC_CROWD_ACCOUNT + r":workteam/public-crowd/.*"
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


# -- CreateFlowDefinition -----------------------------------------------------------------


def create_flow_definition(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    name = params["FlowDefinitionName"]
    _check_flow_definition(store, params)
    if name in store.flows:
        # Real message wording not published; this keeps its substance.
        raise ServiceError(
            "ResourceInUse",
            f"Cannot create flow definition {name}: a flow definition with this name "
            "already exists in this account and Region.",
        )
    limit = store.limits.flow_definitions
    if limit is not None and len(store.flows) >= limit:
        raise ServiceError(
            "ResourceLimitExceeded",
            f"The account-level service limit 'Maximum number of flow definitions' is "
            f"{limit}, with current utilization of {len(store.flows)}.",
        )
    lifecycle = store.lifecycle
    if lifecycle.role_rejections > 0:
        lifecycle.role_rejections -= 1
        # The wording SageMaker's Create* operations use when the role cannot be
        # assumed (seen for CreateTransformJob, CreateModel, ...): a role created
        # seconds earlier gets it until IAM has propagated it.
        raise validation_error(
            lifecycle.role_message
            or f"Could not assume role {params['RoleArn']}. Please ensure that the role "
            "exists and allows principal 'sagemaker.amazonaws.com' to assume the role."
        )
    definition = {
        k: copy.deepcopy(v) for k, v in params.items() if k not in ("FlowDefinitionName", "Tags")
    }
    flow = FlowRecord(
        name=name,
        arn=store.arn("flow-definition", name),
        status="Initializing",
        creation_time=store.now(),
        seq=store.next_seq(),
        definition=definition,
        tags={tag["Key"]: tag["Value"] for tag in params.get("Tags") or []},
        describes_until_settled=lifecycle.activate_after,
    )
    store.flows[name] = flow
    if flow.describes_until_settled <= 0:
        _settle(store, flow)
    return {"FlowDefinitionArn": flow.arn}


def _check_flow_definition(store: Store, params: dict[str, Any]) -> None:
    """The documented rules the model does not state."""
    source = params.get("HumanLoopRequestSource")
    _check_activation(params.get("HumanLoopActivationConfig"), source)
    output_path = params["OutputConfig"]["S3OutputPath"]
    if not re.fullmatch(r"s3://[^/]+(/.*)?", output_path):
        raise constraint_error(
            output_path,
            "outputConfig.s3OutputPath",
            "Member must be an S3 URI of the form s3://bucket/prefix",
        )
    _check_tags(params.get("Tags") or [], "tags")
    config = params.get("HumanLoopConfig")
    if config is not None:
        _check_human_loop_config(store, config, source)


def _check_activation(activation: dict[str, Any] | None, source: Any) -> None:
    if activation is None:
        return
    if source is None:
        raise validation_error(
            "HumanLoopActivationConfig can only be specified together with HumanLoopRequestSource."
        )
    conditions = activation["HumanLoopActivationConditionsConfig"]["HumanLoopActivationConditions"]
    try:
        parsed = json.loads(conditions)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise validation_error("HumanLoopActivationConditions must be a JSON object.")


def _check_human_loop_config(
    store: Store, config: dict[str, Any], source: dict[str, Any] | None
) -> None:
    workteam = config["WorkteamArn"]
    public = _PUBLIC_CROWD.fullmatch(workteam) is not None
    # Public and vendor work teams belong to other accounts; private ones must be ours.
    _check_arn_reachable(
        store, workteam, "Workteam", allow_foreign=public or "vendor-crowd" in workteam
    )
    _check_arn_reachable(store, config["HumanTaskUiArn"], "HumanTaskUi", allow_foreign=False)
    time_limit = config.get("TaskTimeLimitInSeconds")
    if time_limit is not None and time_limit > _MAX_TASK_TIME_LIMIT:
        raise constraint_error(
            time_limit,
            "humanLoopConfig.taskTimeLimitInSeconds",
            f"Member must have value less than or equal to {_MAX_TASK_TIME_LIMIT}",
        )
    lifetime = config.get("TaskAvailabilityLifetimeInSeconds")
    cap = _MAX_LIFETIME_PUBLIC if public else _MAX_LIFETIME_PRIVATE
    if lifetime is not None and lifetime > cap:
        raise constraint_error(
            lifetime,
            "humanLoopConfig.taskAvailabilityLifetimeInSeconds",
            f"Member must have value less than or equal to {cap}"
            + (" for the public workforce" if public else ""),
        )
    price = config.get("PublicWorkforceTaskPrice")
    if public and price is None:
        raise validation_error("PublicWorkforceTaskPrice is required for the public workforce.")
    if price is not None:
        _check_price(price, source)


def _check_price(price: dict[str, Any], source: dict[str, Any] | None) -> None:
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
        raise validation_error(
            f"PublicWorkforceTaskPrice {thousandths / 1000:.3f} USD is not one of the "
            "prices allowed for this task type: "
            + ", ".join(f"{p / 1000:.3f}" for p in sorted(allowed))
        )


def _check_arn_reachable(store: Store, arn: str, kind: str, *, allow_foreign: bool) -> None:
    match = ARN.fullmatch(arn)
    if match is None:
        return  # the model's pattern has already judged it
    foreign = match["region"] != store.region or (
        match["account"] != store.account and not allow_foreign
    )
    if foreign:
        # SageMaker's wording for a work team it cannot see.
        raise validation_error(
            f"The specified {kind} '{arn}' does not exist or you do not have access to it."
        )


def _check_tags(tags: list[dict[str, str]], path: str) -> None:
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise validation_error(f"Tag keys must be unique per resource; '{path}' repeats a key.")
    for key in keys:
        if key.lower().startswith("aws:"):
            raise validation_error(f"Tag keys starting with 'aws:' are reserved for AWS use: {key}")


# -- the lifecycle: Describe moves it on ----------------------------------------------------


def _settle(store: Store, flow: FlowRecord) -> None:
    reason = store.lifecycle.failure_reason
    if reason is None:
        flow.status = "Active"
    else:
        flow.status = "Failed"
        flow.failure_reason = reason


def release_if_deleted(store: Store, flow: FlowRecord) -> None:
    """Remove a Deleting flow definition once its wait is over and no loop still runs."""
    if flow.status != "Deleting" or flow.describes_until_gone > 0:
        return
    busy = any(
        loop.flow_definition_arn == flow.arn and loop.status in ("InProgress", "Stopping")
        for loop in store.loops.values()
    )
    # Only this record: a flow definition created again under the name stays.
    if not busy and store.flows.get(flow.name) is flow:
        del store.flows[flow.name]


def _flow_not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFound", f"Could not find flow definition with name '{name}'.")


def describe_flow_definition(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    name = params["FlowDefinitionName"]
    flow = store.flows.get(name)
    if flow is None:
        raise _flow_not_found(name)
    if flow.status == "Initializing":
        flow.describes_until_settled -= 1
        if flow.describes_until_settled <= 0:
            _settle(store, flow)
    elif flow.status == "Deleting":
        flow.describes_until_gone -= 1
        release_if_deleted(store, flow)
        if name not in store.flows:
            raise _flow_not_found(name)
    return {
        "FlowDefinitionArn": flow.arn,
        "FlowDefinitionName": flow.name,
        "FlowDefinitionStatus": flow.status,
        "CreationTime": flow.creation_time,
        "FailureReason": flow.failure_reason,
        **copy.deepcopy(flow.definition),
    }


def delete_flow_definition(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    name = params["FlowDefinitionName"]
    flow = store.flows.get(name)
    if flow is None:
        raise _flow_not_found(name)
    if flow.status != "Deleting":
        flow.status = "Deleting"
        flow.describes_until_gone = store.lifecycle.delete_after
        release_if_deleted(store, flow)
    return {}


def list_flow_definitions(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    flows = filter_by_creation_time(list(store.flows.values()), params)
    chosen, token = page(flows, params, "flow-definitions")
    return {
        "FlowDefinitionSummaries": [
            {
                "FlowDefinitionName": flow.name,
                "FlowDefinitionArn": flow.arn,
                "FlowDefinitionStatus": flow.status,
                "CreationTime": flow.creation_time,
                "FailureReason": flow.failure_reason,
            }
            for flow in chosen
        ],
        "NextToken": token,
    }


# -- tags -----------------------------------------------------------------------------------


def _flow_for_tags(store: Store, arn: str) -> FlowRecord:
    flow = store.flow_by_arn(arn)
    if flow is None:
        # AddTags/DeleteTags/ListTags model no ResourceNotFound: SageMaker answers
        # an unknown resource with ValidationException.
        raise validation_error(f"Resource {arn} does not exist or is not supported by the fake.")
    return flow


def add_tags(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    flow = _flow_for_tags(store, params["ResourceArn"])
    _check_tags(params["Tags"], "tags")
    merged = dict(flow.tags)
    merged.update({tag["Key"]: tag["Value"] for tag in params["Tags"]})
    if len(merged) > _MAX_TAGS:
        raise validation_error(
            f"A resource can have at most {_MAX_TAGS} tags; this request would give "
            f"{params['ResourceArn']} {len(merged)}."
        )
    flow.tags = merged
    return {"Tags": copy.deepcopy(params["Tags"])}


def delete_tags(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    flow = _flow_for_tags(store, params["ResourceArn"])
    for key in params["TagKeys"]:
        flow.tags.pop(key, None)
    return {}


def list_tags(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    flow = _flow_for_tags(store, params["ResourceArn"])
    tags = [{"Key": k, "Value": v} for k, v in flow.tags.items()]
    chosen, token = page_by_offset(tags, params, "tags", DEFAULT_TAG_PAGE_SIZE)
    return {"Tags": chosen, "NextToken": token}


OPERATIONS: dict[str, Operation] = {
    "CreateFlowDefinition": create_flow_definition,
    "DescribeFlowDefinition": describe_flow_definition,
    "DeleteFlowDefinition": delete_flow_definition,
    "ListFlowDefinitions": list_flow_definitions,
    "AddTags": add_tags,
    "DeleteTags": delete_tags,
    "ListTags": list_tags,
}
"""The SageMaker operations the fake serves, by name."""

SAGEMAKER_OPERATIONS = frozenset(OPERATIONS)
"""The SageMaker operations the fake serves (others answer UnknownOperationException)."""
