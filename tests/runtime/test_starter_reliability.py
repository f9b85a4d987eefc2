"""Reliability run: 2,000 messages through the starter, in batches of 10, against the fake.

The test plays the SQS queue: it delivers batches of 10, deletes the messages the handler
did not report failed, makes failed ones visible again (at the back of the queue) and moves a
message to the dead-letter queue once it has been received ``MAX_RECEIVE_COUNT`` times, as a
redrive policy does. The fake throttles 20% and fails 1% of all StartHumanLoop requests
(retries included, which is harsher than throttling only first attempts).

Among the messages: producers' re-sends (the same body again: duplicates) and conflicts (an
id sent again with different content: one of the two is reviewed, the other is counted as a
``conflict``, never as a duplicate).
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter, deque
from dataclasses import dataclass

import pytest

from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.runtime.human_loop_starter import index
from tests.runtime.conftest import LambdaContext, Starter, log_lines, sqs_record

TOTAL = 2000
BATCH_SIZE = 10
MAX_RECEIVE_COUNT = 3


@dataclass
class Message:
    message_id: str
    body: str
    kind: str  # "valid", "duplicate", "conflict", "malformed", "oversize"
    input_id: str | None
    receives: int = 0


def build_messages(rng: random.Random) -> list[Message]:
    """1,820 unique valid inputs, 100 re-sent duplicates, 40 conflicts, 20 malformed,
    20 oversize."""
    duplicates = TOTAL * 5 // 100
    conflicts = TOTAL * 2 // 100
    malformed = TOTAL // 100
    oversize = TOTAL // 100
    unique = TOTAL - duplicates - conflicts - malformed - oversize
    messages = [
        Message(
            str(uuid.UUID(int=rng.getrandbits(128))),
            json.dumps(
                {
                    "id": f"doc-{n:05d}",
                    "taskObject": f"s3://inbox/doc-{n:05d}.png",
                    "prediction": {"label": rng.choice(["cat", "dog"]), "score": rng.random()},
                }
            ),
            "valid",
            f"doc-{n:05d}",
        )
        for n in range(unique)
    ]
    for n in range(malformed):
        body = (
            f"not json {n}" if n % 2 else json.dumps({"taskObject": f"no id {n}"})  # no "id"
        )
        messages.append(Message(str(uuid.uuid4()), body, "malformed", None))
    filler = "x" * INPUT_CONTENT_MAX_LENGTH
    for n in range(oversize):
        body = json.dumps({"id": f"big-{n}", "text": filler}, separators=(",", ":"))
        messages.append(Message(str(uuid.uuid4()), body, "oversize", f"big-{n}"))
    rng.shuffle(messages)
    # Producers re-send: a copy with a new message id, some right next to the original
    # (same batch), the others anywhere (another batch, before or after the original).
    valid = [m for m in messages if m.kind == "valid"]
    originals = rng.sample(valid, duplicates + conflicts)
    for n, original in enumerate(originals):
        if n < duplicates:
            copy = Message(str(uuid.uuid4()), original.body, "duplicate", original.input_id)
        else:  # the same id, another amount: $10, then $10000
            changed = {**json.loads(original.body), "amount": f"${10_000 + n}"}
            copy = Message(str(uuid.uuid4()), json.dumps(changed), "conflict", original.input_id)
        if n % 2:
            messages.insert(messages.index(original) + 1, copy)
        else:
            messages.insert(rng.randrange(len(messages) + 1), copy)
    assert len(messages) == TOTAL
    return messages


def test_two_thousand_messages_with_faults_and_duplicates(
    starter: Starter, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20240501)
    messages = build_messages(rng)
    starter.configure(ID_FIELD="$.id", LOOP_NAME_PREFIX="rel")
    starter.fake.faults.throttle_rate = 0.20
    starter.fake.faults.error_rate = 0.01

    queue: deque[Message] = deque(messages)
    deleted: list[Message] = []
    dead_letters: list[Message] = []
    invocations = 0
    while queue:
        batch = [queue.popleft() for _ in range(min(BATCH_SIZE, len(queue)))]
        for message in batch:
            message.receives += 1
        event = {
            "Records": [sqs_record(m.body, m.message_id, m.receives) for m in batch],
        }
        response = index.handler(event, LambdaContext(60_000))
        invocations += 1
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        assert failed <= {m.message_id for m in batch}
        for message in batch:
            if message.message_id not in failed:
                deleted.append(message)
            elif message.receives >= MAX_RECEIVE_COUNT:
                dead_letters.append(message)
            else:
                queue.append(message)
    logs = log_lines(capsys.readouterr().out)

    by_kind = Counter(m.kind for m in messages)
    assert by_kind == {
        "valid": 1820,
        "duplicate": 100,
        "conflict": 40,
        "malformed": 20,
        "oversize": 20,
    }

    # Every malformed or oversize message, and nothing else, ends in the dead-letter queue.
    assert {m.message_id for m in dead_letters} == {
        m.message_id for m in messages if m.kind in ("malformed", "oversize")
    }
    assert all(m.receives == MAX_RECEIVE_COUNT for m in dead_letters)
    # No valid message is lost: each one (duplicates and conflicts too) was acknowledged.
    assert {m.message_id for m in deleted} == {
        m.message_id for m in messages if m.kind in ("valid", "duplicate", "conflict")
    }

    # Exactly one human loop per unique valid input: none lost, none twice.
    unique_ids = {m.input_id for m in messages if m.kind == "valid"}
    loops = starter.fake.human_loops
    assert len(loops) == len(unique_ids) == 1820
    assert {loop.input["id"] for loop in loops.values()} == unique_ids
    successes = Counter(call["HumanLoopName"] for call in starter.starts(succeeded=True))
    assert set(successes) == set(loops)
    # A2I answers a repeat of the same start with the existing loop (no second one): the
    # repeats are the re-sent duplicates that arrived in another batch, and redeliveries.
    loop_by_id = {loop.input["id"]: loop for loop in loops.values()}
    # Malformed and oversize input never reached the service.
    assert all(
        json.loads(call["HumanLoopInput"]["InputContent"]).get("id") in unique_ids
        for call in starter.starts()
    )

    # The faults really happened and were absorbed by the in-invocation retries.
    errors = Counter(
        call.error for call in starter.fake.calls if call.operation == "StartHumanLoop"
    )
    assert errors["ThrottlingException"] > 0.18 * 1820
    assert errors["InternalServerException"] > 0
    # ConflictException answers only different input: conflicts in other batches, never a
    # duplicate.
    assert 1 <= errors["ConflictException"] <= 40

    # One log line per delivered message, saying why each failure failed.
    lines_by_message: dict[str, list[dict[str, object]]] = {}
    for line in logs:
        if "outcome" in line:
            lines_by_message.setdefault(str(line["messageId"]), []).append(line)
    for message in messages:
        lines = lines_by_message[message.message_id]
        assert len(lines) == message.receives
        if message.kind in ("malformed", "oversize"):
            reasons = {str(line["reason"]) for line in lines}
            assert all(line["outcome"] == "failed" for line in lines)
            if message.kind == "oversize":
                assert reasons == {
                    f"malformed: InputContent is {len(message.body)} characters; "
                    "A2I accepts at most 3145728"
                }
            else:
                [reason] = reasons
                assert reason.startswith(
                    ("malformed: body is not JSON", "malformed: ID_FIELD '$.id' is missing")
                )
        else:
            # Transient failures (retries exhausted) first, if any, then one success.
            assert [line["outcome"] == "failed" for line in lines] == [True] * (
                message.receives - 1
            ) + [False]
    in_batch = [
        line
        for line in logs
        if str(line.get("reason", "")).startswith("duplicate of message")
        and line["outcome"] == "already-started"
    ]
    assert 0 < len(in_batch) < 100  # duplicates arrived both within and across batches
    outcomes = Counter(lines[-1]["outcome"] for lines in lines_by_message.values())
    assert outcomes["failed"] == 40  # malformed and oversize
    assert outcomes["conflict"] == 40  # one of each pair; never counted as a duplicate
    assert outcomes["started"] + outcomes["already-started"] == 1920
    assert outcomes["already-started"] == len(in_batch)  # in-batch duplicates; others: started

    # Each conflict pair: one message's content is the loop's, the other's is the conflict,
    # logged with the digest of its own input (not the loop's) and never its content.
    final = {m.message_id: lines_by_message[m.message_id][-1] for m in messages}
    by_id: dict[str | None, list[Message]] = {}
    for m in messages:
        by_id.setdefault(m.input_id, []).append(m)
    for m in messages:
        if m.kind != "conflict":
            continue
        pair = [x for x in by_id[m.input_id] if x.kind in ("valid", "conflict")]
        loser = [x for x in pair if final[x.message_id]["outcome"] == "conflict"]
        [winner] = [x for x in pair if x not in loser]
        assert len(loser) == 1
        assert loop_by_id[m.input_id].input_content == winner.body
        assert final[loser[0].message_id]["inputDigest"] == index.input_digest(loser[0].body)
    conflict_lines = [line for line in logs if line.get("outcome") == "conflict"]
    assert all(line["level"] == "WARNING" for line in conflict_lines)
    assert not any("$1000" in json.dumps(line) for line in conflict_lines)
    summary = Counter(
        m.kind for m in messages if final[m.message_id]["outcome"] == "conflict"
    )  # which side lost depends on the order of arrival
    assert sum(summary.values()) == 40
    print(
        f"\nreliability: {len(messages)} messages, {invocations} invocations, "
        f"{len(loops)} loops for {len(unique_ids)} unique inputs (lost: "
        f"{len(unique_ids - set(loop_by_id))}, twice: {len(loops) - len(loop_by_id)}), "
        f"{len(dead_letters)} in the DLQ, outcomes {dict(outcomes)}, "
        f"ConflictException answers {errors['ConflictException']}"
    )
    assert invocations >= TOTAL // BATCH_SIZE
