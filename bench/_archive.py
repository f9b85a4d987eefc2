"""The repository at an earlier commit, for benchmarks that measure it beside the working tree."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

__all__ = ["ROOT", "archived_tree"]

ROOT = Path(__file__).resolve().parent.parent


def archived_tree(commit: str, into: Path) -> Path | None:
    """The repository at ``commit``, exported with ``git archive`` into ``into``; None
    without git or without that commit (a copy that is not a clone)."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into
