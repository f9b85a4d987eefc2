#!/usr/bin/env python3
"""Human loops started per second by ``a2i loops start`` versus a naive one-by-one loop.

Both run against the local fake A2I (:mod:`constructs_a2i.testing`) answering every request
after ``--latency`` seconds (default 50 ms, about a real round trip), with no rate limit:

* **naive**: ``for item in items: client.start_human_loop(...)``, one call after another;
* **a2i**: the real command, ``a2i loops start --input items.jsonl`` (in-process), at its
  default ``--concurrency`` and at a higher one.

Each scenario gets a fresh flow definition and the same items. Prints a table and one JSON line,
and exits 1 when the default concurrency is not at least ``--target`` times faster.

    python bench/cli.py [--items 200] [--latency 0.05] [--target 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from typer.testing import CliRunner  # noqa: E402

from constructs_a2i.cli.main import app  # noqa: E402
from constructs_a2i.core.loop_names import id_loop_name  # noqa: E402
from constructs_a2i.testing import FakeA2I  # noqa: E402

ACCOUNT = "111111111111"
REGION = "us-east-1"


def create_flow(fake: FakeA2I, name: str) -> str:
    fake.activate_after(0)
    return fake.create_active_flow_definition(name)


def naive(fake: FakeA2I, items: list[dict[str, object]]) -> float:
    """Seconds for one StartHumanLoop after another on one client."""
    arn = create_flow(fake, "naive-flow")
    client = fake.client("sagemaker-a2i-runtime")
    began = time.perf_counter()
    for item in items:
        client.start_human_loop(
            HumanLoopName=id_loop_name(arn, str(item["id"])),
            FlowDefinitionArn=arn,
            HumanLoopInput={"InputContent": json.dumps(item)},
        )
    return time.perf_counter() - began


def with_cli(fake: FakeA2I, source: Path, flow: str, concurrency: int | None) -> float:
    """Seconds for ``a2i loops start`` (flow lookup and input parsing included)."""
    create_flow(fake, flow)
    args = ["--endpoint-url", fake.endpoint_url, "--output", "json", "loops", "start"]
    args += ["--flow", flow, "--input", str(source), "--id-field", "id"]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    began = time.perf_counter()
    result = CliRunner().invoke(app, args)
    elapsed = time.perf_counter() - began
    if result.exit_code != 0:
        raise SystemExit(f"a2i loops start failed ({result.exit_code}): {result.output}")
    report = json.loads(result.stdout)
    if report["started"] != len(source.read_text().splitlines()):
        raise SystemExit(f"a2i loops start did not start everything: {report}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="loops per scenario")
    parser.add_argument("--latency", type=float, default=0.05, help="fake's seconds per request")
    parser.add_argument("--high", type=int, default=32, help="the higher --concurrency tried")
    parser.add_argument("--target", type=float, default=5.0, help="speed-up required")
    options = parser.parse_args()

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        os.environ[name] = value
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)

    items: list[dict[str, object]] = [
        {"id": f"doc-{i}", "text": f"review item {i}"} for i in range(options.items)
    ]
    with (
        tempfile.TemporaryDirectory() as directory,
        FakeA2I(region=REGION, account=ACCOUNT) as fake,
    ):
        source = Path(directory) / "items.jsonl"
        source.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
        fake.faults.latency = options.latency
        seconds = {
            "naive one-by-one": naive(fake, items),
            "a2i loops start (default concurrency 10)": with_cli(fake, source, "cli-flow", None),
            f"a2i loops start --concurrency {options.high}": with_cli(
                fake, source, "cli-flow-high", options.high
            ),
        }

    rates = {name: options.items / elapsed for name, elapsed in seconds.items()}
    base = rates["naive one-by-one"]
    print(f"{options.items} loops per run, fake latency {options.latency * 1000:.0f} ms, no --rate")
    print(f"{'scenario':<44} {'seconds':>8} {'loops/s':>9} {'speed-up':>9}")
    for name, elapsed in seconds.items():
        print(f"{name:<44} {elapsed:>8.2f} {rates[name]:>9.1f} {rates[name] / base:>8.1f}x")
    default_speedup = rates["a2i loops start (default concurrency 10)"] / base
    print(
        json.dumps(
            {
                "items": options.items,
                "latency_s": options.latency,
                "loops_per_s": {name: round(rate, 1) for name, rate in rates.items()},
                "speedup_default": round(default_speedup, 1),
                "target": options.target,
            }
        )
    )
    if default_speedup < options.target:
        print(f"FAIL: {default_speedup:.1f}x is below the {options.target:g}x target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
