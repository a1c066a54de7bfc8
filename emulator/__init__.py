"""The embedded AWS emulator: moto's server plus Goldenpath's compatibility layer.

Two ways to run the same thing::

    emulator.run(host="127.0.0.1", port=4566)          # blocking; goldenpath emulator
    with emulator.start_embedded() as cloud:             # in process, a free loopback port
        boto3.client("cloudformation", endpoint_url=cloud.url, ...)

The layer fixes moto bugs real Proton templates hit (``emulator.fixes``), simulates the
resource types moto cannot deploy (``emulator.simulated``), runs stacks through
CloudFormation's real states with failures and delays on request (``emulator.stacks``,
``emulator.faults``), and serves admin endpoints under ``/_goldenpath/``.

Importing this package is cheap: moto is imported when an emulator starts.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "FIXES",
    "SIMULATED_REASON_PREFIX",
    "EmbeddedEmulator",
    "EmulatorSettings",
    "Fault",
    "FaultError",
    "parse_fault",
    "parse_faults",
    "run",
    "start_embedded",
]

_EXPORTS = {
    "FIXES": "emulator.fixes",
    "SIMULATED_REASON_PREFIX": "emulator.simulated.reason",
    "EmbeddedEmulator": "emulator.server",
    "EmulatorSettings": "emulator.settings",
    "Fault": "emulator.faults",
    "FaultError": "emulator.faults",
    "parse_fault": "emulator.faults",
    "parse_faults": "emulator.faults",
    "run": "emulator.server",
    "start_embedded": "emulator.server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
