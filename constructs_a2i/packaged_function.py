"""Lambda functions that run the package's own runtime code (``constructs_a2i/runtime``).

Each gets the same hardening: the package's Python runtime, a role of its own that may
write to its log group only (no AWS managed policy), and logs kept three months. Each can
run in the user's VPC (``vpc``, ``vpc_subnets``, ``security_groups``) and log to a log group
encrypted with the user's KMS key; without them, the compliance packs' findings for that
are acknowledged on the function or log group, with the reason.

Each function's asset is its runtime folder plus ``core`` (see :mod:`constructs_a2i.assets`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_a2i.assets import runtime_handler, stage_runtime
from constructs_a2i.nag import acknowledge, acknowledge_compliance
from constructs_a2i.validation import A2IValidationError

__all__ = [
    "DEFAULT_MEMORY_SIZE",
    "LAMBDA_MEMORY_SIZE",
    "LOG_RETENTION",
    "VPC_ENI_ACTIONS",
    "check_vpc_props",
    "handler_runtime",
    "lambda_role",
    "package_log_group",
    "packaged_function",
    "runtime_code",
    "runtime_handler",
]

VPC_ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
"""What a function's role needs to run in a VPC (the actions of AWS's managed
``AWSLambdaVPCAccessExecutionRole``, which the package's roles do not attach)."""

# Key actions CloudWatch Logs needs on a key that encrypts a log group (CloudWatch Logs user
# guide, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2: the key policy).
_LOGS_KEY_ACTIONS = [
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
]

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
"""How long the package's functions keep their logs."""
LAMBDA_MEMORY_SIZE = (128, 10240)
"""The memory sizes (MB) Lambda accepts, lowest and highest."""
DEFAULT_MEMORY_SIZE = 256
"""Memory (MB) of the package's functions that wait on one AWS call at a time (the
starter, which keeps many calls in flight, has its own default)."""


@cache
def handler_runtime() -> lambda_.Runtime:
    """The Lambda runtime of the package's handlers (the newest Python; boto3 is built in).

    Looked up on first use: reading ``Runtime.PYTHON_3_14`` is a call into the jsii kernel
    (about 50 ms), which importing this module should not pay.
    """
    return lambda_.Runtime.PYTHON_3_14


def __getattr__(name: str) -> Any:
    """``HANDLER_RUNTIME`` (kept for callers of earlier versions): :func:`handler_runtime`."""
    if name == "HANDLER_RUNTIME":
        return handler_runtime()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def runtime_code(folder: str) -> lambda_.Code:
    """The asset of ``constructs_a2i/runtime/<folder>``, shipped with ``core``."""
    return lambda_.Code.from_asset(str(stage_runtime(folder)))


def lambda_role(
    scope: Construct, id: str, *, description: str, log_group: logs.ILogGroup
) -> iam.Role:
    """A role Lambda assumes that may write to ``log_group`` and nothing else (yet)."""
    role = iam.Role(
        scope,
        id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )
    log_group.grant_write(role)
    acknowledge_compliance(
        role,
        "IAMNoInlinePolicy",
        "The aws-cdk-lib pattern: grants add least-privilege statements to the role's own "
        "policy (DefaultPolicy), attached to this one role; a managed policy would hold the "
        "same statements and could be attached to other principals.",
    )
    return role


def package_log_group(
    scope: Construct, id: str, *, encryption_key: kms.IKey | None = None
) -> logs.LogGroup:
    """A function's log group, kept :data:`LOG_RETENTION`, encrypted with ``encryption_key``.

    A key of this app (``kms.Key``) gets the key-policy statement that lets CloudWatch Logs
    use it for the log groups of this account and Region (``kms:EncryptionContext:aws:logs:arn``);
    an imported key's policy must allow that already. Without a key, CloudWatch Logs
    encrypts the logs with its own key and the packs' finding is acknowledged.
    """
    log_group = logs.LogGroup(scope, id, retention=LOG_RETENTION, encryption_key=encryption_key)
    if encryption_key is None:
        acknowledge_compliance(
            log_group,
            "CloudWatchLogGroupEncrypted",
            "CloudWatch Logs encrypts every log group at rest with its own keys; pass "
            "log_group_encryption_key to use a customer managed KMS key instead.",
        )
        return log_group
    stack = Stack.of(log_group)
    encryption_key.add_to_resource_policy(
        iam.PolicyStatement(
            actions=_LOGS_KEY_ACTIONS,
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return log_group


def check_vpc_props(
    where: str,
    vpc: ec2.IVpc | None,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> None:
    """Refuse ``vpc_subnets`` or ``security_groups`` without a ``vpc``."""
    if vpc is None:
        for prop, value in (("vpc_subnets", vpc_subnets), ("security_groups", security_groups)):
            if value is not None:
                raise A2IValidationError(f"{where}: {prop} needs a vpc; give vpc as well")


def packaged_function(
    scope: Construct,
    id: str,
    *,
    code: lambda_.Code,
    handler: str,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    timeout: Duration,
    description: str,
    environment: Mapping[str, str] | None = None,
    vpc: ec2.IVpc | None = None,
    vpc_subnets: ec2.SubnetSelection | None = None,
    security_groups: Sequence[ec2.ISecurityGroup] | None = None,
    memory_size: int = DEFAULT_MEMORY_SIZE,
    **props: Any,
) -> lambda_.Function:
    """A function running package code with the package's runtime, ``memory_size`` MB.

    With ``vpc``, it runs in ``vpc_subnets`` of it (default: the private subnets) with
    ``security_groups`` (default: a new group that allows all outbound traffic), and its
    role gets :data:`VPC_ENI_ACTIONS`. Without, the packs' LambdaInsideVPC is acknowledged.
    """
    if vpc is None and (vpc_subnets is not None or security_groups is not None):
        check_vpc_props(f"{scope.node.path}/{id}", vpc, vpc_subnets, security_groups)
    if vpc is not None:
        # Lambda checks at CreateFunction that the role may manage the function's network
        # interfaces; EC2 takes no resource-level permission for the Describe actions.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(VPC_ENI_ACTIONS), resources=["*"])
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Lambda creates and deletes the network interfaces of a function in a VPC with "
            "the function's role; these EC2 actions are what AWS's AWSLambdaVPCAccessExecution"
            "Role allows, on '*' as it does.",
        )
    function = lambda_.Function(
        scope,
        id,
        runtime=handler_runtime(),
        handler=handler,
        code=code,
        role=role,
        timeout=timeout,
        memory_size=memory_size,
        environment=dict(environment) if environment else None,
        log_group=log_group,
        description=description,
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        security_groups=list(security_groups) if security_groups is not None else None,
        **props,
    )
    if vpc is not None:
        function.node.add_dependency(role)  # its policy, with the ENI actions, comes first
    else:
        acknowledge_compliance(
            function,
            "LambdaInsideVPC",
            "The function calls public AWS endpoints only (SageMaker, the A2I runtime, S3, "
            "SQS); a VPC adds NAT or endpoint cost. Pass vpc to run it in yours.",
        )
    return function
