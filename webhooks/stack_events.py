"""A stack's recent CloudFormation events for the unit page, read within a time bound.

The page must render when CloudFormation is slow or unreachable, so a read runs on a
thread of its own and the page waits at most ``timeout_s`` for it; past that the page
says the cloud did not answer. A late answer is still kept, for the next look.

A short cache (``max_age_s``, keyed by account, region and stack name) spares the cloud a
DescribeStackEvents per page view when several people watch a failing unit. An entry
holds only while the unit's record is unchanged (``stamp``: the engine rewrites the record
when it starts, ends or fails an operation), so a new deployment is never shown with the
events of the one before; failures are not cached. Reads of one stack in flight are
shared, and at most ``max_in_flight`` stacks are read at once, so a dead endpoint cannot
pile up threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import structlog

from reconciler.cloud import Cloud, StackEvent, Target
from reconciler.errors import CloudError, Waiting

log = structlog.get_logger(__name__)

StackKey = tuple[str, str, str]  # account, region, stack name


@dataclass(frozen=True)
class EventsSettings:
    """How the unit page reads stack events."""

    # Newest events shown; DescribeStackEvents pages 100 at a time, so one call.
    limit: int = 50
    # The longest the page waits for CloudFormation.
    timeout_s: float = 3.0
    # Events this young are shown again without a call.
    max_age_s: float = 10.0
    # Stacks read at once; more are refused at once with a message.
    max_in_flight: int = 8


@dataclass(frozen=True)
class EventsReading:
    """Events, newest first, or why there are none; ``age_s``: how old the reading is."""

    events: tuple[StackEvent, ...] = ()
    error: str | None = None
    age_s: float = 0.0


class StackEvents:
    """Reads stack events through ``cloud`` with a deadline and a short cache."""

    def __init__(
        self,
        cloud: Cloud,
        settings: EventsSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cloud = cloud
        self.settings = settings or EventsSettings()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: dict[StackKey, tuple[float, str, tuple[StackEvent, ...]]] = {}
        self._reading: dict[StackKey, Future[tuple[StackEvent, ...]]] = {}

    def read(self, target: Target, stack_name: str, stamp: str = "") -> EventsReading:
        """The stack's newest events; a reading kept under the same ``stamp`` and younger
        than ``max_age_s`` is answered without a call."""
        key = (target.account_id, target.region, stack_name)
        with self._lock:
            now = self._monotonic()
            kept = self._kept.get(key)
            if kept is not None and kept[1] == stamp and now - kept[0] < self.settings.max_age_s:
                return EventsReading(kept[2], age_s=now - kept[0])
            future = self._reading.get(key)
            if future is None:
                if len(self._reading) >= self.settings.max_in_flight:
                    return EventsReading(error=self._busy())
                future = self._start(key, target, stack_name, stamp)
        try:
            events = future.result(timeout=self.settings.timeout_s)
        except FutureTimeout:
            log.warning("web.events_slow", stack_name=stack_name, timeout_s=self.settings.timeout_s)
            return EventsReading(
                error=f"CloudFormation did not answer within {self.settings.timeout_s:g} s "
                f"(DescribeStackEvents of {stack_name} in {target.account_id}/{target.region}); "
                "the events are left out: reload the page to try again"
            )
        except (Waiting, CloudError) as exc:
            return EventsReading(error=f"CloudFormation could not be read: {exc}")
        return EventsReading(events)

    def _start(
        self, key: StackKey, target: Target, stack_name: str, stamp: str
    ) -> Future[tuple[StackEvent, ...]]:
        future: Future[tuple[StackEvent, ...]] = Future()
        self._reading[key] = future

        def run() -> None:
            try:
                events = self.cloud.events(target, stack_name, self.settings.limit)
            except (Waiting, CloudError) as exc:
                log.warning("web.events_failed", stack_name=stack_name, error=str(exc))
                self._done(key)
                future.set_exception(exc)
            except Exception as exc:  # a bug must reach the page as a message, not hang it
                log.error("web.events_crashed", stack_name=stack_name, error=repr(exc))
                self._done(key)
                future.set_exception(CloudError(f"reading the events failed: {exc!r}"))
            else:
                self._done(key, (stamp, events))
                future.set_result(events)

        threading.Thread(target=run, name=f"events-{stack_name}", daemon=True).start()
        return future

    def _done(self, key: StackKey, read: tuple[str, tuple[StackEvent, ...]] | None = None) -> None:
        with self._lock:
            self._reading.pop(key, None)
            now = self._monotonic()
            if read is not None:
                self._kept[key] = (now, *read)
            # Entries past their age are dropped, so the cache holds recent stacks only.
            aged = [k for k, kept in self._kept.items() if now - kept[0] >= self.settings.max_age_s]
            for old in aged:
                del self._kept[old]

    def _busy(self) -> str:
        return (
            f"{self.settings.max_in_flight} stacks' events are being read already "
            "(CloudFormation is slow to answer); reload the page in a moment"
        )
