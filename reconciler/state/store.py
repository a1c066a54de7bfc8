"""The state store: what Goldenpath remembers between runs, in SQLite or PostgreSQL.

``StateStore.open(url)`` connects, brings the schema to head and hands back a store whose
methods speak in records (``UnitRecord``, ``Operation``, ``Deployment``, ``Lease``,
``Rollout``). Every method is one transaction; ``transaction()`` groups several writes
into one. Every database failure surfaces as ``StateError``; a call that breaks a rule of
the store (finishing an operation twice, an unknown status) raises ``ValueError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy.engine import URL, Connection, Engine

from reconciler.errors import StateError
from reconciler.state import (
    cache,
    drift,
    history,
    journal,
    leases,
    marks,
    offers,
    provisioning,
    rollouts,
    tokens,
    units,
)
from reconciler.state.clock import SYSTEM_CLOCK, Clock
from reconciler.state.database import (
    DEFAULT_URL,
    WRITE_OPTION,
    create_engine,
    describe,
    parse_url,
    translating_errors,
)
from reconciler.state.drift import DriftAction, DriftFinding, DriftReport
from reconciler.state.history import Deployment, DeploymentStatus
from reconciler.state.journal import Operation, OperationIntent, OperationState
from reconciler.state.leases import Lease
from reconciler.state.migrate import bring_to_head
from reconciler.state.offers import OfferState, UpdateOffer
from reconciler.state.provisioning import ProvisioningDeployment
from reconciler.state.rollouts import Rollout, RolloutStatus
from reconciler.state.settings import StateSettings
from reconciler.state.tokens import StoredToken
from reconciler.state.transaction import StateTransaction
from reconciler.state.units import UnitRecord

log = structlog.get_logger(__name__)

DEFAULT_SETTINGS = StateSettings()


class StateStore:
    """Units, operations, history, leases, caches, rollouts and marks, in one database."""

    def __init__(self, engine: Engine, url: URL, settings: StateSettings, clock: Clock) -> None:
        """Use ``StateStore.open``: it also migrates the schema."""
        self._engine = engine
        self._url = url
        self._settings = settings
        self._clock = clock
        self._closed = False
        # SQLite has one writer at a time. Threads of this process queue here, in order,
        # instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
        # and made a 16-thread apply spend a third of its time waiting. Other processes
        # still wait in the busy handler; PostgreSQL needs no gate.
        # Records by raw row, from the last read of every unit (see units.all_units).
        self._unit_rows: dict[tuple[Any, ...], UnitRecord] = {}
        self._uses = cache.Uses()  # cache entries read, their use not yet recorded
        self._units_lock = threading.Lock()
        self._write_gate: AbstractContextManager[Any] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

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

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return describe(self._url)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._url.get_backend_name()

    @property
    def settings(self) -> StateSettings:
        return self._settings

    def now(self) -> datetime:
        """The store's clock: the time it stamps on what it writes."""
        return self._clock.now()

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

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Connection]:
        self._require_open()
        with (
            translating_errors(self._url, doing),
            self._engine.connect() as connection,
            connection.begin(),
        ):
            yield connection

    @contextmanager
    def transaction(self, doing: str = "writing") -> Iterator[StateTransaction]:
        """Group writes: they are committed together when the block ends, or not at all."""
        self._require_open()
        with (
            self._write_gate,
            translating_errors(self._url, doing),
            self._engine.connect() as connection,
        ):
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                tx = StateTransaction(connection, self._settings, self._clock)
                yield tx
        for callback in tx.committed:
            callback()

    def reading(self, doing: str) -> AbstractContextManager[Connection]:
        """A read-only transaction, for the store's satellite tables (the outbox)."""
        return self._reading(doing)

    def _require_open(self) -> None:
        if self._closed:
            raise StateError(f"the state store {self.url} is closed")

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

    # Terraform units: what was written to the provisioning repository.

    def provisioning_deployment(self, deployment_id: str) -> ProvisioningDeployment | None:
        """One write of a Terraform unit by its deployment id, or None."""
        with self._reading("reading a provisioning deployment") as connection:
            return provisioning.get(connection, deployment_id)

    def provisioning_of(self, unit_id: str, limit: int = 20) -> list[ProvisioningDeployment]:
        """A Terraform unit's writes to the provisioning repository, newest first."""
        with self._reading(f"reading the provisioning deployments of {unit_id}") as connection:
            return provisioning.of_unit(connection, unit_id, limit)

    def provisioning_waiting(self) -> list[ProvisioningDeployment]:
        """Writes still waiting for their notification, oldest first."""
        with self._reading("reading provisioning deployments waiting") as connection:
            return provisioning.waiting(connection)

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

    # Rollouts.

    def save_rollout(self, rollout: Rollout) -> None:
        with self.transaction(f"saving rollout {rollout.id}") as tx:
            tx.save_rollout(rollout)

    def rollout(self, rollout_id: str) -> Rollout | None:
        with self._reading(f"reading rollout {rollout_id}") as connection:
            return rollouts.get_rollout(connection, rollout_id)

    def rollouts(self, status: RolloutStatus | None = None) -> list[Rollout]:
        """Rollouts, newest first; only those in ``status`` when given."""
        with self._reading("reading rollouts") as connection:
            return rollouts.list_rollouts(connection, status)

    def active_rollouts(self) -> list[Rollout]:
        """Rollouts still running."""
        return self.rollouts("running")

    # Drift findings.

    def record_drift(self, report: DriftReport) -> tuple[DriftFinding, bool]:
        """Record what a drift check found; True with it when the finding is new."""
        with self.transaction(f"recording the drift of {report.unit_id}") as tx:
            return tx.record_drift(report)

    def set_drift_action(
        self, unit_id: str, action: DriftAction, message: str | None = None
    ) -> DriftFinding | None:
        """Change what is being done about the unit's open finding (None: it has none)."""
        with self.transaction(f"updating the drift of {unit_id}") as tx:
            return tx.set_drift_action(unit_id, action, message)

    def resolve_drift(self, unit_id: str, resolution: str) -> DriftFinding | None:
        """Close the unit's open finding (``in sync``, ``healed``, …); None if it had none."""
        with self.transaction(f"resolving the drift of {unit_id}") as tx:
            return tx.resolve_drift(unit_id, resolution)

    def drift(self, unit_id: str) -> DriftFinding | None:
        """The unit's open drift finding, or None."""
        with self._reading(f"reading the drift of {unit_id}") as connection:
            return drift.open_finding(connection, unit_id)

    def drifts(self) -> list[DriftFinding]:
        """Every open drift finding, by unit id."""
        with self._reading("reading drift findings") as connection:
            return drift.open_findings(connection)

    def drift_findings_after(self, after_id: int = 0, limit: int = 100) -> list[DriftFinding]:
        """Findings opened after ``after_id``, oldest first (a notifier's cursor)."""
        with self._reading("reading new drift findings") as connection:
            return drift.findings_after(connection, after_id, limit)

    def drift_history(self, unit_id: str, limit: int = 50) -> list[DriftFinding]:
        """A unit's drift findings, open and resolved, newest first."""
        with self._reading(f"reading the drift history of {unit_id}") as connection:
            return drift.unit_findings(connection, unit_id, limit)

    # Update pull requests.

    def save_update_offer(self, offer: UpdateOffer) -> None:
        with self.transaction(f"recording the update offer of {offer.service}") as tx:
            tx.save_update_offer(offer)

    def end_update_offer(self, branch: str, number: int, state: OfferState) -> UpdateOffer | None:
        """Record that change request ``number`` from ``branch`` was merged or closed."""
        with self.transaction(f"ending the update offer of {branch}") as tx:
            return tx.end_update_offer(branch, number, state)

    def update_offer(self, service: str) -> UpdateOffer | None:
        with self._reading(f"reading the update offer of {service}") as connection:
            return offers.get_offer(connection, service)

    def update_offers(self) -> list[UpdateOffer]:
        with self._reading("reading update offers") as connection:
            return offers.all_offers(connection)

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
