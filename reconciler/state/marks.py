"""Small marks that let the reconciler skip work it has already done.

- The last head commit seen per branch: ``serve`` does nothing when the head is unchanged
  (Flux skips a reconcile when the revision is the same). ``goldenpath retry`` forgets
  them, so a running ``serve`` reconciles at its next poll.
- Webhook delivery ids already handled: a redelivery, even to another replica behind the
  same load balancer, does no work twice. Ids are remembered for a retention period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.state import tables
from reconciler.state.database import insert_for, upsert


def seen_revision(connection: Connection, branch: str) -> str | None:
    t = tables.revisions
    return connection.execute(
        sa.select(t.c.commit).where(t.c.branch == branch)
    ).scalar_one_or_none()


def record_revision(connection: Connection, branch: str, commit: str, now: datetime) -> None:
    if not branch or not commit:
        raise ValueError(f"a revision needs a branch and a commit; got {branch!r}, {commit!r}")
    upsert(
        connection,
        tables.revisions,
        [{"branch": branch, "commit": commit, "seen_at": now}],
        keys=("branch",),
    )


def forget_revisions(connection: Connection) -> int:
    """Forget every branch's head: a write action (retry) wants the next poll to work."""
    return int(connection.execute(sa.delete(tables.revisions)).rowcount)


def claim_deliveries(
    connection: Connection, delivery_ids: Sequence[str], now: datetime, retention: timedelta
) -> set[str]:
    """Record delivery ids in one statement; those seen for the first time (within the
    retention period). Ids older than the retention period are dropped first."""
    if not all(delivery_ids):
        raise ValueError("a webhook delivery id must be a non-empty string")
    t = tables.deliveries
    connection.execute(sa.delete(t).where(t.c.received_at < now - retention))
    if not delivery_ids:
        return set()
    rows = [{"id": d, "received_at": now} for d in dict.fromkeys(delivery_ids)]
    stmt = insert_for(connection, t).on_conflict_do_nothing(index_elements=[t.c.id])
    # One compiled statement for any batch size: the driver sends the rows as multi-row
    # INSERTs ("insertmanyvalues"), and RETURNING names only the rows inserted now.
    return set(connection.execute(stmt.returning(t.c.id), rows).scalars())


def claim_delivery(
    connection: Connection, delivery_id: str, now: datetime, retention: timedelta
) -> bool:
    """True the first time ``delivery_id`` is seen within the retention period."""
    return bool(claim_deliveries(connection, [delivery_id], now, retention))


def forget_deliveries(connection: Connection, delivery_ids: Sequence[str]) -> int:
    """Drop claimed delivery ids, so that their redeliveries are processed (they were not
    queued); returns how many were there."""
    t = tables.deliveries
    return int(connection.execute(sa.delete(t).where(t.c.id.in_(delivery_ids))).rowcount)


def forget_delivery(connection: Connection, delivery_id: str) -> bool:
    """Drop a claimed delivery id, so that its redelivery is processed (it was not queued)."""
    return bool(forget_deliveries(connection, [delivery_id]))
