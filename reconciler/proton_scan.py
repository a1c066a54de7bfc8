"""Find what Proton left in each account: its stacks, their tags, outputs and bodies.

Read-only by construction: it uses only ``Cloud.stacks`` (DescribeStacks) and
``Cloud.template`` (GetTemplate). A stack whose ``proton:*`` tags do not name a unit,
or that is not in a settled state, becomes a per-stack problem and the scan goes on; an
account that cannot be read becomes a per-account problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from reconciler.cloud import Cloud, Target
from reconciler.errors import GoldenpathError
from reconciler.proton_import.accounts import AccountEntry
from reconciler.proton_import.tags import FoundStack, StackProblem, TagError, proton_unit

log = structlog.get_logger(__name__)

PROTON_PREFIX = "AWSProton-"
# Stacks in these states run what their last operation left; anything else is not taken.
_SETTLED = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)

#: ``progress(account, done, total)`` after each stack of an account is read.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scan:
    stacks: tuple[FoundStack, ...]
    problems: tuple[StackProblem, ...]
    bodies: dict[str, str]  # stack id → template body
    unreadable: tuple[tuple[AccountEntry, str], ...]  # accounts that could not be read


def scan(cloud: Cloud, accounts: Sequence[AccountEntry], progress: Progress | None = None) -> Scan:
    stacks: list[FoundStack] = []
    problems: list[StackProblem] = []
    bodies: dict[str, str] = {}
    unreadable: list[tuple[AccountEntry, str]] = []
    for entry in accounts:
        target = Target(entry.id, entry.region, entry.role_arn)
        try:
            live = cloud.stacks(target, PROTON_PREFIX)
        except GoldenpathError as exc:
            unreadable.append((entry, str(exc)))
            log.warning("import.account_unreadable", account=entry.id, error=str(exc))
            continue
        total = len(live)
        for done, (name, state) in enumerate(sorted(live.items()), start=1):
            if progress is not None:
                progress(entry.id, done, total)
            if state.status not in _SETTLED:
                problems.append(
                    StackProblem(
                        entry.id,
                        entry.region,
                        name,
                        f"status {state.status}: only a settled stack "
                        f"({', '.join(sorted(_SETTLED))}) can be taken over",
                    )
                )
                continue
            try:
                unit = proton_unit(state.tags)
            except TagError as exc:
                problems.append(StackProblem(entry.id, entry.region, name, str(exc)))
                continue
            try:
                bodies[state.stack_id] = cloud.template(target, name)
            except GoldenpathError as exc:
                problems.append(
                    StackProblem(entry.id, entry.region, name, f"cannot read its template: {exc}")
                )
                continue
            stacks.append(
                FoundStack(entry.id, entry.region, name, state.stack_id, unit, dict(state.outputs))
            )
    return Scan(tuple(stacks), tuple(problems), bodies, tuple(unreadable))
