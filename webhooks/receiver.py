"""The webhook routes: verify, parse, enqueue, answer. Nothing else happens in a request.

Each delivery walks the same steps and stops at the first refusal:

    read ≤ max_body_bytes ──413──┐  (the rest is drained first, within bounds: unread_body)
    pick the repo's secret ─503──┤  (none configured: fail closed, log which variable;
                                 │   the payload is peeked at only if secrets are per repo)
    verify signature/token ─401──┤
    parse and check shape ──400──┤  (the reason names the field)
    event we act on? ──────── 200 "ignored"
    delivery id seen? ─────── 200 "duplicate"  (recorded durably first; log down: 503)
    enqueue ───────────────── 202 "accepted"   (queue full: 503, id forgotten again)

The answer body is always ``{"verdict": …, "reason": …}`` so a forge admin reading the
"Recent Deliveries" page sees why.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping

import structlog
from fastapi import APIRouter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.events import EventSink, ForgeEvent, SinkFull
from webhooks.deliveries import DeliveryLog, DeliveryLogUnavailable
from webhooks.delivery import Dialect, Ignored, Refused
from webhooks.github import GitHubDialect
from webhooks.gitlab import GitLabDialect
from webhooks.settings import ReceiverSettings
from webhooks.unread_body import DrainUnreadBody

log = structlog.get_logger(__name__)

ACCEPTED = 202
ACKNOWLEDGED = 200
UNAVAILABLE = 503
DIALECTS: tuple[Dialect, ...] = (GitHubDialect(), GitLabDialect())
WEBHOOKS_PATH = "/webhooks/"


def _answer(status: int, verdict: str, reason: str, **extra: str) -> JSONResponse:
    return JSONResponse({"verdict": verdict, "reason": reason, **extra}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing early by Content-Length and again while counting bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, f"Content-Length {declared!r} is not a number")
        if int(declared) > limit:
            raise Refused(413, f"body of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, content_type: str) -> object | None:
    """The JSON document, or None when the body is not JSON (refused after verification)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return None
    try:
        document: object = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return document


def _malformed_reason(body: bytes, content_type: str) -> str:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return "form-encoded payloads are not accepted: set the hook's content type to JSON"
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"body is not valid JSON: {exc}"
    return "payload must be a JSON object"


class Receiver:
    """One delivery's walk through the steps in the module docstring."""

    def __init__(self, settings: ReceiverSettings, sink: EventSink, deliveries: DeliveryLog):
        self._settings = settings
        self._sink = sink
        self._deliveries = deliveries

    async def receive(self, dialect: Dialect, request: Request) -> JSONResponse:
        forge = dialect.forge
        try:
            body = await _read_body(request, self._settings.max_body_bytes)
            judged = self._judge(dialect, request.headers, body)
            if isinstance(judged, JSONResponse):
                return judged
            return await self._enqueue(dialect.forge, *judged)
        except Refused as refused:
            level = log.error if refused.status == UNAVAILABLE else log.warning
            level(
                "webhook.refused",
                forge=forge,
                status=refused.status,
                reason=refused.reason,
                delivery=request.headers.get("x-github-delivery")
                or request.headers.get("x-gitlab-event-uuid", ""),
            )
            return _answer(refused.status, "refused", refused.reason)

    def _judge(
        self, dialect: Dialect, headers: Mapping[str, str], body: bytes
    ) -> JSONResponse | tuple[str, ForgeEvent]:
        """The answer for a delivery needing no work, or its id and event to enqueue."""
        content_type = headers.get("content-type", "")
        secrets = self._settings.secrets
        document: object | None = None
        repo: str | None = None
        if secrets.per_repo:
            # Only per-repository secrets make us read the claimed repository before the
            # signature is checked; with one secret nothing unverified is parsed.
            document = _decode(body, content_type)
            repo = dialect.repo_of(document)
        secret = secrets.for_repo(repo)
        if secret is None:
            raise Refused(UNAVAILABLE, self._no_secret_reason(dialect.forge, repo))
        dialect.verify(headers, body, secret)
        if document is None:
            document = _decode(body, content_type)
        if not isinstance(document, dict):
            raise Refused(400, _malformed_reason(body, content_type))
        delivery_id = dialect.delivery_id(headers)
        outcome = dialect.parse(headers, document, delivery_id, self._settings.branch)
        if isinstance(outcome, Ignored):
            log.info(
                "webhook.ignored", forge=dialect.forge, delivery=delivery_id, reason=outcome.reason
            )
            return _answer(ACKNOWLEDGED, "ignored", outcome.reason)
        return delivery_id, outcome

    async def _enqueue(self, forge: str, delivery_id: str, event: ForgeEvent) -> JSONResponse:
        key = f"{forge}:{delivery_id}"
        kind = type(event).__name__
        try:
            # Durable once this returns: the 202 below never precedes the record.
            first = await self._deliveries.first_time(key)
            if not first:
                log.info("webhook.duplicate", forge=forge, delivery=delivery_id, kind=kind)
                return _answer(
                    ACKNOWLEDGED, "duplicate", f"delivery {delivery_id} was already taken"
                )
            try:
                self._sink.put(event)
            except SinkFull as exc:
                await self._deliveries.forget(key)
                raise Refused(UNAVAILABLE, f"{exc}; redeliver later") from exc
        except DeliveryLogUnavailable as exc:
            raise Refused(UNAVAILABLE, f"{exc}; redeliver later") from exc
        log.info("webhook.accepted", forge=forge, delivery=delivery_id, kind=kind, repo=event.repo)
        return _answer(ACCEPTED, "accepted", f"{kind} enqueued", event=kind)

    def _no_secret_reason(self, forge: str, repo: str | None) -> str:
        if not self._settings.secrets.configured:
            return (
                f"no webhook secret is configured, so {forge} deliveries are refused: "
                "set GOLDENPATH_WEBHOOK_SECRET"
            )
        return (
            f"no webhook secret is configured for repository {repo or '(unnamed)'}: add it to "
            "GOLDENPATH_WEBHOOK_SECRETS or set GOLDENPATH_WEBHOOK_SECRET"
        )


def webhook_routes(
    settings: ReceiverSettings, sink: EventSink, deliveries: DeliveryLog
) -> list[Route]:
    """``POST /webhooks/github`` and ``POST /webhooks/gitlab``.

    Plain Starlette routes: the endpoint reads the raw request itself, so FastAPI's
    dependency solving would have nothing to do but cost time. The routes are for forges,
    not API users, so they stay out of the OpenAPI document.
    """
    receiver = Receiver(settings, sink, deliveries)
    return [
        Route(
            f"/webhooks/{dialect.forge}",
            _endpoint(receiver, dialect),
            methods=["POST"],
            name=f"webhook_{dialect.forge}",
            include_in_schema=False,
        )
        for dialect in DIALECTS
    ]


def webhook_router(
    settings: ReceiverSettings, sink: EventSink, deliveries: DeliveryLog
) -> APIRouter:
    """The webhook routes, to include in any FastAPI app (with ``drain_unread_bodies``)."""
    return APIRouter(routes=list(webhook_routes(settings, sink, deliveries)))


def _endpoint(receiver: Receiver, dialect: Dialect) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        return await receiver.receive(dialect, request)

    endpoint.__name__ = f"receive_{dialect.forge}"
    return endpoint


def drain_unread_bodies(app: Starlette, settings: ReceiverSettings) -> None:
    """Make ``app`` read the rest of a body it refused before answering (``unread_body``)."""
    app.add_middleware(
        DrainUnreadBody, max_bytes=settings.drain_bytes, max_seconds=settings.drain_seconds
    )


def create_app(settings: ReceiverSettings, sink: EventSink, deliveries: DeliveryLog) -> Starlette:
    """An app serving only the webhook routes.

    Plain Starlette, not FastAPI: FastAPI's own layers (telemetry, body limit, exit stack,
    its router) cost a fifth of a delivery's CPU and give these routes nothing.
    """
    app = Starlette(routes=webhook_routes(settings, sink, deliveries))
    drain_unread_bodies(app, settings)
    return app


def webhooks_first(webhooks: ASGIApp, app: ASGIApp) -> ASGIApp:
    """One ASGI app: requests under ``/webhooks/`` go to ``webhooks``, the rest to ``app``."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(WEBHOOKS_PATH):
            await webhooks(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch
