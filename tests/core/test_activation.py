"""Activation: one class parses, checks and evaluates, for the construct and its Lambda."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from constructs_a2i.core.activation import OPERATORS, Activation
from constructs_a2i.core.errors import A2IValidationError


def test_factories_and_json_form() -> None:
    assert Activation.above("score", 3).operator == "gt"
    assert Activation.below("score", 0.5).operator == "lt"
    assert Activation.equals("$.label", "cat").to_json() == (
        '{"path":"$.label","operator":"eq","value":"cat"}'
    )
    activation = Activation("$.x", "ne", None)
    assert Activation.from_json(activation.to_json()) == activation


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("$.c", "lt", True), r"value for 'lt' must be a finite number"),
        (("$.c", "lt", "0.5"), r"value for 'lt' must be a finite number"),
        (("$.c", "ge", None), r"value for 'ge' must be a finite number"),
        (("$.c", "lt", float("nan")), r"value for 'lt' must be a finite number"),
        (("$.c", "gt", math.inf), r"value for 'gt' must be a finite number"),
        (("$.c", "eq", [1, 2]), r"value for 'eq' must be a JSON scalar"),
        (("$.c", "eq", {"a": 1}), r"value for 'eq' must be a JSON scalar"),
        (("$.c", "ne", float("nan")), r"value for 'ne' must be a JSON scalar"),
        (("$.c", "eq", object()), r"value for 'eq' must be a JSON scalar"),
        (("$.c", "between", 1), r"operator must be one of"),
        (("$.", "lt", 1), r"activation path must be a path"),
        (("$.my key", "eq", [1]), r"JSON scalar"),
    ],
)
def test_invalid_activations_are_refused_at_once(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(A2IValidationError, match=message):
        Activation(*args)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "ACTIVATION is not valid JSON"),
        ('{"path": "a", "operator": "gt"}', "ACTIVATION must be a JSON object"),
        ('{"path": "a", "operator": "lt", "value": NaN}', "NaN is not a JSON value"),
        ('{"path": "a", "operator": "lt", "value": Infinity}', "not a JSON value"),
        ('{"path": "a", "operator": "lt", "value": true}', "must be a finite number"),
        ('{"path": 1, "operator": "lt", "value": 1}', "must be strings"),
        ('["a", "lt", 1]', "must be a JSON object"),
    ],
)
def test_the_lambda_form_is_checked_the_same_way(text: str, message: str) -> None:
    with pytest.raises(A2IValidationError, match=message):
        Activation.from_json(text)


@pytest.mark.parametrize(
    ("activation", "message", "expected"),
    [
        (Activation.below("$.p.c", 0.8), {"p": {"c": 0.5}}, True),
        (Activation.below("$.p.c", 0.8), {"p": {"c": 0.8}}, False),
        (Activation("$.p.c", "le", 0.8), {"p": {"c": 0.8}}, True),
        (Activation("$.n", "ge", 2), {"n": 2.0}, True),
        (Activation.above("$.n", 10**20), {"n": 10**20 + 1}, True),
        (Activation.equals("$.label", "cat"), {"label": "cat"}, True),
        (Activation("$.label", "ne", "cat"), {"label": "dog"}, True),
        (Activation.equals("$.flag", True), {"flag": True}, True),
        (Activation.equals("$.v", None), {"v": None}, True),
        (Activation.equals("$.items[0]", 1), {"items": [1]}, True),
    ],
)
def test_evaluate(activation: Activation, message: Any, expected: bool) -> None:
    assert activation.evaluate(message) is expected


@pytest.mark.parametrize(
    ("activation", "message", "reason"),
    [
        (Activation.below("$.c", 1), {}, "is missing"),
        (Activation.below("$.c", 1), {"c": "0.5"}, "holds a string"),
        (Activation.below("$.c", 1), {"c": True}, "holds a boolean"),
        (Activation.equals("$.c", 1), {"c": [1]}, "holds a structured value"),
        (Activation.equals("$.flag", True), {"flag": 1}, "holds a number"),
    ],
)
def test_values_of_another_kind_cannot_be_evaluated(
    activation: Activation, message: Any, reason: str
) -> None:
    verdict = activation.evaluate(message)
    assert isinstance(verdict, str) and reason in verdict


def test_every_operator_round_trips() -> None:
    for operator in OPERATORS:
        activation = Activation("$.x", operator, 1)
        assert Activation.from_json(activation.to_json()) == activation
        assert json.loads(activation.to_json())["operator"] == operator
