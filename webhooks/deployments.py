"""Terraform notifications: the endpoint that replaces Proton's
``NotifyResourceDeploymentStatusChange`` for the provisioning repository's workflow.

    POST /api/v1/deployments/{deploymentId}/notifications
    Authorization: Bearer gp_…
    {"status": "SUCCEEDED", "statusMessage": "…", "outputs": [{"key": …, "valueString": …}]}

    200  {"deployment": {...}, "message": …}
    400 invalid body · 401 token · 403 scope · 404 unknown deployment · 409 stale or
    already notified · 413 too large · 503 state store unavailable

The checks and their order are ``reconciler.provisioning.notifications``'s; a refusal
writes nothing. A notification taken asks the reconciler to reconcile now, so that the
unit's dependants render with its outputs and the commit's ``goldenpath/apply`` status is
brought up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reconciler.actions import authenticate
from reconciler.errors import (
    ActionConflict,
    ActionInputInvalid,
    DeploymentNotFound,
    NotAuthenticated,
    NotPermitted,
    StateError,
)
from reconciler.events import Notified, SinkFull
from reconciler.provisioning.notifications import notify
from reconciler.provisioning.payload import parse_notification
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from webhooks.actions import API_PREFIX, TooLarge, _body, error
from webhooks.settings import ApiSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeploymentApi:
    store: StateStore
    # Hands the news to the reconciler (``serve``: its event queue).
    on_notified: Callable[[Notified], None]
    settings: ApiSettings
    # goldenpath.yaml as last planned: whom to tell of a deployment's end (``spec.notifications``).
    platform: Callable[[], Platform | None] = lambda: None


def deployment_router(api: DeploymentApi) -> APIRouter:
    router = APIRouter()

    @router.post(
        f"{API_PREFIX}/deployments/{{deployment_id}}/notifications",
        name="deployment_notification",
        tags=["terraform"],
    )
    async def notified(request: Request, deployment_id: str) -> JSONResponse:
        header = request.headers.get("authorization")
        try:
            body = await _body(request, api.settings.max_body_bytes)
        except TooLarge as exc:
            return error(413, "body_too_large", str(exc))
        return await run_in_threadpool(_take, api, header, deployment_id, body)

    return router


def _take(api: DeploymentApi, header: str | None, deployment_id: str, body: bytes) -> JSONResponse:
    try:
        actor = authenticate(api.store, header)
        notification = parse_notification(body)
        taken = notify(api.store, actor, deployment_id, notification, api.platform())
    except NotAuthenticated as exc:
        response = error(401, "unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="goldenpath"'
        return response
    except ActionInputInvalid as exc:
        return error(400, "invalid_request", str(exc))
    except DeploymentNotFound as exc:
        return error(404, "deployment_not_found", str(exc))
    except NotPermitted as exc:
        return error(403, "forbidden", str(exc))
    except ActionConflict as exc:
        return error(409, "conflict", str(exc))
    except StateError as exc:
        log.warning("notifications.unavailable", deployment=deployment_id, error=str(exc))
        return error(503, "unavailable", str(exc))
    deployment = taken.deployment
    message = taken.message
    if notification.status != "IN_PROGRESS":
        try:
            api.on_notified(Notified(deployment.unit_id, deployment.id, deployment.state))
        except SinkFull:
            log.warning("notifications.not_queued", deployment=deployment.id)
            message += "; the reconciler is busy, it takes this in at its next poll"
    return JSONResponse({"deployment": deployment.to_json(), "message": message}, 200)
