"""Each unit's deployment history, with Proton's statuses, kept to a bounded length.

A deployment starts as IN_PROGRESS (or DELETE_IN_PROGRESS) and finishes as one of the
final statuses. A cancelled one goes IN_PROGRESS → CANCELLING → CANCELLED. ``actor``
says who asked for it ("" for the reconciler following git), ``action`` which write
action a person took on it (``cancel``, ``retry``, ``continue-update-rollback``).
History outlives the unit: forgetting a deleted stack keeps its record of how it was
deleted. Only the newest ``history_per_unit`` entries of a unit are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import insert_for
from reconciler.state.rows import as_mapping, reading_row, records, require_choice, require_utc

DeploymentStatus = Literal[
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "DELETE_IN_PROGRESS",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "CANCELLING",
    "CANCELLED",
]
DEPLOYMENT_STATUSES: tuple[str, ...] = get_args(DeploymentStatus)
STARTING_STATUSES: tuple[str, ...] = ("IN_PROGRESS", "DELETE_IN_PROGRESS")
FINAL_STATUSES: tuple[str, ...] = (
    "SUCCEEDED",
    "FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "CANCELLED",
)


@dataclass(frozen=True)
class Deployment:
    """One entry of a unit's deployment history."""

    id: int
    unit_id: str
    revision: str
    version: str
    status: DeploymentStatus
    started_at: datetime
    finished_at: datetime | None = None
    message: str = ""
    actor: str = ""
    action: str = ""
    # The sha256 of the template body it sent (``template_bodies``); None: no body (a
    # deletion, or recorded before bodies were kept).
    body_digest: str | None = None

    def __post_init__(self) -> None:
        require_choice(self.status, DEPLOYMENT_STATUSES, f"deployment {self.id} status")
        require_utc(self.started_at, f"deployment {self.id} started_at")
        require_utc(self.finished_at, f"deployment {self.id} finished_at")

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_json(self) -> dict[str, Any]:
        """One entry of ``goldenpath history --output json``."""
        return {
            "id": self.id,
            "revision": self.revision,
            "version": self.version,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "message": self.message,
            "actor": self.actor,
            "action": self.action,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Deployment:
        with reading_row("deployments", row.get("id")):
            return cls(
                id=int(row["id"]),
                unit_id=row["unit_id"],
                revision=row["revision"],
                version=row["version"],
                status=row["status"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                message=row["message"],
                actor=row["actor"],
                action=row["action"],
                body_digest=row["body_digest"],
            )


@dataclass(frozen=True)
class DeploymentStart:
    """What the engine knows when it starts deploying a unit."""

    unit_id: str
    revision: str
    version: str
    # DELETE_IN_PROGRESS when the stack is being deleted.
    status: DeploymentStatus = "IN_PROGRESS"
    message: str = ""
    actor: str = ""
    action: str = ""
    # The template body it sends, secret inputs already masked (None: none, a deletion).
    body: str | None = None

    def __post_init__(self) -> None:
        require_choice(self.status, STARTING_STATUSES, f"deployment of {self.unit_id!r} status")


def start_deployment(
    connection: Connection, start: DeploymentStart, now: datetime, keep_per_unit: int
) -> Deployment:
    t = tables.deployments
    digest = None if start.body is None else _keep_body(connection, start.body)
    new_id = connection.execute(
        sa.insert(t)
        .values(
            unit_id=start.unit_id,
            revision=start.revision,
            version=start.version,
            status=start.status,
            started_at=now,
            finished_at=None,
            message=start.message,
            actor=start.actor,
            action=start.action,
            body_digest=digest,
        )
        .returning(t.c.id)
    ).scalar_one()
    _drop_oldest(connection, start.unit_id, keep_per_unit)
    return Deployment(
        id=new_id,
        unit_id=start.unit_id,
        revision=start.revision,
        version=start.version,
        status=start.status,
        started_at=now,
        message=start.message,
        actor=start.actor,
        action=start.action,
        body_digest=digest,
    )


def body_digest(body: str) -> str:
    return "sha256:" + sha256(body.encode()).hexdigest()


def _keep_body(connection: Connection, body: str) -> str:
    """Store ``body`` under its digest unless it is there already; return the digest."""
    digest = body_digest(body)
    b = tables.template_bodies
    connection.execute(
        insert_for(connection, b)
        .values(digest=digest, body=body)
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    return digest


def template_body(connection: Connection, digest: str) -> str | None:
    b = tables.template_bodies
    found = connection.execute(sa.select(b.c.body).where(b.c.digest == digest)).scalar()
    return None if found is None else str(found)


def set_status(
    connection: Connection,
    deployment_id: int,
    status: DeploymentStatus,
    message: str,
    now: datetime,
    *,
    by: tuple[str, str] | None = None,
) -> Deployment:
    """Move a deployment to ``status``; a final status also stamps ``finished_at``.

    ``by``: (actor, action) of the person whose write action this is.
    """
    require_choice(status, DEPLOYMENT_STATUSES, f"deployment {deployment_id} status")
    t = tables.deployments
    finished_at = now if status in FINAL_STATUSES else None
    values: dict[str, Any] = {"status": status, "message": message, "finished_at": finished_at}
    if by is not None:
        values["actor"], values["action"] = by
    row = connection.execute(
        sa.update(t).where(t.c.id == deployment_id).values(**values).returning(*t.c)
    ).one_or_none()
    if row is None:
        raise ValueError(f"no deployment {deployment_id} is recorded (or it was dropped as old)")
    return Deployment.from_row(as_mapping(row))


def get_deployment(connection: Connection, deployment_id: int) -> Deployment | None:
    t = tables.deployments
    row = connection.execute(sa.select(t).where(t.c.id == deployment_id)).one_or_none()
    return None if row is None else Deployment.from_row(as_mapping(row))


def unit_history(connection: Connection, unit_id: str, limit: int) -> list[Deployment]:
    t = tables.deployments
    rows = connection.execute(
        sa.select(t).where(t.c.unit_id == unit_id).order_by(t.c.id.desc()).limit(limit)
    )
    return records(Deployment.from_row, rows)


def unfinished_of(connection: Connection, actions: Sequence[str]) -> list[Deployment]:
    """Entries not yet finished that ``actions`` (cancel, continue-update-rollback …) opened."""
    t = tables.deployments
    rows = connection.execute(
        sa.select(t)
        .where(t.c.action.in_(list(actions)), t.c.status.not_in(list(FINAL_STATUSES)))
        .order_by(t.c.id)
    )
    return records(Deployment.from_row, rows)


def _drop_oldest(connection: Connection, unit_id: str, keep: int) -> None:
    t = tables.deployments
    oldest_kept = connection.execute(
        sa.select(t.c.id)
        .where(t.c.unit_id == unit_id)
        .order_by(t.c.id.desc())
        .offset(keep - 1)
        .limit(1)
    ).scalar_one_or_none()
    if oldest_kept is None:
        return
    dropped = t.c.unit_id == unit_id, t.c.id < oldest_kept
    digests = set(
        connection.execute(
            sa.select(t.c.body_digest).where(*dropped, t.c.body_digest.is_not(None))
        ).scalars()
    )
    connection.execute(sa.delete(t).where(*dropped))
    if digests:
        # Bodies no deployment names any more go with the last one that did.
        b = tables.template_bodies
        still = sa.select(t.c.id).where(t.c.body_digest == b.c.digest).exists()
        connection.execute(sa.delete(b).where(b.c.digest.in_(digests), ~still))
