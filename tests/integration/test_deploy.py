"""Opt-in: deploy the example app to a real AWS account, check the flow, destroy it.

Runs only with ``A2I_INTEGRATION=1``, AWS credentials, and ``A2I_WORKTEAM_ARN`` naming a
work team of that account (A2I is closed to new customers, so an account that already
uses it is needed). Costs a few cents; takes several minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _credentials_present() -> bool:
    try:
        import boto3

        return boto3.Session().get_credentials() is not None
    except Exception:
        return False


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("A2I_INTEGRATION") != "1" or not _credentials_present(),
        reason="opt-in: set A2I_INTEGRATION=1 and provide AWS credentials and A2I_WORKTEAM_ARN",
    ),
]


def _cdk(*args: str) -> subprocess.CompletedProcess[str]:
    team = os.environ["A2I_WORKTEAM_ARN"]
    region = team.split(":")[3]
    return subprocess.run(
        ["cdk", *args, "-c", f"workteam_arn={team}", "-c", f"region={region}"],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
        timeout=3000,
    )


def test_deploy_example_and_flow_is_active(tmp_path: Path) -> None:
    import boto3

    outputs = tmp_path / "outputs.json"
    try:
        _cdk("deploy", "--require-approval", "never", "--outputs-file", str(outputs))
        values = json.loads(outputs.read_text())["TextReviewExample"]
        arn = next(v for k, v in values.items() if "FlowDefinitionArn" in k)
        name = arn.rsplit("/", 1)[1]
        region = arn.split(":")[3]
        described = boto3.client("sagemaker", region_name=region).describe_flow_definition(
            FlowDefinitionName=name
        )
        assert described["FlowDefinitionStatus"] == "Active"
        assert described["HumanLoopConfig"]["TaskCount"] == 1
    finally:
        _cdk("destroy", "--force")
