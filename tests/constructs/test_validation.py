"""Bad input fails when the construct is created, naming the property and what is allowed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack

from constructs_a2i import A2IValidationError, HumanTaskUi, TaskPrice, TaskTemplate, Workteam
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow

FLOW_ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/some-flow"


def new_stack() -> Stack:
    return Stack(App(), "Validation", env=Environment(**TEST_ENV))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"flow_definition_name": "Upper-Case"}, r"flow_definition_name must be 1-63 characters"),
        ({"flow_definition_name": "a" * 64}, r"flow_definition_name .*\(64 characters\)"),
        ({"flow_definition_name": "ends-with-"}, r"flow_definition_name .*pattern"),
        ({"flow_definition_name": ""}, r"flow_definition_name must be 1-63"),
        ({"task_count": 4}, r"task_count must be between 1 and 3; got 4"),
        ({"task_count": 0}, r"task_count must be between 1 and 3; got 0"),
        ({"task_title": ""}, r"task_title must be 1-128 characters long; got 0"),
        ({"task_title": "t" * 129}, r"task_title must be 1-128 characters long; got 129"),
        ({"task_description": "d" * 256}, r"task_description must be 1-255 .* got 256"),
        ({"task_keywords": ["a", "b", "c", "d", "e", "f"]}, r"task_keywords must hold 1-5"),
        ({"task_keywords": []}, r"task_keywords must hold 1-5 keywords; got 0"),
        ({"task_keywords": ["with-dash"]}, r"task_keywords items .*'with-dash'"),
        ({"task_keywords": ["k" * 31]}, r"task_keywords items must be 1-30"),
        ({"task_keywords": ["two  spaces"]}, r"task_keywords items"),
        ({"task_time_limit": Duration.seconds(29)}, r"task_time_limit \(seconds\) .*got 29"),
        ({"task_time_limit": Duration.hours(9)}, r"between 30 and 28800; got 32400"),
        (
            {"task_availability_lifetime": Duration.days(11)},
            r"task_availability_lifetime .*private or vendor team.*864000; got 950400",
        ),
        ({"task_availability_lifetime": Duration.seconds(0)}, r"between 1 and 864000; got 0"),
        ({"output_prefix": "/"}, r"output_prefix must be 1-955 characters"),
        ({"removal_policy": RemovalPolicy.SNAPSHOT}, r"removal_policy .*no snapshot"),
    ],
)
def test_flow_definition_rejects(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(A2IValidationError, match=message):
        make_flow(new_stack(), **overrides)


def test_public_crowd_availability_is_capped_at_12_hours() -> None:
    stack = new_stack()
    crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("0.036"))
    with pytest.raises(A2IValidationError, match=r"public crowd.*between 1 and 43200; got 86400"):
        make_flow(stack, workteam=crowd, task_availability_lifetime=Duration.days(1))


def test_edges_are_accepted() -> None:
    stack = new_stack()
    make_flow(
        stack,
        flow_definition_name="a" * 63,
        task_count=3,
        task_title="t" * 128,
        task_description="d" * 255,
        task_keywords=["k" * 30, "a b", "x", "y", "z"],
        task_time_limit=Duration.seconds(30),
        task_availability_lifetime=Duration.days(10),
    )


@pytest.mark.parametrize(
    "arn",
    [
        FLOW_ARN,  # a flow-definition ARN is not a work team
        "arn:aws:sagemaker:us-east-1:123456789012:workteam",
        "arn:aws:s3:::bucket/workteam/x",
        "not-an-arn",
    ],
)
def test_workteam_arn_must_be_a_workteam(arn: str) -> None:
    with pytest.raises(A2IValidationError, match=re.escape("workteam_arn must be an ARN")):
        Workteam.from_workteam_arn(new_stack(), "Team", arn)


def test_template_size_is_limited() -> None:
    TaskTemplate.from_string("<crowd-form>" + "x" * (128000 - 25) + "</crowd-form>")
    with pytest.raises(A2IValidationError, match=r"template must be 1-128000 characters long"):
        TaskTemplate.from_string("<crowd-form>" + "x" * 128000 + "</crowd-form>")


def test_human_task_ui_name_and_arn_are_checked() -> None:
    stack = new_stack()
    template = TaskTemplate.from_string("<crowd-form></crowd-form>")
    with pytest.raises(A2IValidationError, match=r"human_task_ui_name must be 1-63"):
        HumanTaskUi(stack, "Ui", template=template, human_task_ui_name="Bad_Name")
    with pytest.raises(A2IValidationError, match=r"human_task_ui_arn must be an ARN"):
        HumanTaskUi.from_human_task_ui_arn(stack, "Imported", FLOW_ARN)


def test_imported_flow_definition_arn_is_checked() -> None:
    from constructs_a2i import FlowDefinition

    with pytest.raises(A2IValidationError, match=r"flow_definition_arn must be an ARN"):
        FlowDefinition.from_flow_definition_arn(
            new_stack(), "F", "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x"
        )


def test_is_token_answers_as_the_cdk_does() -> None:
    """The local token check (no jsii round trip) agrees with ``Token.is_unresolved``."""
    import jsii
    from aws_cdk import Aws, Fn, IListProducer, IStringProducer, Lazy, Token
    from aws_cdk import aws_s3 as s3
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from constructs_a2i.validation import is_token

    stack = new_stack()
    bucket = s3.Bucket(stack, "Bucket")

    @jsii.implements(IStringProducer)
    class Text:
        def produce(self, context: object) -> str:
            return "x"

    @jsii.implements(IListProducer)
    class Items:
        def produce(self, context: object) -> list[str]:
            return ["x"]

    string_token = Lazy.string(Text())
    list_token = Lazy.list(Items())
    samples: list[object] = [
        Aws.REGION,
        bucket.bucket_name,
        f"arn:aws:s3:::{bucket.bucket_name}/prefix/*",
        Fn.join("-", ["a", Aws.ACCOUNT_ID]),
        string_token,
        list_token,
        Token.as_list(Fn.split(",", Aws.STACK_NAME)),
        Token.as_number(Fn.ref("Param")),
        f"count {Token.as_number(Fn.ref('Param'))}",
        Token.as_any("plain"),
        "plain",
        "",
        "${Token[not closed",
        "${Token[with space]}",
        "#{Token[TOKEN.1]}",
        "${Token[TOKEN.1]}",
        "-1.888154589708e+289",
        "-1.8881545897087626e+289",
        ["#{Token[TOKEN.1]}"],
        ["#{Token[TOKEN.1]}", "b"],
        ["${Token[TOKEN.1]}"],
        [],
        [1],
        0,
        -1,
        2.5,
        True,
        None,
        {"a": "b"},
    ]
    for value in samples:
        assert is_token(value) == Token.is_unresolved(value), value

    alphabet = st.sampled_from(["${Token[", "#{Token[", "]}", "TOKEN", ".", "1", " ", "-", "a"])
    text = st.lists(alphabet, max_size=8).map("".join)

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.one_of(text, st.lists(text, max_size=2)))
    def agrees(value: object) -> None:
        assert is_token(value) == Token.is_unresolved(value), value

    agrees()
