#!/usr/bin/env python3
"""Deploy latency of ``Custom::A2IFlowDefinition``, and what the provider adds to a stack.

Prints, old and new side by side (medians of ``--runs`` runs):

* **latency**: from the moment CloudFormation would send the event to the moment the
  answer reaches its presigned URL, for a create (the flow definition turns Active after
  3 s) and a delete. The new provider's handler runs in-process against the local A2I
  fake and answers a local HTTP server that plays the presigned URL
  (``constructs_a2i.testing.FakeResponseUrl``), which records when the PUT arrives.
  The previous design (the CDK ``Provider`` framework with an isComplete waiter) is
  modelled from the framework's code: onEvent makes the call, then the waiter state
  machine starts and invokes isComplete through two Lambda functions (modelled as a
  uniform 1-2.5 s), and asks again every ``queryInterval`` (10 s) until complete; the
  calls to the fake and the PUT are real. Lambda cold starts and CloudFormation's own
  delays are in neither figure.
* **footprint**: the resources, Lambda functions, IAM roles and Step Functions state
  machines of a stack with 1 and 3 flow definitions (each with a starter and a results
  delivery), counted from synthesized templates: the working tree, and the previous
  design (commit ``42b01da``, exported with ``git archive`` when the repository has it).

The fake's flow definitions turn Active on a given Describe (``FakeA2I.activate_after``),
so "Active after 3 s" is the first Describe each design makes 3 s or more after the
create: the new handler describes at once and then every second (the 4th Describe, at
3 s); the previous design at 1-2.5 s and then every 10 s (the 2nd). Each run checks that
the Active answer did come at or after 3 s and the one before it earlier.

Targets: a create answered <= 5 s after the event; a delete <= 2 s; the provider adds
<= 4 resources and 1 Lambda function per stack, and none per extra flow definition.

Run: ``python bench/deploy.py [--runs 5] [--skip-footprint] [--skip-latency]``. No AWS
account, no network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _archive import ROOT, archived_tree

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from constructs_a2i.runtime.flow_definition_provider import index
from constructs_a2i.testing import FakeA2I, FakeResponseUrl

PREVIOUS_COMMIT = "42b01da"
ACCOUNT = "111111111111"
REGION = "us-east-1"
ACTIVE_AFTER_SECONDS = 3.0
NEW_DESCRIBES_UNTIL_ACTIVE = 4  # at 0, 1, 2 and 3 s
OLD_DESCRIBES_UNTIL_ACTIVE = 2  # at 1-2.5 s and 10 s later
OLD_QUERY_INTERVAL_SECONDS = 10.0
OLD_FIRST_POLL_SECONDS = (1.0, 2.5)
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Bench/0f6c1e0e-6b3c-4a42-9d3e"


class Context:
    """The Lambda context: 15 minutes left, as for a fresh invocation of the provider."""

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def properties() -> dict[str, Any]:
    base = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    return {
        "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider",
        "FlowDefinitionNamePrefix": "bench-flow-1a2b3c4d",
        "Definition": {
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/bench",
            "HumanLoopConfig": {
                "WorkteamArn": f"{base}:workteam/private-crowd/team",
                "HumanTaskUiArn": f"{base}:human-task-ui/bench-ui",
                "TaskTitle": "Review",
                "TaskDescription": "Review the item",
                "TaskCount": "1",
                "TaskTimeLimitInSeconds": "3600",
            },
            "OutputConfig": {"S3OutputPath": "s3://bench-output/a2i"},
        },
        "Tags": [{"Key": "project", "Value": "bench"}],
        "RemovalPolicy": "destroy",
    }


def event(
    cfn: FakeResponseUrl, request_type: str, physical_id: str | None = None
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    out: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": properties()["ServiceToken"],
        "ResponseURL": cfn.url(STACK_ID, request_id),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": "BenchFlow",
        "ResourceType": "Custom::A2IFlowDefinition",
        "ResourceProperties": properties(),
    }
    if physical_id is not None:
        out["PhysicalResourceId"] = physical_id
    return out


@contextmanager
def quiet() -> Iterator[None]:
    """The handler's JSON log lines go nowhere (they would cost terminal time)."""
    saved = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        try:
            yield
        finally:
            sys.stdout = saved


class Describes:
    """When each DescribeFlowDefinition was answered, and with which status."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    def hook(self, parsed: dict[str, Any], **_: Any) -> None:
        self.seen.append((time.monotonic(), str(parsed.get("FlowDefinitionStatus"))))

    def check(self, created: float) -> float:
        """When the Active answer came, after the create; checks the 3 s condition."""
        times = [(t - created, status) for t, status in self.seen]
        active = [t for t, status in times if status == "Active"]
        before = [t for t, status in times if status != "Active"]
        assert active and active[0] >= ACTIVE_AFTER_SECONDS, times
        assert before and before[-1] < ACTIVE_AFTER_SECONDS, times
        return active[0]


def client_with(describes: Describes) -> Any:
    client = index._sagemaker()
    client.meta.events.register(
        "after-call.sagemaker.DescribeFlowDefinition",
        lambda parsed, **kw: describes.hook(parsed, **kw),
    )
    return client


def new_create_and_delete(fake: FakeA2I, cfn: FakeResponseUrl) -> dict[str, float]:
    """One create (Active after 3 s) and one delete through the new handler, in-process."""
    fake.activate_after(NEW_DESCRIBES_UNTIL_ACTIVE)
    describes = Describes()
    index._clients.clear()
    client_with(describes)
    create = event(cfn, "Create")
    before = len(cfn.responses)
    sent = time.monotonic()
    with quiet():
        answer = index.handler(create, Context())
    put = cfn.responses[before]
    assert answer["Status"] == "SUCCESS" and put.http_status == 200, answer
    active = describes.check(sent)  # the handler's first call is the create
    delete = event(cfn, "Delete", answer["PhysicalResourceId"])
    before = len(cfn.responses)
    sent_delete = time.monotonic()
    with quiet():
        deleted = index.handler(delete, Context())
    assert deleted["Status"] == "SUCCESS", deleted
    return {
        "create_s": put.arrived - sent,
        "active_s": active,
        "delete_s": cfn.responses[before].arrived - sent_delete,
    }


def framework_put(url: str, body: dict[str, Any]) -> None:
    """The framework's answer: an HTTPS PUT with an empty Content-Type (the same bytes)."""
    data = json.dumps(body).encode()
    index._put(url, data, 5.0)


def old_create_and_delete(
    fake: FakeA2I, cfn: FakeResponseUrl, rng: random.Random
) -> dict[str, float]:
    """One create and one delete as the Provider framework ran them (modelled waits)."""
    fake.activate_after(OLD_DESCRIBES_UNTIL_ACTIVE)
    describes = Describes()
    index._clients.clear()
    client = client_with(describes)
    create = event(cfn, "Create")
    request = {**create["ResourceProperties"]["Definition"]}
    request["HumanLoopConfig"] = {
        **request["HumanLoopConfig"],
        "TaskCount": 1,
        "TaskTimeLimitInSeconds": 3600,
    }
    name = f"bench-old-{uuid.uuid4().hex[:8]}"
    before = len(cfn.responses)
    sent = time.monotonic()
    # onEvent: CreateFlowDefinition; then the waiter's first isComplete 1-2.5 s later.
    arn = client.create_flow_definition(FlowDefinitionName=name, **request)["FlowDefinitionArn"]
    time.sleep(rng.uniform(*OLD_FIRST_POLL_SECONDS))
    while client.describe_flow_definition(FlowDefinitionName=name)["FlowDefinitionStatus"] != (
        "Active"
    ):
        time.sleep(OLD_QUERY_INTERVAL_SECONDS)  # the state machine's Retry interval
    framework_put(
        create["ResponseURL"],
        {"Status": "SUCCESS", "PhysicalResourceId": arn, "RequestId": create["RequestId"]},
    )
    put = cfn.responses[before]
    active = describes.check(sent)
    # Delete: onEvent deletes, the waiter still runs one isComplete before answering.
    delete = event(cfn, "Delete", arn)
    before = len(cfn.responses)
    sent_delete = time.monotonic()
    client.delete_flow_definition(FlowDefinitionName=name)
    time.sleep(rng.uniform(*OLD_FIRST_POLL_SECONDS))
    framework_put(
        delete["ResponseURL"],
        {"Status": "SUCCESS", "PhysicalResourceId": arn, "RequestId": delete["RequestId"]},
    )
    return {
        "create_s": put.arrived - sent,
        "active_s": active,
        "delete_s": cfn.responses[before].arrived - sent_delete,
    }


def latency(runs: int) -> None:
    rng = random.Random(0)
    samples: dict[str, list[dict[str, float]]] = {"new": [], "old": []}
    with FakeA2I(region=REGION, account=ACCOUNT, seed=0) as fake, FakeResponseUrl() as cfn:
        saved = dict(os.environ)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(fake.environ())
        try:
            # Warm-up, not counted: the first request loads botocore's models in the fake
            # and in the client (seconds here; Lambda's cold start is in neither figure).
            fake.activate_after(0)
            with quiet():
                index._clients.clear()
                warm = index.handler(event(cfn, "Create"), Context())
                index.handler(event(cfn, "Delete", warm["PhysicalResourceId"]), Context())
            for _ in range(runs):  # side by side, round by round
                samples["new"].append(new_create_and_delete(fake, cfn))
                samples["old"].append(old_create_and_delete(fake, cfn, rng))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            index._clients.clear()

    def median(design: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[design])

    print(f"deploy latency: {runs} runs each, medians; the flow definition is Active after 3 s")
    print(f"{'design':<34}{'create s':>10}{'Active seen s':>15}{'delete s':>10}")
    for design, label in (
        ("old", "previous (Provider + waiter)"),
        ("new", "new (one function)"),
    ):
        print(
            f"{label:<34}{median(design, 'create_s'):>10.2f}{median(design, 'active_s'):>15.2f}"
            f"{median(design, 'delete_s'):>10.2f}"
        )
    print(
        f"create answered {median('new', 'create_s'):.2f} s after the event (target <= 5 s); "
        f"delete {median('new', 'delete_s'):.2f} s (target <= 2 s); "
        f"create {median('old', 'create_s') / median('new', 'create_s'):.1f}x faster than before"
    )


# -- footprint -------------------------------------------------------------------------------

# Runs in a child process against one tree of the package: a stack with N flows, each with a
# starter and a results delivery; prints the counts.
CHILD = r"""
import json, os, sys
sys.path.insert(0, os.environ["BENCH_TREE"])
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_sqs as sqs
from constructs_a2i import (FlowDefinition, HumanLoopResults, HumanLoopStarter, HumanTaskUi,
                            StarterSource, TaskTemplate, Workteam)
out = {}
for flows in (1, 3):
    app = App(outdir=os.path.join(os.environ["BENCH_OUTDIR"], str(flows)))
    stack = Stack(app, "Footprint", env=Environment(account="123456789012", region="us-east-1"))
    team = Workteam.from_workteam_arn(
        stack, "Team", "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team")
    ui = HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string("<crowd-form></crowd-form>"))
    for i in range(flows):
        flow = FlowDefinition(stack, f"Flow{i}", workteam=team, human_task_ui=ui,
                              task_title="Review", task_description="Review the item")
        HumanLoopStarter(stack, f"Starter{i}", flow_definition=flow, source=StarterSource.sqs())
        HumanLoopResults(stack, f"Results{i}", flow_definition=flow,
                         destination=sqs.Queue(stack, f"Results{i}Queue", enforce_ssl=True))
    template = app.synth().get_stack_by_name("Footprint").template
    resources = {k: v for k, v in template["Resources"].items()
                 if v["Type"] != "AWS::CDK::Metadata"}
    types = [v["Type"] for v in resources.values()]
    provider = [k for k in resources if k.startswith("A2IFlowDefinitionProvider")]
    out[flows] = {
        "resources": len(resources),
        "lambdas": types.count("AWS::Lambda::Function"),
        "roles": types.count("AWS::IAM::Role"),
        "policies": types.count("AWS::IAM::Policy"),
        "state_machines": types.count("AWS::StepFunctions::StateMachine"),
        "log_groups": types.count("AWS::Logs::LogGroup"),
        "provider": len(provider),
        "provider_lambdas": sum(resources[k]["Type"] == "AWS::Lambda::Function" for k in provider),
        "response_url_logged": "IncludeExecutionData" in json.dumps(template),
    }
print(json.dumps(out))
"""


def count(tree: Path) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as outdir:
        env = {
            **os.environ,
            "BENCH_TREE": str(tree),
            "BENCH_OUTDIR": outdir,
            "CDK_VALIDATION": "false",
            "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        out = subprocess.run(
            [sys.executable, "-c", CHILD],
            env=env,
            cwd=tree,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    counted: dict[str, dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return counted


def footprint() -> None:
    rows: list[tuple[str, dict[str, dict[str, Any]]]] = []
    with tempfile.TemporaryDirectory() as folder:
        old = archived_tree(PREVIOUS_COMMIT, Path(folder))
        if old is not None:
            rows.append((f"previous ({PREVIOUS_COMMIT})", count(old)))
        rows.append(("new (working tree)", count(ROOT)))
    print("\nfootprint: a stack with N flow definitions, each with a starter and results")
    header = (
        f"{'design':<24}{'N':>3}{'resources':>11}{'lambdas':>9}{'roles':>7}{'policies':>10}"
        f"{'state machines':>16}{'provider res.':>15}{'provider lambdas':>18}"
    )
    print(header)
    for label, counts in rows:
        for flows in ("1", "3"):
            c = counts[flows]
            print(
                f"{label:<24}{flows:>3}{c['resources']:>11}{c['lambdas']:>9}{c['roles']:>7}"
                f"{c['policies']:>10}{c['state_machines']:>16}{c['provider']:>15}"
                f"{c['provider_lambdas']:>18}"
            )
    new = rows[-1][1]
    per_extra = (new["3"]["provider"] - new["1"]["provider"]) / 2
    print(
        f"new provider: {new['1']['provider']} resources and {new['1']['provider_lambdas']} "
        f"Lambda function per stack (target <= 4 and 1), {per_extra:g} per extra flow "
        f"(target 0); execution data logged: {new['1']['response_url_logged']}"
    )
    if len(rows) == 2:
        old_counts = rows[0][1]
        for flows in ("1", "3"):
            saved = old_counts[flows]["resources"] - new[flows]["resources"]
            print(
                f"with {flows} flow(s): {old_counts[flows]['resources']} -> "
                f"{new[flows]['resources']} resources ({saved} fewer), "
                f"{old_counts[flows]['lambdas']} -> {new[flows]['lambdas']} Lambda functions"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-footprint", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_latency:
        latency(args.runs)
    if not args.skip_footprint:
        footprint()


if __name__ == "__main__":
    main()
