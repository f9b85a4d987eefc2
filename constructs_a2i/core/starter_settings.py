"""The starter Lambda's settings: built and checked by the construct, read back by the Lambda.

``HumanLoopStarter`` makes a :class:`StarterSettings` from its props (every check runs then, at
synth) and writes :meth:`StarterSettings.to_environment` into its function's environment; the
function reads it back with :meth:`StarterSettings.from_environment`. The round trip is exact,
so the function never meets a setting its construct accepted and it refuses.

Variables:

``FLOW_DEFINITION_ARN`` (required)
    The flow definition every loop is started for.
``SOURCE_KIND``
    ``sqs`` (default: every body is the user's message), ``event-bridge`` (the body is an
    EventBridge event whose ``detail`` is the message) or ``s3`` (an S3 "Object Created" event).
``ID_FIELD``
    A path to the value (a non-empty string or an integer) that identifies a message.
``INPUT_PATH``
    A path to the value used as InputContent (``$``: the whole message, the default).
``ACTIVATION``
    :meth:`constructs_a2i.core.activation.Activation.to_json`'s form.
``CONTENT_CLASSIFIERS``
    Comma-separated ``FreeOfPersonallyIdentifiableInformation``, ``FreeOfAdultContent``.
``MAX_CONCURRENCY``
    Concurrent StartHumanLoop calls per invocation (1-100, default 10).
``LOOP_NAME_PREFIX``
    A valid name part of at most 20 characters that starts every loop name.
``ON_CONFLICT``
    What a message whose loop name is in use with different input becomes: ``succeed`` (the
    default: logged as a ``conflict`` and deleted, as it never starts a loop) or ``fail``
    (reported failed on every delivery, so it reaches the dead-letter queue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from constructs_a2i.core.activation import Activation
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import (
    MAX_CONCURRENCY_RANGE,
    check_content_classifiers,
    check_int_range,
    preview,
)
from constructs_a2i.core.loop_names import check_loop_name_prefix
from constructs_a2i.core.paths import Path

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_ON_CONFLICT",
    "ON_CONFLICT_CHOICES",
    "SOURCE_KINDS",
    "StarterSettings",
]

SOURCE_KINDS: Final = ("sqs", "event-bridge", "s3")
"""What the starter's queue carries: plain messages, EventBridge events, or S3 upload events."""
DEFAULT_MAX_CONCURRENCY: Final = 10
ON_CONFLICT_CHOICES: Final = ("succeed", "fail")
"""What to do with a message whose loop name is in use with different input."""
DEFAULT_ON_CONFLICT: Final = "succeed"


@dataclass(frozen=True)
class StarterSettings:
    """Everything the starter Lambda is configured with; checked when made."""

    flow_definition_arn: str
    source_kind: str = "sqs"
    id_field: Path | None = None
    input_path: Path | None = None
    activation: Activation | None = None
    content_classifiers: tuple[str, ...] = ()
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    loop_name_prefix: str = ""
    on_conflict: str = DEFAULT_ON_CONFLICT

    @classmethod
    def build(
        cls,
        *,
        flow_definition_arn: str,
        source_kind: str = "sqs",
        id_field: str | None = None,
        input_path: str | None = None,
        activation: Activation | None = None,
        content_classifiers: Sequence[str] = (),
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        loop_name_prefix: str | None = None,
        on_conflict: str = DEFAULT_ON_CONFLICT,
        names: Mapping[str, str] | None = None,
    ) -> StarterSettings:
        """Check every value and make the settings. ``names`` maps a field to the name errors
        use for it (the construct's prop names, or the environment variables)."""
        label = {**_ENV_NAMES, **(names or {})}
        if source_kind not in SOURCE_KINDS:
            raise A2IValidationError(
                f"{label['source_kind']} must be one of {list(SOURCE_KINDS)}; "
                f"got {preview(source_kind)}"
            )
        if source_kind == "s3":
            given = [
                label[name]
                for name, value in (
                    ("activation", activation),
                    ("input_path", input_path),
                    ("id_field", id_field),
                )
                if value is not None
            ]
            if given:
                raise A2IValidationError(
                    f"{', '.join(given)} cannot be used with S3 uploads (StarterSource.s3()): an "
                    "upload is identified by its bucket, key and version, and its InputContent is "
                    "a reference to the object; filter uploads with prefix/suffix instead"
                )
        if activation is not None and not isinstance(activation, Activation):
            raise A2IValidationError(
                f"{label['activation']} must be an Activation; got {preview(activation)}"
            )
        check_int_range(label["max_concurrency"], max_concurrency, *MAX_CONCURRENCY_RANGE)
        if on_conflict not in ON_CONFLICT_CHOICES:
            raise A2IValidationError(
                f"{label['on_conflict']} must be one of {list(ON_CONFLICT_CHOICES)}; "
                f"got {preview(on_conflict)}"
            )
        return cls(
            flow_definition_arn=flow_definition_arn,
            source_kind=source_kind,
            id_field=Path.parse(id_field, label["id_field"]) if id_field is not None else None,
            input_path=(
                Path.parse(input_path, label["input_path"], allow_root=True)
                if input_path is not None
                else None
            ),
            activation=activation,
            content_classifiers=check_content_classifiers(
                label["content_classifiers"], content_classifiers
            ),
            max_concurrency=max_concurrency,
            loop_name_prefix=check_loop_name_prefix(
                label["loop_name_prefix"], loop_name_prefix or ""
            ),
            on_conflict=on_conflict,
        )

    def to_environment(self) -> dict[str, str]:
        """The function's environment variables (only those that differ from the defaults)."""
        environment = {
            "FLOW_DEFINITION_ARN": self.flow_definition_arn,
            "SOURCE_KIND": self.source_kind,
            "MAX_CONCURRENCY": str(self.max_concurrency),
        }
        if self.id_field is not None:
            environment["ID_FIELD"] = self.id_field.text
        if self.input_path is not None:
            environment["INPUT_PATH"] = self.input_path.text
        if self.activation is not None:
            environment["ACTIVATION"] = self.activation.to_json()
        if self.content_classifiers:
            environment["CONTENT_CLASSIFIERS"] = ",".join(self.content_classifiers)
        if self.loop_name_prefix:
            environment["LOOP_NAME_PREFIX"] = self.loop_name_prefix
        if self.on_conflict != DEFAULT_ON_CONFLICT:
            environment["ON_CONFLICT"] = self.on_conflict
        return environment

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> StarterSettings:
        """Read :meth:`to_environment`'s variables; raise :class:`A2IValidationError` naming the
        variable and what to fix."""
        arn = environ.get("FLOW_DEFINITION_ARN", "")
        if not arn:
            raise A2IValidationError(
                "FLOW_DEFINITION_ARN is not set; set it to the flow definition ARN"
            )
        concurrency_text = environ.get("MAX_CONCURRENCY") or str(DEFAULT_MAX_CONCURRENCY)
        try:
            concurrency = int(concurrency_text)
        except ValueError:
            raise A2IValidationError(
                f"MAX_CONCURRENCY must be a whole number; got {preview(concurrency_text)}"
            ) from None
        activation_text = environ.get("ACTIVATION")
        classifiers = environ.get("CONTENT_CLASSIFIERS")
        return cls.build(
            flow_definition_arn=arn,
            source_kind=environ.get("SOURCE_KIND") or "sqs",
            id_field=environ.get("ID_FIELD") or None,
            input_path=environ.get("INPUT_PATH") or None,
            activation=Activation.from_json(activation_text) if activation_text else None,
            content_classifiers=classifiers.split(",") if classifiers else (),
            max_concurrency=concurrency,
            loop_name_prefix=environ.get("LOOP_NAME_PREFIX") or None,
            on_conflict=environ.get("ON_CONFLICT") or DEFAULT_ON_CONFLICT,
        )


_ENV_NAMES: Final = {
    "source_kind": "SOURCE_KIND",
    "id_field": "ID_FIELD",
    "input_path": "INPUT_PATH",
    "activation": "ACTIVATION",
    "content_classifiers": "CONTENT_CLASSIFIERS",
    "max_concurrency": "MAX_CONCURRENCY",
    "loop_name_prefix": "LOOP_NAME_PREFIX",
    "on_conflict": "ON_CONFLICT",
}
