"""The state store: what Goldenpath remembers between runs, in SQLite or PostgreSQL.

``StateStore.open(url)`` connects, brings the schema to head and hands back a store whose
methods speak in records (``UnitRecord``, ``Operation``, ``Deployment``, ``Lease``,
``Rollout``). Every method is one transaction; ``transaction()`` groups several writes
into one. Every database failure surfaces as ``StateError``; a call that breaks a rule of
the store (finishing an operation twice, an unknown status) raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import structlog

from reconciler.errors import StateError
from reconciler.state import (
    cache,
    history,
    journal,
    leases,
    marks,
    tokens,
    units,
)
from reconciler.state.clock import SYSTEM_CLOCK, Clock
from reconciler.state.database import (
    DEFAULT_URL,
    create_engine,
    describe,
    parse_url,
    translating_errors,
)
from reconciler.state.history import Deployment, DeploymentStatus
from reconciler.state.journal import Operation, OperationIntent, OperationState
from reconciler.state.leases import Lease
from reconciler.state.migrate import bring_to_head
from reconciler.state.settings import StateSettings
from reconciler.state.store_day_two import DayTwoStore
from reconciler.state.tokens import StoredToken
from reconciler.state.units import UnitRecord

log = structlog.get_logger(__name__)

DEFAULT_SETTINGS = StateSettings()


class StateStore(DayTwoStore):
    """Units, operations, history, tokens, leases, caches and marks, in one database; the
    connection is ``StoreBase``'s (``store_base.py``), and rollouts, drift findings,
    update offers and provisioning deployments are ``DayTwoStore``'s (``store_day_two.py``)."""

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        settings: StateSettings = DEFAULT_SETTINGS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> StateStore:
        """Connect to ``url``, migrate it to the current schema, and return the store.

        Raises ``StateError`` for an unsupported or malformed URL, an unreachable
        database, or a database at a schema revision newer than this code knows.
        """
        parsed = parse_url(url)
        engine = create_engine(parsed, settings)
        try:
            with translating_errors(parsed, "opening"), engine.connect() as connection:
                bring_to_head(connection)
        except BaseException:
            engine.dispose()
            raise
        log.debug("state.opened", url=describe(parsed), backend=parsed.get_backend_name())
        return cls(engine, parsed, settings, clock)

    def close(self) -> None:
        """Record the cache uses noted, then close every pooled connection. The store
        cannot be used afterwards."""
        if not self._closed:
            try:
                self.record_cache_uses()
            except StateError as exc:  # only lost marks: an entry may be pruned early
                log.warning("state.cache_uses_not_recorded", error=str(exc))
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Units.

    def units(self) -> list[UnitRecord]:
        """Every recorded unit, by id."""
        with self._reading("reading units") as connection, self._units_lock:
            return units.all_units(connection, self._unit_rows)

    def unit(self, unit_id: str) -> UnitRecord | None:
        with self._reading(f"reading unit {unit_id}") as connection:
            return units.get_unit(connection, unit_id)

    def save_units(self, records: Iterable[UnitRecord]) -> int:
        """Insert or replace units' records in one transaction; returns how many."""
        with self.transaction("saving units") as tx:
            return tx.save_units(records)

    def forget_unit(self, unit_id: str) -> bool:
        """Drop a unit whose stack was deleted; its history is kept. False if unknown."""
        with self.transaction(f"forgetting unit {unit_id}") as tx:
            return tx.forget_unit(unit_id)

    # Operations: the write-ahead log.

    def begin_operation(self, intent: OperationIntent) -> Operation:
        """Record a stack operation before it is issued; use its ``client_token`` in the call."""
        with self.transaction(f"recording an operation on {intent.unit_id}") as tx:
            return tx.begin_operation(intent)

    def finish_operation(
        self, op_id: str, state: OperationState, result: Mapping[str, Any]
    ) -> Operation:
        """Mark an in-flight operation ``done`` or ``failed``; ``result`` must be JSON."""
        with self.transaction(f"finishing operation {op_id}") as tx:
            return tx.finish_operation(op_id, state, result)

    def in_flight(self) -> list[Operation]:
        """Operations issued but never finished, oldest first: what a restart resumes."""
        with self._reading("reading in-flight operations") as connection:
            return journal.in_flight(connection)

    def operation(self, op_id: str) -> Operation | None:
        with self._reading(f"reading operation {op_id}") as connection:
            return journal.get_operation(connection, op_id)

    def operations(self, unit_id: str, limit: int = 50) -> list[Operation]:
        """A unit's operations, newest first."""
        with self._reading(f"reading operations of {unit_id}") as connection:
            return journal.unit_operations(connection, unit_id, limit)

    # Deployment history.

    def start_deployment(
        self, unit_id: str, revision: str, version: str, *, deleting: bool = False
    ) -> Deployment:
        """Open a history entry (IN_PROGRESS, or DELETE_IN_PROGRESS when ``deleting``)."""
        with self.transaction(f"starting a deployment of {unit_id}") as tx:
            return tx.start_deployment(unit_id, revision, version, deleting=deleting)

    def finish_deployment(
        self, deployment_id: int, status: DeploymentStatus, message: str = ""
    ) -> Deployment:
        """Close a history entry with a final status."""
        with self.transaction(f"finishing deployment {deployment_id}") as tx:
            return tx.finish_deployment(deployment_id, status, message)

    def cancel_deployment(self, deployment_id: int, message: str = "") -> Deployment:
        """Mark a deployment CANCELLING."""
        with self.transaction(f"cancelling deployment {deployment_id}") as tx:
            return tx.cancel_deployment(deployment_id, message)

    def deployment(self, deployment_id: int) -> Deployment | None:
        """One history entry by id, or None (never recorded, or dropped as old)."""
        with self._reading(f"reading deployment {deployment_id}") as connection:
            return history.get_deployment(connection, deployment_id)

    def history(self, unit_id: str, limit: int = 50) -> list[Deployment]:
        """A unit's deployments, newest first."""
        with self._reading(f"reading the history of {unit_id}") as connection:
            return history.unit_history(connection, unit_id, limit)

    def template_body(self, digest: str) -> str | None:
        """A body a deployment sent, by its ``body_digest``; None once dropped."""
        with self._reading("reading a template body") as connection:
            return history.template_body(connection, digest)

    def dependants(self, unit_id: str) -> list[str]:
        """The recorded units that depend on ``unit_id`` (bind it, deploy it, …), sorted."""
        with self._reading(f"reading the dependants of {unit_id}") as connection:
            return units.dependants(connection, unit_id)

    def unfinished_interventions(self, actions: Sequence[str]) -> list[Deployment]:
        """History entries that ``actions`` opened and nobody has closed yet, oldest first."""
        with self._reading("reading unfinished interventions") as connection:
            return history.unfinished_of(connection, actions)

    # API tokens (hashes only).

    def add_token(self, token: StoredToken) -> None:
        """Record a new API token; ``ValueError`` if its id exists."""
        with self.transaction("recording an API token") as tx:
            tx.add_token(token)

    def token(self, token_id: str) -> StoredToken | None:
        with self._reading("reading an API token") as connection:
            return tokens.get_token(connection, token_id)

    def tokens(self) -> list[StoredToken]:
        """Every token ever made, revoked ones included, oldest first."""
        with self._reading("reading API tokens") as connection:
            return tokens.all_tokens(connection)

    def revoke_token(self, token_id: str) -> StoredToken | None:
        """Revoke a token; None when no token has that id."""
        with self.transaction(f"revoking API token {token_id}") as tx:
            return tx.revoke_token(token_id)

    def forget_revisions(self) -> int:
        """Forget which head each branch last dealt with, so the next poll reconciles."""
        with self.transaction("forgetting the dealt-with revisions") as tx:
            return tx.forget_revisions()

    # Leases.

    def acquire_lease(self, unit_id: str, holder: str, ttl_s: float) -> bool:
        """Take or extend the unit's lease for ``ttl_s`` seconds; False if another holds it."""
        with self.transaction(f"taking the lease on {unit_id}") as tx:
            won = tx.acquire_lease(unit_id, holder, ttl_s)
        log.debug("state.lease", unit=unit_id, holder=holder, acquired=won)
        return won

    def acquire_leases(self, unit_ids: Iterable[str], holder: str, ttl_s: float) -> set[str]:
        """Take the leases of many units in one transaction; returns the units won."""
        with self.transaction("taking leases") as tx:
            won = {u for u in unit_ids if tx.acquire_lease(u, holder, ttl_s)}
        log.debug("state.leases", holder=holder, acquired=len(won))
        return won

    def renew_lease(self, unit_id: str, holder: str, ttl_s: float) -> bool:
        """Extend ``holder``'s lease to ``ttl_s`` from now; False if it no longer holds it."""
        with self.transaction(f"renewing the lease on {unit_id}") as tx:
            return tx.renew_lease(unit_id, holder, ttl_s)

    def release_lease(self, unit_id: str, holder: str) -> bool:
        """Give the lease back; False if ``holder`` did not hold it."""
        with self.transaction(f"releasing the lease on {unit_id}") as tx:
            return tx.release_lease(unit_id, holder)

    def release_leases(self, holder: str, unit_ids: Iterable[str] | None = None) -> int:
        """Give back the leases ``holder`` holds on ``unit_ids`` (all of them when None,
        as on shutdown) in one transaction; returns how many."""
        with self.transaction(f"releasing the leases of {holder}") as tx:
            if unit_ids is None:
                return tx.release_leases(holder)
            return sum(tx.release_lease(u, holder) for u in unit_ids)

    def leases(self) -> list[Lease]:
        """Every lease row, live or expired, by unit id."""
        with self._reading("reading leases") as connection:
            return leases.all_leases(connection)

    def lease(self, unit_id: str) -> Lease | None:
        with self._reading(f"reading the lease on {unit_id}") as connection:
            return leases.get_lease(connection, unit_id)

    # Content-keyed caches.

    def cache_get(self, namespace: str, key: str) -> Any | None:
        """The JSON value stored under ``key``, or None."""
        return self.cache_get_many(namespace, [key]).get(key)

    def cache_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, Any]:
        """The values found for ``keys``; missing keys are absent from the result.

        Entries found are noted as used; ``record_cache_uses`` writes that down."""
        used_before = self._clock.now() - self._settings.cache_use_resolution
        with self._reading(f"reading cache {namespace}") as connection:
            found, unmarked = cache.get_many(connection, namespace, keys, used_before)
        self._uses.note(namespace, unmarked)
        return found

    def cache_put(self, namespace: str, key: str, value: Any) -> None:
        self.cache_put_many(namespace, {key: value})

    def cache_put_many(self, namespace: str, entries: Mapping[str, Any]) -> int:
        """Store many JSON values in one batched statement; returns how many."""
        with self.transaction(f"writing cache {namespace}") as tx:
            return tx.cache_put_many(namespace, entries)

    def cache_delete(self, namespace: str, key: str) -> bool:
        """Drop one entry; True when it existed."""
        with self.transaction(f"deleting from cache {namespace}") as tx:
            return tx.cache_delete(namespace, key)

    def cache_prune(self, namespace: str, unused_since: datetime) -> int:
        """Drop entries of ``namespace`` neither stored nor read since a time; returns how
        many. Uses this process noted are recorded first."""
        self.record_cache_uses()
        with self.transaction(f"pruning cache {namespace}") as tx:
            return tx.cache_prune(namespace, unused_since)

    def record_cache_uses(self) -> int:
        """Write down which cache entries were read since they were last marked used, in
        one transaction; returns how many. ``close()`` does it too."""
        taken = self._uses.take()
        if not taken:
            return 0
        with self.transaction("recording cache uses") as tx:
            return sum(tx.cache_mark_used(ns, keys) for ns, keys in sorted(taken.items()))

    # Marks.

    def seen_revision(self, branch: str) -> str | None:
        """The head commit of ``branch`` last dealt with, or None."""
        with self._reading(f"reading the revision of {branch}") as connection:
            return marks.seen_revision(connection, branch)

    def record_revision(self, branch: str, commit: str) -> None:
        with self.transaction(f"recording the revision of {branch}") as tx:
            tx.record_revision(branch, commit)

    def forget_delivery(self, delivery_id: str) -> bool:
        """Undo ``claim_delivery``: the delivery could not be queued and will come again."""
        with self.transaction("forgetting a webhook delivery") as tx:
            return tx.forget_delivery(delivery_id)

    def claim_delivery(self, delivery_id: str) -> bool:
        """True the first time a webhook delivery id is seen (within the retention period)."""
        with self.transaction("recording a webhook delivery") as tx:
            return tx.claim_delivery(delivery_id)

    def claim_deliveries(self, delivery_ids: Sequence[str]) -> set[str]:
        """Record many webhook delivery ids in one transaction, durable on return; the ids
        seen for the first time (within the retention period)."""
        with self.transaction(f"recording {len(delivery_ids)} webhook deliveries") as tx:
            return tx.claim_deliveries(delivery_ids)

    def forget_deliveries(self, delivery_ids: Sequence[str]) -> int:
        """Undo ``claim_deliveries`` for ids that could not be queued; returns how many."""
        with self.transaction(f"forgetting {len(delivery_ids)} webhook deliveries") as tx:
            return tx.forget_deliveries(delivery_ids)
