"""Change sets whose changes say what is replaced, executed through real stack states.

Creating a change set goes through moto (which stores it) with the emulator's checks in
front and its own list of changes (``emulator.changes``) instead of moto's. Executing one
runs the same create or update operation as ``CreateStack``/``UpdateStack``, so faults,
delays, rollback and events apply alike; the change set's execution status follows the
operation (``EXECUTE_IN_PROGRESS`` → ``EXECUTE_COMPLETE`` or ``EXECUTE_FAILED``).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.core.responses import ActionResult, EmptyResult

from emulator.changes import resource_changes
from emulator.fixes.noop_updates import is_unchanged, resolve_parameters, submitted_parameters
from emulator.stacks.api import tags_of, template_body
from emulator.stacks.guards import (
    InvalidChangeSetStatus,
    check_capabilities,
    check_parameters,
    check_service_role,
    check_template,
    check_updatable,
    parse_template,
)
from emulator.stacks.ledger import ledger_of
from emulator.stacks.operations import UpdateRequest, start_create, start_update

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create "
    "a change set."
)
REVIEW = "REVIEW_IN_PROGRESS"


def _existing(backend: Any, stack_name: str) -> Any | None:
    for stack in list(backend.stacks.values()):
        if stack_name in (stack.name, stack.stack_id):
            return stack
    return None


def create_change_set(self: Any) -> ActionResult:
    backend = self.cloudformation_backend
    stack_name = self._get_param("StackName")
    change_set_name = self._get_param("ChangeSetName")
    change_set_type = self._get_param("ChangeSetType", "UPDATE")
    stack = _existing(backend, stack_name)
    if change_set_type == "UPDATE":
        if stack is None:
            raise ValidationError(message=f"Stack [{stack_name}] does not exist")
        check_updatable(stack)
        body = template_body(self, use_previous=stack)
        previous = dict(stack.parameters or {})
    elif stack is not None and stack.status != REVIEW:
        raise AlreadyExistsException(
            f"Stack [{stack_name}] already exists and cannot be created again with the "
            f"changeSet [{change_set_name}]."
        )
    else:
        body = template_body(self)
        previous = {}
    template = parse_template(body)
    check_template(template)
    incoming = self._get_param("Parameters", [])
    parameters = submitted_parameters(incoming, previous)
    check_parameters(template, parameters)
    check_capabilities(template, self._get_param("Capabilities", []), change_set=True)
    check_service_role(self._get_param("RoleARN"), backend.account_id)
    tags = tags_of(self)
    live = stack if stack is not None and stack.status != REVIEW else None
    current = live.template_dict if live is not None else {}
    changes = resource_changes(
        current,
        template,
        resolve_parameters(current.get("Parameters") or {}, previous),
        resolve_parameters(template.get("Parameters") or {}, parameters),
        {name: state.physical_id for name, state in ledger_of(live).resources.items()}
        if live is not None
        else {},
    )
    change_set_id, stack_id = backend.create_change_set(
        stack_name=stack_name,
        change_set_name=change_set_name,
        template=body,
        parameters=parameters,
        description=self._get_param("Description"),
        # moto would register a second stack for a CREATE change set on a stack in review.
        change_set_type="UPDATE" if stack is not None else change_set_type,
        notification_arns=self._get_param("NotificationARNs", []),
        tags=tags,
        role_arn=self._get_param("RoleARN"),
    )
    change_set = backend.change_sets[change_set_id]
    change_set.change_set_type = change_set_type
    change_set.changes = changes
    unchanged = (
        live is not None and (not tags or tags == live.tags) and is_unchanged(live, body, incoming)
    )
    if unchanged:
        change_set.status = "FAILED"
        change_set.execution_status = "UNAVAILABLE"
        change_set.status_reason = NO_CHANGES
    else:
        change_set.status = "CREATE_COMPLETE"
        change_set.execution_status = "AVAILABLE"
        change_set.status_reason = None
    return ActionResult({"Id": change_set_id, "StackId": stack_id})


def _change_set(backend: Any, name: str, stack_name: str | None) -> Any:
    if name in backend.change_sets:
        return backend.change_sets[name]
    for change_set in list(backend.change_sets.values()):
        if change_set.change_set_name == name and stack_name in (
            None,
            change_set.stack_name,
            change_set.stack_id,
        ):
            return change_set
    raise ValidationError(message=f"ChangeSet [{name}] does not exist")


def execute_change_set(self: Any) -> EmptyResult:
    backend = self.cloudformation_backend
    change_set = _change_set(
        backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution "
            f"status of [{change_set.execution_status}]"
        )
    stack = backend.stacks.get(change_set.stack_id)
    if stack is None:
        raise ValidationError(message=f"Stack [{change_set.stack_name}] does not exist")
    disable_rollback = self._get_bool_param("DisableRollback", False)

    def finished(succeeded: bool) -> None:
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"

    if change_set.change_set_type == "CREATE":
        if stack.status != REVIEW:
            raise ValidationError(message=f"Stack [{stack.name}] already exists")
        stack.template = change_set.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.parameters = dict(change_set.parameters)
        stack.tags = dict(change_set.tags or {})
        stack.cross_stack_resources = backend.exports
        stack.resource_map = stack._create_resource_map()
        stack.output_map = stack._create_output_map()
        stack.disable_rollback = disable_rollback
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        start_create(stack, backend, "DO_NOTHING" if disable_rollback else "ROLLBACK", finished)
        return EmptyResult()
    check_updatable(stack)
    request = UpdateRequest(
        template=change_set.template,
        parameters=dict(change_set.parameters),
        tags=dict(change_set.tags) if change_set.tags else None,
        role_arn=change_set.role_arn,
        disable_rollback=disable_rollback,
    )
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    start_update(stack, backend, request, finished)
    return EmptyResult()


ACTIONS = {
    "create_change_set": create_change_set,
    "execute_change_set": execute_change_set,
}
