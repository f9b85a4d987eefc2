"""Start human loops from events, exactly once per input.

Every source (an SQS queue, S3 uploads, EventBridge events) delivers into one SQS queue
with a dead-letter queue; the starter Lambda (``runtime/human_loop_starter``) consumes it
with partial batch responses, so a redelivered or duplicated input never starts a
second loop and a failed one is retried and then parked in the dead-letter queue.

Concurrency is capped where it cannot starve the queue: at the event source
(``max_concurrent_invocations``, SQS's MaximumConcurrency), which stops polling at the cap,
rather than with reserved concurrency, which throttles invocations of batches already received
and so spends their receive count (see :data:`DEFAULT_MAX_RECEIVE_COUNT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Annotations, Aspects, Duration, IAspect, aws_s3, aws_sqs
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct, IConstruct

from constructs_a2i.core import metrics
from constructs_a2i.core.activation import Activation
from constructs_a2i.core.limits import CONTENT_CLASSIFIERS
from constructs_a2i.core.starter_settings import (
    DEFAULT_ON_CONFLICT,
    ON_CONFLICT_CHOICES,
    StarterSettings,
)
from constructs_a2i.flow_definition import IFlowDefinition
from constructs_a2i.loop_metrics import SUM, loop_metric
from constructs_a2i.nag import acknowledge_all, compliance_findings
from constructs_a2i.packaged_function import (
    LAMBDA_MEMORY_SIZE,
    lambda_role,
    package_log_group,
    packaged_function,
    runtime_code,
    runtime_handler,
)
from constructs_a2i.queues import (
    DEAD_LETTER_RETENTION,
    lambda_source_visibility_timeout,
    secure_queue,
)
from constructs_a2i.validation import A2IValidationError, check_int_range, is_token

__all__ = [
    "CONTENT_CLASSIFIERS",
    "DEFAULT_MAX_RECEIVE_COUNT",
    "ON_CONFLICT_CHOICES",
    "STARTER_MEMORY_SIZE",
    "Activation",
    "HumanLoopStarter",
    "StarterSource",
]

_FUNCTION_TIMEOUT = Duration.minutes(1)

STARTER_MEMORY_SIZE = 1024
"""The starter function's default memory in MB: its threads keep up to ``max_concurrency``
calls in flight, so its CPU share (memory / 1769 MB) decides how fast a batch goes
(``bench/starter_memory.py``'s throughput-per-cost curve, in the benchmarks guide)."""

DEFAULT_MAX_RECEIVE_COUNT = 20
"""Receives before a message of the starter's own queue goes to its dead-letter queue.

A message that fails returns to the queue only when its visibility timeout (six times the
function's timeout, 6 minutes) ends, so 20 receives keep a good message out of the dead-letter
queue through at least 20 x 6 = 120 minutes of A2I throttling that outlasts the in-invocation
retries, or of a full human-loops-in-progress quota (ServiceQuotaExceededException), where
AWS's general advice of 5 would give up after 30. Lambda throttling no longer spends receives:
``max_concurrent_invocations`` stops the event source from receiving what it cannot invoke.
The price: a malformed message (which fails on every delivery) reaches the dead-letter queue
after those same 20 receives, about 2 hours, instead of 30 minutes."""

MAX_CONCURRENT_INVOCATIONS_RANGE = (2, 1000)
"""The SQS event source's MaximumConcurrency (Lambda API reference, ScalingConfig)."""


class StarterSource:
    """Where the inputs of human loops come from. Use the factories."""

    def __init__(
        self,
        *,
        queue: aws_sqs.IQueue | None = None,
        bucket: aws_s3.IBucket | None = None,
        prefix: str | None = None,
        suffix: str | None = None,
        event_pattern: events.EventPattern | None = None,
        event_bus: events.IEventBus | None = None,
    ) -> None:
        self._queue = queue
        self._bucket = bucket
        self._prefix = prefix
        self._suffix = suffix
        self._event_pattern = event_pattern
        self._event_bus = event_bus

    @classmethod
    def sqs(cls, queue: aws_sqs.IQueue | None = None) -> StarterSource:
        """JSON messages sent to an SQS queue.

        :param queue: your queue (give it a dead-letter queue). Default: a new encrypted
            queue with a dead-letter queue.
        """
        return cls(queue=queue)

    @classmethod
    def s3(
        cls, bucket: aws_s3.IBucket, *, prefix: str | None = None, suffix: str | None = None
    ) -> StarterSource:
        """Objects created in ``bucket`` (through its EventBridge notifications), optionally
        under ``prefix`` and ending in ``suffix``.

        A bucket of this app (``aws_s3.Bucket``) gets EventBridge notifications turned on in
        its own ``NotificationConfiguration`` property: no custom resource, no extra Lambda
        function. (If the bucket also has ``add_event_notification`` notifications, the CDK's
        notifications resource owns that configuration, and EventBridge is turned on there.)
        An imported bucket is not changed: turn its EventBridge notifications on where it is
        managed (a synth warning says so)."""
        return cls(bucket=bucket, prefix=prefix, suffix=suffix)

    @classmethod
    def event_bridge(
        cls, *, event_pattern: events.EventPattern, event_bus: events.IEventBus | None = None
    ) -> StarterSource:
        """EventBridge events that match ``event_pattern``; each event's ``detail`` is the
        input. Default bus: the account's default event bus."""
        return cls(event_pattern=event_pattern, event_bus=event_bus)

    @property
    def kind(self) -> str:
        """``s3``, ``event-bridge`` or ``sqs``: what the starter's queue carries."""
        if self._bucket is not None:
            return "s3"
        return "event-bridge" if self._event_pattern is not None else "sqs"

    @property
    def is_s3(self) -> bool:
        """True for a source of S3 uploads."""
        return self._bucket is not None

    @property
    def queue(self) -> aws_sqs.IQueue | None:
        """The user's queue, for an SQS source that brings one."""
        return self._queue

    def _bind(self, scope: Construct, queue: aws_sqs.IQueue) -> events.Rule | None:
        """Route this source's events into ``queue``; returns the rule, if any."""
        if self._bucket is not None:
            _turn_on_event_bridge(scope, self._bucket)
            key: dict[str, Any] = {}
            if self._prefix and self._suffix:
                key = {"wildcard": f"{self._prefix}*{self._suffix}"}
            elif self._prefix:
                key = {"prefix": self._prefix}
            elif self._suffix:
                key = {"suffix": self._suffix}
            detail: dict[str, Any] = {"bucket": {"name": [self._bucket.bucket_name]}}
            if key:
                detail["object"] = {"key": [key]}
            pattern = events.EventPattern(
                source=["aws.s3"], detail_type=["Object Created"], detail=detail
            )
            return events.Rule(
                scope,
                "SourceRule",
                event_pattern=pattern,
                targets=[targets.SqsQueue(queue)],
                description="S3 uploads that start A2I human loops",
            )
        if self._event_pattern is not None:
            return events.Rule(
                scope,
                "SourceRule",
                event_pattern=self._event_pattern,
                event_bus=self._event_bus,
                targets=[targets.SqsQueue(queue)],
                description="EventBridge events that start A2I human loops",
            )
        return None


class HumanLoopStarter(Construct):
    """A Lambda that starts one human loop per input, from SQS, S3 or EventBridge.

    ::

        starter = HumanLoopStarter(stack, "Starter", flow_definition=flow,
            source=StarterSource.s3(bucket, prefix="in/", suffix=".png"),
            activation=Activation.below("$.prediction.confidence", 0.8))

    The loop name is derived from the input's identity (``id_field`` when given, else a
    hash of the content; for S3 the bucket, key and version or ETag), so a duplicate
    never starts a second loop. Messages that cannot start a loop are retried
    ``max_receive_count`` times and then land in the dead-letter queue.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        flow_definition: IFlowDefinition,
        source: StarterSource | None = None,
        activation: Activation | None = None,
        input_content: str | None = None,
        id_field: str | None = None,
        content_classifiers: Sequence[str] = (),
        batch_size: int = 10,
        max_batching_window: Duration | None = None,
        max_concurrency: int = 10,
        max_concurrent_invocations: int | None = None,
        reserved_concurrency: int | None = None,
        max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
        loop_name_prefix: str | None = None,
        on_conflict: str = DEFAULT_ON_CONFLICT,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        log_group_encryption_key: kms.IKey | None = None,
        memory_size: int = STARTER_MEMORY_SIZE,
    ) -> None:
        """
        :param flow_definition: the flow whose loops are started.
        :param source: where inputs come from. Default: ``StarterSource.sqs()``.
        :param activation: start a loop only when this holds. Default: always.
        :param input_content: path of the part of the message that becomes the loop's
            InputContent. Default: the whole message (for S3: a reference to the object).
        :param id_field: path of a caller-supplied id in the message. Default: a hash of
            the content identifies the input.
        :param content_classifiers: ``FreeOfPersonallyIdentifiableInformation`` and/or
            ``FreeOfAdultContent`` (required by the public crowd). Default: none.
        :param batch_size: messages per invocation, 1-10. Default: 10.
        :param max_batching_window: how long Lambda gathers a batch. Default: none.
        :param max_concurrency: concurrent StartHumanLoop calls per invocation, 1-100.
            Default: 10.
        :param max_concurrent_invocations: the most invocations the queue's event source runs
            at once, 2-1000 (its MaximumConcurrency), to stay under the account's
            StartHumanLoop quota: at most this times ``max_concurrency`` calls at once.
            Default: no limit (Lambda's own scaling, up to 1,000).
        :param reserved_concurrency: deprecated; use ``max_concurrent_invocations``. Reserved
            concurrency throttles invocations of batches already received, which spends their
            receives and sends good messages to the dead-letter queue; given, it sets
            ``max_concurrent_invocations`` instead (with a synth warning) and reserves nothing.
        :param max_receive_count: deliveries before a message goes to the dead-letter
            queue (new queues only), 1-1000. Default: 20 (see ``DEFAULT_MAX_RECEIVE_COUNT``).
        :param loop_name_prefix: up to 20 characters that start every loop name.
            Default: none.
        :param on_conflict: what becomes of a message whose ``id_field`` names a loop that
            exists with different input (A2I's ConflictException; it is never reviewed):
            ``"succeed"`` logs a WARNING (outcome ``conflict``) and deletes it; ``"fail"``
            returns it to the queue on every delivery, so it reaches the dead-letter queue.
            Default: ``"succeed"``.
        :param vpc: the VPC the function runs in; its subnets need a route to the A2I
            runtime (a NAT gateway, or a VPC endpoint for it where AWS offers one). Lambda
            itself polls the queue and delivers the logs, with the metrics in them, outside
            the VPC. Default: none (Lambda's own network).
        :param vpc_subnets: the function's subnets in ``vpc``. Default: the VPC's private
            subnets.
        :param security_groups: the function's security groups. Default: a new group that
            allows all outbound traffic.
        :param log_group_encryption_key: a KMS key that encrypts the function's log group; a
            key of this app gets the key-policy statement that lets CloudWatch Logs use it.
            Default: CloudWatch Logs' own encryption.
        :param memory_size: the function's memory in MB (128-10240); Lambda gives it CPU in
            proportion (a full vCPU at 1769 MB). Default: 1024, the best throughput per cost
            of ``bench/starter_memory.py``'s curve that keeps a batch of 10 at least 5x faster
            than one-by-one calls at 50 ms of API latency (256 MB makes the starter CPU-bound:
            about 3x). 512 MB costs less where the measured CPU per message is 1.5 ms or less.
        """
        super().__init__(scope, id)
        check_int_range("memory_size", memory_size, *LAMBDA_MEMORY_SIZE)
        self.flow_definition = flow_definition
        """The flow whose loops this construct handles (its metrics' dimension)."""
        source = source or StarterSource.sqs()
        self.settings = _settings(
            flow_definition_arn=flow_definition.flow_definition_arn,
            source_kind=source.kind,
            activation=activation,
            input_content=input_content,
            id_field=id_field,
            content_classifiers=content_classifiers,
            max_concurrency=max_concurrency,
            loop_name_prefix=loop_name_prefix,
            on_conflict=on_conflict,
        )
        """The Lambda's settings, checked by the code the Lambda itself runs."""
        check_int_range("batch_size", batch_size, 1, 10)
        check_int_range("max_receive_count", max_receive_count, 1, 1000)
        self.max_concurrent_invocations = self._invocation_cap(
            max_concurrent_invocations, reserved_concurrency
        )
        """The event source's MaximumConcurrency (None: no limit)."""
        self.dead_letter_queue: aws_sqs.IQueue | None
        if source.queue is not None:
            self.queue: aws_sqs.IQueue = source.queue
            self.dead_letter_queue = None
        else:
            dlq = secure_queue(self, "DeadLetterQueue", retention_period=DEAD_LETTER_RETENTION)
            self.dead_letter_queue = dlq
            self.queue = secure_queue(
                self,
                "Queue",
                visibility_timeout=lambda_source_visibility_timeout(
                    _FUNCTION_TIMEOUT, max_batching_window
                ),
                dead_letter_queue=aws_sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=max_receive_count
                ),
            )
        self.source_rule = source._bind(self, self.queue)

        environment = self.settings.to_environment()

        self.log_group = package_log_group(self, "Logs", encryption_key=log_group_encryption_key)
        role = lambda_role(
            self,
            "Role",
            description="Starts A2I human loops from queued inputs",
            log_group=self.log_group,
        )
        self.function = packaged_function(
            self,
            "Function",
            code=runtime_code("human_loop_starter"),
            handler=runtime_handler("human_loop_starter"),
            role=role,
            log_group=self.log_group,
            timeout=_FUNCTION_TIMEOUT,
            environment=environment,
            description="Starts one A2I human loop per input, exactly once",
            memory_size=memory_size,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
        )
        acknowledge_all(
            self.function,
            {
                **compliance_findings(
                    "LambdaDLQ",
                    "Only its SQS event source invokes it, synchronously; a function's dead-letter "
                    "queue serves asynchronous invocations only. Failed messages go to the queue's "
                    "own dead-letter queue after max_receive_count receives.",
                ),
                **compliance_findings(
                    "LambdaConcurrency",
                    "Concurrency is capped at the event source (max_concurrent_invocations, SQS's "
                    "MaximumConcurrency); reserved concurrency would throttle batches already "
                    "received, spending their receives, and take from the account's unreserved "
                    "pool.",
                ),
            },
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=batch_size,
                max_batching_window=max_batching_window,
                max_concurrency=self.max_concurrent_invocations,
                report_batch_item_failures=True,
            )
        )
        flow_definition.grant_start_human_loop(self.function)

    def _invocation_cap(
        self, max_concurrent_invocations: int | None, reserved_concurrency: int | None
    ) -> int | None:
        """The event source's MaximumConcurrency, from the prop or the deprecated one."""
        low, high = MAX_CONCURRENT_INVOCATIONS_RANGE
        if reserved_concurrency is None:
            if max_concurrent_invocations is not None:
                check_int_range("max_concurrent_invocations", max_concurrent_invocations, low, high)
            return max_concurrent_invocations
        if max_concurrent_invocations is not None:
            raise A2IValidationError(
                "reserved_concurrency is deprecated and replaced by max_concurrent_invocations; "
                "give only max_concurrent_invocations"
            )
        if not is_token(reserved_concurrency) and not (
            isinstance(reserved_concurrency, int) and low <= reserved_concurrency <= high
        ):
            raise A2IValidationError(
                f"reserved_concurrency is deprecated: use max_concurrent_invocations ({low}-{high}"
                f", the SQS event source's maximum concurrency); got {reserved_concurrency!r}, "
                f"which it cannot take (with max_concurrent_invocations={low} and "
                "max_concurrency=1, at most 2 StartHumanLoop calls run at once)"
            )
        Annotations.of(self).add_warning_v2(
            "constructs-a2i:reserved-concurrency-deprecated",
            "reserved_concurrency is deprecated: reserved concurrency throttles invocations of "
            "batches already received, which spends their receives and sends good messages to "
            "the dead-letter queue. It now sets max_concurrent_invocations="
            f"{reserved_concurrency} (the SQS event source's maximum concurrency) and reserves "
            "nothing; pass max_concurrent_invocations instead to silence this warning.",
        )
        return reserved_concurrency

    def metric_loops_started(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Human loops this starter started.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.LOOPS_STARTED, statistic=statistic, period=period
        )

    def metric_loops_already_started(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Messages whose loop existed already (redelivered or duplicate input).

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.LOOPS_ALREADY_STARTED, statistic=statistic, period=period
        )

    def metric_loop_conflicts(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Messages whose id was used before with other content.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.LOOP_CONFLICTS, statistic=statistic, period=period
        )

    def metric_messages_skipped(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Messages the activation condition skipped.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.MESSAGES_SKIPPED, statistic=statistic, period=period
        )

    def metric_messages_malformed(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Messages that could not be read (malformed).

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.MESSAGES_MALFORMED, statistic=statistic, period=period
        )

    def metric_throttled_retries(
        self, *, statistic: str = SUM, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """StartHumanLoop calls A2I throttled.

        Default statistic: Sum; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition, metrics.THROTTLED_RETRIES, statistic=statistic, period=period
        )

    def metric_start_latency(
        self, *, statistic: str = "p90", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """How long StartHumanLoop took, in milliseconds.

        Default statistic: p90; default period: 5 minutes.
        """
        return loop_metric(
            self.flow_definition,
            metrics.START_HUMAN_LOOP_LATENCY,
            statistic=statistic,
            period=period,
        )


@jsii.implements(IAspect)
class _EventBridgeNotifications:
    """Turns a bucket's EventBridge notifications on, once the app is complete (at synth).

    Either on the bucket's own ``NotificationConfiguration`` property, or, when the CDK's
    notifications resource (``Custom::S3BucketNotifications``, from ``add_event_notification``)
    manages the bucket, through it: it replaces the whole configuration, so a flag set on the
    property alone would be undone at deployment.
    """

    def __init__(self, bucket: aws_s3.Bucket, resource: aws_s3.CfnBucket) -> None:
        self._bucket = bucket
        self._resource = resource

    def visit(self, node: IConstruct) -> None:
        if node.node.path != self._bucket.node.path:
            return
        if self._bucket.node.try_find_child("Notifications") is not None:
            self._bucket.enable_event_bridge_notification()
        else:
            self._resource.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
            )


def _turn_on_event_bridge(scope: Construct, bucket: aws_s3.IBucket) -> None:
    """EventBridge notifications for ``bucket`` without the CDK's notifications Lambda when
    the bucket is this app's; a warning when it is imported (see ``StarterSource.s3``)."""
    resource = bucket.node.default_child
    if isinstance(bucket, aws_s3.Bucket) and isinstance(resource, aws_s3.CfnBucket):
        if not any(isinstance(a, _EventBridgeNotifications) for a in Aspects.of(bucket).all):
            Aspects.of(bucket).add(_EventBridgeNotifications(bucket, resource))
        return
    Annotations.of(scope).add_warning_v2(
        "constructs-a2i:imported-bucket-eventbridge",
        f"StarterSource.s3: bucket {bucket.node.path} is imported, so its notification "
        "configuration is left alone; turn on its EventBridge notifications where the bucket "
        "is managed (CloudFormation NotificationConfiguration.EventBridgeConfiguration, or "
        "`aws s3api put-bucket-notification-configuration` with an EventBridgeConfiguration "
        "added to the existing configuration), or no upload will start a human loop.",
    )


def _settings(
    *,
    flow_definition_arn: str,
    source_kind: str,
    activation: Activation | None,
    input_content: str | None,
    id_field: str | None,
    content_classifiers: Sequence[str],
    max_concurrency: int,
    loop_name_prefix: str | None,
    on_conflict: str,
) -> StarterSettings:
    """The starter Lambda's settings, checked by ``core`` exactly as the Lambda reads them."""
    for prop, value in (
        ("input_content", input_content),
        ("id_field", id_field),
        ("content_classifiers", content_classifiers),
        ("max_concurrency", max_concurrency),
        ("loop_name_prefix", loop_name_prefix),
        ("on_conflict", on_conflict),
    ):
        # The Lambda checks them on every cold start; a value known only at deploy time
        # could pass synth and then fail every batch.
        items = value if isinstance(value, list | tuple) else [value]
        if any(item is not None and is_token(item) for item in items):
            raise A2IValidationError(f"{prop} must be known at synth time, not a token")
    return StarterSettings.build(
        flow_definition_arn=flow_definition_arn,
        source_kind=source_kind,
        activation=activation,
        input_path=input_content,
        id_field=id_field,
        content_classifiers=content_classifiers,
        max_concurrency=max_concurrency,
        loop_name_prefix=loop_name_prefix,
        on_conflict=on_conflict,
        names={
            "source_kind": "source",
            "input_path": "input_content",
            "id_field": "id_field",
            "activation": "activation",
            "content_classifiers": "content_classifiers",
            "max_concurrency": "max_concurrency",
            "loop_name_prefix": "loop_name_prefix",
            "on_conflict": "on_conflict",
        },
    )
