#!/usr/bin/env python3
"""Make docs/preview.png: the preview of a built-in template in headless Chromium.

    python scripts/preview_screenshot.py [builtin:NAME | TEMPLATE --input sample.json] [--out PNG]

Uses Debian's /usr/bin/chromium (scripts/install-browser.sh) through Playwright, with a
fresh profile and no network beyond localhost, so the page shows what a user sees
offline: the preview's stand-ins for the Crowd HTML Elements.
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
    parser.add_argument("template", nargs="?", default="builtin:key_value_review")
    parser.add_argument("--input", help="sample input JSON (for a template file)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "preview.png"))
    parser.add_argument("--width", type=int, default=900)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        page_file = Path(work) / "preview.html"
        command = [sys.executable, "-m", "constructs_a2i.cli", "template", "preview"]
        command += [options.template, "--out", str(page_file)]
        if options.input:
            command += ["--input", options.input]
        subprocess.run(command, check=True, cwd=ROOT)
        screenshot(
            page_file,
            options.out,
            profile=Path(work) / "profile",
            width=options.width,
            height=600,
            ready_selector="body[data-a2i-preview-ready]",
            full_page=True,
        )
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
