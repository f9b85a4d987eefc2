"""A screenshot of a local HTML page in the system Chromium, with every network request aborted.

Shared by ``report_screenshot.py`` and ``preview_screenshot.py`` (run as scripts, so this
module sits beside them). Playwright drives Debian's Chromium (``scripts/install-browser.sh``);
it never downloads a browser of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "screenshot"]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def screenshot(
    page_file: Path,
    out: str,
    *,
    profile: Path,
    width: int,
    height: int,
    ready_selector: str,
    full_page: bool = False,
) -> None:
    """Open ``page_file``, wait for ``ready_selector``, save a PNG to ``out``."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": width, "height": height},
        )
        context.route(re.compile(r"^https?://"), lambda route: route.abort())
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_selector(ready_selector)
        page.screenshot(path=out, full_page=full_page)
        context.close()
