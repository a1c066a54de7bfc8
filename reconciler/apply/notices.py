"""The apply's events for notification targets: how each unit's deployment ended.

Called by ``StackOps`` inside the transaction that closes the deployment's history entry,
so the event is queued exactly when the end is recorded (``reconciler.notifications``).
A deployment that ends CANCELLED, or FAILED only for a reason that retries by itself
(throttling, a stack deleted under us), tells no one: only ends a person should hear of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.apply.conditions import Outcome
from reconciler.notifications import events, publish
from reconciler.specs.model import Platform
from reconciler.state import DeploymentStatus, StateTransaction

if TYPE_CHECKING:
    from reconciler.apply.stack_ops import InFlight

# Deployment ends that are news, and the outcomes that make a failure one.
TOLD = ("SUCCEEDED", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED")
FAILURES = ("failed",)


def tell_deployment_end(
    tx: StateTransaction,
    platform: Platform | None,
    flight: InFlight,
    status: DeploymentStatus,
    outcome: Outcome,
) -> None:
    """Queue ``deploy.succeeded`` or ``deploy.failed`` for ``flight``'s end, if news."""
    if platform is None or not platform.notifications or status not in TOLD:
        return
    if status.endswith("FAILED") and outcome.kind not in FAILURES:
        return
    end = events.DeploymentEnd(
        unit=flight.unit_id,
        deployment_id=flight.deployment.id,
        started_at=flight.deployment.started_at,
        action=flight.action,
        status=status,
        revision=flight.revision,
        version=flight.version,
        stack=flight.ref.name,
        account=flight.ref.target.account_id,
        region=flight.ref.target.region,
        reason=outcome.reason,
        message=outcome.message,
    )
    publish(tx, platform, events.deploy_ended(end, tx.now()))
