"""cdk-nag finding ids, so the library can acknowledge the findings its design implies.

cdk-nag 3 matches an acknowledgment by its exact id, such as
``AwsSolutions-IAM5[Resource::<OutputBucket1234ABCD.Arn>/a2i-output/*]``, and names each
IAM5 finding after the resource as it reads it in the policy's own template, flattened
(``utils/flatten-cfn-reference`` of cdk-nag): ``<LogicalId.Attribute>`` for ``Fn::GetAtt``,
``<Name>`` for ``Ref`` (``<AWS::Partition>``, or a nested stack's parameter), the export's
name for ``Fn::ImportValue``, the parts of ``Fn::Join`` joined.

How a resource reads there depends on where the pieces live and on the app's feature flags:
a bucket in the same stack is ``<Bucket1234ABCD.Arn>``, the same bucket seen from another
stack is an ``Fn::ImportValue`` of an export, from a nested stack's parent
``<NestedStackResource.Outputs.X>``, from inside a nested stack a parameter ``<referenceto...>``;
``@aws-cdk/core:enablePartitionLiterals`` writes ``aws`` for ``<AWS::Partition>``. So
:func:`acknowledge_resource` does not guess: it resolves the resource in the stack of the
acknowledging construct once the app is prepared (cross-stack references are then final),
flattens it as cdk-nag does and acknowledges that id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct, IValidation

from constructs_a2i.validation import is_token

__all__ = [
    "COMPLIANCE_PACKS",
    "acknowledge",
    "acknowledge_all",
    "acknowledge_compliance",
    "acknowledge_resource",
    "compliance_findings",
    "flatten_cfn_reference",
    "logical_id",
    "nag_arn",
    "objects_finding",
    "resource_finding",
]


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the cdk-nag ``rule`` (a finding id) on ``construct``, with ``reason``."""
    acknowledge_all(construct, {rule: reason})


def acknowledge_all(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge each finding id of ``reasons`` on ``construct`` with its reason.

    One call into the jsii kernel for them all (each call is a round trip, and a stack can
    hold dozens of flows with several acknowledgments each).
    """
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
    )


COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5")
"""The cdk-nag compliance packs whose findings :func:`acknowledge_compliance` acknowledges."""


def acknowledge_compliance(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` (such as ``LambdaDLQ``) of every pack in :data:`COMPLIANCE_PACKS`
    on ``construct`` (their finding ids are ``<pack>-<rule>``), with ``reason``."""
    acknowledge_all(construct, compliance_findings(rule, reason))


def compliance_findings(rule: str, reason: str) -> dict[str, str]:
    """``rule``'s finding id in every pack of :data:`COMPLIANCE_PACKS`, each with ``reason``
    (for :func:`acknowledge_all`)."""
    return {f"{pack}-{rule}": reason for pack in COMPLIANCE_PACKS}


def acknowledge_resource(
    construct: IConstruct, resource: str, reason: str, *, rule: str = "AwsSolutions-IAM5"
) -> None:
    """Acknowledge ``rule``'s finding for ``resource`` in the policies of ``construct``.

    ``resource`` is the policy statement's resource (an ARN, usually holding tokens). Its
    finding id (``AwsSolutions-IAM5[Resource::...]``) is computed when the app is
    synthesized, after aspects ran and cross-stack references were resolved: from
    ``resource`` resolved in the stack of ``construct`` (where its policy is, for a role or
    a user) and flattened as cdk-nag flattens it. So the acknowledgment holds wherever the
    resource is defined (this stack, another stack, a nested stack or its parent) and
    whatever the app's feature flags. It is added by a construct validation, so a synth
    with ``skip_validation`` has none.
    """
    construct.node.add_validation(_ResourceAcknowledgment(construct, rule, resource, reason))


def resource_finding(stack: Stack, resource: str, rule: str = "AwsSolutions-IAM5") -> str:
    """The id of ``rule``'s finding for ``resource`` as cdk-nag reports it in ``stack``.

    Final only once the app is prepared for synthesis (see :func:`acknowledge_resource`).
    """
    return f"{rule}[Resource::{flatten_cfn_reference(stack.resolve(resource))}]"


def flatten_cfn_reference(value: Any) -> str:
    """``value`` (resolved CloudFormation) as one string, as cdk-nag names resources.

    A port of cdk-nag 3's ``flattenCfnReference``: ``Fn::Join`` joins its parts,
    ``Fn::Sub`` keeps its string with ``${x}`` as ``<x>``, ``Fn::GetAtt`` is
    ``<Resource.Attribute>``, ``Fn::ImportValue`` is the export's name, ``Ref`` is
    ``<Name>``; anything else is its JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if value.get("Fn::Join"):
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(flatten_cfn_reference(item) for item in items)
        if value.get("Fn::Sub"):
            return flatten_cfn_reference(value["Fn::Sub"])
        if value.get("Fn::GetAtt"):
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if value.get("Fn::ImportValue"):
            return flatten_cfn_reference(value["Fn::ImportValue"])
        if value.get("Ref"):
            return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


@jsii.implements(IValidation)
class _ResourceAcknowledgment:
    """Acknowledges a resource's finding once the app is prepared; reports no error."""

    def __init__(self, construct: IConstruct, rule: str, resource: str, reason: str) -> None:
        self._construct = construct
        self._rule = rule
        self._resource = resource
        self._reason = reason
        self._done: set[str] = set()

    def validate(self) -> list[str]:
        finding = resource_finding(Stack.of(self._construct), self._resource, self._rule)
        if finding not in self._done:
            self._done.add(finding)
            acknowledge(self._construct, finding, self._reason)
        return []


def logical_id(construct: IConstruct) -> str:
    """The logical id of ``construct``'s CloudFormation resource."""
    child = construct.node.default_child
    assert child is not None, f"{construct.node.path} has no CloudFormation resource"
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(child)))  # type: ignore[arg-type]


def nag_arn(stack: Stack, service: str, resource: str) -> str:
    """An ARN of ``stack`` as cdk-nag prints it (unknown parts as ``<AWS::Name>``).

    Right only for a stack whose partition is not written as a literal (see
    :func:`acknowledge_resource`, which is right everywhere).
    """

    def part(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if is_token(value) else value

    partition = part(stack.partition, "Partition")
    region = part(stack.region, "Region")
    account = part(stack.account, "AccountId")
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def objects_finding(bucket: s3.IBucket, prefix: str) -> str | None:
    """The IAM5 finding id for ``<bucket>/<prefix>/*``, or None if it cannot be named.

    Right only where the policy is in the bucket's own stack, for buckets defined in the
    app (a logical id) and imported buckets whose ARN is a plain string; see
    :func:`acknowledge_resource`, which is right everywhere.
    """
    if bucket.node.default_child is not None:
        return f"AwsSolutions-IAM5[Resource::<{logical_id(bucket)}.Arn>/{prefix}/*]"
    if not is_token(bucket.bucket_arn):
        return f"AwsSolutions-IAM5[Resource::{bucket.bucket_arn}/{prefix}/*]"
    return None
