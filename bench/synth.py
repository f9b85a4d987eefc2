#!/usr/bin/env python3
"""Synth cost of the example app and of extra flow definitions, against a baseline tree.

Every measurement runs in a fresh process (its own jsii kernel). The scenarios run
interleaved round by round, the working tree and a baseline commit (exported with
``git archive``, default 0.1.0: ``9f0b56d``) side by side, so that whatever else runs on
the machine hits both alike. For each scenario it reports medians of:

* ``build+synth s``: wall seconds from ``App()`` to the end of ``app.synth()`` (the figure
  the issue's ratio is about: construction and synth, after imports);
* ``+imports s``: the same with the app's imports before it (aws_cdk and, for the example,
  the package and the modules it loads at import): a tree that loads a library at import
  (0.1.0 loaded python-liquid there) and one that loads it on first use compare fairly
  only here;
* ``process s``: the whole ``python app.py``-like process, from start to exit (imports,
  the jsii kernel's start and its exit included): what a user waits for;
* ``cpu s``: CPU seconds of the process and its jsii kernel (Node.js) from start to the
  end of synth, which moves far less than wall time when other jobs share the cores;
* ``jsii calls``: requests from Python to the jsii kernel during construction and synth.

Scenarios: an empty app (one empty stack), the example app (``app.py``), and one stack
with 1 and 21 flow definitions (the marginal cost per flow is the difference / 20); each
with aws-cdk-lib's built-in CloudFormation validation on (the default,
``AppProps.builtin_cloud_formation_validation``) and off. The validator's fixed cost (it
compiles a WebAssembly engine on every synth, a few seconds of CPU on two threads) swamps
per-flow differences: the per-flow figure with validation off is the library's own cost.

    python bench/synth.py [--rounds 5] [--baseline 9f0b56d | --baseline none]

Targets (issue "Deploy in seconds"): example app <= 1.3x an empty app (construction and
synth, validation on); <= 60 ms per extra flow definition.
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

from _archive import ROOT, archived_tree

BASELINE = "9f0b56d"
"""constructs-a2i 0.1.0: the CDK Provider framework with an isComplete waiter."""
FLOWS = (1, 21)

# Runs inside the child process: build the scenario's app, synth it, report figures.
CHILD = r"""
import time
begun = time.perf_counter()
import json, os, sys
sys.path.insert(0, os.environ["BENCH_TREE"])
from jsii._kernel.providers import process as jsii_process
calls = [0]
send = jsii_process._NodeProcess.send
def counted(self, request, response_type):
    calls[0] += 1
    return send(self, request, response_type)
jsii_process._NodeProcess.send = counted
scenario = os.environ["BENCH_SCENARIO"]
validation = os.environ["BENCH_VALIDATION"] == "on"
# Each scenario imports what its app would: an empty app only aws_cdk.
from aws_cdk import App, Environment, Stack
if scenario != "empty":
    import app as example
if scenario not in ("empty", "example"):
    from constructs_a2i import FlowDefinition, HumanTaskUi, TaskTemplate, Workteam
calls[0] = 0
started = time.perf_counter()
app = App(outdir=os.environ["BENCH_OUTDIR"], builtin_cloud_formation_validation=validation)
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
app.synth()
build_synth = time.perf_counter() - started
imports = started - begun

def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for kid in kids:
            out.append(int(kid)); out.extend(children(int(kid)))
    return out

def cpu_s(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

print(json.dumps({
    "build_synth_s": build_synth,
    "import_build_synth_s": imports + build_synth,
    "cpu_s": cpu_s(os.getpid()) + sum(cpu_s(p) for p in children(os.getpid())),
    "jsii_calls": calls[0],
}))
"""


def run(tree: Path, scenario: str, validation: str) -> dict[str, float]:
    """One fresh process: the child's figures plus its whole wall and CPU time."""
    with tempfile.TemporaryDirectory() as outdir:
        env = {
            **os.environ,
            "BENCH_TREE": str(tree),
            "BENCH_SCENARIO": scenario,
            "BENCH_VALIDATION": validation,
            "BENCH_OUTDIR": outdir,
        }
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True
        ).stdout
        process_s = time.perf_counter() - started
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    figures["process_s"] = process_s
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, help="a commit to compare with, or 'none'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trees = {"now": ROOT}
        if args.baseline != "none":
            old = archived_tree(args.baseline, Path(folder))
            if old is None:
                print(f"(no baseline: git archive {args.baseline} failed)")
            else:
                trees[args.baseline] = old
        measure(trees, args.rounds)


def measure(trees: dict[str, Path], rounds: int) -> None:
    cases = [("now", "empty", v) for v in ("on", "off")]
    for label in trees:
        cases += [(label, "example", v) for v in ("on", "off")]
        cases += [(label, str(n), v) for n in FLOWS for v in ("on", "off")]
    samples: dict[tuple[str, str, str], list[dict[str, float]]] = {c: [] for c in cases}
    for round_number in range(rounds):
        # Alternate the order so that neither tree always runs first.
        order = cases if round_number % 2 == 0 else list(reversed(cases))
        for label, scenario, validation in order:
            samples[(label, scenario, validation)].append(run(trees[label], scenario, validation))

    def median(case: tuple[str, str, str], key: str) -> float:
        return statistics.median(sample[key] for sample in samples[case])

    print(f"synth benchmark: {rounds} rounds, medians; trees: {', '.join(trees)}")
    header = (
        "tree",
        "scenario",
        "validation",
        "build+synth s",
        "+imports s",
        "process s",
        "cpu s",
        "jsii calls",
    )
    print(f"{header[0]:<9}{header[1]:<10}{header[2]:<11}" + "".join(f"{h:>15}" for h in header[3:]))
    for case in cases:
        label, scenario, validation = case
        print(
            f"{label:<9}{scenario:<10}{validation:<11}"
            f"{median(case, 'build_synth_s'):>15.2f}{median(case, 'import_build_synth_s'):>15.2f}"
            f"{median(case, 'process_s'):>15.2f}"
            f"{median(case, 'cpu_s'):>15.2f}{median(case, 'jsii_calls'):>15.0f}"
        )
    for validation in ("on", "off"):
        empty = ("now", "empty", validation)
        for label in trees:
            example = (label, "example", validation)
            ratios = ", ".join(
                f"{name} {median(example, key) / median(empty, key):.2f}x"
                for key, name in (
                    ("build_synth_s", "build+synth"),
                    ("import_build_synth_s", "+imports"),
                    ("process_s", "process"),
                    ("cpu_s", "cpu"),
                )
            )
            added = median(example, "process_s") - median(empty, "process_s")
            print(
                f"{label} example / empty app, validation {validation}: {ratios}; "
                f"whole process +{added:.2f} s (target build+synth <= 1.3x with validation on)"
            )
    low, high = FLOWS
    for validation in ("off", "on"):
        for label in trees:
            per_flow = {
                key: (
                    median((label, str(high), validation), key)
                    - median((label, str(low), validation), key)
                )
                / (high - low)
                for key in ("build_synth_s", "cpu_s", "jsii_calls")
            }
            print(
                f"{label} per extra flow definition ({low}->{high}, validation {validation}): "
                f"{per_flow['build_synth_s'] * 1000:.0f} ms wall, "
                f"{per_flow['cpu_s'] * 1000:.0f} ms cpu, {per_flow['jsii_calls']:.0f} jsii calls "
                "(target <= 60 ms)"
            )


if __name__ == "__main__":
    main()
