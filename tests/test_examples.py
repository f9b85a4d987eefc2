"""The three integration examples: snapshots, cfn-lint, cdk-nag and what each shows.

Each example is synthesized once per test process, with cdk-nag's AwsSolutions, HIPAA
Security and NIST 800-53 R5 checks, into a temporary cloud assembly; every test reads it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aws_cdk import App, Validations
from aws_cdk import aws_s3 as s3

from constructs_a2i import TaskPrice
from tests.conftest import ROOT
from tests.lint import cfn_lint_errors
from tests.test_example_app import NAG_PACKS

ASSET_HASH = re.compile(r"[0-9a-f]{64}")

EXAMPLES = {
    "custom_task_private_team": "CustomTaskPrivateTeamExample",
    "textract_forms_review": "TextractFormsReviewExample",
    "rekognition_moderation_review": "RekognitionModerationReviewExample",
}


class Synthesized(NamedTuple):
    app: App
    template: dict[str, Any]
    violations: list[tuple[str, str]]


def synth_with_nag(app: App, stack_name: str) -> Synthesized:
    """Synthesize ``app`` with cdk-nag; the template and the unacknowledged findings."""
    Validations.of(app).add_plugins(*(pack(app) for pack in NAG_PACKS))
    try:
        app.synth()
    except Exception as error:  # the CDK raises when a validation plugin reports errors
        if "ValidationFailed" not in str(error):
            raise
    outdir = Path(app.outdir)
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    violations = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    template = json.loads((outdir / f"{stack_name}.template.json").read_text())
    return Synthesized(app, template, violations)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    """Synthesizes an example on first use, then returns the same result."""
    cache: dict[str, Synthesized] = {}

    def get(name: str) -> Synthesized:
        if name not in cache:
            module = importlib.import_module(f"examples.{name}")
            app = module.build_app(App(outdir=str(tmp_path_factory.mktemp(name))))
            cache[name] = synth_with_nag(app, EXAMPLES[name])
        return cache[name]

    return get


@pytest.fixture(params=sorted(EXAMPLES))
def example(
    request: pytest.FixtureRequest, synthesized: Callable[[str], Synthesized]
) -> tuple[str, Synthesized]:
    return request.param, synthesized(request.param)


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes blanked, so handler edits don't churn the snapshot."""
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))  # type: ignore[no-any-return]


def of_type(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == type_]


def flow_definition(template: dict[str, Any]) -> dict[str, Any]:
    (flow,) = of_type(template, "Custom::A2IFlowDefinition")
    return flow["Properties"]["Definition"]  # type: ignore[no-any-return]


class TestEveryExample:
    def test_snapshot(self, example: tuple[str, Synthesized], snapshot: Any) -> None:
        _, synthesized = example
        assert normalized(synthesized.template) == snapshot

    def test_cfn_lint_reports_no_errors(self, example: tuple[str, Synthesized]) -> None:
        _, synthesized = example
        assert cfn_lint_errors(synthesized.template) == []

    def test_cdk_nag_finds_nothing_unacknowledged(self, example: tuple[str, Synthesized]) -> None:
        _, synthesized = example
        assert synthesized.violations == []

    def test_acknowledgments_explain_themselves(self, example: tuple[str, Synthesized]) -> None:
        _, synthesized = example
        for construct in synthesized.app.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry.data.items():
                        assert len(reason) >= 60, f"{construct.node.path} {rule}: {reason!r}"

    def test_the_flow_has_a_worker_template_and_secure_output(
        self, example: tuple[str, Synthesized]
    ) -> None:
        _, synthesized = example
        (ui,) = of_type(synthesized.template, "AWS::SageMaker::HumanTaskUi")
        assert "<crowd-form>" in ui["Properties"]["UiTemplate"]["Content"]
        assert "KmsKeyId" in flow_definition(synthesized.template)["OutputConfig"]


def test_custom_task_example_uses_a_whole_private_team(
    synthesized: Callable[[str], Synthesized],
) -> None:
    template = synthesized("custom_task_private_team").template
    types = {r["Type"] for r in template["Resources"].values()}
    assert {
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolDomain",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
        "AWS::Cognito::UserPoolUser",
        "AWS::SageMaker::Workforce",
        "AWS::SageMaker::Workteam",
    } <= types
    workteam_id = next(
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SageMaker::Workteam"
    )
    definition = flow_definition(template)
    assert definition["HumanLoopConfig"]["WorkteamArn"] == {
        "Fn::GetAtt": [workteam_id, "WorkteamArn"]
    }
    assert "HumanLoopRequestSource" not in definition
    assert "PublicWorkforceTaskPrice" not in definition["HumanLoopConfig"]


def test_textract_example_joins_the_existing_workforce_with_conditions(
    synthesized: Callable[[str], Synthesized],
) -> None:
    template = synthesized("textract_forms_review").template
    assert not of_type(template, "AWS::SageMaker::Workforce")
    assert not of_type(template, "AWS::Cognito::UserPool")
    definition = flow_definition(template)
    assert definition["HumanLoopRequestSource"] == {
        "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
    }
    conditions = json.loads(
        definition["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"][
            "HumanLoopActivationConditions"
        ]
    )
    types = re.findall(r'"ConditionType": "(\w+)"', json.dumps(conditions))
    assert sorted(set(types)) == [
        "ImportantFormKeyConfidenceCheck",
        "MissingImportantFormKey",
        "Sampling",
    ]
    cors = [
        b["Properties"]["CorsConfiguration"]
        for b in of_type(template, "AWS::S3::Bucket")
        if "CorsConfiguration" in b["Properties"]
    ]
    assert cors == [
        {
            "CorsRules": [
                {
                    "AllowedHeaders": [],
                    "AllowedMethods": ["GET"],
                    "AllowedOrigins": ["*"],
                    "ExposedHeaders": [],
                    "MaxAge": 3600,
                }
            ]
        }
    ]
    actions = {
        s["Action"]
        for p in of_type(template, "AWS::IAM::Policy")
        if p["Properties"]["PolicyName"].startswith("DocumentAnalyzer")
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }
    # kms:Decrypt: Textract reads the SSE-KMS documents with the caller's permissions.
    assert actions == {
        "textract:AnalyzeDocument",
        "sagemaker:StartHumanLoop",
        "s3:GetObject",
        "kms:Decrypt",
    }


def test_rekognition_example_pays_the_public_crowd(
    synthesized: Callable[[str], Synthesized],
) -> None:
    template = synthesized("rekognition_moderation_review").template
    config = flow_definition(template)["HumanLoopConfig"]
    assert (
        config["PublicWorkforceTaskPrice"]
        == TaskPrice.usd("0.120").to_public_workforce_task_price()
    )
    assert config["TaskAvailabilityLifetimeInSeconds"] <= 43200
    assert "workteam/public-crowd/default" in json.dumps(config["WorkteamArn"])
    definition = flow_definition(template)
    assert definition["HumanLoopRequestSource"]["AwsManagedHumanLoopRequestSource"] == (
        "AWS/Rekognition/DetectModerationLabels/Image/V3"
    )


def test_cdk_nag_would_report_a_missing_acknowledgment(tmp_path: Path) -> None:
    """The same check reports a finding once something is not acknowledged."""
    module = importlib.import_module("examples.rekognition_moderation_review")
    app = module.build_app(App(outdir=str(tmp_path)))
    stack = app.node.find_child(EXAMPLES["rekognition_moderation_review"])
    s3.Bucket(stack, "UnloggedBucket")
    rules = {rule for rule, _ in synth_with_nag(app, stack.node.id).violations}
    assert {
        "AwsSolutions-S1",
        "HIPAA.Security-S3BucketReplicationEnabled",
        "NIST.800.53.R5-S3BucketReplicationEnabled",
    } <= rules


def test_examples_synthesize_as_scripts(tmp_path: Path) -> None:
    """``python examples/<name>.py`` synthesizes each app offline (one process for all three)."""
    script = "\n".join(
        f"runpy.run_path({str(ROOT / 'examples' / f'{name}.py')!r}, run_name='__main__')"
        for name in EXAMPLES
    )
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", f"import runpy\n{script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for stack_name in EXAMPLES.values():
        assert (tmp_path / f"{stack_name}.template.json").is_file()
