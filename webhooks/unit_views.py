"""The unit page's failure views, as documents the JSON API and the page share.

    template  the body last applied (or, before any applied, the last one sent)
    diff      the last deployment's body against the one applied before it
    graph     the units this one depends on and the units that depend on it
    events    the stack's recent CloudFormation events, and where its console is

Bodies are kept by the engine with the unit's secret inputs masked; here, values of
secret-named outputs of the units it depends on are hidden too, as the page hides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.actions.units import unit_target
from reconciler.state import Deployment, StateStore, UnitRecord
from webhooks.stack_events import StackEvents
from webhooks.unit_details import (
    body_diff,
    console_link,
    deployed_bodies,
    deployment_label,
    deployment_summary,
    event_json,
    hidden,
    neighbour,
    relation,
)
from webhooks.views import UnknownUnit, ViewSettings, check_unit_id, is_masked, unit_state

# Deployments looked through for bodies: the store keeps 100 a unit by default
# (``StateSettings.history_per_unit``), so the last applied one is found after a long
# run of failures too.
BODIES_LOOKED_AT = 100
NEVER_DEPLOYED = (
    "{unit} has no deployment with a template body: it was never deployed, or only "
    "before this Goldenpath kept bodies (they are kept from schema revision 0007 on)"
)


@dataclass(frozen=True)
class StackViews:
    """What reading stacks needs: the events reader (None: this server has no cloud) and
    the endpoint Goldenpath calls instead of AWS (an emulator), if any."""

    events: StackEvents | None = None
    endpoint_url: str | None = None


def _record(store: StateStore, unit_id: str) -> UnitRecord:
    check_unit_id(unit_id)
    record = store.unit(unit_id)
    if record is None:
        raise UnknownUnit(f"no unit {unit_id!r} is recorded")
    return record


def _secrets(store: StateStore, record: UnitRecord, settings: ViewSettings) -> set[str]:
    """Values of secret-named outputs a body of ``record`` may carry."""
    values = {v for k, v in record.outputs.items() if is_masked(k, settings)}
    for dependency in record.depends_on:
        found = store.unit(dependency)
        if found is not None:
            values |= {v for k, v in found.outputs.items() if is_masked(k, settings)}
    return values


def _body(store: StateStore, deployment: Deployment | None, secrets: set[str], mask: str) -> str:
    if deployment is None or deployment.body_digest is None:
        return ""
    body = store.template_body(deployment.body_digest)
    if body is None:
        return ""
    return hidden(body, secrets, mask)


def template_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """The body last applied; before any was applied, the last one sent (``applied``
    false); ``body`` null when no deployment sent one."""
    record = _record(store, unit_id)
    chosen = deployed_bodies(store.history(unit_id, BODIES_LOOKED_AT))
    shown = chosen.applied or chosen.latest
    if shown is None:
        return {
            "unit": unit_id,
            "deployment": None,
            "applied": False,
            "body": None,
            "message": NEVER_DEPLOYED.format(unit=unit_id),
        }
    body = _body(store, shown, _secrets(store, record, settings), settings.mask)
    applied = shown.status == "SUCCEEDED"
    message = "" if applied else f"never applied: deployment {shown.id} ended {shown.status}"
    return {
        "unit": unit_id,
        "deployment": deployment_summary(shown),
        "applied": applied,
        "body": body,
        "message": message,
    }


def diff_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """The last deployment's body against the last one applied before it, unified."""
    record = _record(store, unit_id)
    chosen = deployed_bodies(store.history(unit_id, BODIES_LOOKED_AT))
    latest, previous = chosen.latest, chosen.previous
    document: dict[str, Any] = {
        "unit": unit_id,
        "from": deployment_summary(previous),
        "to": deployment_summary(latest),
        "diff": "",
    }
    if latest is None:
        return {**document, "message": NEVER_DEPLOYED.format(unit=unit_id)}
    secrets = _secrets(store, record, settings)
    after = _body(store, latest, secrets, settings.mask)
    before = _body(store, previous, secrets, settings.mask)
    before_label = "(nothing applied before)" if previous is None else ""
    diff = body_diff(
        before,
        after,
        before_label or deployment_label(unit_id, previous),  # type: ignore[arg-type]
        deployment_label(unit_id, latest),
    )
    if previous is None:
        message = f"deployment {latest.id} is the first: its whole body is new"
    elif not diff:
        message = (
            f"deployment {latest.id} sent the same body as deployment {previous.id} "
            "(a retry, or a change to tags or parameters only)"
        )
    else:
        message = ""
    return {**document, "diff": diff, "message": message}


def graph_view(store: StateStore, unit_id: str, settings: ViewSettings) -> dict[str, Any]:
    """The units ``unit_id`` depends on, and those that depend on it, with how."""
    record = _record(store, unit_id)

    def shown(other_id: str, word: str) -> dict[str, Any]:
        found = store.unit(other_id)
        state = None if found is None else unit_state(found.to_json())
        return neighbour(other_id, word, found, state)

    return {
        "unit": unit_id,
        "depends_on": [shown(d, relation(unit_id, d)) for d in sorted(record.depends_on)],
        "dependants": [shown(d, relation(d, unit_id)) for d in store.dependants(unit_id)],
    }


def events_view(store: StateStore, unit_id: str, stacks: StackViews) -> dict[str, Any]:
    """The stack's recent events (``cloud_error`` says why there are none) and its console."""
    record = _record(store, unit_id)
    document: dict[str, Any] = {
        "unit": unit_id,
        "stack_name": record.stack_name,
        "stack_id": record.stack_id,
        "account": record.account,
        "region": record.region,
        "console": console_link(
            record.region, record.stack_name, record.stack_id, stacks.endpoint_url
        ),
        "events": [],
        "cloud_error": None,
        "age_s": 0.0,
    }
    if record.stack_id is None:
        return {**document, "message": f"{record.stack_name} was never created: no events"}
    if stacks.events is None:
        return {**document, "cloud_error": "this server reads no cloud: events are not available"}
    target = unit_target(store, record)
    if target is None:
        error = f"no role is known for account {record.account}: its stacks cannot be read yet"
        return {**document, "cloud_error": error}
    reading = stacks.events.read(target, record.stack_name, record.updated_at.isoformat())
    return {
        **document,
        "events": [event_json(e) for e in reading.events],
        "cloud_error": reading.error,
        "age_s": round(reading.age_s, 1),
    }
