"""Alarms and a dashboard for a flow's human review, on the package's own metrics.

AWS publishes no CloudWatch metrics for A2I human loops; the package's functions emit their
own (:mod:`constructs_a2i.core.metrics`: namespace ``ConstructsA2I``, dimension
``FlowDefinitionName``), and :func:`loop_metric` returns any of them for a flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.metrics import (
    ANSWERS_PER_LOOP,
    FAILURE_CODES,
    LOOP_CONFLICTS,
    LOOPS_ALREADY_STARTED,
    LOOPS_COMPLETED,
    LOOPS_FAILED,
    LOOPS_STARTED,
    LOOPS_STOPPED,
    MESSAGES_MALFORMED,
    MESSAGES_SKIPPED,
    START_HUMAN_LOOP_LATENCY,
    THROTTLED_RETRIES,
    TIME_TO_COMPLETE,
)
from constructs_a2i.flow_definition import IFlowDefinition
from constructs_a2i.human_loop_results import HumanLoopResults
from constructs_a2i.human_loop_starter import HumanLoopStarter
from constructs_a2i.loop_metrics import DEFAULT_PERIOD, loop_metric

__all__ = [
    "DEFAULT_NO_COMPLETIONS_PERIOD",
    "DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD",
    "DEFAULT_PERIOD",
    "ReviewMonitoring",
    "loop_metric",
]

DEFAULT_NO_COMPLETIONS_PERIOD = Duration.hours(6)
"""How long loops may be started with none completed before :class:`ReviewMonitoring` alarms."""
DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD = Duration.hours(1)
"""The age of the oldest input waiting in the starter's queue that alarms."""


@dataclass(frozen=True)
class _Watched:
    """What the monitoring watches of the starter and results constructs (the one coupling)."""

    dead_letter_queues: Sequence[tuple[str, sqs.IQueue]]
    functions: Sequence[tuple[str, lambda_.IFunction]]
    input_queue: sqs.IQueue | None


def _watched(starter: HumanLoopStarter | None, results: HumanLoopResults | None) -> _Watched:
    dlqs: list[tuple[str, sqs.IQueue]] = []
    functions: list[tuple[str, lambda_.IFunction]] = []
    input_queue = None
    if starter is not None:
        if starter.dead_letter_queue is not None:  # None when the caller brought the queue
            dlqs.append(("Starter", starter.dead_letter_queue))
        functions.append(("Starter", starter.function))
        input_queue = starter.queue
    if results is not None:
        dlqs.append(("Results", results.dead_letter_queue))
        functions.append(("Results", results.function))
    return _Watched(dlqs, functions, input_queue)


class ReviewMonitoring(Construct):
    """CloudWatch alarms and a dashboard for one flow and the package's functions around it.

    ::

        ReviewMonitoring(stack, "Monitoring", flow_definition=flow, starter=starter,
            results=results, alarm_topic=topic)

    Alarms (each in ``alarms``, each notifying ``alarm_topic`` when given):

    * a dead-letter queue is not empty (the starter's and the results'):
      ``ApproximateNumberOfMessagesVisible`` above 0 (``dead_letter_queue_alarms``);
    * a function errs (``Errors`` at or above ``function_errors_threshold`` in ``period``;
      ``function_error_alarms``);
    * loops fail or expire (``LoopsFailed`` at or above ``failed_loops_threshold`` in
      ``period``; ``failed_loops_alarm``);
    * loops were started but none completed in ``no_completions_period`` (with ``results``
      only, which emits ``LoopsCompleted``; ``no_completions_alarm``);
    * the oldest input has waited in the starter's queue ``oldest_message_age_threshold`` or
      longer (``oldest_message_alarm``).

    A missing data point never alarms (the metrics are emitted only when something happens).
    The dashboard (``dashboard``) graphs loops started against completed, time to complete
    (p50 and p90), failures by code and the dead-letter queues' depth; with ``starter``, what
    became of the other inputs (already started, conflicts, skipped, malformed, throttled
    retries), StartHumanLoop latency and the age of the oldest waiting input; with
    ``results``, stopped loops and answers per loop; and the watched functions' errors. So
    every metric the package's functions emit, and every metric an alarm watches, is graphed.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        flow_definition: IFlowDefinition,
        starter: HumanLoopStarter | None = None,
        results: HumanLoopResults | None = None,
        alarm_topic: sns.ITopic | None = None,
        failed_loops_threshold: int = 1,
        function_errors_threshold: int = 1,
        no_completions_period: Duration = DEFAULT_NO_COMPLETIONS_PERIOD,
        oldest_message_age_threshold: Duration = DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD,
        period: Duration = DEFAULT_PERIOD,
        dashboard_name: str | None = None,
    ) -> None:
        """
        :param flow_definition: the flow whose loops are watched.
        :param starter: its starter: dead-letter queue, function errors and queue age.
            Default: none watched.
        :param results: its results: dead-letter queue, function errors, and completions.
            Default: none watched (and no no-completions alarm).
        :param alarm_topic: notified when an alarm goes off. Default: no action.
        :param failed_loops_threshold: failed or expired loops in ``period`` that alarm, at
            least 1. Default: 1.
        :param function_errors_threshold: function errors in ``period`` that alarm, at least
            1. Default: 1.
        :param no_completions_period: how long loops may be started with none completed,
            a whole number of hours from 1 to 24. Default: six hours.
        :param oldest_message_age_threshold: the age of the oldest waiting input that alarms,
            at least a minute. Default: one hour.
        :param period: the alarms' period, a whole number of minutes from 1 to 60.
            Default: five minutes.
        :param dashboard_name: Default: generated by CloudFormation.
        """
        super().__init__(scope, id)
        path = self.node.path
        if failed_loops_threshold < 1:
            raise A2IValidationError(f"{path}: failed_loops_threshold must be at least 1")
        if function_errors_threshold < 1:
            raise A2IValidationError(f"{path}: function_errors_threshold must be at least 1")
        hours = no_completions_period.to_seconds() / 3600
        if hours != int(hours) or not 1 <= hours <= 24:
            raise A2IValidationError(
                f"{path}: no_completions_period must be a whole number of hours from 1 to 24"
            )
        if oldest_message_age_threshold.to_seconds() < 60:
            raise A2IValidationError(f"{path}: oldest_message_age_threshold must be ≥ 1 minute")
        minutes = period.to_seconds() / 60
        if minutes != int(minutes) or not 1 <= minutes <= 60:
            raise A2IValidationError(f"{path}: period must be a whole number of minutes, 1-60")

        watched = _watched(starter, results)
        self._action = cloudwatch_actions.SnsAction(alarm_topic) if alarm_topic else None
        self.alarms: list[cloudwatch.Alarm] = []
        flow_name = flow_definition.flow_definition_name

        self.dead_letter_queue_alarms = [
            self._alarm(
                f"{label}DeadLetterQueueNotEmpty",
                queue.metric_approximate_number_of_messages_visible(
                    period=period, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=0,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"The {label.lower()} dead-letter queue holds messages to look at",
            )
            for label, queue in watched.dead_letter_queues
        ]
        self.function_error_alarms = [
            self._alarm(
                f"{label}FunctionErrors",
                function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
                threshold=function_errors_threshold,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"The {label.lower()} function failed",
            )
            for label, function in watched.functions
        ]
        self.failed_loops_alarm = self._alarm(
            "LoopsFailed",
            loop_metric(flow_definition, LOOPS_FAILED, period=period),
            threshold=failed_loops_threshold,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description="Human loops failed or expired",
        )
        self.no_completions_alarm: cloudwatch.Alarm | None = None
        if results is not None:
            expression = cloudwatch.MathExpression(
                expression="IF(FILL(started, 0) > 0 AND FILL(completed, 0) == 0, 1, 0)",
                using_metrics={
                    "started": loop_metric(
                        flow_definition, LOOPS_STARTED, period=no_completions_period
                    ),
                    "completed": loop_metric(
                        flow_definition, LOOPS_COMPLETED, period=no_completions_period
                    ),
                },
                period=no_completions_period,
                label="Loops started, none completed",
            )
            self.no_completions_alarm = self._alarm(
                "NoCompletions",
                expression,
                threshold=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=(f"Human loops were started and none completed in {int(hours)} hours"),
            )
        self.oldest_message_alarm: cloudwatch.Alarm | None = None
        if watched.input_queue is not None:
            self.oldest_message_alarm = self._alarm(
                "OldestInputWaiting",
                watched.input_queue.metric_approximate_age_of_oldest_message(
                    period=period, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=oldest_message_age_threshold.to_seconds(),
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description="Inputs have waited too long in the starter's queue",
            )

        def metric(name: str, **kwargs: str) -> cloudwatch.Metric:
            return loop_metric(flow_definition, name, period=period, **kwargs)

        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title=f"Loops started and completed ({flow_name})",
                left=[metric(LOOPS_STARTED), metric(LOOPS_COMPLETED)],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Time to complete (seconds)",
                left=[
                    metric(TIME_TO_COMPLETE, statistic=cloudwatch.Stats.p(50), label="p50"),
                    metric(TIME_TO_COMPLETE, statistic=cloudwatch.Stats.p(90), label="p90"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Failed loops by code",
                left=[
                    metric(LOOPS_FAILED, failure_code=code, label=code) for code in FAILURE_CODES
                ],
                width=12,
                stacked=True,
            ),
        ]
        if starter is not None:
            widgets += [
                cloudwatch.GraphWidget(
                    title="Inputs not started as new loops",
                    left=[
                        metric(name, label=name)
                        for name in (
                            LOOPS_ALREADY_STARTED,
                            LOOP_CONFLICTS,
                            MESSAGES_SKIPPED,
                            MESSAGES_MALFORMED,
                            THROTTLED_RETRIES,
                        )
                    ],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title="StartHumanLoop latency (milliseconds)",
                    left=[
                        metric(START_HUMAN_LOOP_LATENCY, statistic=stat, label=stat)
                        for stat in (cloudwatch.Stats.p(50), cloudwatch.Stats.p(90))
                    ],
                    width=12,
                ),
            ]
        if results is not None:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="Loops stopped; answers per loop",
                    left=[metric(LOOPS_STOPPED, label=LOOPS_STOPPED)],
                    right=[
                        metric(
                            ANSWERS_PER_LOOP, statistic=cloudwatch.Stats.AVERAGE, label="Answers"
                        )
                    ],
                    width=12,
                )
            )
        if watched.dead_letter_queues:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="Dead-letter queue depth",
                    left=[
                        queue.metric_approximate_number_of_messages_visible(
                            period=period, statistic=cloudwatch.Stats.MAXIMUM, label=label
                        )
                        for label, queue in watched.dead_letter_queues
                    ],
                    width=12,
                )
            )
        if watched.functions:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="Function errors",
                    left=[
                        function.metric_errors(
                            period=period, statistic=cloudwatch.Stats.SUM, label=label
                        )
                        for label, function in watched.functions
                    ],
                    width=12,
                )
            )
        if watched.input_queue is not None:
            widgets.append(
                cloudwatch.GraphWidget(
                    title="Oldest input waiting (seconds)",
                    left=[
                        watched.input_queue.metric_approximate_age_of_oldest_message(
                            period=period, statistic=cloudwatch.Stats.MAXIMUM, label="Input queue"
                        )
                    ],
                    width=12,
                )
            )
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, widgets=[widgets]
        )

    def _alarm(
        self,
        id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        if self._action is not None:
            alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm
