"""What the public crowd (Amazon Mechanical Turk) is paid per task.

A2I accepts only the prices AWS lists, and the list depends on the flow's task type:
custom tasks, Amazon Textract forms reviews and Amazon Rekognition moderation reviews
each have their own. :class:`TaskPrice` accepts any price of any A2I list when it is
made; :class:`~constructs_a2i.flow_definition.FlowDefinition` then checks it against
the list of its own task type (see :meth:`TaskPrice.check_for`)::

    crowd = Workteam.public_crowd(stack, "Crowd", task_price=TaskPrice.usd("0.036"))
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from typing import Any

from constructs_a2i.activation_conditions import RequestSource
from constructs_a2i.validation import A2IValidationError

__all__ = [
    "CUSTOM_TASK_PRICES",
    "REKOGNITION_MODERATION_TASK_PRICES",
    "TEXTRACT_FORMS_TASK_PRICES",
    "TaskPrice",
]


def _prices(*amounts: str) -> tuple[Decimal, ...]:
    return tuple(sorted(Decimal(a) for a in amounts))


_UP_TO_1_200 = [
    "0.012",
    "0.024",
    "0.036",
    "0.048",
    "0.060",
    "0.072",
    "0.120",
    "0.240",
    "0.360",
    "0.480",
    "0.600",
    "0.720",
    "0.840",
    "0.960",
    "1.080",
    "1.200",
]

CUSTOM_TASK_PRICES: tuple[Decimal, ...] = _prices(*_UP_TO_1_200)
"""USD prices AWS lists for A2I custom human review tasks (flows without a request source)."""

TEXTRACT_FORMS_TASK_PRICES: tuple[Decimal, ...] = _prices(
    *_UP_TO_1_200,
    *["1.320", "1.440", "1.560", "1.680", "1.800", "1.920", "2.040", "2.160", "2.280", "2.400"],
)
"""USD prices AWS lists for Amazon Textract AnalyzeDocument (forms) review tasks."""

REKOGNITION_MODERATION_TASK_PRICES: tuple[Decimal, ...] = _prices(*_UP_TO_1_200)
"""USD prices AWS lists for Amazon Rekognition DetectModerationLabels review tasks."""

_ALL_PRICES: tuple[Decimal, ...] = tuple(
    sorted(
        set(CUSTOM_TASK_PRICES)
        | set(TEXTRACT_FORMS_TASK_PRICES)
        | set(REKOGNITION_MODERATION_TASK_PRICES)
    )
)
_TENTHS_PER_DOLLAR = 1000  # 100 cents, 10 tenths of a cent each


def _task_type(request_source: RequestSource | None) -> str:
    if request_source is None:
        return "custom tasks (no request_source)"
    return f"{RequestSource(request_source).display_name} tasks"


def _format(amount: Decimal) -> str:
    return f"{amount:.3f}"


def _nearest(amount: Decimal, allowed: tuple[Decimal, ...]) -> str:
    below = [p for p in allowed if p < amount]
    above = [p for p in allowed if p > amount]
    nearest = ([max(below)] if below else []) + ([min(above)] if above else [])
    return " or ".join(_format(p) for p in nearest)


@functools.total_ordering
class TaskPrice:
    """The amount paid to a public-crowd worker for each task, in US dollars.

    Make one with :meth:`usd` (``TaskPrice.usd("0.036")``) or from its parts
    (``TaskPrice(dollars=0, cents=3, tenth_fractions_of_a_cent=6)``). Only prices AWS
    lists for some A2I task type are accepted; a flow definition then requires one of
    the prices listed for its own task type (:meth:`allowed_for`). Private and vendor
    teams are not paid per task: giving them a price is an error.
    """

    def __init__(self, *, dollars: int = 0, cents: int = 0, tenth_fractions_of_a_cent: int = 0):
        """
        :param dollars: whole dollars, 0-2.
        :param cents: cents, 0-99.
        :param tenth_fractions_of_a_cent: tenths of a cent, 0-9.
        """
        for prop, value, maximum in (
            ("dollars", dollars, 2),
            ("cents", cents, 99),
            ("tenth_fractions_of_a_cent", tenth_fractions_of_a_cent, 9),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise A2IValidationError(f"task_price {prop} must be a whole number; got {value!r}")
            if not 0 <= value <= maximum:
                raise A2IValidationError(
                    f"task_price {prop} must be between 0 and {maximum}; got {value}"
                )
        self._tenths = dollars * _TENTHS_PER_DOLLAR + cents * 10 + tenth_fractions_of_a_cent
        if self.amount_in_usd not in _ALL_PRICES:
            raise A2IValidationError(
                f"task_price must be a price AWS lists for A2I tasks (USD "
                f"{', '.join(_format(p) for p in _ALL_PRICES)}); got "
                f"{_format(self.amount_in_usd)}; nearest allowed: "
                f"{_nearest(self.amount_in_usd, _ALL_PRICES)}"
            )

    @classmethod
    def usd(cls, amount: str | Decimal | float | int) -> TaskPrice:
        """A price in US dollars, such as ``"0.036"`` or ``1.2``.

        Use a string or a :class:`~decimal.Decimal` for exact amounts; a float is read
        as the shortest decimal that prints as it (``0.036``). The amount must be a
        whole number of tenths of a cent.
        """
        if isinstance(amount, bool) or not isinstance(amount, str | Decimal | float | int):
            raise A2IValidationError(
                f"task_price must be an amount in US dollars such as '0.036'; got {amount!r}"
            )
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            raise A2IValidationError(
                f"task_price must be an amount in US dollars such as '0.036'; got {amount!r}"
            ) from None
        if not value.is_finite() or value < 0:
            raise A2IValidationError(
                f"task_price must be a positive amount in US dollars; got {amount!r}"
            )
        tenths = value * _TENTHS_PER_DOLLAR
        if tenths != tenths.to_integral_value():
            raise A2IValidationError(
                f"task_price must be a whole number of tenths of a cent (three decimal "
                f"places at most); got {amount!r}; nearest allowed: {_nearest(value, _ALL_PRICES)}"
            )
        if value > _ALL_PRICES[-1]:
            raise A2IValidationError(
                f"task_price must be at most {_format(_ALL_PRICES[-1])} USD, the highest price "
                f"AWS lists for A2I tasks; got {amount!r}; nearest allowed: "
                f"{_format(_ALL_PRICES[-1])}"
            )
        whole = int(tenths)
        return cls(
            dollars=whole // _TENTHS_PER_DOLLAR,
            cents=whole % _TENTHS_PER_DOLLAR // 10,
            tenth_fractions_of_a_cent=whole % 10,
        )

    @staticmethod
    def allowed_for(request_source: RequestSource | None = None) -> tuple[TaskPrice, ...]:
        """The prices AWS lists for a task type: custom tasks when ``request_source`` is None."""
        return tuple(TaskPrice.usd(p) for p in _allowed(request_source))

    def check_for(self, request_source: RequestSource | None, prop: str = "task_price") -> None:
        """Raise :class:`A2IValidationError` unless AWS lists this price for the task type."""
        allowed = _allowed(request_source)
        if self.amount_in_usd not in allowed:
            raise A2IValidationError(
                f"{prop} {_format(self.amount_in_usd)} USD is not a price AWS lists for "
                f"{_task_type(request_source)}; allowed: "
                f"{', '.join(_format(p) for p in allowed)}; nearest allowed: "
                f"{_nearest(self.amount_in_usd, allowed)}"
            )

    @property
    def amount_in_usd(self) -> Decimal:
        """The price in US dollars, three decimal places."""
        return (Decimal(self._tenths) / _TENTHS_PER_DOLLAR).quantize(Decimal("0.001"))

    @property
    def dollars(self) -> int:
        """The whole dollars of the price."""
        return self._tenths // _TENTHS_PER_DOLLAR

    @property
    def cents(self) -> int:
        """The cents of the price (0-99)."""
        return self._tenths % _TENTHS_PER_DOLLAR // 10

    @property
    def tenth_fractions_of_a_cent(self) -> int:
        """The tenths of a cent of the price (0-9)."""
        return self._tenths % 10

    def to_public_workforce_task_price(self) -> dict[str, Any]:
        """The ``PublicWorkforceTaskPrice`` structure of ``CreateFlowDefinition``."""
        return {
            "AmountInUsd": {
                "Dollars": self.dollars,
                "Cents": self.cents,
                "TenthFractionsOfACent": self.tenth_fractions_of_a_cent,
            }
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskPrice):
            return NotImplemented
        return self._tenths == other._tenths

    def __lt__(self, other: TaskPrice) -> bool:
        if not isinstance(other, TaskPrice):
            return NotImplemented
        return self._tenths < other._tenths

    def __hash__(self) -> int:
        return hash(self._tenths)

    def __repr__(self) -> str:
        return f"TaskPrice.usd('{_format(self.amount_in_usd)}')"

    def __str__(self) -> str:
        return f"{_format(self.amount_in_usd)} USD"


def _allowed(request_source: RequestSource | None) -> tuple[Decimal, ...]:
    if request_source is None:
        return CUSTOM_TASK_PRICES
    source = RequestSource(request_source)
    if source is RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS:
        return TEXTRACT_FORMS_TASK_PRICES
    return REKOGNITION_MODERATION_TASK_PRICES
