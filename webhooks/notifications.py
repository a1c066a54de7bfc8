"""The notification outbox for operators: ``GET /api/v1/notifications`` and its metric.

    GET /api/v1/notifications                       the newest 100 rows, newest first
    GET /api/v1/notifications?state=dead            only pending, delivered or dead rows
    GET /api/v1/notifications?after=ID&limit=N      rows after ID, oldest first (a cursor)

Each row says which event (``event_id``, ``kind``, ``summary``, ``unit``) went to which
target, its state, the attempts made, when the next is due and the last error. Never a
URL nor a secret: the targets' variables hold those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from reconciler.errors import StateError
from reconciler.notifications.outbox import Outbox
from reconciler.state import StateStore
from reconciler.state.outbox import NOTICE_STATES, NoticeState

MAX_LIMIT = 1000
Samples = Iterable[tuple[dict[str, str], float]]


def notifications_router(store: StateStore, refused: Callable[[Request], str | None]) -> APIRouter:
    router = APIRouter()
    outbox = Outbox(store)

    @router.get("/api/v1/notifications", name="notifications_json", tags=["status"])
    def notifications(
        request: Request, state: str | None = None, after: int | None = None, limit: int = 100
    ) -> JSONResponse:
        why = refused(request)
        if why is not None:
            return JSONResponse(
                {"error": "unauthenticated", "message": why},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="goldenpath"'},
            )
        if state is not None and state not in NOTICE_STATES:
            return _bad(f"state {state!r} is unknown; expected one of {', '.join(NOTICE_STATES)}")
        if not 1 <= limit <= MAX_LIMIT:
            return _bad(f"limit {limit} is out of range; expected 1 to {MAX_LIMIT}")
        try:
            chosen = cast(NoticeState | None, state)
            if after is None and state is None:
                rows = outbox.recent(limit)
            else:
                rows = outbox.listing(chosen, after or 0, limit)
            counts = outbox.counts()
        except StateError as exc:
            return JSONResponse({"error": "state_unavailable", "message": str(exc)}, 503)
        totals = {s: sum(n for (_t, st), n in counts.items() if st == s) for s in NOTICE_STATES}
        return JSONResponse({"counts": totals, "notifications": [r.to_json() for r in rows]})

    return router


def outbox_gauge(store: StateStore) -> tuple[str, str, Samples]:
    """The ``goldenpath_notifications`` gauge: outbox rows by target and state."""
    counts = Outbox(store).counts()
    targets = sorted({target for target, _state in counts})
    samples = [
        ({"target": t, "state": s}, counts.get((t, s), 0))
        for t in targets
        for s in NOTICE_STATES
    ]
    return (
        "goldenpath_notifications",
        "Notification outbox rows by target and state (pending, delivered, dead).",
        samples,
    )


def _bad(message: str) -> JSONResponse:
    body: dict[str, Any] = {"error": "bad_request", "message": message}
    return JSONResponse(body, 400)
