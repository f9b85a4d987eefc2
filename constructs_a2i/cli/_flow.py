"""Which flow definition a command acts on: ``--flow NAME|ARN`` or ``--stack S --construct P``.

* A name is looked up with DescribeFlowDefinition in the command's Region.
* An ARN is checked the same way in the ARN's Region (when the caller may describe it).
* ``--stack STACK --construct PATH`` reads the outputs of the stack and of its nested stacks
  (those ListStackResources lists as ``AWS::CloudFormation::Stack``, at any depth) with
  DescribeStacks. A ``FlowDefinition`` construct adds an output ``FlowDefinitionArn`` (unless
  made with ``arn_output=False``) whose description is
  ``ARN of the A2I flow definition <construct path>``; ``PATH`` is that construct path, or its
  end (``Review``, ``Flows/Review`` or ``MyStack/Flows/Review``). Without ``--construct`` the
  stack and its nested stacks must hold exactly one flow definition. Without permission to
  list the stack's resources, only the stack's own outputs are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Final

import typer
from botocore.exceptions import ClientError

from constructs_a2i.cli._aws import Clients, CliError
from constructs_a2i.cli._retry import call_with_retries, error_code
from constructs_a2i.core.arns import FLOW_DEFINITION_ARN_PATTERN
from constructs_a2i.core.names import NAME_MAX_LENGTH, is_valid_name
from constructs_a2i.core.statuses import FLOW_ACTIVE

__all__ = [
    "OUTPUT_DESCRIPTION_PREFIX",
    "ConstructOption",
    "FlowOption",
    "ResolvedFlow",
    "StackOption",
    "flow_arn_from_outputs",
    "resolve_flow",
]

OUTPUT_DESCRIPTION_PREFIX: Final = "ARN of the A2I flow definition "
"""How ``FlowDefinition``'s CfnOutput description starts (the construct path follows)."""
_OUTPUT_ID: Final = "FlowDefinitionArn"

FlowOption = Annotated[
    str | None,
    typer.Option(
        "--flow",
        "-f",
        metavar="FLOW",
        help="Flow definition name or ARN (or use --stack and --construct).",
    ),
]
"""The ``--flow`` option."""
StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack",
        help="CloudFormation stack whose FlowDefinition output (its own or a nested stack's) "
        "names the flow.",
    ),
]
"""The ``--stack`` option."""
ConstructOption = Annotated[
    str | None,
    typer.Option(
        "--construct",
        metavar="PATH",
        help="Construct path of the FlowDefinition in --stack (e.g. Review or MyStack/Review).",
    ),
]
"""The ``--construct`` option."""


@dataclass(frozen=True, slots=True)
class ResolvedFlow:
    """A flow definition the command acts on."""

    arn: str
    """Its ARN."""
    name: str
    """Its name."""
    region: str
    """The Region it lives in (its human loops are called there)."""
    status: str | None = None
    """Its FlowDefinitionStatus, when it could be described."""
    failure_reason: str | None = None
    """Why it is Failed, if it is."""
    task_count: int | None = None
    """Its HumanLoopConfig's TaskCount, when it could be described."""
    task_price: dict[str, Any] | None = None
    """Its PublicWorkforceTaskPrice (public-crowd flows), when it could be described."""


def resolve_flow(
    clients: Clients,
    flow: str | None,
    stack: str | None = None,
    construct: str | None = None,
    *,
    require_active: bool = False,
) -> ResolvedFlow:
    """The flow definition named by ``--flow`` or ``--stack``/``--construct``.

    Raise CliError when it is missing, unknown, or (with ``require_active``) not Active.
    """
    if flow and stack:
        raise CliError("pass either --flow or --stack/--construct, not both")
    if construct and not stack:
        raise CliError("--construct needs --stack")
    if stack:
        flow = flow_arn_from_outputs(_stack_outputs(clients, stack), stack, construct)
    if not flow:
        raise CliError("no flow definition given: pass --flow NAME|ARN or --stack STACK")
    flow = flow.strip()
    match = FLOW_DEFINITION_ARN_PATTERN.match(flow)
    if match is not None:
        name, region = match["name"], match["region"]
    elif flow.startswith("arn:"):
        raise CliError(
            f"{flow!r} is not a flow definition ARN "
            "(arn:aws:sagemaker:REGION:ACCOUNT:flow-definition/NAME)"
        )
    elif is_valid_name(flow):
        name, region = flow, clients.region
    else:
        raise CliError(
            f"{flow!r} is not a flow definition name: names are 1-{NAME_MAX_LENGTH} characters "
            "of a-z, 0-9 and hyphens"
        )
    resolved = _describe(clients, name, region, arn=flow if match else None)
    if require_active and resolved.status not in (None, FLOW_ACTIVE):
        reason = f" ({resolved.failure_reason})" if resolved.failure_reason else ""
        raise CliError(
            f"flow definition {resolved.name} is {resolved.status}{reason}: human loops can "
            "only be started for an Active flow definition"
        )
    return resolved


def _describe(clients: Clients, name: str, region: str, arn: str | None) -> ResolvedFlow:
    sagemaker = clients.sagemaker(region)
    try:
        described, _ = call_with_retries(
            lambda: sagemaker.describe_flow_definition(FlowDefinitionName=name)
        )
    except ClientError as error:
        code = error_code(error)
        if code in {"ResourceNotFound", "ResourceNotFoundException"}:
            raise CliError(
                f"unknown flow definition {name!r} in {region}: check the name and --region "
                "(`aws sagemaker list-flow-definitions` lists them)"
            ) from None
        if arn is not None and code in {"AccessDenied", "AccessDeniedException"}:
            # Starting loops needs only sagemaker:StartHumanLoop: trust the ARN as given.
            return ResolvedFlow(arn=arn, name=name, region=region)
        raise
    found_arn = described["FlowDefinitionArn"]
    config: Any = described.get("HumanLoopConfig") or {}
    if arn is not None and found_arn != arn:
        raise CliError(
            f"unknown flow definition {arn}: {region} has {found_arn} under that name; "
            "check the account in the ARN and your credentials"
        )
    return ResolvedFlow(
        arn=found_arn,
        name=name,
        region=region,
        status=described.get("FlowDefinitionStatus"),
        failure_reason=described.get("FailureReason"),
        task_count=config.get("TaskCount"),
        task_price=dict(config["PublicWorkforceTaskPrice"])
        if config.get("PublicWorkforceTaskPrice")
        else None,
    )


_NESTED_STACK_TYPE: Final = "AWS::CloudFormation::Stack"
_GONE: Final = frozenset({"DELETE_COMPLETE", "DELETE_IN_PROGRESS"})


def _stack_outputs(clients: Clients, stack: str) -> list[dict[str, Any]]:
    """The outputs of ``stack`` and of its nested stacks, at any depth."""
    cloudformation = clients.cloudformation()
    outputs = _describe_outputs(cloudformation, stack)
    if outputs is None:
        raise CliError(
            f"stack {stack!r} does not exist in {clients.region}: check --stack and --region"
        )
    seen = {stack}
    pending = _nested_stacks(cloudformation, stack)
    while pending:
        nested = pending.pop(0)
        if nested in seen:
            continue
        seen.add(nested)
        outputs.extend(_describe_outputs(cloudformation, nested) or [])
        pending.extend(_nested_stacks(cloudformation, nested))
    return outputs


def _describe_outputs(cloudformation: Any, stack: str) -> list[dict[str, Any]] | None:
    """The outputs of ``stack``; None if it does not exist."""
    try:
        response, _ = call_with_retries(lambda: cloudformation.describe_stacks(StackName=stack))
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    stacks = response.get("Stacks") or []
    if not stacks:
        return None
    return list(stacks[0].get("Outputs") or [])


def _nested_stacks(cloudformation: Any, stack: str) -> list[str]:
    """The ids (ARNs) of the stacks nested in ``stack``, from ListStackResources.

    Without permission to list them (``cloudformation:ListStackResources``), none.
    """
    found: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"StackName": stack}
        if token:
            kwargs["NextToken"] = token
        try:
            page, _ = call_with_retries(partial(cloudformation.list_stack_resources, **kwargs))
        except ClientError as error:
            if error_code(error) in {"AccessDenied", "AccessDeniedException"}:
                return found
            raise
        for summary in page.get("StackResourceSummaries") or []:
            physical_id = summary.get("PhysicalResourceId")
            if (
                summary.get("ResourceType") == _NESTED_STACK_TYPE
                and physical_id
                and summary.get("ResourceStatus") not in _GONE
            ):
                found.append(str(physical_id))
        token = page.get("NextToken")
        if not token:
            return found


def _logical_prefix(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", path) + _OUTPUT_ID


def flow_arn_from_outputs(outputs: list[dict[str, Any]], stack: str, construct: str | None) -> str:
    """The flow definition ARN among a stack's ``outputs`` for the construct at ``construct``.

    Outputs are matched by their description (``ARN of the A2I flow definition <path>``), or,
    for outputs without one, by CDK's logical id (the path's letters and digits, then
    ``FlowDefinitionArn`` and a hash). An output without the description whose ARN another
    output already names (a cross-stack export, a nested stack's reference to the flow) is
    the same flow. Raise CliError when none or several match.
    """
    flows: dict[str, str] = {}  # construct path (or output key) -> ARN
    by_key: dict[str, str] = {}
    for output in outputs:
        key = str(output.get("OutputKey", ""))
        value = str(output.get("OutputValue", ""))
        description = str(output.get("Description") or "")
        if description.startswith(OUTPUT_DESCRIPTION_PREFIX):
            flows[description[len(OUTPUT_DESCRIPTION_PREFIX) :]] = value
        elif _OUTPUT_ID in key and FLOW_DEFINITION_ARN_PATTERN.match(value):
            by_key[key] = value
    described = set(flows.values())
    undescribed: dict[str, str] = {}  # one output key per ARN no description names
    for key, arn in sorted(by_key.items()):
        if arn not in described and arn not in undescribed.values():
            undescribed[key] = arn
    if construct is None:
        candidates = {**flows, **undescribed}
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        if not candidates:
            raise CliError(
                f"stack {stack!r} has no FlowDefinition output; is it the right stack and is "
                "it deployed?"
            )
        raise CliError(
            f"stack {stack!r} has {len(candidates)} flow definitions; pick one with "
            f"--construct ({', '.join(sorted(candidates))})"
        )
    wanted = construct.strip("/")
    matches = {
        path: arn for path, arn in flows.items() if path == wanted or path.endswith("/" + wanted)
    }
    if not matches:
        prefixes = {_logical_prefix(wanted)}
        if "/" in wanted:
            prefixes.add(_logical_prefix(wanted.split("/", 1)[1]))
        # CDK's logical id: the path below the stack without other characters, then an
        # 8-character hash.
        matches = {
            key: arn
            for key, arn in by_key.items()
            if any(key.startswith(p) and len(key) == len(p) + 8 for p in prefixes)
        }
    if len(set(matches.values())) == 1:
        return next(iter(matches.values()))
    known = sorted({**flows, **undescribed})
    if not matches:
        listing = f" (it has: {', '.join(known)})" if known else ""
        raise CliError(f"stack {stack!r} has no flow definition at {construct!r}{listing}")
    raise CliError(
        f"{construct!r} matches several flow definitions in stack {stack!r}: "
        f"{', '.join(sorted(matches))}; give the full construct path"
    )
