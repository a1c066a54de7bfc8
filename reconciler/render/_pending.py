"""Outputs that are not known yet, rendered as visible placeholders.

A unit renders once the units it depends on have outputs. Before that, the plan still wants
to show the unit, marked "known after apply". ``PendingOutputs`` stands in for the outputs
of a unit that is not applied yet: every key reads as a placeholder such as
``known-after-apply:environment/test.VpcId``. A placeholder is never an empty string, so
nothing pending can pass silently for a real value, and ``pending_values`` finds every
placeholder in a rendered body again.

The placeholder form stays valid in plain, single-quoted and double-quoted YAML scalars: it
contains no ``": "``, no ``" #"``, no quotes and does not start with a YAML indicator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

PLACEHOLDER_PREFIX = "known-after-apply:"
# Unit ids are "kind/name[/name…]" with Proton-style names (letters, digits, "-", "_").
_UNIT_ID = r"[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9][A-Za-z0-9_-]*)+"
_UNIT_ID_PATTERN = re.compile(_UNIT_ID)
_PLACEHOLDER_PATTERN = re.compile(
    re.escape(PLACEHOLDER_PREFIX) + f"({_UNIT_ID})" + r"\.([A-Za-z0-9_*]+)"
)


class Placeholder(str):
    """An output value that is known only after its unit is applied.

    A ``str``, so that templates can use it like any output value; its own type, so that
    Proton's validating filters can let it through.
    """

    __slots__ = ()


class PendingOutputs(Mapping[str, Placeholder]):
    """The outputs of a unit that has not been applied: any key reads as a placeholder.

    It behaves as a mapping holding every key. Iterating it yields one wildcard key,
    ``"*"``, so that filters and loops over the outputs also leave a visible placeholder
    rather than nothing.
    """

    __slots__ = ("_unit_id",)
    WILDCARD = "*"

    def __init__(self, unit_id: str) -> None:
        if not _UNIT_ID_PATTERN.fullmatch(unit_id):
            raise ValueError(
                f"unit id {unit_id!r} is not of the form kind/name, e.g. environment/test"
            )
        self._unit_id = unit_id

    def __getitem__(self, key: str) -> Placeholder:
        return Placeholder(f"{PLACEHOLDER_PREFIX}{self._unit_id}.{key}")

    def __iter__(self) -> Iterator[str]:
        yield self.WILDCARD

    def __len__(self) -> int:
        return 1

    def __contains__(self, key: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PendingOutputs) and other._unit_id == self._unit_id

    def __hash__(self) -> int:
        return hash((PendingOutputs, self._unit_id))

    def __str__(self) -> str:
        # Printed whole, the outputs still leave a visible placeholder.
        return self[self.WILDCARD]

    def __repr__(self) -> str:
        return f"PendingOutputs({self._unit_id!r})"


@dataclass(frozen=True, order=True)
class PendingValue:
    """A placeholder found in a rendered body: which unit, and which of its outputs."""

    unit_id: str
    key: str


def pending_values(body: str) -> tuple[PendingValue, ...]:
    """Every distinct placeholder in ``body``, in the order they first appear."""
    found = dict.fromkeys(
        PendingValue(match.group(1), match.group(2))
        for match in _PLACEHOLDER_PATTERN.finditer(body)
    )
    return tuple(found)
