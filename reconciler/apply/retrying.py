"""A throttled or unreachable stack call is sent again, the same call with the same token.

The cloud edge already retries each HTTP request; what reaches the engine as ``Waiting``
has outlasted those tries (or comes from a cloud without them). The engine then waits
once more, with exponential backoff and full jitter, at least as long as the error
suggests, and re-sends the very same call: the same client request token, so that a call
that did land the first time is not made twice. Time comes from an injected clock, so
tests run on a fake one and never sleep.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import structlog

from reconciler.cloud import Clock, RetryPolicy
from reconciler.errors import Waiting

log = structlog.get_logger(__name__)
T = TypeVar("T")


def resend(
    call: Callable[[], T], *, what: str, policy: RetryPolicy, clock: Clock, rng: random.Random
) -> T:
    """``call()``; on ``Waiting``, pause and call again, up to ``policy.max_attempts`` tries."""
    retry = 0
    while True:
        try:
            return call()
        except Waiting as exc:
            if retry + 1 >= policy.max_attempts:
                raise
            pause = max(exc.delay, policy.pause(retry, rng))
            log.warning(
                "apply.resend", call=what, attempt=retry + 1, pause=round(pause, 3), error=str(exc)
            )
            clock.sleep(pause)
            retry += 1
