"""Hooks around moto's per-resource create, update and delete: events, faults, replacement.

moto's engine (``ResourceMap``) creates, updates and deletes resources through three
module-level functions; wrapping them is how the lifecycle sees each resource. While an
``Operation`` is current (a context variable set by the lifecycle), every resource of that
stack gets CloudFormation's events (``CREATE_IN_PROGRESS``, ``CREATE_COMPLETE``, …), its
dependencies are created or updated before it, a matching fault makes it fail, and a moto
error becomes a failed resource with the error as its reason instead of an HTTP 400.

Updates follow CloudFormation: a change to a create-only property creates a new copy
(``replacement``), and the old copies, like resources the new template removes, are only
deleted in the cleanup step after every update succeeded (``Operation.cleanup``). A
rollback puts the old copies back instead of creating third ones.

The first failure of a create or update aborts the operation, as in CloudFormation; a
failed delete lets independent resources go on being deleted.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from emulator.faults import Fault, FaultBook
from emulator.simulated.model import SimulatedResource
from emulator.simulated.reason import simulated_reason
from emulator.stacks.dependencies import resource_dependencies
from emulator.stacks.fallback import simulated_stand_in
from emulator.stacks.ledger import ledger_of, record_resource
from emulator.stacks.replacement import (
    DELETE_BEFORE_CREATE,
    CustomNameReplacement,
    changed_create_only,
    check_custom_name,
)

REPLACEMENT_REASON = (
    "Requested update requires the creation of a new physical resource; hence creating one."
)
CREATION_INITIATED = "Resource creation Initiated"


class ResourceFailure(Exception):
    """A resource failed; the lifecycle turns this into the stack's failure states."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(f"{logical_id}: {reason}")
        self.logical_id = logical_id
        self.reason = reason


class OperationAborted(Exception):
    """An earlier resource failed, so CloudFormation would not start this one."""


def handler_message(message: str) -> str:
    """A failure reason in the words CloudFormation's resource handlers use."""
    token = uuid.uuid4()
    return (
        f'Resource handler returned message: "{message}" '
        f"(RequestToken: {token}, HandlerErrorCode: GeneralServiceException)"
    )


def error_reason(exc: Exception) -> str:
    """The message of a moto error, for a resource's status reason."""
    message = getattr(exc, "message", None) or getattr(exc, "description", None) or str(exc)
    return handler_message(f"{type(exc).__name__}: {message}")


@dataclass
class Leftover:
    """A resource copy to delete in the cleanup step: replaced, or removed by the update."""

    logical_id: str
    resource: Any
    resource_json: dict[str, Any]


@dataclass
class Operation:
    """One stack operation in progress: what it may fail on and what failed so far."""

    stack: Any
    kind: str
    """create, update or delete: which faults apply."""
    book: FaultBook
    failures: tuple[Fault, ...] = ()
    rollback: bool = False
    """True while undoing: faults do not fire and failures do not abort."""
    failed: dict[str, str] = field(default_factory=dict)
    """Logical id → the event status it failed with (CREATE_FAILED, …)."""
    fired: set[str] = field(default_factory=set)
    creating: set[str] = field(default_factory=set)
    deleting: set[str] = field(default_factory=set)
    modifying: set[str] = field(default_factory=set)
    """Resources moto will modify in this update step (updated dependencies first)."""
    updated: set[str] = field(default_factory=set)
    cleanup: list[Leftover] = field(default_factory=list)
    """Replaced and removed copies, deleted after the update succeeded."""
    restorable: dict[str, Leftover] = field(default_factory=dict)
    """During a rollback: the copies the failed update replaced, to put back."""
    cleaning: bool = False
    previous_resources: dict[str, Any] = field(default_factory=dict)
    """The Resources of the template being replaced, to delete old copies as they were."""

    @property
    def aborted(self) -> bool:
        return bool(self.failed) and self.kind != "delete" and not self.rollback

    def pick_fault(self, logical_id: str, resource_type: str) -> Fault | None:
        """The first fault that fails this resource; each fault fires once per operation."""
        if self.rollback:
            return None
        for fault in self.failures:
            if fault.id in self.fired:
                continue
            if fault.targets_resources and not fault.matches_resource(logical_id, resource_type):
                continue
            if self.book.fire(fault):
                self.fired.add(fault.id)
                return fault
        return None

    def unfired_stack_fault(self) -> Fault | None:
        """A fault on the whole stack that found no resource to fail (fires at the end)."""
        if self.rollback or self.fired:
            return None
        for fault in self.failures:
            if not fault.targets_resources and self.book.fire(fault):
                self.fired.add(fault.id)
                return fault
        return None

    def fail(
        self, logical_id: str, resource_type: str, status: str, reason: str
    ) -> ResourceFailure:
        state = ledger_of(self.stack).resources.get(logical_id)
        physical = state.physical_id if state else None
        record_resource(self.stack, logical_id, resource_type, physical, status, reason)
        self.failed[logical_id] = status
        return ResourceFailure(logical_id, reason)

    @property
    def rollback_fails(self) -> bool:
        """A fault that failed this update asks for its rollback to fail as well."""
        return any(f.rollback_fails and f.id in self.fired for f in self.failures)

    def start_rollback(self) -> None:
        """Switch to undoing: the copies this update replaced become restorable."""
        self.rollback = True
        self.restorable = {leftover.logical_id: leftover for leftover in self.cleanup}
        self.cleanup = []
        self.updated = set()
        self.creating = set()


_current: contextvars.ContextVar[Operation | None] = contextvars.ContextVar(
    "goldenpath_operation", default=None
)


@contextmanager
def running(operation: Operation) -> Iterator[Operation]:
    """Make an operation current, so the hooks report to it."""
    token = _current.set(operation)
    try:
        yield operation
    finally:
        _current.reset(token)


def _operation_for(stack_id: str) -> Operation | None:
    operation = _current.get()
    if operation is None or operation.stack.stack_id != stack_id:
        return None
    return operation


def physical_id(resource: Any) -> str | None:
    value = getattr(resource, "physical_resource_id", None)
    return None if value is None else str(value)


def _completion_reason(resource: Any) -> str | None:
    if isinstance(resource, SimulatedResource):
        return simulated_reason(resource.kind.type_name, resource.simulated_target)
    return None


def install_hooks() -> None:
    """Wrap moto's resource functions (after the fixes, which they build on)."""
    from moto.cloudformation import parsing

    stock_create = parsing.parse_and_create_resource
    stock_update = parsing.parse_and_update_resource
    stock_delete = parsing.ResourceMap._delete_resource

    def resolved(resource_json: dict[str, Any], resources_map: Any) -> dict[str, Any]:
        properties = parsing.clean_json(resource_json.get("Properties") or {}, resources_map)
        return properties if isinstance(properties, dict) else {}

    def parse_and_create_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        operation = _operation_for(resources_map.stack_id)
        if operation is None:
            return stock_create(logical_id, resource_json, resources_map, account_id, region_name)
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return None
        if operation.aborted:
            raise OperationAborted(logical_id)
        resource_type = resource_json["Type"]
        if parsing.resource_class_from_type(resource_type) is None:
            # moto drops a type it does not model (only while fix unsupported-types is off).
            return stock_create(logical_id, resource_json, resources_map, account_id, region_name)
        if logical_id in operation.creating:
            raise operation.fail(
                logical_id,
                resource_type,
                "CREATE_FAILED",
                f"Circular dependency between resources: [{logical_id}]",
            )
        operation.creating.add(logical_id)
        for dependency in resource_dependencies(resource_json, resources_map.resources):
            resources_map[dependency]
        restored = operation.restorable.pop(logical_id, None)
        if restored is not None:
            return restored.resource  # a rollback adopts the copy the update kept
        stack = operation.stack
        record_resource(stack, logical_id, resource_type, None, "CREATE_IN_PROGRESS")
        if operation.kind in ("create", "update"):
            fault = operation.pick_fault(logical_id, resource_type)
            if fault is not None:
                raise operation.fail(
                    logical_id, resource_type, "CREATE_FAILED", handler_message(fault.reason)
                )
        properties: dict[str, Any] = {}
        try:
            properties = resolved(resource_json, resources_map)
            resource = stock_create(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        except (ResourceFailure, OperationAborted):
            raise
        except Exception as exc:
            resource = simulated_stand_in(
                logical_id, resource_json, resources_map, account_id, region_name
            )
            if resource is None:
                raise operation.fail(
                    logical_id, resource_type, "CREATE_FAILED", error_reason(exc)
                ) from exc
        ledger_of(stack).properties[logical_id] = properties
        physical = physical_id(resource)
        simulated = isinstance(resource, SimulatedResource)
        record_resource(
            stack, logical_id, resource_type, physical, "CREATE_IN_PROGRESS",
            CREATION_INITIATED, simulated,
        )  # fmt: skip
        record_resource(
            stack, logical_id, resource_type, physical, "CREATE_COMPLETE",
            _completion_reason(resource), simulated,
        )  # fmt: skip
        return resource

    def replace(
        operation: Operation,
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        old = resources_map._parsed_resources.get(logical_id)
        previous_json = operation.previous_resources.get(logical_id) or resource_json
        restored = operation.restorable.pop(logical_id, None)
        if restored is not None:
            operation.cleanup.append(Leftover(logical_id, old, previous_json))
            return restored.resource
        if resource_json["Type"] in DELETE_BEFORE_CREATE:
            stock_delete(resources_map, old, previous_json)
        else:
            operation.cleanup.append(Leftover(logical_id, old, previous_json))
        return stock_create(logical_id, resource_json, resources_map, account_id, region_name)

    def parse_and_update_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        operation = _operation_for(resources_map.stack_id)
        if operation is None:
            return stock_update(logical_id, resource_json, resources_map, account_id, region_name)
        parsed = resources_map._parsed_resources
        if operation.aborted:
            raise OperationAborted(logical_id)
        if logical_id in operation.updated:
            return parsed.get(logical_id)
        operation.updated.add(logical_id)
        for dependency in resource_dependencies(resource_json, resources_map.resources):
            if dependency in operation.modifying and dependency not in operation.updated:
                dependency_json = resources_map._resource_json_map[dependency]
                parsed[dependency] = parse_and_update_resource(
                    dependency, dependency_json, resources_map, account_id, region_name
                )
        resource_type = resource_json["Type"]
        before = parsed.get(logical_id)
        stack = operation.stack
        ledger = ledger_of(stack)
        record_resource(stack, logical_id, resource_type, physical_id(before), "UPDATE_IN_PROGRESS")
        if operation.kind == "update":
            fault = operation.pick_fault(logical_id, resource_type)
            if fault is not None:
                raise operation.fail(
                    logical_id, resource_type, "UPDATE_FAILED", handler_message(fault.reason)
                )
        try:
            properties = resolved(resource_json, resources_map)
            previous = ledger.properties.get(logical_id)
            if (
                not isinstance(before, SimulatedResource)
                and previous is not None
                and changed_create_only(resource_type, previous, properties)
            ):
                check_custom_name(
                    parsing.resource_name_property_from_type(resource_type), previous, properties
                )
                resource = replace(
                    operation, logical_id, resource_json, resources_map, account_id, region_name
                )
            else:
                resource = stock_update(
                    logical_id, resource_json, resources_map, account_id, region_name
                )
        except (ResourceFailure, OperationAborted):
            raise
        except CustomNameReplacement as exc:
            raise operation.fail(logical_id, resource_type, "UPDATE_FAILED", str(exc)) from exc
        except Exception as exc:
            raise operation.fail(
                logical_id, resource_type, "UPDATE_FAILED", error_reason(exc)
            ) from exc
        ledger.properties[logical_id] = properties
        after = physical_id(resource)
        if after != physical_id(before):
            record_resource(
                stack, logical_id, resource_type, after, "UPDATE_IN_PROGRESS", REPLACEMENT_REASON
            )
        record_resource(
            stack, logical_id, resource_type, after, "UPDATE_COMPLETE",
            _completion_reason(resource), isinstance(resource, SimulatedResource),
        )  # fmt: skip
        ledger.drift_marks.pop(logical_id, None)
        return resource

    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        operation = _operation_for(self.stack_id)
        if operation is None:
            stock_delete(self, parsed_resource, resource_json)
            return
        logical_id = parsed_resource.logical_resource_id
        if operation.kind == "update" and not operation.cleaning:
            # CloudFormation removes resources in the cleanup step, after the update.
            operation.cleanup.append(Leftover(logical_id, parsed_resource, resource_json))
            return
        resource_type = resource_json["Type"]
        physical = physical_id(parsed_resource)
        stack = operation.stack
        remember = not operation.cleaning
        if logical_id not in operation.deleting or operation.cleaning:
            operation.deleting.add(logical_id)
            record_resource(
                stack, logical_id, resource_type, physical, "DELETE_IN_PROGRESS", remember=remember
            )
        if operation.kind == "delete":
            fault = operation.pick_fault(logical_id, resource_type)
            if fault is not None:
                raise operation.fail(
                    logical_id, resource_type, "DELETE_FAILED", handler_message(fault.reason)
                )
        stock_delete(self, parsed_resource, resource_json)
        record_resource(
            stack, logical_id, resource_type, physical, "DELETE_COMPLETE", remember=remember
        )

    parsing.parse_and_create_resource = parse_and_create_resource
    parsing.parse_and_update_resource = parse_and_update_resource
    setattr(parsing.ResourceMap, "_delete_resource", _delete_resource)  # noqa: B010
