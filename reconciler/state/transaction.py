"""Several state changes written as one: all of them, or none.

When a stack settles the engine records the operation's result, the unit's new outputs
and the deployment's final status. Written one by one, a crash between them would leave a
finished operation whose outputs were never stored. ``StateStore.transaction()`` hands out
a ``StateTransaction`` so that the engine can accumulate those changes and commit once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from reconciler.state import cache, history, journal, leases, marks, rollouts, units
from reconciler.state.clock import Clock
from reconciler.state.history import Deployment, DeploymentStart, DeploymentStatus
from reconciler.state.journal import Operation, OperationIntent, OperationState
from reconciler.state.rollouts import Rollout
from reconciler.state.settings import StateSettings
from reconciler.state.units import UnitRecord


class StateTransaction:
    """The state store's writes, on one connection inside one open transaction."""

    def __init__(self, connection: Connection, settings: StateSettings, clock: Clock) -> None:
        self._connection = connection
        self._settings = settings
        self._clock = clock

    def save_units(self, records: Iterable[UnitRecord]) -> int:
        """Insert or replace each unit's record; returns how many were written."""
        return units.save_units(self._connection, records)

    def forget_unit(self, unit_id: str) -> bool:
        """Drop a unit whose stack is gone. Its history and operations are kept."""
        return units.forget_unit(self._connection, unit_id)

    def begin_operation(self, intent: OperationIntent) -> Operation:
        """Record an operation as issued, with a fresh client token, before the cloud call."""
        return journal.begin_operation(self._connection, intent, self._clock.now())

    def finish_operation(
        self, op_id: str, state: OperationState, result: Mapping[str, Any]
    ) -> Operation:
        """Mark an in-flight operation ``done`` or ``failed`` with what came of it."""
        return journal.finish_operation(
            self._connection,
            op_id,
            state,
            result,
            self._clock.now(),
            self._settings.operations_per_unit,
        )

    def start_deployment(
        self, unit_id: str, revision: str, version: str, *, deleting: bool = False
    ) -> Deployment:
        """Open a history entry: IN_PROGRESS, or DELETE_IN_PROGRESS for a deletion."""
        start = DeploymentStart(
            unit_id=unit_id,
            revision=revision,
            version=version,
            status="DELETE_IN_PROGRESS" if deleting else "IN_PROGRESS",
        )
        return history.start_deployment(
            self._connection, start, self._clock.now(), self._settings.history_per_unit
        )

    def finish_deployment(
        self, deployment_id: int, status: DeploymentStatus, message: str = ""
    ) -> Deployment:
        """Close a history entry with a final status (SUCCEEDED, FAILED, DELETE_COMPLETE, …)."""
        if status not in history.FINAL_STATUSES:
            raise ValueError(
                f"finish_deployment needs a final status ({', '.join(history.FINAL_STATUSES)}); "
                f"got {status!r}"
            )
        return history.set_status(
            self._connection, deployment_id, status, message, self._clock.now()
        )

    def cancel_deployment(self, deployment_id: int, message: str = "") -> Deployment:
        """Mark a deployment CANCELLING; ``finish_deployment(…, "CANCELLED")`` ends it."""
        return history.set_status(
            self._connection, deployment_id, "CANCELLING", message, self._clock.now()
        )

    def save_rollout(self, rollout: Rollout) -> None:
        """Insert or replace a rollout."""
        rollouts.save_rollout(self._connection, rollout)

    def record_revision(self, branch: str, commit: str) -> None:
        """Remember the head commit of ``branch`` the reconciler has dealt with."""
        marks.record_revision(self._connection, branch, commit, self._clock.now())

    def claim_delivery(self, delivery_id: str) -> bool:
        """True the first time a webhook delivery id is seen within the retention period."""
        return marks.claim_delivery(
            self._connection, delivery_id, self._clock.now(), self._settings.delivery_retention
        )

    def claim_deliveries(self, delivery_ids: Sequence[str]) -> set[str]:
        """Record many delivery ids at once; returns those seen for the first time."""
        return marks.claim_deliveries(
            self._connection, delivery_ids, self._clock.now(), self._settings.delivery_retention
        )

    def forget_delivery(self, delivery_id: str) -> bool:
        return marks.forget_delivery(self._connection, delivery_id)

    def forget_deliveries(self, delivery_ids: Sequence[str]) -> int:
        return marks.forget_deliveries(self._connection, delivery_ids)

    def cache_delete(self, namespace: str, key: str) -> bool:
        return cache.delete(self._connection, namespace, key)

    def cache_put_many(self, namespace: str, entries: Mapping[str, Any]) -> int:
        """Store JSON values under their keys in ``namespace``, replacing older ones."""
        return cache.put_many(self._connection, namespace, entries, self._clock.now())

    def cache_prune(self, namespace: str, stored_before: datetime) -> int:
        """Drop entries of ``namespace`` last stored before a time; returns how many."""
        return cache.prune(self._connection, namespace, stored_before)

    def acquire_lease(self, unit_id: str, holder: str, ttl_s: float) -> bool:
        """Take or extend the unit's lease for ``ttl_s`` seconds; False if another holds it."""
        ttl = leases.ttl_delta(ttl_s)
        leases.require_holder(holder)
        return leases.acquire(self._connection, unit_id, holder, ttl, self._clock.now())

    def renew_lease(self, unit_id: str, holder: str, ttl_s: float) -> bool:
        """Extend ``holder``'s lease to ``ttl_s`` from now; False if it no longer holds it."""
        ttl = leases.ttl_delta(ttl_s)
        return leases.renew(self._connection, unit_id, holder, ttl, self._clock.now())

    def release_lease(self, unit_id: str, holder: str) -> bool:
        """Give the lease back; False if ``holder`` did not hold it."""
        return leases.release(self._connection, unit_id, holder)

    def release_leases(self, holder: str) -> int:
        """Give back every lease ``holder`` holds; returns how many."""
        return leases.release_all(self._connection, holder)
