#!/usr/bin/env python3
"""A report with no AWS account: fill the local fake with a review history, run `a2i report`.

    python scripts/report_demo.py [--out report.html] [--loops 400] [--days 14] [--seed 7]

Starts the fake A2I/SageMaker (constructs_a2i.testing.FakeA2I) and moto's S3 server, both on
127.0.0.1, creates a public-crowd flow definition (3 workers per loop, $0.036 per task), and
plays a review history through the real APIs: loops started over ``--days`` days
(StartHumanLoop, with the model's label and confidence in the input), most of them completed
by three of a dozen reviewers whose answers land in S3 as A2I writes them, some expired
(Failed), some stopped, the newest still in progress. The model is right more often the more
confident it is, and reviewers mostly agree. Then it runs

    a2i --endpoint-url <fake> report --flow demo-review --out <out> \\
        --prediction-path prediction.label --answer-path category.label \\
        --confidence-path prediction.confidence

with S3 calls going to moto (AWS_ENDPOINT_URL_S3). Needs the dev dependencies (moto's server).
``--format json`` (or an ``--out`` ending in .json) writes the figures instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from constructs_a2i.testing import FakeA2I

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "111111111111"
FLOW = "demo-review"
BUCKET = "demo-review-output"
LABELS = ("ok", "spam", "fraud")
PUBLIC_CROWD = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
PRICE = {"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}}
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


class Clock:
    """The fake's clock: creation times are whatever the history says."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _answers(
    rng: random.Random, truth: str, created: dt.datetime, workers: list[tuple[str, float, float]]
) -> list[dict[str, Any]]:
    """Three answers: each reviewer gives the true label with their own accuracy."""
    answers = []
    for worker, accuracy, pace in rng.sample(workers, 3):
        accepted = created + dt.timedelta(minutes=rng.expovariate(1 / 90))
        spent = max(4.0, rng.gauss(pace, pace / 3))
        label = truth if rng.random() < accuracy else rng.choice(LABELS)
        answers.append(
            {
                "acceptanceTime": _stamp(accepted),
                "answerContent": {"category": {"label": label}},
                "submissionTime": _stamp(accepted + dt.timedelta(seconds=spent)),
                "timeSpentInSeconds": round(spent, 3),
                "workerId": worker,
            }
        )
    return answers


def fill_history(fake: FakeA2I, clock: Clock, s3: Any, loops: int, days: int, seed: int) -> None:
    """Create the flow and play ``loops`` loops over ``days`` days (see module)."""
    rng = random.Random(seed)
    base = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    fake.activate_after(0)
    sagemaker = fake.client("sagemaker")
    sagemaker.create_flow_definition(
        FlowDefinitionName=FLOW,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/a2i-review",
        HumanLoopConfig={
            "WorkteamArn": PUBLIC_CROWD,
            "HumanTaskUiArn": f"{base}:human-task-ui/review-ui",
            "TaskTitle": "Is this message ok, spam or fraud?",
            "TaskDescription": "Confirm or correct the label the model chose",
            "TaskCount": 3,
            "PublicWorkforceTaskPrice": PRICE,
        },
        OutputConfig={"S3OutputPath": f"s3://{BUCKET}/reviews"},
    )
    arn = sagemaker.describe_flow_definition(FlowDefinitionName=FLOW)["FlowDefinitionArn"]
    runtime = fake.client("sagemaker-a2i-runtime")
    workers = [
        (f"{rng.getrandbits(64):016x}", rng.uniform(0.75, 0.97), rng.uniform(15, 60))
        for _ in range(12)
    ]
    span = dt.timedelta(days=days)
    times = sorted(START + span * rng.random() for _ in range(loops))
    for number, created in enumerate(times):
        clock.now = created
        truth = rng.choices(LABELS, weights=(6, 3, 1))[0]
        confidence = round(rng.uniform(0.35, 0.95), 3)
        model = truth if rng.random() < 0.25 + 0.75 * confidence else rng.choice(LABELS)
        name = f"demo-{number:05d}"
        runtime.start_human_loop(
            HumanLoopName=name,
            FlowDefinitionArn=arn,
            HumanLoopInput={
                "InputContent": json.dumps(
                    {
                        "taskObject": f"message {number}",
                        "prediction": {"label": model, "confidence": confidence},
                    }
                )
            },
        )
        age = START + span - created
        fate = rng.random()
        if age < dt.timedelta(hours=18) and fate < 0.8:
            continue  # still in progress
        if fate < 0.04:
            fake.fail_human_loop(name, failure_code="Expired")
        elif fate < 0.07:
            fake.stop_human_loop(name)
        else:
            fake.complete_human_loop(name, answers=_answers(rng, truth, created, workers), s3=s3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="report.html")
    parser.add_argument("--loops", type=int, default=400)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=("html", "json"), default=None)
    options = parser.parse_args()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("AWS_PROFILE", None)
    os.environ.update({key: env[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        s3_url = f"http://{host}:{port}"
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=s3_url)
        s3.create_bucket(Bucket=BUCKET)
        clock = Clock()
        with FakeA2I(region=REGION, account=ACCOUNT, seed=options.seed, clock=clock) as fake:
            fill_history(fake, clock, s3, options.loops, options.days, options.seed)
            command = [sys.executable, "-m", "constructs_a2i.cli"]
            command += ["--endpoint-url", fake.endpoint_url, "report", "--flow", FLOW]
            command += ["--out", options.out, "--prediction-path", "prediction.label"]
            command += ["--answer-path", "category.label"]
            command += ["--confidence-path", "prediction.confidence"]
            if options.format:
                command += ["--format", options.format]
            env["AWS_ENDPOINT_URL_S3"] = s3_url
            completed = subprocess.run(command, env=env, cwd=ROOT, check=False)
    finally:
        moto.stop()
    sys.exit(completed.returncode)


if __name__ == "__main__":
    main()
