"""scripts/report_demo.py, the newcomer's report with no AWS account, works: it fills the
fake A2I and moto's S3 with a review history and ``a2i report`` reads it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_demo_fills_the_fake_and_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    done = subprocess.run(
        [
            sys.executable,
            "scripts/report_demo.py",
            "--loops",
            "40",
            "--days",
            "3",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["source"]["flow"] == "demo-review"
    assert figures["totals"]["loops"] == 40
    assert figures["totals"]["answers"] == 3 * figures["volume"]["statuses"]["Completed"]
    assert figures["modelAgreement"]["loops"] > 0
    assert figures["reviewerAgreement"]["fleissKappa"] is not None
    assert figures["cost"]["pricePerTaskUsd"] == 0.036 and figures["cost"]["taskCount"] == 3


def test_docs_and_readme_show_the_report_screenshot() -> None:
    assert (ROOT / "docs" / "report.png").stat().st_size > 10_000
    assert "report.png" in (ROOT / "docs" / "guide" / "report.md").read_text(encoding="utf-8")
    assert "docs/report.png" in (ROOT / "README.md").read_text(encoding="utf-8")
