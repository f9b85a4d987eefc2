"""Deliver each finished human loop, with its parsed answers, to the user's queue."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_a2i.core import metrics
from constructs_a2i.flow_definition import HUMAN_LOOP_FINAL_STATUSES, IFlowDefinition
from constructs_a2i.loop_metrics import AVERAGE, SUM, loop_metric
from constructs_a2i.nag import (
    acknowledge,
    acknowledge_all,
    acknowledge_resource,
    compliance_findings,
)
from constructs_a2i.packaged_function import (
    lambda_role,
    package_log_group,
    packaged_function,
    runtime_code,
    runtime_handler,
)
from constructs_a2i.queues import DEAD_LETTER_RETENTION, secure_queue
from constructs_a2i.validation import A2IValidationError

__all__ = [
    "EVENT_MAX_AGE",
    "EVENT_RETRY_ATTEMPTS",
    "FUNCTION_RETRY_ATTEMPTS",
    "HumanLoopResults",
]

EVENT_RETRY_ATTEMPTS = 8
"""EventBridge's retries of an event it could not hand to the function (the rule target's
``MaximumRetryAttempts``)."""
EVENT_MAX_AGE = Duration.hours(6)
"""How long EventBridge keeps trying to hand an event over, and how long Lambda keeps it in
the function's asynchronous queue (``MaximumEventAgeInSeconds`` of both)."""
FUNCTION_RETRY_ATTEMPTS = 2
"""Lambda's retries of an event the function failed on (the most Lambda allows)."""


class HumanLoopResults(Construct):
    """For every finished loop, one message with its status and human answers.

    ::

        HumanLoopResults(stack, "Results", flow_definition=flow, destination=results_queue)

    A Lambda, triggered by the flow's ``SageMaker A2I HumanLoop Status Change`` events,
    reads ``output.json`` from the output bucket (for Completed loops) and sends one
    message with ``humanLoopName``, ``status``, ``failureCode``, ``failureReason``,
    ``outputS3Uri``, ``inputContent`` and ``humanAnswers``.

    Nothing is lost, in two stages, both ending in ``dead_letter_queue``:

    1. EventBridge hands each event to the function (an asynchronous invoke). If it cannot
       (the function missing, no permission, the invoke throttled), it retries up to
       :data:`EVENT_RETRY_ATTEMPTS` times for up to :data:`EVENT_MAX_AGE`, then puts the event
       in ``dead_letter_queue`` (the rule target's dead-letter queue).
    2. Once Lambda has accepted the event, the function's own errors (S3 or SQS errors, an
       ``output.json`` that cannot be read, a timeout) are retried by Lambda
       :data:`FUNCTION_RETRY_ATTEMPTS` times (after about one and then two minutes; throttled
       events are kept up to :data:`EVENT_MAX_AGE`); then Lambda sends an invocation record,
       the event (``requestPayload``) with the error (``responsePayload``), to
       ``dead_letter_queue`` (the function's on-failure destination).

    Everything it makes is in its own scope, the EventBridge rule (``rule``, matching the
    flow's ARN) included, and the flow gains nothing: it may be in another stack than the
    flow (a nested stack, its parent, or a sibling stack in the same account and Region),
    and several of them may follow one flow.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        flow_definition: IFlowDefinition,
        destination: sqs.IQueue,
        statuses: Sequence[str] = HUMAN_LOOP_FINAL_STATUSES,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        log_group_encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param flow_definition: the flow whose loops are reported; its output bucket and
            key are read. A :class:`~constructs_a2i.flow_definition.FlowDefinition`, or an
            import that names its bucket
            (:meth:`~constructs_a2i.flow_definition.FlowDefinition.from_flow_definition_attributes`).
        :param destination: the queue that receives one message per finished loop
            (standard or FIFO).
        :param statuses: which endings to report. Default: Completed, Failed and Stopped.
        :param vpc: the VPC the function runs in; its subnets need a route to S3 and SQS
            (a NAT gateway, or an S3 gateway endpoint and an SQS interface endpoint). S3 and
            SQS call KMS on the function's behalf, and Lambda delivers the logs, with the
            metrics in them, outside the VPC. Default: none (Lambda's own network).
        :param vpc_subnets: the function's subnets in ``vpc``. Default: the VPC's private
            subnets.
        :param security_groups: the function's security groups. Default: a new group that
            allows all outbound traffic.
        :param log_group_encryption_key: a KMS key that encrypts the function's log group; a
            key of this app gets the key-policy statement that lets CloudWatch Logs use it.
            Default: CloudWatch Logs' own encryption.
        """
        super().__init__(scope, id)
        self.flow_definition = flow_definition
        """The flow whose loops this construct handles (its metrics' dimension)."""
        output_bucket, output_prefix = flow_definition.output_bucket, flow_definition.output_prefix
        if output_bucket is None or output_prefix is None:
            raise A2IValidationError(
                f"{self.node.path}: the output bucket of {flow_definition.node.path} is not "
                "known; import the flow with FlowDefinition.from_flow_definition_attributes("
                "..., output_bucket=..., output_prefix=...)"
            )
        # Checked before anything is created.
        pattern = flow_definition.human_loop_status_change_pattern(statuses)
        self.dead_letter_queue = secure_queue(
            self, "DeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )
        self.log_group = package_log_group(self, "Logs", encryption_key=log_group_encryption_key)
        role = lambda_role(
            self,
            "Role",
            description="Delivers finished A2I human loops and their answers",
            log_group=self.log_group,
        )
        self.function = packaged_function(
            self,
            "Function",
            code=runtime_code("human_loop_results"),
            handler=runtime_handler("human_loop_results"),
            role=role,
            log_group=self.log_group,
            timeout=Duration.seconds(30),
            environment={
                "FLOW_DEFINITION_ARN": flow_definition.flow_definition_arn,
                "DESTINATION_QUEUE_URL": destination.queue_url,
            },
            description="Delivers each finished A2I human loop with its answers",
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
        )
        # An on-failure destination rather than the function's DeadLetterConfig: its record
        # carries the error as well as the event. Lambda takes destinations "in addition to
        # or instead of" a dead-letter queue; both on one queue would hold each failure twice.
        self.function.configure_async_invoke(
            retry_attempts=FUNCTION_RETRY_ATTEMPTS,
            max_event_age=EVENT_MAX_AGE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        acknowledge_all(
            self.function,
            {
                **compliance_findings(
                    "LambdaDLQ",
                    "Failed events go to an on-failure destination (dead_letter_queue), Lambda's "
                    "newer mechanism, whose record carries the error with the event (cdk-nag's "
                    "LambdaAsyncFailureDestination); a DeadLetterConfig as well would hold each "
                    "twice.",
                ),
                **compliance_findings(
                    "LambdaConcurrency",
                    "It makes one S3 read and one SQS send per finished loop, under no tight "
                    "quota; reserved concurrency would take from the account's unreserved pool, "
                    "and Lambda keeps throttled events for up to six hours anyway.",
                ),
            },
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue: of the EventBridge rule's target and the "
            "function's on-failure destination, which cdk-nag does not recognise as DLQ uses.",
        )
        # GetObject on the results only (grant_read_results would add ListBucket as well).
        results = output_bucket.arn_for_objects(f"{output_prefix}/*")
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[results])
        )
        if flow_definition.encryption_key is not None:
            flow_definition.encryption_key.grant_decrypt(role)
        acknowledge_resource(
            role,
            results,
            "The function reads output.json files that A2I writes under keys it chooses "
            "below the output prefix; s3:GetObject is allowed there only.",
        )
        destination.grant_send_messages(self.function)
        # In this construct's scope, not the flow's: a rule beside the flow that targets a
        # function here would make the flow's stack and this one depend on each other.
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"A2I human loops of {flow_definition.node.path} that ended",
            event_pattern=pattern,
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function,
                retry_attempts=EVENT_RETRY_ATTEMPTS,
                max_event_age=EVENT_MAX_AGE,
                dead_letter_queue=self.dead_letter_queue,
            )
        )

    def metric_loops_completed(
        self,
        *,
        statistic: str = SUM,
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """Loops of the flow that completed.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.LOOPS_COMPLETED, statistic=statistic, period=period
        )

    def metric_loops_failed(
        self,
        *,
        statistic: str = SUM,
        period: Duration | None = None,
        failure_code: str | None = None,
    ) -> cloudwatch.Metric:
        """Loops of the flow that failed, all or those with one ``failure_code``.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition,
            metrics.LOOPS_FAILED,
            statistic=statistic,
            period=period,
            failure_code=failure_code,
        )

    def metric_loops_stopped(
        self,
        *,
        statistic: str = SUM,
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """Loops of the flow that were stopped.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.LOOPS_STOPPED, statistic=statistic, period=period
        )

    def metric_time_to_complete(
        self,
        *,
        statistic: str = "p50",
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """Seconds from a loop's creation to its completion.

        Default statistic: p50; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.TIME_TO_COMPLETE, statistic=statistic, period=period
        )

    def metric_answers_per_loop(
        self,
        *,
        statistic: str = AVERAGE,
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """Answers per finished loop.

        Default statistic: Average; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.ANSWERS_PER_LOOP, statistic=statistic, period=period
        )
