"""The starter Lambda: real-shaped SQS, S3 and EventBridge events against the A2I fake."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from constructs_a2i.core import untrusted_json
from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.core.loop_names import s3_object_loop_name
from constructs_a2i.runtime.human_loop_starter import index
from tests.core.test_metrics import emf_problems
from tests.runtime.conftest import (
    Starter,
    eventbridge_event,
    log_lines,
    s3_object_created,
    sqs_record,
)

NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
FLOW = "arn:aws:sagemaker:us-east-1:111111111111:flow-definition/review"


def loops_by_name(starter: Starter) -> dict[str, Any]:
    return dict(starter.fake.human_loops)


# --------------------------------------------------------------------------------------------
# Settings (their rules are core's: tests/core/test_starter_settings.py)
# --------------------------------------------------------------------------------------------


def test_invalid_settings_are_configuration_errors_naming_the_variable() -> None:
    with pytest.raises(index.ConfigurationError, match=r"^ID_FIELD must be a path"):
        index.load_settings({"FLOW_DEFINITION_ARN": FLOW, "ID_FIELD": "a..b"})


def test_settings_are_parsed() -> None:
    settings = index.load_settings(
        {
            "FLOW_DEFINITION_ARN": FLOW,
            "ID_FIELD": "$.meta.id",
            "INPUT_PATH": "$.document",
            "ACTIVATION": '{"path": "$.score", "operator": "lt", "value": 0.8}',
            "CONTENT_CLASSIFIERS": "FreeOfAdultContent,FreeOfPersonallyIdentifiableInformation",
            "MAX_CONCURRENCY": "4",
            "LOOP_NAME_PREFIX": "claims",
        }
    )
    assert settings.id_field is not None and settings.id_field.steps == ("meta", "id")
    assert settings.input_path is not None and settings.input_path.steps == ("document",)
    assert settings.activation is not None and settings.activation.operator == "lt"
    assert settings.content_classifiers == (
        "FreeOfAdultContent",
        "FreeOfPersonallyIdentifiableInformation",
    )
    assert settings.max_concurrency == 4
    assert settings.loop_name_prefix == "claims"


def test_invalid_configuration_fails_the_whole_batch(starter: Starter) -> None:
    starter.configure(ACTIVATION="not json")
    with pytest.raises(index.ConfigurationError):
        starter.run([sqs_record({"id": 1})])
    assert starter.starts() == []


def test_an_event_that_is_not_from_sqs_is_rejected(starter: Starter) -> None:
    with pytest.raises(ValueError, match="SQS event"):
        index.handler({"detail": {}}, None)


# --------------------------------------------------------------------------------------------
# SQS messages
# --------------------------------------------------------------------------------------------


def test_single_message_starts_one_loop_with_the_body_as_input(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(LOOP_NAME_PREFIX="claims")
    body = {"taskObject": "Great product", "prediction": {"label": "positive", "confidence": 0.4}}

    response = starter.run([sqs_record(body, "m-1")])

    assert response == {"batchItemFailures": []}
    [(name, loop)] = loops_by_name(starter).items()
    assert NAME.match(name) and name.startswith("claims-") and len(name) <= 63
    assert loop.input == body
    assert loop.flow_definition_arn == starter.flow_definition_arn
    assert loop.data_attributes is None
    [line, summary] = log_lines(capsys.readouterr().out)
    assert line == {
        "level": "INFO",
        "message": "human loop started",
        "messageId": "m-1",
        "humanLoopName": name,
        "outcome": "started",
        "reason": None,
        "source": "sqs",
        "attempts": 1,
        "errorCode": None,
        "receiveCount": "1",
    }
    assert summary["message"] == "batch processed" and summary["started"] == 1


def test_batch_of_ten_starts_ten_loops_concurrently(starter: Starter) -> None:
    starter.fake.faults.latency = 0.2
    records = [sqs_record({"n": i}) for i in range(10)]
    index._state()  # the client exists already (warm invocation)

    began = time.perf_counter()
    response = starter.run(records)
    elapsed = time.perf_counter() - began

    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 10
    assert len(starter.starts()) == 10
    # One after the other they take 10 x 0.2 = 2 s; a loaded 2-core machine adds up to ~1 s.
    assert elapsed < 0.2 * 7, f"10 starts took {elapsed:.2f}s: not concurrent"


def test_max_concurrency_bounds_parallel_starts(starter: Starter) -> None:
    starter.configure(MAX_CONCURRENCY="2")
    in_flight, peak, lock = [0], [0], threading.Lock()
    real_start = index._start

    def counting_start(*args: Any) -> index.Result:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            time.sleep(0.02)
            return real_start(*args)
        finally:
            with lock:
                in_flight[0] -= 1

    starter.monkeypatch.setattr(index, "_start", counting_start)
    response = starter.run([sqs_record({"n": i}) for i in range(10)])

    assert response["batchItemFailures"] == []
    assert peak[0] == 2
    assert len(starter.fake.human_loops) == 10


def test_duplicates_within_a_batch_cost_one_call(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"taskObject": "same input", "score": 0.1}
    records = [sqs_record(body, "a"), sqs_record({"other": 1}, "b"), sqs_record(body, "c")]

    response = starter.run(records)

    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 2
    assert len(starter.starts()) == 2
    lines = {line["messageId"]: line for line in log_lines(capsys.readouterr().out)[:-1]}
    assert lines["a"]["outcome"] == "started"
    assert lines["c"]["outcome"] == "already-started"
    assert lines["c"]["reason"] == "duplicate of message a in this batch"
    assert lines["a"]["humanLoopName"] == lines["c"]["humanLoopName"]


def test_content_hash_ignores_key_order_and_whitespace(starter: Starter) -> None:
    starter.run([sqs_record('{"a": 1, "b": [1, 2]}')])
    response = starter.run([sqs_record('{"b":[1,2],"a":1}')])
    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 1


def test_redelivered_and_resent_messages_across_batches_start_nothing_new(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [{"n": i} for i in range(10)]
    first = starter.run([sqs_record(body) for body in bodies])
    # The producer re-sends five of them (new message ids), SQS redelivers one as is.
    resent = [sqs_record(body) for body in bodies[:5]]
    second = starter.run([*resent, sqs_record(bodies[9], receive_count=2)])

    assert first["batchItemFailures"] == [] and second["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 10
    # A2I answers a repeat of the same start with the loop's ARN (ConflictException is for
    # different input only), so the repeats succeed without starting anything.
    assert [c.error for c in starter.fake.calls if c.operation == "StartHumanLoop"] == [None] * 16
    outcomes = [line["outcome"] for line in log_lines(capsys.readouterr().out) if "outcome" in line]
    assert outcomes == ["started"] * 16


def test_a_conflict_for_a_name_derived_from_the_content_is_a_duplicate(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    # Were A2I to answer ConflictException to a repeat of the same input after all, a name
    # that is a hash of the content still cannot name other input: already started.
    starter.run([sqs_record({"n": 1})])
    starter.fake.fail_next("StartHumanLoop", "ConflictException")
    response = starter.run([sqs_record({"n": 1}, "again")])
    assert response["batchItemFailures"] == []
    line = log_lines(capsys.readouterr().out)[-2]
    assert line["outcome"] == "already-started" and line["errorCode"] == "ConflictException"
    assert "derived from this input" in line["reason"]


def test_id_field_names_the_loop_and_a_resend_starts_nothing_new(starter: Starter) -> None:
    starter.configure(ID_FIELD="$.meta.requestId", LOOP_NAME_PREFIX="claims")
    body = {"meta": {"requestId": "REQ-0042"}, "v": 1}

    starter.run([sqs_record(body)])
    response = starter.run([sqs_record(body)])

    assert response["batchItemFailures"] == []
    [name] = starter.fake.human_loops
    assert name.startswith("claims-req-0042-")
    assert starter.fake.calls_to("StartHumanLoop", succeeded=False) == []


# --------------------------------------------------------------------------------------------
# Conflicts: the same id with different content
# --------------------------------------------------------------------------------------------


def message_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The per-message log lines (not the batch summaries)."""
    return [line for line in log_lines(capsys.readouterr().out) if "messageId" in line]


def conflict_lines(output: str) -> list[dict[str, Any]]:
    return [line for line in log_lines(output) if line.get("outcome") == "conflict"]


def test_the_same_id_with_new_content_is_a_conflict_not_a_duplicate(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(ID_FIELD="$.claim", LOOP_NAME_PREFIX="claims")
    first = '{"claim": "C-7", "amount": "$10"}'
    second = '{"claim": "C-7", "amount": "$10000"}'

    starter.run([sqs_record(first, "m1")])
    capsys.readouterr()
    response = starter.run([sqs_record(second, "m2")])

    # The default (on_conflict="succeed") deletes the message: it can never start a loop.
    assert response["batchItemFailures"] == []
    [(name, loop)] = starter.fake.human_loops.items()
    assert loop.input["amount"] == "$10"  # the $10,000 claim was never reviewed: say so
    output = capsys.readouterr().out
    [line] = conflict_lines(output)
    assert line["level"] == "WARNING"
    assert line["message"] == "human loop name in use with different input"
    assert line["humanLoopName"] == name
    assert line["errorCode"] == "ConflictException"
    assert line["inputDigest"] == index.input_digest(second) != index.input_digest(first)
    assert line["inputDigest"].startswith("sha256:") and len(line["inputDigest"]) == 23
    assert line["onConflict"] == "succeed"
    assert "10000" not in output  # a digest, never the content
    assert log_lines(output)[-1]["conflict"] == 1


def test_on_conflict_fail_returns_the_message_to_the_queue(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(ID_FIELD="claim", ON_CONFLICT="fail")
    starter.run([sqs_record({"claim": "C-7", "amount": 10}, "m1")])
    response = starter.run([sqs_record({"claim": "C-7", "amount": 10000}, "m2")])
    assert starter.failed_ids(response) == {"m2"}  # every delivery: it reaches the DLQ
    [line] = conflict_lines(capsys.readouterr().out)
    assert line["onConflict"] == "fail" and line["level"] == "WARNING"


def test_conflicts_within_one_batch_cost_one_call(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(ID_FIELD="claim")
    records = [
        sqs_record('{"claim": "C-1", "amount": 10, "note": "a"}', "first"),
        sqs_record('{"note": "a", "amount": 10, "claim": "C-1"}', "same-json"),
        sqs_record('{"claim": "C-1", "amount": 10000, "note": "a"}', "other"),
    ]
    response = starter.run(records)
    assert response["batchItemFailures"] == []
    assert len(starter.starts()) == 1
    lines = {line["messageId"]: line for line in log_lines(capsys.readouterr().out)[:-1]}
    assert lines["first"]["outcome"] == "started"
    # Key order and spacing aside, the same JSON: a duplicate.
    assert lines["same-json"]["outcome"] == "already-started"
    assert lines["other"]["outcome"] == "conflict"
    assert lines["other"]["reason"].startswith("same loop name as message first in this batch")
    assert lines["other"]["inputDigest"] == index.input_digest(records[2]["body"])


def test_ids_1_and_text_1_are_one_identity(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    # identity_value: 1 and "1" are both the text 1, so they name the same loop. Messages
    # that differ only there are different input, so the second is a conflict.
    starter.configure(ID_FIELD="id")
    starter.run([sqs_record({"id": 1, "amount": 10}, "number")])
    starter.run([sqs_record({"id": 1, "amount": 10}, "number-again")])
    starter.run([sqs_record({"id": "1", "amount": 10}, "text")])
    assert len(starter.fake.human_loops) == 1
    lines = {line["messageId"]: line for line in message_lines(capsys)}
    assert lines["number-again"]["outcome"] == "started"  # the same start, repeated
    assert lines["text"]["outcome"] == "conflict"
    assert lines["text"]["humanLoopName"] == lines["number"]["humanLoopName"]


def test_a_retry_whose_first_answer_was_lost_is_not_a_conflict(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first attempt starts the loop but its answer is lost; were A2I to answer the
    # retry (the same input) with ConflictException, it is this message's own loop.
    starter.configure(ID_FIELD="id")
    _, client = index._state()
    lost = [1]

    def lose_the_response(**_: Any) -> None:
        if lost[0]:
            lost[0] -= 1
            starter.fake.fail_next("StartHumanLoop", "ConflictException")
            raise ReadTimeoutError(endpoint_url=starter.fake.endpoint_url)

    client.meta.events.register(
        "after-call.sagemaker-a2i-runtime.StartHumanLoop", lose_the_response
    )
    response = starter.run([sqs_record({"id": "x-1"}, "m")])
    assert response["batchItemFailures"] == []
    [line] = log_lines(capsys.readouterr().out)[:-1]
    assert line["outcome"] == "already-started" and line["attempts"] == 2
    assert "earlier attempt" in line["reason"]


def test_integer_ids_are_identities(starter: Starter) -> None:
    starter.configure(ID_FIELD="id")
    starter.run([sqs_record({"id": 17, "v": 1}), sqs_record({"id": 18})])
    assert sorted(n.split("-")[0] for n in starter.fake.human_loops) == ["17", "18"]


def test_input_path_selects_the_input_content(starter: Starter) -> None:
    starter.configure(INPUT_PATH="$.document")
    starter.run([sqs_record({"document": {"text": "review me"}, "routing": "x"})])
    [loop] = starter.fake.human_loops.values()
    assert loop.input == {"text": "review me"}


def test_content_classifiers_become_data_attributes(starter: Starter) -> None:
    starter.configure(
        CONTENT_CLASSIFIERS="FreeOfPersonallyIdentifiableInformation,FreeOfAdultContent"
    )
    starter.run([sqs_record({"n": 1})])
    [loop] = starter.fake.human_loops.values()
    assert loop.data_attributes == {
        "ContentClassifiers": ["FreeOfAdultContent", "FreeOfPersonallyIdentifiableInformation"]
    }


# --------------------------------------------------------------------------------------------
# Activation
# --------------------------------------------------------------------------------------------


def test_activation_condition_skips_or_starts(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(
        ACTIVATION='{"path": "$.prediction.confidence", "operator": "lt", "value": 0.8}'
    )
    records = [
        sqs_record({"prediction": {"confidence": 0.95}}, "confident"),
        sqs_record({"prediction": {"confidence": 0.42}}, "unsure"),
        sqs_record({"prediction": {}}, "missing"),
        sqs_record({"prediction": {"confidence": "high"}}, "text"),
    ]

    response = starter.run(records)

    assert starter.failed_ids(response) == {"missing", "text"}
    assert len(starter.fake.human_loops) == 1
    lines = {line["messageId"]: line for line in log_lines(capsys.readouterr().out)[:-1]}
    assert lines["confident"]["outcome"] == "skipped"
    assert lines["unsure"]["outcome"] == "started"
    assert "'$.prediction.confidence' is missing" in lines["missing"]["reason"]
    assert "not comparable" in lines["text"]["reason"]


@pytest.mark.parametrize(
    ("operator", "value", "payload", "starts"),
    [
        ("le", 5, 5, True),
        ("gt", 5, 5, False),
        ("ge", 5, 5.0, True),
        ("eq", "cat", "cat", True),
        ("ne", "cat", "cat", False),
        ("eq", True, True, True),
        ("eq", True, 1, None),  # a number is not comparable with a boolean: malformed
    ],
)
def test_activation_operators(
    starter: Starter, operator: str, value: Any, payload: Any, starts: bool | None
) -> None:
    starter.configure(ACTIVATION=json.dumps({"path": "x", "operator": operator, "value": value}))
    response = starter.run([sqs_record({"x": payload}, "m")])
    assert (starter.failed_ids(response) == {"m"}) == (starts is None)
    assert len(starter.fake.human_loops) == (1 if starts else 0)


# --------------------------------------------------------------------------------------------
# S3 and EventBridge sources
# --------------------------------------------------------------------------------------------


def test_s3_object_created_starts_one_loop_per_object_version(starter: Starter) -> None:
    starter.configure(LOOP_NAME_PREFIX="docs", SOURCE_KIND="s3")
    first = s3_object_created("claims-inbox", "2024/05/Invoice 42.pdf", size=1234)
    redelivered = json.loads(json.dumps(first))
    redelivered["id"] = "another-eventbridge-id"  # a re-sent event has a new envelope id
    overwritten = s3_object_created(
        "claims-inbox", "2024/05/Invoice 42.pdf", etag="0cc175b9c0f1b6a831c399e269772661"
    )

    response = starter.run([sqs_record(first), sqs_record(redelivered), sqs_record(overwritten)])

    assert response["batchItemFailures"] == []
    assert len(starter.starts()) == 2
    loops = starter.fake.human_loops
    assert len(loops) == 2
    for name in loops:
        assert name.startswith("docs-invoice-42-pdf-") and NAME.match(name)
    inputs = sorted((loop.input for loop in loops.values()), key=lambda i: i["etag"])
    assert inputs[1] == {
        "taskObject": "s3://claims-inbox/2024/05/Invoice 42.pdf",
        "bucket": "claims-inbox",
        "key": "2024/05/Invoice 42.pdf",
        "size": 1234,
        "etag": "b1946ac92492d2347c6235b4d2611184",
    }


def test_s3_version_id_is_the_identity_in_versioned_buckets(starter: Starter) -> None:
    starter.configure(SOURCE_KIND="s3")
    v1 = s3_object_created("bucket", "a.png", version_id="v1")
    v2 = s3_object_created("bucket", "a.png", version_id="v2")  # same content and ETag
    starter.run([sqs_record(v1), sqs_record(v2)])
    versions = sorted(loop.input["versionId"] for loop in starter.fake.human_loops.values())
    assert versions == ["v1", "v2"]


def test_s3_event_without_object_key_is_malformed(starter: Starter) -> None:
    starter.configure(SOURCE_KIND="s3")
    event = s3_object_created("bucket", "a.png")
    del event["detail"]["object"]["key"]
    response = starter.run([sqs_record(event, "bad")])
    assert starter.failed_ids(response) == {"bad"}
    assert starter.starts() == []


def test_s3_uploads_with_version_id_null_are_told_apart(starter: Starter) -> None:
    # Versioning suspended: every upload replaces the version "null"; it names no upload.
    starter.configure(SOURCE_KIND="s3")
    first = s3_object_created("bucket", "a.png", version_id="null")
    second = s3_object_created(
        "bucket", "a.png", version_id="null", etag="0cc175b9c0f1b6a831c399e269772661"
    )
    again = s3_object_created("bucket", "a.png", version_id="null")  # the same upload, re-sent
    response = starter.run([sqs_record(first), sqs_record(second), sqs_record(again)])
    assert response["batchItemFailures"] == []
    loops = starter.fake.human_loops.values()
    assert sorted(loop.input["etag"] for loop in loops) == [
        "0cc175b9c0f1b6a831c399e269772661",
        "b1946ac92492d2347c6235b4d2611184",
    ]
    assert {loop.input["versionId"] for loop in loops} == {"null"}


def test_s3_version_null_without_etag_falls_back_to_the_sequencer(starter: Starter) -> None:
    starter.configure(SOURCE_KIND="s3")
    events = []
    for sequencer in ("617f08299329d189", "617f0829932a0000"):
        event = s3_object_created("bucket", "a.png", version_id="null")
        del event["detail"]["object"]["etag"]
        event["detail"]["object"]["sequencer"] = sequencer
        events.append(sqs_record(event))
    assert starter.run(events)["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 2


@pytest.mark.parametrize(
    "spelling",
    [
        "2024/05/Invoice 42 (copy).pdf",  # as the key is
        "2024/05/Invoice+42+%28copy%29.pdf",  # URL-encoded, "+" for spaces (S3's notifications)
        "2024%2F05%2FInvoice%2042%20%28copy%29.pdf",  # every reserved character encoded
    ],
)
def test_s3_keys_raw_or_url_encoded_name_the_real_object(starter: Starter, spelling: str) -> None:
    starter.configure(SOURCE_KIND="s3", LOOP_NAME_PREFIX="docs")
    response = starter.run([sqs_record(s3_object_created("inbox", spelling, version_id="v1"))])
    assert response["batchItemFailures"] == []
    [(name, loop)] = starter.fake.human_loops.items()
    assert loop.input["key"] == "2024/05/Invoice 42 (copy).pdf"
    assert loop.input["taskObject"] == "s3://inbox/2024/05/Invoice 42 (copy).pdf"
    # Every spelling of one upload is one loop.
    assert name == s3_object_loop_name(
        starter.flow_definition_arn, "inbox", "2024/05/Invoice 42 (copy).pdf", "v1", "docs"
    )
    assert name.startswith("docs-invoice-42-copy-pdf-")


@pytest.mark.parametrize(
    ("key", "real"),
    [
        ("red+flower.jpg", "red flower.jpg"),
        ("red flower.jpg", "red flower.jpg"),
        ("c%2B%2B.txt", "c++.txt"),
        ("Rechnung+%C3%A4.pdf", "Rechnung ä.pdf"),
        ("Rechnung ä.pdf", "Rechnung ä.pdf"),
        ("100%.txt", "100%.txt"),  # a lone % cannot be encoded: raw
        ("a%FFb", "a%FFb"),  # not the encoding of UTF-8: raw
        ("plain/key-1.png", "plain/key-1.png"),
    ],
)
def test_s3_key_decoding(key: str, real: str) -> None:
    assert index.s3_key(key) == real


def test_custom_eventbridge_event_uses_its_detail(starter: Starter) -> None:
    starter.configure(ID_FIELD="$.documentId", SOURCE_KIND="event-bridge")
    detail = {"documentId": "doc-7", "classification": {"label": "fraud", "score": 0.51}}
    event = eventbridge_event("com.example.classifier", "Classification Made", detail)
    again = eventbridge_event("com.example.classifier", "Classification Made", detail)

    response = starter.run([sqs_record(event, "e1"), sqs_record(again, "e2")])

    assert response["batchItemFailures"] == []
    [(name, loop)] = starter.fake.human_loops.items()
    assert name.startswith("doc-7-")
    assert loop.input == detail
    assert len(starter.starts()) == 1


def test_custom_eventbridge_event_content_hash_uses_the_detail_only(starter: Starter) -> None:
    starter.configure(SOURCE_KIND="event-bridge")
    detail = {"documentId": "doc-7"}
    starter.run([sqs_record(eventbridge_event("com.example", "Made", detail))])
    # The same detail from a re-published event (new id and time) is the same input.
    starter.run([sqs_record(eventbridge_event("com.example", "Made", detail))])
    assert len(starter.fake.human_loops) == 1


def test_an_sqs_source_takes_every_body_as_the_users_message(starter: Starter) -> None:
    # A plain SQS message shaped like an S3 event must not become a reference to any object
    # the flow's role can read, nor an EventBridge one lose everything but its detail.
    s3_shaped = s3_object_created("someone-elses-bucket", "secret.pdf")
    event_shaped = eventbridge_event("com.example", "Made", {"a": 1})
    response = starter.run([sqs_record(s3_shaped, "s3"), sqs_record(event_shaped, "eb")])
    assert response["batchItemFailures"] == []
    inputs = [loop.input for loop in starter.fake.human_loops.values()]
    assert sorted(inputs, key=json.dumps) == sorted([s3_shaped, event_shaped], key=json.dumps)
    assert all("taskObject" not in i for i in inputs)


@pytest.mark.parametrize("kind", ["s3", "event-bridge"])
def test_event_sources_refuse_bodies_that_are_not_their_events(starter: Starter, kind: str) -> None:
    starter.configure(SOURCE_KIND=kind)
    response = starter.run([sqs_record({"plain": "message"}, "m")])
    assert starter.failed_ids(response) == {"m"}
    assert starter.starts() == []


def test_an_s3_source_refuses_other_eventbridge_events(starter: Starter) -> None:
    starter.configure(SOURCE_KIND="s3")
    response = starter.run([sqs_record(eventbridge_event("com.example", "Made", {}), "m")])
    assert starter.failed_ids(response) == {"m"}


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("configured", [{}, {"ID_FIELD": "id"}, {"INPUT_PATH": "$.a"}])
def test_a_deeply_nested_poison_message_fails_alone(
    starter: Starter, capsys: pytest.CaptureFixture[str], configured: dict[str, str]
) -> None:
    # 50,000 '[' and ']' (100 kB) make json and the content hash recurse past Python's limit.
    poison = "[" * 50_000 + "]" * 50_000
    good = [sqs_record({"id": f"good-{i}", "a": i}, f"good-{i}") for i in range(9)]
    starter.configure(**configured)
    response = starter.run([*good[:4], sqs_record(poison, "poison"), *good[4:]])
    assert starter.failed_ids(response) == {"poison"}
    assert len(starter.fake.human_loops) == 9
    poison_line = next(
        line for line in log_lines(capsys.readouterr().out) if line.get("messageId") == "poison"
    )
    assert poison_line["outcome"] == "failed" and "nested" in poison_line["reason"]


def test_malformed_messages_fail_alone_and_say_why(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.configure(ID_FIELD="id")
    secret = "4111-1111-1111-1111"
    oversize = json.dumps({"id": "big", "text": "x" * INPUT_CONTENT_MAX_LENGTH})
    records = [
        sqs_record({"id": "ok-1", "card": secret}, "ok-1"),
        sqs_record("this is not JSON " + secret, "not-json"),
        sqs_record({"name": "no id here", "card": secret}, "no-id"),
        sqs_record({"id": {"nested": 1}}, "object-id"),
        sqs_record('{"id": "nan", "score": NaN}', "nan"),
        sqs_record(oversize, "oversize"),
        sqs_record({"id": "ok-2"}, "ok-2"),
    ]

    response = starter.run(records)

    assert starter.failed_ids(response) == {"not-json", "no-id", "object-id", "nan", "oversize"}
    assert sorted(c["HumanLoopName"].split("-")[0] for c in starter.starts()) == ["ok", "ok"]
    assert len(starter.fake.human_loops) == 2
    output = capsys.readouterr().out
    assert secret not in output  # payload content never reaches the logs
    lines = {line["messageId"]: line for line in log_lines(output)[:-1]}
    assert lines["not-json"]["reason"] == (
        "malformed: body is not JSON (Expecting value at character 0)"
    )
    assert lines["nan"]["reason"] == "malformed: body is not JSON (NaN is not a JSON value)"
    assert lines["no-id"]["reason"].startswith("malformed: ID_FIELD 'id' is missing")
    compact = len(json.dumps(json.loads(oversize), separators=(",", ":")))
    assert lines["oversize"]["reason"] == (
        f"malformed: InputContent is {compact} characters; A2I accepts at most 3145728"
    )
    assert all(lines[m]["level"] == "ERROR" for m in ("not-json", "no-id", "oversize"))
    assert all(lines[m]["attempts"] == 0 for m in ("not-json", "no-id", "oversize"))


def test_input_content_at_the_limit_is_accepted(starter: Starter) -> None:
    filler = INPUT_CONTENT_MAX_LENGTH - len('{"t":""}')
    body = json.dumps({"t": "y" * filler}, separators=(",", ":"))
    assert len(body) == INPUT_CONTENT_MAX_LENGTH
    response = starter.run([sqs_record(body, "edge")])
    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 1


def test_pretty_printed_body_is_compacted_before_the_size_check(starter: Starter) -> None:
    text = "z" * (INPUT_CONTENT_MAX_LENGTH - 100)
    body = '{\n    "t":     "' + text + '"' + " " * 200 + "\n}"
    assert len(body) > INPUT_CONTENT_MAX_LENGTH
    response = starter.run([sqs_record(body)])
    assert response["batchItemFailures"] == []
    [loop] = starter.fake.human_loops.values()
    assert len(loop.input_content) <= INPUT_CONTENT_MAX_LENGTH


def test_missing_input_path_is_malformed(starter: Starter) -> None:
    starter.configure(INPUT_PATH="$.document")
    response = starter.run([sqs_record({"doc": 1}, "m")])
    assert starter.failed_ids(response) == {"m"}
    assert starter.starts() == []


@pytest.mark.parametrize(
    ("configured", "body"),
    [
        ({}, '{"score": 1e999}'),
        ({}, '{"score": -1E400}'),
        ({}, '{"score": ' + "9" * 400 + "}"),  # an integer past a double's range
        ({"INPUT_PATH": "$.document"}, '{"document": {"score": 1.5e309}, "id": 1}'),
        ({"ID_FIELD": "id"}, '{"id": "x", "score": 1e999}'),
        ({"SOURCE_KIND": "s3"}, None),  # an S3 event whose size is out of range
    ],
)
def test_infinity_never_reaches_input_content(
    starter: Starter,
    capsys: pytest.CaptureFixture[str],
    configured: dict[str, str],
    body: str | None,
) -> None:
    # Python reads 1e999 as inf; JavaScript's JSON.parse (the reviewer's browser) as Infinity.
    starter.configure(**configured)
    # The largest finite doubles pass.
    ok: dict[str, Any] = {"id": "ok", "document": {"n": 1.7976931348623157e308}}
    if body is None:
        text = json.dumps(s3_object_created("bucket", "a.png"))
        body = text.replace('"size": 5', '"size": 1e999')
        ok = json.loads(text.replace('"size": 5', '"size": 1.7976931348623157e308'))
    response = starter.run([sqs_record(body, "inf"), sqs_record(ok, "ok")])
    assert starter.failed_ids(response) == {"inf"}
    assert all("e999" not in c["HumanLoopInput"]["InputContent"] for c in starter.starts())
    line = next(x for x in log_lines(capsys.readouterr().out) if x.get("messageId") == "inf")
    assert line["reason"].startswith("malformed: body is not JSON (")
    assert "range" in line["reason"] and line["level"] == "ERROR"


# --------------------------------------------------------------------------------------------
# Service errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerException"])
def test_transient_errors_are_retried_in_the_invocation(
    starter: Starter, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    starter.fake.fail_next("StartHumanLoop", code, times=3)

    response = starter.run([sqs_record({"n": 1}, "m")])

    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 1
    assert [c.error for c in starter.fake.calls if c.operation == "StartHumanLoop"] == [
        code,
        code,
        code,
        None,
    ]
    [line] = log_lines(capsys.readouterr().out)[:-1]
    assert line["outcome"] == "started" and line["attempts"] == 4


def test_persistent_throttling_is_reported_after_max_attempts(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.fake.fail_next("StartHumanLoop", "ThrottlingException", times=100)

    response = starter.run([sqs_record({"n": 1}, "m"), sqs_record({"n": 2}, "m2")])

    assert starter.failed_ids(response) == {"m", "m2"}
    assert len(starter.starts()) == 2 * index.MAX_ATTEMPTS
    line = log_lines(capsys.readouterr().out)[0]
    assert line["level"] == "WARNING"
    assert line["reason"].startswith(f"gave up after {index.MAX_ATTEMPTS} attempts")
    assert line["errorCode"] == "ThrottlingException"


def test_retries_stop_within_the_invocations_time_budget(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.monkeypatch.setattr(index, "BACKOFF_BASE_SECONDS", 0.2)
    starter.monkeypatch.setattr(index, "BACKOFF_CAP_SECONDS", 0.2)
    starter.monkeypatch.setattr(index, "MAX_ATTEMPTS", 1000)
    starter.fake.fail_next("StartHumanLoop", "ThrottlingException", times=1000)
    remaining_ms = int((index.SAFETY_MARGIN_SECONDS + index.MIN_CALL_SECONDS + 0.5) * 1000)
    index._state()  # the client exists already (warm invocation)

    began = time.perf_counter()
    response = starter.run([sqs_record({"n": 1}, "m")], remaining_ms=remaining_ms)
    elapsed = time.perf_counter() - began

    assert starter.failed_ids(response) == {"m"}
    assert elapsed < remaining_ms / 1000 - index.SAFETY_MARGIN_SECONDS + 0.1
    [line] = log_lines(capsys.readouterr().out)[:-1]
    assert "no time left" in line["reason"]
    assert 1 < line["attempts"] < 20


def test_no_attempt_once_the_budget_is_spent(starter: Starter) -> None:
    response = starter.run([sqs_record({"n": 1}, "m")], remaining_ms=500)
    assert starter.failed_ids(response) == {"m"}
    assert starter.starts() == []


def test_no_call_outlives_the_invocation(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    # 4 s left and an API that answers after 5 s: with the client's 5 s read timeout the
    # handler would return after 5 s (Lambda would have killed it at 4 and returned the whole
    # batch). Calls get the time left instead.
    starter.fake.faults.latency = 5.0
    index._state()  # the client exists already (warm invocation)

    began = time.perf_counter()
    response = starter.run([sqs_record({"n": 1}, "m")], remaining_ms=4000)
    elapsed = time.perf_counter() - began

    assert starter.failed_ids(response) == {"m"}
    assert elapsed < 4.0 - index.SAFETY_MARGIN_SECONDS + 0.3, elapsed
    [line] = log_lines(capsys.readouterr().out)[:-1]
    assert line["errorCode"] == "ReadTimeoutError"
    assert "no time left in this invocation to retry" in line["reason"]


def test_the_timeouts_are_cut_to_the_time_left(starter: Starter) -> None:
    full = (index.CONNECT_TIMEOUT_SECONDS, index.READ_TIMEOUT_SECONDS)
    assert index._timeouts(60.0) == full
    assert index._timeouts(7.0) == full
    assert index._timeouts(4.2) == (1.0, 3.0)
    assert index._timeouts(1.2) == (0.25, 0.75)
    assert index._timeouts(0.99) is None
    for available in [x / 10 for x in range(10, 80)]:
        timeouts = index._timeouts(available)
        assert timeouts is not None and sum(timeouts) <= available
    # Few distinct clients, made only near a deadline and kept.
    tiers = {index._timeouts(x / 100) for x in range(100, 700)}
    assert len(tiers) == 12
    _, client = index._state()
    assert index._client_for(client, full) is client
    short = index._client_for(client, (1.0, 3.0))
    assert short is not client and index._client_for(client, (1.0, 3.0)) is short
    config: Any = short.meta.config
    assert (config.connect_timeout, config.read_timeout) == (1.0, 3.0)
    assert config.retries["total_max_attempts"] == 1


def test_plenty_of_time_uses_the_one_client(starter: Starter) -> None:
    starter.run([sqs_record({"n": i}) for i in range(10)])
    assert index._short_clients == {}


@pytest.mark.parametrize("code", ["ServiceQuotaExceededException", "ValidationException"])
def test_quota_and_validation_errors_return_to_sqs_without_retries(
    starter: Starter, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    starter.configure(MAX_CONCURRENCY="1")  # "m" reaches the fake first
    starter.fake.fail_next("StartHumanLoop", code)

    response = starter.run([sqs_record({"n": 1}, "m"), sqs_record({"n": 2}, "ok")])

    assert starter.failed_ids(response) == {"m"}
    assert len(starter.starts()) == 2  # one call each: no retry of the failed one
    line = next(line for line in log_lines(capsys.readouterr().out) if line.get("messageId") == "m")
    assert line["errorCode"] == code and line["attempts"] == 1
    assert line["reason"].startswith(code)


def test_quota_reached_in_the_fake_fails_only_the_extra_messages(starter: Starter) -> None:
    starter.fake.limits.in_progress_human_loops = 3
    response = starter.run([sqs_record({"n": i}, f"m{i}") for i in range(5)])
    assert len(starter.failed_ids(response)) == 2
    assert len(starter.fake.human_loops) == 3


def test_flow_definition_not_active_fails_the_messages(starter: Starter) -> None:
    starter.configure(FLOW_DEFINITION_ARN=starter.flow_definition_arn.replace("review", "gone"))
    response = starter.run([sqs_record({"n": 1}, "m")])
    assert starter.failed_ids(response) == {"m"}


def test_a_timeout_after_the_service_started_the_loop_counts_as_started(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    _, client = index._state()
    timeouts = [1]

    def lose_the_response(**_: Any) -> None:
        if timeouts[0]:
            timeouts[0] -= 1
            raise ReadTimeoutError(endpoint_url=starter.fake.endpoint_url)

    client.meta.events.register(
        "after-call.sagemaker-a2i-runtime.StartHumanLoop", lose_the_response
    )

    response = starter.run([sqs_record({"n": 1}, "m")])

    assert response["batchItemFailures"] == []
    assert len(starter.fake.human_loops) == 1
    # The retry repeats the same start: A2I answers it with the existing loop.
    assert [c.error for c in starter.fake.calls if c.operation == "StartHumanLoop"] == [
        None,
        None,
    ]
    [line] = log_lines(capsys.readouterr().out)[:-1]
    assert line["outcome"] == "started" and line["attempts"] == 2


def test_unreachable_endpoint_is_retried_then_reported(starter: Starter) -> None:
    starter.configure(AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME="http://127.0.0.1:9")
    starter.monkeypatch.setattr(index, "MAX_ATTEMPTS", 3)
    response = starter.run([sqs_record({"n": 1}, "m")])
    assert starter.failed_ids(response) == {"m"}


def test_an_unexpected_error_fails_only_its_own_message(starter: Starter) -> None:
    real_start = index._start

    def buggy(client: Any, settings: Any, item: Any, deadline: float) -> index.Result:
        if item.message_id == "bad":
            raise KeyError("boom")
        return real_start(client, settings, item, deadline)

    starter.monkeypatch.setattr(index, "_start", buggy)
    response = starter.run([sqs_record({"n": 1}, "bad"), sqs_record({"n": 2}, "good")])
    assert starter.failed_ids(response) == {"bad"}
    assert len(starter.fake.human_loops) == 1


def test_duplicates_of_a_failed_message_fail_too(starter: Starter) -> None:
    starter.fake.fail_next("StartHumanLoop", "ValidationException")
    body = {"same": True}
    response = starter.run([sqs_record(body, "first"), sqs_record(body, "second")])
    assert starter.failed_ids(response) == {"first", "second"}
    assert len(starter.starts()) == 1


def test_input_quoted_in_a_service_error_is_not_logged(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    starter.fake.fail_next(
        "StartHumanLoop",
        "ValidationException",
        message='1 validation error detected: Value \'{"card": "4111"}\' at '
        "'humanLoopInput.inputContent' failed to satisfy constraint",
    )
    response = starter.run([sqs_record({"card": "4111"}, "m")])
    assert starter.failed_ids(response) == {"m"}
    output = capsys.readouterr().out
    assert "4111" not in output
    assert "Value (withheld) at 'humanLoopInput.inputContent'" in output


def test_a_record_without_message_id_fails_the_whole_batch(starter: Starter) -> None:
    record = sqs_record({"n": 1})
    del record["messageId"]
    with pytest.raises(ValueError, match="no messageId"):
        starter.run([sqs_record({"n": 2}), record])
    assert starter.starts() == []


def test_client_is_built_for_concurrency_and_own_retries(starter: Starter) -> None:
    starter.configure(MAX_CONCURRENCY="25")
    _, client = index._state()
    config: Any = client.meta.config
    assert config.max_pool_connections >= 25
    assert config.retries is not None
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == 1
    assert config.connect_timeout == index.CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == index.READ_TIMEOUT_SECONDS
    assert client.meta.endpoint_url == starter.fake.endpoint_url


def test_input_nested_deeper_than_a2i_output_can_be_read_back_fails_alone(
    starter: Starter,
) -> None:
    # The same rule as `a2i loops start` (core.untrusted_json.input_content_too_deep): the
    # output.json A2I writes around the input must stay readable by the results Lambda.
    limit = untrusted_json.INPUT_CONTENT_MAX_DEPTH
    deepest_allowed = {"id": "ok", "v": json.loads("[" * (limit - 1) + "]" * (limit - 1))}
    too_deep = {"id": "deep", "v": json.loads("[" * limit + "]" * limit)}
    response = starter.run([sqs_record(deepest_allowed, "ok"), sqs_record(too_deep, "deep")])
    assert starter.failed_ids(response) == {"deep"}
    assert len(starter.fake.human_loops) == 1


def test_each_batch_emits_its_metrics(starter: Starter, capsys: pytest.CaptureFixture[str]) -> None:
    starter.configure(ACTIVATION='{"path":"$.score","operator":"lt","value":0.5}')
    starter.fake.fail_next("StartHumanLoop", "ThrottlingException", times=1)
    records = [
        sqs_record({"id": "a", "score": 0.1}, "a"),
        sqs_record({"id": "b", "score": 0.9}, "b"),  # skipped by the activation
        sqs_record("not json", "c"),  # malformed
        sqs_record({"id": "a", "score": 0.1}, "d"),  # a duplicate of a
    ]
    starter.run(records)
    documents = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
    [document] = documents
    assert emf_problems(document) == []
    assert document["FlowDefinitionName"] == starter.flow_definition_arn.rsplit("/", 1)[1]
    assert document["LoopsStarted"] == 1
    assert document["LoopsAlreadyStarted"] == 1
    assert document["MessagesSkipped"] == 1
    assert document["MessagesMalformed"] == 1
    assert document["ThrottledRetries"] == 1
    assert len(document["StartHumanLoopLatency"]) == 1
