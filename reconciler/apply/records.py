"""Between the state store's records and the planner's views of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from reconciler.desired.units import Unit
from reconciler.plan.model import Recorded
from reconciler.state import StateStore, UnitRecord


def recorded_views(
    store: StateStore, records: Iterable[UnitRecord], data_templates: Iterable[str] = ()
) -> dict[str, Recorded]:
    """Planner views of ``records``; a stalled unit carries the fingerprint that failed."""
    data = set(data_templates)
    views = {}
    for record in records:
        stalled = record.condition("Stalled")
        ready = record.condition("Ready")
        failed_fingerprint = None
        failed_version = None
        message = ""
        if stalled is not None and stalled.status:
            message = stalled.message
            last = store.operations(record.id, limit=1)
            if last and last[0].state == "failed":
                result = last[0].result or {}
                failed_fingerprint = str(result.get("fingerprint") or "")
                failed_version = str(result["version"]) if result.get("version") else None
            else:
                failed_fingerprint = ""
        views[record.id] = Recorded(
            id=record.id,
            kind=record.kind,
            stack_name=record.stack_name,
            account=record.account,
            region=record.region,
            template=record.template,
            version=record.version,
            fingerprint=record.fingerprint,
            outputs=dict(record.outputs),
            updated_at=record.updated_at,
            stack_id=record.stack_id,
            stalled_fingerprint=failed_fingerprint,
            stalled_message=message,
            stalled_version=failed_version,
            ready=bool(ready and ready.status),
            # Components are deployed with their data resources kept, always.
            holds_data=record.template in data or record.kind == "component",
        )
    return views


def new_record(unit: Unit, now: object) -> UnitRecord:
    """The first record of a unit the engine is about to create."""
    return UnitRecord(
        id=unit.id,
        kind=unit.kind,
        stack_name=unit.stack_name,
        account=unit.target.id,
        region=unit.target.region,
        template=unit.template,
        version=unit.version.version,
        updated_at=now,  # type: ignore[arg-type]
        team=unit.team,
        depends_on=unit.depends_on,
    )


def applied_record(
    base: UnitRecord,
    unit: Unit | None,
    stack_id: str,
    revision: str,
    fingerprint: str,
    outputs: Mapping[str, str],
    now: datetime,
) -> UnitRecord:
    """``base`` once ``unit``'s stack is applied at ``revision``: the stack, its outputs,
    and the unit's version, template and target (kept as they were without a unit)."""
    record = base.with_stack(stack_id, now).with_applied(revision, fingerprint, outputs, now)
    if unit is None:
        return record
    return replace(
        record,
        version=unit.version.version,
        template=unit.template,
        stack_name=unit.stack_name,
        account=unit.target.id,
        region=unit.target.region,
        team=unit.team,
        depends_on=unit.depends_on,
    )
