"""Creating a stack whose name may be taken: by our own earlier try, a dead stack, or a stranger.

Stack names are derived from unit ids, so the same repo always maps to the same stacks.
A create therefore meets an existing stack of that name when a response was lost (the
stack is ours and under way), when the state store was lost (ours and settled), or when
an earlier create failed and rolled back (ours and dead: CloudFormation allows only a
delete). Each is recognised by the ``goldenpath:unit`` tag and handled; a stack that
does not carry our unit's tag is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar

import structlog

from reconciler.cloud import Cloud, CloudRejected, StackRef, StackRequest, Target, must_recreate
from reconciler.desired.units import TAG_PREFIX
from reconciler.errors import CloudError

log = structlog.get_logger(__name__)
T = TypeVar("T")
Started = Literal["create", "update"]
UNIT_TAG = f"{TAG_PREFIX}unit"


class Send(Protocol):
    """Sends one cloud call, re-sending it while the cloud asks to wait (``resend``)."""

    def __call__(self, call: Callable[[], T]) -> T: ...


def create_or_adopt(
    cloud: Cloud, target: Target, request: StackRequest, token: str, send: Send
) -> Started:
    """Start creating ``request``'s stack; "update" when ours exists and must be updated."""
    try:
        send(lambda: cloud.create(target, request, token))
        return "create"
    except CloudRejected as exc:
        if exc.code != "AlreadyExistsException":
            raise
    existing = send(lambda: cloud.describe(target, [request.name])).get(request.name)
    if existing is None:  # deleted in between: the name is free now
        send(lambda: cloud.create(target, request, f"{token}-again"))
        return "create"
    owner = existing.tags.get(UNIT_TAG)
    if owner != request.tags.get(UNIT_TAG):
        raise CloudError(
            f"stack {request.name} in {target} already exists and was not made for "
            f"{request.tags.get(UNIT_TAG)} (its {UNIT_TAG} tag is {owner!r}); "
            "delete or rename it, Goldenpath will not take it over"
        )
    if must_recreate(existing.status):
        # A create that failed earlier left a stack that can only be deleted.
        log.info("stack.recreate", stack_name=request.name, status=existing.status)
        send(lambda: cloud.delete(target, request.name, f"{token}-del"))
        cloud.wait([StackRef(target, request.name)])
        send(lambda: cloud.create(target, request, f"{token}-re"))
        return "create"
    if existing.phase.value == "in_progress":
        # Ours and under way (a create whose answer was lost): wait for it like any other.
        log.info("stack.adopted", stack_name=request.name, status=existing.status)
        return "create"
    log.info("stack.update_existing", stack_name=request.name, status=existing.status)
    return "update"
