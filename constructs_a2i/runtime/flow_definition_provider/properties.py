"""The ``Custom::A2IFlowDefinition`` resource properties as CloudFormation delivers them.

CloudFormation turns every number and boolean into a string; :func:`coerce` walks
botocore's model of the request to turn them back. The rest reads the name, the tags and
what an update changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from constructs_a2i.runtime.flow_definition_provider.request import FlowDefinitionError

__all__ = [
    "NOT_DEFINITION",
    "changed_paths",
    "coerce",
    "flow_name",
    "is_retain",
    "tag_list",
    "tag_map",
    "update_kind",
]

# Properties that do not shape the flow definition itself.
NOT_DEFINITION = frozenset({"ServiceToken", "Tags", "RemovalPolicy"})


def _preview(value: Any, length: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= length else text[: length - 3] + "..."


def flow_name(props: Mapping[str, Any], request_id: str) -> tuple[str, bool]:
    """The name to create, and whether it is fixed (not generated)."""
    name = props.get("FlowDefinitionName")
    prefix = props.get("FlowDefinitionNamePrefix")
    if name and prefix:
        raise FlowDefinitionError("Set FlowDefinitionName or FlowDefinitionNamePrefix, not both.")
    if name:
        return str(name), True
    if not prefix:
        raise FlowDefinitionError("FlowDefinitionName or FlowDefinitionNamePrefix is required.")
    digest = hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{digest}", False


def coerce(shape: Any, value: Any, path: str) -> Any:
    """``value`` with CloudFormation's strings turned back into ``shape``'s types."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {
            key: coerce(shape.members[key], item, f"{path}.{key}")
            if key in shape.members
            else item  # unknown: left for botocore to reject by name
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [coerce(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, Mapping):
        return {key: coerce(shape.value, item, f"{path}.{key}") for key, item in value.items()}
    if kind in ("integer", "long") and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise FlowDefinitionError(f"{path} must be a whole number; got {value!r}.") from None
    if kind in ("float", "double") and isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise FlowDefinitionError(f"{path} must be a number; got {value!r}.") from None
    if kind == "boolean" and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise FlowDefinitionError(f"{path} must be true or false; got {value!r}.")
        return lowered == "true"
    if kind == "string" and isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))  # e.g. activation conditions as JSON
    if kind == "string" and isinstance(value, bool | int | float):
        return json.dumps(value)
    return value


def tag_list(props: Mapping[str, Any]) -> list[dict[str, str]]:
    """The Tags property as SageMaker takes it; a clear error when it is malformed."""
    tags = props.get("Tags")
    if tags is None or tags == "":
        return []
    if not isinstance(tags, list):
        raise FlowDefinitionError(
            f"Tags must be a list of {{Key, Value}} objects; got {type(tags).__name__} "
            f"{_preview(tags)}."
        )
    out: list[dict[str, str]] = []
    for i, tag in enumerate(tags):
        key = tag.get("Key") if isinstance(tag, Mapping) else None
        value = tag.get("Value", "") if isinstance(tag, Mapping) else None
        if (
            not isinstance(key, str | int | float)
            or isinstance(key, bool)
            or str(key) == ""
            or not (value is None or isinstance(value, str | int | float))
        ):
            raise FlowDefinitionError(
                f"Tags[{i}] must be an object with a non-empty Key and a string Value; got "
                f"{_preview(tag)}."
            )
        out.append({"Key": str(key), "Value": "" if value is None else str(value)})
    return out


def tag_map(props: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tag_list(props)}


def _definition_identity(props: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in props.items() if k not in NOT_DEFINITION}, sort_keys=True, default=str
    )


def update_kind(event: Mapping[str, Any]) -> str:
    """``replace``, ``tags`` (in place) or ``none`` for an Update event."""
    old = event.get("OldResourceProperties") or {}
    new = event.get("ResourceProperties") or {}
    if _definition_identity(old) != _definition_identity(new):
        return "replace"
    if tag_map(old) != tag_map(new):
        return "tags"
    return "none"


def changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changed: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key in NOT_DEFINITION and not path:
                continue
            changed += changed_paths(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return changed
    return [] if old == new else [path]


def is_retain(props: Mapping[str, Any]) -> bool:
    return str(props.get("RemovalPolicy", "")).lower() == "retain"
