"""Notification receivers as real HTTP servers on loopback, checking what they are sent.

``SlackReceiver`` checks an incoming-webhook message as Slack documents it: a JSON object
with ``text`` and ``blocks`` only, known block types, plain_text/mrkdwn text objects, and
Slack's limits (50 blocks, header text 150, section text 3000, 10 fields of 2000, 10
context elements). It answers ``ok`` (200) as Slack does, or 400 ``invalid_payload``.

``SignedReceiver`` checks a ``json`` notification as docs/notifications.md tells a
receiver to: the ``Goldenpath-Signature`` (``t=<unix>,v1=<hex>``: HMAC-SHA256 with the
shared secret of ``"<t>." + raw body``, recomputed here independently of the sender's
code), a timestamp within 5 minutes, ``Goldenpath-Delivery`` equal to the body's ``id``,
and the body against schemas/notification.schema.json. Bad requests get 401 or 400.

Both record what they accepted (``accepted``) and every request (``requests``);
``fail_next(n, status)`` answers the next n requests with ``status`` before any check
(``status=0`` drops the connection), ``delay`` holds every answer that long (a slow
receiver), and ``stop()`` makes it refuse connections (a receiver that is down).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import jsonschema

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "notification.schema.json").read_text()
)
TOLERANCE_S = 300
_BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image", "rich_text"}


@dataclass(frozen=True)
class Received:
    """One request: its path, headers (lower-case names), raw body and our answer."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    reason: str
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Receiver:
    """The server and its record; subclasses say what a good request is."""

    path: str = "/hook"
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    _failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _port: int = 0

    def check(self, headers: dict[str, str], body: bytes) -> None:
        raise NotImplementedError

    def ok_body(self) -> bytes:
        return b'{"ok":true}'

    def fail_next(
        self, count: int, status: int = 503, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (0: drop the connection)."""
        with self._lock:
            self._failures.extend([(status, headers or {})] * count)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{self.path}"

    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, answer = receiver._answer(self.path, headers, raw)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if status == 0:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start()`` (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        extra: dict[str, str] = {}
        if failure is not None:
            (status, extra), reason = failure, "injected failure"
        else:
            try:
                if path != self.path:
                    raise Refused(404, f"no hook at {path}")
                self.check(headers, raw)
                status, reason = 200, ""
            except Refused as refused:
                status, reason = refused.status, refused.reason
        seen = Received(path, headers, raw, status, reason, time.time())
        with self._lock:
            self.requests.append(seen)
            if status == 200:
                self.accepted.append(seen)
        answer = self.ok_body() if status == 200 else reason.encode()
        return status, extra, answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # A sender that gave up (its timeout) and closed the connection: nothing to say.


def _mapping(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise Refused(400, f"invalid_payload: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise Refused(400, "invalid_payload: expected a JSON object")
    return document


@dataclass
class SlackReceiver(Receiver):
    path: str = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"

    def ok_body(self) -> bytes:
        return b"ok"

    def check(self, headers: dict[str, str], body: bytes) -> None:
        if not headers.get("content-type", "").startswith("application/json"):
            raise Refused(400, "invalid_payload: expected Content-Type application/json")
        message = _mapping(body)
        unknown = set(message) - {"text", "blocks"}
        if unknown:
            raise Refused(400, f"invalid_payload: unexpected fields {sorted(unknown)}")
        if not isinstance(message.get("text"), str) or not message["text"].strip():
            raise Refused(400, "invalid_payload: text must be a non-empty string")
        blocks = message.get("blocks")
        if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
            raise Refused(400, "invalid_blocks: blocks must be a list of 1 to 50 blocks")
        for index, block in enumerate(blocks):
            _slack_block(index, block)


def _slack_text(where: str, text: Any, kinds: set[str], limit: int) -> None:
    if not isinstance(text, dict) or text.get("type") not in kinds:
        raise Refused(400, f"invalid_blocks: {where} must be a text object of type {kinds}")
    if not isinstance(text.get("text"), str) or not 1 <= len(text["text"]) <= limit:
        raise Refused(400, f"invalid_blocks: {where}.text must be 1 to {limit} characters")


def _slack_block(index: int, block: Any) -> None:
    where = f"blocks[{index}]"
    if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
        raise Refused(400, f"invalid_blocks: {where} has no known type")
    kind = block["type"]
    if kind == "header":
        _slack_text(f"{where}.text", block.get("text"), {"plain_text"}, 150)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            raise Refused(400, f"invalid_blocks: {where} needs text or fields")
        if "text" in block:
            _slack_text(f"{where}.text", block["text"], {"plain_text", "mrkdwn"}, 3000)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > 10:
            raise Refused(400, f"invalid_blocks: {where}.fields holds at most 10")
        for n, item in enumerate(fields):
            _slack_text(f"{where}.fields[{n}]", item, {"plain_text", "mrkdwn"}, 2000)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            raise Refused(400, f"invalid_blocks: {where}.elements holds 1 to 10")
        for n, item in enumerate(elements):
            _slack_text(f"{where}.elements[{n}]", item, {"plain_text", "mrkdwn"}, 3000)


@dataclass
class SignedReceiver(Receiver):
    secret: str = "a-long-shared-secret-for-tests"

    def check(self, headers: dict[str, str], body: bytes) -> None:
        header = headers.get("goldenpath-signature")
        if not header:
            raise Refused(401, "no Goldenpath-Signature")
        fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        if "t" not in fields or "v1" not in fields or not fields["t"].isdigit():
            raise Refused(401, f"malformed signature {header!r}")
        if abs(time.time() - int(fields["t"])) > TOLERANCE_S:
            raise Refused(401, "stale timestamp")
        expected = hmac.new(
            self.secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, fields["v1"]):
            raise Refused(401, "signature does not match")
        document = _mapping(body)
        try:
            jsonschema.validate(document, SCHEMA)
        except jsonschema.ValidationError as exc:
            raise Refused(400, f"payload does not match the schema: {exc.message}") from None
        if headers.get("goldenpath-delivery") != document["id"]:
            raise Refused(400, "Goldenpath-Delivery differs from the body's id")
        if headers.get("goldenpath-event") != document["kind"]:
            raise Refused(400, "Goldenpath-Event differs from the body's kind")
