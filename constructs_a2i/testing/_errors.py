"""The fake's service errors: what an operation raises to be answered with a modelled error.

An operation never builds an error response itself; it raises :class:`ServiceError` with
the service's error code, and the dispatcher turns that into the wire format and HTTP
status of the service that was called. So an operation reads like the documented rule.
"""

from __future__ import annotations

from typing import Any

from constructs_a2i.testing._validation import validation_message

__all__ = ["ServiceError", "constraint_error", "validation_error"]


class ServiceError(Exception):
    """An error the service answers with: its error ``code`` and ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validation_error(message: str) -> ServiceError:
    """A ValidationException with ``message``."""
    return ServiceError("ValidationException", message)


def constraint_error(value: Any, path: str, constraint: str) -> ServiceError:
    """A ValidationException in the services' own wording for one broken constraint."""
    return validation_error(
        validation_message(
            [f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"]
        )
    )
