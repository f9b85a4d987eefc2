"""The system Chromium for the browser tests, started by Playwright or skipped, saying why.

``scripts/install-browser.sh`` installs Debian's ``chromium``; Playwright drives it and never
downloads a browser. Skipped only where no Chromium is installed or Playwright cannot start it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "chromium_context"]

CHROMIUM = Path(os.environ.get("A2I_CHROMIUM", "/usr/bin/chromium"))
"""The system Chromium (Debian's package); never a browser Playwright downloads."""

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_context(profile: Path, *, width: int, height: int) -> Iterator[Any]:
    """A Chromium context with the fresh profile ``profile``, or the test skipped."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: run scripts/install-browser.sh (installs Debian's "
            "chromium package) to run the browser tests"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'"
    )
    with sync_api.sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=LAUNCH_ARGS,
                viewport={"width": width, "height": height},
            )
        except sync_api.Error as err:
            pytest.skip(f"Playwright cannot launch the Chromium at {CHROMIUM}: {err}")
        try:
            yield context
        finally:
            context.close()
