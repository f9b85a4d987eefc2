#!/usr/bin/env python3
"""Make docs/report.png: a report of the demo history (scripts/report_demo.py) in headless
Chromium.

    python scripts/report_screenshot.py [--out docs/report.png] [--height 2600]

Runs the demo (the fake A2I and moto's S3 on 127.0.0.1, then `a2i report`), opens the page in
Debian's /usr/bin/chromium through Playwright with a fresh profile and every http(s) request
aborted (the page needs none), waits until every plot is drawn and takes the top ``--height``
pixels of the page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from offline_screenshot import screenshot

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "report.png"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=2600)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        page_file = Path(work) / "report.html"
        demo = [sys.executable, str(ROOT / "scripts" / "report_demo.py"), "--out", str(page_file)]
        subprocess.run(demo, check=True, cwd=ROOT)
        screenshot(
            page_file,
            options.out,
            profile=Path(work) / "profile",
            width=options.width,
            height=options.height,
            ready_selector="body[data-report-ready]",
        )
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
