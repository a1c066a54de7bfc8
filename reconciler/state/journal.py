"""The write-ahead log of stack operations, which makes an interrupted apply resumable.

An operation is written (``issued``) before its CloudFormation call is made and finished
(``done`` or ``failed``) once the stack settles. A process that restarts reads what is
still ``issued`` and resumes it: it re-sends the same call with the same client token, or
looks the stack up, but it never issues a second, different call for the same intent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
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

OperationAction = Literal["create", "update", "delete"]
OperationState = Literal["issued", "done", "failed"]
OPERATION_ACTIONS: tuple[str, ...] = get_args(OperationAction)
OPERATION_STATES: tuple[str, ...] = get_args(OperationState)
FINISHED_STATES: tuple[str, ...] = ("done", "failed")
# CloudFormation's ClientRequestToken allows letters, digits and dashes, 128 at most.
CLIENT_TOKEN_PREFIX = "goldenpath-"


@dataclass(frozen=True)
class OperationIntent:
    """A stack operation the engine is about to issue."""

    unit_id: str
    action: OperationAction
    stack_name: str
    account: str
    region: str
    revision: str
    # What the stack will hold once the operation is done; None for a delete.
    fingerprint: str | None = None
    # The change set an update creates and executes; None for create and delete.
    change_set: str | None = None

    def __post_init__(self) -> None:
        require_choice(self.action, OPERATION_ACTIONS, f"operation on {self.unit_id!r} action")


@dataclass(frozen=True)
class Operation:
    """One recorded stack operation: the intent, and how far it got.

    ``client_token`` goes to CloudFormation as ``ClientRequestToken``, so that re-sending
    the call after a crash is recognised as the same call, not a second one.
    """

    id: str
    intent: OperationIntent
    client_token: str
    state: OperationState
    created_at: datetime
    finished_at: datetime | None = None
    result: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        require_choice(self.state, OPERATION_STATES, f"operation {self.id!r} state")
        require_utc(self.created_at, f"operation {self.id!r} created_at")
        require_utc(self.finished_at, f"operation {self.id!r} finished_at")
        if self.result is not None:
            object.__setattr__(self, "result", frozen_mapping(self.result))

    @classmethod
    def issue(cls, intent: OperationIntent, now: datetime) -> Operation:
        """A new operation with its own id and client token, not yet finished."""
        op_id = uuid.uuid4().hex
        return cls(
            id=op_id,
            intent=intent,
            client_token=f"{CLIENT_TOKEN_PREFIX}{op_id}",
            state="issued",
            created_at=now,
        )

    @property
    def in_flight(self) -> bool:
        return self.state == "issued"

    def finished(
        self, state: OperationState, result: Mapping[str, Any], now: datetime
    ) -> Operation:
        if state not in FINISHED_STATES:
            raise ValueError(f"an operation finishes as done or failed; got {state!r}")
        return replace(self, state=state, result=result, finished_at=now)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for logs of what is resumed and for the API."""
        return {
            "id": self.id,
            **asdict(self.intent),
            "client_token": self.client_token,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "result": None if self.result is None else json.loads(dump_json(self.result)),
        }

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit_id": self.intent.unit_id,
            "action": self.intent.action,
            "stack_name": self.intent.stack_name,
            "account": self.intent.account,
            "region": self.intent.region,
            "revision": self.intent.revision,
            "fingerprint": self.intent.fingerprint,
            "change_set": self.intent.change_set,
            "client_token": self.client_token,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "result": None if self.result is None else dump_json(self.result),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Operation:
        with reading_row("operations", row.get("id")):
            intent = OperationIntent(
                unit_id=row["unit_id"],
                action=row["action"],
                stack_name=row["stack_name"],
                account=row["account"],
                region=row["region"],
                revision=row["revision"],
                fingerprint=row["fingerprint"],
                change_set=row["change_set"],
            )
            result = row["result"]
            return cls(
                id=row["id"],
                intent=intent,
                client_token=row["client_token"],
                state=row["state"],
                created_at=row["created_at"],
                finished_at=row["finished_at"],
                result=None if result is None else json.loads(result),
            )


def begin_operation(connection: Connection, intent: OperationIntent, now: datetime) -> Operation:
    operation = Operation.issue(intent, now)
    connection.execute(sa.insert(tables.operations).values(operation.to_row()))
    return operation


def in_flight(connection: Connection) -> list[Operation]:
    t = tables.operations
    rows = connection.execute(
        sa.select(t).where(t.c.state == "issued").order_by(t.c.created_at, t.c.id)
    )
    return records(Operation.from_row, rows)


def get_operation(connection: Connection, op_id: str) -> Operation | None:
    t = tables.operations
    row = connection.execute(sa.select(t).where(t.c.id == op_id)).one_or_none()
    return None if row is None else Operation.from_row(as_mapping(row))


def unit_operations(connection: Connection, unit_id: str, limit: int) -> list[Operation]:
    t = tables.operations
    rows = connection.execute(
        sa.select(t)
        .where(t.c.unit_id == unit_id)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .limit(limit)
    )
    return records(Operation.from_row, rows)


def finish_operation(
    connection: Connection,
    op_id: str,
    state: OperationState,
    result: Mapping[str, Any],
    now: datetime,
    keep_per_unit: int,
) -> Operation:
    """Mark an in-flight operation done or failed, then drop the unit's oldest finished ones."""
    t = tables.operations
    # Lock the row, so two finishers cannot both see it in flight (PostgreSQL; SQLite
    # writers already hold the database's write lock).
    row = connection.execute(sa.select(t).where(t.c.id == op_id).with_for_update()).one_or_none()
    if row is None:
        raise ValueError(f"no operation {op_id!r} is recorded")
    operation = Operation.from_row(as_mapping(row))
    if not operation.in_flight:
        raise ValueError(f"operation {op_id!r} is already {operation.state}, not in flight")
    finished = operation.finished(state, result, now)
    connection.execute(
        sa.update(t)
        .where(t.c.id == op_id)
        .values(state=finished.state, result=finished.to_row()["result"], finished_at=now)
    )
    _drop_oldest_finished(connection, finished.intent.unit_id, keep_per_unit)
    return finished


def _drop_oldest_finished(connection: Connection, unit_id: str, keep: int) -> None:
    t = tables.operations
    finished = sa.and_(t.c.unit_id == unit_id, t.c.state.in_(FINISHED_STATES))
    oldest_kept = connection.execute(
        sa.select(t.c.finished_at, t.c.id)
        .where(finished)
        .order_by(t.c.finished_at.desc(), t.c.id.desc())
        .offset(keep - 1)
        .limit(1)
    ).one_or_none()
    if oldest_kept is None:
        return
    connection.execute(
        sa.delete(t).where(
            finished,
            sa.or_(
                t.c.finished_at < oldest_kept.finished_at,
                sa.and_(t.c.finished_at == oldest_kept.finished_at, t.c.id < oldest_kept.id),
            ),
        )
    )
