"""The one custom-resource provider per stack that serves every ``FlowDefinition`` in it.

CloudFormation has no flow-definition type. The provider runs the handler in
``runtime/flow_definition_provider`` under the CDK ``Provider`` framework, whose Step
Functions waiter polls ``is_complete`` until the flow definition is Active.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from constructs_a2i.nag import acknowledge, logical_id, nag_arn
from constructs_a2i.packaged_function import (
    LOG_RETENTION,
    lambda_role,
    packaged_function,
    runtime_code,
    runtime_handler,
)

__all__ = [
    "FLOW_DEFINITION_RESOURCE_TYPE",
    "QUERY_INTERVAL",
    "SERVICE_TIMEOUT",
    "TOTAL_TIMEOUT",
    "FlowDefinitionProvider",
]

FLOW_DEFINITION_RESOURCE_TYPE = "Custom::A2IFlowDefinition"
"""The CloudFormation type of the flow-definition custom resource."""

_PROVIDER_ID = "A2IFlowDefinitionProvider"

# Bounds on every wait, so CloudFormation is never left waiting for an hour: the
# waiter gives up after TOTAL_TIMEOUT, CloudFormation itself after SERVICE_TIMEOUT.
QUERY_INTERVAL = Duration.seconds(10)
"""How often the waiter asks whether a flow definition is Active."""
TOTAL_TIMEOUT = Duration.minutes(20)
"""How long the waiter waits for a flow definition to become Active."""
SERVICE_TIMEOUT = Duration.minutes(30)
"""How long CloudFormation waits for the provider's answer (longer than the waiter)."""


class FlowDefinitionProvider(Construct):
    """The stack's flow-definition provider; get it with :meth:`of`.

    Its construct id (``A2IFlowDefinitionProvider``) is part of the library's contract:
    renaming it would replace every flow definition's provider.
    """

    @classmethod
    def of(cls, scope: Construct) -> FlowDefinitionProvider:
        """The provider of ``scope``'s stack, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(_PROVIDER_ID)
        if isinstance(existing, FlowDefinitionProvider):
            return existing
        return cls(stack, _PROVIDER_ID)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION)
        code = runtime_code("flow_definition_provider")
        self.role = lambda_role(
            self,
            "HandlerRole",
            description="Creates, waits for and deletes A2I flow definitions",
            log_group=self.log_group,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateFlowDefinition",
                    "sagemaker:DescribeFlowDefinition",
                    "sagemaker:DeleteFlowDefinition",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                    "sagemaker:ListTags",
                ],
                # Generated names get a per-deployment suffix, so they are not known here.
                resources=[stack.format_arn(service="sagemaker", resource="flow-definition/*")],
            )
        )
        self.on_event_function = packaged_function(
            self,
            "OnEvent",
            code=code,
            handler=runtime_handler("flow_definition_provider", "on_event"),
            role=self.role,
            log_group=self.log_group,
            # Room for the IAM-propagation retries of a brand-new role.
            timeout=Duration.minutes(5),
            description="A2I flow definitions: create, update and delete",
        )
        self.is_complete_function = packaged_function(
            self,
            "IsComplete",
            code=code,
            handler=runtime_handler("flow_definition_provider", "is_complete"),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.minutes(1),
            description="A2I flow definitions: wait until Active",
        )
        # The framework's own functions get roles of ours: with them the CDK adds no
        # AWS managed policy, and their logs go to the provider's log group only. The
        # waiter's functions need a role apart from onEvent's: onEvent starts the state
        # machine, which invokes them (one shared role would be a dependency cycle).
        self.framework_on_event_role = self._framework_role("FrameworkOnEventRole")
        self.framework_waiter_role = self._framework_role("FrameworkWaiterRole")
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.on_event_function,
            is_complete_handler=self.is_complete_function,
            query_interval=QUERY_INTERVAL,
            total_timeout=TOTAL_TIMEOUT,
            log_group=self.log_group,
            framework_on_event_role=self.framework_on_event_role,
            framework_complete_and_timeout_role=self.framework_waiter_role,
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=logs.LogGroup(self, "WaiterLogs", retention=LOG_RETENTION),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        self._acknowledge_findings()

    def _framework_role(self, id: str) -> iam.Role:
        return lambda_role(
            self,
            id,
            description="A CDK provider framework function for A2I flow definitions",
            log_group=self.log_group,
        )

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings that are inherent to a provider, each with its reason."""
        invoke_reason = (
            "The CDK provider framework invokes this function; the CDK grants "
            "lambda:InvokeFunction on the function and its versions (<function ARN>:*)."
        )
        waiter = self.provider.node.find_child("waiter-state-machine")
        framework_functions = [
            self.provider.node.find_child(name)
            for name in ("framework-isComplete", "framework-onTimeout")
        ]
        handlers = [self.on_event_function, self.is_complete_function]
        for granted_to, functions in (
            (self.framework_on_event_role, handlers),
            (self.framework_waiter_role, handlers),
            (waiter, framework_functions),
        ):
            for function in functions:
                rule = f"AwsSolutions-IAM5[Resource::<{logical_id(function)}.Arn>:*]"
                acknowledge(granted_to, rule, invoke_reason)
        acknowledge(
            waiter,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions log delivery (logs:CreateLogDelivery and friends) "
            "supports no resource-level permissions; AWS documents Resource '*'.",
        )
        acknowledge(
            self.provider,
            "AwsSolutions-SF2",
            "The waiter state machine only polls is_complete; every execution is "
            "logged in full (level ALL), X-Ray tracing would add cost and no insight.",
        )
        flow_definitions = nag_arn(Stack.of(self), "sagemaker", "flow-definition/*")
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{flow_definitions}]",
            "Flow definition names get a per-deployment suffix at deploy time, so "
            "the handler is allowed on this account's and Region's flow-definition/* "
            "only; iam:PassRole is granted on each flow's role ARN.",
        )

    @property
    def service_token(self) -> str:
        """The service token custom resources use to reach the provider."""
        return self.provider.service_token

    def grant_pass_role(self, role: iam.IRole) -> None:
        """Let the handler pass ``role`` to SageMaker (needed by CreateFlowDefinition)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
