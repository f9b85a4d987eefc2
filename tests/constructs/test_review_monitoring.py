"""ReviewMonitoring: its alarms, its dashboard, cfn-lint and cdk-nag on a whole review stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from constructs_a2i import A2IValidationError, HumanLoopResults, HumanLoopStarter
from constructs_a2i.core.metrics import METRIC_UNITS
from constructs_a2i.loop_metrics import loop_metric
from constructs_a2i.review_monitoring import ReviewMonitoring
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow, new_stack
from tests.lint import cfn_lint_errors
from tests.test_example_app import nag_violations

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:review-alarms"
FLOW_NAME = {"Fn::GetAtt": [Match.string_like_regexp("^Flow"), "FlowDefinitionName"]}


def build(*, topic: bool = True, app: App | None = None, **props: Any) -> tuple[Stack, Any]:
    stack = new_stack() if app is None else Stack(app, "TestStack", env=Environment(**TEST_ENV))
    flow = make_flow(stack)
    starter = HumanLoopStarter(stack, "Starter", flow_definition=flow)
    destination = sqs.Queue(
        stack,
        "Destination",
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(
            max_receive_count=5, queue=sqs.Queue(stack, "DestinationDlq", enforce_ssl=True)
        ),
    )
    results = HumanLoopResults(stack, "Results", flow_definition=flow, destination=destination)
    alarm_topic = sns.Topic.from_topic_arn(stack, "Alarms", TOPIC_ARN) if topic else None
    monitoring = ReviewMonitoring(
        stack,
        "Monitoring",
        flow_definition=flow,
        starter=starter,
        results=results,
        alarm_topic=alarm_topic,
        **props,
    )
    return stack, monitoring


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, Any], Any]:
    stack, monitoring = build()
    return Template.from_stack(stack).to_json(), monitoring


def alarm(template: dict[str, Any], id_part: str) -> dict[str, Any]:
    found = [
        v["Properties"]
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::CloudWatch::Alarm" and k.startswith(f"Monitoring{id_part}")
    ]
    assert len(found) == 1, id_part
    return found[0]


def test_one_alarm_each_and_all_notify_the_topic(synthesized: tuple[dict[str, Any], Any]) -> None:
    template, monitoring = synthesized
    alarms = {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert len(alarms) == len(monitoring.alarms) == 7
    for props in alarms.values():
        assert props["Properties"]["AlarmActions"] == [TOPIC_ARN]
        assert props["Properties"]["TreatMissingData"] == "notBreaching"
        assert props["Properties"]["EvaluationPeriods"] == 1


@pytest.mark.parametrize(("who", "queue"), [("Starter", "Starter"), ("Results", "Results")])
def test_dead_letter_queue_not_empty(
    synthesized: tuple[dict[str, Any], Any], who: str, queue: str
) -> None:
    props = alarm(synthesized[0], f"{who}DeadLetterQueueNotEmpty")
    assert props["Namespace"] == "AWS/SQS"
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Statistic"] == "Maximum"
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["Threshold"] == 0
    (dimension,) = props["Dimensions"]
    ref = dimension["Value"]["Fn::GetAtt"]
    assert ref[0].startswith(f"{queue}DeadLetterQueue") and ref[1] == "QueueName"


@pytest.mark.parametrize("who", ["Starter", "Results"])
def test_function_errors(synthesized: tuple[dict[str, Any], Any], who: str) -> None:
    props = alarm(synthesized[0], f"{who}FunctionErrors")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
    )
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1
    assert props["Period"] == 300
    assert props["Dimensions"][0]["Value"]["Ref"].startswith(f"{who}Function")


def test_loops_failed_on_the_emf_metric_of_the_flow(
    synthesized: tuple[dict[str, Any], Any],
) -> None:
    props = alarm(synthesized[0], "LoopsFailed")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "ConstructsA2I",
        "LoopsFailed",
        "Sum",
    )
    (dimension,) = props["Dimensions"]
    assert dimension["Name"] == "FlowDefinitionName"
    assert dimension["Value"]["Fn::GetAtt"][1] == "FlowDefinitionName"
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1


def test_no_completions_is_a_math_expression_over_six_hours(
    synthesized: tuple[dict[str, Any], Any],
) -> None:
    props = alarm(synthesized[0], "NoCompletions")
    by_id = {m["Id"]: m for m in props["Metrics"]}
    (expression,) = [m for m in props["Metrics"] if "Expression" in m]
    assert expression["Expression"] == (
        "IF(FILL(started, 0) > 0 AND FILL(completed, 0) == 0, 1, 0)"
    )
    assert expression["ReturnData"] is True
    for id_, name in [("started", "LoopsStarted"), ("completed", "LoopsCompleted")]:
        stat = by_id[id_]["MetricStat"]
        assert stat["Metric"]["Namespace"] == "ConstructsA2I"
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"][0]["Name"] == "FlowDefinitionName"
        assert (stat["Period"], stat["Stat"]) == (6 * 3600, "Sum")
        assert by_id[id_]["ReturnData"] is False
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 1


def test_oldest_input_waiting(synthesized: tuple[dict[str, Any], Any]) -> None:
    props = alarm(synthesized[0], "OldestInputWaiting")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
    )
    assert props["Dimensions"][0]["Value"]["Fn::GetAtt"][0].startswith("StarterQueue")
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["Threshold"] == 3600


def test_thresholds_are_props() -> None:
    stack, _ = build(
        failed_loops_threshold=5,
        function_errors_threshold=3,
        no_completions_period=Duration.hours(12),
        oldest_message_age_threshold=Duration.minutes(30),
        period=Duration.minutes(15),
    )
    template = Template.from_stack(stack).to_json()
    assert alarm(template, "LoopsFailed")["Threshold"] == 5
    assert alarm(template, "LoopsFailed")["Period"] == 900
    assert alarm(template, "StarterFunctionErrors")["Threshold"] == 3
    assert alarm(template, "OldestInputWaiting")["Threshold"] == 1800
    started = next(m for m in alarm(template, "NoCompletions")["Metrics"] if m["Id"] == "started")
    assert started["MetricStat"]["Period"] == 12 * 3600


def test_without_a_topic_no_actions() -> None:
    stack, _ = build(topic=False)
    template = Template.from_stack(stack).to_json()
    alarms = [v for v in template["Resources"].values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 7
    assert all("AlarmActions" not in a["Properties"] for a in alarms)


def test_flow_alone_gets_the_loops_failed_alarm_only() -> None:
    stack = new_stack()
    flow = make_flow(stack)
    monitoring = ReviewMonitoring(stack, "Monitoring", flow_definition=flow)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Alarm", 1)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "LoopsFailed"})
    assert monitoring.no_completions_alarm is None and monitoring.oldest_message_alarm is None
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def _dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = [
        v for v in template["Resources"].values() if v["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    # The body is a Fn::Join of text and tokens; the tokens become plain markers.
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "TOKEN" for p in parts)
    body: dict[str, Any] = json.loads(text)
    return body


def test_dashboard_widgets(synthesized: tuple[dict[str, Any], Any]) -> None:
    body = _dashboard_body(synthesized[0])
    widgets = {w["properties"]["title"]: w["properties"] for w in body["widgets"]}
    assert set(widgets) == {
        "Loops started and completed (TOKEN)",
        "Time to complete (seconds)",
        "Failed loops by code",
        "Inputs not started as new loops",
        "StartHumanLoop latency (milliseconds)",
        "Loops stopped; answers per loop",
        "Dead-letter queue depth",
        "Function errors",
        "Oldest input waiting (seconds)",
    }
    started = widgets["Loops started and completed (TOKEN)"]["metrics"]
    assert [m[:4] for m in started] == [
        ["ConstructsA2I", "LoopsStarted", "FlowDefinitionName", "TOKEN"],
        ["ConstructsA2I", "LoopsCompleted", "FlowDefinitionName", "TOKEN"],
    ]
    times = widgets["Time to complete (seconds)"]["metrics"]
    assert [(m[1], m[-1]["stat"]) for m in times] == [
        ("TimeToComplete", "p50"),
        ("TimeToComplete", "p90"),
    ]
    failures = widgets["Failed loops by code"]["metrics"]
    assert sorted(m[3] for m in failures) == ["Expired", "InternalError", "ValidationError"]
    assert all(m[1] == "LoopsFailed" and m[2] == "FailureCode" for m in failures)
    depth = widgets["Dead-letter queue depth"]["metrics"]
    assert [(m[0], m[1], m[-1]["label"]) for m in depth] == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Starter"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Results"),
    ]


def test_the_dashboard_graphs_every_metric_emitted_and_every_metric_alarmed(
    synthesized: tuple[dict[str, Any], Any],
) -> None:
    template = synthesized[0]
    graphed = {
        (m[0], m[1])
        for w in _dashboard_body(template)["widgets"]
        for m in w["properties"]["metrics"]
    }
    assert {("ConstructsA2I", name) for name in METRIC_UNITS} <= graphed
    alarmed = {
        (props["Namespace"], props["MetricName"])
        for props in (
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
        )
        if "MetricName" in props  # the no-completions alarm is a math expression on two
    }
    assert alarmed <= graphed


def test_cfn_lint_clean(synthesized: tuple[dict[str, Any], Any]) -> None:
    assert cfn_lint_errors(synthesized[0]) == []


def test_cdk_nag_aws_solutions_clean(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    build(app=app)
    assert nag_violations(app) == []


def test_loop_metric() -> None:
    stack = new_stack()
    flow = make_flow(stack)
    metric = loop_metric(flow, "TimeToComplete", statistic="p90", period=Duration.hours(1))
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        "ConstructsA2I",
        "TimeToComplete",
        "p90",
    )
    assert metric.period.to_seconds() == 3600
    assert set(metric.dimensions or {}) == {"FlowDefinitionName"}
    by_code = loop_metric(flow, "LoopsFailed", failure_code="Expired")
    assert (by_code.dimensions or {})["FailureCode"] == "Expired"
    assert isinstance(by_code, cloudwatch.Metric)
    with pytest.raises(A2IValidationError, match="not one of the package's metrics"):
        loop_metric(flow, "LoopsStartd")
    with pytest.raises(A2IValidationError, match="failure_code"):
        loop_metric(flow, "LoopsCompleted", failure_code="Expired")
    with pytest.raises(A2IValidationError, match="failure_code"):
        loop_metric(flow, "LoopsFailed", failure_code="Timeout")


@pytest.mark.parametrize(
    "props",
    [
        {"failed_loops_threshold": 0},
        {"function_errors_threshold": 0},
        {"no_completions_period": Duration.minutes(90)},
        {"no_completions_period": Duration.hours(25)},
        {"oldest_message_age_threshold": Duration.seconds(30)},
        {"period": Duration.seconds(90)},
        {"period": Duration.hours(2)},
    ],
)
def test_bad_props_are_refused(props: dict[str, Any]) -> None:
    stack = new_stack()
    flow = make_flow(stack)
    with pytest.raises(A2IValidationError):
        ReviewMonitoring(stack, "Monitoring", flow_definition=flow, **props)


def test_a_starter_on_your_own_queue_watches_that_queue_and_no_dead_letter_queue() -> None:
    import constructs_a2i

    assert constructs_a2i.ReviewMonitoring is ReviewMonitoring
    assert constructs_a2i.loop_metric is loop_metric
    stack = new_stack()
    flow = make_flow(stack)
    inputs = sqs.Queue(stack, "Inputs", enforce_ssl=True)
    starter = HumanLoopStarter(
        stack, "Starter", flow_definition=flow, source=constructs_a2i.StarterSource.sqs(inputs)
    )
    monitoring = ReviewMonitoring(stack, "Monitoring", flow_definition=flow, starter=starter)
    assert monitoring.dead_letter_queue_alarms == []
    assert len(monitoring.function_error_alarms) == 1
    assert monitoring.no_completions_alarm is None  # without results nothing emits completions
    template = Template.from_stack(stack).to_json()
    props = alarm(template, "OldestInputWaiting")
    assert props["Dimensions"][0]["Value"]["Fn::GetAtt"][0].startswith("Inputs")
    titles = {w["properties"]["title"] for w in _dashboard_body(template)["widgets"]}
    assert "Dead-letter queue depth" not in titles
