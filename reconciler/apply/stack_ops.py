"""One unit's stack operation: gate, record, issue; and, when CloudFormation is done, record.

Every operation is written to the state store's journal before the call is made, with the
client token that makes the call idempotent, so a process killed at any moment resumes
without issuing anything twice. The outcome, the unit's record and its history entry are
then written together in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, TypeVar

import structlog

from reconciler.apply.conditions import Outcome, summarize
from reconciler.apply.creating import create_or_adopt
from reconciler.apply.gate import guardrail_gate, lint_gate
from reconciler.apply.interventions import RETRY_REQUESTS, ended_cancel, retried_by
from reconciler.apply.notices import tell_deployment_end
from reconciler.apply.records import applied_record, new_record
from reconciler.apply.retrying import resend
from reconciler.cloud import (
    SYSTEM_CLOCK,
    Clock,
    Cloud,
    CloudRejected,
    NoChange,
    RetryPolicy,
    StackRef,
    StackRequest,
    StackState,
    Target,
    failure_message,
)
from reconciler.desired.rendering import RenderedUnit
from reconciler.desired.secrets import masked_body
from reconciler.desired.units import TAG_PREFIX, Unit
from reconciler.errors import CloudError, Waiting
from reconciler.guardrails import Guardrails
from reconciler.plan.adoption import kept_tags
from reconciler.render import Linter
from reconciler.specs.model import Account, Platform
from reconciler.state import (
    Deployment,
    DeploymentStatus,
    Operation,
    OperationIntent,
    StateStore,
    UnitRecord,
)

log = structlog.get_logger(__name__)
StackAction = Literal["create", "update", "delete"]
T = TypeVar("T")


def target_of(account: Account) -> Target:
    return Target(account.id, account.region, account.role_arn)


def request_of(unit: Unit, body: str, tags: Mapping[str, str]) -> StackRequest:
    """What a create, update or preview of ``unit``'s stack sends: its body and tags, and
    its service role (a component's: the environment's component role)."""
    return StackRequest(unit.stack_name, body, tags=tags, service_role=unit.service_role)


@dataclass(frozen=True)
class InFlight:
    """An operation CloudFormation is working on."""

    unit_id: str
    action: StackAction
    ref: StackRef
    operation: Operation
    deployment: Deployment
    fingerprint: str | None
    version: str
    revision: str
    record: UnitRecord | None


def _refused(exc: CloudError) -> Outcome:
    """A stack call the cloud refused: the unit stalls, unless the refusal was about the
    credentials (then it is tried again on the next run, once they are fixed)."""
    if isinstance(exc, CloudRejected) and exc.is_unauthorized:
        return Outcome("retrying", "Unauthorized", str(exc))
    return Outcome("failed", "Rejected", str(exc))


# An operation CloudFormation finished: the flight, the stack as it ended (None: gone),
# and the unit it was for (None: no longer in the repo).
Ended = tuple[InFlight, StackState | None, Unit | None]


def _applied_record(
    flight: InFlight, state: StackState, unit: Unit | None, now: datetime
) -> UnitRecord:
    """The unit's record once ``flight`` succeeded: the stack, its outputs, the version."""
    outputs = {k: str(v) for k, v in state.outputs.items()}
    base = flight.record or (new_record(unit, now) if unit else None)
    assert base is not None
    fingerprint = flight.fingerprint or ""
    return applied_record(base, unit, state.stack_id, flight.revision, fingerprint, outputs, now)


@dataclass
class StackOps:
    store: StateStore
    cloud: Cloud
    linter: Linter | None
    ignore_checks: tuple[str, ...]
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # re-sending a waiting call
    clock: Clock = SYSTEM_CLOCK  # the pauses between re-sends
    rng: random.Random = field(default_factory=random.Random)  # their jitter
    guardrails: Guardrails | None = None  # the policies of the revision being applied
    platform: Platform | None = None  # its goldenpath.yaml: whom to tell how deploys end

    def send(self, call: Callable[[], T]) -> T:
        """One cloud call, re-sent after a pause while the cloud says to wait."""
        return resend(call, what="stack call", policy=self.retry, clock=self.clock, rng=self.rng)

    def lint_gate(self, rendered: RenderedUnit) -> Outcome | None:
        """cfn-lint errors stop a stack operation before it reaches the cloud."""
        return lint_gate(self.linter, rendered, self.ignore_checks)

    def guardrail_gate(self, rendered: RenderedUnit) -> Outcome | None:
        """A body the guardrails deny (or cannot judge) is never deployed nor adopted."""
        return guardrail_gate(self.guardrails, rendered)

    def issue(
        self,
        rendered: RenderedUnit,
        action: StackAction,
        revision: str,
        record: UnitRecord | None,
        resumed: Operation | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> InFlight | Outcome:
        """Record, then start, a create or update of ``rendered``'s stack.

        ``record`` is the unit's record as the caller just read it (under its lease).
        ``tags``: the whole tag set to send; by default the unit's own, and for a stack
        the spec names (adopted), the stack's own tags beside ours.
        """
        unit = rendered.unit
        target = target_of(unit.target)
        fingerprint = rendered.fingerprint()
        if unit.external and action == "create":
            # Defence in depth: the plan adopts such units; a stack named in the spec is
            # never created, whatever the caller asked for.
            message = f"{unit.stack_name} is named by stackName: it is adopted, never created"
            return Outcome("invalid", "NeverCreated", message)
        if tags is None and unit.external:
            try:
                tags = self._kept_tags(unit)
            except Waiting as exc:
                return Outcome("retrying", "CloudUnavailable", str(exc))
            except CloudError as exc:
                return _refused(exc)
        request = request_of(unit, rendered.body, tags or unit.tags)
        op, deployment = resumed, None
        if op is None:
            kept = masked_body(unit, rendered.body)
            op, deployment = self._begin(unit, action, revision, fingerprint, record, kept)
        else:
            deployment = self.open_deployment(unit.id, revision, unit.version.version)
        flight = InFlight(
            unit.id,
            action,
            StackRef(target, unit.stack_name),
            op,
            deployment,
            fingerprint,
            unit.version.version,
            revision,
            record,
        )
        try:
            if action == "create":
                # The name may be taken by our own stack: then it is updated instead.
                action = create_or_adopt(self.cloud, target, request, op.client_token, self.send)
                flight = replace(flight, action=action)
            if action == "update":
                token = op.client_token
                outcome = self.send(lambda: self.cloud.update(target, request, token))
                if isinstance(outcome, NoChange):
                    states = self.send(lambda: self.cloud.describe(target, [unit.stack_name]))
                    found = states.get(unit.stack_name)
                    if found is not None:
                        return self.finish(flight, found, unit)
        except Waiting as exc:
            return self._abandon(flight, Outcome("retrying", "CloudUnavailable", str(exc)))
        except CloudError as exc:
            return self._abandon(flight, _refused(exc), unit=unit)
        return flight

    def _kept_tags(self, unit: Unit) -> dict[str, str]:
        """An adopted stack's tags as they are now (``proton:*``…) beside ours."""
        target = target_of(unit.target)
        states = self.send(lambda: self.cloud.describe(target, [unit.stack_name]))
        found = states.get(unit.stack_name)
        return kept_tags(found.tags if found else {}, unit.tags, TAG_PREFIX)

    def issue_delete(
        self,
        record: UnitRecord,
        revision: str,
        role_arn: str | None,
        resumed: Operation | None = None,
    ) -> InFlight | Outcome:
        """Record, then start, the delete of ``record``'s stack (or send ``resumed`` again)."""
        target = Target(record.account, record.region, role_arn)
        intent = OperationIntent(
            record.id, "delete", record.stack_name, record.account, record.region, revision
        )
        if resumed is not None:
            op, deployment = resumed, self.open_deployment(record.id, revision, record.version)
        else:
            with self.store.transaction(f"recording the delete of {record.id}") as tx:
                op = tx.begin_operation(intent)
                deployment = tx.start_deployment(record.id, revision, record.version, deleting=True)
        flight = InFlight(
            record.id,
            "delete",
            StackRef(target, record.stack_name),
            op,
            deployment,
            None,
            record.version,
            revision,
            record,
        )
        try:
            self.send(lambda: self.cloud.delete(target, record.stack_name, op.client_token))
        except Waiting as exc:
            return self._abandon(flight, Outcome("retrying", "CloudUnavailable", str(exc)))
        except CloudError as exc:
            return self._abandon(flight, _refused(exc))
        return flight

    def finish(
        self,
        flight: InFlight,
        state: StackState | None,
        unit: Unit | None,
        now: datetime | None = None,
    ) -> Outcome:
        """Record what CloudFormation ended with; ``state`` None means the stack is gone."""
        now = now or self.store.now()
        if flight.action == "delete":
            return self._finish_delete(flight, state)
        if state is None:
            # Deleted under us (by hand, or mid-recreate): no fault of the template, so the
            # unit is not stalled; the next apply creates the stack again.
            reason = self._failure(flight, state)
            return self._fail(flight, Outcome("retrying", "StackGone", reason), unit, now)
        if state.phase.value != "succeeded":
            reason = self._failure(flight, state)
            return self._fail(flight, Outcome("failed", "StackFailed", reason), unit, now)
        return self._record_successes([(flight, state, unit)], now)[0]

    def finish_many(self, ended: Sequence[Ended]) -> list[Outcome]:
        """``finish`` for many operations; the successful ones in one transaction."""
        now = self.store.now()
        outcomes: dict[int, Outcome] = {}
        succeeded: list[tuple[int, Ended]] = []
        for index, (flight, state, unit) in enumerate(ended):
            if flight.action != "delete" and state is not None and state.phase.value == "succeeded":
                succeeded.append((index, (flight, state, unit)))
            else:
                outcomes[index] = self.finish(flight, state, unit, now)
        recorded = self._record_successes([item for _i, item in succeeded], now)
        outcomes.update(zip((i for i, _item in succeeded), recorded, strict=True))
        return [outcomes[i] for i in range(len(ended))]

    def _record_successes(self, ended: Sequence[Ended], now: datetime) -> list[Outcome]:
        """Record stacks that reached a complete state: outputs, history, journal."""
        if not ended:
            return []
        outcomes = []
        with self.store.transaction(f"recording {len(ended)} finished stack operations") as tx:
            for flight, state, unit in ended:
                assert state is not None
                record = _applied_record(flight, state, unit, now)
                outcome = Outcome(
                    "applied",
                    "Succeeded",
                    f"{flight.action}d {flight.ref.name} at {flight.revision[:12]}",
                )
                tx.finish_operation(
                    flight.operation.id,
                    "done",
                    {"stack_id": state.stack_id, "status": state.status},
                )
                tx.save_units([summarize(record.with_attempt(flight.revision, now), outcome, now)])
                tx.finish_deployment(flight.deployment.id, "SUCCEEDED", outcome.message)
                tell_deployment_end(tx, self.platform, flight, "SUCCEEDED", outcome)
                outcomes.append(outcome)
        return outcomes

    def record_invalid(
        self, unit: Unit, outcome: Outcome, revision: str, fingerprint: str | None
    ) -> None:
        """A unit that cannot be applied as committed: journal it, so it stays stalled."""
        now = self.store.now()
        record = self.store.unit(unit.id) or new_record(unit, now)
        intent = OperationIntent(
            unit.id,
            "update" if record.fingerprint else "create",
            unit.stack_name,
            unit.target.id,
            unit.target.region,
            revision,
            fingerprint,
        )
        with self.store.transaction(f"recording why {unit.id} stalled") as tx:
            op = tx.begin_operation(intent)
            tx.finish_operation(
                op.id,
                "failed",
                {
                    "fingerprint": fingerprint or "",
                    "version": unit.version.version,
                    "reason": outcome.reason,
                    "message": outcome.message,
                },
            )
            tx.save_units([summarize(record.with_attempt(revision, now), outcome, now)])

    def record_outcome(self, unit_id: str, outcome: Outcome, unit: Unit | None = None) -> None:
        """Set conditions without an operation (blocked, denied, unchanged)."""
        now = self.store.now()
        record = self.store.unit(unit_id)
        if record is None:
            if unit is None or outcome.kind == "unchanged":
                return
            record = new_record(unit, now)
        self.store.save_units([summarize(record, outcome, now)])

    def _begin(
        self,
        unit: Unit,
        action: StackAction,
        revision: str,
        fingerprint: str,
        record: UnitRecord | None,
        body: str,
    ) -> tuple[Operation, Deployment]:
        """Record the operation and open its deployment, which keeps ``body`` (masked)."""
        now = self.store.now()
        base = replace(record or new_record(unit, now), team=unit.team, depends_on=unit.depends_on)
        intent = OperationIntent(
            unit.id,
            action,
            unit.stack_name,
            unit.target.id,
            unit.target.region,
            revision,
            fingerprint,
        )
        in_progress = summarize(
            base.with_attempt(revision, now),
            Outcome("in_progress", "Progressing", f"{action} issued"),
            now,
        )
        by = retried_by(self.store, record)
        asked = f"retry requested by {by[0]}" if by[0] else ""
        with self.store.transaction(f"recording the {action} of {unit.id}") as tx:
            op = tx.begin_operation(intent)
            deployment = tx.start_deployment(
                unit.id, revision, unit.version.version, by=by, message=asked, body=body
            )
            tx.save_units([in_progress])
            if by[0]:
                tx.cache_delete(RETRY_REQUESTS, unit.id)
        return op, deployment

    def open_deployment(self, unit_id: str, revision: str, version: str) -> Deployment:
        last = self.store.history(unit_id, limit=1)
        if last and last[0].status in ("IN_PROGRESS", "DELETE_IN_PROGRESS"):
            return last[0]
        return self.store.start_deployment(unit_id, revision, version)

    def close_unsent(self, op: Operation, why: str, *, up_to_date: bool = False) -> None:
        """A journalled operation that was never sent and no longer will be: close it.

        ``up_to_date``: the plan found the unit in line, so its conditions say so.
        """
        intent = op.intent
        now = self.store.now()
        message = f"the {intent.action} of {intent.stack_name} was never sent: {why}"
        record = self.store.unit(intent.unit_id)
        last = self.store.history(intent.unit_id, limit=1)
        with self.store.transaction(
            f"closing the unsent {intent.action} of {intent.unit_id}"
        ) as tx:
            tx.finish_operation(
                op.id,
                "failed",
                {
                    "fingerprint": intent.fingerprint or "",
                    "reason": "NotSent",
                    "message": message,
                    "transient": True,
                },
            )
            if last and last[0].status in ("IN_PROGRESS", "DELETE_IN_PROGRESS"):
                tx.finish_deployment(last[0].id, "CANCELLED", message)
            if up_to_date and record is not None and record.fingerprint:
                outcome = Outcome("unchanged", "UpToDate", "up to date")
                tx.save_units([summarize(record, outcome, now)])

    def _abandon(self, flight: InFlight, outcome: Outcome, unit: Unit | None = None) -> Outcome:
        now = self.store.now()
        status: DeploymentStatus = "DELETE_FAILED" if flight.action == "delete" else "FAILED"
        base = flight.record or (new_record(unit, now) if unit else None)
        with self.store.transaction(f"recording that {flight.unit_id} was not issued") as tx:
            tx.finish_operation(
                flight.operation.id,
                "failed",
                {
                    "fingerprint": flight.fingerprint or "",
                    "version": flight.version,
                    "reason": outcome.reason,
                    "message": outcome.message,
                    "transient": outcome.kind == "retrying",
                },
            )
            tx.finish_deployment(flight.deployment.id, status, outcome.message)
            tell_deployment_end(tx, self.platform, flight, status, outcome)
            if base is not None:
                tx.save_units([summarize(base, outcome, now)])
        return outcome

    def _fail(
        self, flight: InFlight, outcome: Outcome, unit: Unit | None, now: datetime
    ) -> Outcome:
        base = flight.record or (new_record(unit, now) if unit else None)
        with self.store.transaction(f"recording the failure of {flight.unit_id}") as tx:
            # A person may have cancelled it meanwhile: then it ends CANCELLED.
            current = tx.deployment(flight.deployment.id)
            outcome, status = ended_cancel(current, outcome, flight.unit_id)
            tx.finish_operation(
                flight.operation.id,
                "failed",
                {
                    "fingerprint": flight.fingerprint or "",
                    "version": flight.version,
                    "reason": outcome.reason,
                    "message": outcome.message,
                },
            )
            tx.finish_deployment(flight.deployment.id, status, outcome.message)
            tell_deployment_end(tx, self.platform, flight, status, outcome)
            if base is not None:
                tx.save_units([summarize(base.with_attempt(flight.revision, now), outcome, now)])
        return outcome

    def _finish_delete(self, flight: InFlight, state: StackState | None) -> Outcome:
        if state is not None and state.status != "DELETE_COMPLETE":
            reason = self._failure(flight, state)
            outcome = Outcome("failed", "DeleteFailed", reason)
            with self.store.transaction(f"recording the failed delete of {flight.unit_id}") as tx:
                tx.finish_operation(flight.operation.id, "failed", {"message": reason})
                tx.finish_deployment(flight.deployment.id, "DELETE_FAILED", reason)
                tell_deployment_end(tx, self.platform, flight, "DELETE_FAILED", outcome)
                if flight.record is not None:
                    tx.save_units([summarize(flight.record, outcome, self.store.now())])
            return outcome
        deleted = Outcome("applied", "Deleted", f"deleted {flight.ref.name}")
        with self.store.transaction(f"recording the delete of {flight.unit_id}") as tx:
            tx.finish_operation(flight.operation.id, "done", {"status": "DELETE_COMPLETE"})
            tx.finish_deployment(flight.deployment.id, "DELETE_COMPLETE", deleted.message)
            tell_deployment_end(tx, self.platform, flight, "DELETE_COMPLETE", deleted)
            tx.forget_unit(flight.unit_id)
        return deleted

    def _failure(self, flight: InFlight, state: StackState | None) -> str:
        if state is None:
            return f"stack {flight.ref.name} disappeared during the {flight.action}"
        try:
            events = self.cloud.events(flight.ref.target, flight.ref.name, limit=50)
        except (CloudError, Waiting):
            events = ()
        return f"{state.status}: {failure_message(events, state.status_reason)}"
