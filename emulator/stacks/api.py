"""The CloudFormation actions the emulator answers itself instead of moto.

moto dispatches an action (``CreateStack``) to the method of the same snake-case name on
``CloudFormationResponse``. ``install_actions`` puts these functions there, so requests
reach them through moto's own parsing and serialization: the stack operations (create,
update, delete through real states), termination protection, and per-resource
descriptions that carry each resource's own status and the simulated mark.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.utils import generate_stack_id
from moto.core.responses import ActionResult, EmptyResult

from emulator.fixes.noop_updates import submitted_parameters
from emulator.stacks.guards import (
    check_capabilities,
    check_deletable,
    check_parameters,
    check_service_role,
    check_stack_name,
    check_template,
    check_updatable,
    parse_template,
)
from emulator.stacks.ledger import ResourceState, ledger_of
from emulator.stacks.operations import (
    UpdateRequest,
    finish_pending,
    start_create,
    start_delete,
    start_update,
)

ON_FAILURE = ("ROLLBACK", "DELETE", "DO_NOTHING")
NOT_CHECKED = "NOT_CHECKED"


def template_body(response: Any, use_previous: Any = None) -> str:
    """The template a request submits: its body, its S3 URL, or the stack's previous one."""
    if use_previous is not None and response._get_bool_param("UsePreviousTemplate", False):
        return str(use_previous.template)
    body = response._get_param("TemplateBody")
    url = response._get_param("TemplateURL")
    if body and url:
        raise ValidationError(message="Specify exactly one of TemplateBody or TemplateUrl.")
    if url:
        return str(response._get_stack_from_s3_url(url))
    return str(body) if body else ""


def tags_of(response: Any) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in response._get_param("Tags", [])}


def create_stack(self: Any) -> ActionResult:
    backend = self.cloudformation_backend
    name = check_stack_name(self._get_param("StackName"))
    body = template_body(self)
    template = parse_template(body)
    check_template(template)
    parameters = {
        item["ParameterKey"]: item.get("ParameterValue", "")
        for item in self._get_param("Parameters", [])
    }
    check_parameters(template, parameters)
    check_capabilities(template, self._get_param("Capabilities", []))
    check_service_role(self._get_param("RoleARN"), backend.account_id)
    on_failure = self._get_param("OnFailure")
    disable_rollback = self._get_bool_param("DisableRollback", False)
    if on_failure and disable_rollback:
        raise ValidationError(message="You cannot specify both OnFailure and DisableRollback.")
    if on_failure and on_failure not in ON_FAILURE:
        raise ValidationError(message=f"OnFailure must be one of {', '.join(ON_FAILURE)}")
    if any(stack.name == name for stack in backend.stacks.values()):
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    stack = Stack(  # type: ignore[abstract]  # moto instantiates it the same way
        stack_id=generate_stack_id(name, backend.region_name, backend.account_id),
        name=name,
        template=body,
        parameters=parameters,
        account_id=backend.account_id,
        region_name=backend.region_name,
        notification_arns=self._get_param("NotificationARNs", []),
        tags=tags_of(self),
        role_arn=self._get_param("RoleARN"),
        cross_stack_resources=backend.exports,
        enable_termination_protection=self._get_bool_param("EnableTerminationProtection", False),
        timeout_in_mins=self._get_param("TimeoutInMinutes"),
        stack_policy_body=self._get_param("StackPolicyBody"),
    )
    stack.disable_rollback = disable_rollback
    backend.stacks[stack.stack_id] = stack
    start_create(stack, backend, "DO_NOTHING" if disable_rollback else on_failure or "ROLLBACK")
    return ActionResult({"StackId": stack.stack_id})


def update_stack(self: Any) -> ActionResult:
    backend = self.cloudformation_backend
    stack = backend.get_stack(self._get_param("StackName"))
    check_updatable(stack)
    body = template_body(self, use_previous=stack)
    incoming = self._get_param("Parameters", [])
    for item in incoming:
        if item.get("UsePreviousValue") and item.get("ParameterValue"):
            raise ValidationError(
                message=f"Invalid input for parameter key {item['ParameterKey']}. Cannot specify "
                "usePreviousValue as true and non empty value for a parameter"
            )
    template = parse_template(body)
    check_template(template)
    parameters = submitted_parameters(incoming, stack.parameters or {})
    check_parameters(template, parameters)
    check_capabilities(template, self._get_param("Capabilities", []))
    check_service_role(self._get_param("RoleARN"), backend.account_id)
    tags = tags_of(self) or None
    if tags is None or tags == stack.tags:
        self._validate_different_update(incoming, body, stack)  # fix ``noop-update``
    request = UpdateRequest(
        template=body,
        parameters=parameters,
        tags=tags,
        role_arn=self._get_param("RoleARN"),
        disable_rollback=self._get_bool_param("DisableRollback", False),
    )
    start_update(stack, backend, request)
    return ActionResult({"StackId": stack.stack_id})


def delete_stack(self: Any) -> EmptyResult:
    backend = self.cloudformation_backend
    try:
        stack = backend.get_stack(self._get_param("StackName"))
    except ValidationError:
        return EmptyResult()  # CloudFormation accepts deleting a stack that does not exist
    if stack.status in ("DELETE_COMPLETE", "DELETE_IN_PROGRESS"):
        return EmptyResult()
    check_deletable(stack)
    retain = set(self._get_param("RetainResources", []))
    if retain and stack.status != "DELETE_FAILED":
        raise ValidationError(
            message=f"Invalid operation on stack [{stack.stack_id}]. RetainResources can only be "
            "specified when the stack is in the DELETE_FAILED state"
        )
    # An operation held in flight completes before the delete starts.
    finish_pending(stack)
    if stack.status != "DELETE_COMPLETE":
        start_delete(stack, backend, retain)
    return EmptyResult()


def update_termination_protection(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection")
    return ActionResult({"StackId": stack.stack_id})


# ---- resources ----------------------------------------------------------------------------


def _drift_of(stack: Any, state: ResourceState) -> dict[str, Any]:
    checked = ledger_of(stack).resource_drift.get(state.logical_id)
    if checked is None:
        return {"StackResourceDriftStatus": NOT_CHECKED}
    return {"StackResourceDriftStatus": checked[0], "LastCheckTimestamp": checked[1]}


def _described(stack: Any, state: ResourceState, timestamp_key: str) -> dict[str, Any]:
    return {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": state.logical_id,
        "PhysicalResourceId": state.physical_id,
        "ResourceType": state.resource_type,
        timestamp_key: state.timestamp,
        "ResourceStatus": state.status,
        "ResourceStatusReason": state.reason,
        "DriftInformation": _drift_of(stack, state),
    }


def _stack_for_resources(self: Any) -> Any:
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    physical_id = self._get_param("PhysicalResourceId")
    if name:
        return backend.get_stack(name)
    if physical_id:
        for stack in list(backend.stacks.values()):
            for state in ledger_of(stack).resources.values():
                if state.physical_id == physical_id:
                    return stack
        raise ValidationError(message=f"Stack for {physical_id} does not exist")
    raise ValidationError(message="Either StackName or PhysicalResourceId must be specified.")


def describe_stack_resources(self: Any) -> ActionResult:
    stack = _stack_for_resources(self)
    logical_id = self._get_param("LogicalResourceId")
    states = [
        state
        for state in ledger_of(stack).resources.values()
        if logical_id in (None, state.logical_id)
    ]
    return ActionResult(
        {"StackResources": [_described(stack, state, "Timestamp") for state in states]}
    )


def describe_stack_resource(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    logical_id = self._get_param("LogicalResourceId")
    state = ledger_of(stack).resources.get(logical_id)
    if state is None:
        raise ValidationError(
            message=f"Resource {logical_id} does not exist for stack {stack.name}"
        )
    detail = _described(stack, state, "LastUpdatedTimestamp")
    detail["Metadata"] = "{}"
    return ActionResult({"StackResourceDetail": detail})


def list_stack_resources(self: Any) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    summaries = []
    for state in ledger_of(stack).resources.values():
        summary = _described(stack, state, "LastUpdatedTimestamp")
        for key in ("StackName", "StackId"):
            summary.pop(key)
        summaries.append(summary)
    return ActionResult({"StackResourceSummaries": summaries})


ACTIONS = {
    "create_stack": create_stack,
    "update_stack": update_stack,
    "delete_stack": delete_stack,
    "update_termination_protection": update_termination_protection,
    "describe_stack_resources": describe_stack_resources,
    "describe_stack_resource": describe_stack_resource,
    "list_stack_resources": list_stack_resources,
}
