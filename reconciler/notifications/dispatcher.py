"""The dispatcher: ``serve``'s thread that delivers the outbox to the targets.

It claims due rows (``Outbox.claim``: never a row another process holds), sends each as
its target's format asks (``formats``), a few at a time so that one slow receiver does not
hold up the others, and records what came of it:

- a 2xx answer: ``delivered``;
- anything else (an error status, a timeout, a refused connection): the row is due again
  after an exponential backoff with jitter, ``base_delay * 2**(attempt-1)`` capped at
  ``max_delay``, of which a random half is taken off (or the receiver's ``Retry-After``
  when it asks for longer); after ``max_attempts`` it is ``dead``, with the last error.

Nothing here runs on the reconciler's thread, and no transaction is held while a request
is in flight, so a slow or dead receiver never holds up a reconcile. Between batches the
thread sleeps until the next row is due, a transaction of this process queues one (the
doorbell), or ``idle_poll`` passes (rows queued by other processes). A stopped dispatcher
gives back the rows it holds; rows of a killed one are claimed again once their claim
expires, and every event queued before a crash is delivered after it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import structlog

from reconciler.errors import StateError
from reconciler.notifications import formats
from reconciler.notifications.environment import set_variables
from reconciler.notifications.outbox import Outbox
from reconciler.notifications.publish import DOORBELL, Doorbell
from reconciler.state import StateStore
from reconciler.state.outbox import QueuedNotice

log = structlog.get_logger(__name__)
# The shortest pause between looks at the outbox, so that a row due but not yet claimable
# (another replica is claiming it at that instant) is not asked about in a tight loop.
MIN_PAUSE_S = 0.05


@dataclass(frozen=True)
class DispatchSettings:
    """How the dispatcher delivers."""

    max_attempts: int = 10
    """Attempts per row, the first included; then it is dead. 10 at the defaults span
    15 to 30 minutes: a receiver down that long still gets the event when it is back."""
    base_delay: float = 5.0
    """Seconds: the backoff before the second attempt; it doubles with each attempt."""
    max_delay: float = 600.0
    """Seconds: the backoff never grows beyond this (nor does a Retry-After we obey)."""
    timeout: float = 10.0
    """Seconds a request may take (connect, send, answer) before it counts as failed."""
    claim_ttl: float = 120.0
    """Seconds a claim holds a row: longer than a batch can take, so that only a dead
    process's rows are taken over."""
    batch: int = 20
    """Rows claimed at a time."""
    workers: int = 4
    """Requests in flight at once."""
    idle_poll: float = 15.0
    """Seconds between looks at the outbox when nothing is due (other processes' rows)."""
    kept: timedelta = timedelta(days=90)
    """How long delivered and dead rows are kept (longer than any ``expiringWithin``)."""
    prune_every: float = 3600.0
    """Seconds between prunes of the rows kept long enough."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch < 1 or self.workers < 1:
            raise ValueError("max_attempts, batch and workers must be at least 1")
        if not 0 < self.base_delay <= self.max_delay:
            raise ValueError("expected 0 < base_delay <= max_delay")
        if self.claim_ttl <= self.timeout:
            raise ValueError("claim_ttl must be longer than timeout")

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Seconds before the next attempt, after ``attempts`` failed ones (≥ 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempts - 1, 62))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


@dataclass(frozen=True)
class Attempt:
    """What one request came to: ``error`` empty when delivered."""

    status: int | None
    error: str = ""
    retry_after: float | None = None


@dataclass
class Dispatcher:
    store: StateStore
    environ: Mapping[str, str]
    holder: str
    http: httpx.Client
    settings: DispatchSettings = field(default_factory=DispatchSettings)
    public_url: str | None = None  # links to unit pages in the messages
    wall: Callable[[], float] = time.time  # signature timestamps
    rng: random.Random = field(default_factory=random.Random)
    doorbell: Doorbell = DOORBELL
    outbox: Outbox = field(init=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.store)
        self.variables = set_variables(self.environ)

    def run(self, stop: threading.Event | None = None) -> None:
        """Deliver until ``stop`` (or ``close``); meant for a thread of its own."""
        stop = stop or self._stop
        next_prune = time.monotonic()
        log.info("notification.dispatcher_started", holder=self.holder)
        while not stop.is_set() and not self._stop.is_set():
            seen = self.doorbell.count
            try:
                # Claiming is a write: only when a row is due (an idle serve writes nothing).
                if self._wait() <= 0:
                    while self.deliver_due() >= self.settings.batch:
                        if stop.is_set() or self._stop.is_set():
                            break
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.settings.prune_every
                    pruned = self.outbox.prune(self.settings.kept)
                    if pruned:
                        log.info("notification.pruned", rows=pruned)
                wait = max(self._wait(), MIN_PAUSE_S)
            except StateError as exc:  # the store is down: try again later, never die
                log.warning("notification.store_unavailable", error=str(exc))
                wait = self.settings.idle_poll
            except Exception:  # one bad row must not stop the notifications
                log.exception("notification.unexpected_error")
                wait = self.settings.idle_poll
            self._sleep(stop, seen, wait)
        self.close()

    def stop(self) -> None:
        """Ask ``run`` to finish: it ends the requests in flight, records them, and gives
        back the rows it still holds."""
        self._stop.set()
        self.doorbell.ring()

    def close(self) -> None:
        """Give back the rows this process holds (``run`` does it as it ends)."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            released = self.outbox.release(self.holder)
        except StateError as exc:
            log.warning("notification.release_failed", error=str(exc))
            return
        if released:
            log.info("notification.released", rows=released)

    def deliver_due(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows it had."""
        ttl = timedelta(seconds=self.settings.claim_ttl)
        claimed = self.outbox.claim(self.holder, ttl, self.settings.batch, self.variables)
        if not claimed:
            return 0
        if len(claimed) == 1 or self.settings.workers == 1:
            for notice in claimed:
                self._deliver(notice)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.workers, "notify")
            list(self._pool.map(self._deliver, claimed))
        return len(claimed)

    def _deliver(self, notice: QueuedNotice) -> None:
        started = time.perf_counter()
        attempt = self.send(notice)
        number = notice.attempts + 1
        said = {"event_id": notice.event_id, "kind": notice.kind, "target": notice.target}
        if not attempt.error:
            if self.outbox.delivered(notice):
                log.info(
                    "notification.delivered",
                    **said,
                    attempt=number,
                    status=attempt.status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
            else:
                log.warning("notification.claim_lost", **said, attempt=number)
            return
        if number >= self.settings.max_attempts:
            self.outbox.failed(notice, attempt.error, None)
            log.error("notification.dead", **said, attempts=number, error=attempt.error)
            return
        retry_in = self.settings.backoff(number, self.rng)
        if attempt.retry_after is not None:
            retry_in = max(retry_in, min(attempt.retry_after, self.settings.max_delay))
        self.outbox.failed(notice, attempt.error, retry_in)
        log.warning(
            "notification.retry",
            **said,
            attempt=number,
            error=attempt.error,
            retry_in_s=round(retry_in, 1),
        )

    def send(self, notice: QueuedNotice) -> Attempt:
        """One request for ``notice`` to its target."""
        url = self.environ.get(notice.url_from, "")
        try:
            request = self._request(notice)
            response = self.http.post(
                url,
                content=request.body,
                headers=dict(request.headers),
                timeout=self.settings.timeout,
            )
        except httpx.HTTPError as exc:
            return Attempt(None, _scrubbed(f"{type(exc).__name__}: {exc}", url, notice.url_from))
        except (KeyError, ValueError) as exc:  # a variable gone, an unknown format
            return Attempt(None, f"cannot build the request: {exc}")
        if 200 <= response.status_code < 300:
            return Attempt(response.status_code)
        said = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        error = f"HTTP {response.status_code}" + (f": {said}" if said else "")
        return Attempt(
            response.status_code,
            _scrubbed(error, url, notice.url_from),
            _retry_after(response.headers.get("retry-after")),
        )

    def _request(self, notice: QueuedNotice) -> formats.Request:
        if notice.format == "slack":
            return formats.slack_request(notice.payload, self.public_url)
        if notice.format == "json":
            if not notice.secret_from:
                raise ValueError(f"target {notice.target!r} has format json but no secretFrom")
            secret = self.environ[notice.secret_from]
            return formats.json_request(notice.payload, secret, int(self.wall()), self.public_url)
        raise ValueError(f"unknown format {notice.format!r}")

    def _wait(self) -> float:
        """Seconds until a row this process can send is due (0: now), at most idle_poll."""
        due = self.outbox.next_due(self.variables)
        if due is None:
            return self.settings.idle_poll
        seconds = (due - self.store.now()).total_seconds()
        return min(self.settings.idle_poll, max(0.0, seconds))

    def _sleep(self, stop: threading.Event, seen: int, wait: float) -> None:
        deadline = time.monotonic() + wait
        while not stop.is_set() and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self.doorbell.wait(seen, min(left, 1.0)) != seen:
                return


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: our own backoff will do


def _scrubbed(text: str, url: str, variable: str) -> str:
    """Never a target's URL in a log or the outbox: it is a secret (Slack's are)."""
    return text.replace(url, f"${variable}") if url else text
