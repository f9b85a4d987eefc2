"""The one custom-resource provider per stack that serves every ``FlowDefinition`` in it.

CloudFormation has no flow-definition type. One Lambda function (the handler in
``runtime/flow_definition_provider``) is the ``ServiceToken`` of every
``Custom::A2IFlowDefinition`` in the stack: it speaks the custom-resource protocol
itself, waits for each flow definition within its own invocation and answers
CloudFormation's presigned URL. Four resources per stack: the function, its role, the
role's policy and a log group; none per flow definition.

Its VPC and log-group key are the stack's flows' ``vpc``, ``vpc_subnets``,
``security_groups`` and ``provider_log_group_encryption_key`` (:class:`ProviderSettings`),
which every flow of the stack must give alike.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, fields

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.names import NAME_MAX_LENGTH, name_part
from constructs_a2i.nag import (
    acknowledge_all,
    acknowledge_resource,
    compliance_findings,
)
from constructs_a2i.packaged_function import (
    check_vpc_props,
    lambda_role,
    package_log_group,
    packaged_function,
    runtime_code,
    runtime_handler,
)

__all__ = [
    "FLOW_DEFINITION_RESOURCE_TYPE",
    "FUNCTION_TIMEOUT",
    "SERVICE_TIMEOUT",
    "SERVICE_TIMEOUT_SECONDS",
    "FlowDefinitionProvider",
    "ProviderSettings",
]

FLOW_DEFINITION_RESOURCE_TYPE = "Custom::A2IFlowDefinition"
"""The CloudFormation type of the flow-definition custom resource."""

_PROVIDER_ID = "A2IFlowDefinitionProvider"
# Each stack's provider, found without asking the jsii kernel again for every flow.
_PROVIDERS: weakref.WeakKeyDictionary[Stack, FlowDefinitionProvider] = weakref.WeakKeyDictionary()

# Bounds on every wait, so CloudFormation is never left waiting for an hour: the handler
# answers FAILED 30 s before FUNCTION_TIMEOUT at the latest, CloudFormation gives up
# after SERVICE_TIMEOUT (room for one retried invocation after a crash).
FUNCTION_TIMEOUT = Duration.minutes(15)
"""The provider function's timeout (Lambda's longest)."""
SERVICE_TIMEOUT_SECONDS = 30 * 60
"""How long CloudFormation waits for the provider's answer, in seconds (each flow's
``ServiceTimeout``)."""
SERVICE_TIMEOUT = Duration.seconds(SERVICE_TIMEOUT_SECONDS)
"""``SERVICE_TIMEOUT_SECONDS`` as a ``Duration``."""

# The readable part of a generated name is at most 45 characters: NAME_MAX_LENGTH less
# the construct's 8-character path hash, the handler's 8-character request suffix and
# their two hyphens (see flow_definition.py and core/names.generated_name).
_READABLE_MAX_LENGTH = NAME_MAX_LENGTH - 2 * 9

_MANAGE_ACTIONS = [
    "sagemaker:CreateFlowDefinition",
    "sagemaker:DescribeFlowDefinition",
    "sagemaker:DeleteFlowDefinition",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
    "sagemaker:ListTags",
]


@dataclass(frozen=True)
class ProviderSettings:
    """Where the stack's provider function runs and what encrypts its logs.

    Each ``FlowDefinition`` gives its own; all flows of a stack must give the same, since
    one function serves them all (:meth:`FlowDefinitionProvider.of` refuses a difference).
    """

    vpc: ec2.IVpc | None = None
    """The VPC the function runs in. Default: none (Lambda's own network)."""
    vpc_subnets: ec2.SubnetSelection | None = None
    """Its subnets in ``vpc``. Default: the VPC's private subnets."""
    security_groups: tuple[ec2.ISecurityGroup, ...] | None = None
    """Its security groups. Default: a new one that allows all outbound traffic."""
    log_group_encryption_key: kms.IKey | None = None
    """Encrypts its log group. Default: CloudWatch Logs' own encryption."""

    @classmethod
    def of(
        cls,
        *,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        log_group_encryption_key: kms.IKey | None = None,
    ) -> ProviderSettings:
        """The settings, ``security_groups`` as a tuple (so two lists of the same compare equal)."""
        return cls(
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=tuple(security_groups) if security_groups is not None else None,
            log_group_encryption_key=log_group_encryption_key,
        )

    def differences(self, other: ProviderSettings) -> list[str]:
        """The names of the settings that differ between ``self`` and ``other``."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


class FlowDefinitionProvider(Construct):
    """The stack's flow-definition provider; get it with :meth:`of`.

    Its construct id (``A2IFlowDefinitionProvider``) and its function's path
    (``Provider/framework-onEvent``, the entry point of the previous design, which ran
    under the CDK Provider framework) are part of the library's contract: they fix the
    function's logical id, so its ARN, the ``ServiceToken`` of every flow definition,
    stays the same across versions. CloudFormation cannot change a custom resource's
    ``ServiceToken``.
    """

    @classmethod
    def of(
        cls, scope: Construct, settings: ProviderSettings | None = None
    ) -> FlowDefinitionProvider:
        """The provider of ``scope``'s stack, created on first use with ``settings``.

        With ``settings``, an existing provider must have been created with the same ones
        (the stack's flows share it); otherwise an ``A2IValidationError`` names the
        settings that differ and the flow that set them first.
        """
        stack = Stack.of(scope)
        provider = _PROVIDERS.get(stack)
        if provider is None:
            existing = stack.node.try_find_child(_PROVIDER_ID)
            if isinstance(existing, FlowDefinitionProvider):
                provider = existing
            else:
                provider = cls(stack, _PROVIDER_ID, settings=settings, requested_by=scope.node.path)
            _PROVIDERS[stack] = provider
        if settings is not None:
            provider._check_agrees(scope, settings)
        return provider

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ProviderSettings | None = None,
        requested_by: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.settings = settings or ProviderSettings()
        """The function's VPC and log-group key, as the stack's first flow gave them."""
        self._requested_by = requested_by or self.node.path
        check_vpc_props(
            self._requested_by,
            self.settings.vpc,
            self.settings.vpc_subnets,
            self.settings.security_groups,
        )
        self.log_group = package_log_group(
            self, "Logs", encryption_key=self.settings.log_group_encryption_key
        )
        self.role = lambda_role(
            self,
            "HandlerRole",
            description="Creates, waits for and deletes A2I flow definitions",
            log_group=self.log_group,
        )
        self._stack = Stack.of(self)
        stack_prefix = name_part(self._stack.node.path, _READABLE_MAX_LENGTH)
        self._generated_names = f"{stack_prefix}-*" if stack_prefix else "*"
        self._manage: iam.PolicyStatement | None = None
        self._pass_role: iam.PolicyStatement | None = None
        self._names: set[str] = set()
        self._service_token: str | None = None
        self.function: lambda_.Function = packaged_function(
            Construct(self, "Provider"),
            "framework-onEvent",
            code=runtime_code("flow_definition_provider"),
            handler=runtime_handler("flow_definition_provider", "handler"),
            role=self.role,
            log_group=self.log_group,
            timeout=FUNCTION_TIMEOUT,
            description="A2I flow definitions: create, wait until Active, update and delete",
            vpc=self.settings.vpc,
            vpc_subnets=self.settings.vpc_subnets,
            security_groups=self.settings.security_groups,
        )
        acknowledge_all(
            self.function,
            {
                **compliance_findings(
                    "LambdaDLQ",
                    "CloudFormation invokes this custom-resource handler and waits for its answer "
                    "at a presigned URL; a failure fails the stack's resource (ServiceTimeout), "
                    "and a dead-letter queue would store that URL, which the handler never logs "
                    "or keeps.",
                ),
                **compliance_findings(
                    "LambdaConcurrency",
                    "Invoked only by CloudFormation, once per flow-definition change; reserving "
                    "concurrency would take from the account's unreserved pool and fail "
                    "deployments in accounts with a low concurrency limit, and protect no quota.",
                ),
            },
        )

    def _check_agrees(self, scope: Construct, settings: ProviderSettings) -> None:
        differing = self.settings.differences(settings)
        if differing:
            raise A2IValidationError(
                f"{scope.node.path}: {', '.join(differing)} differ from what "
                f"{self._requested_by} gave the stack's flow-definition provider; one "
                f"function serves every flow definition of stack {Stack.of(self).node.path}, "
                "so give all of them the same vpc, vpc_subnets, security_groups and "
                "provider_log_group_encryption_key"
            )

    @property
    def service_token(self) -> str:
        """The service token custom resources use to reach the provider: its function's ARN."""
        if self._service_token is None:
            self._service_token = self.function.function_arn
        return self._service_token

    def grant_flow_definition(self, flow_definition_name: str | None = None) -> None:
        """Let the function manage one flow definition of this stack.

        ``flow_definition_name`` is its fixed name; ``None`` stands for a generated
        name. Generated names all begin with the stack's path (``core.names``), so they
        are allowed as ``<stack path>-*``: every name the stack's flows can have,
        whichever flows it holds now, so a flow removed from the stack can still be
        deleted after the policy has been updated without it.
        """
        pattern = self._generated_names if flow_definition_name is None else flow_definition_name
        if pattern in self._names:
            return
        self._names.add(pattern)
        resource = self._stack.format_arn(
            service="sagemaker", resource=f"flow-definition/{pattern}"
        )
        if self._manage is None:
            self._manage = iam.PolicyStatement(actions=_MANAGE_ACTIONS, resources=[resource])
            self.role.add_to_principal_policy(self._manage)
        else:
            self._manage.add_resources(resource)
        if pattern.endswith("*"):
            acknowledge_resource(
                self.role,
                resource,
                "The handler appends a suffix per CloudFormation request to each generated "
                "flow definition name, so it is allowed on the names this stack's flows "
                "can have (the stack's name prefix and '-*') in this account and Region; "
                "fixed names are listed one by one.",
            )

    def grant_pass_role(self, role: iam.IRole) -> None:
        """Let the handler pass ``role`` to SageMaker (needed by CreateFlowDefinition).

        One statement lists every flow's role (fewer calls into the jsii kernel per flow).
        """
        if self._pass_role is None:
            self._pass_role = iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
            self.role.add_to_principal_policy(self._pass_role)
        else:
            self._pass_role.add_resources(role.role_arn)
