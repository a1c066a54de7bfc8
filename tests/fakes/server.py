"""The HTTP plumbing the fake forges share: a threaded server on loopback, routing,
recording and fault injection.

A fake is a plain object: ``start()`` it (or use it as a context manager), point a client
at ``url``, and read what it accepted. ``fail_next`` makes the next requests fail the way
a real forge sometimes does, before any check runs: a status code (502 …), or a dropped
connection (``status=0``). Each forge module adds its routes and the checks FORGE-APIS.md
documents, answering 4xx with the reason when a request is wrong.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

DROP = 0  # a fault status meaning "close the connection without answering"
JOIN_TIMEOUT_S = 5.0
POLL_S = 0.02  # how often the server loop checks for shutdown; stop() waits this long


@dataclass(frozen=True)
class Reply:
    """What the fake answers."""

    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    """A planned failure for the next request that matches."""

    reply: Reply
    after_handling: bool
    method: str | None
    path_contains: str

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and self.path_contains in path


@dataclass(frozen=True)
class Call:
    """One request the fake received, and the status it answered."""

    method: str
    path: str  # raw, still URL-encoded (GitLab project paths are encoded)
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: object  # the parsed JSON body, or None
    status: int


class Refuse(Exception):
    """Raised by a check: answer ``status`` with ``body``."""

    def __init__(self, status: int, body: object) -> None:
        self.reply = Reply(status, body)
        super().__init__(f"{status}: {body}")


Handler = Callable[[re.Match[str], dict[str, str], Any], Reply]


class FakeForge:
    """Routes, faults and a record of calls; subclasses add the forge's endpoints."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self._faults: deque[Fault] = deque()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of an API

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake.handle(self.command, self.path, headers, raw)
                if reply.status == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass  # tests read fake.calls instead

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(JOIN_TIMEOUT_S)
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 502,
        body: object = None,
        headers: dict[str, str] | None = None,
        after_handling: bool = False,
        method: str | None = None,
        path_contains: str = "",
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (DROP: hang up).

        By default the request is not looked at, as when a proxy fails in front of the
        forge. ``after_handling=True`` first handles it normally (a comment is created)
        and then answers the fault, as when the forge fails after doing the work.
        ``method`` and ``path_contains`` aim the fault at matching requests only.
        """
        reply = Reply(status, body, dict(headers or {}))
        with self._lock:
            for _ in range(count):
                self._faults.append(Fault(reply, after_handling, method, path_contains))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                self._faults.remove(fault)
                return fault
        return None

    # -- routing ------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths fully matching ``pattern`` (a regex over raw paths)."""
        self._routes.append((method, re.compile(pattern), handler))

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body: object = None
        with self._lock:
            try:
                fault = self._take_fault(method, parts.path)
                if fault is None or fault.after_handling:
                    body = self._json(raw)
                    self.authenticate(parts.path, headers)
                    reply = self._dispatch(method, parts.path, query, body)
                if fault is not None:
                    reply = fault.reply
            except Refuse as refused:
                reply = refused.reply
            reply = Reply(reply.status, reply.body, {**self.extra_headers(), **reply.headers})
            self.calls.append(Call(method, parts.path, query, headers, body, reply.status))
        return reply

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: object) -> Reply:
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler(match, query, body)
        raise Refuse(404, {"message": f"Not Found: no {method} {path} in this API"})

    @staticmethod
    def _json(raw: bytes) -> object:
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise Refuse(400, {"message": f"Problems parsing JSON: {exc}"}) from None

    # -- for subclasses -----------------------------------------------------------------

    def authenticate(self, path: str, headers: dict[str, str]) -> None:
        """Raise :class:`Refuse` unless the request carries valid credentials."""
        raise NotImplementedError

    def extra_headers(self) -> dict[str, str]:
        """Headers on every answer (rate-limit headers)."""
        return {}


def require_object(
    body: object, allowed: set[str], required: set[str], strings: bool = True
) -> dict[str, Any]:
    """The JSON body as a dict with only ``allowed`` fields and every ``required`` one;
    with ``strings``, every field but the few numeric/boolean ones must be a string."""
    if not isinstance(body, dict):
        raise Refuse(400, {"message": "Body should be a JSON object"})
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refuse(422, {"message": f"Unknown fields {unknown}; allowed: {sorted(allowed)}"})
    missing = sorted(required - set(body))
    if missing:
        raise Refuse(422, {"message": f"Missing required fields {missing}"})
    for name, value in body.items():
        if not strings or name in ("coverage", "pipeline_id", "internal"):
            continue
        if not isinstance(value, str):
            raise Refuse(422, {"message": f"{name} must be a string, got {type(value).__name__}"})
    return body


def page_of(items: list[Any], query: dict[str, str], max_per_page: int) -> tuple[list[Any], int]:
    """The page the query asks for, and the page number; bad paging is a 400."""
    try:
        per_page = int(query.get("per_page", "30"))
        page = int(query.get("page", "1"))
    except ValueError:
        raise Refuse(400, {"message": "per_page and page must be integers"}) from None
    if not 1 <= per_page <= max_per_page or page < 1:
        raise Refuse(400, {"message": f"per_page must be 1-{max_per_page}, page at least 1"})
    start = (page - 1) * per_page
    return items[start : start + per_page], page
