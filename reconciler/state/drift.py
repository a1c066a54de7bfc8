"""Drift findings: what the scheduled drift checks found, kept for people and notifiers.

A unit has at most one *open* finding: the drift it shows now. A check that finds the
same drift again (same signature) only moves ``checked_at``; a different drift closes the
open finding (``changed``) and opens a new one, so every new finding — each one a
``drift.found`` event — is a new row with a larger id. A notifier reads the findings
after the last id it handled (``findings_after``). A finding is resolved when the stack
is back in line (``in sync``), healed from git (``healed``), or its unit is gone.
Resolved findings are kept up to a bound per unit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.rows import (
    as_mapping,
    dump_json,
    frozen_mapping,
    reading_row,
    records,
    require_choice,
    require_utc,
)

DriftReason = Literal["StackDeleted", "TemplateChanged", "OutputsChanged", "ResourcesDrifted"]
DRIFT_REASONS: tuple[str, ...] = get_args(DriftReason)
# reported: left as it is (heal off, or not allowed for this unit); healing: applied again
# from git; heal-failed: the heal's apply did not succeed.
DriftAction = Literal["reported", "healing", "heal-failed"]
DRIFT_ACTIONS: tuple[str, ...] = get_args(DriftAction)
# Resolved findings kept per unit; older ones are dropped when a new one opens.
KEEP_PER_UNIT = 50


@dataclass(frozen=True)
class DriftFinding:
    """One drift of one unit's stack: what differs, and what Goldenpath did about it."""

    id: int
    unit_id: str
    reason: DriftReason
    message: str
    details: Mapping[str, Any]
    signature: str  # equal signatures: the same drift, seen again
    action: DriftAction
    found_at: datetime
    checked_at: datetime
    resolved_at: datetime | None = None
    resolution: str = ""

    def __post_init__(self) -> None:
        require_choice(self.reason, DRIFT_REASONS, f"drift finding {self.id} reason")
        require_choice(self.action, DRIFT_ACTIONS, f"drift finding {self.id} action")
        require_utc(self.found_at, f"drift finding {self.id} found_at")
        require_utc(self.checked_at, f"drift finding {self.id} checked_at")
        require_utc(self.resolved_at, f"drift finding {self.id} resolved_at")
        object.__setattr__(self, "details", frozen_mapping(self.details))

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit": self.unit_id,
            "reason": self.reason,
            "message": self.message,
            "details": json.loads(dump_json(self.details)),
            "action": self.action,
            "found_at": self.found_at.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "resolution": self.resolution,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DriftFinding:
        with reading_row("drift_findings", row.get("id")):
            return cls(
                id=int(row["id"]),
                unit_id=row["unit_id"],
                reason=row["reason"],
                message=row["message"],
                details=json.loads(row["details"]),
                signature=row["signature"],
                action=row["action"],
                found_at=row["found_at"],
                checked_at=row["checked_at"],
                resolved_at=row["resolved_at"],
                resolution=row["resolution"],
            )


@dataclass(frozen=True)
class DriftReport:
    """What a drift check found on one unit, to be recorded."""

    unit_id: str
    reason: DriftReason
    message: str
    details: Mapping[str, Any]
    signature: str
    action: DriftAction

    def __post_init__(self) -> None:
        require_choice(self.reason, DRIFT_REASONS, f"drift of {self.unit_id!r} reason")
        require_choice(self.action, DRIFT_ACTIONS, f"drift of {self.unit_id!r} action")


def open_finding(connection: Connection, unit_id: str) -> DriftFinding | None:
    t = tables.drift_findings
    row = connection.execute(
        sa.select(t).where(t.c.unit_id == unit_id, t.c.resolved_at.is_(None))
    ).one_or_none()
    return None if row is None else DriftFinding.from_row(as_mapping(row))


def open_findings(connection: Connection) -> list[DriftFinding]:
    """Every open finding, by unit id."""
    t = tables.drift_findings
    rows = connection.execute(sa.select(t).where(t.c.resolved_at.is_(None)).order_by(t.c.unit_id))
    return records(DriftFinding.from_row, rows)


def findings_after(connection: Connection, after_id: int, limit: int) -> list[DriftFinding]:
    """Findings opened after ``after_id``, oldest first: what a notifier has not seen."""
    t = tables.drift_findings
    rows = connection.execute(sa.select(t).where(t.c.id > after_id).order_by(t.c.id).limit(limit))
    return records(DriftFinding.from_row, rows)


def unit_findings(connection: Connection, unit_id: str, limit: int) -> list[DriftFinding]:
    """A unit's findings, newest first."""
    t = tables.drift_findings
    rows = connection.execute(
        sa.select(t).where(t.c.unit_id == unit_id).order_by(t.c.id.desc()).limit(limit)
    )
    return records(DriftFinding.from_row, rows)


def record_finding(
    connection: Connection, report: DriftReport, now: datetime
) -> tuple[DriftFinding, bool]:
    """Record what a check found; True with it when it is a new finding (not seen before)."""
    t = tables.drift_findings
    current = open_finding(connection, report.unit_id)
    if current is not None and current.signature == report.signature:
        row = connection.execute(
            sa.update(t)
            .where(t.c.id == current.id)
            .values(checked_at=now, action=report.action, message=report.message)
            .returning(*t.c)
        ).one()
        return DriftFinding.from_row(as_mapping(row)), False
    if current is not None:
        _resolve(connection, current.id, "changed", now)
    row = connection.execute(
        sa.insert(t)
        .values(
            unit_id=report.unit_id,
            reason=report.reason,
            message=report.message,
            details=dump_json(report.details),
            signature=report.signature,
            action=report.action,
            found_at=now,
            checked_at=now,
            resolved_at=None,
            resolution="",
        )
        .returning(*t.c)
    ).one()
    _drop_oldest(connection, report.unit_id)
    return DriftFinding.from_row(as_mapping(row)), True


def set_action(
    connection: Connection, unit_id: str, action: DriftAction, message: str | None = None
) -> DriftFinding | None:
    """Change what is being done about the unit's open finding (None: it has none)."""
    require_choice(action, DRIFT_ACTIONS, f"drift of {unit_id!r} action")
    t = tables.drift_findings
    values: dict[str, Any] = {"action": action}
    if message is not None:
        values["message"] = message
    row = connection.execute(
        sa.update(t)
        .where(t.c.unit_id == unit_id, t.c.resolved_at.is_(None))
        .values(**values)
        .returning(*t.c)
    ).one_or_none()
    return None if row is None else DriftFinding.from_row(as_mapping(row))


def resolve_finding(
    connection: Connection, unit_id: str, resolution: str, now: datetime
) -> DriftFinding | None:
    """Close the unit's open finding with ``resolution``; None when it had none."""
    current = open_finding(connection, unit_id)
    if current is None:
        return None
    return _resolve(connection, current.id, resolution, now)


def _resolve(
    connection: Connection, finding_id: int, resolution: str, now: datetime
) -> DriftFinding:
    if not resolution:
        raise ValueError("a drift finding is resolved with a resolution, e.g. 'in sync'")
    t = tables.drift_findings
    row = connection.execute(
        sa.update(t)
        .where(t.c.id == finding_id)
        .values(resolved_at=now, resolution=resolution)
        .returning(*t.c)
    ).one()
    return DriftFinding.from_row(as_mapping(row))


def _drop_oldest(connection: Connection, unit_id: str) -> None:
    t = tables.drift_findings
    oldest_kept = connection.execute(
        sa.select(t.c.id)
        .where(t.c.unit_id == unit_id)
        .order_by(t.c.id.desc())
        .offset(KEEP_PER_UNIT - 1)
        .limit(1)
    ).scalar_one_or_none()
    if oldest_kept is not None:
        connection.execute(
            sa.delete(t).where(
                t.c.unit_id == unit_id, t.c.id < oldest_kept, t.c.resolved_at.is_not(None)
            )
        )
