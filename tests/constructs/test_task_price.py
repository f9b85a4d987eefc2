"""TaskPrice: the AWS price lists per task type, the public crowd and the flow's checks."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk.assertions import Template
from hypothesis import given
from hypothesis import strategies as st

from constructs_a2i import (
    CUSTOM_TASK_PRICES,
    REKOGNITION_MODERATION_TASK_PRICES,
    TEXTRACT_FORMS_TASK_PRICES,
    A2IValidationError,
    ActivationConditions,
    FlowDefinition,
    HumanTaskUi,
    RequestSource,
    Sampling,
    TaskPrice,
    TaskTemplate,
    Workteam,
)
from tests.conftest import TEAM_ARN, TEST_ENV, fixture_json

HTML = "<crowd-form><p>{{ task.input.text }}</p></crowd-form>"


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=Environment(**TEST_ENV))


def published_lists() -> dict[str, list[Decimal]]:
    """AWS's price lists by the sentence before each, sorted, from ``task_prices.json``.

    The fixture transcribes the lists of the SageMaker API reference's PublicWorkforceTaskPrice
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PublicWorkforceTaskPrice.html),
    also printed under CreateFlowDefinition's HumanLoopConfig; see tests/fixtures/README.md.
    """
    lists: dict[str, list[str]] = fixture_json("task_prices.json")["lists"]
    return {task: sorted(Decimal(p) for p in prices) for task, prices in lists.items()}


class TestListsMatchTheReference:
    """The package's lists against AWS's PublicWorkforceTaskPrice reference (see above)."""

    def test_custom_tasks(self) -> None:
        lists = published_lists()
        assert list(CUSTOM_TASK_PRICES) == lists["Amazon Augmented AI custom human review tasks"]

    def test_textract_forms(self) -> None:
        key = next(k for k in published_lists() if k.startswith("Textract AnalyzeDocument"))
        assert list(TEXTRACT_FORMS_TASK_PRICES) == published_lists()[key]

    def test_rekognition_moderation(self) -> None:
        key = next(k for k in published_lists() if k.startswith("Rekognition DetectModeration"))
        assert list(REKOGNITION_MODERATION_TASK_PRICES) == published_lists()[key]

    def test_every_price_is_three_decimals_as_published(self) -> None:
        for prices in fixture_json("task_prices.json")["lists"].values():
            assert prices and all(re.fullmatch(r"\d\.\d{3}", p) for p in prices)


class TestTaskPrice:
    @pytest.mark.parametrize(
        ("amount", "parts"),
        [
            ("0.012", (0, 1, 2)),
            (0.036, (0, 3, 6)),
            (Decimal("1.2"), (1, 20, 0)),
            ("2.400", (2, 40, 0)),
            (" 0.120 ", (0, 12, 0)),
        ],
    )
    def test_usd_splits_into_dollars_cents_and_tenths(
        self, amount: Any, parts: tuple[int, int, int]
    ) -> None:
        price = TaskPrice.usd(amount)
        assert (price.dollars, price.cents, price.tenth_fractions_of_a_cent) == parts
        assert price.to_public_workforce_task_price() == {
            "AmountInUsd": {
                "Dollars": parts[0],
                "Cents": parts[1],
                "TenthFractionsOfACent": parts[2],
            }
        }

    def test_parts_and_usd_agree(self) -> None:
        assert TaskPrice(cents=3, tenth_fractions_of_a_cent=6) == TaskPrice.usd("0.036")
        assert TaskPrice.usd("0.036").amount_in_usd == Decimal("0.036")
        assert str(TaskPrice.usd("1.2")) == "1.200 USD"
        assert repr(TaskPrice.usd("1.2")) == "TaskPrice.usd('1.200')"
        assert TaskPrice.usd("0.012") < TaskPrice.usd("0.024")
        assert len({TaskPrice.usd("0.12"), TaskPrice.usd(0.12)}) == 1

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("0.05", r"got 0\.050; nearest allowed: 0\.048 or 0\.060"),
            ("0.0365", r"tenths of a cent .*nearest allowed: 0\.036 or 0\.048"),
            ("0.001", r"nearest allowed: 0\.012"),
            ("3", r"at most 2\.400 USD"),
            ("-0.012", r"positive amount"),
            ("NaN", r"positive amount"),
            ("twelve cents", r"amount in US dollars such as '0\.036'"),
            (True, r"amount in US dollars"),
        ],
    )
    def test_usd_rejects(self, amount: Any, message: str) -> None:
        with pytest.raises(A2IValidationError, match=message):
            TaskPrice.usd(amount)

    @pytest.mark.parametrize(
        ("parts", "message"),
        [
            ({"dollars": 3}, r"dollars must be between 0 and 2; got 3"),
            ({"cents": 100}, r"cents must be between 0 and 99; got 100"),
            ({"tenth_fractions_of_a_cent": 10}, r"tenth_fractions_of_a_cent .* 0 and 9; got 10"),
            ({"cents": 1.5}, r"cents must be a whole number"),
            ({"cents": 5}, r"got 0\.050; nearest allowed: 0\.048 or 0\.060"),
        ],
    )
    def test_parts_are_checked(self, parts: dict[str, Any], message: str) -> None:
        with pytest.raises(A2IValidationError, match=message):
            TaskPrice(**parts)

    @given(st.integers(min_value=0, max_value=2999))
    def test_any_amount_is_accepted_exactly_when_some_list_has_it(self, tenths: int) -> None:
        amount = Decimal(tenths) / 1000
        listed = amount in set(TEXTRACT_FORMS_TASK_PRICES) | set(CUSTOM_TASK_PRICES)
        if listed:
            assert TaskPrice.usd(amount).amount_in_usd == amount
        else:
            with pytest.raises(A2IValidationError, match="nearest allowed"):
                TaskPrice.usd(amount)

    def test_allowed_for_each_task_type(self) -> None:
        assert [p.amount_in_usd for p in TaskPrice.allowed_for()] == list(CUSTOM_TASK_PRICES)
        textract = TaskPrice.allowed_for(RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        assert max(textract) == TaskPrice.usd("2.4")
        rekognition = TaskPrice.allowed_for(
            RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE
        )
        assert max(rekognition) == TaskPrice.usd("1.2")

    def test_check_for_names_the_task_type_and_nearest_prices(self) -> None:
        price = TaskPrice.usd("1.320")
        price.check_for(RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        with pytest.raises(
            A2IValidationError, match=r"1\.320 USD .*custom tasks.*nearest allowed: 1\.200"
        ):
            price.check_for(None)
        with pytest.raises(A2IValidationError, match=r"Rekognition.*nearest allowed: 1\.200"):
            price.check_for(RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE)


class TestWorkteamPrices:
    def test_public_crowd_requires_a_price(self) -> None:
        with pytest.raises(TypeError):
            Workteam.public_crowd(new_stack(), "Crowd")  # type: ignore[call-arg]
        with pytest.raises(A2IValidationError, match=r"task_price must be a TaskPrice"):
            Workteam.public_crowd(new_stack(), "Crowd", task_price=0.036)  # type: ignore[arg-type]

    def test_public_crowd_carries_its_price(self) -> None:
        crowd = Workteam.public_crowd(new_stack(), "Crowd", task_price=TaskPrice.usd("0.036"))
        assert crowd.is_public_crowd
        assert crowd.task_price == TaskPrice.usd("0.036")

    def test_a_price_is_rejected_for_a_private_team(self) -> None:
        with pytest.raises(A2IValidationError, match=r"task_price is only for the public crowd"):
            Workteam.from_workteam_arn(
                new_stack(), "Team", TEAM_ARN, task_price=TaskPrice.usd("0.036")
            )
        assert Workteam.from_workteam_arn(new_stack(), "Team", TEAM_ARN).task_price is None

    def test_an_imported_public_crowd_arn_is_the_public_crowd(self) -> None:
        arn = "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
        crowd = Workteam.from_workteam_arn(
            new_stack(), "Crowd", arn, task_price=TaskPrice.usd("0.06")
        )
        assert crowd.is_public_crowd
        assert crowd.task_price == TaskPrice.usd("0.06")


def make_flow(stack: Stack, workteam: Any, **overrides: Any) -> FlowDefinition:
    props: dict[str, Any] = {
        "workteam": workteam,
        "human_task_ui": HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string(HTML)),
        "task_title": "Review",
        "task_description": "Review the text",
    }
    props.update(overrides)
    return FlowDefinition(stack, "Flow", **props)


def definition(stack: Stack) -> dict[str, Any]:
    template = dict(Template.from_stack(stack).to_json())
    (flow,) = [
        r for r in template["Resources"].values() if r["Type"] == "Custom::A2IFlowDefinition"
    ]
    return flow["Properties"]["Definition"]  # type: ignore[no-any-return]


class TestFlowDefinitionPrices:
    def test_the_price_reaches_the_human_loop_config(self) -> None:
        stack = new_stack()
        crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("1.080"))
        make_flow(stack, crowd, task_availability_lifetime=Duration.hours(12))
        config = definition(stack)["HumanLoopConfig"]
        assert config["PublicWorkforceTaskPrice"] == {
            "AmountInUsd": {"Dollars": 1, "Cents": 8, "TenthFractionsOfACent": 0}
        }
        assert config["TaskAvailabilityLifetimeInSeconds"] == 43200
        assert "394669845002:workteam/public-crowd/default" in json.dumps(config["WorkteamArn"])

    def test_a_textract_price_is_rejected_for_a_custom_task(self) -> None:
        stack = new_stack()
        crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("2.4"))
        with pytest.raises(
            A2IValidationError,
            match=r"workteam\.task_price 2\.400 USD .*custom tasks.*nearest allowed: 1\.200",
        ):
            make_flow(stack, crowd)

    def test_a_textract_price_is_accepted_for_a_textract_flow(self) -> None:
        stack = new_stack()
        crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("2.4"))
        make_flow(
            stack,
            crowd,
            request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS,
            activation_conditions=ActivationConditions(Sampling(10)),
        )
        price = definition(stack)["HumanLoopConfig"]["PublicWorkforceTaskPrice"]
        assert price["AmountInUsd"] == {"Dollars": 2, "Cents": 40, "TenthFractionsOfACent": 0}

    def test_public_crowd_without_a_price_is_rejected(self) -> None:
        stack = new_stack()
        arn = "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
        crowd = Workteam.from_workteam_arn(stack, "Crowd", arn)
        with pytest.raises(A2IValidationError, match=r"public crowd but has no task_price"):
            make_flow(stack, crowd)

    def test_a_private_team_with_a_price_is_rejected(self) -> None:
        class PricedPrivateTeam:
            workteam_arn = TEAM_ARN
            is_public_crowd = False
            task_price = TaskPrice.usd("0.036")

        with pytest.raises(A2IValidationError, match=r"task_price must be None for a private"):
            make_flow(new_stack(), PricedPrivateTeam())

    def test_availability_is_capped_at_12_hours_for_the_public_crowd(self) -> None:
        stack = new_stack()
        crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("0.036"))
        with pytest.raises(A2IValidationError, match=r"public crowd.*43200; got 43201"):
            make_flow(stack, crowd, task_availability_lifetime=Duration.seconds(43201))

    def test_availability_is_capped_at_10_days_for_a_private_team(self) -> None:
        stack = new_stack()
        team = Workteam.from_workteam_arn(stack, "Team", TEAM_ARN)
        with pytest.raises(A2IValidationError, match=r"private or vendor team.*864000; got 864001"):
            make_flow(stack, team, task_availability_lifetime=Duration.seconds(864001))

    def test_a_private_team_has_no_price_in_the_definition(self) -> None:
        stack = new_stack()
        make_flow(stack, Workteam.from_workteam_arn(stack, "Team", TEAM_ARN))
        assert "PublicWorkforceTaskPrice" not in definition(stack)["HumanLoopConfig"]
