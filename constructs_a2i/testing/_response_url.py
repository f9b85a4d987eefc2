"""FakeResponseUrl: a local stand-in for CloudFormation's presigned custom-resource URL.

CloudFormation gives each custom-resource request a ``ResponseURL``: a presigned S3 URL
that takes one HTTP PUT of a JSON body (Status, Reason, PhysicalResourceId, StackId,
RequestId, LogicalResourceId, optional Data and NoEcho). The signature covers an empty
``Content-Type``, so a PUT with any other content type is refused (403
SignatureDoesNotMatch), and CloudFormation rejects bodies over 4096 bytes.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from constructs_a2i.testing._server import BackgroundServer

__all__ = ["FakeResponseUrl", "Response"]

MAX_BODY_BYTES = 4096


@dataclass(frozen=True)
class Response:
    """One PUT the fake received (refused ones included)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    arrived: float
    """``time.monotonic()`` when the request arrived."""
    http_status: int
    """What the fake answered: 200, or the error it was told to give."""

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body."""
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    received: threading.Condition = field(init=False)
    responses: list[Response] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.received = threading.Condition(self.lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        parts = urllib.parse.urlsplit(self.path)
        state = self.server.state
        with state.lock:
            if state.failures:
                status = state.failures.pop(0)
            elif self.headers.get("Content-Type", ""):
                status = 403  # the signature covers an empty Content-Type
            elif len(raw) > MAX_BODY_BYTES:
                status = 400
            else:
                status = 200
            state.responses.append(
                Response(
                    path=parts.path,
                    query=dict(urllib.parse.parse_qsl(parts.query)),
                    headers=dict(self.headers.items()),
                    raw=raw,
                    arrived=arrived,
                    http_status=status,
                )
            )
            state.received.notify_all()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`FakeResponseUrl.responses` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        super().__init__(address, _Handler)
        self.state = state


class FakeResponseUrl(BackgroundServer):
    """A local HTTP server that plays CloudFormation's presigned ResponseURL::

        with FakeResponseUrl() as cloudformation:
            event["ResponseURL"] = cloudformation.url()
            handler(event, context)
            assert cloudformation.responses[-1].body["Status"] == "SUCCESS"

    :meth:`url` makes a URL shaped like the real one (an S3 path and SigV4 query
    parameters with a random signature) on 127.0.0.1 over plain HTTP. :meth:`fail_next`
    makes the next PUTs fail with an HTTP error; :meth:`wait_for` waits for answers
    from other threads.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = _State()
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> _Server:
        return _Server((self._host, self._port), self._state)

    def url(self, stack_id: str = "stack", request_id: str = "request") -> str:
        """A presigned-looking URL for one request; each call signs afresh."""
        if self._server is None:
            raise RuntimeError("FakeResponseUrl is not started")
        host, port = self._server.server_address[:2]
        key = urllib.parse.quote(f"{stack_id}|{request_id}", safe="")
        query = urllib.parse.urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": "20240501T120000Z",
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Expires": "7200",
                "X-Amz-Credential": "AKIAFAKEFAKEFAKEFAKE/20240501/us-east-1/s3/aws4_request",
                "X-Amz-Signature": secrets.token_hex(32),
            }
        )
        return f"http://{host!s}:{port}/cloudformation-custom-resource-response/{key}?{query}"

    def fail_next(self, times: int = 1, *, status: int = 500) -> None:
        """Answer the next ``times`` PUTs with ``status`` (recorded like any other)."""
        with self._state.lock:
            self._state.failures.extend([status] * times)

    @property
    def responses(self) -> list[Response]:
        """Every PUT received so far, in arrival order."""
        with self._state.lock:
            return list(self._state.responses)

    @property
    def accepted(self) -> list[Response]:
        """The PUTs answered 200."""
        return [r for r in self.responses if r.http_status == 200]

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list[Response]:
        """Wait until ``count`` PUTs were accepted; returns them (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._state.received:
            while True:
                accepted = [r for r in self._state.responses if r.http_status == 200]
                if len(accepted) >= count:
                    return accepted
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(accepted)} of {count} responses after {timeout} s")
                self._state.received.wait(left)
