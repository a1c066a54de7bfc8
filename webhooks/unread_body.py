"""Read what is left of a request body before answering early, so the answer is readable.

A route that answers before reading the whole body (a 413 by ``Content-Length``, or once
a chunked body passes the limit) leaves the rest of the body on the way. Many senders
write the whole body before they read anything (Python's urllib, most webhook senders).
If the server then closes the connection with unread bytes in its receive buffer, the
kernel answers with a reset, and the client sees "connection reset" instead of the 413,
so its logs never say why. nginx avoids this with its *lingering close*: it reads and
discards what the client still sends, for a while, before closing.

:class:`DrainUnreadBody` does the same at the ASGI edge: when the response starts and the
request body has not been read to its end, it reads and discards the rest, at most
``max_bytes`` and for at most ``max_seconds``, and only then lets the answer go. A body
that ends within those bounds leaves a clean connection (kept alive when the client
asks); one that does not is answered with ``Connection: close``, so that a huge or
endless body ties up neither the server nor the connection beyond the bounds. A client
that sent ``Expect: 100-continue`` and was never told to continue has sent no body: it
is answered at once, with ``Connection: close``, and nothing is read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

CLOSE = (b"connection", b"close")


@dataclass
class _Body:
    """How far the app has read the request body."""

    ended: bool  # the last part was received, or the request has no body
    asked: bool = False  # the app called receive() (a 100-continue client now sends)


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


def _expects_continue(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(n == b"expect" and v.lower() == b"100-continue" for n, v in headers)


class DrainUnreadBody:
    """ASGI middleware: drain a request body the app left unread, within bounds."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 0 or max_seconds < 0:
            raise ValueError(
                f"drain bounds must not be negative, got {max_bytes} bytes, {max_seconds} s"
            )
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.monotonic = monotonic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        body = _Body(ended=not _has_body(headers))

        async def watched_receive() -> Message:
            message = await receive()
            body.asked = True
            if message["type"] != "http.request" or not message.get("more_body", False):
                body.ended = True  # the last part, or the client went away
            return message

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and not body.ended:
                message = await self._settle(message, receive, body, headers)
            await send(message)

        await self.app(scope, watched_receive, answer)

    async def _settle(
        self,
        start: Message,
        receive: Receive,
        body: _Body,
        headers: list[tuple[bytes, bytes]],
    ) -> Message:
        """Drain what is left of the body; the answer's start, to close if it did not end."""
        if not body.asked and _expects_continue(headers):
            return _closing(start)  # told nothing, so the client sent nothing yet
        drained, ended, started = 0, False, self.monotonic()
        while drained <= self.max_bytes:
            left = self.max_seconds - (self.monotonic() - started)
            if left <= 0:
                break
            try:
                message = await asyncio.wait_for(receive(), timeout=left)
            except TimeoutError:
                break
            if message["type"] != "http.request":
                ended = True  # the client went away: nothing left to read
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                ended = True
                break
        log.info(
            "http.unread_body_drained",
            status=start.get("status"),
            drained_bytes=drained,
            ended=ended,
            seconds=round(self.monotonic() - started, 3),
        )
        return start if ended else _closing(start)


def _closing(start: Message) -> Message:
    """The response start with ``Connection: close``: the connection cannot be reused."""
    headers = [h for h in start.get("headers", []) if h[0].lower() != CLOSE[0]]
    return {**start, "headers": [*headers, CLOSE]}
