#!/usr/bin/env python3
"""Synth cost of the example app against an empty app, and of 1/10/50 flow definitions.

Every measurement runs in a fresh process (its own jsii kernel), the scenarios
interleaved round by round so that machine noise hits them alike. Prints medians.

    python bench/synth.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the child process: build the scenario's app, synth it, report figures.
CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.environ["BENCH_ROOT"])
t0 = time.perf_counter()
from aws_cdk import App, Environment, Stack
import app as example
from constructs_a2i import FlowDefinition, HumanTaskUi, TaskTemplate, Workteam
t1 = time.perf_counter()
scenario = os.environ["BENCH_SCENARIO"]
app = App(outdir=os.environ["BENCH_OUTDIR"])
if scenario == "empty":
    Stack(app, "Empty", env=Environment(region="us-east-1"))
elif scenario == "example":
    example.build_app(app)
else:
    stack = Stack(app, "Flows", env=Environment(region="us-east-1"))
    team = Workteam.from_workteam_arn(stack, "Team", example.PLACEHOLDER_WORKTEAM_ARN)
    ui = HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string("<crowd-form></crowd-form>"))
    for i in range(int(scenario)):
        FlowDefinition(stack, f"Flow{i}", workteam=team, human_task_ui=ui,
                       task_title="Review", task_description="Review the item")
assembly = app.synth()
t2 = time.perf_counter()

def peak_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

def descendants(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for kid in kids:
            out.append(int(kid)); out.extend(descendants(int(kid)))
    return out

pids = [os.getpid(), *descendants(os.getpid())]
functions = 0
for stack in assembly.stacks:
    functions += sum(1 for r in stack.template.get("Resources", {}).values()
                     if r["Type"] == "AWS::Lambda::Function")
print(json.dumps({"import_s": t1 - t0, "synth_s": t2 - t1,
                  "peak_mib": sum(peak_kib(p) for p in pids) / 1024,
                  "functions": functions}))
"""


def run(scenario: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as outdir:
        env = {
            **os.environ,
            "BENCH_ROOT": str(ROOT),
            "BENCH_SCENARIO": scenario,
            "BENCH_OUTDIR": outdir,
        }
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True
        ).stdout
        figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        figures["process_s"] = time.perf_counter() - started
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scenarios = ["empty", "example", "1", "10", "50"]
    samples: dict[str, list[dict[str, float]]] = {s: [] for s in scenarios}
    for _ in range(args.rounds):
        for scenario in scenarios:
            samples[scenario].append(run(scenario))

    def median(scenario: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[scenario])

    validation = os.environ.get("CDK_VALIDATION", "on (default)")
    print(f"synth benchmark: {args.rounds} rounds, medians; CDK_VALIDATION={validation}")
    print(f"{'scenario':<10}{'synth s':>10}{'process s':>11}{'peak MiB':>10}{'lambdas':>9}")
    for scenario in scenarios:
        print(
            f"{scenario:<10}{median(scenario, 'synth_s'):>10.3f}"
            f"{median(scenario, 'process_s'):>11.3f}{median(scenario, 'peak_mib'):>10.0f}"
            f"{median(scenario, 'functions'):>9.0f}"
        )
    for key, label in (
        ("synth_s", "synth time"),
        ("process_s", "whole process"),
        ("peak_mib", "peak memory"),
    ):
        ratio = median("example", key) / median("empty", key)
        print(f"example / empty, {label}: {ratio:.2f}x (target <= 1.3x)")
    for a, b in (("1", "10"), ("10", "50"), ("1", "50")):
        per_flow = (median(b, "synth_s") - median(a, "synth_s")) / (int(b) - int(a))
        print(
            f"marginal synth cost per flow definition, {a}->{b}: {per_flow * 1000:.1f} ms "
            "(target <= 60 ms)"
        )
    lambdas = {median(s, "functions") for s in ("1", "10", "50")}
    print(
        f"Lambda functions with 1/10/50 flow definitions: {sorted(lambdas)} (constant: "
        f"{len(lambdas) == 1})"
    )


if __name__ == "__main__":
    main()
