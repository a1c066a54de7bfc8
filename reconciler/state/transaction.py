"""Several state changes written as one: all of them, or none.

When a stack settles the engine records the operation's result, the unit's new outputs
and the deployment's final status. Written one by one, a crash between them would leave a
finished operation whose outputs were never stored. ``StateStore.transaction()`` hands out
a ``StateTransaction`` so that the engine can accumulate those changes and commit once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from reconciler.state import (
    cache,
    drift,
    history,
    journal,
    leases,
    marks,
    offers,
    outbox,
    provisioning,
    rollouts,
    tokens,
    units,
)
from reconciler.state.clock import Clock
from reconciler.state.drift import DriftAction, DriftFinding, DriftReport
from reconciler.state.history import Deployment, DeploymentStart, DeploymentStatus
from reconciler.state.journal import Operation, OperationIntent, OperationState
from reconciler.state.offers import OfferState, UpdateOffer
from reconciler.state.outbox import OutgoingNotice
from reconciler.state.provisioning import ProvisioningDeployment
from reconciler.state.rollouts import Rollout
from reconciler.state.settings import StateSettings
from reconciler.state.tokens import StoredToken
from reconciler.state.units import UnitRecord


class StateTransaction:
    """The state store's writes, on one connection inside one open transaction."""

    def __init__(self, connection: Connection, settings: StateSettings, clock: Clock) -> None:
        self._connection = connection
        self._settings = settings
        self._clock = clock
        self.committed: list[Callable[[], None]] = []  # run once the writes are committed

    def now(self) -> datetime:
        """The store's clock: the time this transaction stamps on what it writes."""
        return self._clock.now()

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for the store's satellite tables (the outbox)."""
        return self._connection

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (never if it rolls back)."""
        self.committed.append(callback)

    def queue_notices(self, notices: Sequence[OutgoingNotice]) -> int:
        """Queue notifications in the outbox with the writes they tell of; returns how
        many were new (an event already queued for a target is not queued again)."""
        return outbox.queue(self._connection, notices, self._clock.now())

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
        self,
        unit_id: str,
        revision: str,
        version: str,
        *,
        deleting: bool = False,
        by: tuple[str, str] = ("", ""),
        message: str = "",
        body: str | None = None,
    ) -> Deployment:
        """Open a history entry: IN_PROGRESS, or DELETE_IN_PROGRESS for a deletion.

        ``by``: (actor, action) when a person's write action starts it. ``body``: the
        template body it sends, secret inputs masked (kept once per content).
        """
        start = DeploymentStart(
            unit_id=unit_id,
            revision=revision,
            version=version,
            status="DELETE_IN_PROGRESS" if deleting else "IN_PROGRESS",
            message=message,
            actor=by[0],
            action=by[1],
            body=body,
        )
        return history.start_deployment(
            self._connection, start, self._clock.now(), self._settings.history_per_unit
        )

    def finish_deployment(
        self,
        deployment_id: int,
        status: DeploymentStatus,
        message: str = "",
        *,
        by: tuple[str, str] | None = None,
    ) -> Deployment:
        """Close a history entry with a final status (SUCCEEDED, FAILED, DELETE_COMPLETE, …).

        ``by``: (actor, action) when someone's report closes it (a Terraform notification).
        """
        if status not in history.FINAL_STATUSES:
            raise ValueError(
                f"finish_deployment needs a final status ({', '.join(history.FINAL_STATUSES)}); "
                f"got {status!r}"
            )
        return history.set_status(
            self._connection, deployment_id, status, message, self._clock.now(), by=by
        )

    def note_deployment(
        self, deployment_id: int, message: str, *, by: tuple[str, str] | None = None
    ) -> Deployment:
        """Change the message of a deployment still in progress (its status stays)."""
        found = history.get_deployment(self._connection, deployment_id)
        if found is None or found.finished:
            raise ValueError(f"deployment {deployment_id} is not in progress")
        return history.set_status(
            self._connection, deployment_id, found.status, message, self._clock.now(), by=by
        )

    def save_provisioning(self, deployment: ProvisioningDeployment) -> None:
        """Record or update one write of a Terraform unit (``state.provisioning``)."""
        provisioning.save(self._connection, deployment)

    def provisioning_deployment(self, deployment_id: str) -> ProvisioningDeployment | None:
        return provisioning.get(self._connection, deployment_id)

    def provisioning_of(self, unit_id: str, limit: int = 20) -> list[ProvisioningDeployment]:
        return provisioning.of_unit(self._connection, unit_id, limit)

    def unit(self, unit_id: str) -> UnitRecord | None:
        return units.get_unit(self._connection, unit_id)

    def cancel_deployment(
        self, deployment_id: int, message: str = "", *, by: tuple[str, str] | None = None
    ) -> Deployment:
        """Mark a deployment CANCELLING; ``finish_deployment(…, "CANCELLED")`` ends it.

        ``by``: (actor, action) of who cancels it.
        """
        return history.set_status(
            self._connection, deployment_id, "CANCELLING", message, self._clock.now(), by=by
        )

    def record_drift(self, report: DriftReport) -> tuple[DriftFinding, bool]:
        """Record a drift check's finding; True with it when it is new (see state.drift)."""
        return drift.record_finding(self._connection, report, self._clock.now())

    def set_drift_action(
        self, unit_id: str, action: DriftAction, message: str | None = None
    ) -> DriftFinding | None:
        return drift.set_action(self._connection, unit_id, action, message)

    def resolve_drift(self, unit_id: str, resolution: str) -> DriftFinding | None:
        return drift.resolve_finding(self._connection, unit_id, resolution, self._clock.now())

    def reopen_deployment(self, deployment_id: int, message: str) -> Deployment:
        """Back to IN_PROGRESS: a cancel CloudFormation refused took no effect."""
        return history.set_status(
            self._connection, deployment_id, "IN_PROGRESS", message, self._clock.now(), by=("", "")
        )

    def deployment(self, deployment_id: int) -> Deployment | None:
        """One history entry as it is now, read inside this transaction."""
        return history.get_deployment(self._connection, deployment_id)

    def add_token(self, token: StoredToken) -> None:
        """Record a new API token (its hash; the token itself is never stored)."""
        tokens.add_token(self._connection, token)

    def revoke_token(self, token_id: str) -> StoredToken | None:
        """Revoke a token from now on; None when no token has that id."""
        return tokens.revoke_token(self._connection, token_id, self._clock.now())

    def save_rollout(self, rollout: Rollout) -> None:
        """Insert or replace a rollout."""
        rollouts.save_rollout(self._connection, rollout)

    def save_update_offer(self, offer: UpdateOffer) -> None:
        """Insert or replace the service's update offer."""
        offers.save_offer(self._connection, offer)

    def end_update_offer(self, branch: str, number: int, state: OfferState) -> UpdateOffer | None:
        """The open offer of change request ``number`` ended (merged or closed)."""
        return offers.end_offer(self._connection, branch, number, state, self._clock.now())

    def record_revision(self, branch: str, commit: str) -> None:
        """Remember the head commit of ``branch`` the reconciler has dealt with."""
        marks.record_revision(self._connection, branch, commit, self._clock.now())

    def forget_revisions(self) -> int:
        """Forget every branch's dealt-with head; returns how many were forgotten."""
        return marks.forget_revisions(self._connection)

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

    def cache_prune(self, namespace: str, unused_since: datetime) -> int:
        """Drop entries of ``namespace`` neither stored nor read since a time."""
        return cache.prune(self._connection, namespace, unused_since)

    def cache_mark_used(self, namespace: str, keys: Iterable[str]) -> int:
        """Record that ``keys`` of ``namespace`` were read now; returns how many rows."""
        return cache.mark_used(self._connection, namespace, keys, self._clock.now())

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
