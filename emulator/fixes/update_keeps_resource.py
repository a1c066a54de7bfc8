"""Fix ``update-keeps-resource``: updates of types moto cannot update.

moto 5.2.5's ``parse_and_update_resource`` returns ``None`` when a model class has no
``update_from_cloudformation_json`` (many EC2 and logs types), and ``ResourceMap.update``
stores that ``None`` as the resource. From then on the resource's ``Ref`` resolves to
nothing, outputs that use it vanish, and a later delete skips it.

The patch keeps the existing resource in that case, as an in-place update would.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "update-keeps-resource"


def install() -> None:
    from moto.cloudformation import parsing

    stock_update = parsing.parse_and_update_resource

    def parse_and_update_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        updated = stock_update(logical_id, resource_json, resources_map, account_id, region_name)
        if updated is None and fix_enabled(NAME):
            # Read the stored instance directly: indexing the map would create it lazily.
            return resources_map._parsed_resources.get(logical_id)
        return updated

    parsing.parse_and_update_resource = parse_and_update_resource
