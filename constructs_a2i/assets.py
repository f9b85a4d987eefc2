"""What goes into a package Lambda's asset: its runtime folder and ``core``, nothing else.

The asset is laid out as the package is (``constructs_a2i/runtime/<folder>/index.py`` beside
``constructs_a2i/core/*.py``), so the function imports ``core`` exactly as the construct does
and runs the same checks. Only the ``.py`` sources are copied (no caches, so the asset hash
depends on the sources alone). Standard library only, so benchmarks and tests can stage an
asset without aws_cdk.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

__all__ = ["runtime_handler", "stage_runtime"]

_PACKAGE_DIR = Path(__file__).parent
_STUB = '"""Part of constructs-a2i, as shipped inside a Lambda asset."""\n'


def _sources(folder: str) -> dict[str, bytes]:
    """The asset's files: relative path -> content."""
    runtime = _PACKAGE_DIR / "runtime" / folder
    if not (runtime / "index.py").is_file():
        raise ValueError(f"no runtime folder {folder!r} with an index.py in {runtime.parent}")
    files = {
        "constructs_a2i/__init__.py": _STUB.encode(),
        "constructs_a2i/runtime/__init__.py": _STUB.encode(),
        f"constructs_a2i/runtime/{folder}/__init__.py": _STUB.encode(),
    }
    for directory, target in (
        (_PACKAGE_DIR / "core", "constructs_a2i/core"),
        (runtime, f"constructs_a2i/runtime/{folder}"),
    ):
        for source in sorted(directory.glob("*.py")):
            if source.name != "__init__.py" or directory.name == "core":
                files[f"{target}/{source.name}"] = source.read_bytes()
    return files


@cache
def stage_runtime(folder: str) -> Path:
    """A folder holding the asset of ``constructs_a2i/runtime/<folder>`` with ``core``.

    A private temporary folder of this process (mode 0700: nobody else can slip code into
    it), removed when the process ends; the CDK copies it into the cloud assembly at synth and
    names the asset by its content, so every process stages the same asset.
    """
    staged = Path(tempfile.mkdtemp(prefix=f"constructs-a2i-{folder}-"))
    atexit.register(shutil.rmtree, staged, ignore_errors=True)
    for name, content in _sources(folder).items():
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).write_bytes(content)
    return staged


def runtime_handler(folder: str, function: str = "handler") -> str:
    """The Lambda handler string of ``function`` in ``constructs_a2i/runtime/<folder>/index.py``."""
    return f"constructs_a2i.runtime.{folder}.index.{function}"
