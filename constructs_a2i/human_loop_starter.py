"""Start human loops from events, exactly once per input.

Every source (an SQS queue, S3 uploads, EventBridge events) delivers into one SQS queue
with a dead-letter queue; the starter Lambda (``runtime/human_loop_starter``) consumes it
with partial batch responses, so a redelivered or duplicated input never starts a
second loop and a failed one is retried and then parked in the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, aws_s3, aws_sqs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_a2i.core.activation import Activation
from constructs_a2i.core.limits import CONTENT_CLASSIFIERS
from constructs_a2i.core.starter_settings import StarterSettings
from constructs_a2i.flow_definition import IFlowDefinition
from constructs_a2i.packaged_function import (
    LOG_RETENTION,
    lambda_role,
    packaged_function,
    runtime_code,
    runtime_handler,
)
from constructs_a2i.queues import DEAD_LETTER_RETENTION, secure_queue
from constructs_a2i.validation import A2IValidationError, check_int_range, is_token

__all__ = [
    "CONTENT_CLASSIFIERS",
    "Activation",
    "HumanLoopStarter",
    "StarterSource",
]

_FUNCTION_TIMEOUT = Duration.minutes(1)


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
        """Objects created in ``bucket`` (through EventBridge notifications, which this
        turns on for the bucket), optionally under ``prefix`` and ending in ``suffix``."""
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
            self._bucket.enable_event_bridge_notification()
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
        reserved_concurrency: int | None = None,
        max_receive_count: int = 5,
        loop_name_prefix: str | None = None,
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
        :param reserved_concurrency: the function's reserved concurrency, to stay under
            the account's StartHumanLoop quota. Default: unreserved.
        :param max_receive_count: deliveries before a message goes to the dead-letter
            queue (new queues only). Default: 5.
        :param loop_name_prefix: up to 20 characters that start every loop name.
            Default: none.
        """
        super().__init__(scope, id)
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
        )
        """The Lambda's settings, checked by the code the Lambda itself runs."""
        check_int_range("batch_size", batch_size, 1, 10)
        if reserved_concurrency is not None:
            check_int_range("reserved_concurrency", reserved_concurrency, 1, None)
        check_int_range("max_receive_count", max_receive_count, 1, 1000)
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
                # AWS's advice for Lambda sources: at least six times the timeout.
                visibility_timeout=Duration.seconds(_FUNCTION_TIMEOUT.to_seconds() * 6),
                dead_letter_queue=aws_sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=max_receive_count
                ),
            )
        self.source_rule = source._bind(self, self.queue)

        environment = self.settings.to_environment()

        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION)
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
            reserved_concurrent_executions=reserved_concurrency,
            description="Starts one A2I human loop per input, exactly once",
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=batch_size,
                max_batching_window=max_batching_window,
                report_batch_item_failures=True,
            )
        )
        flow_definition.grant_start_human_loop(self.function)


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
) -> StarterSettings:
    """The starter Lambda's settings, checked by ``core`` exactly as the Lambda reads them."""
    for prop, value in (
        ("input_content", input_content),
        ("id_field", id_field),
        ("content_classifiers", content_classifiers),
        ("max_concurrency", max_concurrency),
        ("loop_name_prefix", loop_name_prefix),
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
        names={
            "source_kind": "source",
            "input_path": "input_content",
            "id_field": "id_field",
            "activation": "activation",
            "content_classifiers": "content_classifiers",
            "max_concurrency": "max_concurrency",
            "loop_name_prefix": "loop_name_prefix",
        },
    )
