"""The read-only HTTP face of the state store: JSON API, health, metrics, and the web page.

``status_router(store)`` returns one ``APIRouter`` that ``goldenpath serve`` mounts next
to the webhook receiver. Every route is a GET; other methods get 405 (the few writes are
``webhooks.actions``'). Reading is open unless ``ApiSettings.read_token_required``
(``GOLDENPATH_API_READ_TOKEN_REQUIRED``): then the API and the pages need a token of any
scope (401 without), while /healthz and /metrics stay open for probes and scrapers.

    GET /healthz                          200 {"status": "ok"} | 503 when the store fails
    GET /metrics                          Prometheus text format (read at most every 15 s)
    GET /api/v1/status                    every unit (state, outdated, outputs) and rollout
    GET /api/v1/units/{unit_id}           one unit                       404 if unknown
    GET /api/v1/units/{unit_id}/history   its deployments, newest first  404 if unknown
    GET /api/v1/units/{unit_id}/events    its stack's recent CloudFormation events and
                                          console link; 503 when the cloud does not answer
    GET /api/v1/units/{unit_id}/template  the template body last applied (secrets masked)
    GET /api/v1/units/{unit_id}/diff      the last deployment's body against the previous
    GET /api/v1/units/{unit_id}/graph     the units it depends on and that depend on it
    GET /api/v1/plans/{key}               a pull request's stored plan   404 if none
    GET /api/v1/drift[?after=ID]          open drift findings; with after: those opened
                                          since finding ID, open or not (a notifier's cursor)
    GET /api/v1/notifications[?state=S&after=ID&limit=N]
                                          the notification outbox (``webhooks.notifications``)
    GET /  /units/{unit_id}  /plans/{key} the same, as HTML pages (``webhooks.pages``)

Errors are JSON too: ``{"error": <code>, "message": <what went wrong and what is expected>}``.
A failing state store answers 503, never a stack trace.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reconciler.actions import authenticate
from reconciler.errors import NotAuthenticated, StateError
from reconciler.state import DEPLOYMENT_STATUSES, DRIFT_REASONS, StateStore
from reconciler.state.rollouts import ROLLOUT_STATUSES
from reconciler.state.units import UNIT_KINDS
from webhooks.notifications import notifications_router, outbox_gauge
from webhooks.pages import ReadRefusal, page_router
from webhooks.settings import ApiSettings
from webhooks.unit_views import StackViews, diff_view, events_view, graph_view, template_view
from webhooks.views import (
    STATES,
    UnknownPlan,
    UnknownUnit,
    UnreadablePlan,
    ViewSettings,
    history_view,
    plan_view,
    split_unit_path,
    status_view,
    unit_view,
)

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1"
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NOT_FOUND = 404
UNREADABLE = 500
UNAVAILABLE = 503


def status_router(
    store: StateStore,
    settings: ViewSettings | None = None,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    drift_calls: Callable[[], Mapping[str, int]] | None = None,
    access: ApiSettings | None = None,
    stacks: StackViews | None = None,
) -> APIRouter:
    """The JSON API, /healthz, /metrics and the web pages, reading ``store``.

    ``store`` is shared by every request (its connection pool is thread-safe); the routes
    are plain functions, so FastAPI runs them in its thread pool and a slow database
    never blocks the event loop the webhook receiver answers on. ``monotonic`` is the
    clock that ages the metrics figures. ``drift_calls``: the API calls drift checks made
    so far per account (``serve``'s drift watch), for /metrics. ``stacks``: how stack
    events are read (without it, the events view says no cloud is read).
    """
    shown = settings or ViewSettings()
    clouds = stacks or StackViews()
    refused = read_refusal(store, access or ApiSettings())
    router = APIRouter()
    figures = RecentMetrics(
        lambda: metrics_text(store, shown, drift_calls), shown.metrics_max_age_s, monotonic
    )

    @router.get("/healthz", name="healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        try:
            # The smallest real read: the store answers, and its schema is there.
            store.active_rollouts()
        except StateError as exc:
            log.warning("web.unhealthy", error=str(exc))
            return JSONResponse({"status": "unavailable", "message": str(exc)}, UNAVAILABLE)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics", name="metrics_text", tags=["operations"])
    def metrics() -> Response:
        try:
            text = figures.text()
        except StateError as exc:
            log.warning("web.metrics_failed", error=str(exc))
            return Response(f"# state store unavailable: {exc}\n", UNAVAILABLE)
        return Response(text, media_type=PROMETHEUS_CONTENT_TYPE)

    @router.get(f"{API_PREFIX}/status", name="status_json", tags=["status"])
    def status(request: Request) -> JSONResponse:
        return _answer(lambda: status_view(store, shown), refused(request))

    @router.get(f"{API_PREFIX}/units/{{unit_path:path}}", name="unit_json", tags=["status"])
    def unit(request: Request, unit_path: str) -> JSONResponse:
        unit_id, view = split_unit_path(unit_path)
        if view == "events":
            return _answer(lambda: events_view(store, unit_id, clouds), refused(request))
        produce = {
            None: unit_view,
            "history": history_view,
            "template": template_view,
            "diff": diff_view,
            "graph": graph_view,
        }[view]
        return _answer(lambda: produce(store, unit_id, shown), refused(request))

    @router.get(f"{API_PREFIX}/drift", name="drift_json", tags=["status"])
    def drift(request: Request, after: int | None = None) -> JSONResponse:
        def produce() -> dict[str, Any]:
            found = store.drifts() if after is None else store.drift_findings_after(after)
            return {"findings": [f.to_json() for f in found]}

        return _answer(produce, refused(request))

    @router.get(f"{API_PREFIX}/plans/{{key:path}}", name="plan_json", tags=["plans"])
    def plan(request: Request, key: str) -> JSONResponse:
        return _answer(lambda: plan_view(store, key, shown), refused(request))

    router.include_router(notifications_router(store, refused))
    router.include_router(page_router(store, shown, refused, clouds))
    return router


def read_refusal(store: StateStore, access: ApiSettings) -> ReadRefusal:
    """Why a read request is refused (``None``: it is not); open unless configured."""

    def refused(request: Request) -> str | None:
        if not access.read_token_required:
            return None
        try:
            authenticate(store, request.headers.get("authorization"))
        except NotAuthenticated as exc:
            return str(exc)
        return None

    return refused


class RecentMetrics:
    """The metrics text, read again only once the last reading is ``max_age_s`` old.

    One reading at a time: scrapes arriving together wait for it rather than each
    walking the store. A failed reading is not kept, so the next scrape tries again.
    """

    def __init__(
        self, read: Callable[[], str], max_age_s: float, monotonic: Callable[[], float]
    ) -> None:
        self._read = read
        self._max_age_s = max_age_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._text: str | None = None
        self._read_at = 0.0

    def text(self) -> str:
        with self._lock:
            now = self._monotonic()
            if self._text is None or now - self._read_at >= self._max_age_s:
                self._text = self._read()
                self._read_at = now
            return self._text


def _answer(produce: Callable[[], Any], refused: str | None = None) -> JSONResponse:
    """The document, or the JSON error that says what was not found or what failed."""
    if refused is not None:
        response = _error(401, "unauthenticated", refused)
        response.headers["WWW-Authenticate"] = 'Bearer realm="goldenpath"'
        return response
    try:
        document = produce()
    except UnknownUnit as exc:
        return _error(NOT_FOUND, "unit_not_found", str(exc))
    except UnknownPlan as exc:
        return _error(NOT_FOUND, "plan_not_found", str(exc))
    except UnreadablePlan as exc:
        log.error("web.plan_unreadable", error=str(exc))
        return _error(UNREADABLE, "plan_unreadable", str(exc))
    except StateError as exc:
        log.warning("web.state_unavailable", error=str(exc))
        return _error(UNAVAILABLE, "state_unavailable", str(exc))
    if isinstance(document, dict) and document.get("cloud_error"):
        # The events view: the store answered, the cloud did not; the rest still shows.
        failed = {"error": "cloud_unavailable", "message": document["cloud_error"], **document}
        return JSONResponse(failed, UNAVAILABLE)
    return JSONResponse(document)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)


def metrics_text(
    store: StateStore,
    settings: ViewSettings,
    drift_calls: Callable[[], Mapping[str, int]] | None = None,
) -> str:
    """Gauges of what the store holds, in the Prometheus text exposition format.

    Every label value that can occur is written, zeros included, so an alert such as
    ``goldenpath_units{state="Stalled"} > 0`` has a series to watch from the start.
    """
    started = time.perf_counter()
    units = status_view(store, settings)["units"]
    by_state = Counter((u["kind"], u["state"]) for u in units)
    outdated = Counter(u["template"] for u in units if u["outdated"])
    latest = Counter[str](
        found[0].status for u in units if (found := store.history(u["id"], limit=1))
    )
    rollouts = Counter[str](r.status for r in store.rollouts())
    kinds = {u["id"]: u["kind"] for u in units}
    drifted = Counter[tuple[str, str]]((kinds.get(f.unit_id, ""), f.reason) for f in store.drifts())
    lines: list[str] = []
    _gauge(
        lines,
        "goldenpath_units",
        "Recorded units (stacks) by kind and state (Ready, Reconciling, Stalled, ...).",
        (({"kind": k, "state": s}, by_state[(k, s)]) for k in UNIT_KINDS for s in STATES),
    )
    _gauge(
        lines,
        "goldenpath_units_outdated",
        "Units running an older version than their template's recommended one.",
        (({"template": t}, n) for t, n in sorted(outdated.items())),
    )
    _gauge(
        lines,
        "goldenpath_unit_last_deployments",
        "Recorded units by the status of their latest deployment.",
        (({"status": s}, latest[s]) for s in DEPLOYMENT_STATUSES),
    )
    _gauge(
        lines,
        "goldenpath_rollouts",
        "Automatic minor-version rollouts by status (halted: a wave failed).",
        (({"status": s}, rollouts[s]) for s in ROLLOUT_STATUSES),
    )
    _gauge(
        lines,
        "goldenpath_units_drifted",
        "Units whose stack a drift check found changed outside Goldenpath, by kind and reason.",
        (({"kind": k, "reason": r}, drifted[(k, r)]) for k in UNIT_KINDS for r in DRIFT_REASONS),
    )
    _gauge(lines, *outbox_gauge(store))
    if drift_calls is not None:
        _gauge(
            lines,
            "goldenpath_drift_api_calls_total",
            "AWS API calls made by drift checks since the process started, per account.",
            (({"account": a}, n) for a, n in sorted(drift_calls().items())),
            kind="counter",
        )
    _gauge(
        lines,
        "goldenpath_metrics_read_seconds",
        "Time taken to read these metrics from the state store.",
        [({}, round(time.perf_counter() - started, 6))],
    )
    return "\n".join(lines) + "\n"


def _gauge(
    lines: list[str],
    name: str,
    help_text: str,
    samples: Iterable[tuple[dict[str, str], float]],
    kind: str = "gauge",
) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        rendered = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}")


def _label_value(value: str) -> str:
    # The exposition format escapes exactly these three in label values.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
