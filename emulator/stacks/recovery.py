"""Getting a stack out of a stuck update: CancelUpdateStack and ContinueUpdateRollback.

moto has neither action. Here they work on the stack lifecycle of ``operations``:

- **CancelUpdateStack** stops an update held ``UPDATE_IN_PROGRESS`` (by a delay fault)
  before its step runs, so nothing of the new template was applied, and rolls back:
  ``UPDATE_ROLLBACK_IN_PROGRESS`` → ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS`` →
  ``UPDATE_ROLLBACK_COMPLETE``. The rollback is held by the update delay faults in force
  when the cancel arrives (a delay with ``count: 1`` is used up by the held update, so
  the rollback then runs at once). Any other status gets AWS's ``ValidationError``:
  "CancelUpdateStack cannot be called from current stack status".
- **ContinueUpdateRollback** resumes a rollback that failed (``UPDATE_ROLLBACK_FAILED``,
  from a ``rollback: fail`` fault). The resources whose rollback failed are
  ``UPDATE_FAILED``; each may be named in ``ResourcesToSkip`` (any other name is refused,
  as AWS refuses it). A skipped resource is marked ``UPDATE_COMPLETE`` and left as the
  failed update made it; the others are put back. While the fault that broke the
  rollback is still in force, a resource that is not skipped fails again.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import EmptyResult

from emulator.faults import FAULTS
from emulator.stacks.ledger import ledger_of, record_resource, set_stack_status
from emulator.stacks.operations import (
    Run,
    block_rollback,
    hold,
    restore_previous,
)

CANNOT_CANCEL = "CancelUpdateStack cannot be called from current stack status"
SKIPPED_REASON = "Resource skipped during ContinueUpdateRollback (ResourcesToSkip)"


def cancel_update_stack(self: Any) -> EmptyResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    ledger = ledger_of(stack)
    run: Run | None = ledger.update
    if stack.status != "UPDATE_IN_PROGRESS" or run is None or ledger.pending is None:
        raise ValidationError(message=CANNOT_CANCEL)
    ledger.pending = None  # the held update step will never run
    set_stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    plan = FAULTS.plan(run.backend.account_id, run.backend.region_name, stack.name, "update")
    cancelled = Run(stack, run.backend, plan, run.operation, run.finished, run.previous)
    hold(cancelled, lambda: _finish_cancel(cancelled))
    return EmptyResult()


def _finish_cancel(run: Run) -> None:
    """Nothing of the new template was applied: the rollback only reports itself."""
    set_stack_status(run.stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    set_stack_status(run.stack, "UPDATE_ROLLBACK_COMPLETE")
    run.finish(False)


def continue_update_rollback(self: Any) -> EmptyResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    ledger = ledger_of(stack)
    run: Run | None = ledger.update
    if stack.status != "UPDATE_ROLLBACK_FAILED" or run is None:
        raise ValidationError(
            message=f"Stack {stack.stack_id} is in {stack.status} state and can not "
            "continue update rollback"
        )
    skip = [str(name) for name in self._get_param("ResourcesToSkip", []) or []]
    unknown = [name for name in skip if name not in ledger.rollback_blockers]
    if unknown:
        failed = ", ".join(ledger.rollback_blockers) or "none"
        raise ValidationError(
            message=f"Resources [{', '.join(unknown)}] cannot be skipped: only resources in "
            f"the UPDATE_FAILED state can be (in stack {stack.name}: {failed})"
        )
    set_stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    plan = FAULTS.plan(run.backend.account_id, run.backend.region_name, stack.name, "update")
    resumed = Run(stack, run.backend, plan, run.operation, None, run.previous)
    hold(resumed, lambda: _continue(resumed, skip))
    return EmptyResult()


def _continue(run: Run, skip: list[str]) -> None:
    stack = run.stack
    ledger = ledger_of(stack)
    remaining = [name for name in ledger.rollback_blockers if name not in skip]
    backend = run.backend
    if remaining and FAULTS.fails_rollback(backend.account_id, backend.region_name, stack.name):
        block_rollback(run, remaining)
        return
    current = stack.template_dict.get("Resources") or {}
    keep = {name: current[name] for name in skip if name in current}
    for name in skip:
        state = ledger.resources.get(name)
        if state is not None:
            record_resource(
                stack, name, state.resource_type, state.physical_id, "UPDATE_COMPLETE",
                SKIPPED_REASON,
            )  # fmt: skip
    if not run.operation.rollback:
        run.operation.start_rollback()
    restore_previous(run, keep)


ACTIONS = {
    "cancel_update_stack": cancel_update_stack,
    "continue_update_rollback": continue_update_rollback,
}
