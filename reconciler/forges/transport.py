"""HTTP to a forge API: auth headers, retries with backoff, rate limits, error translation.

Both forge clients send every request through :class:`Transport`, so the policy lives in
one place:

* network errors and 5xx answers are retried with exponential backoff and jitter;
* a rate-limited answer is waited out for as long as the forge says (and, when a normal
  answer reports an empty quota, the next request waits for the reset instead of
  spending a request to learn it);
* other 4xx answers become :class:`ForgeRejected` at once: retrying cannot fix them;
* when the budget is spent, :class:`ForgeUnavailable` carries the delay to retry after.

Time comes from a :class:`Clock`, so tests wait on a fake one. Nothing here logs headers:
tokens travel only in them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import structlog

from reconciler.forges.errors import ForgeRejected, ForgeUnavailable

log = structlog.get_logger(__name__)

SERVER_ERROR = 500
UNAUTHORIZED = 401
CLIENT_ERROR = 400
MESSAGE_LIMIT = 300  # characters of a forge's error message kept in ForgeRejected


class Clock(Protocol):
    """Wall-clock time in epoch seconds (rate-limit resets are epoch times) and sleeping."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's clock."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Credentials(Protocol):
    """Auth headers for a request, and a way to drop a token the forge no longer takes."""

    def headers(self) -> Mapping[str, str]: ...

    def refresh(self) -> bool:
        """Forget cached tokens; True if asking again may give a working one."""
        ...


class RateLimits(Protocol):
    """How one forge says "slow down"."""

    def wait(self, response: httpx.Response, now: float) -> float | None:
        """Seconds to wait if ``response`` refused us for rate limiting, else None."""
        ...

    def resume_at(self, response: httpx.Response) -> float | None:
        """Epoch time before which no request should be sent, if the quota is spent."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a client tries before giving up with ``ForgeUnavailable``."""

    # Tries per request for network errors and 5xx, the first one included.
    attempts: int = 6
    # Wait before the first retry; each later retry waits backoff_factor times longer.
    first_backoff_s: float = 1.0
    backoff_factor: float = 2.0
    # No single backoff is longer than this.
    max_backoff_s: float = 60.0
    # Each backoff is scaled by a random factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.2
    # Rate-limited answers waited out per request before giving up.
    rate_limit_waits: int = 5
    # A rate-limit wait longer than this is not slept: the caller gets ForgeUnavailable.
    max_rate_limit_wait_s: float = 3600.0
    # Per-request network timeout.
    timeout_s: float = 30.0


class UncertainWrite(ForgeUnavailable):
    """A write that must not be replayed failed in a way that leaves unknown whether the
    forge applied it (a 5xx, or a connection lost after sending). Look before retrying."""


def _message(response: httpx.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:MESSAGE_LIMIT]
    if isinstance(document, dict):
        parts = [str(document.get(key)) for key in ("message", "error") if document.get(key)]
        errors = document.get("errors")
        if errors:
            parts.append(str(errors))
        if parts:
            return "; ".join(parts)[:MESSAGE_LIMIT]
    return str(document)[:MESSAGE_LIMIT]


class Transport:
    """Requests to one forge API base URL, with the retry policy of the module docstring."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        limits: RateLimits,
        clock: Clock,
        policy: RetryPolicy,
        http: httpx.Client,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.policy = policy
        self._credentials = credentials
        self._limits = limits
        self._http = http
        self._resume_at = 0.0
        self._random = random.Random()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Mapping[str, str | int] | None = None,
        replay_safe: bool = True,
    ) -> httpx.Response:
        """Send until a 2xx, a final 4xx, or the budget runs out (see the module docstring).

        ``replay_safe=False`` marks a write that must not happen twice (creating a
        comment): an ambiguous failure raises :class:`UncertainWrite` instead of resending.
        """
        failures = 0
        limited = 0
        refreshed = False
        while True:
            self._honour_quota()
            try:
                response = self._send(method, path, json, params)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                failures += 1
                self._fail_or_pause(method, path, type(exc).__name__, failures, replay_safe, sent)
                continue
            self._note_quota(response)
            wait = self._limits.wait(response, self.clock.time())
            if wait is not None:
                limited += 1
                self._wait_out_limit(method, path, response.status_code, wait, limited)
                continue
            status = response.status_code
            if status >= SERVER_ERROR:
                failures += 1
                self._fail_or_pause(method, path, f"HTTP {status}", failures, replay_safe, True)
                continue
            if status == UNAUTHORIZED and not refreshed and self._credentials.refresh():
                refreshed = True  # an expired installation token: one retry with a new one
                continue
            if status >= CLIENT_ERROR:
                raise ForgeRejected(method, path, status, _message(response))
            return response

    def pause(self, failures: int) -> None:
        """Sleep the backoff due after ``failures`` failed tries."""
        self.clock.sleep(self.backoff(failures))

    def backoff(self, failures: int) -> float:
        policy = self.policy
        base = policy.first_backoff_s * policy.backoff_factor ** max(failures - 1, 0)
        spread = 1 + self._random.uniform(-policy.jitter, policy.jitter)
        return min(base, policy.max_backoff_s) * spread

    def _send(
        self,
        method: str,
        path: str,
        json: object,
        params: Mapping[str, str | int] | None,
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": dict(self._credentials.headers())}
        if json is not None:
            kwargs["json"] = json
        if params is not None:
            kwargs["params"] = dict(params)
        return self._http.request(
            method, self.base_url + path, timeout=self.policy.timeout_s, **kwargs
        )

    def _fail_or_pause(
        self, method: str, path: str, reason: str, failures: int, replay_safe: bool, sent: bool
    ) -> None:
        delay = self.backoff(failures)
        if sent and not replay_safe:
            raise UncertainWrite(f"{method} {path}: {reason}; the write may have landed", delay)
        if failures >= self.policy.attempts:
            log.error("forge.gave_up", method=method, path=path, reason=reason, tries=failures)
            raise ForgeUnavailable(f"{method} {path}: {reason} after {failures} tries", delay)
        log.warning(
            "forge.retrying", method=method, path=path, reason=reason, tries=failures, wait=delay
        )
        self.clock.sleep(delay)

    def _wait_out_limit(
        self, method: str, path: str, status: int, wait: float, limited: int
    ) -> None:
        policy = self.policy
        if limited > policy.rate_limit_waits or wait > policy.max_rate_limit_wait_s:
            log.error("forge.rate_limit_outlasted", method=method, path=path, wait=wait)
            raise ForgeUnavailable(f"{method} {path}: rate limited for {wait:.0f} s", wait)
        log.warning("forge.rate_limited", method=method, path=path, status=status, wait=wait)
        self.clock.sleep(wait)

    def _note_quota(self, response: httpx.Response) -> None:
        resume = self._limits.resume_at(response)
        if resume is not None:
            self._resume_at = max(self._resume_at, resume)

    def _honour_quota(self) -> None:
        wait = self._resume_at - self.clock.time()
        if wait > 0:
            if wait > self.policy.max_rate_limit_wait_s:
                raise ForgeUnavailable(f"rate-limit quota spent for {wait:.0f} s", wait)
            log.info("forge.quota_spent", wait=wait)
            self.clock.sleep(wait)


def pages(
    transport: Transport, path: str, page_size: int, max_pages: int
) -> Iterator[dict[str, Any]]:
    """The objects of a paged list endpoint (``per_page``/``page``, as both forges take),
    until a short page; a malformed answer is a :class:`ForgeRejected`."""
    for page in range(1, max_pages + 1):
        response = transport.request("GET", path, params={"per_page": page_size, "page": page})
        items = response.json()
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ForgeRejected("GET", path, response.status_code, "expected a list of objects")
        yield from items
        if len(items) < page_size:
            return


def created_id(response: httpx.Response, method: str, path: str) -> int:
    """The ``id`` of the object a create call returned; a malformed answer is rejected."""
    try:
        document = response.json()
        return int(document["id"])
    except (ValueError, TypeError, KeyError) as exc:
        raise ForgeRejected(method, path, response.status_code, f"no id in answer: {exc}") from exc
