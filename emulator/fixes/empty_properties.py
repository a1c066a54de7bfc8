"""Fix ``resource-without-properties``: such resources count as changed by every update.

moto 5.2.5 adds ``"Properties": {}`` to a resource that has none when it first creates it,
in the stored template itself. ``ResourceMap.build_resource_diff`` then compares that
against the next template, where the resource still has no ``Properties``, and lists it as
modified in every update and change set, though nothing changed.

The patch gives the incoming template's resources the same empty ``Properties`` before
the comparison.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "resource-without-properties"


def install() -> None:
    from moto.cloudformation import parsing

    stock_diff = parsing.ResourceMap.build_resource_diff

    def build_resource_diff(
        self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if fix_enabled(NAME):
            for resource in (other_template.get("Resources") or {}).values():
                if isinstance(resource, dict) and "Properties" not in resource:
                    resource["Properties"] = {}
        return stock_diff(self, other_template, parameters)

    setattr(parsing.ResourceMap, "build_resource_diff", build_resource_diff)  # noqa: B010
