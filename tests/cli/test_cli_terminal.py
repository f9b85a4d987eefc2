"""``a2i loops start`` in a real pseudo-terminal: the progress bar, the summary, and Ctrl-C.

The command runs as a child process (``python -m constructs_a2i.cli``) whose stdin, stdout and
stderr are a pty, so Rich sees a terminal and draws its live progress bar; Ctrl-C is the
byte ``\\x03`` typed into the terminal, which the line discipline turns into SIGINT.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from constructs_a2i.cli.main import app
from constructs_a2i.testing import FakeA2I
from tests.fake_a2i import REGION

from .conftest import FLOW_NAME, succeeded_starts, write_jsonl

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def child_env(tmp_path: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    return env


def run_in_pty(
    args: list[str],
    env: dict[str, str],
    on_output: Callable[[bytes, int], None] | None = None,
    timeout: float = 60.0,
) -> tuple[int, str]:
    """Run ``python -m constructs_a2i.cli ARGS`` on a pty; return (exit status, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        try:
            os.execve(sys.executable, [sys.executable, "-m", "constructs_a2i.cli", *args], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    output = b""
    deadline = time.monotonic() + timeout
    status = None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            if on_output is not None:
                on_output(output, fd)
        _, status = os.waitpid(pid, 0)
    finally:
        if status is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, "the command did not finish in time"
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_progress_bar_and_summary_on_a_terminal(
    fake: FakeA2I, flow_arn: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"id": i} for i in range(150)])
    fake.faults.latency = 0.01  # long enough for the live display to redraw a few times

    code, output = run_in_pty(
        f"--endpoint-url {fake.endpoint_url} loops start --flow {FLOW_NAME} "
        f"--input {source} --id-field id --concurrency 2".split(),
        child_env(tmp_path),
    )

    assert code == 0, output
    assert "Starting human loops" in output
    assert "━" in output  # the bar itself
    assert "150/150" in output
    assert "\x1b[" in output  # drawn with terminal control sequences, not plain text
    assert "Summary: human loops for review-flow" in output
    assert "Started" in output and "150" in output
    assert "Traceback" not in output
    assert len(fake.human_loops) == 150


def test_ctrl_c_prints_the_summary_and_a_rerun_starts_only_the_rest(
    fake: FakeA2I, flow_arn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"id": i} for i in range(1000)])
    fake.faults.latency = 0.005
    sent: list[bool] = []

    def press_ctrl_c(output: bytes, fd: int) -> None:
        if not sent and len(fake.human_loops) >= 100:
            os.write(fd, b"\x03")
            sent.append(True)

    code, output = run_in_pty(
        f"--endpoint-url {fake.endpoint_url} loops start --flow {FLOW_NAME} "
        f"--input {source} --id-field id --concurrency 4".split(),
        child_env(tmp_path),
        on_output=press_ctrl_c,
    )

    assert sent, output
    assert code == 130, output
    assert "(interrupted)" in output
    assert "Run the same command again to start the rest" in output
    first = succeeded_starts(fake)
    assert 100 <= len(first) < 1000

    fake.faults.latency = 0.0
    for name, value in child_env(tmp_path).items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    rerun = CliRunner().invoke(
        app,
        f"--endpoint-url {fake.endpoint_url} --output json loops start --flow {FLOW_NAME} "
        f"--input {source} --id-field id".split(),
    )

    assert rerun.exit_code == 0, rerun.output
    report = json.loads(rerun.stdout)
    # A2I answers a repeat of the same start (the lines the first run started) like a start
    # and creates nothing: each of the 1000 items has exactly one loop.
    assert report["started"] == 1000
    assert report["alreadyExisted"] == report["conflicts"] == 0
    assert set(first) <= set(fake.human_loops)
    assert len(fake.human_loops) == 1000
    assert "Traceback" not in output


def test_the_command_does_not_start_a_jsii_kernel(tmp_path: Path) -> None:
    """`a2i` must not import aws_cdk: it would cost seconds, need Node.js, and Ctrl-C would
    kill jsii's node process too (same process group), which then prints a traceback."""
    probe = (
        "import sys, constructs_a2i.cli.main; print(sorted({'aws_cdk', 'jsii'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]"
