"""The notification outbox: events to tell webhook targets about, until they have been told.

An event is queued as one row per target, in the same transaction that records what
happened (a deployment's end, a drift finding, a halted rollout), so it is never lost nor
sent for something that was rolled back. A row is ``pending`` until delivered
(``delivered``) or given up after its last attempt (``dead``, with the last error).

Several processes deliver from one outbox. A process *claims* due rows before sending:
one statement sets ``claim`` (a token of its own), ``claimed_by`` and ``claimed_until`` on
rows that are pending, due and not claimed by a live claim — on PostgreSQL it first locks
them ``FOR UPDATE SKIP LOCKED``, SQLite has one writer at a time — so two processes never
hold the same row at once. Only the claim's holder can record the result. A process that
dies holding rows leaves them to be claimed again once the claim expires: then (and only
then) a receiver may see an event twice, with the same id both times.

``(event_id, target)`` is unique: queueing an event again does nothing, which is what
makes an event derived from the state (an exception about to expire) go out once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import insert_for
from reconciler.state.rows import (
    dump_json,
    frozen_mapping,
    reading_row,
    records,
    require_choice,
    require_utc,
)

NoticeState = Literal["pending", "delivered", "dead"]
NOTICE_STATES: tuple[str, ...] = get_args(NoticeState)
# The longest error text kept on a row: enough for a status line and a receiver's reason.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class OutgoingNotice:
    """One event for one target, to be queued."""

    event_id: str
    kind: str
    target: str
    format: str
    url_from: str
    secret_from: str | None
    payload: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", frozen_mapping(self.payload))


@dataclass(frozen=True)
class QueuedNotice:
    """A row of the outbox: an event for one target, and how its delivery is going."""

    id: int
    event_id: str
    kind: str
    target: str
    format: str
    url_from: str
    secret_from: str | None
    payload: Mapping[str, Any]
    state: NoticeState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    finished_at: datetime | None = None
    claim: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    last_error: str = ""

    def __post_init__(self) -> None:
        require_choice(self.state, NOTICE_STATES, f"notification {self.id} state")
        require_utc(self.created_at, f"notification {self.id} created_at")
        require_utc(self.next_attempt_at, f"notification {self.id} next_attempt_at")
        object.__setattr__(self, "payload", frozen_mapping(self.payload))

    def to_json(self) -> dict[str, Any]:
        """What operators read (``GET /api/v1/notifications``): never a URL nor a secret."""

        def when(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "event_id": self.event_id,
            "kind": self.kind,
            "target": self.target,
            "format": self.format,
            "state": self.state,
            "attempts": self.attempts,
            "created_at": when(self.created_at),
            "next_attempt_at": when(self.next_attempt_at) if self.state == "pending" else None,
            "finished_at": when(self.finished_at),
            "claimed_by": self.claimed_by,
            "last_error": self.last_error,
            "summary": self.payload.get("summary", ""),
            "unit": self.payload.get("unit"),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> QueuedNotice:
        with reading_row("notifications", row.get("id")):
            return cls(
                id=int(row["id"]),
                event_id=row["event_id"],
                kind=row["kind"],
                target=row["target"],
                format=row["format"],
                url_from=row["url_from"],
                secret_from=row["secret_from"],
                payload=json.loads(row["payload"]),
                state=row["state"],
                attempts=int(row["attempts"]),
                created_at=row["created_at"],
                next_attempt_at=row["next_attempt_at"],
                finished_at=row["finished_at"],
                claim=row["claim"],
                claimed_by=row["claimed_by"],
                claimed_until=row["claimed_until"],
                last_error=row["last_error"],
            )


def queue(connection: Connection, notices: Sequence[OutgoingNotice], now: datetime) -> int:
    """Queue ``notices``, due now; an event already queued for a target is left as it is.
    Returns how many rows were new."""
    if not notices:
        return 0
    t = tables.notifications
    rows = [
        {
            "event_id": n.event_id,
            "kind": n.kind,
            "target": n.target,
            "format": n.format,
            "url_from": n.url_from,
            "secret_from": n.secret_from,
            "payload": dump_json(n.payload),
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "last_error": "",
        }
        for n in notices
    ]
    stmt = (
        insert_for(connection, t)
        .on_conflict_do_nothing(index_elements=[t.c.event_id, t.c.target])
        .returning(t.c.id)
    )
    # One statement a row: RETURNING says which were new on both backends.
    return sum(len(connection.execute(stmt, row).all()) for row in rows)


def claim(
    connection: Connection,
    token: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    limit: int,
    variables: Collection[str],
) -> list[QueuedNotice]:
    """Claim up to ``limit`` due rows for ``holder`` until ``now + ttl``, oldest first.

    Only rows this process can send are taken: those whose variables (``url_from``,
    ``secret_from``) are among ``variables``, the ones set in its environment. The rest
    wait for a process that has them.
    """
    t = tables.notifications
    names = list(variables)
    claimable = sa.and_(
        t.c.state == "pending",
        t.c.next_attempt_at <= now,
        sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until <= now),
        t.c.url_from.in_(names),
        sa.or_(t.c.secret_from.is_(None), t.c.secret_from.in_(names)),
    )
    due = sa.select(t.c.id).where(claimable).order_by(t.c.id).limit(limit)
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    rows = connection.execute(
        sa.update(t)
        .where(t.c.id.in_(ids), claimable)
        .values(claim=token, claimed_by=holder, claimed_until=now + ttl)
        .returning(*t.c)
    )
    return sorted(records(QueuedNotice.from_row, rows), key=lambda n: n.id)


def delivered(connection: Connection, notice: QueuedNotice, now: datetime) -> bool:
    """Record a delivery; False when the claim was lost (another process took the row)."""
    return _settle(
        connection,
        notice,
        state="delivered",
        attempts=notice.attempts + 1,
        finished_at=now,
        last_error="",
    )


def failed(
    connection: Connection,
    notice: QueuedNotice,
    error: str,
    retry_at: datetime | None,
    now: datetime,
) -> bool:
    """Record a failed attempt: pending again from ``retry_at``, or ``dead`` when None.
    False when the claim was lost."""
    values: dict[str, Any] = {
        "attempts": notice.attempts + 1,
        "last_error": error[:MAX_ERROR_CHARS],
    }
    if retry_at is None:
        values.update(state="dead", finished_at=now)
    else:
        values.update(state="pending", next_attempt_at=retry_at)
    return _settle(connection, notice, **values)


def _settle(connection: Connection, notice: QueuedNotice, **values: Any) -> bool:
    t = tables.notifications
    result = connection.execute(
        sa.update(t)
        .where(t.c.id == notice.id, t.c.claim == notice.claim, t.c.state == "pending")
        .values(claim=None, claimed_by=None, claimed_until=None, **values)
    )
    return result.rowcount > 0


def release(connection: Connection, holder: str) -> int:
    """Give back every row ``holder`` has claimed and not settled: a clean shutdown."""
    t = tables.notifications
    result = connection.execute(
        sa.update(t)
        .where(t.c.claimed_by == holder, t.c.state == "pending")
        .values(claim=None, claimed_by=None, claimed_until=None)
    )
    return result.rowcount


def next_due(connection: Connection, variables: Collection[str]) -> datetime | None:
    """When the earliest pending row this process can send can be claimed: when it is due,
    or when another's claim on it runs out."""
    t = tables.notifications
    names = list(variables)
    claimable_at = sa.case(
        (t.c.claimed_until > t.c.next_attempt_at, t.c.claimed_until), else_=t.c.next_attempt_at
    )
    found: datetime | None = connection.execute(
        sa.select(sa.func.min(claimable_at)).where(
            t.c.state == "pending",
            t.c.url_from.in_(names),
            sa.or_(t.c.secret_from.is_(None), t.c.secret_from.in_(names)),
        )
    ).scalar_one_or_none()
    if found is None:
        return None
    # An aggregate skips the column type: read it back as the store's UTC time.
    return tables.UtcDateTime().process_result_value(found, connection.dialect)


def listing(
    connection: Connection,
    state: NoticeState | None,
    after_id: int,
    limit: int,
) -> list[QueuedNotice]:
    """Rows after ``after_id``, oldest first; only those in ``state`` when given."""
    t = tables.notifications
    query = sa.select(t).where(t.c.id > after_id)
    if state is not None:
        query = query.where(t.c.state == state)
    return records(QueuedNotice.from_row, connection.execute(query.order_by(t.c.id).limit(limit)))


def recent(connection: Connection, limit: int) -> list[QueuedNotice]:
    """The newest rows, newest first."""
    t = tables.notifications
    rows = connection.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit))
    return records(QueuedNotice.from_row, rows)


def counts(connection: Connection) -> dict[tuple[str, str], int]:
    """Rows by (target, state)."""
    t = tables.notifications
    rows = connection.execute(
        sa.select(t.c.target, t.c.state, sa.func.count()).group_by(t.c.target, t.c.state)
    )
    return {(target, state): int(n) for target, state, n in rows}


def prune(connection: Connection, finished_before: datetime) -> int:
    """Drop delivered and dead rows finished before a time; returns how many."""
    t = tables.notifications
    result = connection.execute(
        sa.delete(t).where(t.c.state != "pending", t.c.finished_at < finished_before)
    )
    return result.rowcount
