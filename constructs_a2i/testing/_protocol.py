"""The server side of botocore's ``json`` and ``rest-json`` wire protocols.

Requests are decoded and responses encoded by walking the operation's shapes in
botocore's service model, so members, locations (URI, query string, body) and
timestamp formats are the model's, not copies of it.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

__all__ = [
    "A2I_RUNTIME",
    "SAGEMAKER",
    "Route",
    "SerializationError",
    "decode_json_request",
    "decode_rest_request",
    "encode_response",
    "error_status",
    "find_rest_route",
    "service_model",
]

SAGEMAKER = "sagemaker"
A2I_RUNTIME = "sagemaker-a2i-runtime"


class SerializationError(Exception):
    """A request body or parameter that does not fit the model's types."""


@functools.cache
def service_model(service_name: str) -> ServiceModel:
    """botocore's model of ``service_name`` (loaded once per process)."""
    return botocore.session.get_session().get_service_model(service_name)


@dataclass(frozen=True)
class Route:
    """One rest-json operation's HTTP method and URI template, as a matcher."""

    operation: str
    method: str
    regex: re.Pattern[str]
    literal_segments: int


@functools.cache
def _rest_routes(service_name: str) -> tuple[Route, ...]:
    model = service_model(service_name)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        parts = []
        literal = 0
        for segment in path.strip("/").split("/"):
            label = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
            if label:
                parts.append(f"(?P<{label.group(1)}>{'.+' if label.group(2) else '[^/]+'})")
            else:
                parts.append(re.escape(segment))
                literal += 1
        regex = re.compile("^/" + "/".join(parts) + "$")
        routes.append(Route(name, http["method"], regex, literal))
    # Most literal segments first, so /human-loops/stop wins over /human-loops/{name}.
    return tuple(sorted(routes, key=lambda route: -route.literal_segments))


def find_rest_route(service_name: str, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation and URI labels for ``method`` ``path``, or None."""
    for route in _rest_routes(service_name):
        if route.method != method:
            continue
        match = route.regex.match(path)
        if match:
            return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def _parse_timestamp(value: Any, where: str) -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, str):
        try:
            return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SerializationError(f"Cannot parse {value!r} as a timestamp at {where}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise SerializationError(f"Expected a timestamp at {where}, got {type(value).__name__}")


def _from_json(shape: Shape, value: Any, where: str) -> Any:
    """A decoded JSON value checked against (and converted to) ``shape``'s type."""
    if value is None:
        return None
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object at {where}")
        result = {}
        for name, member in shape.members.items():
            wire_name = member.serialization.get("name", name)
            if wire_name in value:
                result[name] = _from_json(member, value[wire_name], f"{where}.{name}")
        return result
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise SerializationError(f"Expected an array at {where}")
        return [_from_json(shape.member, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object at {where}")
        return {k: _from_json(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationError(f"Expected a string at {where}")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationError(f"Expected an integer at {where}")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SerializationError(f"Expected a number at {where}")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationError(f"Expected a boolean at {where}")
        return value
    if kind == "timestamp":
        return _parse_timestamp(value, where)
    if kind == "blob":
        if not isinstance(value, str):
            raise SerializationError(f"Expected base64 text at {where}")
        return base64.b64decode(value)
    return value


def _from_text(shape: Shape, text: str, where: str) -> Any:
    """A URI label or query-string value converted to ``shape``'s type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        raise SerializationError(f"Expected a number at {where}, got {text!r}") from None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise SerializationError(f"Expected true or false at {where}, got {text!r}")
        return text == "true"
    if kind == "timestamp":
        return _parse_timestamp(text, where)
    return text


def _load_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        loaded = json.loads(body)
    except ValueError as error:
        raise SerializationError(f"The request body is not valid JSON: {error}") from None
    if not isinstance(loaded, dict):
        raise SerializationError("The request body must be a JSON object")
    return loaded


def decode_json_request(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """The parameters of a ``json``-protocol request (the whole body is the input)."""
    shape = operation.input_shape
    if shape is None:
        return {}
    decoded: dict[str, Any] = _from_json(shape, _load_body(body), shape.name)
    return decoded


def decode_rest_request(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: str,
    body: bytes,
) -> dict[str, Any]:
    """The parameters of a ``rest-json`` request from its URI, query string and body."""
    shape = operation.input_shape
    if shape is None:
        return {}
    query_values = parse_qs(query, keep_blank_values=True)
    json_body = _load_body(body)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = _from_text(member, labels[wire_name], name)
        elif location == "querystring":
            if wire_name not in query_values:
                continue
            values = query_values[wire_name]
            if isinstance(member, ListShape):
                params[name] = [_from_text(member.member, v, name) for v in values]
            else:
                params[name] = _from_text(member, values[-1], name)
        elif location in ("header", "headers", "statusCode"):
            continue  # none of the served operations take input headers
        elif wire_name in json_body:
            params[name] = _from_json(member, json_body[wire_name], name)
    return params


def _epoch(value: dt.datetime) -> float:
    return calendar.timegm(value.utctimetuple()) + value.microsecond / 1_000_000


def _iso8601(value: dt.datetime) -> str:
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _to_json(shape: Shape, value: Any, timestamp_format: str) -> Any:
    if isinstance(shape, StructureShape):
        result = {}
        for name, member in shape.members.items():
            if value.get(name) is None:
                continue
            wire_name = member.serialization.get("name", name)
            member_format = member.serialization.get("timestampFormat", timestamp_format)
            result[wire_name] = _to_json(member, value[name], member_format)
        return result
    if isinstance(shape, ListShape):
        return [_to_json(shape.member, item, timestamp_format) for item in value]
    if isinstance(shape, MapShape):
        return {k: _to_json(shape.value, v, timestamp_format) for k, v in value.items()}
    if shape.type_name == "timestamp":
        stamp_format = shape.serialization.get("timestampFormat", timestamp_format)
        return _iso8601(value) if stamp_format == "iso8601" else _epoch(value)
    if shape.type_name == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def encode_response(operation: OperationModel, output: Mapping[str, Any]) -> bytes:
    """The JSON body of a successful response (json and rest-json alike).

    Both protocols write body timestamps as epoch seconds unless the member's
    ``timestampFormat`` says otherwise (the A2I runtime's say ``iso8601``).
    """
    shape = operation.output_shape
    if shape is None:
        return b"{}"
    return json.dumps(_to_json(shape, dict(output), "unixTimestamp")).encode("utf-8")


def error_status(service_name: str, code: str) -> int:
    """The HTTP status the service uses for error ``code``.

    rest-json services state it on each error shape (``error.httpStatusCode``); the
    SageMaker json API answers 400 for client errors and 5xx for its own failures.
    """
    model = service_model(service_name)
    if code in model.shape_names:
        error = model.shape_for(code).metadata.get("error", {})
        status = error.get("httpStatusCode")
        if isinstance(status, int):
            return status
    if code in ("InternalFailure", "InternalServerError", "InternalServerException"):
        return 500
    if code == "ServiceUnavailable":
        return 503
    if code == "UnknownOperationException" and service_name == A2I_RUNTIME:
        return 404
    return 400
