"""core's A2I facts against botocore's service models (sagemaker, sagemaker-a2i-runtime).

When AWS changes a limit, an enum or a pattern in its models, botocore's next release carries
it and this test fails, naming the fact to update. Facts the models do not carry (the task time
limit's maximum, the availability caps per team, the public crowd's account) come from AWS's
documentation and are named in ``core.limits``.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest

from constructs_a2i.core import limits, names, statuses
from constructs_a2i.core.request_sources import RequestSource

_SESSION = botocore.session.get_session()
SAGEMAKER = _SESSION.get_service_model("sagemaker")
A2I = _SESSION.get_service_model("sagemaker-a2i-runtime")


def shape(model: Any, name: str) -> Any:
    return model.shape_for(name)


def bounds(model: Any, name: str) -> tuple[int | None, int | None]:
    metadata = shape(model, name).metadata
    return metadata.get("min"), metadata.get("max")


@pytest.mark.parametrize(
    ("model", "shape_name"),
    [
        (SAGEMAKER, "FlowDefinitionName"),
        (SAGEMAKER, "HumanTaskUiName"),
        (A2I, "HumanLoopName"),
    ],
)
def test_the_name_rule(model: Any, shape_name: str) -> None:
    assert bounds(model, shape_name) == (1, names.NAME_MAX_LENGTH)
    # Same language, whichever spelling the model uses.
    pattern = re.compile(f"^(?:{shape(model, shape_name).metadata['pattern'].strip('^$')})$")
    for candidate in ["a", "a-b", "a--b", "ab1", "-a", "a-", "A", "a_b", "", "a" * 63]:
        assert bool(pattern.match(candidate)) == bool(names.NAME_PATTERN.match(candidate))


def test_task_limits() -> None:
    assert bounds(SAGEMAKER, "FlowDefinitionTaskTitle") == limits.TASK_TITLE_LENGTH
    assert bounds(SAGEMAKER, "FlowDefinitionTaskDescription") == limits.TASK_DESCRIPTION_LENGTH
    assert bounds(SAGEMAKER, "FlowDefinitionTaskCount") == limits.TASK_COUNT_RANGE
    assert (
        bounds(SAGEMAKER, "FlowDefinitionTaskTimeLimitInSeconds")[0]
        == (limits.TASK_TIME_LIMIT_RANGE[0])
    )
    assert bounds(SAGEMAKER, "FlowDefinitionTaskAvailabilityLifetimeInSeconds")[0] == 1
    assert bounds(SAGEMAKER, "FlowDefinitionTaskKeywords") == limits.TASK_KEYWORDS_COUNT
    assert bounds(SAGEMAKER, "FlowDefinitionTaskKeyword") == limits.TASK_KEYWORD_LENGTH
    assert shape(SAGEMAKER, "FlowDefinitionTaskKeyword").metadata[
        "pattern"
    ] == limits.TASK_KEYWORD_PATTERN.pattern.strip("^$")


def test_tags_templates_conditions_and_outputs() -> None:
    assert bounds(SAGEMAKER, "TagList")[1] == limits.TAGS_MAX
    assert bounds(SAGEMAKER, "TagKey") == limits.TAG_KEY_LENGTH
    assert bounds(SAGEMAKER, "TagValue") == limits.TAG_VALUE_LENGTH
    assert bounds(SAGEMAKER, "TemplateContent")[1] == limits.TEMPLATE_MAX_LENGTH
    assert (
        bounds(SAGEMAKER, "HumanLoopActivationConditions")[1]
        == limits.ACTIVATION_CONDITIONS_MAX_LENGTH
    )
    assert bounds(SAGEMAKER, "S3Uri")[1] == limits.S3_OUTPUT_PATH_MAX_LENGTH


def test_start_human_loop() -> None:
    assert bounds(A2I, "InputContent")[1] == limits.INPUT_CONTENT_MAX_LENGTH
    assert set(shape(A2I, "ContentClassifier").enum) == set(limits.CONTENT_CLASSIFIERS)


def test_statuses_and_request_sources() -> None:
    assert set(shape(A2I, "HumanLoopStatus").enum) == set(statuses.LOOP_STATUSES)
    assert set(shape(SAGEMAKER, "FlowDefinitionStatus").enum) == {
        statuses.FLOW_INITIALIZING,
        statuses.FLOW_ACTIVE,
        statuses.FLOW_FAILED,
        statuses.FLOW_DELETING,
    }
    assert set(shape(SAGEMAKER, "AwsManagedHumanLoopRequestSource").enum) == {
        source.value for source in RequestSource
    }


def test_a_drift_would_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison is real: a core value that disagrees with the model is reported.
    monkeypatch.setattr(limits, "TASK_COUNT_RANGE", (1, 4))
    with pytest.raises(AssertionError):
        test_task_limits()
