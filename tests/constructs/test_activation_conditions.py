"""Activation conditions, request sources and the Textract/Rekognition integrations.

The builders are checked against every example of the A2I developer guide (*JSON Schema
for Human Loop Activation Conditions*, its Textract and Rekognition pages; the guide's
typos, such as missing commas, fixed) and against the guide's JSON schema.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_a2i import (
    ACTIVATION_CONDITIONS_MAX_LENGTH,
    A2IValidationError,
    ActivationConditions,
    And,
    Condition,
    Confidence,
    FlowDefinition,
    HumanTaskUi,
    ImportantFormKeyConfidenceCheck,
    MissingImportantFormKey,
    ModerationLabelConfidenceCheck,
    Or,
    RequestSource,
    Sampling,
    TaskTemplate,
    Workteam,
)
from tests.conftest import TEAM_ARN, TEST_ENV

# The schema as the developer guide prints it.
DOCUMENTED_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {
        "Condition": {
            "type": "object",
            "properties": {
                "ConditionType": {"type": "string"},
                "ConditionParameters": {"type": "object"},
            },
            "required": ["ConditionType"],
        },
        "OrConditionArray": {
            "type": "object",
            "properties": {
                "Or": {
                    "type": "array",
                    "minItems": 2,
                    "items": {"$ref": "#/definitions/ComplexCondition"},
                }
            },
        },
        "AndConditionArray": {
            "type": "object",
            "properties": {
                "And": {
                    "type": "array",
                    "minItems": 2,
                    "items": {"$ref": "#/definitions/ComplexCondition"},
                }
            },
        },
        "ComplexCondition": {
            "anyOf": [
                {"$ref": "#/definitions/Condition"},
                {"$ref": "#/definitions/OrConditionArray"},
                {"$ref": "#/definitions/AndConditionArray"},
            ]
        },
    },
    "type": "object",
    "properties": {
        "Conditions": {"type": "array", "items": {"$ref": "#/definitions/ComplexCondition"}}
    },
}

PAY_DATE = ["PayDate", "DateOfPay", "pay-date"]


def form_key(key: str, aliases: list[str], **confidences: float) -> dict[str, Any]:
    params: dict[str, Any] = {"ImportantFormKey": key}
    if aliases:
        params["ImportantFormKeyAliases"] = aliases
    params.update(confidences)
    return {"ConditionType": "ImportantFormKeyConfidenceCheck", "ConditionParameters": params}


def label(name: str, **confidence: float) -> dict[str, Any]:
    return {
        "ConditionType": "ModerationLabelConfidenceCheck",
        "ConditionParameters": {"ModerationLabelName": name, **confidence},
    }


def sampling(percentage: float) -> dict[str, Any]:
    return {
        "ConditionType": "Sampling",
        "ConditionParameters": {"RandomSamplingPercentage": percentage},
    }


def pay_date_check(**confidence: Confidence) -> ImportantFormKeyConfidenceCheck:
    return ImportantFormKeyConfidenceCheck("Pay Date", aliases=PAY_DATE, **confidence)


# (documented JSON, the same conditions built with the typed builders, request source)
TEXTRACT = RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS
REKOGNITION = RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE
DOCUMENTED_EXAMPLES: dict[str, tuple[dict[str, Any], ActivationConditions, RequestSource]] = {
    "textract-1-form-keys-in-a-range": (
        {
            "Conditions": [
                form_key(
                    "Employee Name",
                    ["Name", "EmployeeName"],
                    KeyValueBlockConfidenceLessThan=60,
                    WordBlockConfidenceLessThan=85,
                ),
                form_key(
                    "Pay Date",
                    PAY_DATE,
                    KeyValueBlockConfidenceLessThan=65,
                    WordBlockConfidenceLessThan=85,
                ),
                form_key(
                    "Gross Pay",
                    ["GrossPay", "GrossAmount"],
                    KeyValueBlockConfidenceLessThan=60,
                    WordBlockConfidenceLessThan=85,
                ),
            ]
        },
        ActivationConditions(
            ImportantFormKeyConfidenceCheck(
                "Employee Name",
                aliases=["Name", "EmployeeName"],
                key_value_block_confidence=Confidence.less_than(60),
                word_block_confidence=Confidence.less_than(85),
            ),
            pay_date_check(
                key_value_block_confidence=Confidence.less_than(65),
                word_block_confidence=Confidence.less_than(85),
            ),
            ImportantFormKeyConfidenceCheck(
                "Gross Pay",
                aliases=["GrossPay", "GrossAmount"],
                key_value_block_confidence=Confidence.less_than(60),
                word_block_confidence=Confidence.less_than(85),
            ),
        ),
        TEXTRACT,
    ),
    "textract-2-catch-all-key": (
        {
            "Conditions": [
                form_key(
                    "*", [], KeyValueBlockConfidenceLessThan=60, WordBlockConfidenceLessThan=90
                )
            ]
        },
        ActivationConditions(
            ImportantFormKeyConfidenceCheck(
                key_value_block_confidence=Confidence.less_than(60),
                word_block_confidence=Confidence.less_than(90),
            )
        ),
        TEXTRACT,
    ),
    "textract-3-sampling": (
        {"Conditions": [sampling(5)]},
        ActivationConditions(Sampling(5)),
        TEXTRACT,
    ),
    "textract-4-missing-key": (
        {
            "Conditions": [
                {
                    "ConditionType": "MissingImportantFormKey",
                    "ConditionParameters": {
                        "ImportantFormKey": "Mailing Address",
                        "ImportantFormKeyAliases": ["Mailing Address:"],
                    },
                }
            ]
        },
        ActivationConditions(
            MissingImportantFormKey("Mailing Address", aliases=["Mailing Address:"])
        ),
        TEXTRACT,
    ),
    "textract-5-and": (
        {
            "Conditions": [
                {
                    "And": [
                        sampling(5),
                        form_key(
                            "Pay Date",
                            PAY_DATE,
                            KeyValueBlockConfidenceLessThan=65,
                            WordBlockConfidenceLessThan=85,
                        ),
                    ]
                }
            ]
        },
        ActivationConditions(
            And(
                Sampling(5),
                pay_date_check(
                    key_value_block_confidence=Confidence.less_than(65),
                    word_block_confidence=Confidence.less_than(85),
                ),
            )
        ),
        TEXTRACT,
    ),
    "textract-6-or-of-and-two-levels": (
        {
            "Conditions": [
                {
                    "Or": [
                        form_key(
                            "Pay Date",
                            PAY_DATE,
                            KeyValueBlockConfidenceLessThan=60,
                            WordBlockConfidenceLessThan=60,
                        ),
                        {
                            "And": [
                                sampling(5),
                                form_key(
                                    "Pay Date",
                                    PAY_DATE,
                                    KeyValueBlockConfidenceLessThan=90,
                                    WordBlockConfidenceGreaterThan=90,
                                ),
                            ]
                        },
                    ]
                }
            ]
        },
        ActivationConditions(
            Or(
                pay_date_check(
                    key_value_block_confidence=Confidence.less_than(60),
                    word_block_confidence=Confidence.less_than(60),
                ),
                And(
                    Sampling(5),
                    pay_date_check(
                        key_value_block_confidence=Confidence.less_than(90),
                        word_block_confidence=Confidence.greater_than(90),
                    ),
                ),
            )
        ),
        TEXTRACT,
    ),
    "textract-7-or": (
        {
            "Conditions": [
                {
                    "Or": [
                        sampling(5),
                        form_key(
                            "Pay Date",
                            PAY_DATE,
                            KeyValueBlockConfidenceLessThan=65,
                            WordBlockConfidenceLessThan=85,
                        ),
                    ]
                }
            ]
        },
        ActivationConditions(
            Or(
                Sampling(5),
                pay_date_check(
                    key_value_block_confidence=Confidence.less_than(65),
                    word_block_confidence=Confidence.less_than(85),
                ),
            )
        ),
        TEXTRACT,
    ),
    "rekognition-1-ranges": (
        {
            "Conditions": [
                {
                    "Or": [
                        {
                            "And": [
                                label("Graphic Male Nudity", ConfidenceLessThanEquals=99),
                                label("Graphic Male Nudity", ConfidenceGreaterThanEquals=90),
                            ]
                        },
                        {
                            "And": [
                                label("Graphic Female Nudity", ConfidenceLessThanEquals=99),
                                label("Graphic Female Nudity", ConfidenceGreaterThanEquals=80),
                            ]
                        },
                    ]
                }
            ]
        },
        ActivationConditions(
            Or(
                And(
                    ModerationLabelConfidenceCheck(
                        "Graphic Male Nudity", confidence=Confidence.less_than_or_equal_to(99)
                    ),
                    ModerationLabelConfidenceCheck(
                        "Graphic Male Nudity", confidence=Confidence.greater_than_or_equal_to(90)
                    ),
                ),
                And(
                    ModerationLabelConfidenceCheck(
                        "Graphic Female Nudity", confidence=Confidence.less_than_or_equal_to(99)
                    ),
                    ModerationLabelConfidenceCheck(
                        "Graphic Female Nudity", confidence=Confidence.greater_than_or_equal_to(80)
                    ),
                ),
            )
        ),
        REKOGNITION,
    ),
    "rekognition-2-catch-all": (
        {"Conditions": [label("*", ConfidenceGreaterThanEquals=75)]},
        ActivationConditions(
            ModerationLabelConfidenceCheck(confidence=Confidence.greater_than_or_equal_to(75))
        ),
        REKOGNITION,
    ),
    "rekognition-3-sampling": (
        {"Conditions": [sampling(5)]},
        ActivationConditions(Sampling(5)),
        REKOGNITION,
    ),
    "rekognition-4-and": (
        {
            "Conditions": [
                {"And": [sampling(5), label("Graphic Male Nudity", ConfidenceGreaterThan=50)]}
            ]
        },
        ActivationConditions(
            And(
                Sampling(5),
                ModerationLabelConfidenceCheck(
                    "Graphic Male Nudity", confidence=Confidence.greater_than(50)
                ),
            )
        ),
        REKOGNITION,
    ),
    "rekognition-5-or-of-and": (
        {
            "Conditions": [
                {
                    "Or": [
                        label("Graphic Male Nudity", ConfidenceLessThan=60),
                        {
                            "And": [
                                sampling(5),
                                label("Graphic Male Nudity", ConfidenceGreaterThan=90),
                            ]
                        },
                    ]
                }
            ]
        },
        ActivationConditions(
            Or(
                ModerationLabelConfidenceCheck(
                    "Graphic Male Nudity", confidence=Confidence.less_than(60)
                ),
                And(
                    Sampling(5),
                    ModerationLabelConfidenceCheck(
                        "Graphic Male Nudity", confidence=Confidence.greater_than(90)
                    ),
                ),
            )
        ),
        REKOGNITION,
    ),
    "rekognition-6-or": (
        {
            "Conditions": [
                {"Or": [sampling(5), label("Graphic Male Nudity", ConfidenceGreaterThan=50)]}
            ]
        },
        ActivationConditions(
            Or(
                Sampling(5),
                ModerationLabelConfidenceCheck(
                    "Graphic Male Nudity", confidence=Confidence.greater_than(50)
                ),
            )
        ),
        REKOGNITION,
    ),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_EXAMPLES))
class TestDocumentedExamples:
    def test_builders_produce_the_documented_json(self, name: str) -> None:
        documented, built, _ = DOCUMENTED_EXAMPLES[name]
        assert built.to_dict() == documented
        assert json.loads(built.to_json()) == documented

    def test_output_follows_the_documented_schema(self, name: str) -> None:
        _, built, _ = DOCUMENTED_EXAMPLES[name]
        jsonschema.validate(json.loads(built.to_json()), DOCUMENTED_SCHEMA)

    def test_from_json_reads_the_documented_json(self, name: str) -> None:
        documented, built, source = DOCUMENTED_EXAMPLES[name]
        parsed = ActivationConditions.from_json(json.dumps(documented, indent=4))
        assert parsed.to_dict() == documented
        assert parsed.condition_types == built.condition_types
        parsed.check_for(source)

    def test_the_documented_service_supports_them_and_the_other_may_not(self, name: str) -> None:
        _, built, source = DOCUMENTED_EXAMPLES[name]
        built.check_for(source)
        other = REKOGNITION if source is TEXTRACT else TEXTRACT
        if built.condition_types == {"Sampling"}:
            built.check_for(other)  # both services support Sampling
        else:
            with pytest.raises(A2IValidationError, match=r"does not support"):
                built.check_for(other)


def test_the_schema_check_would_catch_a_malformed_document() -> None:
    """The documented schema is loose (any object matches an operator), but not empty."""
    bad: dict[str, Any]
    for bad in ({"Conditions": {"Or": []}}, {"Conditions": ["Sampling"]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, DOCUMENTED_SCHEMA)


def _simple_conditions() -> st.SearchStrategy[Condition]:
    confidence = st.builds(
        Confidence,
        st.sampled_from(
            ["Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals"]
        ),
        st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False)),
    )
    text = st.text(min_size=1, max_size=20).filter(lambda t: t.strip() and t != "*")
    return st.one_of(
        st.builds(Sampling, st.one_of(st.integers(1, 100), st.floats(0.01, 100, allow_nan=False))),
        st.builds(
            ModerationLabelConfidenceCheck,
            st.one_of(st.just("*"), text),
            confidence=confidence,
        ),
        st.builds(MissingImportantFormKey, text, aliases=st.lists(text, max_size=3)),
    )


def _trees(depth: int) -> st.SearchStrategy[Condition]:
    if depth == 0:
        return _simple_conditions()
    members = st.lists(st.one_of(_simple_conditions(), _trees(depth - 1)), min_size=2, max_size=3)
    return st.one_of(
        _simple_conditions(),
        members.map(lambda items: And(*items)),
        members.map(lambda items: Or(*items)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(_trees(2), min_size=1, max_size=3))
def test_any_built_conditions_round_trip_and_follow_the_schema(
    conditions: list[Condition],
) -> None:
    built = ActivationConditions(*conditions)
    document = json.loads(built.to_json())
    jsonschema.validate(document, DOCUMENTED_SCHEMA)
    assert ActivationConditions.from_json(built.to_json()).to_dict() == document
    assert all(c.depth <= 2 for c in built.conditions)


class TestRequestSource:
    def test_values_are_the_api_values(self) -> None:
        textract: str = RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS
        assert textract == "AWS/Textract/AnalyzeDocument/Forms/V1"  # usable as a plain str
        assert (
            RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE.value
            == "AWS/Rekognition/DetectModerationLabels/Image/V3"
        )
        assert RequestSource.of("AWS/Textract/AnalyzeDocument/Forms/V1") is TEXTRACT

    def test_unknown_source_names_the_allowed_ones(self) -> None:
        with pytest.raises(
            A2IValidationError,
            match=r"request_source must be one of TEXTRACT_ANALYZE_DOCUMENT_FORMS .*"
            r"; got 'AWS/Comprehend'",
        ):
            RequestSource.of("AWS/Comprehend")

    def test_condition_types_per_source(self) -> None:
        assert TEXTRACT.condition_types == {
            "ImportantFormKeyConfidenceCheck",
            "MissingImportantFormKey",
            "Sampling",
        }
        assert REKOGNITION.condition_types == {"ModerationLabelConfidenceCheck", "Sampling"}


class TestValidation:
    @pytest.mark.parametrize("value", [-0.1, 100.5, float("nan"), True, "60"])
    def test_confidence_is_0_to_100(self, value: Any) -> None:
        with pytest.raises(
            A2IValidationError, match=r"confidence must be (between 0 and 100|a number)"
        ):
            Confidence.less_than(value)

    def test_confidence_edges(self) -> None:
        assert Confidence.equal_to(0).parameter("Confidence") == ("ConfidenceEquals", 0)
        assert Confidence.less_than(100).value == 100

    def test_unknown_comparison(self) -> None:
        with pytest.raises(A2IValidationError, match=r"comparison must be one of Equals, LessThan"):
            Confidence("Below", 50)

    @pytest.mark.parametrize("value", [0.009, 0, 100.01, -5])
    def test_sampling_is_0_01_to_100(self, value: float) -> None:
        with pytest.raises(
            A2IValidationError, match=r"random_sampling_percentage must be between 0\.01 and 100"
        ):
            Sampling(value)

    def test_sampling_edges(self) -> None:
        assert Sampling(0.01).parameters == {"RandomSamplingPercentage": 0.01}
        assert Sampling(100).parameters == {"RandomSamplingPercentage": 100}

    def test_nesting_is_at_most_two_levels(self) -> None:
        two = Or(Sampling(1), And(Sampling(2), Sampling(3)))
        assert two.depth == 2
        with pytest.raises(
            A2IValidationError, match=r"nested at most 2 levels deep; this And has 3"
        ):
            And(Sampling(4), two)

    @pytest.mark.parametrize("operator", [And, Or])
    def test_operators_need_two_conditions(self, operator: type[Condition]) -> None:
        with pytest.raises(A2IValidationError, match=r"must combine at least 2 conditions; got 1"):
            operator(Sampling(5))  # type: ignore[call-arg]
        with pytest.raises(A2IValidationError, match=r"takes conditions"):
            operator(Sampling(5), {"ConditionType": "Sampling"})  # type: ignore[call-arg]

    def test_confidence_check_needs_a_comparison(self) -> None:
        with pytest.raises(
            A2IValidationError, match=r"needs key_value_block_confidence, .*got neither"
        ):
            ImportantFormKeyConfidenceCheck("Name")
        with pytest.raises(A2IValidationError, match=r"confidence must be a Confidence"):
            ModerationLabelConfidenceCheck("Suggestive", confidence=60)  # type: ignore[arg-type]

    def test_keys_and_aliases(self) -> None:
        with pytest.raises(
            A2IValidationError, match=r"important_form_key must be a non-empty string"
        ):
            MissingImportantFormKey(" ")
        with pytest.raises(A2IValidationError, match=r"catch-all '\*' cannot be missing"):
            MissingImportantFormKey("*")
        with pytest.raises(A2IValidationError, match=r"aliases must be a list of strings"):
            MissingImportantFormKey("Name", aliases="Full Name")
        with pytest.raises(A2IValidationError, match=r"aliases items must be a non-empty string"):
            MissingImportantFormKey("Name", aliases=["Full Name", ""])

    def test_at_least_one_condition(self) -> None:
        with pytest.raises(A2IValidationError, match=r"at least one condition"):
            ActivationConditions()

    def test_json_is_at_most_10240_characters(self) -> None:
        def sized(key_length: int) -> ActivationConditions:
            return ActivationConditions(MissingImportantFormKey("k" * key_length))

        overhead = len(sized(1).to_json()) - 1
        assert len(sized(ACTIVATION_CONDITIONS_MAX_LENGTH - overhead).to_json()) == 10240
        with pytest.raises(
            A2IValidationError, match=r"at most 10240 characters of JSON; these are 10241"
        ):
            sized(ACTIVATION_CONDITIONS_MAX_LENGTH - overhead + 1)
        with pytest.raises(
            A2IValidationError, match=r"at most 10240 characters of JSON; got 10241"
        ):
            ActivationConditions.from_json(" " * 10241)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{", r"not valid JSON"),
            ("[]", r'an object with one member, "Conditions"'),
            ('{"Conditions": []}', r"non-empty array"),
            ('{"Conditions": [{"ConditionType": "Guess"}]}', r"ConditionType must be one of"),
            ('{"Conditions": [{"Type": "Sampling"}]}', r"must have a ConditionType"),
            (
                json.dumps(
                    {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {}}]}
                ),
                r"\(Sampling\): missing RandomSamplingPercentage",
            ),
            (
                json.dumps({"Conditions": [sampling(0)]}),
                r"RandomSamplingPercentage must be between 0\.01",
            ),
            (
                json.dumps({"Conditions": [label("*", ConfidenceBelow=5)]}),
                r"unknown ConfidenceBelow; allowed parameters: ",
            ),
            (json.dumps({"Conditions": [label("*")]}), r"needs at least one confidence comparison"),
            (
                json.dumps({"Conditions": [label("*", ConfidenceLessThan=101)]}),
                r"between 0 and 100; got 101",
            ),
            (json.dumps({"Conditions": [{"Or": [sampling(5)]}]}), r"at least 2 conditions; got 1"),
            (
                json.dumps({"Conditions": [{"Or": sampling(5)}]}),
                r"Conditions\[0\]\.Or must be an array",
            ),
            (
                json.dumps(
                    {
                        "Conditions": [
                            {
                                "Or": [
                                    sampling(1),
                                    {"And": [sampling(2), {"Or": [sampling(3), sampling(4)]}]},
                                ]
                            }
                        ]
                    }
                ),
                r"nested at most 2 levels deep",
            ),
        ],
    )
    def test_from_json_rejects(self, text: str, message: str) -> None:
        with pytest.raises(A2IValidationError, match=message):
            ActivationConditions.from_json(text)

    def test_conditions_without_a_request_source(self) -> None:
        with pytest.raises(A2IValidationError, match=r"need a request_source"):
            ActivationConditions(Sampling(5)).check_for(None)


# ----- FlowDefinition integration -----------------------------------------------------

HTML = "<crowd-form><p>{{ task.input.text }}</p></crowd-form>"


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=Environment(**TEST_ENV))


def make_flow(stack: Stack, **overrides: Any) -> FlowDefinition:
    props: dict[str, Any] = {
        "workteam": Workteam.from_workteam_arn(stack, "Team", TEAM_ARN),
        "human_task_ui": HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string(HTML)),
        "task_title": "Review",
        "task_description": "Review the result",
    }
    props.update(overrides)
    return FlowDefinition(stack, "Flow", **props)


def resources(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == type_]


def statements_of(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith(role_prefix):
            out.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return out


TEXTRACT_CONDITIONS = ActivationConditions(
    Or(pay_date_check(key_value_block_confidence=Confidence.less_than(65)), Sampling(5))
)


@pytest.fixture(scope="module")
def textract_flow() -> tuple[FlowDefinition, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(
        stack,
        request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS,
        activation_conditions=TEXTRACT_CONDITIONS,
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    flow.grant_textract_analyze_document(caller)
    return flow, dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def rekognition_flow() -> tuple[FlowDefinition, dict[str, Any]]:
    stack = new_stack()
    flow = make_flow(
        stack,
        # a plain string is accepted too
        request_source="AWS/Rekognition/DetectModerationLabels/Image/V3",
        activation_conditions=[ModerationLabelConfidenceCheck(confidence=Confidence.less_than(90))],
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    flow.grant_rekognition_detect_moderation_labels(caller)
    return flow, dict(Template.from_stack(stack).to_json())


class TestFlowDefinitionIntegration:
    def test_textract_source_and_conditions_reach_the_definition(
        self, textract_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        flow, template = textract_flow
        (resource,) = resources(template, "Custom::A2IFlowDefinition")
        definition = resource["Properties"]["Definition"]
        assert definition["HumanLoopRequestSource"] == {
            "AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"
        }
        conditions = definition["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"][
            "HumanLoopActivationConditions"
        ]
        assert isinstance(conditions, str)  # a JSON string, as the API wants
        assert json.loads(conditions) == TEXTRACT_CONDITIONS.to_dict()
        assert flow.request_source is RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS
        assert flow.activation_conditions is TEXTRACT_CONDITIONS

    def test_grant_textract_allows_the_call_and_starting_loops_of_this_flow(
        self, textract_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        _, template = textract_flow
        statements = statements_of(template, "Caller")
        actions = {s["Action"]: s["Resource"] for s in statements}
        assert actions["textract:AnalyzeDocument"] == "*"
        assert actions["sagemaker:StartHumanLoop"] == {
            "Fn::GetAtt": [
                next(
                    k
                    for k, v in template["Resources"].items()
                    if v["Type"] == "Custom::A2IFlowDefinition"
                ),
                "FlowDefinitionArn",
            ]
        }
        assert len(statements) == 2

    def test_rekognition_source_conditions_and_grant(
        self, rekognition_flow: tuple[FlowDefinition, dict[str, Any]]
    ) -> None:
        flow, template = rekognition_flow
        (resource,) = resources(template, "Custom::A2IFlowDefinition")
        definition = resource["Properties"]["Definition"]
        assert definition["HumanLoopRequestSource"]["AwsManagedHumanLoopRequestSource"] == (
            "AWS/Rekognition/DetectModerationLabels/Image/V3"
        )
        config = definition["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]
        assert json.loads(config["HumanLoopActivationConditions"]) == {
            "Conditions": [label("*", ConfidenceLessThan=90)]
        }
        actions = {s["Action"] for s in statements_of(template, "Caller")}
        assert actions == {"rekognition:DetectModerationLabels", "sagemaker:StartHumanLoop"}
        assert flow.request_source is RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE

    def test_conditions_without_a_request_source_are_refused(self) -> None:
        with pytest.raises(
            A2IValidationError, match=r"activation_conditions need a request_source"
        ):
            make_flow(new_stack(), activation_conditions=ActivationConditions(Sampling(5)))

    def test_conditions_of_the_other_service_are_refused(self) -> None:
        with pytest.raises(
            A2IValidationError,
            match=r"use ImportantFormKeyConfidenceCheck, which Amazon Rekognition .* "
            r"does not support",
        ):
            make_flow(
                new_stack(),
                request_source=RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE,
                activation_conditions=TEXTRACT_CONDITIONS,
            )

    def test_unknown_request_source_is_refused(self) -> None:
        with pytest.raises(A2IValidationError, match=r"request_source must be one of"):
            make_flow(new_stack(), request_source="AWS/Textract/DetectDocumentText/V1")

    def test_a_request_source_without_conditions_reviews_every_call(self) -> None:
        stack = new_stack()
        make_flow(stack, request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        # no synth needed: the definition is built at construction
        (flow,) = [c for c in stack.node.find_all() if isinstance(c, FlowDefinition)]
        properties = stack.resolve(flow.resource._cfn_properties)
        assert "HumanLoopActivationConfig" not in properties["Definition"]
        assert properties["Definition"]["HumanLoopRequestSource"]

    def test_a_custom_task_has_neither(self) -> None:
        stack = new_stack()
        flow = make_flow(stack)
        properties = stack.resolve(flow.resource._cfn_properties)
        assert "HumanLoopRequestSource" not in properties["Definition"]
        assert "HumanLoopActivationConfig" not in properties["Definition"]
        assert flow.request_source is None

    def test_grants_must_match_the_request_source(self) -> None:
        stack = new_stack()
        caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        custom = make_flow(stack)
        with pytest.raises(
            A2IValidationError, match=r"no request_source \(a custom task\); grant_textract"
        ):
            custom.grant_textract_analyze_document(caller)
        stack = new_stack()
        textract = make_flow(stack, request_source=RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        with pytest.raises(
            A2IValidationError,
            match=r"request_source TEXTRACT_ANALYZE_DOCUMENT_FORMS; "
            r"grant_rekognition_detect_moderation_labels",
        ):
            textract.grant_rekognition_detect_moderation_labels(caller)

    def test_imported_flows_can_grant_both(self) -> None:
        stack = new_stack()
        caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        imported = FlowDefinition.from_flow_definition_name(stack, "Imported", "forms-review")
        imported.grant_textract_analyze_document(caller)  # type: ignore[attr-defined]
        imported.grant_rekognition_detect_moderation_labels(caller)  # type: ignore[attr-defined]
        policy = stack.resolve(caller.node.find_child("DefaultPolicy").document)  # type: ignore[attr-defined]
        actions = {s["Action"] for s in policy["Statement"]}
        assert {"textract:AnalyzeDocument", "rekognition:DetectModerationLabels"} <= actions
