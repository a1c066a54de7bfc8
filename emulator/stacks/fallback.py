"""Simulating a resource moto emulates, when it cannot create it for a simulated one.

A Lambda permission for a SAM function is the case in the corpus: moto models
``AWS::Lambda::Permission``, but its Lambda backend has no such function (the SAM function
is simulated), so moto refuses. Such catalog types (``SimulatedType.fallback``) are then
simulated too, and their reason names the simulated resource they point at.
"""

from __future__ import annotations

from typing import Any

from emulator.simulated.catalog import CATALOG
from emulator.simulated.model import SimulatedResource, simulated_model
from emulator.stacks.dependencies import resource_dependencies


def simulated_stand_in(
    logical_id: str,
    resource_json: dict[str, Any],
    resources_map: Any,
    account_id: str,
    region_name: str,
) -> SimulatedResource | None:
    """A simulated stand-in for a resource moto could not create because it points at a
    simulated resource (see ``SimulatedType.fallback``), or None."""
    from moto.cloudformation import parsing

    kind = CATALOG.get(resource_json["Type"])
    if kind is None or not kind.fallback:
        return None
    parsed = resources_map._parsed_resources
    targets = [
        name
        for name in resource_dependencies(resource_json, resources_map.resources)
        if isinstance(parsed.get(name), SimulatedResource)
    ]
    model = simulated_model(kind.type_name)
    if not targets or model is None:
        return None
    _, cleaned, name = parsing.parse_resource_and_generate_name(
        logical_id, resource_json, resources_map
    )
    stand_in = model.create_from_cloudformation_json(
        name, cleaned, account_id, region_name,
        LogicalId=logical_id, StackId=resources_map.stack_id,
    )  # fmt: skip
    stand_in.simulated_target = targets[0]
    return stand_in
