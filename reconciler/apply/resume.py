"""Pick up what a killed process left in flight, from the journal, without repeating it.

Each journalled operation is checked against CloudFormation:
- the stack is working or done: it is polled and recorded like any other operation;
- a create whose stack does not exist never reached CloudFormation (or was refused): it
  is issued again with the same client token, so it cannot create the stack twice;
- a delete whose stack is gone succeeded;
- anything else disappeared under us and is recorded as failed.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from reconciler.apply.stack_ops import InFlight, StackOps
from reconciler.cloud import StackRef, Target
from reconciler.desired.units import Unit
from reconciler.errors import CloudError, Waiting
from reconciler.state import Operation

log = structlog.get_logger(__name__)


def adopt(
    ops: StackOps,
    operations: list[Operation],
    units: Mapping[str, Unit],
    roles: Mapping[str, str | None],
) -> tuple[list[InFlight], dict[str, Operation]]:
    """In-flight operations to poll, and creates to issue again (by unit id)."""
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
        except (CloudError, Waiting) as exc:
            log.warning("resume.describe_failed", unit=intent.unit_id, error=str(exc))
            continue
        unit = units.get(intent.unit_id)
        record = ops.store.unit(intent.unit_id)
        version = unit.version.version if unit else (record.version if record else "")
        deployment = ops._open_deployment(intent.unit_id, intent.revision, version)
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
        )
        if state is None and intent.action == "create" and unit is not None:
            again[intent.unit_id] = op
        elif state is None and intent.action != "delete":
            ops.finish(flight, None, unit)
        else:
            polling.append(flight)
    return polling, again
