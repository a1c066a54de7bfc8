"""The drift watch: ``serve`` checks every deployed stack once per ``spec.drift.interval``.

``DriftWatch.tick`` is called by the reconcile loop as often as it likes (it does nothing
between its own ticks) and never waits: it

1. plans the head last applied (no cloud call; the plan is reused for a while) to know
   each deployed unit's applied render, its target and whether it holds data;
2. queues the units whose slot in the interval came round (``schedule.DriftSchedule``);
3. runs check steps (``checker.StackCheck``) while each account's budget allows
   (``schedule.CallBudget``), counting the calls really made per account;
4. records each result: a finding in the state store (a new one is logged as the
   structured event ``drift.found``) and the unit's ``Drifted`` condition, through the
   one ``summarize`` function, under the unit's lease;
5. returns the drifted stacks self-heal applies again from git; the loop applies them
   through the normal path (plan, lint gate, journal) and reports back with ``healed``.

With several replicas on one state store, one of them watches: the watch holds the
lease ``WATCH_LEASE`` while it works, renewed at every tick, so that each account's call
budget is spent once and not once per replica. When that replica stops, another takes
the lease over once it expires; the schedule is wall time, so slots stay put.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar, cast

import structlog

from reconciler.apply.conditions import Outcome, summarize
from reconciler.apply.stack_ops import target_of
from reconciler.cloud import Cloud
from reconciler.drift.checker import CountingCloud, Pending, StackCheck, Watched
from reconciler.drift.findings import Observation, heal_decision, judge
from reconciler.drift.schedule import CallBudget, DriftSchedule
from reconciler.errors import CloudError, Waiting
from reconciler.notifications import Notice, events, publish
from reconciler.plan.model import Live, Plan
from reconciler.plan.planning import Planned
from reconciler.specs.model import DriftSettings, Platform
from reconciler.state import DriftFinding, DriftReason, DriftReport, StateStore, UnitRecord

log = structlog.get_logger(__name__)
T = TypeVar("T")
WATCH_LEASE = "drift-watch"
"""The lease the one watching replica holds (unit ids always contain a slash)."""


@dataclass(frozen=True)
class DriftTuning:
    """How the drift watch paces itself (``spec.drift`` holds what a platform team sets)."""

    tick: float = 5.0
    """Seconds between looks at the schedule; a slot is met this closely."""
    detection_poll: float = 5.0
    """Seconds before asking how a drift detection went, and between asks."""
    detection_timeout: float = 300.0
    """Seconds after which a detection still running is given up (resources unknown)."""
    replan: float = 300.0
    """Seconds a plan of the head is reused before it is made again (the loop also drops
    it after every reconcile)."""
    begin_cost: int = 3
    """Calls of a check's first step: DescribeStacks, GetTemplate, DetectStackDrift."""
    finish_cost: int = 2
    """Calls of its second step: the detection's status and the drifted resources."""
    lease_ttl: float = 60.0
    """Seconds the unit's lease is held while its conditions are written."""
    watch_lease_ttl: float = 30.0
    """Seconds the watching replica's lease lasts unless renewed by its next tick."""


@dataclass
class _Waiting:
    pending: Pending
    next_poll: float


class DriftWatch:
    """Scheduled drift checks and self-heal requests, for one process. Single-threaded."""

    def __init__(
        self,
        store: StateStore,
        cloud: Cloud,
        desired: Callable[[], Planned | None],
        *,
        holder: str,
        clock: Callable[[], float] = time.time,
        tuning: DriftTuning | None = None,
    ) -> None:
        self.store = store
        self._meter: Callable[[str], int] | None = getattr(cloud, "api_calls_of", None)
        self._counted: Counter[str] = Counter()  # calls seen here, for clouds without a meter
        if self._meter is None:
            cloud = CountingCloud(cloud, self._counted)
        self.check = StackCheck(cloud)
        self.desired = desired  # plans the head last applied; None before any apply
        self.holder = holder
        self.watch_holder = f"{holder}/drift"  # the apply's releases leave it alone
        self.watching = False  # whether this replica holds WATCH_LEASE
        self.clock = clock  # wall time: slots stay put across restarts and replicas
        self.tuning = tuning or DriftTuning()
        self.schedule: DriftSchedule | None = None
        self.budget: CallBudget | None = None
        self.queue: dict[str, None] = {}  # due units, in order
        self.waiting: dict[str, _Waiting] = {}  # detections CloudFormation is running
        self.healing: dict[str, str] = {}  # unit → signature of the drift being healed
        self.healed: dict[str, str] = {}  # unit → signature of the drift last healed
        self.calls: Counter[str] = Counter()  # drift-check calls per account
        self.checks = 0  # checks completed
        self._planned: tuple[float, Planned] | None = None
        self.platform: Platform | None = None  # goldenpath.yaml of the head last planned
        self._next_tick: float | None = None

    def invalidate(self) -> None:
        """The head or the records changed (a reconcile ran): plan again on the next tick."""
        self._planned = None

    def tick(self) -> dict[str, Live | None]:
        """Run what is due; the drifted stacks to apply again from git (None: re-create)."""
        now = self.clock()
        if self._next_tick is not None and now < self._next_tick:
            return {}
        self._next_tick = now + self.tuning.tick
        planned = self._plan(now)
        self.platform = planned.build.specs.platform if planned is not None else None
        settings = self.platform.drift if self.platform is not None else None
        if planned is None or settings is None or settings.interval is None:
            self.queue.clear()
            self.waiting.clear()
            return {}
        if not self._hold_watch():
            return {}
        schedule, budget = self._configure(settings)
        watched = {w.unit_id: w for w in watched_units(planned.plan, self.store.units())}
        for unit_id in schedule.due(watched, now):
            self.queue.setdefault(unit_id)
        heals: dict[str, Live | None] = {}
        for unit_id, waiting in list(self.waiting.items()):
            unit = watched.get(unit_id)
            if unit is None:
                del self.waiting[unit_id]
            elif waiting.next_poll <= now:
                self._finish(unit, waiting, budget, settings, now, heals)
        for unit_id in list(self.queue):
            unit = watched.get(unit_id)
            if unit is None or unit_id in self.waiting or unit_id in self.healing:
                del self.queue[unit_id]
                continue
            if not budget.allows(unit.target.account_id, self.tuning.begin_cost, now):
                continue  # its account's budget is spent for now; it keeps its place
            del self.queue[unit_id]
            result = self._metered(unit, budget, now, partial(self.check.begin, unit, now))
            self._take(unit, result, settings, now, heals)
        self.check.forget({w.fingerprint for w in watched.values()})
        return heals

    def _hold_watch(self) -> bool:
        """Take or renew the watch lease; without it, drop what was queued here."""
        held = self.store.acquire_lease(WATCH_LEASE, self.watch_holder, self.tuning.watch_lease_ttl)
        if held != self.watching:
            log.info("drift.watching" if held else "drift.watched_elsewhere", holder=self.holder)
            self.watching = held
        if not held:
            self.queue.clear()
            self.waiting.clear()
        return held

    def heal_done(self, outcomes: Mapping[str, Outcome]) -> None:
        """What the apply of the stacks ``tick`` asked to heal came to."""
        for unit_id, signature in list(self.healing.items()):
            del self.healing[unit_id]
            outcome = outcomes.get(unit_id)
            if outcome is not None and outcome.kind == "applied":
                self.healed[unit_id] = signature
                self.store.resolve_drift(unit_id, "healed")
                log.info("drift.healed", unit=unit_id, message=outcome.message)
                continue
            why = outcome.message or outcome.reason if outcome else "the apply did not reach it"
            found = self.store.drift(unit_id)
            base = found.message if found else "drifted"
            self.store.set_drift_action(unit_id, "heal-failed", f"{base}; the heal failed: {why}")
            log.error("drift.heal_failed", unit=unit_id, error=why)

    def _finish(
        self,
        unit: Watched,
        waiting: _Waiting,
        budget: CallBudget,
        settings: DriftSettings,
        now: float,
        heals: dict[str, Live | None],
    ) -> None:
        if not budget.allows(unit.target.account_id, self.tuning.finish_cost, now):
            return
        del self.waiting[unit.unit_id]
        timeout = self.tuning.detection_timeout
        result = self._metered(
            unit, budget, now, lambda: self.check.finish(waiting.pending, now, timeout)
        )
        self._take(unit, result, settings, now, heals)

    def _take(
        self,
        unit: Watched,
        result: Observation | Pending | None,
        settings: DriftSettings,
        now: float,
        heals: dict[str, Live | None],
    ) -> None:
        if result is None:
            return  # busy, or the cloud failed: its next slot tries again
        if isinstance(result, Pending):
            self.waiting[unit.unit_id] = _Waiting(result, now + self.tuning.detection_poll)
            return
        self.checks += 1
        wanted, live = self._conclude(unit, result, settings)
        if wanted:
            heals[unit.unit_id] = live

    def _conclude(
        self, unit: Watched, seen: Observation, settings: DriftSettings
    ) -> tuple[bool, Live | None]:
        """Record what the check saw; whether to heal, and the stack as the plan sees it
        then (None: deleted, to create again)."""
        finding = judge(seen)
        if finding is None and not seen.complete:
            log.info("drift.incomplete", unit=unit.unit_id, note=seen.detection_note)
            return False, None  # nothing seen, but not everything looked at: no verdict
        if finding is None:
            self.healed.pop(unit.unit_id, None)
            resolved = self.store.resolve_drift(unit.unit_id, "in sync")
            if resolved is not None:
                log.info("drift.resolved", unit=unit.unit_id, finding=resolved.id)
            self._condition(unit.unit_id, Outcome("in_sync", "InSync", "checked: in sync"))
            return False, None
        heal, why = heal_decision(
            finding, settings, holds_data=unit.holds_data, adopted=unit.adopted
        )
        if heal and self.healed.get(unit.unit_id) == finding.signature:
            heal, why = False, "not healed again: applying it from git did not remove it"
        message = f"{finding.message}; {why}"
        if seen.detection_note:
            message += f" ({seen.detection_note})"
        report = DriftReport(
            unit.unit_id,
            cast(DriftReason, finding.reason),
            message,
            finding.details,
            finding.signature,
            "healing" if heal else "reported",
        )
        with self.store.transaction(f"recording the drift of {unit.unit_id}") as tx:
            stored, new = tx.record_drift(report)
            if new and self.platform is not None:  # told in the transaction that records it
                publish(tx, self.platform, _found(stored))
        if new:
            log.warning(
                "drift.found",
                unit=unit.unit_id,
                reason=finding.reason,
                message=message,
                finding=stored.id,
                action=stored.action,
                stack=unit.stack_name,
                account=unit.target.account_id,
                region=unit.target.region,
            )
        self._condition(unit.unit_id, Outcome("drifted", finding.reason, message))
        if not heal:
            return False, None
        self.healing[unit.unit_id] = finding.signature
        if finding.deleted:
            return True, None
        return True, Live(seen.status, dict(unit.outputs), drift=finding.reason)

    def _condition(self, unit_id: str, outcome: Outcome) -> None:
        """Set Drifted (through ``summarize``) under the unit's lease; skip if another
        process is working on the unit (its apply writes the record)."""
        record = self.store.unit(unit_id)
        if record is None or summarize(record, outcome, record.updated_at) == record:
            return
        if not self.store.acquire_lease(unit_id, self.holder, self.tuning.lease_ttl):
            log.info("drift.condition_skipped", unit=unit_id, reason="leased elsewhere")
            return
        try:
            record = self.store.unit(unit_id)
            if record is not None:
                self.store.save_units([summarize(record, outcome, self.store.now())])
        finally:
            self.store.release_lease(unit_id, self.holder)

    def _metered(
        self, unit: Watched, budget: CallBudget, now: float, step: Callable[[], T]
    ) -> T | None:
        account = unit.target.account_id
        before = self._calls_of(account)
        try:
            return step()
        except (CloudError, Waiting) as exc:
            log.warning("drift.check_failed", unit=unit.unit_id, error=str(exc))
            return None
        finally:
            spent = self._calls_of(account) - before
            budget.spend(account, spent, now)
            self.calls[account] += spent

    def _calls_of(self, account: str) -> int:
        return self._meter(account) if self._meter is not None else self._counted[account]

    def _configure(self, settings: DriftSettings) -> tuple[DriftSchedule, CallBudget]:
        assert settings.interval is not None
        if self.schedule is None or self.schedule.interval != settings.interval:
            last = self.schedule.last_tick if self.schedule is not None else None
            self.schedule = DriftSchedule(settings.interval, last)
        if self.budget is None or self.budget.calls_per_minute != settings.calls_per_minute:
            cost = max(self.tuning.begin_cost, self.tuning.finish_cost)
            self.budget = CallBudget(max(settings.calls_per_minute, cost), cost)
        return self.schedule, self.budget

    def _plan(self, now: float) -> Planned | None:
        if self._planned is None or now - self._planned[0] > self.tuning.replan:
            planned = self.desired()
            self._planned = (now, planned) if planned is not None else None
            return planned
        return self._planned[1]


def _found(finding: DriftFinding) -> Notice:
    return events.drift_found(
        finding.id,
        finding.unit_id,
        finding.reason,
        finding.message,
        finding.action,
        finding.found_at,
        finding.details,
    )


def watched_units(plan: Plan, records: Sequence[UnitRecord]) -> list[Watched]:
    """The deployed units whose stacks run the head's render: what drift checks look at.

    Units with work pending (an update, a stall, a block) are left to the reconcile, and
    Terraform units, which have no stack, are never watched.
    """
    by_id = {r.id: r for r in records}
    found = []
    for item in plan.units:
        record = by_id.get(item.unit_id)
        rendered = item.rendered
        if record is None or rendered is None or record.stack_id is None:
            continue
        if rendered.terraform is not None:
            continue  # no stack: Terraform's own plan is where its drift shows
        if item.action != "noop" or not record.fingerprint:
            continue
        if item.fingerprint != record.fingerprint:
            continue
        unit = rendered.unit
        found.append(
            Watched(
                unit.id,
                record.stack_name,
                target_of(unit.target),
                record.fingerprint,
                rendered.body,
                dict(record.outputs),
                unit.holds_data,
                unit.external,
            )
        )
    return found
