"""The web page: server-rendered HTML over the same views the JSON API serves.

Three pages, readable without JavaScript and without anything fetched from elsewhere
(the style sheet is inline):

- ``/`` the overview: what needs attention, rollouts and their waves, and a matrix of
  environments (columns) by services (rows), each cell one unit with its state colour,
  version (flagged when outdated) and last applied revision;
- ``/units/{unit_id}`` one unit: facts, outputs (endpoints, secret-named ones masked),
  conditions with reasons and messages, its stack's recent events and console link, the
  units around it, the template last applied, the last deployment's diff, and its
  deployment history (``webhooks.unit_views``);
- ``/plans/{key}`` a pull request's plan: the ``target_url`` of its commit statuses.

Templates are Jinja2 with autoescaping on, so a message holding ``<script>`` is text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, UndefinedError

from reconciler.errors import StateError
from reconciler.state import StateStore
from webhooks.unit_details import diff_line_kind, event_kind
from webhooks.unit_views import StackViews, diff_view, events_view, graph_view, template_view
from webhooks.views import (
    STATES,
    UnknownPlan,
    UnknownUnit,
    UnreadablePlan,
    ViewSettings,
    history_view,
    plan_view,
    status_view,
    unit_headline,
    unit_view,
    url_plan_key,
)

log = structlog.get_logger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
# A commit sha is shown by its first characters, as git does.
SHORT_REVISION = 12
PIPELINE_COLUMN = "pipeline"
# Drift findings listed on a unit's page, newest first.
DRIFT_SHOWN = 10
PLAN_ACTIONS = ("create", "adopt", "update", "delete", "noop", "blocked", "denied")
NOT_FOUND = 404
UNREADABLE = 500
UNAVAILABLE = 503


# Why a read is refused (a token is required and missing or bad), or None.
ReadRefusal = Callable[[Request], str | None]
ASSETS = Path(__file__).parent / "assets"
UNAUTHORIZED = 401


def page_router(
    store: StateStore,
    settings: ViewSettings,
    refused: ReadRefusal | None = None,
    stacks: StackViews | None = None,
) -> APIRouter:
    """The three HTML pages, reading ``store`` (and the cloud, for a unit's stack events,
    through ``stacks``). ``webhooks.api.status_router`` includes it."""
    clouds = stacks or StackViews()
    pages = _Pages(_environment(), settings, refused or (lambda _request: None))
    router = APIRouter(default_response_class=HTMLResponse)
    actions_script = (ASSETS / "unit-actions.js").read_text()

    @router.get("/assets/unit-actions.js", name="unit_actions_js", include_in_schema=False)
    def unit_actions_js() -> Response:
        # The unit page's buttons: the only script, same origin, no data in it.
        return Response(actions_script, media_type="text/javascript; charset=utf-8")

    @router.get("/", name="overview_page", include_in_schema=False)
    def overview(request: Request, q: str = "") -> HTMLResponse:
        return pages.render(
            request,
            "overview.html",
            lambda: overview_model(status_view(store, settings), settings, q.strip()),
        )

    @router.get("/units/{unit_path:path}", name="unit_page", include_in_schema=False)
    def unit(request: Request, unit_path: str) -> HTMLResponse:
        def model() -> dict[str, Any]:
            shown = unit_view(store, unit_path, settings)
            reason, message = unit_headline(shown)
            history = history_view(store, unit_path, settings)["deployments"]
            drift = [f.to_json() for f in store.drift_history(unit_path, DRIFT_SHOWN)]
            return {
                "unit": shown,
                "reason": reason,
                "message": message,
                "history": history,
                "drift": drift,
                "template": template_view(store, unit_path, settings),
                "diff": diff_view(store, unit_path, settings),
                "graph": graph_view(store, unit_path, settings),
                "events": events_view(store, unit_path, clouds),
            }

        return pages.render(request, "unit.html", model)

    @router.get("/plans/{key:path}", name="plan_page", include_in_schema=False)
    def plan(request: Request, key: str) -> HTMLResponse:
        return pages.render(request, "plan.html", lambda: plan_model(key, store, settings))

    return router


@dataclass
class _Pages:
    """Renders a page, or the error page that says why it cannot be shown."""

    environment: Environment
    settings: ViewSettings
    refused: ReadRefusal

    def render(
        self, request: Request, template: str, model: Callable[[], Mapping[str, Any]]
    ) -> HTMLResponse:
        why = self.refused(request)
        if why is not None:
            page = self._error(request, UNAUTHORIZED, "Token required", why)
            page.headers["WWW-Authenticate"] = 'Bearer realm="goldenpath"'
            return page
        try:
            return self._page(request, template, model(), 200)
        except (UnknownUnit, UnknownPlan) as exc:
            return self._error(request, NOT_FOUND, "Not found", str(exc))
        except UnreadablePlan as exc:
            log.error("web.plan_unreadable", error=str(exc))
            return self._error(request, UNREADABLE, "Unreadable plan", str(exc))
        except StateError as exc:
            log.warning("web.state_unavailable", error=str(exc))
            return self._error(request, UNAVAILABLE, "State store unavailable", str(exc))
        except UndefinedError as exc:
            # Plans are written by other code: a document missing a field is unreadable,
            # not a crash.
            log.error("web.document_incomplete", page=template, error=str(exc))
            message = f"the stored document lacks a field the page needs: {exc}"
            return self._error(request, UNREADABLE, "Unreadable document", message)

    def _error(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        model = {"status": status, "heading": title, "message": message}
        return self._page(request, "error.html", model, status)

    def _page(
        self, request: Request, template: str, model: Mapping[str, Any], status: int
    ) -> HTMLResponse:
        def url(name: str, **params: str) -> str:
            # A path (mount prefix included), so links survive a proxy rewriting the host.
            return request.url_for(name, **params).path

        html = self.environment.get_template(template).render(
            **model, url=url, settings=self.settings
        )
        return HTMLResponse(html, status_code=status)


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["short"] = short_revision
    environment.filters["took"] = took
    environment.filters["plan_key"] = url_plan_key
    environment.filters["diff_kind"] = diff_line_kind
    environment.filters["event_kind"] = event_kind
    environment.globals["STATES"] = STATES
    return environment


def when(iso: str | None) -> str:
    """``2026-03-01T12:04:05.123+00:00`` → ``2026-03-01 12:04:05 UTC``."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_revision(revision: str | None) -> str:
    return (revision or "")[:SHORT_REVISION]


def took(started: str | None, finished: str | None) -> str:
    """How long a deployment ran, in the largest two units (``4m 12s``)."""
    if not started or not finished:
        return ""
    elapsed = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
    seconds = max(0, int(elapsed.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


@dataclass
class ServiceRow:
    """One row of the overview's matrix: a service's units by column."""

    name: str
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def overview_model(
    document: Mapping[str, Any], settings: ViewSettings, query: str = ""
) -> dict[str, Any]:
    """Group the status document into what the overview draws.

    ``query`` keeps only the units whose id contains it (case-insensitive): with
    thousands of instances, a developer finds a service by typing part of its name.
    """
    recorded: list[dict[str, Any]] = document["units"]
    units = [u for u in recorded if query.lower() in u["id"].lower()]
    rollouts: list[dict[str, Any]] = document["rollouts"]
    environments = {u["id"].split("/")[1]: u for u in units if u["kind"] == "environment"}
    services: dict[str, ServiceRow] = {}
    for unit in units:
        parts = unit["id"].split("/")
        if unit["kind"] == "environment":
            continue
        row = services.setdefault(parts[1], ServiceRow(parts[1]))
        if unit["kind"] == "service":
            row.cells[parts[2]] = unit
        elif unit["kind"] == "pipeline":
            row.cells[PIPELINE_COLUMN] = unit
        else:
            row.components.setdefault(parts[2], []).append(unit)
    instances = {n for row in services.values() for n in [*row.cells, *row.components]}
    instances.discard(PIPELINE_COLUMN)
    columns = _columns(set(environments) | instances, settings.environment_order, rollouts)
    has_pipelines = any(PIPELINE_COLUMN in row.cells for row in services.values())
    needing = sorted(
        (u for u in units if u["state"] != "Ready" or u["drifted"]),
        key=lambda u: (STATES.index(u["state"]), u["id"]),
    )
    attention = [{"unit": u, "headline": unit_headline(u)} for u in needing]
    tally = {state: sum(1 for u in units if u["state"] == state) for state in STATES}
    return {
        "query": query,
        "recorded": len(recorded),
        "units": units,
        "tally": tally,
        "outdated": sum(1 for u in units if u["outdated"]),
        "drifted": sum(1 for u in units if u["drifted"]),
        "attention": attention,
        "rollouts": rollouts,
        "environments": environments,
        "columns": columns,
        "pipelines": has_pipelines,
        "services": [services[name] for name in sorted(services)],
    }


def _columns(
    names: set[str], order: Sequence[str], rollouts: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Environment names in rollout order: the configured order, then the order rollouts'
    waves went through, then the rest alphabetically."""
    known: list[str] = list(order)
    for rollout in rollouts:
        for wave in rollout["waves"]:
            known.extend(e for e in wave["environments"] if e not in known)
    rank = {name: i for i, name in enumerate(known)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def plan_model(key: str, store: StateStore, settings: ViewSettings) -> dict[str, Any]:
    """A stored plan, its changing units first; units with nothing to do are folded away."""
    plan = plan_view(store, key, settings)
    units: list[dict[str, Any]] = plan["units"]
    counted = plan.get("summary") or {}
    summary = [
        (action, counted.get(action, sum(1 for u in units if u.get("action") == action)))
        for action in PLAN_ACTIONS
    ]
    return {
        "key": key,
        "plan": plan,
        "summary": summary,
        "changing": [u for u in units if u.get("action") != "noop"],
        "unchanged": [u for u in units if u.get("action") == "noop"],
        "change": plan.get("change_request"),
        "errors": plan.get("errors", []),
        "warnings": plan.get("warnings", []),
        "blast_radius": plan.get("blast_radius", []),
        "problems": plan.get("problems", []),
        "rollouts": plan.get("rollouts", []),
    }
