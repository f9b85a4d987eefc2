"""The results Lambda against S3 and SQS in moto, with the sample event and output.json.

The samples are ``tests/fixtures/human-loop-status-change.json``, AWS's example event from
"Use Amazon CloudWatch Events in Amazon Augmented AI"
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-cloudwatch-events.html), and
``tests/fixtures/output-custom-task.json``, ``output-textract.json`` and
``output-rekognition.json``, output.json files of a custom task type and of the two built-in
ones as "Amazon A2I Output Data" shows them
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html). Stopped loops follow
"Delete a Human Loop" (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html):
tasks workers had started go on after StopHumanLoop, and their results are stored in S3.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from constructs_a2i.core import untrusted_json
from constructs_a2i.core.output_json import OutputDocumentError
from constructs_a2i.runtime.human_loop_results import index as results
from constructs_a2i.testing import FakeA2I
from tests.conftest import fixture_json
from tests.core.test_metrics import emf_problems
from tests.runtime.conftest import create_active_flow_definition

REGION = "us-east-1"
FLOW_ARN = "arn:aws:sagemaker:us-east-1:111111111111:flow-definition/flowdef-nov-12"
OUTPUT_URI = (
    "s3://customer-output-bucket-specified-in-flow-definition/flowdef-nov-12/2019/11/14/17/37/36/"
    "humanloop-nov-14-1/output.json"
)
BUCKET = "customer-output-bucket-specified-in-flow-definition"
KEY = OUTPUT_URI.split(BUCKET + "/", 1)[1]


def sample_event() -> dict[str, Any]:
    """AWS's "SageMaker A2I HumanLoop Status Change" example (a2i-cloudwatch-events page)."""
    event: dict[str, Any] = fixture_json("human-loop-status-change.json")
    return event


def sample_output() -> dict[str, Any]:
    """An output.json of a custom task type, as AWS's "Amazon A2I Output Data" page shows it."""
    output: dict[str, Any] = fixture_json("output-custom-task.json")
    return output


class Aws:
    """Handles on the moto resources one test uses."""

    def __init__(self, fifo: bool = False) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.kms = boto3.client("kms", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.key_id = self.kms.create_key()["KeyMetadata"]["KeyId"]
        if fifo:
            self.queue_url = self.sqs.create_queue(
                QueueName="results.fifo", Attributes={"FifoQueue": "true"}
            )["QueueUrl"]
        else:
            self.queue_url = self.sqs.create_queue(QueueName="results")["QueueUrl"]

    def put_output(self, document: dict[str, Any], key: str = KEY) -> None:
        # The flow definition's output is encrypted with a customer managed key; reading it
        # back is transparent to the client.
        self.s3.put_object(
            Bucket=BUCKET,
            Key=key,
            Body=json.dumps(document).encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.key_id,
        )

    def messages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                return found
            found.extend(batch)
            for message in batch:
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("FLOW_DEFINITION_ARN", FLOW_ARN)
    results.reset()
    with mock_aws():
        yield
    results.reset()


@pytest.fixture
def aws(moto_env: None, monkeypatch: pytest.MonkeyPatch) -> Aws:
    handles = Aws()
    monkeypatch.setenv("DESTINATION_QUEUE_URL", handles.queue_url)
    return handles


def test_completed_loop_sends_answers_from_output_json(aws: Aws) -> None:
    aws.put_output(sample_output())

    outcome = results.handler(sample_event(), None)

    assert outcome["outcome"] == "sent"
    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body == {
        "humanLoopName": "humanloop-nov-14-1",
        "humanLoopArn": "arn:aws:sagemaker:us-east-1:111111111111:human-loop/humanloop-nov-14-1",
        "flowDefinitionArn": FLOW_ARN,
        "status": "Completed",
        "creationTime": "2019-11-14T17:37:36.740Z",  # the event's (CloudWatch Events page)
        "failureCode": None,
        "failureReason": None,
        "outputS3Uri": OUTPUT_URI,
        "outputRead": True,
        "awsManagedHumanLoopRequestSource": None,  # a custom task
        "inputContent": sample_output()["inputContent"],
        "humanAnswers": sample_output()["humanAnswers"],
        "parsedAnswers": None,
    }
    assert body["humanAnswers"][0]["answerContent"] == {"sentiment": {"label": "Positive"}}


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        ("Failed", "Expired", "The human loop expired before workers finished it"),
        ("Failed", "ValidationError", "InputContent did not match the task template"),
        ("Stopped", None, None),
    ],
)
def test_failed_or_stopped_loop_sends_failure_without_reading_s3(
    aws: Aws, status: str, code: str | None, reason: str | None
) -> None:
    event = sample_event()
    event["detail"].update(humanLoopStatus=status, failureCode=code, failureReason=reason)
    event["detail"].pop("humanLoopOutput")  # no output.json exists; nothing in S3 either

    results.handler(event, None)

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["status"] == status
    assert body["failureCode"] == code
    assert body["failureReason"] == reason
    assert body["humanAnswers"] == []
    assert body["inputContent"] is None
    assert body["outputS3Uri"] is None
    assert body["outputRead"] is False
    assert body["humanLoopName"] == "humanloop-nov-14-1"


def test_failed_event_with_an_output_uri_still_does_not_read_it(aws: Aws) -> None:
    event = sample_event()
    event["detail"].update(humanLoopStatus="Failed", failureCode="InternalError")

    results.handler(event, None)  # the object does not exist: reading it would raise

    [message] = aws.messages()
    assert json.loads(message["Body"])["humanAnswers"] == []


def stopped_event() -> dict[str, Any]:
    """AWS's example event, for a loop that was stopped (the output location as A2I gives it)."""
    event = sample_event()
    event["detail"]["humanLoopStatus"] = "Stopped"
    return event


def test_stopped_loop_sends_the_answers_stored_in_s3(aws: Aws) -> None:
    """ "Delete a Human Loop": a task a worker had started when the loop was stopped goes on,
    and its result is stored in S3. The handler used to send such a loop with no answers."""
    aws.put_output(sample_output())

    assert results.handler(stopped_event(), None)["outcome"] == "sent"

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["status"] == "Stopped"
    assert body["outputRead"] is True
    assert body["outputS3Uri"] == OUTPUT_URI
    assert body["humanAnswers"] == sample_output()["humanAnswers"]
    assert body["inputContent"] == sample_output()["inputContent"]


def test_stopped_loop_without_an_output_object_is_sent_without_answers(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    """No worker had started the task: S3 has no output.json, and that is normal for a
    Stopped loop (a Completed one still raises: test_missing_output_object_raises...)."""
    results.handler(stopped_event(), None)  # NoSuchKey from S3

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert (body["status"], body["outputRead"], body["humanAnswers"]) == ("Stopped", False, [])
    assert body["outputS3Uri"] == OUTPUT_URI
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert logged[0]["message"] == "Stopped loop has no output.json"
    assert logged[0]["s3Error"] == "NoSuchKey"


def failing_get_object(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    client = results._s3_client()

    def refuse(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")

    monkeypatch.setattr(client, "get_object", refuse)


def test_stopped_loop_output_access_denied_means_no_output(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function's role has s3:GetObject only, and S3 answers a missing key with
    AccessDenied to a reader without s3:ListBucket: for a Stopped loop that is no output."""
    failing_get_object(monkeypatch, "AccessDenied")

    results.handler(stopped_event(), None)

    [message] = aws.messages()
    assert json.loads(message["Body"])["outputRead"] is False
    with pytest.raises(ClientError):  # a Completed loop's output must be there
        results.handler(sample_event(), None)


def test_stopped_loop_other_s3_errors_are_retried(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_get_object(monkeypatch, "SlowDown")
    with pytest.raises(ClientError):
        results.handler(stopped_event(), None)
    assert aws.messages() == []


def test_textract_loop_message_has_parsed_answers(aws: Aws) -> None:
    """AWS's Textract example of the output page: ``parsedAnswers`` holds one item per key,
    with the value before review found through Textract's block graph."""
    output = fixture_json("output-textract.json")
    aws.put_output(output)

    results.handler(sample_event(), None)

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["awsManagedHumanLoopRequestSource"] == "AWS/Textract/AnalyzeDocument/Forms/V1"
    assert body["humanAnswers"] == output["humanAnswers"]
    [parsed] = body["parsedAnswers"]
    assert parsed["answerIndex"] == 0 and parsed["workerId"] == "111122223333"
    [item] = parsed["items"]
    assert (item["key"], item["keyBefore"], item["valueBefore"]) == (
        "Foo bar baz",
        "Foo bar",
        "123 Any Street",
    )
    assert item["changed"] is True and item["confidenceBefore"] == 38.43309020996094


def test_rekognition_loop_message_has_parsed_answers(aws: Aws) -> None:
    aws.put_output(fixture_json("output-rekognition.json"))

    results.handler(sample_event(), None)

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["awsManagedHumanLoopRequestSource"] == (
        "AWS/Rekognition/DetectModerationLabels/Image/V3"
    )
    assert body["parsedAnswers"] == [
        {
            "answerIndex": 0,
            "workerId": "ef7294f850a3d9d1",
            "items": [
                {
                    "label": "Suggestive",
                    "parent": "",
                    "confidence": 96.7122802734375,
                    "decision": "confirmed",
                }
            ],
        }
    ]


@pytest.mark.parametrize("layout", ["humanLoopInputContent", "top-level"])
def test_older_output_layouts_still_give_the_input(aws: Aws, layout: str) -> None:
    """Older outputs hold the input in ``humanLoopInputContent``, or the AWS-managed parts at
    the top level; they used to come out as ``inputContent: null``."""
    output = fixture_json("output-textract.json")
    content = output.pop("inputContent")
    if layout == "top-level":
        output.update(content)
    else:
        output["humanLoopInputContent"] = content
    aws.put_output(output)

    results.handler(sample_event(), None)

    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["inputContent"] == content
    assert body["parsedAnswers"][0]["items"][0]["valueBefore"] == "123 Any Street"


def test_parsed_answers_go_before_the_human_answers_when_too_large(aws: Aws) -> None:
    output = fixture_json("output-textract.json")
    answer = output["humanAnswers"][0]
    blocks = answer["answerContent"]["AWS/Textract/AnalyzeDocument/Forms/V1"]["blocks"]
    blocks += [
        {"blockType": "KEY_VALUE_SET", "id": f"k{i}", "entityTypes": ["KEY"], "text": "k" * 400}
        for i in range(300)
    ]
    aws.put_output(output)

    outcome = results.handler(sample_event(), None)

    assert outcome["omitted"] == ["inputContent", "parsedAnswers"]
    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["parsedAnswers"] is None and body["humanAnswers"] == output["humanAnswers"]
    assert len(message["Body"].encode()) <= results.MESSAGE_MAX_BYTES


def test_event_for_another_flow_definition_is_ignored(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sample_event()
    event["detail"]["flowDefinitionArn"] = FLOW_ARN.replace("flowdef-nov-12", "someone-else")

    outcome = results.handler(event, None)

    assert outcome["outcome"] == "ignored"
    assert aws.messages() == []
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["message"] == "ignored: event for another flow definition"
    assert log["humanLoopName"] == "humanloop-nov-14-1"


def test_non_final_status_is_ignored(aws: Aws) -> None:
    event = sample_event()
    event["detail"]["humanLoopStatus"] = "InProgress"
    assert results.handler(event, None)["outcome"] == "ignored"
    assert aws.messages() == []


def test_missing_output_object_raises_for_the_async_retry(aws: Aws) -> None:
    with pytest.raises(ClientError) as raised:
        results.handler(sample_event(), None)
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    assert aws.messages() == []


def test_completed_event_without_output_uri_raises(aws: Aws) -> None:
    event = sample_event()
    event["detail"].pop("humanLoopOutput")
    with pytest.raises(ValueError, match=r"no humanLoopOutput\.outputS3Uri"):
        results.handler(event, None)


def test_output_that_is_not_json_raises(aws: Aws) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"<html>")
    with pytest.raises(ValueError):
        results.handler(sample_event(), None)
    assert aws.messages() == []


def test_fifo_queue_groups_by_flow_and_deduplicates_by_loop_and_status(
    moto_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = Aws(fifo=True)
    monkeypatch.setenv("DESTINATION_QUEUE_URL", aws.queue_url)
    aws.put_output(sample_output())

    results.handler(sample_event(), None)
    results.handler(copy.deepcopy(sample_event()), None)  # EventBridge redelivery

    [message] = aws.messages()  # the second send was deduplicated by SQS
    assert message["Attributes"]["MessageGroupId"] == "flowdef-nov-12"
    assert message["Attributes"]["MessageDeduplicationId"] == "humanloop-nov-14-1-Completed"


def test_oversized_result_is_sent_as_a_pointer_to_output_json(aws: Aws) -> None:
    output = sample_output()
    answer = output["humanAnswers"][0]
    output["humanAnswers"] = [
        {**answer, "answerContent": {"notes": "x" * 1000, "n": i}} for i in range(400)
    ]
    aws.put_output(output)

    outcome = results.handler(sample_event(), None)

    assert outcome["truncated"] is True
    [message] = aws.messages()
    body = json.loads(message["Body"])
    assert body["truncated"] is True
    assert body["humanAnswers"] == []
    assert body["outputS3Uri"] == OUTPUT_URI
    assert len(message["Body"].encode()) <= results.MESSAGE_MAX_BYTES
    # The input went first; the answers alone were still too large, so they went too.
    assert body["omitted"] == ["inputContent", "humanAnswers"]
    assert body["inputContent"] is None


def test_missing_configuration_is_reported(moto_env: None) -> None:
    with pytest.raises(ValueError, match="DESTINATION_QUEUE_URL is not set"):
        results.handler(sample_event(), None)


def test_a_loop_the_fake_stops_with_answers_is_delivered_with_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fake stops one loop after its worker answered (its output.json written to moto's S3
    where A2I writes it) and one before anyone started: both events reach the handler."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    answers = sample_output()["humanAnswers"]
    results.reset()
    with mock_aws(), FakeA2I(seed=0) as fake:
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="review-output")
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="results")["QueueUrl"]
        flow_arn = create_active_flow_definition(fake)
        a2i = fake.client("sagemaker-a2i-runtime")
        for name in ("answered", "untouched"):
            a2i.start_human_loop(
                HumanLoopName=name,
                FlowDefinitionArn=flow_arn,
                HumanLoopInput={"InputContent": json.dumps({"taskObject": name})},
            )
        fake.stop_human_loop("answered", answers=answers, s3=s3)
        fake.stop_human_loop("untouched")
        monkeypatch.setenv("FLOW_DEFINITION_ARN", flow_arn)
        monkeypatch.setenv("DESTINATION_QUEUE_URL", queue_url)
        for event in fake.events:
            results.handler(event, None)
        bodies = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        ]
    results.reset()
    by_name = {body["humanLoopName"]: body for body in bodies}
    assert by_name["answered"]["status"] == "Stopped"
    assert by_name["answered"]["humanAnswers"] == answers
    assert by_name["answered"]["inputContent"] == {"taskObject": "answered"}
    assert by_name["untouched"]["outputS3Uri"] is None
    assert by_name["untouched"]["humanAnswers"] == []


def test_events_from_the_fake_lifecycle_are_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loops the A2I fake completes, fails and stops, through the results handler."""
    with FakeA2I(seed=0) as fake:
        flow_arn = create_active_flow_definition(fake)
        a2i = fake.client("sagemaker-a2i-runtime")
        for name in ("done", "expired", "stopped"):
            a2i.start_human_loop(
                HumanLoopName=name,
                FlowDefinitionArn=flow_arn,
                HumanLoopInput={"InputContent": json.dumps({"taskObject": name})},
            )
        fake.complete_human_loop("done")
        fake.fail_human_loop("expired", failure_code="Expired")
        a2i.stop_human_loop(HumanLoopName="stopped")
        events = fake.events
    assert [e["detail"]["humanLoopStatus"] for e in events] == ["Completed", "Failed", "Stopped"]

    for name in ("AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("FLOW_DEFINITION_ARN", flow_arn)
    results.reset()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="results")["QueueUrl"]
        monkeypatch.setenv("DESTINATION_QUEUE_URL", queue_url)
        uri = events[0]["detail"]["humanLoopOutput"]["outputS3Uri"]
        bucket, key = uri[5:].split("/", 1)
        s3.create_bucket(Bucket=bucket)
        output = {**sample_output(), "flowDefinitionArn": flow_arn, "humanLoopName": "done"}
        output["inputContent"] = {"taskObject": "done"}
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(output).encode())

        for event in events:
            results.handler(event, None)

        bodies = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        ]
    results.reset()
    by_name = {body["humanLoopName"]: body for body in bodies}
    assert set(by_name) == {"done", "expired", "stopped"}
    assert by_name["done"]["inputContent"] == {"taskObject": "done"}
    assert by_name["done"]["humanAnswers"] == sample_output()["humanAnswers"]
    assert by_name["expired"]["failureCode"] == "Expired"
    assert by_name["expired"]["humanAnswers"] == []
    assert by_name["stopped"]["status"] == "Stopped"
    assert all(body["flowDefinitionArn"] == flow_arn for body in bodies)


# ---------------------------------------------------------------------------------------------
# Hostile and unlucky input: poison documents, characters SQS refuses, oversized results
# ---------------------------------------------------------------------------------------------

SECOND_KEY = KEY.replace("humanloop-nov-14-1", "humanloop-nov-14-2")


def sqs_refuses(body: str) -> list[str]:
    """The characters of ``body`` outside what SQS's SendMessage accepts in a MessageBody:
    ``#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF``
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
    moto does not check them; real SQS refuses the message (or replaces them with U+FFFD)."""

    def allowed(code: int) -> bool:
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    return [f"U+{ord(c):04X}" for c in body if not allowed(ord(c))]


def second_loop_event() -> dict[str, Any]:
    event = sample_event()
    event["detail"]["humanLoopName"] = "humanloop-nov-14-2"
    event["detail"]["humanLoopArn"] = event["detail"]["humanLoopArn"].replace("-1", "-2")
    event["detail"]["humanLoopOutput"]["outputS3Uri"] = OUTPUT_URI.replace(KEY, SECOND_KEY)
    return event


@pytest.mark.parametrize("depth", [50_000, 201])
def test_deeply_nested_output_json_fails_that_loop_alone_with_a_clear_error(
    aws: Aws, depth: int
) -> None:
    """A poison output.json (here an answer nested ``depth`` levels) is not parsed into a
    RecursionError: the handler raises OutputDocumentError naming the loop, so Lambda retries
    it and then records it, with that error, in the dead-letter queue (its on-failure
    destination). The next loop is delivered as usual."""
    nested = "[" * depth + "]" * depth
    poison = sample_output()
    text = json.dumps(poison).replace('{"sentiment": {"label": "Positive"}}', nested)
    assert nested in text
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=text.encode())
    aws.put_output(sample_output(), key=SECOND_KEY)

    with pytest.raises(OutputDocumentError) as raised:
        results.handler(sample_event(), None)
    assert isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert message.startswith(f"human loop humanloop-nov-14-1: {OUTPUT_URI} is nested deeper")
    assert f"than {untrusted_json.MAX_DEPTH} levels" in message
    assert aws.messages() == []

    assert results.handler(second_loop_event(), None)["outcome"] == "sent"
    [delivered] = aws.messages()
    assert json.loads(delivered["Body"])["humanLoopName"] == "humanloop-nov-14-2"


def test_output_json_nested_within_the_limit_is_delivered(aws: Aws) -> None:
    output = sample_output()
    deep: Any = "bottom"
    for _ in range(untrusted_json.MAX_DEPTH - 4):  # document > humanAnswers > [0] > answer
        deep = [deep]
    output["humanAnswers"][0]["answerContent"] = {"deep": deep}
    aws.put_output(output)

    results.handler(sample_event(), None)

    [message] = aws.messages()
    assert json.loads(message["Body"])["humanAnswers"][0]["answerContent"] == {"deep": deep}


def test_lone_surrogates_are_sent_as_escapes_that_decode_to_the_same_text(aws: Aws) -> None:
    """``"\\ud800"`` in InputContent (json.loads accepts it, and so does the starter) used to
    make the handler raise UnicodeEncodeError: the event could never be delivered."""
    output = sample_output()
    output["inputContent"] = {"taskObject": "broken \ud800 pair", "other": "\udfff"}
    output["humanAnswers"][0]["answerContent"] = {"comment": "ok \ud83d", "label": "é 😀"}
    aws.put_output(output)  # json.dumps writes them as \ud800 escapes, as A2I would

    outcome = results.handler(sample_event(), None)

    assert outcome["outcome"] == "sent" and outcome["truncated"] is False
    [message] = aws.messages()
    assert sqs_refuses(message["Body"]) == []
    assert "é 😀" in message["Body"]  # other non-ASCII text is kept as it is
    body = json.loads(message["Body"])
    assert body["inputContent"] == output["inputContent"]
    assert body["humanAnswers"] == output["humanAnswers"]


def test_characters_sqs_refuses_are_sent_as_escapes(aws: Aws) -> None:
    """U+FFFE, U+FFFF (and the C0 controls) are valid in JSON and UTF-8 but not in an SQS
    message body; the handler used to send them as they were."""
    output = sample_output()
    output["inputContent"] = {"taskObject": "a\ufffeb\uffffc\x01d\x7fe\U0010fffd"}
    output["humanAnswers"][0]["answerContent"] = {"comment": "\uffff"}
    aws.put_output(output)

    results.handler(sample_event(), None)

    [message] = aws.messages()
    assert sqs_refuses(message["Body"]) == []
    assert "\\ufffe" in message["Body"] and "\\uffff" in message["Body"]
    body = json.loads(message["Body"])
    assert body["inputContent"] == output["inputContent"]
    assert body["humanAnswers"][0]["answerContent"] == {"comment": "\uffff"}


def test_oversized_input_is_dropped_first_and_the_answers_are_kept(aws: Aws) -> None:
    """A Textract-sized InputContent (300,000 characters) and a small answer: the message keeps
    the answers and says that inputContent was left out."""
    output = sample_output()
    output["inputContent"] = {"document": "x" * 300_000}
    aws.put_output(output)

    outcome = results.handler(sample_event(), None)

    assert outcome["truncated"] is True and outcome["omitted"] == ["inputContent"]
    [message] = aws.messages()
    assert len(message["Body"].encode()) <= results.MESSAGE_MAX_BYTES
    body = json.loads(message["Body"])
    assert body["truncated"] is True
    assert body["omitted"] == ["inputContent"]
    assert body["inputContent"] is None
    assert body["humanAnswers"] == sample_output()["humanAnswers"]
    assert body["outputS3Uri"] == OUTPUT_URI


def test_size_is_measured_after_escaping(aws: Aws) -> None:
    """Each U+FFFF (3 bytes in UTF-8) is sent as a 6-byte escape: the cut is decided on the
    bytes actually sent."""
    output = sample_output()
    output["inputContent"] = {"taskObject": "\uffff" * 50_000}  # 150 KB raw, 300 KB escaped
    aws.put_output(output)

    outcome = results.handler(sample_event(), None)

    assert outcome["omitted"] == ["inputContent"]
    [message] = aws.messages()
    assert len(message["Body"].encode()) <= results.MESSAGE_MAX_BYTES


# --------------------------------------------------------------------------------------------
# Metrics (EMF lines on stdout, checked against the specification's rules)
# --------------------------------------------------------------------------------------------


def emf_documents(output: str) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in output.splitlines() if line.startswith('{"')]
    found = [d for d in documents if "_aws" in d]
    for document in found:
        assert emf_problems(document) == []
    return found


def test_a_completed_loop_emits_its_metrics(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.put_output(sample_output())
    results.handler(sample_event(), None)
    [document] = emf_documents(capsys.readouterr().out)
    assert document["FlowDefinitionName"] == "flowdef-nov-12"
    assert document["LoopsCompleted"] == 1
    assert document["AnswersPerLoop"] == 1
    # creationTime 17:37:36.740 to the event's time 17:49:25 (the CloudWatch Events page).
    assert document["TimeToComplete"] == pytest.approx(708.26)


def test_a_failed_loop_is_counted_by_failure_code(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sample_event()
    event["detail"].update(
        humanLoopStatus="Failed", failureCode="Expired", failureReason="expired", humanLoopOutput={}
    )
    results.handler(event, None)
    documents = emf_documents(capsys.readouterr().out)
    failed = [d for d in documents if "LoopsFailed" in d]
    assert [d.get("FailureCode") for d in failed] == ["Expired"]
    directives = failed[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert directives == [["FlowDefinitionName"], ["FlowDefinitionName", "FailureCode"]]
    assert not any("TimeToComplete" in d for d in documents)
