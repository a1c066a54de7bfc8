"""Goldenpath's retry policy for cloud calls: exponential backoff with full jitter.

botocore has retries of its own, but they sleep on the real clock, cannot be observed and
multiply with any retry above them. The transport turns them off and runs every call
through ``run_with_retry`` instead, so there is one policy, written down here, and tests
drive it with a fake clock that never sleeps.

Full jitter: before retry ``n`` (0-based) the pause is uniform in
``[0, min(max_delay, base_delay * 2**n)]``. It spreads many workers that were throttled
together, which is what CloudFormation's per-account limits need.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import structlog

from reconciler.cloud.failures import CallSite, Failure, classify, translate

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Clock(Protocol):
    """Time as the cloud edge sees it: injectable so tests never sleep."""

    def now(self) -> float:
        """Seconds since the epoch (wall clock: credential expiry is wall-clock time)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a throttled or unreachable call is tried again."""

    max_attempts: int = 8
    """Tries in total, the first included. 8 tries at the defaults wait at most ~1 min."""
    base_delay: float = 0.5
    """Seconds: the backoff ceiling before the first retry; it doubles with each retry."""
    max_delay: float = 20.0
    """Seconds: the backoff ceiling never grows beyond this."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError(
                f"expected 0 <= base_delay <= max_delay, got {self.base_delay}, {self.max_delay}"
            )

    def ceiling(self, retry: int) -> float:
        """The longest pause before retry number ``retry`` (0 is the first retry)."""
        # Cap the exponent: 2**retry overflows float long before a sane max_attempts.
        return min(self.max_delay, self.base_delay * 2.0 ** min(retry, 62))

    def pause(self, retry: int, rng: random.Random) -> float:
        """A full-jitter pause before retry number ``retry``."""
        return rng.uniform(0.0, self.ceiling(retry))


def run_with_retry(
    call: Callable[[], T],
    site: CallSite,
    policy: RetryPolicy,
    clock: Clock,
    rng: random.Random,
    on_expired_credentials: Callable[[], None],
) -> T:
    """Run ``call``; retry throttling and network failures; translate what remains.

    Expired credentials are refreshed through ``on_expired_credentials`` and retried once
    (within ``max_attempts``): a role session can expire between our expiry check and
    AWS's. Anything that is not a botocore failure propagates untouched.
    """
    refreshed = False
    retry = 0
    while True:
        try:
            return call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            attempts = retry + 1
            if failure is Failure.EXPIRED_CREDENTIALS and not refreshed:
                refreshed = True
                on_expired_credentials()
                if attempts < policy.max_attempts:
                    log.info("cloud.credentials_expired", call=site.describe(), attempt=attempts)
                    retry += 1
                    continue
            retriable = failure in (Failure.THROTTLED, Failure.UNREACHABLE)
            if not retriable or attempts >= policy.max_attempts:
                raise translate(exc, failure, site, attempts, policy.ceiling(retry)) from exc
            delay = policy.pause(retry, rng)
            log.warning(
                "cloud.retry",
                call=site.describe(),
                failure=failure.value,
                attempt=attempts,
                delay=round(delay, 3),
                error=str(exc),
            )
            clock.sleep(delay)
            retry += 1
