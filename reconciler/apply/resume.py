"""Pick up what a killed process left in flight, from the journal, without repeating it.

An operation is journalled before its call is made, so a process can die on either side
of the call. Each journalled operation is checked against CloudFormation:

- the stack is working, or its latest operation started after the journal entry: the
  call went through; the stack is polled and recorded like any other operation;
- the call never went through (a create whose stack is absent, or a stack whose latest
  operation is older than the journal entry): it is sent now, with the same client
  token, so that CloudFormation could not take it for a second call;
- a delete whose stack is gone succeeded; an update whose stack is gone failed.

"Started" is the time of the stack's newest CREATE/UPDATE/DELETE_IN_PROGRESS event,
which CloudFormation stamps when it accepts a call. A stack that cannot be described
(no known role, or the cloud does not answer) is left in the journal for the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import structlog

from reconciler.apply.stack_ops import InFlight, StackOps
from reconciler.cloud import StackRef, StackState, Target
from reconciler.desired.units import Unit
from reconciler.errors import CloudError, Waiting
from reconciler.state import Operation

log = structlog.get_logger(__name__)
# Stack-level statuses CloudFormation records when it accepts a call.
_ACCEPTED = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
# Events to read back for the newest accepted call; each operation writes a few.
_EVENTS_READ = 50


def adopt(
    ops: StackOps,
    operations: list[Operation],
    units: Mapping[str, Unit],
    roles: Mapping[str, str | None],
) -> tuple[list[InFlight], dict[str, Operation]]:
    """In-flight operations to poll, and operations never sent, to send now (by unit id)."""
    polling: list[InFlight] = []
    again: dict[str, Operation] = {}
    for op in operations:
        intent = op.intent
        if intent.account not in roles:
            log.warning("resume.no_role", unit=intent.unit_id, account=intent.account)
            continue
        target = Target(intent.account, intent.region, roles[intent.account])
        try:
            state = ops.cloud.describe(target, [intent.stack_name]).get(intent.stack_name)
            sent = state is not None and _went_through(ops, target, op, state)
        except (CloudError, Waiting) as exc:
            log.warning("resume.describe_failed", unit=intent.unit_id, error=str(exc))
            continue
        unit = units.get(intent.unit_id)
        record = ops.store.unit(intent.unit_id)
        version = unit.version.version if unit else (record.version if record else "")
        deployment = ops.open_deployment(intent.unit_id, intent.revision, version)
        flight = InFlight(
            intent.unit_id,
            intent.action,
            StackRef(target, intent.stack_name),
            op,
            deployment,
            intent.fingerprint,
            version,
            intent.revision,
            record,
        )
        log.info(
            "resume.operation",
            unit=intent.unit_id,
            action=intent.action,
            stack_name=intent.stack_name,
            status=state.status if state else None,
            sent=sent,
        )
        if sent or (state is None and intent.action == "delete"):
            polling.append(flight)
        elif intent.action == "update" and state is None:
            ops.finish(flight, None, unit)  # the stack went away: no update happened
        elif intent.action == "delete" or unit is not None:
            again[intent.unit_id] = op
        else:
            ops.close_unsent(op, "its spec is gone")
    return polling, again


def _went_through(ops: StackOps, target: Target, op: Operation, state: StackState) -> bool:
    """Whether CloudFormation accepted ``op``'s call: the stack moved since it was journalled."""
    if state.phase.value == "in_progress":
        return True
    events = ops.cloud.events(target, op.intent.stack_name, limit=_EVENTS_READ)
    accepted = [e.timestamp for e in events if e.is_stack and e.status in _ACCEPTED]
    started: datetime = max(accepted) if accepted else state.last_updated
    return started >= op.created_at
