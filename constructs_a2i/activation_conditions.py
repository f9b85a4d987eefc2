"""Built-in integrations: the AWS services that start human loops, and when they do.

A flow definition with a :class:`RequestSource` is started by Amazon Textract
(``AnalyzeDocument`` with forms) or Amazon Rekognition (``DetectModerationLabels``)
when the caller passes a ``HumanLoopConfig``. Its :class:`ActivationConditions` decide
which results go to reviewers; they are the JSON documented in *JSON Schema for Human
Loop Activation Conditions in Amazon Augmented AI*, built from typed pieces::

    conditions = ActivationConditions(
        Or(
            ImportantFormKeyConfidenceCheck(
                "Pay Date",
                aliases=["PayDate", "DateOfPay"],
                key_value_block_confidence=Confidence.less_than(65),
                word_block_confidence=Confidence.less_than(85),
            ),
            Sampling(5),
        ),
    )

Textract forms support :class:`ImportantFormKeyConfidenceCheck`,
:class:`MissingImportantFormKey` and :class:`Sampling`; Rekognition moderation supports
:class:`ModerationLabelConfidenceCheck` and :class:`Sampling`. :class:`And` and
:class:`Or` combine at least two conditions and nest at most two levels deep.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping, Sequence
from typing import Any

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import ACTIVATION_CONDITIONS_MAX_LENGTH, check_number_range
from constructs_a2i.core.request_sources import (
    IMPORTANT_FORM_KEY_CONFIDENCE_CHECK as _IMPORTANT_FORM_KEY_CONFIDENCE_CHECK,
)
from constructs_a2i.core.request_sources import (
    MISSING_IMPORTANT_FORM_KEY as _MISSING_IMPORTANT_FORM_KEY,
)
from constructs_a2i.core.request_sources import (
    MODERATION_LABEL_CONFIDENCE_CHECK as _MODERATION_LABEL_CONFIDENCE_CHECK,
)
from constructs_a2i.core.request_sources import SAMPLING as _SAMPLING
from constructs_a2i.core.request_sources import RequestSource

__all__ = [
    "ACTIVATION_CONDITIONS_MAX_LENGTH",
    "MAX_NESTING_DEPTH",
    "ActivationConditions",
    "And",
    "Condition",
    "Confidence",
    "ImportantFormKeyConfidenceCheck",
    "MissingImportantFormKey",
    "ModerationLabelConfidenceCheck",
    "Or",
    "RequestSource",
    "Sampling",
]

MAX_NESTING_DEPTH = 2
"""How deep ``And``/``Or`` may nest: an operator inside an operator, no further."""

_COMPARISONS = ("Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")


class Confidence:
    """A comparison of a confidence score (0-100), such as ``Confidence.less_than(60)``."""

    def __init__(self, comparison: str, value: float) -> None:
        """Prefer the factories (:meth:`less_than`, ...).

        :param comparison: one of ``Equals``, ``LessThan``, ``LessThanEquals``,
            ``GreaterThan``, ``GreaterThanEquals``.
        :param value: the confidence, 0-100.
        """
        if comparison not in _COMPARISONS:
            raise A2IValidationError(
                f"confidence comparison must be one of {', '.join(_COMPARISONS)}; "
                f"got {comparison!r}"
            )
        check_number_range("confidence", value, 0, 100)
        self._comparison = comparison
        self._value = value

    @classmethod
    def less_than(cls, value: float) -> Confidence:
        """Confidence ``< value``."""
        return cls("LessThan", value)

    @classmethod
    def less_than_or_equal_to(cls, value: float) -> Confidence:
        """Confidence ``<= value``."""
        return cls("LessThanEquals", value)

    @classmethod
    def greater_than(cls, value: float) -> Confidence:
        """Confidence ``> value``."""
        return cls("GreaterThan", value)

    @classmethod
    def greater_than_or_equal_to(cls, value: float) -> Confidence:
        """Confidence ``>= value``."""
        return cls("GreaterThanEquals", value)

    @classmethod
    def equal_to(cls, value: float) -> Confidence:
        """Confidence ``== value``."""
        return cls("Equals", value)

    @property
    def comparison(self) -> str:
        """The comparison's suffix in the JSON, such as ``LessThan``."""
        return self._comparison

    @property
    def value(self) -> float:
        """The confidence compared with, 0-100."""
        return self._value

    def parameter(self, prefix: str) -> tuple[str, float]:
        """The ``ConditionParameters`` entry: ``(prefix + comparison, value)``."""
        return f"{prefix}{self._comparison}", self._value

    def __repr__(self) -> str:
        return f"Confidence({self._comparison!r}, {self._value!r})"


class Condition(abc.ABC):
    """A member of the ``Conditions`` array: a simple condition, ``And`` or ``Or``."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The condition as JSON-ready data."""

    @property
    @abc.abstractmethod
    def condition_types(self) -> frozenset[str]:
        """Every ``ConditionType`` used in this condition."""

    @property
    def depth(self) -> int:
        """How many ``And``/``Or`` levels this condition has (0 for a simple one)."""
        return 0


class _SimpleCondition(Condition):
    def __init__(self, condition_type: str, parameters: Mapping[str, Any]) -> None:
        self._condition_type = condition_type
        self._parameters = dict(parameters)

    @property
    def condition_type(self) -> str:
        """The condition's ``ConditionType``."""
        return self._condition_type

    @property
    def parameters(self) -> dict[str, Any]:
        """The condition's ``ConditionParameters``."""
        return json.loads(json.dumps(self._parameters))  # type: ignore[no-any-return]

    @property
    def condition_types(self) -> frozenset[str]:
        return frozenset({self._condition_type})

    def to_dict(self) -> dict[str, Any]:
        return {"ConditionType": self._condition_type, "ConditionParameters": self.parameters}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.parameters!r})"


def _check_key(prop: str, key: object, *, allow_catch_all: bool = True) -> str:
    if not isinstance(key, str) or not key.strip():
        raise A2IValidationError(f"{prop} must be a non-empty string; got {key!r}")
    if key == "*" and not allow_catch_all:
        raise A2IValidationError(
            f"{prop} must name a form key; the catch-all '*' cannot be missing from a form"
        )
    return key


def _check_aliases(prop: str, aliases: object) -> list[str]:
    if isinstance(aliases, str) or not isinstance(aliases, Sequence):
        raise A2IValidationError(f"{prop} must be a list of strings; got {aliases!r}")
    return [_check_key(f"{prop} items", alias) for alias in aliases]


def _check_confidence(prop: str, value: object) -> Confidence:
    if not isinstance(value, Confidence):
        raise A2IValidationError(
            f"{prop} must be a Confidence such as Confidence.less_than(60); got {value!r}"
        )
    return value


class ImportantFormKeyConfidenceCheck(_SimpleCondition):
    """Textract: review key-value pairs of a form key whose confidence is in a range.

    ::

        ImportantFormKeyConfidenceCheck("Employee Name", aliases=["Name"],
            key_value_block_confidence=Confidence.less_than(60),
            word_block_confidence=Confidence.less_than(85))
    """

    def __init__(
        self,
        important_form_key: str = "*",
        *,
        aliases: Sequence[str] = (),
        key_value_block_confidence: Confidence | None = None,
        word_block_confidence: Confidence | None = None,
    ) -> None:
        """
        :param important_form_key: the form key to check; ``*`` (the default) matches
            every key.
        :param aliases: other spellings of the key. Default: none.
        :param key_value_block_confidence: the comparison of the key-value block's
            confidence. Default: none.
        :param word_block_confidence: the comparison of the confidence of the word
            blocks of the key and value. Default: none.

        At least one of the two comparisons is required.
        """
        key = _check_key("important_form_key", important_form_key)
        alias_list = _check_aliases("aliases", aliases)
        if key_value_block_confidence is None and word_block_confidence is None:
            raise A2IValidationError(
                "ImportantFormKeyConfidenceCheck needs key_value_block_confidence, "
                "word_block_confidence or both (for example Confidence.less_than(60)); got neither"
            )
        parameters: dict[str, Any] = {"ImportantFormKey": key}
        if alias_list:
            parameters["ImportantFormKeyAliases"] = alias_list
        if key_value_block_confidence is not None:
            name, value = _check_confidence(
                "key_value_block_confidence", key_value_block_confidence
            ).parameter("KeyValueBlockConfidence")
            parameters[name] = value
        if word_block_confidence is not None:
            name, value = _check_confidence(
                "word_block_confidence", word_block_confidence
            ).parameter("WordBlockConfidence")
            parameters[name] = value
        super().__init__(_IMPORTANT_FORM_KEY_CONFIDENCE_CHECK, parameters)


class MissingImportantFormKey(_SimpleCondition):
    """Textract: review the form when a key (or every alias of it) was not found."""

    def __init__(self, important_form_key: str, *, aliases: Sequence[str] = ()) -> None:
        """
        :param important_form_key: the form key that must be present.
        :param aliases: other spellings of the key. Default: none.
        """
        key = _check_key("important_form_key", important_form_key, allow_catch_all=False)
        alias_list = _check_aliases("aliases", aliases)
        parameters: dict[str, Any] = {"ImportantFormKey": key}
        if alias_list:
            parameters["ImportantFormKeyAliases"] = alias_list
        super().__init__(_MISSING_IMPORTANT_FORM_KEY, parameters)


class ModerationLabelConfidenceCheck(_SimpleCondition):
    """Rekognition: review a moderation label whose confidence is in a range.

    ::

        ModerationLabelConfidenceCheck("Suggestive", confidence=Confidence.less_than(60))
    """

    def __init__(self, moderation_label_name: str = "*", *, confidence: Confidence) -> None:
        """
        :param moderation_label_name: the exact (case-sensitive) label name; ``*`` (the
            default) matches every label.
        :param confidence: the comparison of the label's confidence.
        """
        name = _check_key("moderation_label_name", moderation_label_name)
        parameter, value = _check_confidence("confidence", confidence).parameter("Confidence")
        super().__init__(
            _MODERATION_LABEL_CONFIDENCE_CHECK,
            {"ModerationLabelName": name, parameter: value},
        )


class Sampling(_SimpleCondition):
    """Review a random share of the results: ``Sampling(5)`` sends 5 % to reviewers."""

    def __init__(self, random_sampling_percentage: float) -> None:
        """
        :param random_sampling_percentage: the percentage to review, 0.01-100.
        """
        check_number_range("random_sampling_percentage", random_sampling_percentage, 0.01, 100)
        super().__init__(_SAMPLING, {"RandomSamplingPercentage": random_sampling_percentage})


class _Operator(Condition):
    _KEY = ""

    def __init__(self, *conditions: Condition) -> None:
        for condition in conditions:
            if not isinstance(condition, Condition):
                raise A2IValidationError(
                    f"{self._KEY} takes conditions (Sampling(...), And(...), ...); "
                    f"got {condition!r}"
                )
        if len(conditions) < 2:
            raise A2IValidationError(
                f"{self._KEY} must combine at least 2 conditions; got {len(conditions)}"
            )
        self._conditions = tuple(conditions)
        if self.depth > MAX_NESTING_DEPTH:
            raise A2IValidationError(
                f"And/Or may be nested at most {MAX_NESTING_DEPTH} levels deep; this {self._KEY} "
                f"has {self.depth} levels"
            )

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The combined conditions."""
        return self._conditions

    @property
    def depth(self) -> int:
        return 1 + max(c.depth for c in self._conditions)

    @property
    def condition_types(self) -> frozenset[str]:
        return frozenset().union(*(c.condition_types for c in self._conditions))

    def to_dict(self) -> dict[str, Any]:
        return {self._KEY: [c.to_dict() for c in self._conditions]}

    def __repr__(self) -> str:
        return f"{self._KEY}({', '.join(map(repr, self._conditions))})"


class And(_Operator):
    """True when every one of at least two conditions is: ``And(Sampling(5), check)``."""

    _KEY = "And"


class Or(_Operator):
    """True when any one of at least two conditions is: ``Or(check, Sampling(5))``."""

    _KEY = "Or"


class ActivationConditions:
    """The ``HumanLoopActivationConditions`` of a flow definition with a request source.

    A human loop starts when any of the conditions is true. Build them from the
    condition classes, or read existing JSON with :meth:`from_json`::

        ActivationConditions(
            ModerationLabelConfidenceCheck("*", confidence=Confidence.less_than(90)),
            Sampling(1),
        )
    """

    def __init__(self, *conditions: Condition) -> None:
        """
        :param conditions: at least one condition; a human loop starts when any is true.
        """
        if not conditions:
            raise A2IValidationError("activation_conditions must hold at least one condition")
        for condition in conditions:
            if not isinstance(condition, Condition):
                raise A2IValidationError(
                    f"activation_conditions takes conditions (Sampling(...), Or(...), ...); "
                    f"got {condition!r}"
                )
        self._conditions = tuple(conditions)
        length = len(self.to_json())
        if length > ACTIVATION_CONDITIONS_MAX_LENGTH:
            raise A2IValidationError(
                f"activation_conditions must be at most {ACTIVATION_CONDITIONS_MAX_LENGTH} "
                f"characters of JSON; these are {length}"
            )

    @classmethod
    def from_json(cls, text: str) -> ActivationConditions:
        """Conditions from the documented JSON (checked: structure, types and ranges)."""
        if not isinstance(text, str):
            raise A2IValidationError(
                f"activation_conditions JSON must be a string; got {type(text).__name__}"
            )
        if len(text) > ACTIVATION_CONDITIONS_MAX_LENGTH:
            raise A2IValidationError(
                f"activation_conditions must be at most {ACTIVATION_CONDITIONS_MAX_LENGTH} "
                f"characters of JSON; got {len(text)}"
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise A2IValidationError(f"activation_conditions is not valid JSON: {error}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActivationConditions:
        """Conditions from parsed JSON data (``{"Conditions": [...]}``)."""
        if not isinstance(data, Mapping) or set(data) != {"Conditions"}:
            raise A2IValidationError(
                'activation_conditions must be an object with one member, "Conditions"; '
                f"got {_preview(data)}"
            )
        items = data["Conditions"]
        if not isinstance(items, list) or not items:
            raise A2IValidationError(
                'activation_conditions "Conditions" must be a non-empty array; '
                f"got {_preview(items)}"
            )
        return cls(*(_parse(item, f"Conditions[{i}]") for i, item in enumerate(items)))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The conditions, any of which starts a human loop."""
        return self._conditions

    @property
    def condition_types(self) -> frozenset[str]:
        """Every ``ConditionType`` used."""
        return frozenset().union(*(c.condition_types for c in self._conditions))

    def to_dict(self) -> dict[str, Any]:
        """The conditions as JSON-ready data: ``{"Conditions": [...]}``."""
        return {"Conditions": [c.to_dict() for c in self._conditions]}

    def to_json(self) -> str:
        """The compact JSON string A2I receives."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def check_for(
        self, request_source: RequestSource | None, prop: str = "activation_conditions"
    ) -> None:
        """Raise :class:`A2IValidationError` unless ``request_source`` supports every condition."""
        if request_source is None:
            raise A2IValidationError(
                f"{prop} need a request_source: A2I evaluates activation conditions only for "
                "Amazon Textract or Amazon Rekognition integrations "
                "(RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS or "
                "RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE); custom tasks start "
                "a human loop with every StartHumanLoop call"
            )
        source = RequestSource.of(request_source)
        unsupported = self.condition_types - source.condition_types
        if unsupported:
            raise A2IValidationError(
                f"{prop} use {', '.join(sorted(unsupported))}, which {source.display_name} does "
                f"not support; it supports {', '.join(sorted(source.condition_types))}"
            )

    def __repr__(self) -> str:
        return f"ActivationConditions({', '.join(map(repr, self._conditions))})"


def _preview(value: object) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= 80 else f"{text[:77]}..."


_PARAMETERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # condition type: (required parameters, optional parameters)
    _IMPORTANT_FORM_KEY_CONFIDENCE_CHECK: (
        frozenset({"ImportantFormKey"}),
        frozenset(
            {"ImportantFormKeyAliases"}
            | {f"KeyValueBlockConfidence{c}" for c in _COMPARISONS}
            | {f"WordBlockConfidence{c}" for c in _COMPARISONS}
        ),
    ),
    _MISSING_IMPORTANT_FORM_KEY: (
        frozenset({"ImportantFormKey"}),
        frozenset({"ImportantFormKeyAliases"}),
    ),
    _MODERATION_LABEL_CONFIDENCE_CHECK: (
        frozenset({"ModerationLabelName"}),
        frozenset(f"Confidence{c}" for c in _COMPARISONS),
    ),
    _SAMPLING: (frozenset({"RandomSamplingPercentage"}), frozenset()),
}


def _parse(item: object, where: str) -> Condition:
    if not isinstance(item, Mapping):
        raise A2IValidationError(f"activation_conditions {where} must be an object; got {item!r}")
    keys = set(item)
    if keys in ({"And"}, {"Or"}):
        key = next(iter(keys))
        members = item[key]
        if not isinstance(members, list):
            raise A2IValidationError(
                f"activation_conditions {where}.{key} must be an array; got {_preview(members)}"
            )
        parsed = [_parse(m, f"{where}.{key}[{i}]") for i, m in enumerate(members)]
        return And(*parsed) if key == "And" else Or(*parsed)
    if "ConditionType" not in keys or not keys <= {"ConditionType", "ConditionParameters"}:
        raise A2IValidationError(
            f"activation_conditions {where} must have a ConditionType (and ConditionParameters), "
            f'or be {{"And": [...]}} or {{"Or": [...]}}; got keys {sorted(keys)}'
        )
    condition_type = item["ConditionType"]
    if condition_type not in _PARAMETERS:
        raise A2IValidationError(
            f"activation_conditions {where}.ConditionType must be one of "
            f"{', '.join(sorted(_PARAMETERS))}; got {condition_type!r}"
        )
    parameters = item.get("ConditionParameters", {})
    if not isinstance(parameters, Mapping):
        raise A2IValidationError(
            f"activation_conditions {where}.ConditionParameters must be an object; "
            f"got {_preview(parameters)}"
        )
    required, optional = _PARAMETERS[condition_type]
    missing = required - set(parameters)
    unknown = set(parameters) - required - optional
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(sorted(missing))}")
        if unknown:
            problems.append(f"unknown {', '.join(sorted(unknown))}")
        raise A2IValidationError(
            f"activation_conditions {where} ({condition_type}): {'; '.join(problems)}; "
            f"allowed parameters: {', '.join(sorted(required | optional))}"
        )
    for name, value in parameters.items():
        prop = f"activation_conditions {where}.{name}"
        if name == "RandomSamplingPercentage":
            check_number_range(prop, value, 0.01, 100)
        elif "Confidence" in name:
            check_number_range(prop, value, 0, 100)
        elif name == "ImportantFormKeyAliases":
            _check_aliases(prop, value)
        else:
            _check_key(prop, value, allow_catch_all=condition_type != _MISSING_IMPORTANT_FORM_KEY)
    needs_confidence = condition_type in (
        _IMPORTANT_FORM_KEY_CONFIDENCE_CHECK,
        _MODERATION_LABEL_CONFIDENCE_CHECK,
    )
    if needs_confidence and not any("Confidence" in name for name in parameters):
        raise A2IValidationError(
            f"activation_conditions {where} ({condition_type}) needs at least one "
            "confidence comparison"
        )
    return _SimpleCondition(condition_type, parameters)
