"""One lease per unit, so that two processes never operate on the same stack at once.

Taking a lease is one statement: insert the lease, or, when one exists, take it over only
if it has expired or is already ours. Both PostgreSQL and SQLite decide that conflict
inside the database (``INSERT … ON CONFLICT … DO UPDATE … WHERE``), so two processes
racing for a unit cannot both win. Time comes from the store's clock, so tests can expire
a lease without waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import insert_for
from reconciler.state.rows import as_mapping, reading_row, records


@dataclass(frozen=True)
class Lease:
    """Who may operate on a unit's stack, and until when."""

    unit_id: str
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Lease:
        with reading_row("leases", row.get("unit_id")):
            return cls(
                unit_id=row["unit_id"],
                holder=row["holder"],
                acquired_at=row["acquired_at"],
                expires_at=row["expires_at"],
            )


def ttl_delta(ttl_s: float) -> timedelta:
    if not ttl_s > 0:
        raise ValueError(f"a lease's ttl_s must be a positive number of seconds; got {ttl_s!r}")
    return timedelta(seconds=ttl_s)


def require_holder(holder: str) -> None:
    if not holder:
        raise ValueError("a lease holder must be a non-empty name (host, process id, …)")


def acquire(
    connection: Connection, unit_id: str, holder: str, ttl: timedelta, now: datetime
) -> bool:
    """Take the unit's lease, or extend it if ``holder`` has it. False if another has it."""
    t = tables.leases
    stmt = insert_for(connection, t).values(
        unit_id=unit_id, holder=holder, acquired_at=now, expires_at=now + ttl
    )
    taken_over = stmt.excluded.holder != t.c.holder
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.unit_id],
        set_={
            "holder": stmt.excluded.holder,
            # Extending our own lease keeps the time we first took it.
            "acquired_at": sa.case((taken_over, stmt.excluded.acquired_at), else_=t.c.acquired_at),
            "expires_at": stmt.excluded.expires_at,
        },
        where=sa.or_(t.c.holder == holder, t.c.expires_at <= now),
    ).returning(t.c.holder)
    return connection.execute(stmt).scalar_one_or_none() == holder


def renew(connection: Connection, unit_id: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Extend ``holder``'s lease. False if the lease is gone or someone else has it now."""
    t = tables.leases
    result = connection.execute(
        sa.update(t)
        .where(t.c.unit_id == unit_id, t.c.holder == holder)
        .values(expires_at=now + ttl)
    )
    return result.rowcount > 0


def release(connection: Connection, unit_id: str, holder: str) -> bool:
    """Give the lease back. Only its holder can; False if ``holder`` did not have it."""
    t = tables.leases
    result = connection.execute(sa.delete(t).where(t.c.unit_id == unit_id, t.c.holder == holder))
    return result.rowcount > 0


def release_all(connection: Connection, holder: str) -> int:
    """Give back every lease ``holder`` has: a clean shutdown."""
    t = tables.leases
    return connection.execute(sa.delete(t).where(t.c.holder == holder)).rowcount


def all_leases(connection: Connection) -> list[Lease]:
    t = tables.leases
    return records(Lease.from_row, connection.execute(sa.select(t).order_by(t.c.unit_id)))


def get_lease(connection: Connection, unit_id: str) -> Lease | None:
    t = tables.leases
    row = connection.execute(sa.select(t).where(t.c.unit_id == unit_id)).one_or_none()
    return None if row is None else Lease.from_row(as_mapping(row))
