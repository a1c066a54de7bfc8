"""Terraform deployments: what was written to the provisioning repository, and how it went.

A Terraform unit is not deployed by Goldenpath: its files are written to the platform's
provisioning repository, the team's CI runs Terraform, and the CI reports back through the
notification endpoint (as Proton's ``NotifyResourceDeploymentStatusChange``). Each write of
a unit is one *provisioning deployment*:

- ``id``: the ``deploymentId`` written into ``.proton/deployment-metadata.json``, which the
  workflow sends back; a UUID, as Proton's were;
- ``fingerprint``: the rendered files' fingerprint (without the deployment id);
- ``history_id``: the unit's deployment-history entry that tracks it;
- ``state``: IN_PROGRESS (or DELETE_IN_PROGRESS) until notified, then SUCCEEDED, FAILED,
  DELETE_COMPLETE or DELETE_FAILED; SUPERSEDED when a newer write of the unit replaced it
  before it was notified. A superseded or finished deployment takes no more notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.rows import as_mapping, reading_row, records, require_choice, require_utc

ProvisioningState = Literal[
    "IN_PROGRESS",
    "DELETE_IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "SUPERSEDED",
]
PROVISIONING_STATES: tuple[str, ...] = get_args(ProvisioningState)
WAITING_STATES: tuple[str, ...] = ("IN_PROGRESS", "DELETE_IN_PROGRESS")


@dataclass(frozen=True)
class ProvisioningDeployment:
    """One write of a Terraform unit to the provisioning repository."""

    id: str
    unit_id: str
    revision: str  # the platform commit that asked for it
    version: str  # the template version rendered
    fingerprint: str
    history_id: int
    state: ProvisioningState
    created_at: datetime
    updated_at: datetime
    deleting: bool = False
    folder: str = ""  # the unit's folder in the provisioning repository
    branch: str = ""  # the provisioning branch it was pushed on
    change_request: str = ""  # the pull or merge request's web URL, when known
    message: str = ""

    def __post_init__(self) -> None:
        require_choice(self.state, PROVISIONING_STATES, f"provisioning deployment {self.id} state")
        require_utc(self.created_at, f"provisioning deployment {self.id} created_at")
        require_utc(self.updated_at, f"provisioning deployment {self.id} updated_at")

    @property
    def waiting(self) -> bool:
        """Written and not yet notified of an outcome."""
        return self.state in WAITING_STATES

    def moved_to(
        self, state: ProvisioningState, message: str, now: datetime
    ) -> ProvisioningDeployment:
        return replace(self, state=state, message=message, updated_at=now)

    def to_json(self) -> dict[str, Any]:
        found = self.to_row()
        found["created_at"] = self.created_at.isoformat()
        found["updated_at"] = self.updated_at.isoformat()
        return found

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit_id": self.unit_id,
            "revision": self.revision,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "history_id": self.history_id,
            "state": self.state,
            "deleting": self.deleting,
            "folder": self.folder,
            "branch": self.branch,
            "change_request": self.change_request,
            "message": self.message,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ProvisioningDeployment:
        with reading_row("provisioning_deployments", row.get("id")):
            return cls(
                id=row["id"],
                unit_id=row["unit_id"],
                revision=row["revision"],
                version=row["version"],
                fingerprint=row["fingerprint"],
                history_id=int(row["history_id"]),
                state=row["state"],
                deleting=bool(row["deleting"]),
                folder=row["folder"],
                branch=row["branch"],
                change_request=row["change_request"],
                message=row["message"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )


def save(connection: Connection, deployment: ProvisioningDeployment) -> None:
    t = tables.provisioning_deployments
    row = deployment.to_row()
    found = connection.execute(sa.select(t.c.id).where(t.c.id == deployment.id)).one_or_none()
    if found is None:
        connection.execute(sa.insert(t).values(**row))
    else:
        connection.execute(sa.update(t).where(t.c.id == deployment.id).values(**row))


def get(connection: Connection, deployment_id: str) -> ProvisioningDeployment | None:
    t = tables.provisioning_deployments
    row = connection.execute(sa.select(t).where(t.c.id == deployment_id)).one_or_none()
    return None if row is None else ProvisioningDeployment.from_row(as_mapping(row))


def of_unit(connection: Connection, unit_id: str, limit: int) -> list[ProvisioningDeployment]:
    """A unit's provisioning deployments, newest first."""
    t = tables.provisioning_deployments
    rows = connection.execute(
        sa.select(t)
        .where(t.c.unit_id == unit_id)
        .order_by(t.c.created_at.desc(), t.c.history_id.desc())
        .limit(limit)
    )
    return records(ProvisioningDeployment.from_row, rows)


def waiting(connection: Connection) -> list[ProvisioningDeployment]:
    """Every deployment written and not yet notified, oldest first."""
    t = tables.provisioning_deployments
    rows = connection.execute(
        sa.select(t).where(t.c.state.in_(WAITING_STATES)).order_by(t.c.created_at, t.c.id)
    )
    return records(ProvisioningDeployment.from_row, rows)
