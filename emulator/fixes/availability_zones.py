"""Fix ``getazs-region-ref``: ``Fn::GetAZs`` of ``{Ref: AWS::Region}``.

moto 5.2.5's ``clean_json`` uses the argument of ``Fn::GetAZs`` as the region without
resolving it, so ``Fn::GetAZs: {Ref: 'AWS::Region'}`` (the form every Proton environment
template uses) yields ``"{'Ref': 'AWS::Region'}a"`` and the subnet that picks it fails. It
also lists a, b, c, d for every region, though moto's EC2 knows fewer zones for some.

The patch resolves the argument (an empty string means the stack's region, as in AWS) and
returns the zones moto's EC2 backend has for that region, in order.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "getazs-region-ref"


def availability_zones(account_id: str, region: str) -> list[str]:
    """The zone names moto's EC2 offers in a region, the way ``Fn::GetAZs`` lists them."""
    from moto.ec2.models import ec2_backends

    zones = ec2_backends[account_id][region].describe_availability_zones()
    return [zone.name for zone in zones if getattr(zone, "zone_type", "") != "local-zone"]


def install() -> None:
    from moto.cloudformation import parsing

    stock_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if fix_enabled(NAME) and isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
            # Resolve through the module attribute, so other patches see nested calls too.
            region = parsing.clean_json(resource_json["Fn::GetAZs"], resources_map)
            if not region:
                region = resources_map["AWS::Region"]
            return availability_zones(resources_map["AWS::AccountId"], str(region))
        return stock_clean_json(resource_json, resources_map)

    parsing.clean_json = clean_json
