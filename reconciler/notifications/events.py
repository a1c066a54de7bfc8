"""The events Goldenpath tells people about, as values: pure, no I/O.

A ``Notice`` is one event: its id (the idempotency id receivers dedupe on, the same for
every attempt and every target), its kind, when it happened, a one-line summary, the unit
it is about (if any) and data of its kind. Each constructor below builds one kind from
plain values; the id is derived from what makes the event unique, so publishing the same
event twice (a resumed process, a second replica) queues it once.

    deploy.succeeded   a unit's stack reached the desired state (create, update, delete)
    deploy.failed      CloudFormation failed or refused a unit's operation: it stalls
    rollout.halted     an automatic minor rollout stopped at a failed wave
    drift.found        a scheduled drift check found a stack changed outside Goldenpath
    exception.expiring a guardrail exception ends within the target's window
    update_pr.opened   an update pull request was opened (or moved to a newer version)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

from reconciler.specs.model import NOTIFICATION_EVENTS

EventKind = Literal[
    "deploy.succeeded",
    "deploy.failed",
    "rollout.halted",
    "drift.found",
    "exception.expiring",
    "update_pr.opened",
]
EVENT_KINDS: tuple[str, ...] = NOTIFICATION_EVENTS
# Event ids are UUIDs derived from the event's natural key within this namespace.
_NAMESPACE = uuid.UUID("5b8f2a8e-3f0c-4d55-9a4e-6f1d2c7b9e10")


@dataclass(frozen=True)
class Notice:
    """One event, before it is addressed to targets."""

    id: str
    kind: EventKind
    occurred_at: datetime
    summary: str
    unit: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {EVENT_KINDS}")
        if self.occurred_at.utcoffset() is None:
            raise ValueError(f"occurred_at must be timezone-aware, got {self.occurred_at!r}")
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def payload(self, platform: str) -> dict[str, Any]:
        """The event as the outbox keeps it and the ``json`` format sends it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "occurred_at": self.occurred_at.isoformat(),
            "platform": platform,
            "summary": self.summary,
            "unit": self.unit,
            "data": dict(self.data),
        }


def event_id(kind: str, *key: object) -> str:
    """The id of the event of ``kind`` identified by ``key`` (stable across processes)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join([kind, *map(str, key)])))


@dataclass(frozen=True)
class DeploymentEnd:
    """How one unit's deployment ended, as the apply recorded it."""

    unit: str
    deployment_id: int
    started_at: datetime
    action: str  # create | update | delete
    status: str  # SUCCEEDED | FAILED | DELETE_COMPLETE | DELETE_FAILED
    revision: str
    version: str
    stack: str
    account: str
    region: str
    reason: str
    message: str


def deploy_ended(end: DeploymentEnd, now: datetime) -> Notice:
    """``deploy.succeeded`` or ``deploy.failed`` for one unit's deployment."""
    failed = end.status in ("FAILED", "DELETE_FAILED")
    kind: EventKind = "deploy.failed" if failed else "deploy.succeeded"
    verb = f"{end.action} failed" if failed else f"{end.action}d"
    summary = f"{end.unit}: {verb} at {end.revision[:12]}"
    if failed and end.message:
        summary += f": {_line(end.message)}"
    return Notice(
        event_id(kind, end.unit, end.deployment_id, end.started_at.isoformat()),
        kind,
        now,
        summary,
        end.unit,
        {
            "action": end.action,
            "status": end.status,
            "revision": end.revision,
            "version": end.version,
            "stack": end.stack,
            "account": end.account,
            "region": end.region,
            "reason": end.reason,
            "message": end.message,
            "deployment": end.deployment_id,
        },
    )


def rollout_halted(
    rollout_id: str,
    template: str,
    from_version: str,
    to_version: str,
    waves: Sequence[tuple[Sequence[str], str]],
    started_at: datetime,
    now: datetime,
) -> Notice:
    """``rollout.halted``: ``waves`` are (environments, status) in order."""
    failed = [envs for envs, status in waves if status == "failed"]
    wave = ", ".join(failed[0]) if failed else "?"
    return Notice(
        event_id("rollout.halted", rollout_id, started_at.isoformat(), wave),
        "rollout.halted",
        now,
        f"rollout of {template} {from_version} → {to_version} halted: wave {wave} failed",
        None,
        {
            "rollout": rollout_id,
            "template": template,
            "from_version": from_version,
            "to_version": to_version,
            "failed_wave": list(failed[0]) if failed else [],
            "waves": [{"environments": list(e), "status": s} for e, s in waves],
        },
    )


def drift_found(
    finding_id: int,
    unit: str,
    reason: str,
    message: str,
    action: str,
    found_at: datetime,
    details: Mapping[str, Any],
) -> Notice:
    """``drift.found``: a new finding of a scheduled drift check."""
    return Notice(
        event_id("drift.found", unit, finding_id, found_at.isoformat()),
        "drift.found",
        found_at,
        f"{unit} drifted ({reason}): {_line(message)}",
        unit,
        {
            "finding": finding_id,
            "reason": reason,
            "message": message,
            "action": action,
            "details": dict(details),
        },
    )


def exception_expiring(
    rule: str,
    units: Sequence[str],
    reason: str,
    expires: date,
    today: date,
    where: str,
    now: datetime,
) -> Notice:
    """``exception.expiring``: ``expires`` is the last day the exception applies."""
    days = (expires - today).days
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return Notice(
        event_id("exception.expiring", rule, ",".join(units), expires.isoformat()),
        "exception.expiring",
        now,
        f"the exception to {rule} for {', '.join(units)} ends {when} ({expires.isoformat()})",
        None,
        {
            "rule": rule,
            "units": list(units),
            "reason": reason,
            "expires": expires.isoformat(),
            "days_left": days,
            "where": where,
        },
    )


def update_pr_opened(
    *,
    service: str,
    team: str | None,
    forge: str,
    repository: str,
    number: int,
    url: str,
    template: str,
    to_version: str,
    instances: Sequence[str],
    head: str,
    now: datetime,
) -> Notice:
    """``update_pr.opened``: an update pull request moving ``instances`` of ``service``
    to ``to_version`` of ``template`` was opened, or updated to a newer version (``head``
    is its head commit: a new head is a new event)."""
    return Notice(
        event_id("update_pr.opened", forge, repository, number, head),
        "update_pr.opened",
        now,
        f"update PR #{number} moves {service} ({len(instances)} instance"
        f"{'s' if len(instances) != 1 else ''}) to {template} {to_version}",
        None,
        {
            "service": service,
            "team": team,
            "forge": forge,
            "repository": repository,
            "number": number,
            "url": url,
            "template": template,
            "to_version": to_version,
            "instances": list(instances),
            "head": head,
        },
    )


def _line(text: str, limit: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
