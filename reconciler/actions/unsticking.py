"""Cancel a stuck update; continue a rollback that failed. Each records who did it.

Both are two steps, so that the HTTP API can answer as soon as CloudFormation accepted
the call and let the waiting happen behind it:

1. ``cancel`` / ``continue_rollback`` check the unit and its live stack, write the
   history entry (CANCELLING on the deployment in progress; a new IN_PROGRESS entry for
   the rollback), then send CancelUpdateStack / ContinueUpdateRollback. A refusal by
   CloudFormation undoes the entry. Nothing is sent when a check fails.
2. ``settle`` waits for the stack to stop moving and records the end: CANCELLED (the
   stack rolled back), or SUCCEEDED / FAILED for the rollback. A cancelled update
   belongs to the apply that started it: while a live process holds the unit's lease it
   records the end itself (it sees CANCELLING), and ``settle`` only waits to read it.

A process killed while it waits leaves its entry open (IN_PROGRESS, CANCELLING).
``recover`` records the end of such entries once nobody holds the unit and the stack
is at rest; ``serve`` runs it at start and after every reconcile, and the commands that
act on a stack run it first.

Neither touches the operation journal's last entry, so a unit whose update failed stays
stalled on that fingerprint: after a cancel or a continued rollback, ``retry`` (or a new
commit) tries the update again.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from reconciler.actions.access import Actor
from reconciler.actions.units import LiveStack, find_unit, live_stack, wrong_status
from reconciler.apply.conditions import Outcome, summarize
from reconciler.apply.holders import dead_here, holder_name
from reconciler.apply.interventions import CANCEL_ACTION
from reconciler.apply.stack_ops import InFlight, StackOps
from reconciler.cloud import Cloud, CloudRejected, StackEvent, StackState, failure_message
from reconciler.errors import ActionConflict, ActionInputInvalid, CloudError, Waiting
from reconciler.state import Deployment, DeploymentStatus, StateStore

log = structlog.get_logger(__name__)

ROLLBACK_ACTION = "continue-update-rollback"
# CloudFormation logical ids: letters and digits, 255 at most.
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")


@dataclass(frozen=True)
class ActionSettings:
    """How long a write action waits for others, and how often it looks."""

    lease_ttl: float = 900.0  # the unit's lease while a rollback is continued
    recorded_within: float = 60.0  # seconds to wait for a live apply to record a cancel
    poll: float = 0.5  # seconds between looks at the history meanwhile


@dataclass(frozen=True)
class Settled:
    """How a write action ended: its history entry, and the stack as it came to rest."""

    deployment: Deployment
    stack_status: str  # "gone" when the stack no longer exists

    @property
    def rolled_back(self) -> bool:
        return self.stack_status == "UPDATE_ROLLBACK_COMPLETE"


@dataclass(frozen=True)
class Started:
    """A write action CloudFormation accepted; ``settle`` waits for its end."""

    unit_id: str
    action: str
    actor: Actor
    stack: LiveStack
    deployment: Deployment
    skipped: tuple[str, ...] = ()
    leased: bool = False  # this process holds the unit's lease (a continued rollback)


class StackInterventions:
    """cancel and continue-update-rollback on units' stacks, with their history."""

    def __init__(
        self,
        store: StateStore,
        cloud: Cloud,
        settings: ActionSettings | None = None,
        holder: str | None = None,
    ) -> None:
        self.store = store
        self.cloud = cloud
        self.settings = settings or ActionSettings()
        self.holder = holder or holder_name()

    # -- cancel ---------------------------------------------------------------------------
    def cancel(self, unit_id: str, actor: Actor) -> Started:
        """Mark the update CANCELLING and send CancelUpdateStack."""
        record = find_unit(self.store, unit_id)
        stack = live_stack(self.store, self.cloud, record)
        if stack.status != "UPDATE_IN_PROGRESS":
            raise wrong_status(stack, "cancel", "UPDATE_IN_PROGRESS")
        by = (actor.label, CANCEL_ACTION)
        message = f"cancel requested by {actor.label}"
        last = self.store.history(unit_id, limit=1)
        with self.store.transaction(f"recording the cancel of {unit_id}") as tx:
            if last and last[0].status == "IN_PROGRESS":
                deployment = tx.cancel_deployment(last[0].id, message, by=by)
            else:  # an update Goldenpath did not start: the cancel gets an entry of its own
                opened = tx.start_deployment(
                    unit_id, record.last_attempted_revision or "", record.version, by=by
                )
                deployment = tx.cancel_deployment(opened.id, message, by=by)
        token = f"goldenpath-cancel-{deployment.id}-{uuid.uuid4().hex[:12]}"
        try:
            self.cloud.cancel_update(stack.ref.target, stack.ref.name, token)
        except (CloudError, Waiting) as exc:
            self._undo_cancel(deployment, last[0] if last else None)
            conflict = _refusal(exc, stack, "cancel")
            if conflict is None:
                raise
            raise conflict from exc
        log.info("actions.cancel_sent", unit=unit_id, actor=actor.label, stack=stack.ref.name)
        return Started(unit_id, CANCEL_ACTION, actor, stack, deployment)

    def _undo_cancel(self, deployment: Deployment, before: Deployment | None) -> None:
        with self.store.transaction(f"undoing the cancel of {deployment.unit_id}") as tx:
            current = tx.deployment(deployment.id)
            if current is None or current.status != "CANCELLING":
                return  # the apply recorded its end meanwhile: that stands
            if before is not None and before.id == deployment.id:
                tx.reopen_deployment(deployment.id, before.message)
            else:
                tx.finish_deployment(deployment.id, "FAILED", "CloudFormation refused the cancel")

    # -- continue-update-rollback ----------------------------------------------------------
    def continue_rollback(self, unit_id: str, actor: Actor, skip: Sequence[str] = ()) -> Started:
        """Open a history entry and send ContinueUpdateRollback, skipping ``skip``."""
        skipped = check_skip(skip)
        record = find_unit(self.store, unit_id)
        stack = live_stack(self.store, self.cloud, record)
        if stack.status != "UPDATE_ROLLBACK_FAILED":
            raise wrong_status(stack, ROLLBACK_ACTION, "UPDATE_ROLLBACK_FAILED")
        if not self._lease(unit_id):
            lease = self.store.lease(unit_id)
            raise ActionConflict(
                f"{unit_id} is being worked on by {lease.holder if lease else 'another process'}"
                "; try again once it is done"
            )
        by = (actor.label, ROLLBACK_ACTION)
        leaving = ", ".join(skipped) if skipped else "nothing"
        message = f"{ROLLBACK_ACTION} requested by {actor.label}, skipping {leaving}"
        try:
            with self.store.transaction(f"recording the rollback of {unit_id}") as tx:
                deployment = tx.start_deployment(
                    unit_id,
                    record.last_attempted_revision or "",
                    record.version,
                    by=by,
                    message=message,
                )
            token = f"goldenpath-rollback-{deployment.id}-{uuid.uuid4().hex[:12]}"
            try:
                self.cloud.continue_update_rollback(
                    stack.ref.target, stack.ref.name, token, skipped
                )
            except (CloudError, Waiting) as exc:
                self.store.finish_deployment(deployment.id, "FAILED", f"not sent: {exc}")
                conflict = _refusal(exc, stack, ROLLBACK_ACTION)
                if conflict is None:
                    raise
                raise conflict from exc
        except BaseException:
            self.store.release_lease(unit_id, self.holder)
            raise
        log.info("actions.rollback_continued", unit=unit_id, actor=actor.label, skip=skipped)
        return Started(unit_id, ROLLBACK_ACTION, actor, stack, deployment, skipped, leased=True)

    # -- recovery ---------------------------------------------------------------------------
    def recover(self) -> list[Deployment]:
        """Record the end of cancels and continued rollbacks whose waiting process died.

        An entry is left alone while a live process holds its unit, or while its stack is
        still moving (the next call sees it again). Returns the entries it closed.
        """
        closed = []
        for entry in self.store.unfinished_interventions((CANCEL_ACTION, ROLLBACK_ACTION)):
            if not self._lease(entry.unit_id):
                continue  # a live process works on the unit: it records the end
            try:
                ended = self._recover(entry)
            except (CloudError, Waiting, ActionConflict) as exc:
                log.warning("actions.recover_failed", unit=entry.unit_id, error=str(exc))
                ended = None
            finally:
                self.store.release_lease(entry.unit_id, self.holder)
            if ended is not None:
                log.info("actions.recovered", unit=entry.unit_id, status=ended.status)
                closed.append(ended)
        return closed

    def _recover(self, entry: Deployment) -> Deployment | None:
        record = self.store.unit(entry.unit_id)
        if record is None:
            return self.store.finish_deployment(
                entry.id, "FAILED", f"{entry.message}; the unit is no longer recorded"
            )
        stack = live_stack(self.store, self.cloud, record)
        if stack.state.phase.value == "in_progress":
            return None
        actor = Actor(entry.actor, "history")
        skipped = _skipped_in(entry.message)
        started = Started(entry.unit_id, entry.action, actor, stack, entry, skipped)
        if entry.action == CANCEL_ACTION:
            self._record_cancel(started, stack.state)
            return self.store.deployment(entry.id)
        return self._settle_rollback(started, stack.state)

    # -- the end ----------------------------------------------------------------------------
    def settle(self, started: Started) -> Settled:
        """Wait until the stack stops moving; record the end; the history entry as it ends."""
        try:
            final = self.cloud.wait([started.stack.ref])[started.stack.ref]
            if started.action == CANCEL_ACTION:
                ended = self._settle_cancel(started, final)
            else:
                ended = self._settle_rollback(started, final)
            return Settled(ended, final.status if final else "gone")
        finally:
            if started.leased:
                self.store.release_lease(started.unit_id, self.holder)

    def _settle_cancel(self, started: Started, final: StackState | None) -> Deployment:
        unit_id, entry = started.unit_id, started.deployment.id
        if self._lease(unit_id):
            try:
                self._record_cancel(started, final)
            finally:
                self.store.release_lease(unit_id, self.holder)
        deadline = time.monotonic() + self.settings.recorded_within
        while True:  # a live apply holds the unit: it records the end
            current = self.store.deployment(entry)
            if current is None or current.finished or time.monotonic() > deadline:
                return current or started.deployment
            time.sleep(self.settings.poll)

    def _record_cancel(self, started: Started, final: StackState | None) -> None:
        current = self.store.deployment(started.deployment.id)
        if current is None or current.status != "CANCELLING":
            return  # the apply recorded it before it let go of the unit
        ops = StackOps(self.store, self.cloud, linter=None, ignore_checks=())
        record = self.store.unit(started.unit_id)
        journal = [op for op in self.store.in_flight() if op.intent.unit_id == started.unit_id]
        if journal:
            op = journal[-1]
            flight = InFlight(
                started.unit_id,
                op.intent.action,
                started.stack.ref,
                op,
                current,
                op.intent.fingerprint,
                current.version,
                op.intent.revision,
                record,
            )
            ops.finish(flight, final, None)
            return
        status = final.status if final else "gone"
        with self.store.transaction(f"recording the cancel of {started.unit_id}") as tx:
            tx.finish_deployment(
                current.id,
                "CANCELLED" if status == "UPDATE_ROLLBACK_COMPLETE" else "FAILED",
                f"update cancelled by {started.actor.label}: the stack is {status}",
            )

    def _settle_rollback(self, started: Started, final: StackState | None) -> Deployment:
        ref = started.stack.ref
        skipped = ", ".join(started.skipped) or "nothing"
        record = self.store.unit(started.unit_id)
        now = self.store.now()
        status: DeploymentStatus
        if final is not None and final.status == "UPDATE_ROLLBACK_COMPLETE":
            status = "SUCCEEDED"
            message = (
                f"rollback continued by {started.actor.label}: {ref.name} is "
                f"UPDATE_ROLLBACK_COMPLETE, back on its previous template (skipped: {skipped}); "
                f"`goldenpath retry {started.unit_id}` or a new commit tries the update again"
            )
            outcome = Outcome("failed", "RolledBack", message)
        else:
            status = "FAILED"
            explained = self._explain(started, final)
            message = f"{ROLLBACK_ACTION} by {started.actor.label} failed: {explained}"
            outcome = Outcome("failed", "StackFailed", message)
        with self.store.transaction(f"recording the rollback of {started.unit_id}") as tx:
            ended = tx.finish_deployment(started.deployment.id, status, message)
            if record is not None:
                tx.save_units([summarize(record, outcome, now)])
        return ended

    def _explain(self, started: Started, final: StackState | None) -> str:
        if final is None:
            return f"{started.stack.ref.name} disappeared"
        try:
            events = self.cloud.events(started.stack.ref.target, started.stack.ref.name, 50)
        except (CloudError, Waiting):
            events = ()
        # Only what this rollback did: the events since its UPDATE_ROLLBACK_IN_PROGRESS.
        since: list[StackEvent] = []
        for event in events:
            since.append(event)
            if event.is_stack and event.status == "UPDATE_ROLLBACK_IN_PROGRESS":
                break
        return f"{final.status}: {failure_message(since, final.status_reason)}"

    def _lease(self, unit_id: str) -> bool:
        ttl = self.settings.lease_ttl
        if self.store.acquire_lease(unit_id, self.holder, ttl):
            return True
        lease = self.store.lease(unit_id)
        if lease is None or not dead_here(lease.holder):
            return False
        self.store.release_lease(unit_id, lease.holder)
        return self.store.acquire_lease(unit_id, self.holder, ttl)


def check_skip(skip: Sequence[str]) -> tuple[str, ...]:
    """The logical ids to skip, checked; ``ActionInputInvalid`` names a bad one."""
    if isinstance(skip, str):
        raise ActionInputInvalid("skip: expected a list of logical resource ids, got a string")
    for index, name in enumerate(skip):
        if not isinstance(name, str) or not _LOGICAL_ID.fullmatch(name):
            raise ActionInputInvalid(
                f"skip[{index}]: {name!r} is not a logical resource id "
                "(letters and digits, as in the template's Resources)"
            )
    if len(set(skip)) != len(skip):
        raise ActionInputInvalid("skip: a logical id is named twice")
    return tuple(skip)


def _skipped_in(message: str) -> tuple[str, ...]:
    """The logical ids a continued rollback's entry says it skipped (see its message)."""
    _, found, leaving = message.rpartition(", skipping ")
    if not found or leaving == "nothing":
        return ()
    return tuple(leaving.split(", "))


def _refusal(exc: Exception, stack: LiveStack, action: str) -> ActionConflict | None:
    """CloudFormation refusing the request itself (the status moved on, a skip it does not
    allow) as the action's conflict; None for other failures, which stay what they are."""
    if isinstance(exc, CloudRejected) and exc.code == "ValidationError":
        return ActionConflict(
            f"CloudFormation refused to {action} {stack.ref.name}: {exc.aws_message}"
        )
    return None
