"""The package's own CloudWatch metrics, and the Embedded Metric Format (EMF) records.

AWS publishes no CloudWatch metrics for A2I human loops, so the package's Lambda functions
print their own as EMF log lines, and :mod:`constructs_a2i.review_monitoring` alarms on
them. Every metric is in :data:`NAMESPACE` with one dimension, :data:`FLOW_DEFINITION_NAME`
(cardinality stays bounded: nothing per loop or per message); ``LoopsFailed`` also by
``FlowDefinitionName, FailureCode``. The records follow "Specification: Embedded metric
format" (CloudWatch user guide); :func:`emf_records` splits what exceeds its limits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from constructs_a2i.core.errors import A2IValidationError

__all__ = [
    "ANSWERS_PER_LOOP", "FAILURE_CODE", "FAILURE_CODES", "FLOW_DEFINITION_NAME",
    "LOOPS_ALREADY_STARTED", "LOOPS_COMPLETED", "LOOPS_FAILED", "LOOPS_STARTED",
    "LOOPS_STOPPED", "LOOP_CONFLICTS", "MAX_DIMENSIONS_PER_SET", "MAX_METRICS_PER_DIRECTIVE",
    "MAX_VALUES_PER_METRIC", "MESSAGES_MALFORMED", "MESSAGES_SKIPPED", "METRIC_UNITS",
    "NAMESPACE", "RESULTS_METRICS", "STARTER_METRICS", "START_HUMAN_LOOP_LATENCY",
    "THROTTLED_RETRIES", "TIME_TO_COMPLETE", "UNITS", "EmfOptions", "emf_line", "emf_lines",
    "emf_record", "emf_records",
]  # fmt: skip

NAMESPACE = "ConstructsA2I"
"""The CloudWatch namespace of every metric the package emits."""

FLOW_DEFINITION_NAME = "FlowDefinitionName"
"""The dimension every metric has: the flow definition's name."""

FAILURE_CODE = "FailureCode"
"""The second dimension of ``LoopsFailed`` (one of :data:`FAILURE_CODES`)."""

FAILURE_CODES = ("Expired", "ValidationError", "InternalError")
"""The values of :data:`FAILURE_CODE`: why A2I ended a loop as Failed."""

LOOPS_STARTED = "LoopsStarted"
LOOPS_ALREADY_STARTED = "LoopsAlreadyStarted"
LOOP_CONFLICTS = "LoopConflicts"
MESSAGES_SKIPPED = "MessagesSkipped"
MESSAGES_MALFORMED = "MessagesMalformed"
THROTTLED_RETRIES = "ThrottledRetries"
START_HUMAN_LOOP_LATENCY = "StartHumanLoopLatency"
LOOPS_COMPLETED = "LoopsCompleted"
LOOPS_FAILED = "LoopsFailed"
LOOPS_STOPPED = "LoopsStopped"
TIME_TO_COMPLETE = "TimeToComplete"
ANSWERS_PER_LOOP = "AnswersPerLoop"

STARTER_METRICS: Mapping[str, str] = {
    LOOPS_STARTED: "Count", LOOPS_ALREADY_STARTED: "Count", LOOP_CONFLICTS: "Count",
    MESSAGES_SKIPPED: "Count", MESSAGES_MALFORMED: "Count", THROTTLED_RETRIES: "Count",
    START_HUMAN_LOOP_LATENCY: "Milliseconds",
}  # fmt: skip
"""The starter's metrics and their units."""

RESULTS_METRICS: Mapping[str, str] = {
    LOOPS_COMPLETED: "Count", LOOPS_FAILED: "Count", LOOPS_STOPPED: "Count",
    TIME_TO_COMPLETE: "Seconds", ANSWERS_PER_LOOP: "Count",
}  # fmt: skip
"""The results function's metrics and their units."""

METRIC_UNITS: Mapping[str, str] = {**STARTER_METRICS, **RESULTS_METRICS}
"""Every metric the package emits, and its unit: the catalogue."""

_BY_FAILURE_CODE = frozenset({LOOPS_FAILED})  # the metrics published with FAILURE_CODE too

UNITS = frozenset([
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
])  # fmt: skip
"""CloudWatch's units (MetricDatum ``Unit``), the values EMF accepts for a metric's ``Unit``."""

MAX_METRICS_PER_DIRECTIVE = 100
"""EMF: a directive's ``Metrics`` holds at most 100 metric definitions."""
MAX_VALUES_PER_METRIC = 100
"""EMF: a metric's value at the root is a number or an array of at most 100 numbers."""
MAX_DIMENSIONS_PER_SET = 30
"""EMF: a dimension set names at most 30 dimensions."""
_MAX_DIMENSION_VALUE_LENGTH = 1024  # CloudWatch: a dimension value is 1-1024 characters

Values = Mapping[str, float | Sequence[float]]


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise A2IValidationError(f"metric {name}: {value!r} is not a number")
    if not math.isfinite(value):
        raise A2IValidationError(f"metric {name}: {value!r} is not finite (EMF takes JSON numbers)")
    return value


def _checked_values(values: Values) -> dict[str, list[float] | float]:
    if not values:
        raise A2IValidationError("metrics: at least one value is required")
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in METRIC_UNITS:
            raise A2IValidationError(
                f"metric {name!r} is not one of the package's metrics: {sorted(METRIC_UNITS)}"
            )
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            out[name] = _check_number(name, value)
        elif not value:
            raise A2IValidationError(f"metric {name}: an empty list of values")
        else:
            out[name] = [_check_number(name, v) for v in value]
    return out


def _checked_dimensions(
    flow_definition_name: str, dimensions: Mapping[str, str] | None
) -> dict[str, str]:
    out = {FLOW_DEFINITION_NAME: flow_definition_name}
    out.update(dimensions or {})
    for name, value in out.items():
        if name not in (FLOW_DEFINITION_NAME, FAILURE_CODE):
            raise A2IValidationError(
                f"dimension {name!r}: only {FLOW_DEFINITION_NAME} and {FAILURE_CODE} "
                "(cardinality stays bounded)"
            )
        if not isinstance(value, str) or not 1 <= len(value) <= _MAX_DIMENSION_VALUE_LENGTH:
            raise A2IValidationError(
                f"dimension {name}: {value!r} is not a string of 1-"
                f"{_MAX_DIMENSION_VALUE_LENGTH} characters"
            )
    if out.get(FAILURE_CODE, FAILURE_CODES[0]) not in FAILURE_CODES:
        raise A2IValidationError(f"dimension {FAILURE_CODE}: not one of {FAILURE_CODES}")
    return out


def _chunks(seq: Sequence[Any], size: int) -> list[Any]:
    return [list(seq[i : i + size]) for i in range(0, len(seq), size)]


def emf_records(
    flow_definition_name: str,
    values: Values,
    *,
    timestamp_ms: int,
    dimensions: Mapping[str, str] | None = None,
    properties: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """EMF records for ``values`` of ``flow_definition_name``, split to stay within the limits.

    :param flow_definition_name: the value of the :data:`FLOW_DEFINITION_NAME` dimension.
    :param values: metric name (from :data:`METRIC_UNITS`) to a finite number or a non-empty
        list of finite numbers (each a sample; lists longer than 100 go in several records).
    :param timestamp_ms: the metrics' time, milliseconds since the epoch.
    :param dimensions: only ``{"FailureCode": code}`` (:data:`FAILURE_CODES`), for
        ``LoopsFailed`` alone, then published by flow and by flow and code. Default: none.
    :param properties: further root members, searchable in CloudWatch Logs, not metrics
        (for example a loop's name). Default: none.
    :raises A2IValidationError: an unknown metric or dimension, a value not a finite number,
        a bad timestamp, a property shadowing a metric or dimension.
    """
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int) or timestamp_ms < 0:
        raise A2IValidationError(f"timestamp_ms: {timestamp_ms!r} is not a non-negative integer")
    checked = _checked_values(values)
    dims = _checked_dimensions(flow_definition_name, dimensions)
    if FAILURE_CODE in dims and not set(checked) <= _BY_FAILURE_CODE:
        raise A2IValidationError(
            f"dimension {FAILURE_CODE}: only for {sorted(_BY_FAILURE_CODE)}, not "
            f"{sorted(set(checked) - _BY_FAILURE_CODE)}"
        )
    extra = dict(properties or {})
    clash = sorted(set(extra) & (set(dims) | set(METRIC_UNITS) | {"_aws"}))
    if clash:
        raise A2IValidationError(f"properties: {clash} would shadow a metric or dimension")
    dimension_sets = [[FLOW_DEFINITION_NAME]]
    if FAILURE_CODE in dims:
        dimension_sets.append([FLOW_DEFINITION_NAME, FAILURE_CODE])

    # Each metric's values in pieces of at most 100; record i carries piece i of each metric.
    pieces: dict[str, list[Any]] = {name: [value] for name, value in checked.items()}
    for name, value in checked.items():
        if isinstance(value, list):
            pieces[name] = _chunks(value, MAX_VALUES_PER_METRIC)
    records: list[dict[str, Any]] = []
    for i in range(max(len(p) for p in pieces.values())):
        present = [name for name in checked if i < len(pieces[name])]
        for names in _chunks(present, MAX_METRICS_PER_DIRECTIVE):
            record: dict[str, Any] = dict(extra)
            record.update(dims)
            record.update({name: pieces[name][i] for name in names})
            record["_aws"] = {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [list(s) for s in dimension_sets],
                        "Metrics": [{"Name": n, "Unit": METRIC_UNITS[n]} for n in names],
                    }
                ],
            }
            records.append(record)
    return records


class EmfOptions(TypedDict, total=False):
    """The optional arguments of :func:`emf_records` and the functions built on it."""

    dimensions: Mapping[str, str] | None
    properties: Mapping[str, Any] | None


def emf_record(
    flow_definition_name: str, values: Values, *, timestamp_ms: int, **options: Unpack[EmfOptions]
) -> dict[str, Any]:
    """The one EMF record for ``values`` (see :func:`emf_records` for the parameters).

    :raises A2IValidationError: as :func:`emf_records`, and when the values need more than
        one record (a list of more than 100 values): use :func:`emf_records` for those.
    """
    records = emf_records(flow_definition_name, values, timestamp_ms=timestamp_ms, **options)
    if len(records) != 1:
        raise A2IValidationError(
            f"metrics: the values need {len(records)} records; use emf_records or emf_lines"
        )
    return records[0]


def _dumps(record: Mapping[str, Any]) -> str:
    try:
        return json.dumps(record, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError as error:  # a property that is NaN or infinite
        raise A2IValidationError(f"properties: {error}") from None


def emf_lines(
    flow_definition_name: str, values: Values, *, timestamp_ms: int, **options: Unpack[EmfOptions]
) -> list[str]:
    """:func:`emf_records` as compact one-line JSON texts, each to be printed on its own."""
    records = emf_records(flow_definition_name, values, timestamp_ms=timestamp_ms, **options)
    return [_dumps(record) for record in records]


def emf_line(
    flow_definition_name: str, values: Values, *, timestamp_ms: int, **options: Unpack[EmfOptions]
) -> str:
    """:func:`emf_record` as one compact line of JSON, to be printed to the function's log."""
    return _dumps(emf_record(flow_definition_name, values, timestamp_ms=timestamp_ms, **options))
