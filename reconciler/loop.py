"""The long-running reconciler: one thread that polls, listens and reconciles.

Work arrives as events — a timer tick (the poll, with jitter), a change in the local
working tree (watchdog), a push or a change request from the webhook receiver — and is
done one item at a time on this thread, so only one concurrency model is in play. A
reconcile of an unchanged head, with nothing in flight and nothing to retry, is skipped;
a push naming that head is skipped without a fetch. Pushes of the branch that wait
together in the queue arrive here as one (``EventQueue`` coalesces them).
While idle, an hourly upkeep prunes the content-addressed caches of entries long unused.
Between items the drift watch checks the stacks whose slot came round; a drifted stack
it heals is applied again from git by a reconcile of the head. After each reconcile that
applied a head (and once at start), the update pull requests consider the services left
behind a newer minor, and hand what to offer to their own thread (``reconciler.updates``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from reconciler.apply.conditions import Outcome
from reconciler.apply.engine import Applied, Reconciler
from reconciler.apply.records import recorded_views
from reconciler.caching import committed_snapshot, prune_unused
from reconciler.checks.runner import ChangeChecks
from reconciler.drift import DriftWatch
from reconciler.errors import GoldenpathError
from reconciler.events import (
    ChangeRequest,
    Event,
    EventQueue,
    LocalChange,
    Notified,
    Ping,
    Push,
    RetryRequested,
)
from reconciler.forges import CommitStatus, Forge, ForgeError, wording
from reconciler.notifications.expiring import publish_expiring
from reconciler.plan.model import Live
from reconciler.plan.planning import Planned
from reconciler.provisioning.provisioner import AWAITING
from reconciler.provisioning.step import TerraformStep
from reconciler.source.snapshot import Snapshot
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from reconciler.updates import UpdatePullRequests

log = structlog.get_logger(__name__)
# Change requests whose newest head is remembered; the least recently pushed go first.
HEADS_REMEMBERED = 10_000
# Pushes answered without queueing (see ``note``) are logged at most this often.
ANSWERED_LOG_INTERVAL_S = 1.0


@dataclass(frozen=True)
class LoopSettings:
    interval: float = 60.0  # seconds between polls of the tracked branch
    jitter: float = 0.1  # fraction of the interval added at random, so replicas spread out
    public_url: str = "http://127.0.0.1:8080"  # where status target_urls point
    # Seconds between upkeeps, done while idle: the cache uses this process noted are
    # recorded, and cache entries unused for ``cache_kept_unused`` are dropped.
    upkeep_every: float = 3600.0
    # Seconds between looks for guardrail exceptions about to expire (also after each
    # reconcile): a day can pass without a commit.
    expiring_every: float = 3600.0
    cache_kept_unused: timedelta = timedelta(days=30)


@dataclass
class ReconcileLoop:
    tracked: TrackedRepo
    store: StateStore
    engine: Reconciler
    checks: ChangeChecks
    forge: Forge | None
    events: EventQueue
    settings: LoopSettings = field(default_factory=LoopSettings)
    # The newest head seen per change request, updated as events are enqueued.
    latest_heads: dict[tuple[str, str, int], str] = field(default_factory=dict)
    retry_pending: bool = True
    reconciles: int = 0
    # Content-addressed cache namespaces the upkeep prunes: their entries can be derived
    # again, so dropping one that is still wanted costs time, never correctness.
    pruned_caches: tuple[str, ...] = ()
    _heads_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Scheduled drift checks and self-heal (``spec.drift``); None: no drift checks.
    drift: DriftWatch | None = None
    # Terraform units (``reconciler.provisioning``): each poll stalls those whose
    # notification is overdue; None: no provisioning repository wired in.
    provisioning: TerraformStep | None = None
    # Update pull requests for services on manual minor updates; None: none considered.
    updates: UpdatePullRequests | None = None
    # Closes cancels and continued rollbacks a killed process left open (at start and at
    # every poll; see ``reconciler.actions.unsticking``); None: not here.
    recover_interventions: Callable[[], object] | None = None
    # The head this loop last found applied with nothing left to do: a push naming it is
    # answered from memory, without a fetch or a read of the store.
    settled_head: str | None = None
    # Set once the first poll has been dealt with (applied, skipped or failed).
    first_pass: threading.Event = field(default_factory=threading.Event, repr=False)
    _answered_pushes: int = field(default=0, repr=False)  # since the last line said so
    # goldenpath.yaml as last planned: the notification targets, the guardrail exceptions.
    platform: Platform | None = None
    # Called with goldenpath.yaml when its notification targets change (serve reports
    # those whose variables are not set).
    targets_changed: Callable[[Platform], None] | None = None
    # (event id, target) of the exception.expiring events this process has queued.
    _told_expiring: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _next_answered_log: float = field(default=0.0, repr=False)

    def note(self, event: Event) -> bool:
        """Called as events are enqueued: remember which change-request head is newest,
        and say whether the event needs queueing. A push naming the head this loop has
        settled needs no work: it is answered here, without waking the loop."""
        if isinstance(event, ChangeRequest) and event.action.needs_checks:
            key = (event.forge, event.repo, event.number)
            with self._heads_lock:  # the receiver's thread notes, the loop's thread reads
                self.latest_heads.pop(key, None)  # re-inserted last: the newest
                self.latest_heads[key] = event.head_sha
                while len(self.latest_heads) > HEADS_REMEMBERED:  # closes that never came
                    del self.latest_heads[next(iter(self.latest_heads))]
        if (
            isinstance(event, Push)
            and event.branch == self.tracked.branch
            and event.commit == self.settled_head
            and not self.retry_pending
        ):
            self._answered_pushes += 1
            now = time.monotonic()
            if now >= self._next_answered_log:  # a burst is said once a second, not per push
                log.info(
                    "loop.unchanged",
                    head=event.commit,
                    reason="push",
                    fetched=False,
                    pushes=self._answered_pushes,
                )
                self._answered_pushes = 0
                self._next_answered_log = now + ANSWERED_LOG_INTERVAL_S
            return False
        return True

    def run(self, stop: threading.Event) -> None:
        self.prime()
        self._recover()
        next_poll = time.monotonic()
        next_upkeep = next_poll + self.settings.upkeep_every
        next_expiring = next_poll + self.settings.expiring_every
        while not stop.is_set():
            wait = max(0.0, min(next_poll - time.monotonic(), 1.0))
            item = self.events.get(timeout=wait)
            try:
                if item is None:
                    if time.monotonic() >= next_poll:
                        try:
                            self.reconcile("poll")
                            self.stall_overdue()
                            self._recover()
                        finally:  # a failed poll (the remote is down) waits its turn too
                            self.first_pass.set()
                            jitter = random.uniform(0, self.settings.jitter)
                            next_poll = time.monotonic() + self.settings.interval * (1 + jitter)
                    if time.monotonic() >= next_upkeep:
                        next_upkeep = time.monotonic() + self.settings.upkeep_every
                        self.upkeep()
                    if time.monotonic() >= next_expiring:
                        next_expiring = time.monotonic() + self.settings.expiring_every
                        self.tell_expiring()
                else:
                    self.handle(item)
                self.watch_drift()
                self.advance_updates()
            except GoldenpathError as exc:
                log.error("loop.work_failed", error=str(exc), error_type=type(exc).__name__)
            except Exception:  # one bad event must not stop the reconciler
                log.exception("loop.unexpected_error")
        log.info("loop.stopped", reconciles=self.reconciles)

    def prime(self) -> None:
        """Read and plan the head once, so that the first change finds the repo's files,
        parsed specs and statements in memory (the plan makes no cloud call)."""
        try:
            snapshot = committed_snapshot(self.tracked.source, self.tracked.head(), self.store)
            planned = self.engine.plan(snapshot)
            self.platform = planned.build.specs.platform
            self.consider_updates(snapshot, planned)
        except GoldenpathError as exc:
            log.warning("loop.prime_failed", error=str(exc), error_type=type(exc).__name__)
        except Exception:  # only a head start: it must never stop the reconciler
            log.exception("loop.prime_failed")

    def stall_overdue(self) -> None:
        """Stall the Terraform units whose notification is overdue (each poll)."""
        if self.provisioning is not None:
            stalled = self.provisioning.stall_overdue()
            if stalled:
                log.warning("loop.notifications_overdue", units=stalled)

    def _recover(self) -> None:
        if self.recover_interventions is None:
            return
        try:
            self.recover_interventions()
        except GoldenpathError as exc:
            log.warning("loop.recover_failed", error=str(exc), error_type=type(exc).__name__)

    def upkeep(self) -> dict[str, int]:
        """Record the cache uses noted, and drop entries of ``pruned_caches`` neither
        stored nor read (by any replica) for ``cache_kept_unused``; how many, by namespace."""
        dropped = prune_unused(self.store, self.pruned_caches, self.settings.cache_kept_unused)
        say = log.info if any(dropped.values()) else log.debug
        say("loop.caches_pruned", **dropped)
        return dropped

    def _planned_platform(self, platform: Platform) -> None:
        before = self.platform.notifications if self.platform is not None else ()
        self.platform = platform
        if platform.notifications != before and self.targets_changed is not None:
            self.targets_changed(platform)

    def tell_expiring(self) -> int:
        """Queue ``exception.expiring`` for guardrail exceptions that entered a target's
        window (each once per target); returns how many were queued."""
        if self.platform is None or not self.platform.notifications:
            return 0
        try:
            return publish_expiring(
                self.store, self.platform, self.engine.today(), self._told_expiring
            )
        except GoldenpathError as exc:  # only news: it must not stop the reconciler
            log.warning("loop.expiring_not_queued", error=str(exc))
            return 0

    def handle(self, item: Any) -> None:
        if isinstance(item, Push):
            if item.branch != self.tracked.branch:
                log.debug("loop.push_ignored", branch=item.branch)
                return
            self.reconcile("push", item.commit)
        elif isinstance(item, ChangeRequest):
            key = (item.forge, item.repo, item.number)
            if item.action.ends_review:
                self.checks.closed(item)
                if self.updates is not None:
                    self.updates.closed(item)
                with self._heads_lock:
                    self.latest_heads.pop(key, None)
                if item.action == "merged":
                    self.reconcile("merge")
            elif item.action.needs_checks:
                with self._heads_lock:
                    self.latest_heads.setdefault(key, item.head_sha)
                self.checks.check(item, lambda: self.latest_heads.get(key) != item.head_sha)
        elif isinstance(item, Ping):
            log.info("loop.ping", forge=item.forge, repo=item.repo)
        elif isinstance(item, LocalChange):
            self.reconcile(f"files changed: {item.path}")
        elif isinstance(item, RetryRequested):
            self.reconcile(f"retry of {item.unit_id} requested by {item.actor}", force=True)
        elif isinstance(item, Notified):
            reason = f"{item.unit_id}: deployment {item.deployment_id} {item.state}"
            self.reconcile(reason, force=True)

    def watch_drift(self) -> None:
        """Let the drift watch check what is due; apply from git what it asks to heal."""
        if self.drift is None:
            return
        heal = self.drift.tick()
        if not heal:
            return
        outcomes: dict[str, Outcome] = {}
        try:
            applied = self.reconcile("drift", heal=heal)
            if applied is not None:
                outcomes = applied.report.outcomes
        finally:
            self.drift.heal_done(outcomes)

    def consider_updates(self, snapshot: Snapshot, planned: Planned) -> None:
        """Let the update pull requests see the head's build; never fails the loop."""
        if self.updates is None:
            return
        try:
            recorded = recorded_views(self.store, self.store.units())
            self.updates.consider(snapshot, planned.build, recorded)
        except GoldenpathError as exc:
            log.error("update_pr.consider_failed", error=str(exc), error_type=type(exc).__name__)
        except Exception:  # update pull requests must never stop the reconciler
            log.exception("update_pr.consider_failed")

    def advance_updates(self) -> None:
        """Make a time-boxed slice of the update pull requests' proposals, if some are
        left; never fails the loop."""
        if self.updates is None or not self.updates.considering:
            return
        try:
            self.updates.advance()
        except Exception:  # update pull requests must never stop the reconciler
            log.exception("update_pr.consider_failed")

    def applied_head_plan(self) -> Planned | None:
        """The plan of the head last applied, without cloud calls (the drift watch's view
        of what each stack should be); None before the first apply."""
        head = self.store.seen_revision(self.tracked.branch)
        if head is None:
            return None
        return self.engine.plan(committed_snapshot(self.tracked.source, head, self.store))

    def reconcile(
        self,
        reason: str,
        commit: str | None = None,
        heal: Mapping[str, Live | None] | None = None,
        *,
        force: bool = False,
    ) -> Applied | None:
        """Apply the tracked branch's head, unless nothing can have changed.

        ``heal``: drifted stacks to apply again from git (see ``reconciler.drift``);
        ``force``: a person asked for it (a retry). A push naming the head already applied
        needs no fetch: a later move of the branch comes with a push of its own (and the
        poll catches a lost one).
        """
        quiet = not heal and not force
        if quiet and commit is not None and commit == self.settled_head and not self.retry_pending:
            log.info("loop.unchanged", head=commit, reason=reason, fetched=False)
            return None
        self.tracked.fetch()
        head = self.tracked.head()
        if commit is not None and commit != head and not self.tracked.has(commit):
            log.warning("loop.unknown_commit", commit=commit, head=head)
        seen = self.store.seen_revision(self.tracked.branch)
        if quiet and self._settled(head, seen):
            self.settled_head = head
            # Quiet for the timer; said aloud when a push or an edit asked for the work.
            say = log.debug if reason == "poll" else log.info
            say("loop.unchanged", head=head, reason=reason, fetched=self.tracked.remote)
            return None
        log.info("loop.reconcile", head=head, reason=reason)
        started = time.perf_counter()
        self.reconciles += 1
        # A heal of the head already applied is no news for the commit's status.
        reporting = not heal or head != seen
        if reporting:
            self._status(head, wording.pending(wording.APPLY, "applying"))
        snapshot = committed_snapshot(self.tracked.source, head, self.store)
        read = time.perf_counter()
        try:
            applied = self.engine.apply(snapshot, heal=heal)
        finally:
            if self.drift is not None:
                self.drift.invalidate()
        report = applied.report
        self._planned_platform(applied.planned.build.specs.platform)
        self.tell_expiring()
        log.info(
            "loop.reconciled",
            head=head,
            applied=report.count("applied"),
            unchanged=report.count("unchanged"),
            not_done=len(report.outcomes) - report.count("applied", "unchanged"),
            read_s=round(read - started, 3),
            apply_s=round(time.perf_counter() - read, 3),
        )
        if not heal:
            self.consider_updates(snapshot, applied.planned)
        failed = sorted(u for u, o in report.outcomes.items() if o.kind in ("failed", "invalid"))
        failed += [str(p) for p in applied.planned.build.errors][:3]
        self.retry_pending = report.count("retrying") > 0 or self.engine.stop.is_set()
        if not self.retry_pending:
            self.store.record_revision(self.tracked.branch, head)
            self.settled_head = head
        if not reporting:
            return applied
        self._status(
            head,
            wording.apply_status(
                report.count("applied"),
                report.count("unchanged"),
                failed,
                f"{self.settings.public_url}/",
                waiting=sum(1 for o in report.outcomes.values() if o.reason == AWAITING),
            ),
        )
        return applied

    def _settled(self, head: str, seen: str | None) -> bool:
        """True when ``head`` is ``seen`` (applied), with nothing in flight nor to retry."""
        return head == seen and not self.retry_pending and not self.store.in_flight()

    def _status(self, commit: str, status: CommitStatus) -> None:
        if self.forge is None:
            return
        try:
            self.forge.set_status(commit, status)
        except ForgeError as exc:
            log.error("loop.status_failed", commit=commit, error=str(exc))
