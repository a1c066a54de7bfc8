"""How a simulated resource is marked, so ``status`` and the demo can say so.

Every event and resource description of a simulated resource carries a status reason
that starts with ``SIMULATED_REASON_PREFIX``; clients test for the prefix.
"""

from __future__ import annotations

from emulator.fixes import MOTO_VERSION

SIMULATED_REASON_PREFIX = "Simulated by the Goldenpath emulator"


def simulated_reason(resource_type: str, simulated_target: str | None = None) -> str:
    """The status reason of a simulated resource of this type.

    ``simulated_target`` names the simulated resource that made moto unable to create
    one of a type it otherwise emulates.
    """
    if simulated_target is not None:
        return (
            f"{SIMULATED_REASON_PREFIX}: moto {MOTO_VERSION} cannot create {resource_type} "
            f"for the simulated {simulated_target}"
        )
    return f"{SIMULATED_REASON_PREFIX}: moto {MOTO_VERSION} does not emulate {resource_type}"
