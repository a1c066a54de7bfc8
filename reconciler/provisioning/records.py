"""The state a Terraform unit moves through, written as one transaction per step.

Written (``written``): a provisioning deployment IN_PROGRESS (DELETE_IN_PROGRESS for a
deletion), a history entry, the unit Reconciling; any older deployment of the unit still
waiting is SUPERSEDED and its history entry CANCELLED. Notified (``notified``): the
deployment and its history entry finish; SUCCEEDED stores the outputs and the applied
fingerprint (the unit is Ready, its dependants render with its outputs), FAILED stalls the
unit until a commit changes its files (a failed operation is journalled with the
fingerprint, as for a stack); a deletion that succeeded forgets the unit. Overdue
(``overdue``): a deployment waiting longer than the notification timeout stalls its unit
with the reason; a late notification is still taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import cast

from reconciler.apply.conditions import Outcome, summarize
from reconciler.desired.units import Unit
from reconciler.state import (
    DeploymentStatus,
    OperationIntent,
    ProvisioningDeployment,
    ProvisioningState,
    StateStore,
    StateTransaction,
    UnitRecord,
)


def record_of(unit: Unit, now: datetime) -> UnitRecord:
    """The first record of a Terraform unit written for the first time."""
    return UnitRecord(
        id=unit.id,
        kind=unit.kind,
        stack_name=unit.stack_name,
        account=unit.target.id,
        region=unit.target.region,
        template=unit.template,
        version=unit.version.version,
        updated_at=now,
        team=unit.team,
    )


def written(
    tx: StateTransaction,
    record: UnitRecord,
    deployment: ProvisioningDeployment,
    outcome: Outcome,
    now: datetime,
) -> ProvisioningDeployment:
    """Record a new write of the unit; returns the deployment with its history id."""
    for older in tx.provisioning_of(record.id):
        if older.waiting and older.id != deployment.id:
            reason = f"superseded by deployment {deployment.id}"
            tx.finish_deployment(older.history_id, "CANCELLED", reason)
            tx.save_provisioning(older.moved_to("SUPERSEDED", reason, now))
    entry = tx.start_deployment(
        record.id,
        deployment.revision,
        deployment.version,
        deleting=deployment.deleting,
        message=outcome.message,
    )
    saved = replace(deployment, history_id=entry.id)
    tx.save_provisioning(saved)
    tx.save_units([summarize(record.with_attempt(deployment.revision, now), outcome, now)])
    return saved


def notified(
    tx: StateTransaction,
    deployment: ProvisioningDeployment,
    succeeded: bool,
    message: str,
    outputs: Mapping[str, str],
    by: tuple[str, str],
    now: datetime,
) -> ProvisioningDeployment:
    """Record the outcome the workflow reported for ``deployment``."""
    record = tx.unit(deployment.unit_id)
    status: ProvisioningState
    if deployment.deleting:
        status = "DELETE_COMPLETE" if succeeded else "DELETE_FAILED"
    else:
        status = "SUCCEEDED" if succeeded else "FAILED"
    text = message or ("terraform applied" if succeeded else "terraform failed")
    tx.finish_deployment(deployment.history_id, cast(DeploymentStatus, status), text, by=by)
    done = deployment.moved_to(status, text, now)
    tx.save_provisioning(done)
    if record is None:
        return done
    if deployment.deleting and succeeded:
        tx.forget_unit(record.id)
        return done
    if succeeded:
        record = replace(record, version=deployment.version).with_applied(
            deployment.revision, deployment.fingerprint, dict(outputs), now
        )
        outcome = Outcome("applied", "Succeeded", f"{text} (deployment {deployment.id})")
    else:
        _journal_failure(tx, record, deployment, "TerraformFailed", text)
        outcome = Outcome("failed", "TerraformFailed", f"{text} (deployment {deployment.id})")
    tx.save_units([summarize(record, outcome, now)])
    return done


def overdue(store: StateStore, timeout_s: float) -> list[ProvisioningDeployment]:
    """Stall the units whose deployment has waited longer than ``timeout_s`` for its
    notification; returns those deployments. Each unit is stalled once per deployment."""
    now = store.now()
    stalled = []
    for deployment in store.provisioning_waiting():
        waited = (now - deployment.created_at).total_seconds()
        if waited <= timeout_s:
            continue
        record = store.unit(deployment.unit_id)
        condition = record.condition("Stalled") if record else None
        if record is None or (condition is not None and condition.status):
            continue
        message = (
            f"no notification for deployment {deployment.id} since "
            f"{deployment.created_at.isoformat(timespec='seconds')} ({_duration(timeout_s)} "
            "allowed): has the provisioning pull request been merged, and did its workflow "
            "run and notify?"
        )
        with store.transaction(f"stalling {record.id}: no notification") as tx:
            _journal_failure(tx, record, deployment, "NotificationTimedOut", message)
            outcome = Outcome("failed", "NotificationTimedOut", message)
            tx.save_units([summarize(record, outcome, now)])
        stalled.append(deployment)
    return stalled


def _journal_failure(
    tx: StateTransaction,
    record: UnitRecord,
    deployment: ProvisioningDeployment,
    reason: str,
    message: str,
) -> None:
    """A failed operation with the fingerprint, so the plan keeps the unit stalled until a
    commit changes its files (as for a stack: ``apply.records.recorded_views``)."""
    intent = OperationIntent(
        record.id,
        "delete" if deployment.deleting else ("update" if record.fingerprint else "create"),
        record.stack_name,
        record.account,
        record.region,
        deployment.revision,
        deployment.fingerprint,
    )
    op = tx.begin_operation(intent)
    result = {
        "fingerprint": deployment.fingerprint,
        "version": deployment.version,
        "reason": reason,
        "message": message,
        "deployment": deployment.id,
    }
    tx.finish_operation(op.id, "failed", result)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
