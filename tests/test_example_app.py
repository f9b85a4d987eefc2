"""The example app: snapshot, cdk-nag (AwsSolutions, HIPAA Security, NIST 800-53 R5), cfn-lint."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

import app as example
from tests.lint import cfn_lint_errors

ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalized(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes blanked, so handler edits don't churn the snapshot."""
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))  # type: ignore[no-any-return]


def test_snapshot(example_app_template: dict[str, Any], snapshot: Any) -> None:
    assert normalized(example_app_template) == snapshot


def test_example_uses_the_placeholder_team_without_context(
    example_app_template: dict[str, Any],
) -> None:
    flows = [
        r
        for r in example_app_template["Resources"].values()
        if r["Type"] == "Custom::A2IFlowDefinition"
    ]
    assert len(flows) == 1
    config = flows[0]["Properties"]["Definition"]["HumanLoopConfig"]
    assert config["WorkteamArn"] == example.PLACEHOLDER_WORKTEAM_ARN
    assert config["TaskKeywords"] == ["text", "classification"]


def test_workteam_arn_from_context() -> None:
    from aws_cdk.assertions import Template

    arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/real-team"
    app = example.build_app(App(context={"workteam_arn": arn}))
    template = Template.from_stack(app.node.find_child("TextReviewExample")).to_json()  # type: ignore[arg-type]
    assert arn in json.dumps(template)


def test_cfn_lint_reports_no_errors(example_app_template: dict[str, Any]) -> None:
    assert cfn_lint_errors(example_app_template) == []


def test_cfn_lint_would_catch_an_error(example_app_template: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(example_app_template))
    key = next(k for k, v in broken["Resources"].items() if v["Type"] == "AWS::KMS::Key")
    broken["Resources"][key]["Properties"]["EnableKeyRotation"] = "sometimes"
    assert cfn_lint_errors(broken)


NAG_PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks)
"""The cdk-nag packs the example app and the examples pass without an unacknowledged finding."""


def nag_violations(app: App) -> list[tuple[str, str]]:
    """The unacknowledged findings of every pack in :data:`NAG_PACKS` (rule, construct path)."""
    Validations.of(app).add_plugins(*(pack(app) for pack in NAG_PACKS))
    try:
        app.synth()
    except Exception as error:  # the CDK raises when a validation plugin reports errors
        if "ValidationFailed" not in str(error):
            raise
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def test_cdk_nag_finds_nothing_unacknowledged() -> None:
    with tempfile.TemporaryDirectory() as outdir:
        app = example.build_app(App(outdir=outdir))
        assert nag_violations(app) == []


def test_cdk_nag_runs_and_would_report() -> None:
    """The same check reports each pack's findings once an acknowledgment is missing: the
    library acknowledges its own resources only, never the user's beside them."""
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_s3 as s3

    with tempfile.TemporaryDirectory() as outdir:
        app = example.build_app(App(outdir=outdir))
        stack = app.node.find_child("TextReviewExample")
        s3.Bucket(stack, "UnloggedBucket")  # type: ignore[arg-type]
        logs.LogGroup(stack, "UserLogs")  # type: ignore[arg-type]
        violations = set(nag_violations(app))
        assert ("AwsSolutions-S1", "TextReviewExample/UnloggedBucket/Resource") in violations
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            assert (
                f"{pack}-S3BucketReplicationEnabled",
                "TextReviewExample/UnloggedBucket/Resource",
            ) in violations
            assert (
                f"{pack}-CloudWatchLogGroupEncrypted",
                "TextReviewExample/UserLogs/Resource",
            ) in violations
        # Nothing but the two new resources is reported.
        assert {path.split("/")[1] for _, path in violations} == {"UnloggedBucket", "UserLogs"}


def test_acknowledgments_carry_reasons() -> None:
    app = example.build_app(App())
    # The library acknowledges resource findings as cdk-nag names them in the policy's own
    # stack, known once the app is prepared for synthesis (constructs_a2i.nag).
    app.synth()
    acknowledged: dict[str, str] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                for rule, reason in entry.data.items():
                    acknowledged[f"{construct.node.path} {rule}"] = reason
    assert acknowledged, "the library acknowledges its inherent findings"
    for where, reason in acknowledged.items():
        assert len(reason) >= 60, f"{where}: the reason must explain itself: {reason!r}"
    rules = {where.split(" ", 1)[1] for where in acknowledged}
    # The provider's one wildcard: the names the stack's generated flow names can have.
    assert any(rule.endswith(":flow-definition/textreviewexample-*]") for rule in rules)


def test_example_monitors_its_review_and_alarms_an_encrypted_topic(
    example_app_template: dict[str, Any],
) -> None:
    from constructs_a2i.core.metrics import METRIC_UNITS, NAMESPACE

    resources = example_app_template["Resources"]
    (topic_id,) = [k for k, v in resources.items() if v["Type"] == "AWS::SNS::Topic"]
    topic = resources[topic_id]["Properties"]
    key = resources[topic["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Properties"]
    # CloudWatch may use the topic's key: without it, alarm notifications are dropped.
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        and set(s["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
        for s in key["KeyPolicy"]["Statement"]
    )
    alarms = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 7
    assert all(a["AlarmActions"] == [{"Ref": topic_id}] for a in alarms)
    (dashboard,) = [v for v in resources.values() if v["Type"] == "AWS::CloudWatch::Dashboard"]
    body = "".join(
        p if isinstance(p, str) else "TOKEN"
        for p in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    )
    graphed = {
        (m[0], m[1]) for w in json.loads(body)["widgets"] for m in w["properties"]["metrics"]
    }
    # Every metric the example's starter and results functions emit is on the dashboard.
    assert {(NAMESPACE, name) for name in METRIC_UNITS} <= graphed
