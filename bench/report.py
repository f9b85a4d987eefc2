#!/usr/bin/env python3
"""``a2i report`` on a large history: seconds from a results file to the page (and the JSON).

Writes a results file of ``--rows`` answer rows (default 100,000: loops of three answers, the
model's label and confidence in the input, a dozen reviewers, 30 days), the shape
``a2i results --out results.jsonl`` writes, then runs the real command in a fresh process
(``python -m constructs_a2i.cli report --from ... --out ...``), ``--runs`` times for each
format, and prints the median, min and max wall-clock seconds: start-up, reading, figures and
page included, and the CPU seconds of the process (steadier on a busy machine). Exits 1 when
the HTML median is over ``--target`` seconds (30). A figure, not a test.

    python bench/report.py [--rows 100000] [--runs 3] [--target 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ("ok", "spam", "fraud")
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_results(path: Path, rows: int, seed: int = 1) -> None:
    """``rows`` answer rows, three per loop, as ``a2i results`` writes them."""
    rng = random.Random(seed)
    workers = [f"{rng.getrandbits(64):016x}" for _ in range(12)]
    with path.open("w", encoding="utf-8") as stream:
        for number in range((rows + 2) // 3):
            created = START + dt.timedelta(seconds=rng.uniform(0, 30 * 86400))
            truth = rng.choice(LABELS)
            confidence = round(rng.uniform(0.3, 1.0), 3)
            model = truth if rng.random() < confidence else rng.choice(LABELS)
            prediction = {"label": model, "confidence": confidence}
            content = {"taskObject": f"message {number}", "prediction": prediction}
            for index in range(min(3, rows - number * 3)):
                spent = rng.uniform(5, 90)
                submitted = created + dt.timedelta(seconds=rng.uniform(60, 7200))
                row = {
                    "humanLoopName": f"loop-{number:06d}",
                    "loopCreationTime": created.isoformat(),
                    "flowDefinitionArn": "arn:aws:sagemaker:us-east-1:111111111111:"
                    "flow-definition/bench",
                    "outputS3Uri": f"s3://bench/out/loop-{number:06d}/output.json",
                    "answerIndex": index,
                    "workerId": rng.choice(workers),
                    "acceptanceTime": _stamp(submitted - dt.timedelta(seconds=spent)),
                    "submissionTime": _stamp(submitted),
                    "timeSpentInSeconds": round(spent, 3),
                    "humanLoopStatus": "Completed",
                    "answerContent": {
                        "category": {"label": truth if rng.random() < 0.9 else rng.choice(LABELS)}
                    },
                    "inputContent": content,
                }
                stream.write(json.dumps(row) + "\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(results: Path, out: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``a2i report`` process."""
    command = [sys.executable, "-m", "constructs_a2i.cli", "report", "--from", str(results)]
    command += ["--out", str(out), "--prediction-path", "prediction.label"]
    command += ["--answer-path", "category.label", "--confidence-path", "prediction.confidence"]
    cpu = _children_cpu()
    began = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, _children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=30.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = Path(work) / "results.jsonl"
        write_results(results, options.rows)
        size = results.stat().st_size / 1e6
        print(f"{options.rows:,} answer rows ({size:.0f} MB), {options.runs} runs per format")
        medians: dict[str, float] = {}
        cpu_medians: dict[str, float] = {}
        for fmt in ("html", "json"):
            runs = [timed(results, Path(work) / f"report.{fmt}") for _ in range(options.runs)]
            walls = [wall for wall, _ in runs]
            medians[fmt] = statistics.median(walls)
            cpu_medians[fmt] = statistics.median(cpu for _, cpu in runs)
            print(
                f"a2i report --format {fmt}: median {medians[fmt]:.2f} s wall "
                f"(min {min(walls):.2f}, max {max(walls):.2f}), {cpu_medians[fmt]:.2f} s CPU"
            )
    print(
        json.dumps(
            {
                "rows": options.rows,
                "runs": options.runs,
                "medianSeconds": medians,
                "medianCpuSeconds": cpu_medians,
            }
        )
    )
    if medians["html"] > options.target:
        print(f"FAIL: {medians['html']:.1f} s is over the {options.target:g} s target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
