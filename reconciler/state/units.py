"""The recorded status of each unit (one stack): target, version, outputs and conditions.

This is what ``goldenpath status`` shows and what the planner compares the desired state
with. Conditions follow Flux: ``Ready``, ``Reconciling`` and ``Stalled``, each with a
reason, a message and the time it last flipped; ``Drifted`` joins them once a scheduled
drift check has looked at the unit's stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import upsert
from reconciler.state.rows import (
    as_mapping,
    dump_json,
    frozen_mapping,
    reading_row,
    records,
    require_choice,
    require_utc,
)

UnitKind = Literal["environment", "service", "pipeline", "component"]
ConditionType = Literal["Ready", "Reconciling", "Stalled", "Drifted"]
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
CONDITION_TYPES: tuple[str, ...] = get_args(ConditionType)


@dataclass(frozen=True)
class Condition:
    """One condition on a unit: whether it holds, why, and since when."""

    type: ConditionType
    status: bool
    reason: str
    message: str
    since: datetime

    def __post_init__(self) -> None:
        require_choice(self.type, CONDITION_TYPES, "condition type")
        require_utc(self.since, "condition since")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "since": self.since.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Condition:
        return cls(
            type=cast(ConditionType, data["type"]),
            status=bool(data["status"]),
            reason=str(data["reason"]),
            message=str(data["message"]),
            since=datetime.fromisoformat(data["since"]),
        )


@dataclass(frozen=True)
class UnitRecord:
    """What is recorded about one unit: where its stack is and how it last went.

    ``fingerprint`` and ``outputs`` are those of the last successful apply; ``stack_id``
    is CloudFormation's id once the stack exists. ``version`` is the template version the
    stack runs (``"1.2"``).
    """

    id: str
    kind: UnitKind
    stack_name: str
    account: str
    region: str
    template: str
    version: str
    updated_at: datetime
    fingerprint: str | None = None
    stack_id: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    last_attempted_revision: str | None = None
    last_applied_revision: str | None = None
    # The team owning the unit's service: whose tokens may act on it (None: admins only).
    team: str | None = None
    # The unit ids this one depends on (its environment, the units it binds, a pipeline's
    # instances, a component's instance), as the engine last started it.
    depends_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_choice(self.kind, UNIT_KINDS, f"unit {self.id!r} kind")
        if not self.id.startswith(f"{self.kind}/"):
            raise ValueError(f"unit id {self.id!r} must start with its kind, '{self.kind}/'")
        require_utc(self.updated_at, f"unit {self.id!r} updated_at")
        for name, value in self.outputs.items():
            if not isinstance(value, str):
                raise ValueError(
                    f"unit {self.id!r} output {name!r} must be a string, got {type(value).__name__}"
                )
        types = [c.type for c in self.conditions]
        if len(types) != len(set(types)):
            raise ValueError(f"unit {self.id!r} has a condition type twice: {types}")
        object.__setattr__(self, "outputs", frozen_mapping(self.outputs))
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))

    def condition(self, type_: ConditionType) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def with_condition(self, condition: Condition) -> UnitRecord:
        """Set one condition. As in Kubernetes, ``since`` moves only when the status flips."""
        old = self.condition(condition.type)
        if old is not None and old.status == condition.status:
            condition = replace(condition, since=old.since)
        kept = [c for c in self.conditions if c.type != condition.type]
        ordered = sorted([*kept, condition], key=lambda c: CONDITION_TYPES.index(c.type))
        return replace(self, conditions=tuple(ordered))

    def with_attempt(self, revision: str, now: datetime) -> UnitRecord:
        """The engine starts working on ``revision`` (Flux's lastAttemptedRevision)."""
        return replace(self, last_attempted_revision=revision, updated_at=now)

    def with_applied(
        self, revision: str, fingerprint: str, outputs: Mapping[str, str], now: datetime
    ) -> UnitRecord:
        """The stack reached ``revision``: keep what was applied and what it gave back."""
        return replace(
            self,
            last_applied_revision=revision,
            fingerprint=fingerprint,
            outputs=outputs,
            updated_at=now,
        )

    def with_stack(self, stack_id: str, now: datetime) -> UnitRecord:
        """CloudFormation answered with the stack's id."""
        return replace(self, stack_id=stack_id, updated_at=now)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for ``status --output json`` and the API (which add the
        recommended version and whether the unit is outdated)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "stack_name": self.stack_name,
            "stack_id": self.stack_id,
            "account": self.account,
            "region": self.region,
            "template": self.template,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "conditions": [c.to_json() for c in self.conditions],
            "last_attempted_revision": self.last_attempted_revision,
            "last_applied_revision": self.last_applied_revision,
            "outputs": dict(self.outputs),
            "updated_at": self.updated_at.isoformat(),
            "team": self.team,
            "depends_on": list(self.depends_on),
        }

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "stack_name": self.stack_name,
            "account": self.account,
            "region": self.region,
            "template": self.template,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "stack_id": self.stack_id,
            "outputs": dump_json(self.outputs),
            "conditions": dump_json([c.to_json() for c in self.conditions]),
            "last_attempted_revision": self.last_attempted_revision,
            "last_applied_revision": self.last_applied_revision,
            "updated_at": self.updated_at,
            "team": self.team,
            "depends_on": dump_json(list(self.depends_on)),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> UnitRecord:
        with reading_row("units", row.get("id")):
            return cls(
                id=row["id"],
                kind=row["kind"],
                stack_name=row["stack_name"],
                account=row["account"],
                region=row["region"],
                template=row["template"],
                version=row["version"],
                fingerprint=row["fingerprint"],
                stack_id=row["stack_id"],
                outputs=json.loads(row["outputs"]),
                conditions=tuple(Condition.from_json(c) for c in json.loads(row["conditions"])),
                last_attempted_revision=row["last_attempted_revision"],
                last_applied_revision=row["last_applied_revision"],
                updated_at=row["updated_at"],
                team=row["team"],
                depends_on=tuple(json.loads(row["depends_on"])),
            )


def all_units(
    connection: Connection, known: dict[tuple[Any, ...], UnitRecord] | None = None
) -> list[UnitRecord]:
    """Every unit's record, by id. ``known``: records by their raw row, from an earlier
    read; an unchanged row is not decoded again, and ``known`` is left holding this read's
    rows (a long-running process plans thousands of units after every commit)."""
    rows = connection.execute(sa.select(tables.units).order_by(tables.units.c.id))
    if known is None:
        return records(UnitRecord.from_row, rows)
    found: dict[tuple[Any, ...], UnitRecord] = {}
    for row in rows:
        raw = tuple(row)
        record = known.get(raw)
        if record is None:
            record = UnitRecord.from_row(as_mapping(row))
        found[raw] = record
    known.clear()
    known.update(found)
    return list(found.values())


def get_unit(connection: Connection, unit_id: str) -> UnitRecord | None:
    row = connection.execute(
        sa.select(tables.units).where(tables.units.c.id == unit_id)
    ).one_or_none()
    return None if row is None else UnitRecord.from_row(as_mapping(row))


def save_units(connection: Connection, units: Iterable[UnitRecord]) -> int:
    rows = [unit.to_row() for unit in units]
    ids = [row["id"] for row in rows]
    if len(ids) != len(set(ids)):
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"save_units got the same unit twice: {', '.join(duplicated)}")
    upsert(connection, tables.units, rows, keys=("id",))
    return len(rows)


def forget_unit(connection: Connection, unit_id: str) -> bool:
    result = connection.execute(sa.delete(tables.units).where(tables.units.c.id == unit_id))
    return result.rowcount > 0


def dependants(connection: Connection, unit_id: str) -> list[str]:
    """Ids of the recorded units that depend on ``unit_id``, sorted.

    A LIKE narrows the rows in the database; the JSON is then read to be exact.
    """
    t = tables.units
    quoted = json.dumps(unit_id)
    escaped = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = connection.execute(
        sa.select(t.c.id, t.c.depends_on)
        .where(t.c.depends_on.like(f"%{escaped}%", escape="\\"))
        .order_by(t.c.id)
    )
    return [row.id for row in rows if unit_id in json.loads(row.depends_on)]
