"""cdk-nag finding ids, so the library can acknowledge the findings its design implies.

cdk-nag names each IAM5 finding after the resource as it reads it in the template:
``<LogicalId.Arn>`` for an attribute, ``<AWS::Partition>`` for a pseudo parameter.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

__all__ = ["acknowledge", "logical_id", "nag_arn", "objects_finding"]


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the cdk-nag ``rule`` (a finding id) on ``construct``, with ``reason``."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The logical id of ``construct``'s CloudFormation resource."""
    child = construct.node.default_child
    assert child is not None, f"{construct.node.path} has no CloudFormation resource"
    stack = Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(child)))  # type: ignore[arg-type]


def nag_arn(stack: Stack, service: str, resource: str) -> str:
    """An ARN of ``stack`` as cdk-nag prints it (unknown parts as ``<AWS::Name>``)."""

    def part(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = part(stack.partition, "Partition")
    region = part(stack.region, "Region")
    account = part(stack.account, "AccountId")
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def objects_finding(bucket: s3.IBucket, prefix: str) -> str | None:
    """The IAM5 finding id for ``<bucket>/<prefix>/*``, or None if it cannot be named.

    Known for buckets defined in the app (a logical id) and for imported buckets whose
    ARN is a plain string.
    """
    if bucket.node.default_child is not None:
        return f"AwsSolutions-IAM5[Resource::<{logical_id(bucket)}.Arn>/{prefix}/*]"
    if not Token.is_unresolved(bucket.bucket_arn):
        return f"AwsSolutions-IAM5[Resource::{bucket.bucket_arn}/{prefix}/*]"
    return None
