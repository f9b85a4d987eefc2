"""The fake checks requests against the service model as the services do (botocore does not)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from constructs_a2i.testing import FakeA2I
from constructs_a2i.testing._validation import (
    compile_pattern,
    validation_errors,
    validation_message,
)
from tests.testing.conftest import (
    ACCOUNT,
    PUBLIC_CROWD_ARN,
    REGION,
    error_of,
    flow_request,
    human_loop_config,
)

FLOW_NAME_PATTERN = "[a-z0-9](-*[a-z0-9]){0,62}"  # SageMaker's model
LOOP_NAME_PATTERN = "^[a-z0-9](-*[a-z0-9])*$"  # the A2I runtime's model


def _input_shape(service: str, operation: str) -> Any:
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).input_shape


def validation_error(call: Any) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400), message
    return message


def test_pattern_message_is_the_services(sagemaker: Any) -> None:
    message = validation_error(
        lambda: sagemaker.describe_flow_definition(FlowDefinitionName="UPPER")
    )
    assert message == (
        "1 validation error detected: Value 'UPPER' at 'flowDefinitionName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {FLOW_NAME_PATTERN}"
    )


def test_a2i_pattern_message(a2i: Any) -> None:
    message = validation_error(lambda: a2i.describe_human_loop(HumanLoopName="Bad_Name"))
    assert message == (
        "1 validation error detected: Value 'Bad_Name' at 'humanLoopName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {LOOP_NAME_PATTERN}"
    )


def test_botocore_alone_does_not_catch_a_64_character_name(fake: FakeA2I, sagemaker: Any) -> None:
    name = "a" * 64
    shape = _input_shape("sagemaker", "DescribeFlowDefinition")
    assert not ParamValidator().validate({"FlowDefinitionName": name}, shape).has_errors()

    message = validation_error(lambda: sagemaker.describe_flow_definition(FlowDefinitionName=name))
    assert "Member must have length less than or equal to 63" in message
    # It reached the fake (botocore sent it) and the fake rejected it.
    assert fake.calls[-1].operation == "DescribeFlowDefinition"
    assert fake.calls[-1].params == {"FlowDefinitionName": name}
    assert fake.calls[-1].error == "ValidationException"


def test_enum(sagemaker: Any) -> None:
    message = validation_error(lambda: sagemaker.list_flow_definitions(SortOrder="Sideways"))
    assert message.endswith(
        "Value 'Sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy "
        "enum value set: [Ascending, Descending]"
    )


def test_nested_integer_range(fake: FakeA2I, sagemaker: Any) -> None:
    request = flow_request(HumanLoopConfig=human_loop_config(TaskCount=4))
    message = validation_error(lambda: sagemaker.create_flow_definition(**request))
    assert message == (
        "1 validation error detected: Value '4' at 'humanLoopConfig.taskCount' failed to "
        "satisfy constraint: Member must have value less than or equal to 3"
    )
    assert fake.flow_definitions == {}


def test_deeply_nested_path(sagemaker: Any) -> None:
    config = human_loop_config(
        WorkteamArn=PUBLIC_CROWD_ARN,
        PublicWorkforceTaskPrice={"AmountInUsd": {"Dollars": 3, "Cents": 0}},
    )
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(HumanLoopConfig=config))
    )
    assert "at 'humanLoopConfig.publicWorkforceTaskPrice.amountInUsd.dollars'" in message


def test_list_length_and_list_member_paths(sagemaker: Any) -> None:
    config = human_loop_config(TaskKeywords=["one", "two!", "three", "four", "five", "six"])
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(HumanLoopConfig=config))
    )
    assert message.startswith("2 validation errors detected: ")
    assert "at 'humanLoopConfig.taskKeywords' failed to satisfy constraint: Member must " in message
    assert "have length less than or equal to 5" in message
    assert "Value 'two!' at 'humanLoopConfig.taskKeywords.2.member'" in message


def test_string_max_length_and_multiple_errors(sagemaker: Any) -> None:
    config = human_loop_config(TaskTitle="t" * 129, TaskDescription="d" * 256)
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(HumanLoopConfig=config))
    )
    assert message.startswith("2 validation errors detected: ")
    assert "'humanLoopConfig.taskTitle' failed to satisfy constraint: Member must have length " in (
        message
    )
    assert "less than or equal to 128" in message
    assert "less than or equal to 255" in message
    assert "; Value '" in message  # errors are joined as the services join them


def test_java_dot_does_not_match_a_line_break(sagemaker: Any) -> None:
    config = human_loop_config(TaskDescription="line one\nline two")
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(HumanLoopConfig=config))
    )
    assert "humanLoopConfig.taskDescription" in message


def test_tag_constraints(sagemaker: Any) -> None:
    tags = [{"Key": f"k{i}", "Value": ""} for i in range(51)]
    message = validation_error(lambda: sagemaker.create_flow_definition(**flow_request(Tags=tags)))
    assert "at 'tags' failed to satisfy constraint: Member must have length less than or " in (
        message
    )
    message = validation_error(
        lambda: sagemaker.create_flow_definition(
            **flow_request(Tags=[{"Key": "bad#key", "Value": "ünïcödé ok"}])
        )
    )
    assert "Value 'bad#key' at 'tags.1.member.key'" in message


def test_arn_patterns(sagemaker: Any, a2i: Any) -> None:
    config = human_loop_config(
        WorkteamArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/not-a-team"
    )
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(HumanLoopConfig=config))
    )
    assert "humanLoopConfig.workteamArn" in message
    message = validation_error(
        lambda: a2i.start_human_loop(
            HumanLoopName="loop-1",
            FlowDefinitionArn="arn:aws:s3:::bucket",
            HumanLoopInput={"InputContent": "{}"},
        )
    )
    assert "Value 'arn:aws:s3:::bucket' at 'flowDefinitionArn'" in message


def test_content_classifier_enum(a2i: Any, active_flow: str) -> None:
    message = validation_error(
        lambda: a2i.start_human_loop(
            HumanLoopName="loop-1",
            FlowDefinitionArn=active_flow,
            HumanLoopInput={"InputContent": "{}"},
            DataAttributes={"ContentClassifiers": ["FreeOfAdultContent", "FreeOfBugs"]},
        )
    )
    assert "Value 'FreeOfBugs' at 'dataAttributes.contentClassifiers.2.member'" in message


def test_input_content_max_length(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    content = json.dumps({"text": "x" * 3145728})
    message = validation_error(
        lambda: a2i.start_human_loop(
            HumanLoopName="big",
            FlowDefinitionArn=active_flow,
            HumanLoopInput={"InputContent": content},
        )
    )
    assert "humanLoopInput.inputContent" in message
    assert "less than or equal to 3145728" in message
    assert len(message) < 1000  # the huge value is not quoted whole
    assert fake.human_loops == {}


# -- the documented rules the model does not state -----------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": "{}"}
                }
            },
            "only be specified together with HumanLoopRequestSource",
        ),
        (
            {
                "HumanLoopRequestSource": {
                    "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
                },
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {
                        "HumanLoopActivationConditions": "{not json"
                    }
                },
            },
            "HumanLoopActivationConditions must be a JSON object",
        ),
        (
            {"HumanLoopConfig": human_loop_config(TaskTimeLimitInSeconds=28801)},
            "less than or equal to 28800",
        ),
        (
            {"HumanLoopConfig": human_loop_config(TaskAvailabilityLifetimeInSeconds=864001)},
            "less than or equal to 864000",
        ),
        (
            {
                "HumanLoopConfig": human_loop_config(
                    WorkteamArn=PUBLIC_CROWD_ARN,
                    TaskAvailabilityLifetimeInSeconds=43201,
                    PublicWorkforceTaskPrice={
                        "AmountInUsd": {"Cents": 1, "TenthFractionsOfACent": 2}
                    },
                )
            },
            "less than or equal to 43200 for the public workforce",
        ),
        (
            {"HumanLoopConfig": human_loop_config(WorkteamArn=PUBLIC_CROWD_ARN)},
            "PublicWorkforceTaskPrice is required",
        ),
        (
            {
                "HumanLoopConfig": human_loop_config(
                    WorkteamArn=PUBLIC_CROWD_ARN,
                    PublicWorkforceTaskPrice={"AmountInUsd": {"Cents": 5}},
                )
            },
            "0.050 USD is not one of the prices",
        ),
        (
            {"OutputConfig": {"S3OutputPath": "https://bucket.s3.amazonaws.com/out"}},
            "outputConfig.s3OutputPath",
        ),
        (
            {
                "HumanLoopConfig": human_loop_config(
                    WorkteamArn=f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:workteam/private-crowd/t"
                )
            },
            "does not exist or you do not have access to it",
        ),
        (
            {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]},
            "unique",
        ),
    ],
    ids=[
        "activation-without-source",
        "conditions-not-json",
        "time-limit",
        "lifetime-private",
        "lifetime-public",
        "public-without-price",
        "price-not-listed",
        "https-output",
        "workteam-other-region",
        "duplicate-tag-keys",
    ],
)
def test_semantic_rules(
    fake: FakeA2I, sagemaker: Any, overrides: dict[str, Any], expected: str
) -> None:
    message = validation_error(
        lambda: sagemaker.create_flow_definition(**flow_request(**overrides))
    )
    assert expected in message
    assert fake.flow_definitions == {}


def test_valid_builtin_and_public_flows_are_accepted(sagemaker: Any) -> None:
    textract = flow_request(
        "textract",
        HumanLoopRequestSource={
            "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
        },
        HumanLoopActivationConfig={
            "HumanLoopActivationConditionsConfig": {
                "HumanLoopActivationConditions": json.dumps({"Conditions": []})
            }
        },
        HumanLoopConfig=human_loop_config(
            WorkteamArn=PUBLIC_CROWD_ARN,
            TaskAvailabilityLifetimeInSeconds=43200,
            PublicWorkforceTaskPrice={"AmountInUsd": {"Dollars": 2, "Cents": 40}},
            TaskKeywords=["Document", "Form review"],
        ),
    )
    sagemaker.create_flow_definition(**textract)
    custom = flow_request(
        "custom",
        HumanLoopConfig=human_loop_config(
            TaskAvailabilityLifetimeInSeconds=864000, TaskTimeLimitInSeconds=28800
        ),
        OutputConfig={"S3OutputPath": "s3://bucket", "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k"},
    )
    sagemaker.create_flow_definition(**custom)


# -- the validator and the pattern translation on their own ---------------------------------


def test_every_pattern_of_both_models_compiles_cleanly() -> None:
    session = botocore.session.get_session()
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for service in ("sagemaker", "sagemaker-a2i-runtime"):
            model = session.get_service_model(service)
            for name in model.shape_names:
                pattern = model.shape_for(name).metadata.get("pattern")
                if pattern:
                    compile_pattern(pattern)
                    count += 1
    assert count > 400


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (FLOW_NAME_PATTERN, "a--b-c", True),
        (FLOW_NAME_PATTERN, "a-", False),
        (FLOW_NAME_PATTERN, "-a", False),
        (LOOP_NAME_PATTERN, "abc\n", False),  # fullmatch: "$" is not "before a final newline"
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "Équipe 日本 ٣_:/=+-@", True),
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "tab\there", False),
        (".+", "one\ntwo", False),
        (".+", "one line", True),
        (r"\d+", "٣", False),  # Java's \d is ASCII-only
        (r"[\S]+", "a\u00a0b", True),  # ... and so is \S
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "emoji 😀", True),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "bell\x07", False),
        (r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,128}", "ok", True),  # Java ignores it
        (r"\p{Alnum}+", "abc123", True),
    ],
)
def test_java_patterns(pattern: str, value: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(value) is not None) is matches


def test_validator_directly() -> None:
    shape = _input_shape("sagemaker", "CreateFlowDefinition")
    errors = validation_errors(shape, {"FlowDefinitionName": "ok", "OutputConfig": {}})
    assert errors == [
        "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        "Value null at 'outputConfig.s3OutputPath' failed to satisfy constraint: Member must "
        "not be null",
    ]
    assert validation_message(errors).startswith("2 validation errors detected: Value null")
    valid = flow_request()
    assert validation_errors(shape, valid) == []
