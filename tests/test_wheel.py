"""The package as users get it: a wheel installed into a clean venv outside the repository.

The venv borrows the development venv's third-party packages through a ``.pth`` line (so the
test needs no network), but not the repository's own editable install: ``constructs_a2i``
can only come from the wheel. An app composing the library synthesizes there with the same
templates and the same Lambda asset hashes as from the repository: two stacks, the flow and its
starter in a nested stack of one, the results in the other, under cdk-nag's AwsSolutions checks
with no unacknowledged finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = """
import json, sys
from pathlib import Path
import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
import constructs_a2i
from constructs_a2i import (
    Activation, FlowDefinition, HumanLoopResults, HumanLoopStarter, HumanTaskUi, TaskTemplate,
    Workteam,
)

app = cdk.App(outdir=sys.argv[1])
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
env = cdk.Environment(account="123456789012", region="eu-west-1")
flows = cdk.Stack(app, "Flows", env=env)
reviews = cdk.NestedStack(flows, "Reviews")
team = Workteam.from_workteam_arn(
    reviews, "Team", "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/t"
)
ui = HumanTaskUi(reviews, "Ui", template=TaskTemplate.text_classification(
    categories=["a", "b"], text_field="text"))
flow = FlowDefinition(reviews, "Flow", workteam=team, human_task_ui=ui,
    task_title="Check", task_description="Check the label")
HumanLoopStarter(reviews, "Starter", flow_definition=flow,
    activation=Activation.below("$.confidence", 0.8))
consumers = cdk.Stack(app, "Consumers", env=env)
dead_letters = sqs.Queue(consumers, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
    enforce_ssl=True)
answers = sqs.Queue(consumers, "Answers", encryption=sqs.QueueEncryption.SQS_MANAGED,
    enforce_ssl=True,
    dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=3))
HumanLoopResults(consumers, "Results", flow_definition=flow, destination=answers)
try:
    app.synth()
except Exception as error:  # the CDK raises when a validation plugin reports findings
    if "ValidationFailed" not in str(error):
        raise
report = json.loads((Path(sys.argv[1]) / "validation-report.json").read_text())
findings = [
    (v["ruleName"], c["constructPath"])
    for plugin in report["pluginReports"] for v in plugin["violations"]
    for c in v["violatingConstructs"]
]
print(json.dumps({"package": constructs_a2i.__file__, "version": constructs_a2i.__version__,
                  "findings": findings}))
"""


def _run(python: Path | str, *args: str, cwd: Path, pythonpath: Path | None = None) -> str:
    env = {**os.environ, "CDK_VALIDATION": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _assets_and_templates(outdir: Path) -> tuple[list[str], dict[str, object]]:
    assets = sorted(p.name for p in outdir.iterdir() if p.name.startswith("asset."))
    templates = {p.name: json.loads(p.read_text()) for p in outdir.glob("*.template.json")}
    return assets, templates


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        str(out),
        str(ROOT),
        cwd=out,
    )
    code = f"from setuptools import build_meta as b; b.build_sdist({str(out)!r})"
    _run(sys.executable, "-c", code, cwd=ROOT)
    return out


def test_the_wheel_carries_the_package_its_data_and_license(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "constructs_a2i/core/activation.py" in names
    assert "constructs_a2i/runtime/human_loop_starter/index.py" in names
    assert "constructs_a2i/templates/builtin/text_classification.html" in names
    assert "constructs_a2i/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    assert "License-File: LICENSE" in text
    assert "Classifier: Framework :: AWS CDK :: 2" in text


def test_the_sdist_leaves_the_tests_out_on_purpose(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(n.endswith("/LICENSE") for n in names)
    assert any(n.endswith("/CHANGELOG.md") for n in names)
    assert not any("/tests/" in n for n in names)


def test_an_app_synthesizes_from_the_installed_wheel(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    [wheel] = dist.glob("*.whl")
    _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--target",
        str(site),
        str(wheel),
        cwd=tmp_path,
    )
    # Third-party packages from the development venv; its editable constructs_a2i is behind
    # a .pth file there, which Python does not process for a directory added this way.
    (site / "_dev_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    (tmp_path / "app.py").write_text(APP)

    installed = json.loads(_run(python, "app.py", str(tmp_path / "out"), cwd=tmp_path))
    assert Path(installed["package"]).is_relative_to(site)
    from_repo = json.loads(
        _run(sys.executable, "app.py", str(tmp_path / "repo-out"), cwd=tmp_path, pythonpath=ROOT)
    )
    assert Path(from_repo["package"]).is_relative_to(ROOT)
    assert installed["version"] == from_repo["version"]
    assert installed["findings"] == [] == from_repo["findings"]

    assets, templates = _assets_and_templates(tmp_path / "out")
    repo_assets, repo_templates = _assets_and_templates(tmp_path / "repo-out")
    assert len(assets) >= 3  # the provider's, the starter's and the results' functions
    assert sum(name.endswith(".nested.template.json") for name in templates) == 1
    assert assets == repo_assets
    assert templates == repo_templates
