"""The error raised when a value breaks one of A2I's rules."""

from __future__ import annotations

__all__ = ["A2IValidationError"]


class A2IValidationError(ValueError):
    """A value A2I would reject; the message names the property, the value and what is allowed.

    Constructs raise it while an app is built, the Lambda functions while they read their
    settings (so a synthesized stack never configures a function with a value it refuses),
    and the ``a2i`` command for bad options.
    """
