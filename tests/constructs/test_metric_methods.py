"""``metric_*`` methods: each returns the CloudWatch metric the construct's Lambda emits."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs

from constructs_a2i import A2IValidationError, HumanLoopResults, HumanLoopStarter
from constructs_a2i.core import metrics
from tests.constructs.test_flow_definition import make_flow, new_stack


def constructs() -> tuple[Stack, Any, HumanLoopStarter, HumanLoopResults]:
    stack = new_stack()
    flow = make_flow(stack)
    starter = HumanLoopStarter(stack, "Starter", flow_definition=flow)
    results = HumanLoopResults(
        stack, "Results", flow_definition=flow, destination=sqs.Queue(stack, "Out")
    )
    return stack, flow, starter, results


def resolved(stack: Stack, metric: cloudwatch.Metric) -> dict[str, Any]:
    config = metric.to_metric_config().metric_stat
    assert config is not None
    return {
        "namespace": config.namespace,
        "name": config.metric_name,
        "statistic": config.statistic,
        "period": config.period.to_seconds(),
        "dimensions": stack.resolve({d.name: d.value for d in config.dimensions or []}),
    }


@pytest.mark.parametrize(
    ("method", "name", "statistic"),
    [
        ("metric_loops_started", metrics.LOOPS_STARTED, "Sum"),
        ("metric_loops_already_started", metrics.LOOPS_ALREADY_STARTED, "Sum"),
        ("metric_loop_conflicts", metrics.LOOP_CONFLICTS, "Sum"),
        ("metric_messages_skipped", metrics.MESSAGES_SKIPPED, "Sum"),
        ("metric_messages_malformed", metrics.MESSAGES_MALFORMED, "Sum"),
        ("metric_throttled_retries", metrics.THROTTLED_RETRIES, "Sum"),
        ("metric_start_latency", metrics.START_HUMAN_LOOP_LATENCY, "p90"),
    ],
)
def test_starter_metrics(method: str, name: str, statistic: str) -> None:
    stack, flow, starter, _ = constructs()
    metric = resolved(stack, getattr(starter, method)())
    assert metric["namespace"] == metrics.NAMESPACE == "ConstructsA2I"
    assert metric["name"] == name
    assert metric["statistic"] == statistic
    assert metric["period"] == 300
    assert metric["dimensions"] == {"FlowDefinitionName": stack.resolve(flow.flow_definition_name)}


@pytest.mark.parametrize(
    ("method", "name", "statistic"),
    [
        ("metric_loops_completed", metrics.LOOPS_COMPLETED, "Sum"),
        ("metric_loops_failed", metrics.LOOPS_FAILED, "Sum"),
        ("metric_loops_stopped", metrics.LOOPS_STOPPED, "Sum"),
        ("metric_time_to_complete", metrics.TIME_TO_COMPLETE, "p50"),
        ("metric_answers_per_loop", metrics.ANSWERS_PER_LOOP, "Average"),
    ],
)
def test_results_metrics(method: str, name: str, statistic: str) -> None:
    stack, _, _, results = constructs()
    metric = resolved(stack, getattr(results, method)())
    assert (metric["name"], metric["statistic"]) == (name, statistic)


def test_options_and_failure_codes() -> None:
    stack, _, starter, results = constructs()
    custom = resolved(
        stack, starter.metric_loops_started(statistic="Maximum", period=Duration.hours(1))
    )
    assert (custom["statistic"], custom["period"]) == ("Maximum", 3600)
    expired = resolved(stack, results.metric_loops_failed(failure_code="Expired"))
    assert expired["dimensions"]["FailureCode"] == "Expired"
    with pytest.raises(A2IValidationError, match="failure_code"):
        results.metric_loops_failed(failure_code="Timeout")


def test_the_written_out_statistics_are_the_cdks() -> None:
    from aws_cdk import aws_cloudwatch as cloudwatch

    from constructs_a2i.loop_metrics import AVERAGE, SUM

    assert (SUM, AVERAGE) == (cloudwatch.Stats.SUM, cloudwatch.Stats.AVERAGE)


def test_importing_the_constructs_asks_the_kernel_little() -> None:
    """Module-level values are not made in the jsii kernel at import (a round trip each)."""
    code = (
        "import aws_cdk\n"
        "from jsii._kernel.providers import process\n"
        "calls = []\n"
        "send = process._NodeProcess.send\n"
        "def counted(self, request, response_type):\n"
        "    calls.append(type(request).__name__)\n"
        "    return send(self, request, response_type)\n"
        "process._NodeProcess.send = counted\n"
        "import constructs_a2i.human_loop_starter, constructs_a2i.human_loop_results\n"
        "import constructs_a2i.review_monitoring\n"
        "print(len(calls))\n"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    # The 8 Durations the modules hold as constants; 17 calls when the metric methods took
    # cloudwatch.Stats.SUM as a default.
    assert int(out.strip().splitlines()[-1]) <= 8
