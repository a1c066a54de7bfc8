"""What a person's write action leaves for the engine to honour when it next works a unit.

Two actions reach into a deployment the engine owns:

- **cancel**: the deployment in progress is marked CANCELLING (with who asked) before
  CancelUpdateStack is sent. Whoever records the stack's end — the apply polling it, or
  the cancel itself when no live process holds the unit — finds the mark and records
  CANCELLED instead of FAILED; the unit stalls with reason ``Cancelled`` (a cancelled
  update is not tried again by itself: ``goldenpath retry`` or a new commit does).
- **retry**: the unit's stall is cleared (Reconciling, reason ``RetryRequested``) and who
  asked is kept under ``RETRY_REQUESTS`` in the state store, so that the deployment the
  next reconcile starts for the unit carries the requester and ``action: retry``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.apply.conditions import Outcome
from reconciler.state import Deployment, DeploymentStatus, StateStore, UnitRecord

# State-store namespace: unit id → {"actor": who asked, "requested_at": ISO time}.
RETRY_REQUESTS = "retry-requests"
RETRY_REASON = "RetryRequested"
CANCELLED_REASON = "Cancelled"
RETRY_ACTION = "retry"
CANCEL_ACTION = "cancel"
ROLLED_BACK = "UPDATE_ROLLBACK_COMPLETE"


def retry_request(actor: str, now: datetime) -> dict[str, Any]:
    return {"actor": actor, "requested_at": now.isoformat()}


def retried_by(store: StateStore, record: UnitRecord | None) -> tuple[str, str]:
    """(actor, "retry") when a person asked to retry the unit; ("", "") otherwise.

    Only a unit whose Reconciling reason is RetryRequested is looked up, so a deploy that
    nobody asked for costs no read.
    """
    reconciling = record.condition("Reconciling") if record is not None else None
    if record is None or reconciling is None or reconciling.reason != RETRY_REASON:
        return ("", "")
    request = store.cache_get(RETRY_REQUESTS, record.id)
    actor = str(request.get("actor", "")) if isinstance(request, dict) else ""
    return (actor, RETRY_ACTION) if actor else ("", "")


def ended_cancel(
    current: Deployment | None, outcome: Outcome, unit_id: str
) -> tuple[Outcome, DeploymentStatus]:
    """How a failed stack operation is recorded: FAILED, or CANCELLED when a person
    cancelled it (the deployment is CANCELLING) and the stack rolled back."""
    if current is None or current.status != "CANCELLING":
        return outcome, "FAILED"
    who = current.actor or "an operator"
    status = outcome.message.split(":", 1)[0]
    if status != ROLLED_BACK:
        message = (
            f"update cancelled by {who}, but the rollback did not complete: {outcome.message}; "
            f"see `goldenpath continue-update-rollback {unit_id}`"
        )
        return Outcome("failed", "StackFailed", message), "FAILED"
    message = (
        f"update cancelled by {who}: the stack rolled back ({ROLLED_BACK}) and runs its "
        f"previous template; `goldenpath retry {unit_id}` or a new commit tries again"
    )
    return Outcome("failed", CANCELLED_REASON, message), "CANCELLED"
