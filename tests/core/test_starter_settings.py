"""The starter's settings: what the construct accepts is exactly what its Lambda accepts.

The construct builds :class:`StarterSettings` from its props and writes
``to_environment()``; the Lambda reads ``from_environment()``. These properties hold the two
together for any input, including the cases that once synthesized and then failed every batch
(``Activation("$.c", "lt", True)``, a NaN threshold, a list to compare with).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_a2i.core.activation import Activation
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.starter_settings import StarterSettings

FLOW = "arn:aws:sagemaker:us-east-1:111111111111:flow-definition/review"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
values = (
    json_scalars
    | st.lists(json_scalars, max_size=2)
    | st.dictionaries(st.text(max_size=3), json_scalars, max_size=2)
)
operators = st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne", "between", "LT", ""])
path_alphabet = st.sampled_from([*"ab$.[]0 1_-é\n", "\ud800"])
paths = st.text(path_alphabet, max_size=12) | st.sampled_from(
    ["$.c", "$.my key", "[0].id", "items[0].id", "$", "a..b", "$.", " a"]
)


def construct_accepts(path: str, operator: str, value: Any) -> Activation | None:
    try:
        return Activation(path, operator, value)
    except A2IValidationError:
        return None


def lambda_accepts(path: str, operator: str, value: Any) -> StarterSettings | None:
    """What the Lambda makes of the same activation written as JSON by any writer."""
    try:
        text = json.dumps({"path": path, "operator": operator, "value": value})
    except (TypeError, ValueError):
        return None
    try:
        return StarterSettings.from_environment({"FLOW_DEFINITION_ARN": FLOW, "ACTIVATION": text})
    except A2IValidationError:
        return None


@settings(max_examples=600, deadline=None)
@given(path=paths, operator=operators, value=values)
def test_construct_and_lambda_accept_the_same_activations(
    path: str, operator: str, value: Any
) -> None:
    built = construct_accepts(path, operator, value)
    read = lambda_accepts(path, operator, value)
    assert (built is None) == (read is None), (path, operator, value)
    if built is not None:
        # What the construct writes, the Lambda reads back unchanged.
        environment = StarterSettings.build(
            flow_definition_arn=FLOW, activation=built
        ).to_environment()
        assert StarterSettings.from_environment(environment).activation == built


@settings(max_examples=400, deadline=None)
@given(
    id_field=st.none() | paths,
    input_path=st.none() | paths,
    prefix=st.none() | st.text(st.sampled_from(list("ab-A_0")), max_size=22),
    concurrency=st.integers(min_value=-1, max_value=102),
    classifiers=st.lists(
        st.sampled_from(
            ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent", "FreeOfMalware"]
        ),
        max_size=3,
    ),
    source_kind=st.sampled_from(["sqs", "event-bridge", "s3", "kinesis"]),
    on_conflict=st.none()
    | st.sampled_from(["succeed", "fail", "FAIL", "ignore", " fail", ""])
    | st.text(max_size=6),
)
def test_construct_and_lambda_accept_the_same_settings(
    id_field: str | None,
    input_path: str | None,
    prefix: str | None,
    concurrency: int,
    classifiers: list[str],
    source_kind: str,
    on_conflict: str | None,
) -> None:
    try:
        built: StarterSettings | None = StarterSettings.build(
            flow_definition_arn=FLOW,
            source_kind=source_kind,
            id_field=id_field,
            input_path=input_path,
            loop_name_prefix=prefix,
            max_concurrency=concurrency,
            content_classifiers=classifiers,
            **({} if on_conflict is None else {"on_conflict": on_conflict}),
        )
    except A2IValidationError:
        built = None
    environment = {
        "FLOW_DEFINITION_ARN": FLOW,
        "SOURCE_KIND": source_kind,
        "MAX_CONCURRENCY": str(concurrency),
        "CONTENT_CLASSIFIERS": ",".join(classifiers),
    }
    for name, value in (("ID_FIELD", id_field), ("INPUT_PATH", input_path)):
        if value is not None:
            environment[name] = value
    if prefix is not None:
        environment["LOOP_NAME_PREFIX"] = prefix
    if on_conflict is not None:
        environment["ON_CONFLICT"] = on_conflict
    try:
        read: StarterSettings | None = StarterSettings.from_environment(environment)
    except A2IValidationError:
        read = None
    # The one place they may differ: an empty string means "not set" in an environment.
    if "" in (id_field, input_path, prefix, on_conflict):
        return
    assert (built is None) == (read is None)
    if built is not None:
        assert StarterSettings.from_environment(built.to_environment()) == built == read


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "FLOW_DEFINITION_ARN is not set"),
        ({"ACTIVATION": "{"}, "ACTIVATION is not valid JSON"),
        ({"CONTENT_CLASSIFIERS": "FreeOfMalware"}, "FreeOfMalware"),
        ({"MAX_CONCURRENCY": "0"}, "MAX_CONCURRENCY must be between 1 and 100"),
        ({"MAX_CONCURRENCY": "101"}, "MAX_CONCURRENCY must be between 1 and 100"),
        ({"MAX_CONCURRENCY": "ten"}, "MAX_CONCURRENCY must be a whole number"),
        ({"LOOP_NAME_PREFIX": "Claims"}, "LOOP_NAME_PREFIX must be 1-20"),
        ({"ID_FIELD": "a..b"}, "ID_FIELD must be a path"),
        ({"SOURCE_KIND": "kinesis"}, "SOURCE_KIND must be one of"),
        ({"SOURCE_KIND": "s3", "ID_FIELD": "id"}, "ID_FIELD cannot be used with S3 uploads"),
        ({"ON_CONFLICT": "skip"}, r"ON_CONFLICT must be one of \['succeed', 'fail'\]"),
    ],
)
def test_invalid_environments_say_what_to_fix(environment: dict[str, str], message: str) -> None:
    with pytest.raises(A2IValidationError, match=message):
        StarterSettings.from_environment(
            {"FLOW_DEFINITION_ARN": FLOW, **environment} if environment else {}
        )


def test_on_conflict_round_trips_and_the_default_writes_nothing() -> None:
    default = StarterSettings.build(flow_definition_arn=FLOW)
    assert default.on_conflict == "succeed"
    assert "ON_CONFLICT" not in default.to_environment()
    failing = StarterSettings.build(flow_definition_arn=FLOW, on_conflict="fail")
    assert failing.to_environment()["ON_CONFLICT"] == "fail"
    assert StarterSettings.from_environment(failing.to_environment()) == failing


def test_construct_errors_name_the_props() -> None:
    names = {"input_path": "input_content", "max_concurrency": "max_concurrency"}
    with pytest.raises(A2IValidationError, match=r"^input_content must be a path"):
        StarterSettings.build(flow_definition_arn=FLOW, input_path="a..b", names=names)
    with pytest.raises(A2IValidationError, match=r"^max_concurrency must be between 1 and 100"):
        StarterSettings.build(flow_definition_arn=FLOW, max_concurrency=0, names=names)


def test_the_nan_threshold_of_the_issue_is_refused_on_both_sides() -> None:
    with pytest.raises(A2IValidationError):
        Activation.below("$.c", math.nan)
    with pytest.raises(A2IValidationError):
        StarterSettings.from_environment(
            {
                "FLOW_DEFINITION_ARN": FLOW,
                "ACTIVATION": '{"path":"$.c","operator":"lt","value":NaN}',
            }
        )
