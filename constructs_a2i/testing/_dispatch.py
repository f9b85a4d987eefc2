"""Routing: one HTTP request in, one service response out.

A request with an ``X-Amz-Target: SageMaker.<Operation>`` header is SageMaker (``json``
1.1); any other is routed by method and path to the A2I runtime (``rest-json``). The
:class:`Dispatcher` then decodes it, lets the fault injector fail it, checks it against
botocore's model, runs the operation and records the call, in that order, so that a
faulted or invalid request changes nothing and is still recorded.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel

from constructs_a2i.testing import _runtime, _sagemaker
from constructs_a2i.testing._errors import ServiceError, validation_error
from constructs_a2i.testing._faults import FaultInjector
from constructs_a2i.testing._protocol import (
    A2I_RUNTIME,
    SAGEMAKER,
    SerializationError,
    decode_json_request,
    decode_rest_request,
    encode_response,
    error_status,
    find_rest_route,
    service_model,
)
from constructs_a2i.testing._state import Call, Operation, Store
from constructs_a2i.testing._validation import validation_errors, validation_message

__all__ = ["OPERATIONS", "Dispatcher", "Response"]

OPERATIONS: dict[str, Operation] = {**_sagemaker.OPERATIONS, **_runtime.OPERATIONS}
"""Every operation the fake serves, by name (the two services' names do not overlap)."""

Response = tuple[int, dict[str, str], bytes]
"""(HTTP status, headers, body)."""

_CONTENT_TYPES = {SAGEMAKER: "application/x-amz-json-1.1", A2I_RUNTIME: "application/json"}


@dataclass(frozen=True)
class _Route:
    """Where a request goes: its service, operation, and what decoding it needs."""

    service: str
    operation: str
    model: OperationModel
    labels: dict[str, str] | None = None
    """The URI labels of a rest-json request; None for SageMaker's json protocol."""


class Dispatcher:
    """The fake's HTTP handler (see ``_server.Handler``): answers one request."""

    def __init__(self, store: Store, injector: FaultInjector) -> None:
        self._store = store
        self._injector = injector

    def __call__(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one HTTP request (``headers`` with lower-case names)."""
        path, _, query = raw_path.partition("?")
        route = self._route(method, path, headers.get("x-amz-target"))
        if isinstance(route, tuple):
            return route
        # Latency is slept outside the lock, so a slow fake still serves requests in parallel.
        latency = self._injector.faults.latency
        if latency > 0:
            time.sleep(latency)
        try:
            if route.labels is None:
                params = decode_json_request(route.model, body)
            else:
                params = decode_rest_request(route.model, route.labels, query, body)
        except SerializationError as error:
            self._store.record(Call(route.operation, {}, "SerializationException", route.service))
            return self._error_response(route.service, "SerializationException", str(error))
        return self._answer(route, params)

    def _route(self, method: str, path: str, target: str | None) -> _Route | Response:
        """The route of a request, or the error response for one the fake does not serve."""
        if target:
            prefix, _, operation = target.partition(".")
            if prefix != "SageMaker" or operation not in _sagemaker.SAGEMAKER_OPERATIONS:
                served = ", SageMaker.".join(sorted(_sagemaker.SAGEMAKER_OPERATIONS))
                return self._error_response(
                    SAGEMAKER,
                    "UnknownOperationException",
                    f"The fake serves SageMaker.{served} only, not {target}",
                )
            return _Route(SAGEMAKER, operation, service_model(SAGEMAKER).operation_model(operation))
        found = find_rest_route(A2I_RUNTIME, method, path)
        if found is None:
            return self._error_response(
                A2I_RUNTIME, "UnknownOperationException", f"No operation matches {method} {path}"
            )
        operation, labels = found
        model = service_model(A2I_RUNTIME).operation_model(operation)
        return _Route(A2I_RUNTIME, operation, model, labels)

    def _answer(self, route: _Route, params: dict[str, Any]) -> Response:
        """Fault, validate and run a decoded request; record the call either way."""
        service, operation, model = route.service, route.operation, route.model
        store = self._store
        try:
            with store.lock:
                self._injector.check(service, operation)
                errors = validation_errors(model.input_shape, params) if model.input_shape else []
                if errors:
                    raise validation_error(validation_message(errors))
                output = OPERATIONS[operation](store, params)
                store.calls.append(Call(operation, copy.deepcopy(params), None, service))
        except ServiceError as error:
            store.record(Call(operation, copy.deepcopy(params), error.code, service))
            return self._error_response(service, error.code, error.message)
        except Exception as error:  # a bug in the fake must still answer like a service
            code = "InternalFailure" if service == SAGEMAKER else "InternalServerException"
            store.record(Call(operation, copy.deepcopy(params), code, service))
            return self._error_response(service, code, f"{type(error).__name__}: {error}")
        return 200, self._headers(_CONTENT_TYPES[service]), encode_response(model, output)

    def _headers(self, content_type: str) -> dict[str, str]:
        # Request IDs come from the store's counter: deterministic, like everything else.
        request_id = str(uuid.UUID(int=self._store.next_seq()))
        return {"Content-Type": content_type, "x-amzn-RequestId": request_id}

    def _error_response(self, service: str, code: str, message: str) -> Response:
        """An error in ``service``'s wire format, with its HTTP status for ``code``."""
        headers = self._headers(_CONTENT_TYPES[service])
        payload: dict[str, str]
        if service == SAGEMAKER:
            payload = {"__type": code, "Message": message}
        else:
            headers["x-amzn-ErrorType"] = code
            payload = {"message": message}
        return error_status(service, code), headers, json.dumps(payload).encode("utf-8")
