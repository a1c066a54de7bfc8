"""Automatic minor-version rollouts, moving through environments in waves.

A merged minor bump of a template whose environments follow ``updates: automatic`` goes
out wave by wave, in the order ``goldenpath.yaml`` gives. A rollout's status is derived
from its waves: it halts at the first failed wave and completes when every wave succeeds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import upsert
from reconciler.state.rows import (
    as_mapping,
    dump_json,
    reading_row,
    records,
    require_choice,
    require_utc,
)

WaveStatus = Literal["pending", "running", "succeeded", "failed"]
RolloutStatus = Literal["running", "halted", "complete"]
WAVE_STATUSES: tuple[str, ...] = get_args(WaveStatus)
ROLLOUT_STATUSES: tuple[str, ...] = get_args(RolloutStatus)


@dataclass(frozen=True)
class Wave:
    """The environments updated together in one step of a rollout."""

    environments: tuple[str, ...]
    status: WaveStatus = "pending"

    def __post_init__(self) -> None:
        require_choice(self.status, WAVE_STATUSES, "wave status")
        if not self.environments:
            raise ValueError("a wave must name at least one environment")
        object.__setattr__(self, "environments", tuple(self.environments))

    def to_json(self) -> dict[str, Any]:
        return {"environments": list(self.environments), "status": self.status}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Wave:
        return cls(environments=tuple(data["environments"]), status=data["status"])


@dataclass(frozen=True)
class Rollout:
    """One template's move from ``from_version`` to ``to_version`` across its environments."""

    id: str
    template: str
    major: int
    from_version: str
    to_version: str
    waves: tuple[Wave, ...]
    status: RolloutStatus
    started_at: datetime
    updated_at: datetime
    message: str = ""

    def __post_init__(self) -> None:
        require_choice(self.status, ROLLOUT_STATUSES, f"rollout {self.id!r} status")
        require_utc(self.started_at, f"rollout {self.id!r} started_at")
        require_utc(self.updated_at, f"rollout {self.id!r} updated_at")
        if not self.waves:
            raise ValueError(f"rollout {self.id!r} must have at least one wave")
        object.__setattr__(self, "waves", tuple(self.waves))

    @classmethod
    def begin(
        cls,
        template: str,
        major: int,
        from_version: str,
        to_version: str,
        waves: Sequence[Sequence[str]],
        now: datetime,
    ) -> Rollout:
        """A new running rollout whose waves are all pending."""
        return cls(
            id=uuid.uuid4().hex,
            template=template,
            major=major,
            from_version=from_version,
            to_version=to_version,
            waves=tuple(Wave(environments=tuple(envs)) for envs in waves),
            status="running",
            started_at=now,
            updated_at=now,
        )

    @property
    def current_wave(self) -> int | None:
        """Index of the first wave that has not succeeded; None once all have."""
        return next((i for i, w in enumerate(self.waves) if w.status != "succeeded"), None)

    def with_wave(
        self, index: int, status: WaveStatus, now: datetime, message: str = ""
    ) -> Rollout:
        """Record how wave ``index`` went; the rollout's own status follows from its waves."""
        if not 0 <= index < len(self.waves):
            raise IndexError(f"rollout {self.id!r} has {len(self.waves)} waves; no wave {index}")
        waves = list(self.waves)
        waves[index] = replace(waves[index], status=status)
        derived: RolloutStatus = "running"
        if any(w.status == "failed" for w in waves):
            derived = "halted"
        elif all(w.status == "succeeded" for w in waves):
            derived = "complete"
        return replace(self, waves=tuple(waves), status=derived, updated_at=now, message=message)

    def to_json(self) -> dict[str, Any]:
        """One entry of ``status --output json``'s ``rollouts``."""
        return {
            "id": self.id,
            "template": self.template,
            "major": self.major,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "waves": [w.to_json() for w in self.waves],
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "message": self.message,
        }

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template,
            "major": self.major,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "waves": dump_json([w.to_json() for w in self.waves]),
            "status": self.status,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "message": self.message,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Rollout:
        with reading_row("rollouts", row.get("id")):
            return cls(
                id=row["id"],
                template=row["template"],
                major=int(row["major"]),
                from_version=row["from_version"],
                to_version=row["to_version"],
                waves=tuple(Wave.from_json(w) for w in json.loads(row["waves"])),
                status=row["status"],
                started_at=row["started_at"],
                updated_at=row["updated_at"],
                message=row["message"],
            )


def save_rollout(connection: Connection, rollout: Rollout) -> None:
    upsert(connection, tables.rollouts, [rollout.to_row()], keys=("id",))


def get_rollout(connection: Connection, rollout_id: str) -> Rollout | None:
    t = tables.rollouts
    row = connection.execute(sa.select(t).where(t.c.id == rollout_id)).one_or_none()
    return None if row is None else Rollout.from_row(as_mapping(row))


def list_rollouts(connection: Connection, status: RolloutStatus | None) -> list[Rollout]:
    """Rollouts, newest first; only those in ``status`` when it is given."""
    t = tables.rollouts
    query = sa.select(t).order_by(t.c.started_at.desc(), t.c.id)
    if status is not None:
        require_choice(status, ROLLOUT_STATUSES, "rollout status")
        query = query.where(t.c.status == status)
    return records(Rollout.from_row, connection.execute(query))
