"""HumanTaskUi and Workteam constructs."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from constructs_a2i import PUBLIC_CROWD_ACCOUNT, HumanTaskUi, TaskPrice, TaskTemplate, Workteam
from constructs_a2i.validation import NAME_PATTERN
from tests.conftest import TEAM_ARN, TEST_ENV

HTML = "<crowd-form><p>{{ task.input.text }}</p></crowd-form>"


def new_stack(env: bool = True) -> Stack:
    return Stack(App(), "Ui", env=Environment(**TEST_ENV) if env else None)


def test_human_task_ui_synthesizes_the_template() -> None:
    stack = new_stack()
    ui = HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string(HTML))
    template = Template.from_stack(stack).to_json()
    (resource,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::HumanTaskUi"
    ]
    props = resource["Properties"]
    assert props["UiTemplate"] == {"Content": HTML}
    assert NAME_PATTERN.match(props["HumanTaskUiName"])
    assert props["HumanTaskUiName"] == ui.human_task_ui_name
    assert stack.resolve(ui.human_task_ui_arn)["Fn::GetAtt"][1] == "HumanTaskUiArn"


def test_generated_ui_name_changes_with_the_template() -> None:
    # A new name lets CloudFormation replace the UI when its template changes.
    a = HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_string(HTML))
    b = HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_string(HTML + " "))
    c = HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_string(HTML))
    assert a.human_task_ui_name != b.human_task_ui_name
    assert a.human_task_ui_name == c.human_task_ui_name


def test_fixed_ui_name() -> None:
    stack = new_stack()
    ui = HumanTaskUi(
        stack, "Ui", template=TaskTemplate.from_string(HTML), human_task_ui_name="my-ui"
    )
    assert ui.human_task_ui_name == "my-ui"
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::HumanTaskUi", {"HumanTaskUiName": "my-ui"}
    )


def test_template_from_file_and_sample_input(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "t.html"
    path.write_text(HTML, encoding="utf-8")
    template = TaskTemplate.from_file(path)
    assert template.content == HTML
    assert template.sample_input is None
    with_sample = template.with_sample_input({"text": "hello"})
    assert with_sample.sample_input == {"text": "hello"}
    assert with_sample.content == HTML


def test_imported_ui() -> None:
    stack = new_stack()
    arn = "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/existing"
    assert HumanTaskUi.from_human_task_ui_arn(stack, "A", arn).human_task_ui_arn == arn
    by_name = HumanTaskUi.from_human_task_ui_name(stack, "B", "existing")
    assert stack.resolve(by_name.human_task_ui_arn)["Fn::Join"][1][-1] == (
        ":sagemaker:us-east-1:123456789012:human-task-ui/existing"
    )


def test_imported_workteam() -> None:
    team = Workteam.from_workteam_arn(new_stack(), "Team", TEAM_ARN)
    assert team.workteam_arn == TEAM_ARN
    assert team.is_public_crowd is False


def test_public_crowd_in_the_stacks_partition_and_region() -> None:
    stack = new_stack()
    crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("0.036"))
    assert crowd.is_public_crowd is True
    assert stack.resolve(crowd.workteam_arn) == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":sagemaker:us-east-1:{PUBLIC_CROWD_ACCOUNT}:workteam/public-crowd/default",
            ],
        ]
    }
    agnostic = new_stack(env=False)
    crowd = Workteam.public_crowd(agnostic, "Crowd", task_price=TaskPrice.usd("0.036"))
    parts = agnostic.resolve(crowd.workteam_arn)["Fn::Join"][1]
    assert {"Ref": "AWS::Region"} in parts
