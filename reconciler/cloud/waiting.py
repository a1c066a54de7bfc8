"""Waiting for many stacks at once, across targets, without one call per stack.

Each poll describes every target that still has moving stacks once (one DescribeStacks
page per 100 stacks, through ``Cloud.describe``), so a wave of 200 stacks in one account
costs two or three calls per poll, not 200. The first poll is immediate, because
emulators and small stacks are often done already; later polls back off along a
``WaitSchedule`` up to its deadline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection

import structlog

from reconciler.cloud.failures import WaitTimedOut
from reconciler.cloud.model import StackRef, StackState, Target, WaitProgress
from reconciler.cloud.retry import Clock
from reconciler.cloud.settings import WaitSchedule
from reconciler.cloud.status import Phase

log = structlog.get_logger(__name__)

Describe = Callable[[Target, Collection[str]], dict[str, StackState]]
ProgressCallback = Callable[[WaitProgress], None]


def wait_for_stacks(
    describe: Describe,
    stacks: Collection[StackRef],
    schedule: WaitSchedule,
    clock: Clock,
    progress: ProgressCallback | None = None,
) -> dict[StackRef, StackState | None]:
    """Poll until every stack is terminal; return each one's final state (``None``: gone).

    Raises ``WaitTimedOut`` (a ``Waiting`` error that carries the last states seen) when
    stacks are still in progress at the schedule's deadline.
    """
    total = len(set(stacks))
    pending = set(stacks)
    final: dict[StackRef, StackState | None] = {}
    last_seen: dict[StackRef, StackState | None] = {}
    deadline = clock.now() + schedule.timeout
    intervals = schedule.intervals()
    while pending:
        for target, refs in _by_target(pending).items():
            states = describe(target, [ref.name for ref in refs])
            for ref in refs:
                state = states.get(ref.name)
                if state is None or state.phase is not Phase.IN_PROGRESS:
                    final[ref] = state
                    pending.discard(ref)
                if ref not in last_seen or _status(last_seen[ref]) != _status(state):
                    last_seen[ref] = state
                    if progress is not None:
                        progress(WaitProgress(ref, state, len(final), total))
        if not pending:
            break
        pause = next(intervals)
        if clock.now() + pause > deadline:
            still = sorted(str(ref) for ref in pending)
            raise WaitTimedOut(
                f"{len(pending)} of {total} stacks still in progress after "
                f"{schedule.timeout:.0f} s: {', '.join(still[:5])}"
                + (" ..." if len(still) > 5 else ""),
                states={**last_seen, **final},
                delay=schedule.max_interval,
            )
        clock.sleep(pause)
    log.debug("cloud.wait_finished", stacks=total)
    return final


def _by_target(refs: Collection[StackRef]) -> dict[Target, list[StackRef]]:
    grouped: dict[Target, list[StackRef]] = defaultdict(list)
    for ref in sorted(refs, key=str):  # a stable order makes logs and tests readable
        grouped[ref.target].append(ref)
    return grouped


def _status(state: StackState | None) -> str | None:
    return None if state is None else state.status
