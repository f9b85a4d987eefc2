"""HumanLoopResults: what it synthesizes, and how an event that cannot be delivered is kept.

The retry chain follows AWS's documentation: EventBridge retries handing an event to its target
and then puts it in the target's dead-letter queue ("How EventBridge retries delivering events",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html); Lambda
retries an asynchronous invocation that fails at most twice, keeps events up to six hours, then
sends an invocation record to the on-failure destination ("Configuring error handling settings
for Lambda asynchronous invocations",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html, and "Capturing
records of Lambda asynchronous invocations",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html; only a
standard queue can be that destination).
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from constructs_a2i import HumanLoopResults
from constructs_a2i.human_loop_results import (
    EVENT_MAX_AGE,
    EVENT_RETRY_ATTEMPTS,
    FUNCTION_RETRY_ATTEMPTS,
)
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow, resources


def new_stack() -> Stack:
    return Stack(App(), "Results", env=Environment(**TEST_ENV))


def only(template: dict[str, Any], type_: str, where: str = "") -> dict[str, Any]:
    found = [v for k, v in resources(template, type_).items() if where in k]
    assert len(found) == 1, f"expected one {type_} with {where!r}, found {len(found)}"
    return found[0]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_id(template: dict[str, Any], type_: str, where: str) -> str:
    [found] = [k for k in resources(template, type_) if where in k]
    return found


@pytest.fixture(scope="module")
def synthesized() -> tuple[HumanLoopResults, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(stack)
    destination = sqs.Queue(stack, "Destination")
    results = HumanLoopResults(stack, "Results", flow_definition=flow, destination=destination)
    return results, Template.from_stack(stack).to_json()


def test_results_construct(synthesized: tuple[HumanLoopResults, dict[str, Any]]) -> None:
    """Moved from tests/constructs/test_human_loop_starter.py. Its assertion that the function's
    DeadLetterConfig is the dead-letter queue became: the function's on-failure destination is
    that queue, and it has no DeadLetterConfig (both would hold each failure twice)."""
    results, template = synthesized
    function = only(template, "AWS::Lambda::Function", "ResultsFunction")["Properties"]
    assert function["Environment"]["Variables"]["DESTINATION_QUEUE_URL"] == {
        "Ref": next(k for k in resources(template, "AWS::SQS::Queue") if "Destination" in k)
    }
    assert "DeadLetterConfig" not in function
    invoke = only(template, "AWS::Lambda::EventInvokeConfig")["Properties"]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith(
        "ResultsDeadLetterQueue"
    )
    rule = only(template, "AWS::Events::Rule")["Properties"]
    assert rule["Targets"][0]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 21600,
        "MaximumRetryAttempts": 8,
    }
    policy = only(template, "AWS::IAM::Policy", "ResultsRole")["Properties"]["PolicyDocument"]
    actions = {a for st in policy["Statement"] for a in _as_list(st["Action"])}
    assert {"s3:GetObject", "kms:Decrypt", "sqs:SendMessage"} <= actions
    assert not any(a.startswith("s3:") and a != "s3:GetObject" for a in actions)
    get = next(st for st in policy["Statement"] if st["Action"] == "s3:GetObject")
    assert get["Resource"]["Fn::Join"][1][-1] == "/a2i-output/*"
    assert results.rule is not None


def test_function_errors_are_retried_twice_then_recorded_in_the_dead_letter_queue(
    synthesized: tuple[HumanLoopResults, dict[str, Any]],
) -> None:
    _, template = synthesized
    dead_letter = _logical_id(template, "AWS::SQS::Queue", "ResultsDeadLetterQueue")
    function = _logical_id(template, "AWS::Lambda::Function", "ResultsFunction")
    invoke = only(template, "AWS::Lambda::EventInvokeConfig")["Properties"]

    assert invoke == {
        "FunctionName": {"Ref": function},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 6 * 3600,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [dead_letter, "Arn"]}}},
    }
    assert FUNCTION_RETRY_ATTEMPTS == 2  # Lambda's maximum
    # A FIFO queue cannot be an on-failure destination; this one is standard.
    queue = resources(template, "AWS::SQS::Queue")[dead_letter]["Properties"]
    assert "FifoQueue" not in queue
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600

    # The function may send the record there (Lambda sends it with the function's role).
    policy = only(template, "AWS::IAM::Policy", "ResultsRole")["Properties"]["PolicyDocument"]
    sends = [
        st["Resource"]
        for st in policy["Statement"]
        if "sqs:SendMessage" in _as_list(st["Action"]) and st["Effect"] == "Allow"
    ]
    assert {"Fn::GetAtt": [dead_letter, "Arn"]} in sends


def test_events_eventbridge_cannot_hand_over_go_to_the_same_queue(
    synthesized: tuple[HumanLoopResults, dict[str, Any]],
) -> None:
    _, template = synthesized
    dead_letter = _logical_id(template, "AWS::SQS::Queue", "ResultsDeadLetterQueue")
    rule_id = _logical_id(template, "AWS::Events::Rule", "ResultsRule")
    [target] = resources(template, "AWS::Events::Rule")[rule_id]["Properties"]["Targets"]

    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dead_letter, "Arn"]}}
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": EVENT_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": EVENT_MAX_AGE.to_seconds(),
    }
    queue_policy = only(template, "AWS::SQS::QueuePolicy", "ResultsDeadLetterQueue")
    allowed = [
        st
        for st in queue_policy["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Allow"
    ]
    assert allowed[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert allowed[0]["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
