"""The starter's CPU against boto3's floor, and its memory size from a throughput-per-cost curve.

Issue 10 asks two things of the human loop starter Lambda:

1. **CPU per message as a ratio to a bare boto3 loop on the same client** (target <= 1.15x).
   Against the local A2I fake (in a subprocess, so its CPU is not counted), in paired rounds:
   side A is the starter's handler on SQS batches of 10 (its worker threads included); side B
   is a bare loop of ``client.start_human_loop`` calls on the handler's own client with the same
   InputContents (prepared outside the measurement; names unique to each round and side). In
   each round the two sides take turns batch by batch (the first turn alternating), each turn
   measured in process CPU (``time.process_time``: every thread); the figure is the median of
   the per-round ratios A/B, with their p10-p90 spread. Paired turns, because other jobs share
   this machine: a change in its load hits both sides of a round alike.

2. **The default memory size from a measured throughput-per-cost curve.** Lambda cannot run
   here, so the curve is a *model* fed by *measurements*. Measured here: the handler's CPU
   seconds ``C`` per batch of 10 and one bare call's ``c`` at 0 ms and 50 ms of API latency
   ``L`` (the rounds above; process CPU rises with the machine's load too, but much less than
   wall time, which includes waiting for the cores), the wall times (to check the model at one
   vCPU), and the peak RSS of a fresh process running the staged Lambda asset. Modelled, for
   each memory size ``m``:

   * CPU share ``s = min(1, m / 1769)``: at 1,769 MB a function has the equivalent of one vCPU,
     below that a proportional share (AWS Lambda Developer Guide, "Configure Lambda function
     memory", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html);
   * a batch lasts ``L + C / s``: the CPU work stretched by ``1/s`` adds to one API round trip
     (pessimistic: none of the stretch hides under the waits, which the handler's threads
     overlap with each other). The optimistic bound, all of the stretch hidden under the waits,
     ``max(L + C, C / s)``, is printed beside it in brackets;
   * a serial starter of the same size: ``10 * (L + c / s)`` (optimistic
     ``10 * max(L + c, c / s)``);
   * cost per million messages ``= 1e6 / 10 * (m / 1024 * billed(d) * GB_S + REQUEST)``, with
     Lambda's x86 prices in the first tier in US East (N. Virginia): $0.0000166667 per
     GB-second and $0.20 per million requests (https://aws.amazon.com/lambda/pricing/; the AWS
     whitepaper "How AWS Pricing Works" rounds the former to $0.00001667); duration billed in
     1 ms steps. Arm (Graviton) is $0.0000133334 per GB-second, 20% less, with the same request
     price;
   * throughput per concurrent execution ``10 / d`` messages per second, and "value": that
     throughput divided by the cost per message, scaled so the best size is 1.00.

   The recommended size is the one of best value at 50 ms among those that keep the starter at
   least 5x a serial starter of the same size (issue 3's target, which should hold in Lambda at
   the default size, not only on a whole core) and that hold the measured peak RSS with a
   quarter to spare; as the CPU per message varies with the machine, its load and the Python
   version, the pick is also printed for other figures. Not modelled: Lambda's CPU being
   another make than this machine's, the runtime's own work per invocation (polling the
   Runtime API, decoding the event), CPU throttling in bursts rather than smoothly, cold
   starts, and real A2I latency (a longer one favours smaller sizes).

Run: ``python bench/starter_memory.py [--rounds 30] [--batches 6]`` (about two minutes). It needs
no AWS account and no network; it never imports aws_cdk.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from starter import Context, fake_server, load_handler, make_batches  # noqa: E402

from constructs_a2i.assets import stage_runtime  # noqa: E402
from constructs_a2i.runtime.human_loop_starter.messages import prepare  # noqa: E402

BATCH = 10
"""Messages per invocation: the construct's default ``batch_size``."""
FULL_VCPU_MB = 1769
"""Memory at which a Lambda function has the equivalent of one vCPU (Developer Guide)."""
MEMORY_SIZES = (128, 256, 512, 1024, FULL_VCPU_MB)
X86_GB_SECOND = 0.0000166667
ARM_GB_SECOND = 0.0000133334
REQUEST = 0.20 / 1_000_000
MIN_SPEED_UP = 5.0
"""Issue 3: a batch at 50 ms latency at least this many times faster than a serial starter."""
RSS_HEADROOM = 0.75
"""A size must hold the measured peak RSS within this fraction of itself."""


@dataclass(frozen=True)
class Paired:
    """Per-round figures of one paired run: per message (CPU) and per batch (wall)."""

    latency: float
    rounds: int
    batches: int
    handler_cpu: list[float]
    bare_cpu: list[float]
    handler_wall: list[float]
    bare_wall: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.handler_cpu, self.bare_cpu, strict=True)]


def spread(values: list[float]) -> tuple[float, float]:
    """(p10, p90) of ``values``."""
    cuts = statistics.quantiles(values, n=10, method="inclusive")
    return cuts[0], cuts[-1]


def measure(action: Callable[[], None]) -> tuple[float, float]:
    """(CPU seconds of this process, all threads; wall seconds) of ``action``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.process_time() - cpu, time.perf_counter() - wall


def paired(latency: float, rounds: int, batches: int) -> Paired:
    """``rounds`` rounds of the handler against the bare loop, ``batches`` batches a side."""
    handler_cpu: list[float] = []
    bare_cpu: list[float] = []
    handler_wall: list[float] = []
    bare_wall: list[float] = []
    with fake_server(latency) as info:
        os.environ.update(info["env"])
        os.environ["FLOW_DEFINITION_ARN"] = arn = info["arn"]
        os.environ["ID_FIELD"] = "id"
        os.environ["LOOP_NAME_PREFIX"] = "bench"
        handler = load_handler()
        handler.reset()
        settings, client = handler._state()

        def run_handler(events: list[dict[str, Any]]) -> Callable[[], None]:
            def action() -> None:
                with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                    for event in events:
                        response = handler.handler(event, Context())
                        assert not response["batchItemFailures"], response

            return action

        def run_bare(calls: list[tuple[str, str]]) -> Callable[[], None]:
            def action() -> None:
                for name, content in calls:
                    client.start_human_loop(
                        HumanLoopName=name,
                        FlowDefinitionArn=arn,
                        HumanLoopInput={"InputContent": content},
                    )

            return action

        def bare_calls(tag: str, count: int) -> list[list[tuple[str, str]]]:
            """The same inputs the handler would send, batch by batch, under their own names."""
            batches_of_calls = []
            for event in make_batches(count, tag):
                calls = []
                for record in event["Records"]:
                    item = prepare(record, settings)
                    assert item.name is not None and item.input_content is not None
                    calls.append((item.name, item.input_content))
                batches_of_calls.append(calls)
            return batches_of_calls

        # Warm both (connections, the thread pool, botocore's caches) outside the measurement.
        run_handler(make_batches(2, f"warm-a-{latency}"))()
        for warm in bare_calls(f"warm-b-{latency}", 2):
            run_bare(warm)()
        messages = batches * BATCH
        for n in range(rounds):
            # Within a round the sides take turns batch by batch, the first turn alternating
            # from round to round, so that a change in the machine's load hits both alike.
            events = make_batches(batches, f"a-{latency}-{n}")
            turns = bare_calls(f"b-{latency}-{n}", batches)
            a_cpu = a_wall = b_cpu = b_wall = 0.0
            for i in range(batches):
                side_a, side_b = run_handler([events[i]]), run_bare(turns[i])
                for side in (side_a, side_b) if (n + i) % 2 == 0 else (side_b, side_a):
                    cpu, wall = measure(side)
                    if side is side_a:
                        a_cpu, a_wall = a_cpu + cpu, a_wall + wall
                    else:
                        b_cpu, b_wall = b_cpu + cpu, b_wall + wall
            handler_cpu.append(a_cpu / messages)
            bare_cpu.append(b_cpu / messages)
            handler_wall.append(a_wall / batches)
            bare_wall.append(b_wall / batches)
        handler.reset()
    return Paired(latency, rounds, batches, handler_cpu, bare_cpu, handler_wall, bare_wall)


# A fresh process running the staged Lambda asset on batches against the fake: its peak RSS.
RSS_PROBE = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys
    from constructs_a2i.runtime.human_loop_starter import index

    class Context:
        def get_remaining_time_in_millis(self):
            return 60_000

    for b in range(int(sys.argv[1])):
        records = [
            {
                "messageId": f"m-{b}-{n}",
                "receiptHandle": "AQEB",
                "body": json.dumps({"id": f"rss-{sys.argv[2]}-{b}-{n}", "taskObject": "s3://x/y"}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            }
            for n in range(10)
        ]
        with contextlib.redirect_stdout(io.StringIO()):
            response = index.handler({"Records": records}, Context())
        assert not response["batchItemFailures"], response
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
    """
)


def peak_rss_mib(repeats: int = 3, batches: int = 20) -> float:
    """Median peak RSS (MiB) of a fresh process running the asset on ``batches`` batches."""
    asset = stage_runtime("human_loop_starter")
    peaks = []
    with fake_server(0.0) as info:
        env = {
            **os.environ,
            **info["env"],
            "FLOW_DEFINITION_ARN": info["arn"],
            "ID_FIELD": "id",
            "LOOP_NAME_PREFIX": "bench",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("PYTHONPATH", None)
        for n in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", RSS_PROBE, str(batches), str(n)],
                check=True,
                cwd=asset,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
            peaks.append(int(out.split()[-1]) / 1024)
    return statistics.median(peaks)


@dataclass(frozen=True)
class Point:
    """The model's figures for one memory size: a batch's duration, throughput and cost."""

    memory: int
    duration: float
    """Seconds the starter's batch of :data:`BATCH` lasts."""
    serial: float
    """Seconds a serial starter's batch lasts at the same size."""

    @property
    def share(self) -> float:
        return min(1.0, self.memory / FULL_VCPU_MB)

    @property
    def rate(self) -> float:
        """Messages per second through one concurrent execution."""
        return BATCH / self.duration

    def cost(self, gb_second: float = X86_GB_SECOND) -> float:
        """Dollars per million messages: duration (billed in 1 ms steps) and requests."""
        billed = math.ceil(self.duration * 1000 - 1e-9) / 1000
        return 1_000_000 / BATCH * (self.memory / 1024 * billed * gb_second + REQUEST)

    @property
    def worth(self) -> float:
        """Throughput per cost (unscaled)."""
        return self.rate / self.cost()


def curve(cpu: float, call_cpu: float, latency: float, *, optimistic: bool = False) -> list[Point]:
    """The model for batches of ``cpu`` CPU seconds with API calls of ``latency`` seconds.

    ``call_cpu`` is the CPU seconds of one bare call, for the serial starter. Pessimistic: the
    CPU time, stretched by the share, adds to one API round trip (none of it hides under the
    waits). Optimistic: the batch lasts the longer of the two at one vCPU and the stretched CPU
    time (all of the stretch hides under the waits).
    """
    points = []
    for memory in MEMORY_SIZES:
        share = min(1.0, memory / FULL_VCPU_MB)
        if optimistic:
            duration = max(latency + cpu, cpu / share)
            serial = BATCH * max(latency + call_cpu, call_cpu / share)
        else:
            duration = latency + cpu / share
            serial = BATCH * (latency + call_cpu / share)
        points.append(Point(memory, duration, serial))
    return points


def values(points: list[Point]) -> list[float]:
    """Each point's throughput per cost, scaled so the best is 1."""
    best = max(p.worth for p in points)
    return [p.worth / best for p in points]


def print_curve(run: Paired) -> tuple[list[Point], list[Point]]:
    """Print the curve of ``run``'s measurements (optimistic in brackets); return both."""
    cpu = statistics.median(run.handler_cpu) * BATCH
    call_cpu = statistics.median(run.bare_cpu)
    wall = statistics.median(run.handler_wall)
    low = curve(cpu, call_cpu, run.latency)
    high = curve(cpu, call_cpu, run.latency, optimistic=True)
    print(
        f"{run.latency * 1000:.0f} ms API latency: measured per batch of {BATCH}: "
        f"{cpu * 1000:.1f} ms CPU (one bare call {call_cpu * 1000:.2f} ms); at one vCPU the "
        f"model's {low[-1].duration * 1000:.1f} ms against {wall * 1000:.1f} ms measured wall "
        f"(which includes waiting for the shared cores). Modelled, optimistic in brackets:"
    )
    print(
        f"  {'memory MB':>9} {'CPU share':>9} {'batch ms':>15} {'vs serial':>14} "
        f"{'msg/s per exec':>15} {'$ per M msg x86':>17} {'arm':>6} {'value':>12}"
    )
    for p, q, value, value_q in zip(low, high, values(low), values(high), strict=True):
        print(
            f"  {p.memory:>9} {p.share:>9.3f} "
            f"{p.duration * 1000:>6.1f} ({q.duration * 1000:>5.1f}) "
            f"{p.serial / p.duration:>5.1f}x ({q.serial / q.duration:>4.1f}x) "
            f"{p.rate:>6.0f} ({q.rate:>5.0f}) {p.cost():>7.3f} ({q.cost():>6.3f}) "
            f"{p.cost(ARM_GB_SECOND):>6.3f} {value:>5.2f} ({value_q:>4.2f})"
        )
    return low, high


def summary(run: Paired) -> str:
    ratio = statistics.median(run.ratios)
    low, high = spread(run.ratios)
    return (
        f"{run.latency * 1000:.0f} ms latency, {run.rounds} rounds of {run.batches} batches "
        f"a side: handler {statistics.median(run.handler_cpu) * 1e6:.0f} us/message, bare "
        f"loop {statistics.median(run.bare_cpu) * 1e6:.0f} us/message; ratio median "
        f"{ratio:.3f}x (p10-p90 {low:.3f}-{high:.3f}x)"
    )


def recommend(points: list[Point], rss: float) -> Point | None:
    """The size of best value among those that keep the starter at least
    :data:`MIN_SPEED_UP` times a serial starter at the same size and that hold ``rss`` MiB
    within :data:`RSS_HEADROOM` of themselves."""
    fits = [
        (value, p)
        for p, value in zip(points, values(points), strict=True)
        if p.serial >= MIN_SPEED_UP * p.duration and rss <= RSS_HEADROOM * p.memory
    ]
    return max(fits, key=lambda fit: fit[0])[1] if fits else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="paired rounds at 0 ms")
    parser.add_argument("--batches", type=int, default=6, help="batches of 10 a side a round")
    args = parser.parse_args()

    fast = paired(0.0, args.rounds, args.batches)
    slow = paired(0.05, max(15, args.rounds // 2), max(1, args.batches // 2))
    rss = peak_rss_mib()

    python = sys.version.split()[0]
    print(f"starter CPU against a bare boto3 loop on the same client (Python {python})")
    print(f"  {summary(fast)}")
    print(f"  {summary(slow)}")
    print("  target: <= 1.15x (at 0 ms)")
    serial = statistics.median(slow.bare_wall)
    ours = statistics.median(slow.handler_wall)
    print(
        f"  wall per batch at 50 ms: handler {ours * 1000:.1f} ms, bare serial loop "
        f"{serial * 1000:.1f} ms: {serial / ours:.1f}x (target >= {MIN_SPEED_UP:.0f}x)"
    )
    print()
    print("memory size: modelled from the measurements (see the module's docstring)")
    print_curve(fast)
    pessimistic, optimistic = print_curve(slow)
    print(f"  peak RSS of the staged asset after 20 batches (fresh process): {rss:.0f} MiB")
    pick, pick_optimistic = recommend(pessimistic, rss), recommend(optimistic, rss)
    print(
        f"  best value at 50 ms among the sizes that keep the starter >= {MIN_SPEED_UP:.0f}x a "
        f"serial starter of the same size and hold the peak RSS with a quarter spare: "
        f"{pick.memory if pick else 'none'} MB "
        f"(optimistic: {pick_optimistic.memory if pick_optimistic else 'none'} MB)"
    )
    # CPU per message differs with the machine, its load and the Python version: the pick
    # for other figures, the bare call's share of the handler's CPU kept as measured.
    cpu = statistics.median(slow.handler_cpu)
    call_share = statistics.median(slow.bare_cpu) / cpu
    picks = []
    for per_message in (0.5e-3, 1e-3, 1.5e-3, 2e-3, 3e-3):
        low = curve(per_message * BATCH, per_message * call_share, slow.latency)
        high = curve(per_message * BATCH, per_message * call_share, slow.latency, optimistic=True)
        chosen = [recommend(points, rss) for points in (low, high)]
        picks.append(
            f"{per_message * 1000:.1f} ms: "
            + " / ".join(str(c.memory) if c else "none" for c in chosen)
        )
    print(
        f"  the pick (pessimistic / optimistic) if handler CPU per message were {'; '.join(picks)}"
    )


if __name__ == "__main__":
    main()
