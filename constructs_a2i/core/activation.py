"""When a message starts a human loop: ``<value at path> <operator> <value>``.

The ``HumanLoopStarter`` construct builds an :class:`Activation`, writes it to its Lambda's
``ACTIVATION`` variable with :meth:`Activation.to_json`, and the Lambda reads it back with
:meth:`Activation.from_json` and calls :meth:`Activation.evaluate` on every message: one class,
so the construct accepts an activation exactly when the Lambda does.

* ``lt``, ``le``, ``gt``, ``ge`` compare with a finite number (not a boolean);
* ``eq``, ``ne`` compare with a JSON scalar: a string, a finite number, ``true``/``false`` or
  ``null``.

A message whose value is missing, or of another kind (a string where a number is wanted), cannot
be evaluated: the starter fails that message as malformed.
"""

from __future__ import annotations

import json
import math
import operator as _operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from constructs_a2i.core import strict_json
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview
from constructs_a2i.core.paths import MISSING, Path

__all__ = ["OPERATORS", "ORDERED_OPERATORS", "Activation"]

_COMPARE: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "lt": _operator.lt,
    "le": _operator.le,
    "gt": _operator.gt,
    "ge": _operator.ge,
    "eq": _operator.eq,
    "ne": _operator.ne,
}
OPERATORS: Final = tuple(_COMPARE)
"""Every operator an activation may use."""
ORDERED_OPERATORS: Final = ("lt", "le", "gt", "ge")
"""The operators that need a number."""


def _kind(value: Any) -> str | None:
    """The comparison kind of a JSON value (``None`` for objects, arrays and non-JSON)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "number" if math.isfinite(value) else None
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return None


@dataclass(frozen=True)
class Activation:
    """Start a loop only when the message's value at ``path`` compares true with ``value``.

    ::

        Activation.below("$.prediction.confidence", 0.8)

    Raises :class:`A2IValidationError` at once for an invalid path, operator or value.
    """

    path: str
    """Where the value is in the message, e.g. ``$.prediction.confidence``."""
    operator: str
    """One of ``lt``, ``le``, ``gt``, ``ge``, ``eq``, ``ne``."""
    value: Any
    """What the message's value is compared with."""
    _parsed_path: Path = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = Path.parse(self.path, "activation path")
        if self.operator not in _COMPARE:
            raise A2IValidationError(
                f"activation operator must be one of {list(OPERATORS)}; "
                f"got {preview(self.operator)}"
            )
        kind = _kind(self.value)
        if self.operator in ORDERED_OPERATORS and kind != "number":
            raise A2IValidationError(
                f"activation value for {self.operator!r} must be a finite number; "
                f"got {preview(self.value)}"
            )
        if kind is None:
            raise A2IValidationError(
                f"activation value for {self.operator!r} must be a JSON scalar (a string, a "
                f"finite number, true, false or null); got {preview(self.value)}"
            )
        object.__setattr__(self, "_parsed_path", parsed)

    @classmethod
    def below(cls, path: str, threshold: float) -> Activation:
        """Start a loop when the value at ``path`` is less than ``threshold``."""
        return cls(path, "lt", threshold)

    @classmethod
    def above(cls, path: str, threshold: float) -> Activation:
        """Start a loop when the value at ``path`` is greater than ``threshold``."""
        return cls(path, "gt", threshold)

    @classmethod
    def equals(cls, path: str, value: Any) -> Activation:
        """Start a loop when the value at ``path`` equals ``value`` (a JSON scalar)."""
        return cls(path, "eq", value)

    def to_json(self) -> str:
        """The form the starter Lambda reads from its ``ACTIVATION`` variable."""
        return json.dumps(
            {"path": self.path, "operator": self.operator, "value": self.value},
            separators=(",", ":"),
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, text: str, prop: str = "ACTIVATION") -> Activation:
        """Read :meth:`to_json`'s form; raise :class:`A2IValidationError` naming ``prop``."""
        try:
            spec = strict_json.loads(text)
        except ValueError as error:
            raise A2IValidationError(f"{prop} is not valid JSON: {error}") from None
        if not isinstance(spec, dict) or set(spec) != {"path", "operator", "value"}:
            raise A2IValidationError(
                f'{prop} must be a JSON object {{"path": ..., "operator": ..., "value": ...}}'
            )
        if not isinstance(spec["path"], str) or not isinstance(spec["operator"], str):
            raise A2IValidationError(f"{prop} path and operator must be strings")
        try:
            return cls(spec["path"], spec["operator"], spec["value"])
        except A2IValidationError as error:
            raise A2IValidationError(f"{prop}: {error}") from None

    def evaluate(self, message: Any) -> bool | str:
        """``True``/``False``, or the reason ``message`` cannot be evaluated."""
        found = self._parsed_path.find(message)
        if found is MISSING:
            return f"activation path {self.path!r} is missing from the message"
        found_kind, wanted_kind = _kind(found), _kind(self.value)
        if found_kind != wanted_kind:
            return (
                f"activation path {self.path!r} holds a {found_kind or 'structured value'}, "
                f"not comparable with the configured {wanted_kind}"
            )
        return bool(_COMPARE[self.operator](found, self.value))
