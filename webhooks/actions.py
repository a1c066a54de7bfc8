"""The write half of the API: cancel, retry and continue-update-rollback, with a token.

    POST /api/v1/units/{unit_id}/cancel                    {}                  202 | 4xx
    POST /api/v1/units/{unit_id}/retry                     {}                  202 | 4xx
    POST /api/v1/units/{unit_id}/continue-update-rollback  {"skip": ["Id"]}    202 | 4xx

Each request goes through the same steps, in this order, and stops at the first refusal:

1. the token (``Authorization: Bearer gp_…``): none, malformed, unknown or revoked → 401
   with ``WWW-Authenticate: Bearer``;
2. the body: at most ``ApiSettings.max_body_bytes`` (413), empty or a JSON object with
   only the action's fields (400 naming the field);
3. the unit: an id of one of the four forms that is recorded → else 404;
4. the scope: an admin token, or a team token of the unit's team → else 403;
5. the action (``reconciler.actions``): a stack in the wrong status, nothing to retry …
   → 409 naming the status; the cloud refusing or failing → 502 / 503.

Nothing is written and nothing is sent before step 5. A cancel or a continued rollback
answers 202 once CloudFormation accepted the call; the rollback is waited for and
recorded behind the answer (the history shows CANCELLING, then CANCELLED). A retry
answers 202 and asks the reconciler to reconcile now. Errors have the API's one shape,
``{"error": code, "message": …}``; tokens are never logged, only their ids.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reconciler.actions import (
    ROLLBACK_ACTION,
    Actor,
    StackInterventions,
    Started,
    authenticate,
    authorize,
    request_retry,
)
from reconciler.actions.units import find_unit
from reconciler.errors import (
    ActionConflict,
    ActionInputInvalid,
    CloudError,
    NotAuthenticated,
    NotPermitted,
    StateError,
    UnitNotFound,
    Waiting,
)
from reconciler.events import RetryRequested, SinkFull
from reconciler.state import StateStore
from webhooks.settings import ApiSettings
from webhooks.views import UnknownUnit, check_unit_id

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1"
ACCEPTED = 202
# The fields each action's body may hold.
FIELDS: dict[str, frozenset[str]] = {
    "cancel": frozenset(),
    "retry": frozenset(),
    ROLLBACK_ACTION: frozenset({"skip"}),
}


@dataclass(frozen=True)
class WriteApi:
    """What the write routes act with."""

    store: StateStore
    interventions: StackInterventions
    # Hands a retry to the reconciler (``serve``: its event queue).
    on_retry: Callable[[RetryRequested], None]
    settings: ApiSettings
    # Waits for a cancel's or a rollback's end and records it (default: a thread).
    settle: Callable[[Started], None] | None = None


class TooLarge(ValueError):
    """The request body is over the limit."""


def action_router(api: WriteApi) -> APIRouter:
    router = APIRouter()

    @router.post(f"{API_PREFIX}/units/{{unit_path:path}}", name="unit_action", tags=["actions"])
    async def act(request: Request, unit_path: str) -> JSONResponse:
        unit_id, _, action = unit_path.rpartition("/")
        if action not in FIELDS:
            known = ", ".join(sorted(FIELDS))
            return error(404, "unknown_action", f"no action {action!r}; known: {known}")
        header = request.headers.get("authorization")
        try:
            body = await _body(request, api.settings.max_body_bytes)
        except TooLarge as exc:
            return error(413, "body_too_large", str(exc))
        return await run_in_threadpool(_act, api, header, unit_id, action, body)

    return router


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is {declared} bytes; at most {limit} are accepted")
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise TooLarge(f"the body is over {limit} bytes")
    return bytes(received)


def _act(api: WriteApi, header: str | None, unit_id: str, action: str, body: bytes) -> JSONResponse:
    try:
        actor = authenticate(api.store, header)
        fields = parse_body(body, action)
        check_unit_id(unit_id)
        authorize(actor, find_unit(api.store, unit_id))
        return _do(api, actor, unit_id, action, fields)
    except NotAuthenticated as exc:
        response = error(401, "unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="goldenpath"'
        return response
    except ActionInputInvalid as exc:
        return error(400, "invalid_request", str(exc))
    except (UnknownUnit, UnitNotFound) as exc:
        return error(404, "unit_not_found", str(exc))
    except NotPermitted as exc:
        return error(403, "forbidden", str(exc))
    except ActionConflict as exc:
        return error(409, "conflict", str(exc))
    except (Waiting, StateError) as exc:
        log.warning("actions.unavailable", unit=unit_id, action=action, error=str(exc))
        return error(503, "unavailable", str(exc))
    except CloudError as exc:
        log.warning("actions.cloud_failed", unit=unit_id, action=action, error=str(exc))
        return error(502, "cloud_error", str(exc))


def _do(
    api: WriteApi, actor: Actor, unit_id: str, action: str, fields: Mapping[str, Any]
) -> JSONResponse:
    if action == "retry":
        requested = request_retry(api.store, unit_id, actor)
        message = requested.message
        try:
            api.on_retry(RetryRequested(unit_id, actor.label))
        except SinkFull:
            # Recorded all the same: the reconciler's next poll takes it.
            log.warning("actions.retry_not_queued", unit=unit_id)
            message += "; the reconciler is busy, it retries at its next poll"
        document = {"unit": unit_id, "action": action, "was": requested.was}
        return JSONResponse({**document, "message": message}, ACCEPTED)
    if action == "cancel":
        started = api.interventions.cancel(unit_id, actor)
    else:
        started = api.interventions.continue_rollback(unit_id, actor, fields.get("skip", []))
    (api.settle or _settle_behind(api.interventions))(started)
    return JSONResponse(
        {
            "unit": unit_id,
            "action": action,
            "stack": started.stack.ref.name,
            "skipped": list(started.skipped),
            "deployment": started.deployment.to_json(),
            "message": started.deployment.message,
        },
        ACCEPTED,
    )


def _settle_behind(interventions: StackInterventions) -> Callable[[Started], None]:
    def settle(started: Started) -> None:
        def wait() -> None:
            try:
                settled = interventions.settle(started)
            except Exception:  # the answer has gone: the log is the only place to say it
                log.exception("actions.settle_failed", unit=started.unit_id)
                return
            log.info(
                "actions.settled",
                unit=started.unit_id,
                action=started.action,
                stack_status=settled.stack_status,
                deployment=settled.deployment.status,
            )

        name = f"settle-{started.action}-{started.unit_id}"
        threading.Thread(target=wait, name=name, daemon=True).start()

    return settle


def parse_body(body: bytes, action: str) -> dict[str, Any]:
    """The request's fields: none for an empty body; ``ActionInputInvalid`` names a bad one."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ActionInputInvalid(
            f"the body is not JSON (line {exc.lineno} column {exc.colno}); expected an object"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ActionInputInvalid("the body is not UTF-8 text; expected a JSON object") from exc
    if not isinstance(document, dict):
        raise ActionInputInvalid(
            f"the body is a JSON {type(document).__name__}; expected an object"
        )
    allowed = FIELDS[action]
    unknown = sorted(set(document) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "no fields"
        raise ActionInputInvalid(f"unknown field {unknown[0]!r} for {action}; expected {expected}")
    if "skip" in document and not isinstance(document["skip"], list):
        raise ActionInputInvalid(
            f"skip: expected a list of logical resource ids, got {type(document['skip']).__name__}"
        )
    return document


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)
