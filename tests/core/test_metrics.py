"""The EMF writer: every record it makes passes a validator written from the EMF specification.

The validator below is written from "Specification: Embedded metric format" (CloudWatch user
guide), not from the writer, so it checks the writer rather than repeating it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.metrics import (
    FAILURE_CODES,
    LOOPS_COMPLETED,
    LOOPS_FAILED,
    LOOPS_STARTED,
    METRIC_UNITS,
    NAMESPACE,
    RESULTS_METRICS,
    STARTER_METRICS,
    TIME_TO_COMPLETE,
    emf_line,
    emf_lines,
    emf_record,
    emf_records,
)

# CloudWatch's units (MetricDatum Unit), written out again here on purpose.
SPEC_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def emf_problems(document: Any) -> list[str]:
    """What makes ``document`` not an EMF document (empty when it is one)."""
    if not isinstance(document, dict):
        return ["the root is not an object"]
    aws = document.get("_aws")
    if not isinstance(aws, dict):
        return ["_aws is not an object"]
    problems: list[str] = []
    timestamp = aws.get("Timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        problems.append(f"_aws.Timestamp {timestamp!r} is not a non-negative integer")
    directives = aws.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics is not a non-empty array"]
    for d, directive in enumerate(directives):
        where = f"CloudWatchMetrics[{d}]"
        if not isinstance(directive, dict):
            problems.append(f"{where} is not an object")
            continue
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not namespace:
            problems.append(f"{where}.Namespace is not a non-empty string")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            problems.append(f"{where}.Dimensions is not an array")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append(f"{where}: dimension set {dimension_set!r} is not ≤ 30 names")
                continue
            for name in dimension_set:
                if not isinstance(name, str):
                    problems.append(f"{where}: dimension name {name!r} is not a string")
                elif not isinstance(document.get(name), str):
                    problems.append(f"{where}: dimension {name} has no string value at the root")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append(f"{where}.Metrics is not an array of 1-100 definitions")
            continue
        for metric in metrics:
            if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
                problems.append(f"{where}: metric {metric!r} has no Name")
                continue
            name = metric["Name"]
            if "Unit" in metric and metric["Unit"] not in SPEC_UNITS:
                problems.append(f"{where}: {name}'s unit {metric['Unit']!r} is not CloudWatch's")
            value = document.get(name)
            ok = _is_number(value) or (
                isinstance(value, list) and len(value) <= 100 and all(map(_is_number, value))
            )
            if not ok:
                problems.append(f"{where}: {name}'s value {value!r} is not ≤ 100 numbers")
    return problems


# --- the validator itself refuses what the specification refuses -----------------------------


def _good() -> dict[str, Any]:
    return {
        "FlowDefinitionName": "f",
        "LoopsStarted": 1,
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "N",
                    "Dimensions": [["FlowDefinitionName"]],
                    "Metrics": [{"Name": "LoopsStarted", "Unit": "Count"}],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.pop("_aws"),
        lambda d: d["_aws"].update(Timestamp="1"),
        lambda d: d["_aws"].update(CloudWatchMetrics=[]),
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Namespace=""),
        lambda d: d.update(FlowDefinitionName=3),
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Dimensions=[["D"] * 31]),
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Metrics=[]),
        lambda d: d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="Hours"),
        lambda d: d.update(LoopsStarted=[1] * 101),
        lambda d: d.update(LoopsStarted="1"),
        lambda d: d.pop("LoopsStarted"),
    ],
)
def test_the_validator_refuses_what_the_specification_refuses(break_it: Any) -> None:
    assert emf_problems(_good()) == []
    document = _good()
    break_it(document)
    assert emf_problems(document)


# --- the writer -------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1, max_size=63
)
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
values = st.dictionaries(
    st.sampled_from(sorted(METRIC_UNITS)),
    numbers | st.lists(numbers, min_size=1, max_size=250),
    min_size=1,
)
timestamps = st.integers(0, 2**45)


@settings(max_examples=200, deadline=None)
@given(name=names, vals=values, ts=timestamps)
def test_every_record_passes_the_specification(name: str, vals: dict[str, Any], ts: int) -> None:
    records = emf_records(name, vals, timestamp_ms=ts, properties={"humanLoopName": "loop-1"})
    for record in records:
        assert emf_problems(record) == [], record
        directive = record["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == NAMESPACE == "ConstructsA2I"
        assert directive["Dimensions"] == [["FlowDefinitionName"]]
        assert record["FlowDefinitionName"] == name
        assert record["_aws"]["Timestamp"] == ts
        assert record["humanLoopName"] == "loop-1"
        for metric in directive["Metrics"]:
            assert metric["Unit"] == METRIC_UNITS[metric["Name"]]
    # Nothing lost, nothing repeated: the records' values add up to the input.
    for metric, value in vals.items():
        expected = value if isinstance(value, list) else [value]
        got: list[float] = []
        for record in records:
            if metric in record:
                got.extend(record[metric] if isinstance(record[metric], list) else [record[metric]])
        assert got == expected
    lines = emf_lines(name, vals, timestamp_ms=ts)
    assert [json.loads(line) for line in lines] == emf_records(name, vals, timestamp_ms=ts)
    assert all("\n" not in line for line in lines)


@settings(max_examples=50, deadline=None)
@given(code=st.sampled_from(FAILURE_CODES), n=st.integers(1, 5), ts=timestamps)
def test_failure_code_adds_a_second_dimension_set(code: str, n: int, ts: int) -> None:
    record = emf_record(
        "flow", {LOOPS_FAILED: n}, timestamp_ms=ts, dimensions={"FailureCode": code}
    )
    assert emf_problems(record) == []
    assert record["FailureCode"] == code
    assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["FlowDefinitionName"],
        ["FlowDefinitionName", "FailureCode"],
    ]


def test_the_catalogue() -> None:
    assert dict(STARTER_METRICS) == {
        "LoopsStarted": "Count",
        "LoopsAlreadyStarted": "Count",
        "LoopConflicts": "Count",
        "MessagesSkipped": "Count",
        "MessagesMalformed": "Count",
        "ThrottledRetries": "Count",
        "StartHumanLoopLatency": "Milliseconds",
    }
    assert dict(RESULTS_METRICS) == {
        "LoopsCompleted": "Count",
        "LoopsFailed": "Count",
        "LoopsStopped": "Count",
        "TimeToComplete": "Seconds",
        "AnswersPerLoop": "Count",
    }
    assert set(METRIC_UNITS.values()) <= SPEC_UNITS


def test_one_line() -> None:
    line = emf_line("flow", {LOOPS_STARTED: 2, TIME_TO_COMPLETE: [1.5, 3]}, timestamp_ms=1000)
    assert json.loads(line) == {
        "FlowDefinitionName": "flow",
        "LoopsStarted": 2,
        "TimeToComplete": [1.5, 3],
        "_aws": {
            "Timestamp": 1000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "ConstructsA2I",
                    "Dimensions": [["FlowDefinitionName"]],
                    "Metrics": [
                        {"Name": "LoopsStarted", "Unit": "Count"},
                        {"Name": "TimeToComplete", "Unit": "Seconds"},
                    ],
                }
            ],
        },
    }


def test_more_than_100_values_split() -> None:
    records = emf_records("flow", {TIME_TO_COMPLETE: list(range(250))}, timestamp_ms=0)
    assert [len(r[TIME_TO_COMPLETE]) for r in records] == [100, 100, 50]
    with pytest.raises(A2IValidationError, match="emf_records"):
        emf_record("flow", {TIME_TO_COMPLETE: list(range(101))}, timestamp_ms=0)
    assert len(emf_record("flow", {TIME_TO_COMPLETE: list(range(100))}, timestamp_ms=0)[
        TIME_TO_COMPLETE
    ]) == 100  # fmt: skip


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("flow", {"LoopsStartedd": 1}), {}, "not one of the package's metrics"),
        (("flow", {}), {}, "at least one value"),
        (("flow", {LOOPS_STARTED: math.nan}), {}, "not finite"),
        (("flow", {LOOPS_STARTED: math.inf}), {}, "not finite"),
        (("flow", {TIME_TO_COMPLETE: [1, -math.inf]}), {}, "not finite"),
        (("flow", {LOOPS_STARTED: True}), {}, "not a number"),
        (("flow", {LOOPS_STARTED: "1"}), {}, "not a number"),
        (("flow", {TIME_TO_COMPLETE: []}), {}, "empty list"),
        (("", {LOOPS_STARTED: 1}), {}, "FlowDefinitionName"),
        (("flow", {LOOPS_STARTED: 1}), {"timestamp_ms": 1.5}, "timestamp_ms"),
        (("flow", {LOOPS_STARTED: 1}), {"timestamp_ms": -1}, "timestamp_ms"),
        (("flow", {LOOPS_FAILED: 1}), {"dimensions": {"HumanLoopName": "x"}}, "bounded"),
        (("flow", {LOOPS_FAILED: 1}), {"dimensions": {"FailureCode": "Other"}}, "FailureCode"),
        (("flow", {LOOPS_COMPLETED: 1}), {"dimensions": {"FailureCode": "Expired"}}, "only for"),
        (("flow", {LOOPS_STARTED: 1}), {"properties": {"LoopsStarted": 3}}, "shadow"),
        (("flow", {LOOPS_STARTED: 1}), {"properties": {"_aws": {}}}, "shadow"),
        (("flow", {LOOPS_STARTED: 1}), {"properties": {"x": math.nan}}, "properties"),
    ],
)
def test_refused(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    kwargs = {"timestamp_ms": 0, **kwargs}
    with pytest.raises(A2IValidationError, match=message):
        emf_line(*args, **kwargs)
