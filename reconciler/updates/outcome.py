"""What publishing an update pull request did, and the comparisons it is decided by."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UpdateOutcome:
    """What one publish did for one service."""

    service: str
    action: str  # opened | updated | unchanged | declined | merged
    template: str
    moves: Mapping[str, tuple[str, str]]  # unit id → (from, to)
    number: int | None = None
    url: str = ""
    team: str | None = None  # the service's team, asked to review

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "action": self.action,
            "template": self.template,
            "units": {u: {"from": a, "to": b} for u, (a, b) in self.moves.items()},
            "number": self.number,
            "url": self.url,
            "team": self.team,
        }


def moves_digest(moves: Mapping[str, tuple[str, str]]) -> str:
    """What a pull request offers, as a short digest: the same moves, the same digest."""
    text = ";".join(f"{unit}={to}" for unit, (_, to) in sorted(moves.items()))
    return digest(text.encode())[:16]


def newer(targets: Mapping[str, str], declined: Mapping[str, str]) -> bool:
    """True when some unit is offered a newer version than the one declined for it."""
    return any(version_key(v) > version_key(declined.get(u, "0")) for u, v in targets.items())


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10"`` → ``(1, 10)``: versions in their order."""
    return tuple(int(p) for p in version.split("."))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
