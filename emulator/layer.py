"""Installing the compatibility layer into moto, once per process.

Order matters: the fixes patch moto's functions first, then the lifecycle hooks wrap the
fixed functions, then the emulator's own CloudFormation actions replace moto's methods
of the same names on ``CloudFormationResponse``.
"""

from __future__ import annotations

import threading
from typing import Any

from emulator.fixes import install_fixes

NOT_CHECKED = {"StackDriftStatus": "NOT_CHECKED"}

_installed = False
_lock = threading.Lock()


def install() -> None:
    """Make moto behave as the emulator promises (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if _installed:
            return
        install_fixes()
        from moto.cloudformation.models import Stack
        from moto.cloudformation.responses import CloudFormationResponse

        from emulator import drift
        from emulator.stacks import api, change_sets, recovery
        from emulator.stacks.hooks import install_hooks
        from emulator.stacks.ledger import ledger_of

        install_hooks()
        for actions in (api.ACTIONS, change_sets.ACTIONS, drift.ACTIONS, recovery.ACTIONS):
            for name, action in actions.items():
                setattr(CloudFormationResponse, name, action)

        stock_outputs: property = Stack.__dict__["outputs"]

        def outputs(self: Any) -> list[dict[str, Any]] | None:
            # Outputs as captured when the last operation completed (see stacks.outputs);
            # stacks moto runs by itself (nested, StackSet) keep moto's own evaluation.
            ledger = ledger_of(self)
            if not ledger.managed:
                evaluated: list[dict[str, Any]] | None = stock_outputs.fget(self)  # type: ignore[misc]
                return evaluated
            return ledger.outputs

        def drift_information(self: Any) -> dict[str, Any]:
            return ledger_of(self).drift_information or NOT_CHECKED

        setattr(Stack, "outputs", property(outputs))  # noqa: B010
        setattr(Stack, "drift_information", property(drift_information))  # noqa: B010
        _installed = True
