"""Code that tests run in separate OS processes (spawned, so each starts clean).

Each function opens the store itself: a connection must never cross a process boundary.
"""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from reconciler.state import OperationIntent, StateStore

# Long enough that only the parent's SIGKILL ends the child.
HANG_S = 600
LEASE_TTL_S = 300


def intent(unit_id: str, revision: str = "r1") -> OperationIntent:
    return OperationIntent(
        unit_id=unit_id,
        action="create",
        stack_name=unit_id.replace("/", "-"),
        account="111111111111",
        region="us-west-2",
        revision=revision,
        fingerprint="fp-" + revision,
    )


def open_at_once(url: str, start: Barrier, results: Queue[Any]) -> None:
    """Open the store at the same moment as the other workers; report how it went."""
    start.wait()
    try:
        store = StateStore.open(url)
        store.close()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def race_for_leases(
    url: str, holder: str, unit_ids: list[str], start: Barrier, results: Queue[Any]
) -> None:
    """Try to take every unit's lease at the same moment as the other workers."""
    store = StateStore.open(url)
    start.wait()
    won = [unit_id for unit_id in unit_ids if store.acquire_lease(unit_id, holder, LEASE_TTL_S)]
    store.close()
    results.put((holder, won))


def record_then_hang(url: str, unit_id: str, results: Queue[Any]) -> None:
    """Record an operation as issued, say so, then wait to be killed."""
    store = StateStore.open(url)
    operation = store.begin_operation(intent(unit_id))
    results.put(operation.id)
    time.sleep(HANG_S)


def hang_inside_transaction(url: str, unit_id: str, results: Queue[Any]) -> None:
    """Commit one operation, then be killed halfway through a transaction that also
    records an operation and takes the unit's lease."""
    store = StateStore.open(url)
    committed = store.begin_operation(intent(unit_id, "r1"))
    with store.transaction() as tx:
        uncommitted = tx.begin_operation(intent(unit_id, "r2"))
        tx.acquire_lease(unit_id, "doomed", LEASE_TTL_S)
        results.put((committed.id, uncommitted.id))
        time.sleep(HANG_S)
