"""Fix ``serialized-requests``: concurrent CloudFormation calls.

moto 5.2.5's CloudFormation backend iterates and mutates plain ``OrderedDict``s (stacks,
exports, change sets) from whatever request thread the server runs, with no lock. Measured
with 200 concurrent ``CreateStack`` calls: ``RuntimeError: OrderedDict mutated during
iteration`` (an HTTP 500) in 3 runs of 9.

The patch runs every CloudFormation request under ``CLOUDFORMATION_LOCK``, the lock the
delayed steps of stack operations take as well.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled
from emulator.stacks.lock import CLOUDFORMATION_LOCK

NAME = "serialized-requests"


def install() -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    stock_call_action = CloudFormationResponse.call_action

    def call_action(self: Any) -> Any:
        if not fix_enabled(NAME):
            return stock_call_action(self)
        with CLOUDFORMATION_LOCK:
            return stock_call_action(self)

    setattr(CloudFormationResponse, "call_action", call_action)  # noqa: B010
