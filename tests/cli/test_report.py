"""``a2i report`` end to end: loops in the fake A2I (over HTTP), their outputs in S3 (moto).

The history is ``tests/report/test_fixture_history.py``'s (AWS's custom-task output example,
figures worked out by hand there): the report made from the flow, and the one made from the
file ``a2i results`` writes, must both show those numbers.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from constructs_a2i.cli import _download as download
from constructs_a2i.cli import report as report_command
from constructs_a2i.report.plots import PLOT_IDS
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import ACCOUNT, REGION, Clock
from tests.report.test_fixture_history import (
    LOOPS,
    WORKER_C,
    answer_document,
    created,
    fixture_rows,
)

from .conftest import OUTPUT_BUCKET, OUTPUT_PATH, START, Run

FLOW = "public-review"
PRICE = {"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}}
LABEL_OPTIONS = (
    "--prediction-path",
    "prediction.label",
    "--answer-path",
    "sentiment.label",
    "--confidence-path",
    "prediction.confidence",
)
HEAVY = ("plotly", "statsmodels", "numpy", "scipy", "pandas")


@pytest.fixture
def clock() -> Clock:
    """A clock that stands still: each loop gets the creation time the history gives it."""
    return Clock(START)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=OUTPUT_BUCKET)
        yield client


def public_flow(fake: FakeA2I) -> str:
    """A public-crowd flow: 3 workers per loop at $0.036 per task."""
    fake.activate_after(0)
    base = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    sagemaker = fake.client("sagemaker")
    arn: str = sagemaker.create_flow_definition(
        FlowDefinitionName=FLOW,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/a2i-review",
        HumanLoopConfig={
            "WorkteamArn": f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default",
            "HumanTaskUiArn": f"{base}:human-task-ui/review-ui",
            "TaskTitle": "Sentiment",
            "TaskDescription": "Confirm or correct the sentiment",
            "TaskCount": 3,
            "PublicWorkforceTaskPrice": PRICE,
        },
        OutputConfig={"S3OutputPath": OUTPUT_PATH},
    )["FlowDefinitionArn"]
    sagemaker.describe_flow_definition(FlowDefinitionName=FLOW)
    return arn


def start(fake: FakeA2I, clock: Clock, arn: str, number: int, model: str = "x") -> str:
    clock.now = created(number)
    name = f"l{number}"
    content = {"prediction": {"label": model}}
    fake.client("sagemaker-a2i-runtime").start_human_loop(
        HumanLoopName=name,
        FlowDefinitionArn=arn,
        HumanLoopInput={"InputContent": json.dumps(content)},
    )
    return name


@pytest.fixture
def history(fake: FakeA2I, clock: Clock, s3: Any) -> str:
    """The hand-worked history in the fake: L1..L6 Completed, L7 Failed, L8 InProgress,
    L9 Stopped without output."""
    arn = public_flow(fake)
    for number in range(1, len(LOOPS) + 1):
        name = start(fake, clock, arn, number)
        loop = fake.complete_human_loop(name)
        assert loop.output_s3_uri is not None
        key = loop.output_s3_uri.split(f"s3://{OUTPUT_BUCKET}/", 1)[1]
        body = json.dumps({**answer_document(number), "flowDefinitionArn": arn}).encode()
        s3.put_object(Bucket=OUTPUT_BUCKET, Key=key, Body=body)
    fake.fail_human_loop(start(fake, clock, arn, 7), failure_code="Expired")
    start(fake, clock, arn, 8)
    fake.stop_human_loop(start(fake, clock, arn, 9))
    return arn


def figures_of(path: Path) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return figures


def test_report_from_the_flow_shows_the_hand_worked_figures(
    run: Run, history: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = run("report", "--flow", FLOW, "--out", str(out), *LABEL_OPTIONS)
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.output and "9 loops, 18 answers" in result.output
    figures = figures_of(out)
    assert figures["source"]["flow"] == FLOW
    assert figures["volume"]["started"] == [2, 3, 4]
    assert figures["volume"]["failed"] == [0, 1, 0]
    assert figures["volume"]["stopped"] == [0, 0, 1]
    assert figures["volume"]["backlog"] == [0, 0, 1]
    model = figures["modelAgreement"]
    assert (model["loops"], model["overridden"]) == (5, 2)
    assert model["confusion"]["counts"] == [[1, 1], [1, 2]]
    assert model["cohensKappa"] == pytest.approx(1 / 6)
    assert figures["reviewerAgreement"]["fleissKappa"] == pytest.approx(11 / 32)
    assert figures["timeToComplete"]["p50"] == pytest.approx(2100)
    cost = figures["cost"]
    assert (cost["pricePerTaskUsd"], cost["taskCount"], cost["completedLoops"]) == (0.036, 3, 6)
    assert cost["totalUsd"] == pytest.approx(0.648)


def test_report_from_a_results_file_agrees_with_the_flow(
    run: Run, history: str, tmp_path: Path
) -> None:
    rows = tmp_path / "results.jsonl"
    assert run("results", "--flow", FLOW, "--out", str(rows)).exit_code == 0
    from_file, from_flow = tmp_path / "file.json", tmp_path / "flow.json"
    result = run("report", "--from", str(rows), "--out", str(from_file), *LABEL_OPTIONS)
    assert result.exit_code == 0, result.output
    assert run("report", "--flow", FLOW, "--out", str(from_flow), *LABEL_OPTIONS).exit_code == 0
    file_figures, flow_figures = figures_of(from_file), figures_of(from_flow)
    for key in ("modelAgreement", "reviewerAgreement", "reviewers", "timeToComplete"):
        assert file_figures[key] == flow_figures[key], key
    # A results file holds only Completed and Stopped loops (the ones with output).
    assert file_figures["volume"]["statuses"] == {"Completed": 6, "Stopped": 1}
    assert file_figures["cost"]["available"] is False
    priced = tmp_path / "priced.json"
    assert (
        run("report", "--from", str(rows), "--out", str(priced), "--price", "0.036").exit_code == 0
    )
    assert figures_of(priced)["cost"]["totalUsd"] == pytest.approx(0.036 * 6)  # task count 1


def test_html_report_is_self_contained_and_escapes_reviewer_text(
    run: Run, history: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run("report", "--flow", FLOW, "--out", str(out), *LABEL_OPTIONS)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for plot_id in PLOT_IDS:
        assert f'id="{plot_id}"' in page, plot_id
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script src" not in page and '<link rel="stylesheet"' not in page
    assert WORKER_C not in page  # the worker id that is a script tag
    assert "&lt;script&gt;alert(&#x27;c&#x27;)&lt;/script&gt;" in page  # in the table, escaped


def test_the_json_format_and_the_page_hold_the_same_figures(run: Run, tmp_path: Path) -> None:
    rows = tmp_path / "results.jsonl"
    rows.write_text("".join(json.dumps(row) + "\n" for row in fixture_rows()), encoding="utf-8")
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    for out in (page, data):
        result = run("report", "--from", str(rows), "--out", str(out), *LABEL_OPTIONS)
        assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="report-figures">')
    embedded = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    written = figures_of(data)
    assert {**embedded, "generated": None} == {**written, "generated": None}
    assert written["modelAgreement"]["confusion"]["counts"] == [[1, 1], [1, 2]]


def test_download_shows_a_progress_bar(
    run: Run, history: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    # The progress bar is the download's, shared with `a2i results`.
    monkeypatch.setattr(download, "stderr_console", lambda: console)
    out = tmp_path / "report.json"
    assert run("report", "--flow", FLOW, "--out", str(out)).exit_code == 0
    assert "Listing human loops" in screen.getvalue()
    assert "Downloading results" in screen.getvalue()


def test_unreadable_output_and_broken_lines_are_listed_and_exit_3(
    run: Run, history: str, fake: FakeA2I, clock: Clock, s3: Any, tmp_path: Path
) -> None:
    loop = fake.complete_human_loop(start(fake, clock, history, 10))
    assert loop.output_s3_uri is not None
    key = loop.output_s3_uri.split(f"s3://{OUTPUT_BUCKET}/", 1)[1]
    s3.put_object(Bucket=OUTPUT_BUCKET, Key=key, Body=b"{not json")
    out = tmp_path / "report.json"
    result = run("report", "--flow", FLOW, "--out", str(out), *LABEL_OPTIONS)
    assert result.exit_code == 3, result.output
    figures = figures_of(out)
    assert figures["totals"]["unreadableOutputs"] == 1
    assert any(problem.startswith("l10: ") for problem in figures["problems"])
    assert figures["modelAgreement"]["loops"] == 5  # everything else is there

    rows = tmp_path / "results.jsonl"
    good = json.dumps({"humanLoopName": "ok", "answerIndex": 0, "workerId": "w"})
    rows.write_text(f"{good}\n\n{{broken\n[1, 2]\n", encoding="utf-8")
    result = run("report", "--from", str(rows), "--out", str(out))
    assert result.exit_code == 3, result.output
    figures = figures_of(out)
    assert figures["totals"]["answers"] == 1
    assert figures["problems"][0].startswith("row 3: not valid JSON")
    assert figures["problems"][1] == "row 4: not a JSON object"


def test_empty_history_still_renders_and_says_no_data(
    run: Run, fake: FakeA2I, tmp_path: Path
) -> None:
    public_flow(fake)
    out = tmp_path / "report.html"
    result = run("report", "--flow", FLOW, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count('class="nodata"') == len(PLOT_IDS)
    assert "No data: no loops in this period." in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "results.csv"), "use a JSON Lines results file"),
        (("--from", "missing.jsonl"), "--from missing.jsonl"),
        (("--from", "r.jsonl", "--flow", FLOW), "either --from FILE or --flow"),
        (("--from", "r.jsonl", "--price", "lots"), "not an amount in USD"),
        (("--from", "r.jsonl", "--since", "soon"), "not a date or time"),
    ],
)
def test_bad_options_fail_with_one_clear_line(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.jsonl").write_text("", encoding="utf-8")
    result = run("report", *args, "--out", "report.html")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "report.html").exists()


def test_without_the_report_extra_it_says_what_to_install(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_command.importlib.util, "find_spec", lambda name: None)
    rows = tmp_path / "r.jsonl"
    rows.write_text("", encoding="utf-8")
    result = run("report", "--from", str(rows), "--out", str(tmp_path / "report.html"))
    assert result.exit_code == 1
    assert "pip install 'constructs-a2i[report]'" in result.output


@pytest.mark.parametrize("args", [["--help"], ["results", "--help"], ["report", "--help"]])
def test_heavy_libraries_load_only_when_a_report_is_made(args: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['a2i', *{args!r}]\n"
        "from constructs_a2i.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
