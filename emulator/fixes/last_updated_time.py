"""Fix ``last-updated-time``: an updated stack says when it was last updated.

CloudFormation's ``DescribeStacks`` and ``ListStacks`` carry ``LastUpdatedTime`` once a
stack has been updated: the moment the latest update began. moto 5.2.5's ``Stack`` has no
such field, so an update is invisible there, and a tool that compares it with its own
record (``goldenpath plan --refresh``: "the stack was changed outside Goldenpath") never
sees an ``UpdateStack`` made by anyone else.

The layer's update operation (``UpdateStack``, and ``ExecuteChangeSet`` of an update)
calls ``mark_updated`` as the update begins; the patch makes moto's own updates (of the
nested and StackSet stacks moto runs itself) do the same. moto's serializer reads the
attribute as ``LastUpdatedTime``; a stack never updated has none, as in AWS.
"""

from __future__ import annotations

from typing import Any

from emulator.fixes import fix_enabled

NAME = "last-updated-time"
# moto's serializer reads a Stack's ``LastUpdatedTime`` from this attribute.
ATTRIBUTE = "last_updated_time"


def mark_updated(stack: Any) -> None:
    """Record that an update of ``stack`` begins now."""
    if not fix_enabled(NAME):
        return
    from moto.core.utils import utcnow

    setattr(stack, ATTRIBUTE, utcnow())


def install() -> None:
    from moto.cloudformation.models import Stack

    stock_update = Stack.update

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        mark_updated(self)
        stock_update(self, *args, **kwargs)

    setattr(Stack, ATTRIBUTE, None)  # never updated: no LastUpdatedTime
    setattr(Stack, "update", update)  # noqa: B010
