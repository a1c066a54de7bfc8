"""Deleting a stack's resources: dependents first, retried, failures reported per resource.

Two deletions happen outside moto's own (random-order, silent) loop: ``sweep`` deletes
every live resource of a stack (a stack delete, a create rollback), and ``clean_up``
deletes what an update left behind (replaced copies, removed resources) during
``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``. Both go through the hooked ``_delete_resource``,
so each resource gets its events and delete faults apply.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import structlog

from emulator.stacks.dependencies import deletion_order, resource_dependencies
from emulator.stacks.hooks import Operation, ResourceFailure, error_reason, physical_id, running
from emulator.stacks.ledger import ledger_of, record_resource

log = structlog.get_logger(__name__)

RETAINED_POLICIES = ("Retain", "RetainExceptOnCreate")
# Deleting retries what moto refused (e.g. a dependency it tracks but the template hides).
DELETE_PASSES = 3


def clean_up(stack: Any, operation: Operation) -> None:
    """Delete the copies an update replaced and the resources it removed, dependents first.

    As in CloudFormation, a copy that fails to delete is reported but fails nothing.
    """
    resource_map = stack.resource_map
    leftovers = {leftover.logical_id: leftover for leftover in operation.cleanup}
    templates = {name: leftover.resource_json for name, leftover in leftovers.items()}
    operation.cleaning = True
    with running(operation):
        for logical_id in deletion_order(templates, list(leftovers)):
            leftover = leftovers[logical_id]
            try:
                resource_map._delete_resource(leftover.resource, leftover.resource_json)
            except Exception as exc:
                log.warning("emulator.cleanup_failed", stack_name=stack.name, resource=logical_id)
                record_resource(
                    stack, logical_id, leftover.resource_json["Type"],
                    physical_id(leftover.resource), "DELETE_FAILED", error_reason(exc),
                    remember=False,
                )  # fmt: skip
            if resource_map._parsed_resources.get(logical_id) is leftover.resource:
                resource_map._parsed_resources.pop(logical_id)
    operation.cleaning = False
    operation.cleanup = []


def sweep(stack: Any, operation: Operation, retain: Collection[str]) -> list[str]:
    """Delete a stack's live resources, dependents first; returns the ones that failed."""
    resource_map = stack.resource_map
    templates = resource_map._resource_json_map
    parsed = resource_map._parsed_resources
    ledger = ledger_of(stack)
    known = list(ledger.resources) + [name for name in templates if name not in ledger.resources]
    live = [name for name in known if name in templates and parsed.get(name) is not None]
    failed: list[str] = []
    blocked: set[str] = set()
    errors: dict[str, Exception] = {}
    for _ in range(DELETE_PASSES):
        progress = False
        for logical_id in deletion_order(templates, live):
            if logical_id in blocked or logical_id in failed:
                continue
            resource_json = templates[logical_id]
            if logical_id in retain or resource_json.get("DeletionPolicy") in RETAINED_POLICIES:
                state = ledger.resources.get(logical_id)
                record_resource(
                    stack,
                    logical_id,
                    resource_json["Type"],
                    state.physical_id if state else None,
                    "DELETE_SKIPPED",
                )
                live.remove(logical_id)
                continue
            try:
                resource_map._delete_resource(parsed[logical_id], resource_json)
            except ResourceFailure:
                failed.append(logical_id)
                blocked.update(resource_dependencies(resource_json, templates))
                continue
            except Exception as exc:
                errors[logical_id] = exc
                continue
            parsed.pop(logical_id, None)
            live.remove(logical_id)
            errors.pop(logical_id, None)
            progress = True
        if not errors or not progress:
            break
    for logical_id, error in errors.items():
        operation.fail(
            logical_id, templates[logical_id]["Type"], "DELETE_FAILED", error_reason(error)
        )
        failed.append(logical_id)
    for logical_id, state in ledger.resources.items():
        if state.status == "CREATE_FAILED":
            record_resource(stack, logical_id, state.resource_type, None, "DELETE_COMPLETE")
    return failed
