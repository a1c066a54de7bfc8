"""Resource changes of a change set, with the ``Replacement`` flag CloudFormation reports.

moto 5.2.5's change sets list Add/Modify/Remove by comparing templates, miss changes that
come only from parameters, and carry no ``Replacement``, ``Scope`` or ``Details``. The
plan needs to show replacements, so this module computes them: a modified resource is
replaced when a *create-only* property changes (the list comes from the provider schemas,
see ``resource_schemas``). A change that reaches a create-only property only through a
replaced resource's new id is ``Conditional``, as in CloudFormation.

Pure: templates and parameter values in, ``ResourceChange`` values out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.resource_schemas import create_only_properties
from emulator.simulated.catalog import CATALOG
from emulator.stacks.dependencies import references

RESOURCE_ATTRIBUTES = (
    "Metadata",
    "DeletionPolicy",
    "UpdatePolicy",
    "UpdateReplacePolicy",
    "CreationPolicy",
)


@dataclass(frozen=True)
class ResourceChange:
    """One entry of DescribeChangeSet's ``Changes`` (the ``ResourceChange`` part)."""

    action: str
    logical_resource_id: str
    resource_type: str
    physical_resource_id: str | None = None
    replacement: str | None = None
    scope: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)


def _create_only(resource_type: str) -> list[tuple[str, ...]]:
    paths = list(create_only_properties(resource_type))
    simulated = CATALOG.get(resource_type)
    if simulated is not None and simulated.name_property:
        paths.append((simulated.name_property,))
    return paths


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _recreation(
    resource_type: str, name: str, old: Mapping[str, Any], new: Mapping[str, Any], literal: bool
) -> str:
    """Always/Conditionally/Never: whether changing property ``name`` replaces the resource."""
    for path in _create_only(resource_type):
        if path[0] != name:
            continue
        if len(path) == 1:
            return "Always"
        if not literal:
            return "Conditionally"
        if _at(old, path[1:]) != _at(new, path[1:]):
            return "Always"
    return "Never"


def _detail(
    attribute: str,
    name: str | None,
    recreation: str,
    evaluation: str,
    source: str,
    causing: str | None = None,
) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": attribute, "RequiresRecreation": recreation}
    if name is not None:
        target["Name"] = name
    detail: dict[str, Any] = {"Target": target, "Evaluation": evaluation, "ChangeSource": source}
    if causing is not None:
        detail["CausingEntity"] = causing
    return detail


def _property_details(
    resource_type: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed_parameters: set[str],
    replaced: set[str],
) -> list[dict[str, Any]]:
    details = []
    for name in dict.fromkeys([*old, *new]):
        attribute = "Tags" if name == "Tags" else "Properties"
        before, after = old.get(name), new.get(name)
        if before != after:
            recreation = _recreation(resource_type, name, old, new, literal=True)
            details.append(_detail(attribute, name, recreation, "Static", "DirectModification"))
            continue
        for reference in references(after):
            if reference in changed_parameters:
                recreation = _recreation(resource_type, name, old, new, literal=False)
                recreation = "Always" if recreation != "Never" else "Never"
                details.append(
                    _detail(attribute, name, recreation, "Static", "ParameterReference", reference)
                )
            elif reference in replaced:
                recreation = _recreation(resource_type, name, old, new, literal=False)
                recreation = "Conditionally" if recreation != "Never" else "Never"
                details.append(
                    _detail(attribute, name, recreation, "Dynamic", "ResourceReference", reference)
                )
    return details


def _replacement(details: list[dict[str, Any]]) -> str:
    recreations = [(d["Evaluation"], d["Target"]["RequiresRecreation"]) for d in details]
    if ("Static", "Always") in recreations:
        return "True"
    if any(recreation != "Never" for _, recreation in recreations):
        return "Conditional"
    return "False"


def _modification(
    logical_id: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed_parameters: set[str],
    replaced: set[str],
    physical_id: str | None,
) -> ResourceChange | None:
    resource_type = str(new.get("Type"))
    if old.get("Type") != new.get("Type"):
        detail = _detail("Properties", None, "Always", "Static", "DirectModification")
        return ResourceChange(
            "Modify", logical_id, resource_type, physical_id, "True", ["Properties"], [detail]
        )
    details = _property_details(
        resource_type,
        old.get("Properties") or {},
        new.get("Properties") or {},
        changed_parameters,
        replaced,
    )
    for attribute in RESOURCE_ATTRIBUTES:
        if old.get(attribute) != new.get(attribute):
            details.append(_detail(attribute, None, "Never", "Static", "DirectModification"))
    if not details:
        return None
    scope = list(dict.fromkeys(d["Target"]["Attribute"] for d in details))
    return ResourceChange(
        "Modify", logical_id, resource_type, physical_id, _replacement(details), scope, details
    )


def resource_changes(
    old_template: Mapping[str, Any],
    new_template: Mapping[str, Any],
    old_parameters: Mapping[str, str],
    new_parameters: Mapping[str, str],
    physical_ids: Mapping[str, str | None],
) -> list[ResourceChange]:
    """The changes that turn a stack's current template and parameters into new ones."""
    old = old_template.get("Resources") or {}
    new = new_template.get("Resources") or {}
    changed = {
        name
        for name in {*old_parameters, *new_parameters}
        if old_parameters.get(name) != new_parameters.get(name)
    }
    adds = [
        ResourceChange("Add", name, str(new[name].get("Type"))) for name in new if name not in old
    ]
    first: dict[str, ResourceChange] = {}
    for name in new:
        if name in old:
            change = _modification(
                name, old[name], new[name], changed, set(), physical_ids.get(name)
            )
            if change is not None:
                first[name] = change
    replaced = {name for name, change in first.items() if change.replacement == "True"}
    modifies = []
    for name in new:
        if name not in old:
            continue
        change = _modification(
            name, old[name], new[name], changed, replaced, physical_ids.get(name)
        )
        if change is not None:
            modifies.append(change)
    removes = [
        ResourceChange("Remove", name, str(old[name].get("Type")), physical_ids.get(name))
        for name in old
        if name not in new
    ]
    return adds + modifies + removes
