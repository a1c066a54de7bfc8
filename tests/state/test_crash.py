"""A process killed at any moment loses no committed state and leaves nothing half-done.

The children are real OS processes ended with SIGKILL: no cleanup, no atexit, no rollback
by Python; only the database's own guarantees are left.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from reconciler.state import StateStore
from tests.state import workers

# Generous: a spawned child imports SQLAlchemy before it reports, and the machine is busy.
CHILD_REPORT_TIMEOUT_S = 120


def _run_and_kill(target: Callable[..., None], *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=target, args=(*args, results))
    child.start()
    try:
        report = results.get(timeout=CHILD_REPORT_TIMEOUT_S)
    finally:
        child.kill()
        child.join(timeout=60)
    assert child.exitcode == -9
    return report


def test_an_operation_recorded_before_a_kill_is_in_flight_after_restart(
    state_url: str, open_store: Callable[..., StateStore]
) -> None:
    op_id = _run_and_kill(workers.record_then_hang, state_url, "service/web/test")
    restarted = open_store()
    in_flight = restarted.in_flight()
    assert [op.id for op in in_flight] == [op_id]
    assert in_flight[0].intent == workers.intent("service/web/test")
    assert in_flight[0].client_token.endswith(op_id)


def test_a_transaction_cut_by_a_kill_leaves_nothing_and_blocks_nothing(
    state_url: str, open_store: Callable[..., StateStore]
) -> None:
    committed, uncommitted = _run_and_kill(
        workers.hang_inside_transaction, state_url, "service/web/test"
    )
    restarted = open_store()
    assert [op.id for op in restarted.in_flight()] == [committed]
    assert restarted.operation(uncommitted) is None
    # The dead transaction held the database's write lock (SQLite) or the lease row's
    # lock (PostgreSQL): both must be gone, and the lease it took must never have existed.
    assert restarted.acquire_lease("service/web/test", "survivor", 60) is True
    restarted.finish_operation(committed, "done", {"resumed": True})
    assert restarted.in_flight() == []
