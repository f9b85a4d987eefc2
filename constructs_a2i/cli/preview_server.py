"""A local web server for ``a2i template preview --serve``.

It serves one page on ``127.0.0.1`` and renders it again whenever one of the watched
files (the template, the sample input) changed since the last render. The page polls
``/__a2i/version`` and reloads itself when that changes, so saving the template in an
editor updates the browser.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final

__all__ = ["VERSION_PATH", "PreviewServer"]

VERSION_PATH: Final = "/__a2i/version"
"""The URL path the preview page polls to know when to reload."""

Builder = Callable[[str, str], tuple[int, str]]
"""``build(reload_url, version) -> (HTTP status, HTML page)``."""


class PreviewServer:
    """Serves a preview page on ``host:port`` (``port=0``: a free port), re-rendering on change.

    ``build(reload_url, version)`` makes the page; it is called again only when the
    modification time or size of a file in ``watched`` changed. Use :meth:`serve_forever`
    in the foreground or :meth:`start` / :meth:`stop` (a background thread).
    """

    def __init__(
        self,
        build: Builder,
        watched: Sequence[Path],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._build = build
        self._watched = [Path(path) for path in watched]
        self._lock = threading.Lock()
        self._cached: tuple[str, int, str] | None = None
        self._thread: threading.Thread | None = None
        self.renders = 0
        """How many times the page was rendered."""
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        """The page's URL, ``http://127.0.0.1:<port>/``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def version(self) -> str:
        """A text that changes whenever a watched file changes."""
        parts = []
        for path in self._watched:
            try:
                stat = path.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
            except OSError:
                parts.append("missing")
        return "-".join(parts)

    def page(self) -> tuple[int, str]:
        """The current page, rendered again if a watched file changed."""
        with self._lock:
            version = self.version()
            if self._cached is None or self._cached[0] != version:
                status, body = self._build(VERSION_PATH, version)
                self._cached = (version, status, body)
                self.renders += 1
            return self._cached[1], self._cached[2]

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` is called or the process is interrupted."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def start(self) -> None:
        """Serve from a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    status, body = server.page()
                    self._send(status, "text/html; charset=utf-8", body)
                elif path == VERSION_PATH:
                    self._send(HTTPStatus.OK, "text/plain; charset=utf-8", server.version())
                else:
                    self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found")

            def _send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Keep the terminal quiet: the page shows what matters."""

        return Handler
