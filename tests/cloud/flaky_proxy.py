"""A loopback HTTP proxy in front of the emulator that fails chosen AWS calls on purpose.

The cloud edge's retry and translation paths must meet real botocore failures: a 400
with a throttling body, an HTML 500, a connection closed before any answer, a response
lost after the request took effect. The proxy produces exactly those, on real sockets,
and passes everything else through to the emulator untouched.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit

Behaviour = Literal[
    "throttle",
    "expired",
    "access_denied",
    "already_exists",
    "server_error",
    "drop",
    "lost_response",
]

_ERRORS: dict[Behaviour, tuple[int, str, str]] = {
    "throttle": (400, "Throttling", "Rate exceeded"),
    "expired": (403, "ExpiredToken", "The security token included in the request is expired"),
    "access_denied": (403, "AccessDenied", "User is not authorized to perform sts:AssumeRole"),
    "already_exists": (400, "AlreadyExistsException", "ChangeSet plan-1 already exists"),
}
_HTML_500 = b"<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"


@dataclass
class _Rule:
    action: str
    behaviour: Behaviour
    left: int


class FlakyProxy:
    """Forwards to ``upstream``; the next ``times`` requests of an action misbehave."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self.seen: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FlakyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def fail(self, action: str, behaviour: Behaviour, times: int = 1) -> None:
        with self._lock:
            self._rules.append(_Rule(action, behaviour, times))

    def count(self, action: str) -> int:
        with self._lock:
            return self.seen.count(action)

    def _decide(self, action: str) -> Behaviour | None:
        with self._lock:
            self.seen.append(action)
            for rule in self._rules:
                if rule.action == action and rule.left > 0:
                    rule.left -= 1
                    return rule.behaviour
        return None

    def _forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                action = parse_qs(body.decode()).get("Action", [""])[0]
                behaviour = proxy._decide(action)
                if behaviour == "drop":
                    self.close_connection = True
                    return
                if behaviour in _ERRORS:
                    status, code, message = _ERRORS[behaviour]
                    self._reply(status, [("Content-Type", "text/xml")], _error_xml(code, message))
                    return
                if behaviour == "server_error":
                    self._reply(500, [("Content-Type", "text/html")], _HTML_500)
                    return
                status, headers, payload = proxy._forward(
                    "POST", self.path, body, dict(self.headers.items())
                )
                if behaviour == "lost_response":
                    self.close_connection = True
                    return
                self._reply(status, headers, payload)

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output readable

        return Handler


def _error_xml(code: str, message: str) -> bytes:
    return (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message>"
        "</Error><RequestId>flaky-proxy</RequestId></ErrorResponse>"
    ).encode()
