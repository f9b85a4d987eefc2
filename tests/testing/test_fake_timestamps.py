"""Creation times read from the fake, fed back as List* bounds, find their resource: in any SDK.

SageMaker's json 1.1 protocol sends timestamps as epoch seconds (a JSON number), the A2I
runtime's rest-json as ISO 8601 (see the ``timestampFormat`` of ``CreationTime`` in either
service model, and "Timestamp formats" in the Smithy AWS protocol specifications). The fake
keeps creation times at millisecond precision. With microseconds (``1796175366.065697``), an
SDK that keeps milliseconds rounds the time it reads: the AWS SDK for JavaScript v3 turns an
epoch-seconds value into ``new Date(Math.round(value * 1000))``, so about half the time it
holds a time after the one stored, and the resource's own CreationTime given as
``CreationTimeAfter`` ("greater than or equal to", ListFlowDefinitions and ListHumanLoops in
the API references) missed it.

``test_the_javascript_sdk_finds_what_it_read`` drives the fake with the real
``@aws-sdk/client-sagemaker`` from the npm registry. It is opt-in (``A2I_JS_SDK_TESTS=1``):
it needs Node.js and npm, and its first run installs the SDK (about 30 MB, half a minute)
into ``build/js-sdk`` (git ignores ``build/``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from constructs_a2i.testing import FakeA2I
from tests.conftest import ROOT
from tests.fake_a2i import START, Clock
from tests.testing.conftest import flow_request, loop_input

# Microsecond parts of the clock; a fake storing them would be missed by a rounding SDK
# for those whose remainder is 500 µs or more (half of them).
MICROSECONDS = [0, 1, 499, 500, 65697, 123456, 999999, *range(7, 1_000_000, 99_991)]


def sagemaker_call(fake: FakeA2I, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """One SageMaker json 1.1 call over plain HTTP; the response body as parsed JSON."""
    request = urllib.request.Request(
        fake.endpoint_url,
        data=json.dumps(body).encode("utf-8"),
        headers={
            "X-Amz-Target": f"SageMaker.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def javascript_round(epoch_seconds: float) -> float:
    """What the JavaScript SDK holds after reading ``epoch_seconds``, sent back as it sends
    it: ``Math.round(value * 1000)`` milliseconds, written as ``getTime() / 1000``."""
    return math.floor(epoch_seconds * 1000 + 0.5) / 1000


@pytest.mark.parametrize("microsecond", MICROSECONDS)
def test_a_flows_creation_time_fed_back_finds_the_flow(
    fake: FakeA2I, clock: Clock, microsecond: int
) -> None:
    clock.now = START + dt.timedelta(microseconds=microsecond)
    sagemaker_call(fake, "CreateFlowDefinition", flow_request())
    sent = sagemaker_call(fake, "DescribeFlowDefinition", {"FlowDefinitionName": "review"})
    stamp = sent["CreationTime"]
    assert round(stamp * 1000, 6) == round(stamp * 1000), f"{stamp!r} has more than ms"
    for bound in (stamp, javascript_round(stamp)):
        listed = sagemaker_call(fake, "ListFlowDefinitions", {"CreationTimeAfter": bound})
        assert [f["FlowDefinitionName"] for f in listed["FlowDefinitionSummaries"]] == ["review"]
    # The same through boto3, and through the fake's own view of the flow.
    client = fake.client("sagemaker")
    described = client.describe_flow_definition(FlowDefinitionName="review")["CreationTime"]
    assert described == fake.flow_definitions["review"].creation_time
    assert described.microsecond == microsecond // 1000 * 1000
    found = client.list_flow_definitions(CreationTimeAfter=described)["FlowDefinitionSummaries"]
    assert [f["CreationTime"] for f in found] == [described]
    before = described + dt.timedelta(milliseconds=1)
    assert client.list_flow_definitions(CreationTimeBefore=before)["FlowDefinitionSummaries"]
    assert not client.list_flow_definitions(CreationTimeBefore=described)["FlowDefinitionSummaries"]


@pytest.mark.parametrize("microsecond", [500, 65697, 999999])
def test_a_loops_creation_time_fed_back_finds_the_loop(
    fake: FakeA2I, clock: Clock, a2i: Any, active_flow: str, microsecond: int
) -> None:
    clock.now = START + dt.timedelta(seconds=5, microseconds=microsecond)
    a2i.start_human_loop(
        HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
    )
    described = a2i.describe_human_loop(HumanLoopName="loop-1")["CreationTime"]
    # The fake's own view of the loop and its answer agree to the millisecond.
    assert described == fake.human_loops["loop-1"].creation_time
    assert described.microsecond == microsecond // 1000 * 1000
    listed = a2i.list_human_loops(FlowDefinitionArn=active_flow, CreationTimeAfter=described)
    assert [s["HumanLoopName"] for s in listed["HumanLoopSummaries"]] == ["loop-1"]
    assert listed["HumanLoopSummaries"][0]["CreationTime"] == described
    fake.complete_human_loop("loop-1")
    event_time = fake.events[-1]["detail"]["creationTime"]
    assert dt.datetime.fromisoformat(event_time.replace("Z", "+00:00")) == described


# ---------------------------------------------------------------- the JavaScript SDK itself

JS_SDK_PACKAGE = "@aws-sdk/client-sagemaker@3.1142.0"
JS_SDK_DIR = ROOT / "build" / "js-sdk"

JS_SCRIPT = r"""
const { SageMakerClient, CreateFlowDefinitionCommand, DescribeFlowDefinitionCommand,
        ListFlowDefinitionsCommand } = require("@aws-sdk/client-sagemaker");
const [endpoint, requestJson] = process.argv.slice(2);
const client = new SageMakerClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
});
(async () => {
  await client.send(new CreateFlowDefinitionCommand(JSON.parse(requestJson)));
  const described = await client.send(
    new DescribeFlowDefinitionCommand({ FlowDefinitionName: "review" }));
  const listed = await client.send(
    new ListFlowDefinitionsCommand({ CreationTimeAfter: described.CreationTime }));
  console.log(JSON.stringify({
    creationTimeMs: described.CreationTime.getTime(),
    found: listed.FlowDefinitionSummaries.map((f) => f.FlowDefinitionName),
  }));
})().catch((err) => { console.error(err); process.exit(1); });
"""


def _javascript_sdk() -> Path:
    """``build/js-sdk`` with the SDK installed (from the npm registry on first use)."""
    if os.environ.get("A2I_JS_SDK_TESTS") != "1":
        pytest.skip("opt-in: set A2I_JS_SDK_TESTS=1 (needs node and npm; installs the SDK)")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if not (JS_SDK_DIR / "node_modules" / "@aws-sdk" / "client-sagemaker").is_dir():
        JS_SDK_DIR.mkdir(parents=True, exist_ok=True)
        (JS_SDK_DIR / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--save-exact", JS_SDK_PACKAGE],
            cwd=JS_SDK_DIR,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return JS_SDK_DIR


@pytest.mark.parametrize("microsecond", [0, 499, 500, 65697, 999999])
def test_the_javascript_sdk_finds_what_it_read(
    fake: FakeA2I, clock: Clock, microsecond: int
) -> None:
    folder = _javascript_sdk()
    script = folder / "creation_time_after.js"
    script.write_text(JS_SCRIPT, encoding="utf-8")
    clock.now = START + dt.timedelta(microseconds=microsecond)
    result = subprocess.run(
        ["node", str(script), fake.endpoint_url, json.dumps(flow_request())],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["found"] == ["review"]
    stored = fake.flow_definitions["review"].creation_time
    assert answer["creationTimeMs"] == round(stored.timestamp() * 1000)
