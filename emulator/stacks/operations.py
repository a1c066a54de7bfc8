"""Stack operations through CloudFormation's real states, with rollback and held steps.

moto creates, updates and deletes a stack in one synchronous call and never fails or
rolls back. Here each operation is a short sequence of steps, each leaving the stack in
the status CloudFormation shows at that point::

    create:  CREATE_IN_PROGRESS ─ok→ CREATE_COMPLETE
                 └─fail→ ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE   (OnFailure=ROLLBACK)
                 └─fail→ CREATE_FAILED                              (DO_NOTHING, DisableRollback)
                 └─fail→ DELETE_IN_PROGRESS → DELETE_COMPLETE       (OnFailure=DELETE)
    update:  UPDATE_IN_PROGRESS ─ok→ UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE
                 └─fail→ UPDATE_ROLLBACK_IN_PROGRESS → … → UPDATE_ROLLBACK_COMPLETE
                 └─fail→ UPDATE_FAILED                              (DisableRollback)
    delete:  DELETE_IN_PROGRESS ─ok→ DELETE_COMPLETE
                 └─fail→ DELETE_FAILED   (a resource failed, or an export is in use)

A delay fault holds the stack in each ``*_IN_PROGRESS`` status for its seconds before the
next step runs (``scheduler``). Resource events come from the hooks (``hooks``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from emulator.faults import FAULTS, FaultPlan
from emulator.fixes.last_updated_time import mark_updated
from emulator.stacks.hooks import (
    Operation,
    OperationAborted,
    ResourceFailure,
    handler_message,
    running,
)
from emulator.stacks.ledger import forget_resource, ledger_of, record_resource, set_stack_status
from emulator.stacks.outputs import exports_in_use, publish, withdraw_exports
from emulator.stacks.removal import clean_up, sweep
from emulator.stacks.scheduler import SCHEDULER

log = structlog.get_logger(__name__)

Finished = Callable[[bool], None]


class StackFailure(Exception):
    """The operation failed as a whole (an export clash, a fault on the stack)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UpdateRequest:
    """The new desired state an update (or an update change set) asks for."""

    template: str
    parameters: dict[str, Any]
    tags: dict[str, str] | None = None
    role_arn: str | None = None
    disable_rollback: bool = False


@dataclass
class Run:
    """One operation of a stack as it runs: its faults, hooks and what to restore."""

    stack: Any
    backend: Any
    plan: FaultPlan
    operation: Operation
    finished: Finished | None = None
    previous: dict[str, Any] = field(default_factory=dict)

    def finish(self, succeeded: bool) -> None:
        if self.finished is not None:
            self.finished(succeeded)


def hold(run: Run, step: Callable[[], None]) -> None:
    """Run a step after the operation's delay, exactly once, recorded as pending."""
    ledger = ledger_of(run.stack)

    def held() -> None:
        if ledger.pending is not held:
            return  # already run by finish_pending
        ledger.pending = None
        try:
            step()
        except Exception as exc:
            log.exception(
                "emulator.step_failed", stack_name=run.stack.name, status=run.stack.status
            )
            failed = run.stack.status.replace("IN_PROGRESS", "FAILED")
            set_stack_status(run.stack, failed, f"Internal emulator error: {exc}")
            run.finish(False)

    ledger.pending = held
    SCHEDULER.after(run.plan.delay_seconds, held)


def finish_pending(stack: Any) -> None:
    """Run the held steps of a stack's operation now, until nothing is held."""
    ledger = ledger_of(stack)
    while ledger.pending is not None:
        ledger.pending()


def _new_run(stack: Any, backend: Any, kind: str, finished: Finished | None) -> Run:
    ledger_of(stack).managed = True
    plan = FAULTS.plan(backend.account_id, backend.region_name, stack.name, kind)
    operation = Operation(stack=stack, kind=kind, book=FAULTS, failures=plan.failures)
    return Run(stack, backend, plan, operation, finished)


def _failed_reason(operation: Operation, verb: str) -> str:
    ids = ", ".join(operation.failed)
    return f"The following resource(s) failed to {verb}: [{ids}]. "


# ---- create -------------------------------------------------------------------------------


def start_create(
    stack: Any, backend: Any, on_failure: str, finished: Finished | None = None
) -> None:
    """Begin creating a registered stack; ``on_failure`` is ROLLBACK, DELETE or DO_NOTHING."""
    run = _new_run(stack, backend, "create", finished)
    set_stack_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
    hold(run, lambda: _create(run, on_failure))


def _create(run: Run, on_failure: str) -> None:
    stack = run.stack
    with running(run.operation):
        try:
            stack.resource_map.create(stack.template_dict)
            fault = run.operation.unfired_stack_fault()
            if fault is not None:
                raise StackFailure(fault.reason)
            problem = publish(stack, run.backend)
            if problem is not None:
                raise StackFailure(problem)
        except StackFailure as failure:
            reason = failure.reason
        except (ResourceFailure, OperationAborted):
            reason = _failed_reason(run.operation, "create")
        else:
            set_stack_status(stack, "CREATE_COMPLETE")
            run.finish(True)
            return
    if on_failure == "DO_NOTHING":
        set_stack_status(stack, "CREATE_FAILED", reason)
        run.finish(False)
    elif on_failure == "DELETE":
        run.operation.rollback = True
        set_stack_status(stack, "DELETE_IN_PROGRESS", _then(reason, "Delete requested by user."))
        hold(run, lambda: _delete(run, retain=(), check_exports=False))
    else:
        set_stack_status(
            stack, "ROLLBACK_IN_PROGRESS", _then(reason, "Rollback requested by user.")
        )
        hold(run, lambda: _rollback_create(run))


def _rollback_create(run: Run) -> None:
    run.operation.start_rollback()
    with running(run.operation):
        failed = sweep(run.stack, run.operation, retain=())
    ledger_of(run.stack).outputs = None
    if failed:
        set_stack_status(run.stack, "ROLLBACK_FAILED", _failed_list("delete", failed))
    else:
        set_stack_status(run.stack, "ROLLBACK_COMPLETE")
    run.finish(False)


def _then(reason: str, next_step: str) -> str:
    """A failure reason followed by what CloudFormation does next, as one sentence pair."""
    reason = reason.rstrip()
    return f"{reason}{'' if reason.endswith('.') else '.'} {next_step}"


def _failed_list(verb: str, ids: Collection[str]) -> str:
    return f"The following resource(s) failed to {verb}: [{', '.join(ids)}]. "


# ---- update -------------------------------------------------------------------------------


def start_update(
    stack: Any, backend: Any, request: UpdateRequest, finished: Finished | None = None
) -> None:
    """Begin updating a stack to a new template, parameters and tags."""
    run = _new_run(stack, backend, "update", finished)
    ledger = ledger_of(stack)
    run.previous = {
        "template": stack.template,
        "parameters": dict(stack.parameters or {}),
        "outputs": ledger.outputs,
    }
    mark_updated(stack)  # fix ``last-updated-time``
    ledger.update = run
    ledger.rollback_blockers = ()
    set_stack_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    hold(run, lambda: _update(run, request))


def _apply_template(
    stack: Any,
    operation: Operation,
    template: Any,
    parameters: dict[str, Any],
    keep: Mapping[str, Any] | None = None,
) -> None:
    """Move the stack's resources to ``template``; ``keep`` holds resource definitions
    that stay as they are (resources a ContinueUpdateRollback skips)."""
    operation.previous_resources = dict(stack.template_dict.get("Resources") or {})
    stack.template = template
    stack._parse_template()
    if keep:
        stack.template_dict.setdefault("Resources", {}).update(keep)
    stack.description = stack.template_dict.get("Description")
    if not parameters:
        # moto keeps the old inputs when given none; CloudFormation falls back to defaults.
        stack.resource_map.input_parameters = {}
    diff = stack.resource_map.build_resource_diff(stack.template_dict, parameters)
    operation.modifying = set(diff["Modify"])
    with warnings.catch_warnings():
        # A rollback removes what failed to create; moto warns about each such resource.
        # (catch_warnings is process-wide: safe here, stack steps run one at a time.)
        warnings.filterwarnings("ignore", message="Unable to delete .* never created")
        stack.resource_map.update(stack.template_dict, parameters)
    stack.resource_map.input_parameters = parameters
    stack.parameters = parameters
    stack.output_map = stack._create_output_map()


def _forget_removed(stack: Any) -> None:
    template_resources = stack.template_dict.get("Resources") or {}
    for logical_id in list(ledger_of(stack).resources):
        if logical_id not in template_resources:
            forget_resource(stack, logical_id)


def _update(run: Run, request: UpdateRequest) -> None:
    stack = run.stack
    with running(run.operation):
        try:
            _apply_template(stack, run.operation, request.template, dict(request.parameters))
            fault = run.operation.unfired_stack_fault()
            if fault is not None:
                raise StackFailure(fault.reason)
            problem = publish(stack, run.backend)
            if problem is not None:
                raise StackFailure(problem)
        except StackFailure as failure:
            reason = failure.reason
        except (ResourceFailure, OperationAborted):
            verbs = set(run.operation.failed.values())
            reason = _failed_reason(
                run.operation, "create" if verbs == {"CREATE_FAILED"} else "update"
            )
        else:
            if request.tags is not None:
                stack.tags = request.tags
            stack.role_arn = request.role_arn or stack.role_arn
            set_stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            clean_up(run.stack, run.operation)
            _forget_removed(stack)
            set_stack_status(stack, "UPDATE_COMPLETE")
            run.finish(True)
            return
    if request.disable_rollback:
        set_stack_status(stack, "UPDATE_FAILED", reason)
        run.finish(False)
        return
    set_stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
    hold(run, lambda: _rollback_update(run))


ROLLBACK_FAULT_REASON = "Rollback failed: an injected fault keeps the resources from being put back"


def _rollback_update(run: Run) -> None:
    if run.operation.rollback_fails:
        block_rollback(run, changed_resources(run))
        run.finish(False)
        return
    run.operation.start_rollback()
    restore_previous(run, keep={})
    run.finish(False)


def changed_resources(run: Run) -> list[str]:
    """Resources of both templates that the update changed, in template order: the ones
    a failed rollback leaves UPDATE_FAILED (a resource the update added has nothing to be
    put back to)."""
    previous = run.operation.previous_resources
    current = run.stack.template_dict.get("Resources") or {}
    return [
        logical_id
        for logical_id, definition in current.items()
        if logical_id in previous
        and previous[logical_id] != definition
        and run.operation.failed.get(logical_id) != "CREATE_FAILED"
    ]


def block_rollback(run: Run, blockers: list[str]) -> None:
    """Leave the stack UPDATE_ROLLBACK_FAILED, its first changed resource UPDATE_FAILED."""
    stack = run.stack
    ledger = ledger_of(stack)
    ledger.rollback_blockers = tuple(blockers[:1])
    for logical_id in ledger.rollback_blockers:
        state = ledger.resources.get(logical_id)
        resource_type = state.resource_type if state else "AWS::CloudFormation::Stack"
        physical = state.physical_id if state else None
        reason = handler_message("Injected fault: the resource cannot be put back")
        record_resource(stack, logical_id, resource_type, physical, "UPDATE_FAILED", reason)
    set_stack_status(stack, "UPDATE_ROLLBACK_FAILED", ROLLBACK_FAULT_REASON)


def restore_previous(run: Run, keep: Mapping[str, Any]) -> bool:
    """Put the template and resources back as before the update (except ``keep``)."""
    stack = run.stack
    never_created = [
        logical_id
        for logical_id, status in run.operation.failed.items()
        if status == "CREATE_FAILED"
    ]
    with running(run.operation):
        try:
            _apply_template(
                stack,
                run.operation,
                run.previous["template"],
                run.previous["parameters"],
                keep=keep,
            )
            publish(stack, run.backend)
        except Exception as exc:
            log.warning("emulator.update_rollback_failed", stack_name=stack.name, error=str(exc))
            set_stack_status(stack, "UPDATE_ROLLBACK_FAILED", f"Rollback failed: {exc}")
            return False
    if keep:
        stack._parse_template()  # the stack's template is the previous one, skipped or not
    for logical_id in never_created:
        state = ledger_of(stack).resources.get(logical_id)
        if state is not None:
            record_resource(stack, logical_id, state.resource_type, None, "DELETE_COMPLETE")
    set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    clean_up(run.stack, run.operation)
    _forget_removed(stack)
    ledger_of(stack).rollback_blockers = ()
    set_stack_status(stack, "UPDATE_ROLLBACK_COMPLETE")
    return True


# ---- delete -------------------------------------------------------------------------------


def start_delete(stack: Any, backend: Any, retain: Collection[str] = ()) -> None:
    """Begin deleting a stack (termination protection is checked by the caller)."""
    run = _new_run(stack, backend, "delete", None)
    set_stack_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
    hold(run, lambda: _delete(run, retain=retain, check_exports=True))


def _delete(run: Run, retain: Collection[str], check_exports: bool) -> None:
    stack = run.stack
    in_use = exports_in_use(stack, run.backend) if check_exports else None
    if in_use is not None:
        set_stack_status(stack, "DELETE_FAILED", in_use)
        run.finish(False)
        return
    with running(run.operation):
        failed = sweep(run.stack, run.operation, retain)
        fault = run.operation.unfired_stack_fault()
    if failed or fault is not None:
        reason = _failed_list("delete", failed) if failed else fault.reason  # type: ignore[union-attr]
        set_stack_status(stack, "DELETE_FAILED", reason)
        run.finish(False)
        return
    withdraw_exports(stack, run.backend)
    ledger = ledger_of(stack)
    ledger.outputs = None
    ledger.exports = {}
    ledger.imports = set()
    set_stack_status(stack, "DELETE_COMPLETE")
    run.backend.stacks.pop(stack.stack_id, None)
    run.backend.deleted_stacks[stack.stack_id] = stack
    run.finish(True)
