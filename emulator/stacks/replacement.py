"""When an update replaces a resource, as CloudFormation decides it.

CloudFormation replaces a resource (creates a new one, then deletes the old one during
``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``) when a create-only property changes, judged on
resolved values: a subnet whose VPC was itself replaced gets a new ``VpcId`` and is
replaced too. moto has no such notion (most of its models cannot be updated at all), so
the lifecycle decides here and creates the new copy itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.resource_schemas import create_only_properties

# An internet gateway attaches to one VPC at a time: the old attachment must go first.
DELETE_BEFORE_CREATE = frozenset({"AWS::EC2::VPCGatewayAttachment"})


class CustomNameReplacement(Exception):
    """A named resource must be replaced under the same name, which AWS refuses."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "CloudFormation cannot update a stack when a custom-named resource requires "
            f"replacing. Rename {name} and update the stack again."
        )


def _at(properties: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = properties
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def changed_create_only(
    resource_type: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[str]:
    """The create-only properties whose resolved value differs, dotted (``Endpoint.Port``)."""
    return [
        ".".join(path)
        for path in create_only_properties(resource_type)
        if _at(before, path) != _at(after, path)
    ]


def check_custom_name(
    name_property: str | None, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    """Refuse replacing a resource whose template fixes a name that stays the same."""
    if not name_property:
        return
    name = after.get(name_property)
    if name and name == before.get(name_property):
        raise CustomNameReplacement(str(name))
