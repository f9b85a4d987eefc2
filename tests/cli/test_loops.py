"""``a2i loops ...`` against the fake A2I over its real HTTP protocol (in-process CLI runs)."""

from __future__ import annotations

import collections
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from constructs_a2i.cli import _input, _printing
from constructs_a2i.cli._bulk_start import start_human_loops
from constructs_a2i.cli._flow import flow_arn_from_outputs
from constructs_a2i.cli._retry import Interrupted, TokenBucket
from constructs_a2i.core import loop_names
from constructs_a2i.core.limits import CONTENT_CLASSIFIERS, MAX_CONCURRENCY_RANGE
from constructs_a2i.core.loop_names import check_loop_name_prefix
from constructs_a2i.core.paths import MISSING
from constructs_a2i.core.paths import Path as FieldPath
from constructs_a2i.core.retry import RetryPolicy
from constructs_a2i.core.statuses import LOOP_STATUSES
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import ACCOUNT, REGION

from .conftest import (
    FLOW_ARN,
    FLOW_NAME,
    Run,
    create_flow,
    succeeded_starts,
    write_jsonl,
)


def items(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": f"doc-{i}", "text": f"review item {i}", "score": i % 7}
        for i in range(start, start + count)
    ]


def usage_error(output: str) -> str:
    """A usage error's text without Rich's box, on one line."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def summary(output: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(output)
    return parsed


def start_loops(fake: FakeA2I, count: int, flow_arn: str = FLOW_ARN) -> list[str]:
    client = fake.client("sagemaker-a2i-runtime")
    names = []
    for i in range(count):
        name = f"loop-{i:03d}"
        client.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=flow_arn,
            HumanLoopInput={"InputContent": json.dumps({"n": i})},
        )
        names.append(name)
    return names


# ---------------------------------------------------------------------------------------------
# loops start
# ---------------------------------------------------------------------------------------------


def test_start_1000_lines_with_throttling_starts_each_exactly_once(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(1000))
    fake.faults.throttle_rate = 0.25
    fake.faults.operations = frozenset({"StartHumanLoop"})
    fake.fail_next("StartHumanLoop", "ThrottlingException", times=5)

    result = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id", "--concurrency", "16",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = summary(result.stdout)
    assert report["started"] == 1000
    assert report["alreadyExisted"] == report["failed"] == report["notAttempted"] == 0
    throttled = [c for c in fake.calls if c.error == "ThrottlingException"]
    assert len(throttled) >= 100  # throttling really happened ...
    assert report["throttled"] == len(throttled)  # ... and every throttle was retried
    names = succeeded_starts(fake)
    assert len(names) == 1000 and len(set(names)) == 1000  # all started once, none twice
    assert len(fake.human_loops) == 1000
    assert not (tmp_path / "items.failed.jsonl").exists()


def test_interrupted_run_resumed_starts_only_the_rest(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(1000))
    settled = 0
    real_counts_text = _printing.counts_text

    def ctrl_c_after_400(counts: dict[str, int]) -> str:
        # Ctrl-C arrives in the main thread while it settles results, as a real one does.
        nonlocal settled
        settled += 1
        if settled == 400:
            raise KeyboardInterrupt
        return real_counts_text(counts)

    monkeypatch.setattr(_printing, "counts_text", ctrl_c_after_400)
    first = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id",
    )  # fmt: skip
    monkeypatch.setattr(_printing, "counts_text", real_counts_text)

    assert first.exit_code == 130, first.output
    interrupted = summary(first.stdout)
    assert interrupted["interrupted"] is True
    first_names = succeeded_starts(fake)
    assert interrupted["started"] == len(first_names)
    assert 400 <= len(first_names) < 1000
    assert interrupted["started"] + interrupted["notAttempted"] == 1000

    loops_before = set(fake.human_loops)
    second = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id",
    )  # fmt: skip

    assert second.exit_code == 0, second.output
    resumed = summary(second.stdout)
    # A2I answers the repeat of an earlier run's start (same name, same input) like a start,
    # creating nothing: every line counts as started, only the rest got new loops.
    assert resumed["started"] == 1000
    assert resumed["alreadyExisted"] == resumed["conflicts"] == 0
    assert loops_before == set(first_names)
    assert len(fake.human_loops) == 1000
    assert fake.calls_to("StartHumanLoop", succeeded=False) == []


def test_summary_table_and_idempotent_rerun(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [*items(3), items(1)[0]])  # last: duplicate

    first = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")

    assert first.exit_code == 0, first.output
    assert "Summary: human loops for review-flow" in first.stdout
    assert "Started" in first.stdout and "Duplicate lines" in first.stdout
    assert len(succeeded_starts(fake)) == 3

    again = run(
        "--output", "json", "loops", "start", "--flow", flow_arn, "--input", str(source),
        "--id-field", "id",
    )  # fmt: skip
    assert again.exit_code == 0
    assert summary(again.stdout)["started"] == 3  # repeats of the same starts
    assert summary(again.stdout)["duplicates"] == 1
    assert summary(again.stdout)["conflicts"] == 0
    assert len(fake.human_loops) == 3


def test_an_id_in_use_with_other_content_is_a_conflict_not_a_duplicate(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    # An earlier run started "c" with $5; this file repeats "a" with another amount (line 2)
    # and sends "c" with $50 (line 4). Neither is reviewed: both are conflicts, counted and
    # named apart from the duplicate (line 5).
    first = write_jsonl(tmp_path / "first.jsonl", [{"id": "c", "amount": "$5"}])
    earlier = run("loops", "start", "--flow", FLOW_NAME, "--input", str(first), "--id-field", "id")
    assert earlier.exit_code == 0, earlier.output
    lines = [
        {"id": "a", "amount": "$10"},
        {"id": "a", "amount": "$10000"},
        {"id": "b", "amount": "$1"},
        {"id": "c", "amount": "$50"},
        {"amount": "$1", "id": "b"},  # the same JSON as line 3: a duplicate
    ]
    source = write_jsonl(tmp_path / "items.jsonl", lines)

    result = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = summary(result.stdout)
    assert report["started"] == 2
    assert report["conflicts"] == 2 and report["conflictLines"] == [2, 4]
    assert report["duplicates"] == 1 and report["failed"] == 0
    amounts = sorted(loop.input["amount"] for loop in fake.human_loops.values())
    assert amounts == ["$1", "$10", "$5"]

    table = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")
    assert table.exit_code == 0, table.output
    assert "Conflicts (id in use, other input)" in table.stdout
    assert "line 2, 4" in " ".join(table.stdout.split()).replace("lines", "line")


def test_a_conflict_for_a_name_from_the_content_means_it_exists(
    fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    # Without --id-field the name is the content's hash: no other input can have it.
    source = write_jsonl(tmp_path / "items.jsonl", items(1))
    [item] = _input.read_items(source, flow_arn)
    fake.fail_next("StartHumanLoop", "ConflictException")
    report = start_human_loops(fake.client("sagemaker-a2i-runtime"), flow_arn, [item])
    [result] = report.results
    assert result.outcome == "already-existed"


def test_start_sends_input_classifiers_and_prefix(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"meta": {"key": "A/B 1"}, "task": {"x": 1}}])

    result = run(
        "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "$.meta.key", "--input-path", "task", "--prefix", "batch7",
        "--classifier", "FreeOfAdultContent",
        "--classifier", "FreeOfPersonallyIdentifiableInformation",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (call,) = fake.calls_to("StartHumanLoop", succeeded=True)
    assert call["HumanLoopName"] == loop_names.id_loop_name(flow_arn, "A/B 1", "batch7")
    assert call["HumanLoopName"].startswith("batch7-a-b-1-")
    assert json.loads(call["HumanLoopInput"]["InputContent"]) == {"x": 1}
    assert call["DataAttributes"]["ContentClassifiers"] == [
        "FreeOfAdultContent",
        "FreeOfPersonallyIdentifiableInformation",
    ]


def test_failed_lines_are_written_with_reasons_and_can_be_fed_back(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(10))
    fake.fail_next("StartHumanLoop", "ValidationException", times=2, message="Bad input")

    first = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id", "--concurrency", "1",
    )  # fmt: skip

    assert first.exit_code == 3, first.output
    failed_file = tmp_path / "items.failed.jsonl"
    assert summary(first.stdout)["failedFile"] == str(failed_file)
    lines = [json.loads(line) for line in failed_file.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["doc-0", "doc-1"]
    assert lines[0][_input.FAILURE_KEY]["line"] == 1
    assert lines[0][_input.FAILURE_KEY]["code"] == "ValidationException"
    assert "Bad input" in lines[0][_input.FAILURE_KEY]["reason"]

    # Fed back, the same names come out (the failure member is ignored) and the file goes.
    second = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(failed_file),
        "--id-field", "id",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert summary(second.stdout)["started"] == 2
    assert not failed_file.exists()
    names = succeeded_starts(fake)
    assert len(names) == len(set(names)) == 10


def test_without_id_field_names_hash_the_content(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"b": 2, "a": 1}, {"a": 1, "b": 2}, {"a": 2}])

    result = run("--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source))

    assert result.exit_code == 0, result.output
    assert summary(result.stdout)["started"] == 2  # the same object twice is one loop
    assert summary(result.stdout)["duplicates"] == 1
    assert set(fake.human_loops) == {
        loop_names.content_loop_name(flow_arn, {"a": 1, "b": 2}),
        loop_names.content_loop_name(flow_arn, {"a": 2}),
    }


def test_names_are_the_starter_lambdas_names() -> None:
    """An item sent through the starter's queue and through the CLI gets one loop, not two."""
    from constructs_a2i.runtime.human_loop_starter import index as starter
    from constructs_a2i.runtime.human_loop_starter import messages

    env = {"FLOW_DEFINITION_ARN": FLOW_ARN, "ID_FIELD": "$.meta.id", "LOOP_NAME_PREFIX": "rv"}
    identities: list[str | int] = ["doc-1", "Ünïcode / ID with spaces", "x" * 200, 42]
    for identity in identities:
        item = {"meta": {"id": identity}, "text": "hello"}
        message = {"messageId": "m1", "body": json.dumps(item)}
        from_lambda = messages.prepare(message, starter.load_settings(env))
        text = loop_names.identity_value(identity)
        assert text is not None
        assert from_lambda.name == loop_names.id_loop_name(FLOW_ARN, text, "rv")
    content_env = {"FLOW_DEFINITION_ARN": FLOW_ARN}
    payload: dict[str, Any] = {"z": [1, 2], "a": {"k": "v"}}
    record = {"messageId": "m2", "body": json.dumps(payload)}
    lambda_item = messages.prepare(record, starter.load_settings(content_env))
    assert lambda_item.name == loop_names.content_loop_name(FLOW_ARN, payload)


def test_malformed_jsonl_is_one_line_with_the_line_number(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text('{"id": "a"}\n\n{"id": "b",}\n[1, 2]\n{"id": "c"}\n', encoding="utf-8")

    result = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {source}:3: not valid JSON")
    assert "1 more malformed line" in result.stderr
    assert fake.calls_to("StartHumanLoop") == []


def test_a_line_nested_too_deep_fails_alone(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    """A poison line (50,000 levels: json.loads raises RecursionError) used to stop the whole
    command with "maximum recursion depth exceeded", naming no line. Now it fails alone, as does
    an input nested deeper than A2I's output.json could be read back; the others start."""
    poison = '{"id": "b", "deep": ' + "[" * 50_000 + "]" * 50_000 + "}"
    deep: Any = "x"
    for _ in range(150):
        deep = [deep]
    source = tmp_path / "items.jsonl"
    source.write_text(
        "\n".join(['{"id": "a"}', poison, '{"id": "c"}', json.dumps({"id": "d", "deep": deep})])
        + "\n",
        encoding="utf-8",
    )
    base = ("loops", "start", "--flow", FLOW_NAME, "--id-field", "id")

    result = run("--output", "json", *base, "--input", str(source))

    assert result.exit_code == 3, result.output
    report = summary(result.stdout)
    assert (report["lines"], report["started"], report["failed"]) == (4, 2, 2)
    assert sorted(fake.human_loops) == sorted(
        loop_names.id_loop_name(flow_arn, identity) for identity in ("a", "c")
    )
    failed_file = tmp_path / "items.failed.jsonl"
    written = failed_file.read_text(encoding="utf-8").splitlines()
    assert written[0] == poison  # not parsed, so written back as it was
    fourth = json.loads(written[1])
    assert fourth["id"] == "d" and fourth["deep"] == deep
    assert fourth[_input.FAILURE_KEY]["line"] == 4
    assert fourth[_input.FAILURE_KEY]["reason"] == (
        "line 4: the input nests more than 100 levels deep; at most 100 are started, so that "
        "its output.json can be read back"
    )

    # Fed back, the poison line is named again and stays in the file, unchanged.
    again = run(*base, "--input", str(failed_file))
    assert again.exit_code == 3, again.output
    assert "line 1: JSON nested deeper than 200 levels; it was not read" in again.stdout
    assert "Traceback" not in again.output
    rewritten = failed_file.read_text(encoding="utf-8").splitlines()
    assert rewritten[0] == poison and len(rewritten) == 2
    assert json.loads(rewritten[1])[_input.FAILURE_KEY]["line"] == 2


def test_an_array_nested_too_deep_is_malformed(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text('{"id": "a"}\n' + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")

    result = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {source}:2: expected a JSON object, got an array; nothing was started\n"
    )
    assert fake.calls_to("StartHumanLoop") == []


def test_missing_id_is_malformed(run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"id": "a"}, {"other": 1}])

    result = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")

    assert result.exit_code == 1
    assert f"{source}:2: --id-field 'id' is missing" in result.stderr
    assert fake.calls_to("StartHumanLoop") == []


def test_nan_and_infinity_are_malformed_with_the_line_number(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    """The starter Lambda refuses them (they are not JSON to A2I), so the command does too."""
    source = tmp_path / "items.jsonl"
    source.write_text(
        '{"id": "a", "score": 1.5}\n'
        '{"id": "b", "score": NaN}\n'
        '{"id": "c", "score": Infinity}\n'
        '{"id": "d", "score": -Infinity}\n',
        encoding="utf-8",
    )

    result = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {source}:2: not valid JSON: NaN is not a JSON value")
    assert "2 more malformed lines" in result.stderr
    assert fake.calls_to("StartHumanLoop") == []

    source.write_text('{"id": "a"}\n{"id": "b", "x": [-Infinity]}\n', encoding="utf-8")
    again = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source))
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: {source}:2: not valid JSON: -Infinity is not")
    assert fake.calls_to("StartHumanLoop") == []

    # A number beyond a double's range reads as Infinity in the reviewer's browser.
    source.write_text('{"id": "a"}\n{"id": "b", "x": 1e999}\n', encoding="utf-8")
    huge = run("loops", "start", "--flow", FLOW_NAME, "--input", str(source))
    assert huge.exit_code == 1
    assert "beyond a double's range" in huge.stderr
    assert fake.calls_to("StartHumanLoop") == []


def test_concurrency_is_limited_to_the_starters_range(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    low, high = MAX_CONCURRENCY_RANGE
    assert (low, high) == (1, 100)
    source = write_jsonl(tmp_path / "items.jsonl", items(3))

    for refused, bound in ((high + 1, f"less than or equal to {high}"),
                           (low - 1, f"greater than or equal to {low}")):  # fmt: skip
        result = run(
            "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
            "--concurrency", str(refused),
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        message = f"Invalid value for '--concurrency': Input should be {bound}"
        assert message in usage_error(result.output)
    assert fake.calls_to("StartHumanLoop") == []

    accepted = run(
        "--output", "json", "loops", "start", "--flow", FLOW_NAME, "--input", str(source),
        "--id-field", "id", "--concurrency", str(high),
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert summary(accepted.stdout)["started"] == 3


def test_start_human_loops_checks_concurrency_and_classifiers(fake: FakeA2I) -> None:
    client = fake.client("sagemaker-a2i-runtime")
    for concurrency in (0, 101):
        with pytest.raises(ValueError, match="concurrency must be between 1 and 100"):
            start_human_loops(client, FLOW_ARN, [], concurrency=concurrency)
    with pytest.raises(ValueError, match="classifiers items must be one of"):
        start_human_loops(client, FLOW_ARN, [], classifiers=["FreeOfBugs"])
    assert start_human_loops(client, FLOW_ARN, [], concurrency=100).results == []


def test_bad_options_are_refused_before_any_call(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(1))

    def start(*args: str) -> Any:
        return run("loops", "start", "--flow", FLOW_NAME, "--input", str(source), *args)

    prefix = start("--prefix", "Bad_Prefix")
    assert prefix.exit_code == 1 and prefix.stderr.startswith("error: --prefix must be 1-20")
    path = start("--id-field", "a..b")
    assert path.exit_code == 1 and path.stderr.startswith("error: --id-field ")
    assert "'a..b'" in path.stderr and path.stderr.count("\n") == 1
    classifier = start("--classifier", "FreeOfBugs")
    assert classifier.exit_code == 2
    assert ", ".join(CONTENT_CLASSIFIERS) in usage_error(classifier.output)
    status = run("loops", "list", "--flow", FLOW_NAME, "--status", "Done")
    assert status.exit_code == 2
    assert ", ".join(LOOP_STATUSES) in usage_error(status.output)
    assert fake.calls_to("StartHumanLoop") == []


def test_input_path_may_be_the_whole_item(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    """``$`` is the whole item, as the starter Lambda's INPUT_PATH allows."""
    source = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "text": "x"}])

    result = run(
        "loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--input-path", "$",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (call,) = fake.calls_to("StartHumanLoop", succeeded=True)
    assert json.loads(call["HumanLoopInput"]["InputContent"]) == {"id": "a", "text": "x"}


def test_throttling_that_outlasts_the_retries_is_one_clear_line(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(20))
    fake.fail_next("StartHumanLoop", "ThrottlingException", times=10_000)

    result = run(
        "loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id",
        "--max-attempts", "3", "--concurrency", "2",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: throttled: StartHumanLoop was still throttled after 3")
    assert "lower --rate" in line
    # It stopped instead of hammering on: a few calls per thread, not 3 per line.
    assert len(fake.calls_to("StartHumanLoop")) < 20 * 3
    assert "Not attempted" in result.stdout


def test_unknown_flow_is_one_line(run: Run, fake: FakeA2I, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(1))

    for flow in ("no-such-flow", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/nope"):
        result = run("loops", "start", "--flow", flow, "--input", str(source))
        assert result.exit_code == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: unknown flow definition")
    bad = run("loops", "list", "--flow", "Not_A_Name")
    assert bad.exit_code == 1 and "is not a flow definition name" in bad.stderr


def test_flow_that_is_not_active_is_refused(run: Run, fake: FakeA2I, tmp_path: Path) -> None:
    fake.fail_flow_definitions("The task UI failed to render")
    with pytest.raises(RuntimeError, match="broken-flow failed"):
        create_flow(fake, "broken-flow")  # the flow exists, and is Failed
    source = write_jsonl(tmp_path / "items.jsonl", items(1))

    result = run("loops", "start", "--flow", "broken-flow", "--input", str(source))

    assert result.exit_code == 1
    assert "broken-flow is Failed (The task UI failed to render)" in result.stderr


def test_no_credentials_is_one_line(
    run: Run, fake: FakeA2I, flow_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = run("loops", "list", "--flow", FLOW_NAME)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: no AWS credentials found")
    assert result.stderr.count("\n") == 1


def test_no_region_and_unknown_profile_are_one_line(
    run: Run, fake: FakeA2I, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    no_region = run("loops", "list", "--flow", FLOW_NAME)
    assert no_region.exit_code == 1 and "no AWS Region" in no_region.stderr

    no_profile = run("--profile", "nobody", "--region", REGION, "loops", "list", "--flow", "x")
    assert no_profile.exit_code == 1
    assert "nobody" in no_profile.stderr and no_profile.stderr.count("\n") == 1


def test_rate_limit_spaces_the_calls(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items(6))

    began = time.monotonic()
    result = run(
        "loops", "start", "--flow", FLOW_NAME, "--input", str(source), "--id-field", "id",
        "--rate", "20", "--concurrency", "6",
    )  # fmt: skip
    elapsed = time.monotonic() - began

    assert result.exit_code == 0, result.output
    assert elapsed >= 5 / 20  # 6 calls at 20/s: at least 5 gaps of 50 ms


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=4.0, clock=lambda: now[0])
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.25)
    assert bucket.reserve() == pytest.approx(0.5)
    now[0] = 10.0  # a quiet period refills at most `capacity` tokens
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.25)
    assert TokenBucket(rate=0).reserve() == 0.0
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted):
        TokenBucket(rate=1.0).acquire(stop)


def test_retry_policy_backoff_has_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=0.1, cap_seconds=0.3)
    assert policy.backoff(1, lambda low, high: high) == pytest.approx(0.1)
    assert policy.backoff(2, lambda low, high: high) == pytest.approx(0.2)
    assert policy.backoff(3, lambda low, high: high) == pytest.approx(0.3)
    assert policy.backoff(9, lambda low, high: low) == 0.0
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_field_paths() -> None:
    path = FieldPath.parse("$.items[1].id", "--id-field")
    assert path.find({"items": [{}, {"id": 7}]}) == 7
    assert path.find({"items": []}) is MISSING
    with pytest.raises(ValueError, match=r"--id-field .*'a\.\.b'"):
        FieldPath.parse("a..b", "--id-field")
    with pytest.raises(ValueError):
        check_loop_name_prefix("--prefix", "Bad_Prefix")


def test_default_failed_path() -> None:
    assert _input.default_failed_path(Path("d/items.jsonl")) == Path("d/items.failed.jsonl")
    assert _input.default_failed_path(Path("d/in")) == Path("d/in.failed.jsonl")
    assert _input.default_failed_path(Path("x.failed.jsonl")) == Path("x.failed.jsonl")


# ---------------------------------------------------------------------------------------------
# loops list
# ---------------------------------------------------------------------------------------------


def test_list_pages_through_every_loop(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    names = start_loops(fake, 25)

    result = run("--output", "json", "loops", "list", "--flow", FLOW_NAME, "--page-size", "10")

    assert result.exit_code == 0, result.output
    listed = [loop["HumanLoopName"] for loop in json.loads(result.stdout)]
    assert listed == list(reversed(names))  # newest first by default
    pages = fake.calls_to("ListHumanLoops")
    assert len(pages) == 3 and all(page["MaxResults"] == 10 for page in pages)
    assert "NextToken" not in pages[0] and all("NextToken" in page for page in pages[1:])


def test_list_filters_sort_and_limit(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    names = start_loops(fake, 12)
    for name in names[:4]:
        fake.complete_human_loop(name)
    fake.fail_human_loop(names[4], failure_code="Expired")
    created = {name: loop.creation_time for name, loop in fake.human_loops.items()}

    def listed(*args: str) -> list[dict[str, Any]]:
        result = run("--output", "json", "loops", "list", "--flow", FLOW_NAME, *args)
        assert result.exit_code == 0, result.output
        loops_: list[dict[str, Any]] = json.loads(result.stdout)
        return loops_

    completed = listed("--status", "completed", "--sort", "asc", "--page-size", "5")
    assert [loop["HumanLoopName"] for loop in completed] == names[:4]
    both = listed("--status", "Completed", "--status", "Failed")
    assert {loop["HumanLoopName"] for loop in both} == set(names[:5])
    failed = listed("--status", "Failed")
    assert failed[0]["FailureReason"]
    since = created[names[3]].isoformat()
    until = created[names[8]].isoformat()
    window = listed("--since", since, "--until", until, "--sort", "asc")
    assert [loop["HumanLoopName"] for loop in window] == names[3:8]
    call = fake.calls_to("ListHumanLoops")[-1]
    assert call["SortOrder"] == "Ascending" and "CreationTimeAfter" in call
    limited = listed("--limit", "3")
    assert [loop["HumanLoopName"] for loop in limited] == names[::-1][:3]
    assert fake.calls_to("ListHumanLoops")[-1]["MaxResults"] == 3


def test_list_table_and_bad_dates(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    start_loops(fake, 2)

    table = run("loops", "list", "--flow", FLOW_NAME, "--since", "2026-11-01")
    assert table.exit_code == 0, table.output
    assert "loop-000" in table.stdout and "InProgress" in table.stdout

    bad = run("loops", "list", "--flow", FLOW_NAME, "--since", "last tuesday")
    assert bad.exit_code == 2 and "not a date or time" in bad.output


def test_list_retries_a_throttled_page_without_repeating_or_skipping(
    run: Run, fake: FakeA2I, flow_arn: str
) -> None:
    names = start_loops(fake, 30)
    fake.fail_next("ListHumanLoops", "ThrottlingException", times=2)

    result = run("--output", "json", "loops", "list", "--flow", FLOW_NAME, "--page-size", "10")

    assert result.exit_code == 0, result.output
    assert sorted(loop["HumanLoopName"] for loop in json.loads(result.stdout)) == names


def test_list_by_stack_and_construct(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    start_loops(fake, 3)
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "ReviewFlowDefinitionArnCEA8801E": {
                "Value": flow_arn,
                "Description": "ARN of the A2I flow definition ReviewStack/Review",
            },
            "OtherFlowDefinitionArn0A1B2C3D": {
                "Value": flow_arn.replace(FLOW_NAME, "other-flow"),
                "Description": "ARN of the A2I flow definition ReviewStack/Other",
            },
        },
    }
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="ReviewStack", TemplateBody=json.dumps(template)
        )
        for construct in ("Review", "ReviewStack/Review"):
            result = run(
                "--output", "json", "loops", "list", "--stack", "ReviewStack",
                "--construct", construct,
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            assert len(json.loads(result.stdout)) == 3
        ambiguous = run("loops", "list", "--stack", "ReviewStack")
        assert ambiguous.exit_code == 1 and "pick one with --construct" in ambiguous.stderr
        missing = run("loops", "list", "--stack", "ReviewStack", "--construct", "Nope")
        assert missing.exit_code == 1 and "no flow definition at 'Nope'" in missing.stderr
        no_stack = run("loops", "list", "--stack", "Missing")
        assert no_stack.exit_code == 1 and "stack 'Missing' does not exist" in no_stack.stderr


def test_flow_arn_from_outputs_by_logical_id() -> None:
    outputs = [
        {"OutputKey": "ReviewFlowDefinitionArnCEA8801E", "OutputValue": FLOW_ARN},
        {"OutputKey": "BucketName", "OutputValue": "b"},
    ]
    assert flow_arn_from_outputs(outputs, "S", "Review") == FLOW_ARN
    assert flow_arn_from_outputs(outputs, "S", "S/Review") == FLOW_ARN
    assert flow_arn_from_outputs(outputs, "S", None) == FLOW_ARN


# ---------------------------------------------------------------------------------------------
# describe, stop, delete
# ---------------------------------------------------------------------------------------------


def test_describe(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    (name,) = start_loops(fake, 1)
    fake.complete_human_loop(name)

    table = run("loops", "describe", name)
    assert table.exit_code == 0, table.output
    assert "Completed" in table.stdout and "output.json" in table.stdout

    as_json = run("--output", "json", "loops", "describe", name)
    described = json.loads(as_json.stdout)
    assert described["HumanLoopStatus"] == "Completed"
    assert described["HumanLoopOutput"]["OutputS3Uri"].endswith(f"/{name}/output.json")

    missing = run("loops", "describe", "no-such-loop")
    assert missing.exit_code == 1
    assert missing.stderr == "error: human loop 'no-such-loop' not found (or deleted)\n"


def test_stop_rules(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    running, done, _ = start_loops(fake, 3)
    fake.complete_human_loop(done)

    result = run("--output", "json", "loops", "stop", running, done, "ghost")

    assert result.exit_code == 1
    outcome = {row["humanLoopName"]: row["result"] for row in json.loads(result.stdout)}
    assert outcome == {running: "stopped", done: "refused", "ghost": "not found"}
    assert "only InProgress human loops can be stopped" in result.stderr
    assert fake.human_loops[running].status == "Stopped"

    again = run("loops", "stop", running)
    assert again.exit_code == 0 and "already stopped" in again.stdout


def test_delete_refuses_loops_in_progress(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    running, done = start_loops(fake, 2)
    fake.complete_human_loop(done)

    result = run("loops", "delete", running, done)

    assert result.exit_code == 1
    assert f"it is InProgress: stop it first (a2i loops stop {running}) or pass --stop-first" in (
        " ".join(result.stderr.split())
    )
    assert set(fake.human_loops) == {running}  # the finished one went, the running one stayed
    assert fake.calls_to("DeleteHumanLoop") == [{"HumanLoopName": done}]


def test_delete_stop_first_waits_for_stopping_loops(run: Run, fake: FakeA2I, flow_arn: str) -> None:
    first, second = start_loops(fake, 2)
    fake.stop_after(2)  # stopped loops report Stopping for a while, as real ones do

    result = run("--output", "json", "loops", "delete", "--stop-first", first, second)

    assert result.exit_code == 0, result.output
    assert {row["result"] for row in json.loads(result.stdout)} == {"deleted"}
    assert fake.human_loops == {}
    assert len(fake.calls_to("StopHumanLoop")) == 2


def test_every_runtime_operation_is_used(
    run: Run, fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    """The issue's rule: every AugmentedAIRuntime operation is usable from the command."""
    source = write_jsonl(tmp_path / "items.jsonl", items(2))
    assert run("loops", "start", "--flow", FLOW_NAME, "--input", str(source)).exit_code == 0
    a, b = sorted(fake.human_loops)
    assert run("loops", "list", "--flow", FLOW_NAME).exit_code == 0
    assert run("loops", "describe", a).exit_code == 0
    assert run("loops", "stop", a).exit_code == 0
    assert run("loops", "delete", "--stop-first", a, b).exit_code == 0
    used = collections.Counter(call.operation for call in fake.calls if call.error is None)
    assert set(used) >= {
        "StartHumanLoop",
        "ListHumanLoops",
        "DescribeHumanLoop",
        "StopHumanLoop",
        "DeleteHumanLoop",
    }
