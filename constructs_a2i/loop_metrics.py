"""The package's own CloudWatch metrics of a flow, as ``aws_cloudwatch.Metric`` objects.

The starter and results Lambdas print them as EMF records (:mod:`constructs_a2i.core.metrics`
holds the catalogue); :func:`loop_metric` is what the constructs' ``metric_*`` methods and
:class:`~constructs_a2i.review_monitoring.ReviewMonitoring` build on.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.metrics import (
    FAILURE_CODE,
    FAILURE_CODES,
    FLOW_DEFINITION_NAME,
    LOOPS_FAILED,
    METRIC_UNITS,
    NAMESPACE,
)
from constructs_a2i.flow_definition import IFlowDefinition

__all__ = ["AVERAGE", "DEFAULT_PERIOD", "SUM", "loop_metric"]

# The values of cloudwatch.Stats.SUM and .AVERAGE (a test compares them), written out so that
# the metric_* methods' defaults cost no call into the jsii kernel when the package is imported.
SUM = "Sum"
"""The ``Sum`` statistic (``aws_cloudwatch.Stats.SUM``)."""
AVERAGE = "Average"
"""The ``Average`` statistic (``aws_cloudwatch.Stats.AVERAGE``)."""

DEFAULT_PERIOD = Duration.minutes(5)
"""The default period of the metrics (and of ReviewMonitoring's alarms and graphs)."""


def loop_metric(
    flow_definition: IFlowDefinition,
    metric_name: str,
    *,
    statistic: str = SUM,
    period: Duration | None = None,
    failure_code: str | None = None,
    label: str | None = None,
) -> cloudwatch.Metric:
    """One of the package's metrics (:data:`~constructs_a2i.core.metrics.METRIC_UNITS`) for a flow.

    :param flow_definition: whose metric; its name is the ``FlowDefinitionName`` dimension.
    :param metric_name: for example ``"LoopsStarted"``.
    :param statistic: Default: ``Sum``.
    :param period: Default: five minutes.
    :param failure_code: for ``LoopsFailed`` only: the loops that failed with this code
        (``Expired``, ``ValidationError`` or ``InternalError``). Default: all of them.
    :param label: the label on graphs. Default: the metric's name.
    :raises A2IValidationError: a metric the package does not emit, or a failure code on
        another metric than ``LoopsFailed`` or not one of A2I's.
    """
    if metric_name not in METRIC_UNITS:
        raise A2IValidationError(
            f"metric {metric_name!r} is not one of the package's metrics: {sorted(METRIC_UNITS)}"
        )
    dimensions = {FLOW_DEFINITION_NAME: flow_definition.flow_definition_name}
    if failure_code is not None:
        if metric_name != LOOPS_FAILED or failure_code not in FAILURE_CODES:
            raise A2IValidationError(
                f"failure_code: {failure_code!r} is for {LOOPS_FAILED} only, one of {FAILURE_CODES}"
            )
        dimensions[FAILURE_CODE] = failure_code
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period or DEFAULT_PERIOD,
        label=label,
    )
