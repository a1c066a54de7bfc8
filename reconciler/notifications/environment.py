"""Which targets this process can send to: their URLs and secrets come from its environment.

A target whose variable is missing is reported (``serve`` logs an error at start, and
``validate`` a warning at the target's line) and *fails alone*: its events are still
queued, and wait in the outbox for a process that has the variable (this one after a
restart with it set, or another replica); the other targets and the reconciler carry on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import Problem
from reconciler.specs.model import NotificationTarget


@dataclass(frozen=True)
class MissingVariable:
    target: NotificationTarget
    setting: str  # urlFrom | secretFrom
    variable: str

    def __str__(self) -> str:
        return (
            f"notification target {self.target.name!r}: environment variable "
            f"{self.variable} ({self.setting}) is not set; its events wait in the outbox "
            "until a serve with it set sends them"
        )

    def problem(self) -> Problem:
        origin = self.target.origin
        field = f"{origin.field}.{self.setting}" if origin.field else self.setting
        return Problem(origin.file, origin.line, field, str(self), "warning")


def set_variables(environ: Mapping[str, str]) -> frozenset[str]:
    """The names of the variables set (non-empty) in ``environ``."""
    return frozenset(name for name, value in environ.items() if value)


def missing_variables(
    targets: Sequence[NotificationTarget], environ: Mapping[str, str]
) -> list[MissingVariable]:
    found = set_variables(environ)
    missing = []
    for target in targets:
        if target.url_from not in found:
            missing.append(MissingVariable(target, "urlFrom", target.url_from))
        if target.secret_from and target.secret_from not in found:
            missing.append(MissingVariable(target, "secretFrom", target.secret_from))
    return missing
