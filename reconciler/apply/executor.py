"""Apply a plan over the unit graph: many stacks at once, each unit when its inputs are known.

One thread schedules and polls; a bounded pool issues API calls. A unit is rendered again
when its dependencies are done, with their fresh outputs, so a changed output flows into
its dependants in the same run. In-flight stacks are polled in batches: one describe per
account and region per round, never one call per stack. A failed stack stalls its unit
and blocks its dependants; everything else carries on. A lease per unit keeps two
processes from operating on one stack at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import structlog

from reconciler.apply.adopting import adopt_stack
from reconciler.apply.conditions import Outcome
from reconciler.apply.holders import dead_here
from reconciler.apply.resume import adopt
from reconciler.apply.stack_ops import InFlight, StackAction, StackOps, target_of
from reconciler.cloud import RetryPolicy, StackRef, StackState, Target
from reconciler.desired.rendering import render_unit
from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import CloudError, RenderError, Waiting
from reconciler.plan.model import Plan, UnitPlan
from reconciler.render import PendingOutputs, Renderer
from reconciler.state import Operation, StateStore

log = structlog.get_logger(__name__)


# A few more tries, further apart than the cloud edge's own (which come first).
ENGINE_RETRY = RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=30.0)
# Until the provisioning repository is wired in, a Terraform unit is never applied, and
# never sent to CloudFormation: it is a folder of .tf files, not a stack.
TERRAFORM_REFUSED = (
    "a Terraform unit is applied by writing its files to the platform's provisioning "
    "repository (goldenpath.yaml spec.terraform.repository), which this build does not "
    "do yet; it is not sent to CloudFormation"
)


@dataclass(frozen=True)
class ApplySettings:
    """How hard apply pushes the cloud."""

    workers: int = 8  # threads issuing API calls at once
    # Stack operations in flight per account and region. CloudFormation works on stacks
    # in parallel and throttles the API, not the stacks (throttled calls are re-sent
    # with backoff); 32 deploys 200 small stacks ~20% faster than 16 did here.
    per_target: int = 32
    poll_first: float = 0.05  # seconds before the first poll of a round of operations
    poll_max: float = 5.0  # the poll interval grows to this
    lease_ttl: float = 900.0  # seconds a unit's lease lasts; renewed while polling
    timeout: float = 3 * 3600.0  # give up waiting for CloudFormation after this long
    # Re-sending a stack call the cloud answered with "wait" (throttled, unreachable) once
    # the cloud edge's own retries gave up.
    retry: RetryPolicy = field(default_factory=lambda: ENGINE_RETRY)


Progress = Callable[[str, str, str], None]  # (unit id, event, message)


@dataclass
class ApplyReport:
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def count(self, *kinds: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.kind in kinds)

    @property
    def ok(self) -> bool:
        return not any(o.kind in ("failed", "invalid", "retrying") for o in self.outcomes.values())


class Executor:
    def __init__(
        self,
        *,
        store: StateStore,
        ops: StackOps,
        renderer: Renderer,
        holder: str,
        settings: ApplySettings = ApplySettings(),
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.ops = ops
        self.renderer = renderer
        self.holder = holder
        self.settings = settings
        self.progress = progress or (lambda _u, _e, _m: None)
        self.stop = stop or threading.Event()
        self.report = ApplyReport()
        self.inflight: dict[StackRef, InFlight] = {}
        self.outputs: dict[str, Mapping[str, str]] = {}
        self.units: dict[str, Unit] = {}
        self.leased: set[str] = set()
        self.releasing: set[str] = set()  # settled units whose leases go back in one batch
        self.changed: set[str] = set()  # units whose outputs changed in this run
        self.resumable: dict[str, Operation] = {}  # journalled, never sent: send these tokens
        self._last_renew = time.monotonic()

    # -- the run ---------------------------------------------------------------------
    def run(
        self,
        plan: Plan,
        desired: DesiredState,
        roles: Mapping[str, str | None],
        journal: list[Operation] | None = None,
        settled: Mapping[str, Outcome] | None = None,
    ) -> ApplyReport:
        """Apply ``plan``; first finish ``journal``, operations a killed process left.

        ``roles`` gives the role of each account (see ``roles.known_roles``); ``settled``:
        the outcomes of units applied elsewhere (Terraform units, by the provisioning
        repository), which this run only waits on.
        """
        settled = settled or {}
        self.report.outcomes.update(settled)
        self.units = dict(desired.units)
        # Outputs are known only of units applied successfully at least once.
        self.outputs = {
            r.id: dict(r.outputs) for r in self.store.units() if r.fingerprint is not None
        }
        plans = {p.unit_id: p for p in plan.units}
        polling, self.resumable = adopt(self.ops, self._mine(journal or ()), self.units, roles)
        for flight in polling:
            self.inflight[flight.ref] = flight
        adopted = {f.unit_id for f in polling}
        todo = [u for u in desired.order if u in plans and u not in adopted and u not in settled]
        # The leases of every unit the plan changes, in one transaction; a unit another
        # process holds is asked for again (and maybe taken over) when its turn comes.
        changing = [u for u in todo if plans[u].action in ("create", "adopt", "update")]
        self.leased |= self.store.acquire_leases(changing, self.holder, self.settings.lease_ttl)
        with ThreadPoolExecutor(self.settings.workers, thread_name_prefix="apply") as pool:
            self._drive(todo, plans, desired, pool)
            deletes = [p for p in plan.units if p.action == "delete" and p.unit_id not in settled]
            # The order of plan.diff's deletions: dependants first.
            for rank in ("pipeline", "service", "component", "environment"):
                self._drive_deletes([p for p in deletes if p.kind == rank], plan, pool)
        for unit_id, op in list(self.resumable.items()):
            # Journalled, never sent, and this plan did not need it after all.
            item = plans.get(unit_id)
            action = item.action if item else "gone"
            if not self.stop.is_set():
                self.ops.close_unsent(op, f"the plan says {action}", up_to_date=action == "noop")
        self.releasing |= self.leased
        self.leased.clear()
        self._give_back()
        return self.report

    def _mine(self, journal: Iterable[Operation]) -> list[Operation]:
        """The journalled operations this process may resume: leased, and still in flight.

        Read again once leased: the process that held the lease may have finished it.
        """
        mine = []
        for op in journal:
            if self._lease(op.intent.unit_id):
                fresh = self.store.operation(op.id)
                if fresh is not None and fresh.in_flight:
                    mine.append(fresh)
        return mine

    def _drive(
        self,
        todo: list[str],
        plans: Mapping[str, UnitPlan],
        desired: DesiredState,
        pool: ThreadPoolExecutor,
    ) -> None:
        issuing: dict[Future[Any], str] = {}
        interval = self.settings.poll_first
        deadline = time.monotonic() + self.settings.timeout
        while (todo or issuing or self.inflight) and not self.stop.is_set():
            progressed = False
            for unit_id in list(todo):
                state = self._readiness(unit_id, plans[unit_id])
                if state == "wait":
                    continue
                if state == "go" and not self._capacity(self.units[unit_id], issuing.values()):
                    # Its account and region are at their limit: it waits, and the loop
                    # sleeps until a call is answered (counting this as progress would spin).
                    continue
                todo.remove(unit_id)
                progressed = True
                if state == "go":
                    issuing[
                        pool.submit(self._prepare_and_issue, unit_id, plans[unit_id], desired)
                    ] = unit_id
            for future in [f for f in issuing if f.done()]:
                unit_id = issuing.pop(future)
                if self._collect(unit_id, future):
                    interval = self.settings.poll_first  # a new stack at work: look soon
                progressed = True
            if self.inflight and self._poll():
                progressed = True
                interval = self.settings.poll_first
            if time.monotonic() > deadline:
                self._time_out()
                return
            if not progressed:
                if issuing:
                    # Wake as soon as a call is answered, not a whole interval later.
                    wait(issuing, timeout=interval, return_when=FIRST_COMPLETED)
                else:
                    self.stop.wait(interval)
                if self.inflight:
                    interval = min(interval * 2, self.settings.poll_max)
            self._give_back()
            self._renew_leases()

    def _drive_deletes(self, deletes: list[UnitPlan], plan: Plan, pool: ThreadPoolExecutor) -> None:
        futures: dict[Future[Any], str] = {}
        for item in deletes:
            if item.platform == "terraform":
                outcome = Outcome("blocked", "TerraformNotApplied", TERRAFORM_REFUSED)
                self._settle(item.unit_id, outcome, None)
                continue
            record = self.store.unit(item.unit_id)
            if record is None or not self._lease(item.unit_id):
                continue
            self.progress(item.unit_id, "start", "delete")
            # The plan gave each deletion its account's role (roles.reachable).
            futures[
                pool.submit(
                    self.ops.issue_delete,
                    record,
                    plan.revision,
                    item.target.role_arn,
                    self.resumable.pop(item.unit_id, None),
                )
            ] = item.unit_id
        for future, unit_id in futures.items():
            self._collect(unit_id, future)
        interval = self.settings.poll_first
        while self.inflight and not self.stop.is_set():
            if not self._poll():
                self.stop.wait(interval)
                interval = min(interval * 2, self.settings.poll_max)
            self._give_back()
            self._renew_leases()

    # -- one unit --------------------------------------------------------------------
    def _readiness(self, unit_id: str, item: UnitPlan) -> str:
        """'wait' for dependencies, 'go' to work on the unit, 'done' when settled here."""
        unit = self.units[unit_id]
        deps = [d for d in unit.depends_on if d in self.units]
        if any(d not in self.report.outcomes for d in deps):
            return "wait"
        if item.action == "denied":
            self._settle(unit_id, Outcome("denied", "PolicyDenied", item.reason), unit)
            return "done"
        failed = [d for d in deps if self.report.outcomes[d].kind not in ("applied", "unchanged")]
        if failed:
            message = f"waits for {', '.join(failed)}"
            self._settle(unit_id, Outcome("blocked", "DependencyNotReady", message), unit)
            return "done"
        if item.action == "blocked" and item.reason.startswith("stalled"):
            self.report.outcomes[unit_id] = Outcome("failed", "Stalled", item.reason)
            self.progress(unit_id, "skip", item.reason)
            return "done"
        if item.action == "noop" and not any(d in self.changed for d in deps):
            # The plan rendered it with these very outputs: nothing to do, nothing to write.
            self.report.outcomes[unit_id] = Outcome("unchanged", "UpToDate", "up to date")
            return "done"
        return "go"

    def _prepare_and_issue(
        self, unit_id: str, item: UnitPlan, desired: DesiredState
    ) -> InFlight | Outcome:
        unit = self.units[unit_id]
        if not self._lease(unit_id):
            return Outcome("retrying", "LeaseHeld", "another Goldenpath process is working on it")
        try:
            rendered = render_unit(unit, desired, self.renderer, self._lookup)
        except RenderError as exc:
            outcome = Outcome("invalid", "RenderFailed", str(exc))
            self.ops.record_invalid(unit, outcome, desired.revision, None)
            return outcome
        if rendered.pending:
            return Outcome(
                "blocked",
                "OutputsUnknown",
                f"outputs of {', '.join(rendered.pending)} are not known",
            )
        if rendered.terraform is not None:
            return Outcome("blocked", "TerraformNotApplied", TERRAFORM_REFUSED)
        fingerprint = rendered.fingerprint()
        record = self.store.unit(unit_id)  # again: another process may have applied it
        current = record.fingerprint if record else None
        moved = current != item.recorded_fingerprint  # applied elsewhere since the plan
        # A heal re-sends the recorded render on purpose, unless another process applied
        # the unit since the plan.
        if current == fingerprint and (moved or (item.action != "create" and not item.heal)):
            return Outcome("unchanged", "UpToDate", "up to date")
        if record is not None and record.stack_id and record.stack_name != unit.stack_name:
            # Another stack for a deployed unit would orphan its stack (the plan says so).
            message = item.reason or f"its stack is {record.stack_name}, not {unit.stack_name}"
            outcome = Outcome("invalid", "StackNameChanged", message)
            self.ops.record_invalid(unit, outcome, desired.revision, fingerprint)
            return outcome
        guarded = self.ops.guardrail_gate(rendered)
        if guarded is not None:
            # Not journalled: the next plan judges it again (an exception, a policy fix).
            if guarded.kind == "invalid":
                self.ops.record_outcome(unit_id, guarded, unit)
            return guarded
        if unit.external and current is None:
            # Named in the spec, never applied: the stack is taken over, never created.
            self.progress(unit_id, "start", "adopt")
            resumed = self.resumable.pop(unit_id, None)
            return adopt_stack(self.ops, rendered, item.existing, desired.revision, record, resumed)
        gate = self.ops.lint_gate(rendered)
        if gate is not None:
            self.ops.record_invalid(unit, gate, desired.revision, fingerprint)
            return gate
        fresh = current is None or (item.action == "create" and not moved)
        self.progress(unit_id, "start", "create" if fresh else "update")
        resumed = self.resumable.pop(unit_id, None)  # journalled by a killed process, never sent
        action: StackAction = "create" if fresh else "update"
        return self.ops.issue(rendered, action, desired.revision, record, resumed)

    def _collect(self, unit_id: str, future: Future[Any]) -> bool:
        """Take in an issued call's result; True when it put a stack to work."""
        try:
            result = future.result()
        except (CloudError, Waiting) as exc:
            result = Outcome("retrying", "CloudUnavailable", str(exc))
        if isinstance(result, InFlight):
            self.inflight[result.ref] = result
            return True
        if result.kind == "applied":
            # Adopted with no stack call: its outputs are the stack's, as just recorded.
            record = self.store.unit(unit_id)
            if record is not None:
                self.outputs[unit_id] = dict(record.outputs)
                self.changed.add(unit_id)
        self._settle(unit_id, result, self.units.get(unit_id))
        return False

    def _settle(self, unit_id: str, outcome: Outcome, unit: Unit | None) -> None:
        self.report.outcomes[unit_id] = outcome
        # Only under the unit's lease: a process working on it writes its own record.
        if outcome.kind in ("unchanged", "blocked", "denied") and self._lease(unit_id):
            self.ops.record_outcome(unit_id, outcome, unit)
        if unit_id in self.leased and outcome.kind != "in_progress":
            self.leased.discard(unit_id)
            self.releasing.add(unit_id)
        self.progress(unit_id, outcome.kind, outcome.message or outcome.reason)

    def _lookup(self, unit_id: str) -> Mapping[str, str]:
        found = self.outputs.get(unit_id)
        return found if found is not None else PendingOutputs(unit_id)

    # -- polling ----------------------------------------------------------------------
    def _poll(self) -> bool:
        """One batched describe per target; finish what is terminal. True if any was."""
        by_target: dict[Target, list[StackRef]] = {}
        for ref in self.inflight:
            by_target.setdefault(ref.target, []).append(ref)
        ended: list[InFlight] = []
        states: dict[StackRef, StackState] = {}
        for target, refs in by_target.items():
            try:
                found = self.ops.cloud.describe(target, [r.name for r in refs])
            except (CloudError, Waiting) as exc:
                log.warning("apply.poll_failed", target=str(target), error=str(exc))
                continue
            for ref in refs:
                state = found.get(ref.name)
                if state is not None and state.phase.value == "in_progress":
                    continue
                ended.append(self.inflight.pop(ref))
                if state is not None:
                    states[ref] = state
        if ended:
            self._finish(ended, states)
        return bool(ended)

    def _finish(self, ended: list[InFlight], states: Mapping[StackRef, StackState]) -> None:
        """Record the ended operations (their states by stack; absent: gone)."""
        done = [(f, states.get(f.ref), self.units.get(f.unit_id)) for f in ended]
        for (flight, state, unit), outcome in zip(done, self.ops.finish_many(done), strict=True):
            if outcome.kind == "applied" and state is not None:
                outputs = {k: str(v) for k, v in state.outputs.items()}
                if outputs != self.outputs.get(flight.unit_id):
                    self.changed.add(flight.unit_id)
                self.outputs[flight.unit_id] = outputs
            self._settle(flight.unit_id, outcome, unit)

    def _capacity(self, unit: Unit, issuing: Iterable[str]) -> bool:
        """Room for one more operation in the unit's account and region (sent or sending)."""
        target = target_of(unit.target)
        busy = sum(1 for ref in self.inflight if ref.target == target)
        busy += sum(1 for u in issuing if target_of(self.units[u].target) == target)
        return busy < self.settings.per_target

    def _lease(self, unit_id: str) -> bool:
        if unit_id in self.leased:
            return True
        if unit_id in self.releasing:  # settled, not yet given back: still ours
            self.releasing.discard(unit_id)
            self.leased.add(unit_id)
            return True
        ttl = self.settings.lease_ttl
        if self.store.acquire_lease(unit_id, self.holder, ttl) or self._take_over(unit_id):
            self.leased.add(unit_id)
            return True
        return False

    def _take_over(self, unit_id: str) -> bool:
        """Take a lease whose holder died on this host (release is atomic: one taker wins)."""
        lease = self.store.lease(unit_id)
        if lease is None or not dead_here(lease.holder):
            return False
        log.info("apply.lease_taken_over", unit=unit_id, dead_holder=lease.holder)
        self.store.release_lease(unit_id, lease.holder)
        return self.store.acquire_lease(unit_id, self.holder, self.settings.lease_ttl)

    def _give_back(self) -> None:
        """Release the leases of the units settled since the last call, in one batch."""
        if self.releasing:
            done, self.releasing = self.releasing, set()
            self.store.release_leases(self.holder, done)

    def _renew_leases(self) -> None:
        if time.monotonic() - self._last_renew < self.settings.lease_ttl / 3:
            return
        self._last_renew = time.monotonic()
        for unit_id in list(self.leased):
            self.store.renew_lease(unit_id, self.holder, self.settings.lease_ttl)

    def _time_out(self) -> None:
        for ref, flight in list(self.inflight.items()):
            message = f"still {flight.action} in progress after {self.settings.timeout:.0f}s"
            self.report.outcomes[flight.unit_id] = Outcome("retrying", "TimedOut", message)
            del self.inflight[ref]
