"""Finding stacks across every account and region, for the admin endpoints.

The CloudFormation API always works inside one account and region (those of the caller's
credentials); the admin API names a stack and lets the account and region default, so it
needs to look everywhere and say clearly when a name is missing or ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.stacks.lock import CLOUDFORMATION_LOCK


class StackLookupError(LookupError):
    """No stack, or more than one, matches what the admin request named."""


@dataclass(frozen=True)
class Located:
    """A stack and the account and region it lives in."""

    account: str
    region: str
    backend: Any
    stack: Any


def every_stack() -> Iterator[Located]:
    """Every live stack of every account and region (a snapshot, safe to iterate)."""
    from moto.cloudformation.models import cloudformation_backends

    with CLOUDFORMATION_LOCK:
        located = [
            Located(account, region, backend, stack)
            for account, region, backend in list(cloudformation_backends.iter_backends())
            for stack in list(getattr(backend, "stacks", {}).values())
        ]
    yield from located


def find_stack(name: str, account: str | None = None, region: str | None = None) -> Located:
    """The one live stack with this name (or id) in the given account and region, if any."""
    matches = [
        entry
        for entry in every_stack()
        if name in (entry.stack.name, entry.stack.stack_id)
        and account in (None, entry.account)
        and region in (None, entry.region)
    ]
    if not matches:
        where = "".join(
            f" {label} {value}"
            for label, value in (("in account", account), ("region", region))
            if value
        )
        raise StackLookupError(f"no stack named {name!r}{where}")
    if len(matches) > 1:
        places = ", ".join(f"{entry.account}/{entry.region}" for entry in matches)
        raise StackLookupError(
            f"stack name {name!r} exists in several places ({places}); give account and region"
        )
    return matches[0]
