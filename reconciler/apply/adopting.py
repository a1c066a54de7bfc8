"""Taking over a stack another tool left (Proton's ``AWSProton-*``), in place.

A unit whose spec names its stack (``stackName``) and that was never applied is adopted,
never created. Apply reads the stack, and then:

- missing, or adopting would remove or replace a resource: the unit stalls with the
  reason, and nothing is sent (a typo must not build a second VPC);
- in a status that allows no update: tried again later, saying what to do;
- the render matches the live body: the stack is recorded (id, outputs, fingerprint,
  version) with no update call;
- otherwise: an ordinary update, gated by lint like any other, that keeps the stack's
  own tags (``proton:*``) beside ours. CloudFormation's change set decides what would be
  replaced, before anything is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog

from reconciler.apply.conditions import Outcome, summarize
from reconciler.apply.records import applied_record, new_record
from reconciler.apply.stack_ops import InFlight, StackOps, request_of, target_of
from reconciler.cloud import Cloud, CloudRejected, Target
from reconciler.desired.rendering import RenderedUnit
from reconciler.desired.secrets import masked_body
from reconciler.desired.units import TAG_PREFIX, Unit
from reconciler.errors import CloudError, Waiting
from reconciler.plan import adoption
from reconciler.plan.model import Existing, ResourceChange
from reconciler.state import Operation, UnitRecord

log = structlog.get_logger(__name__)


def look_up(cloud: Cloud, units: Sequence[Unit]) -> dict[str, Existing | None]:
    """The stacks ``units`` name, as the cloud has them (None: not found).

    One batched describe per account and region, then the body of each stack found.
    """
    by_target: dict[Target, list[Unit]] = {}
    for unit in units:
        by_target.setdefault(target_of(unit.target), []).append(unit)
    found: dict[str, Existing | None] = {}
    for target, members in by_target.items():
        states = cloud.describe(target, [u.stack_name for u in members])
        for unit in members:
            state = states.get(unit.stack_name)
            found[unit.id] = None
            if state is None:
                continue
            try:
                body = cloud.template(target, unit.stack_name)
            except CloudRejected as exc:
                if exc.is_missing_stack:  # deleted since the describe
                    continue
                raise
            found[unit.id] = Existing(
                state.status,
                state.stack_id,
                {k: str(v) for k, v in state.outputs.items()},
                dict(state.tags),
                body,
            )
    return found


def adopt_stack(
    ops: StackOps,
    rendered: RenderedUnit,
    existing: Existing | None,
    revision: str,
    record: UnitRecord | None,
    resumed: Operation | None = None,
) -> InFlight | Outcome:
    """Take over the stack ``rendered``'s unit names; see the module docstring."""
    unit = rendered.unit
    target = target_of(unit.target)
    fingerprint = rendered.fingerprint()
    try:
        if existing is None:
            existing = ops.send(lambda: look_up(ops.cloud, [unit])).get(unit.id)
        if existing is None:
            message = adoption.not_found(unit.stack_name, unit.target.id, unit.target.region)
            return _stall(ops, unit, Outcome("invalid", "StackNotFound", message), revision)
        problem = adoption.status_problem(unit.stack_name, existing.status)
        if problem is not None:
            outcome = Outcome("retrying", "StackNotUpdatable", problem)
            ops.record_outcome(unit.id, outcome, unit)
            return outcome
        compared = adoption.compare(existing.body, rendered.body)
        if compared.error is not None:
            message = f"stack {unit.stack_name}: {compared.error}"
            return _stall(
                ops, unit, Outcome("invalid", "LiveTemplateUnreadable", message), revision
            )
        if compared.same:
            return record_adopted(ops, unit, existing, revision, fingerprint, record, rendered.body)
        tags = adoption.kept_tags(existing.tags, unit.tags, TAG_PREFIX)
        request = request_of(unit, rendered.body, tags)
        name = f"goldenpath-adopt-{uuid.uuid4().hex[:12]}"
        preview = ops.send(lambda: ops.cloud.preview_update(target, request, name))
    except Waiting as exc:
        return Outcome("retrying", "CloudUnavailable", str(exc))
    except CloudError as exc:
        return Outcome("retrying", "CloudRefused", str(exc))
    if preview.no_changes:
        return record_adopted(ops, unit, existing, revision, fingerprint, record, rendered.body)
    changes = [
        ResourceChange(c.logical_id, c.type, c.action, c.replacement) for c in preview.changes
    ]
    stopping = adoption.blocking(changes)
    if stopping:
        message = adoption.describe_blocking(stopping, holds_data=unit.holds_data)
        return _stall(ops, unit, Outcome("invalid", "AdoptionWouldReplace", message), revision)
    gate = ops.lint_gate(rendered)
    if gate is not None:
        ops.record_invalid(unit, gate, revision, fingerprint)
        return gate
    log.info(
        "apply.adopt_with_update",
        unit=unit.id,
        stack_name=unit.stack_name,
        changes=adoption.describe_changes(tuple(changes), ()),
    )
    return ops.issue(rendered, "update", revision, record, resumed, tags=tags)


def record_adopted(
    ops: StackOps,
    unit: Unit,
    existing: Existing,
    revision: str,
    fingerprint: str,
    record: UnitRecord | None,
    body: str | None = None,
) -> Outcome:
    """Record the stack as the unit's, as it is: no call to the cloud. ``body``: what the
    unit renders to, the same as the stack's own (kept with secret inputs masked)."""
    store = ops.store
    now = store.now()
    base = record or new_record(unit, now)
    adopted = applied_record(
        base, unit, existing.stack_id, revision, fingerprint, dict(existing.outputs), now
    )
    outcome = Outcome(
        "applied", "Adopted", f"adopted {unit.stack_name} at {revision[:12]}: no changes"
    )
    with store.transaction(f"recording the adoption of {unit.id}") as tx:
        kept = None if body is None else masked_body(unit, body)
        deployment = tx.start_deployment(unit.id, revision, unit.version.version, body=kept)
        tx.finish_deployment(deployment.id, "SUCCEEDED", outcome.message)
        tx.save_units([summarize(adopted.with_attempt(revision, now), outcome, now)])
    log.info("apply.adopted", unit=unit.id, stack_name=unit.stack_name, stack_id=existing.stack_id)
    return outcome


def _stall(ops: StackOps, unit: Unit, outcome: Outcome, revision: str) -> Outcome:
    ops.record_invalid(unit, outcome, revision, None)
    return outcome


__all__ = ["adopt_stack", "look_up", "record_adopted"]
