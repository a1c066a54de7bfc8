"""Settings of the cloud edge: where AWS is, which credentials to start from, how patient to be.

Defaults suit real AWS. For the embedded emulator, set ``endpoint_url`` and a dummy
``access_key``; the emulator accepts any key, and short poll intervals make sense there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.cloud.retry import RetryPolicy


@dataclass(frozen=True)
class AccessKey:
    """A static access key pair, used instead of the ambient credential chain."""

    id: str
    secret: str = field(repr=False)  # never printed: settings end up in logs


@dataclass(frozen=True)
class WaitSchedule:
    """How ``Cloud.wait`` polls: at once, then at growing intervals, up to a deadline."""

    first_interval: float = 1.0
    """Seconds between the first and the second poll (the first poll is immediate)."""
    max_interval: float = 10.0
    """Seconds: the interval grows up to this and stays there."""
    growth: float = 1.5
    """Each interval is the previous one times this."""
    timeout: float = 3600.0
    """Seconds: after this, ``wait`` raises WaitTimedOut with the states it last saw."""

    def __post_init__(self) -> None:
        if self.first_interval <= 0 or self.max_interval < self.first_interval:
            raise ValueError(
                "expected 0 < first_interval <= max_interval, "
                f"got {self.first_interval}, {self.max_interval}"
            )
        if self.growth < 1:
            raise ValueError(f"growth must be at least 1, got {self.growth}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")

    def intervals(self) -> WaitIntervals:
        return WaitIntervals(self)


class WaitIntervals:
    """The growing sequence of pauses of one wait."""

    def __init__(self, schedule: WaitSchedule) -> None:
        self._schedule = schedule
        self._next = schedule.first_interval

    def __next__(self) -> float:
        current = self._next
        self._next = min(self._schedule.max_interval, current * self._schedule.growth)
        return current


@dataclass(frozen=True)
class CloudSettings:
    """Everything the AWS implementation of ``Cloud`` needs to know."""

    endpoint_url: str | None = None
    """One endpoint for both STS and CloudFormation (an emulator); None: AWS's own."""
    access_key: AccessKey | None = None
    """Static starting credentials; None: the ambient chain (env, profile, instance role)."""
    profile: str | None = None
    """A named profile of the ambient chain; ignored when ``access_key`` is set."""
    role_session_name: str = "goldenpath"
    """RoleSessionName of every AssumeRole: CloudTrail shows Goldenpath's calls under it."""
    role_session_seconds: int = 3600
    """DurationSeconds asked of AssumeRole (AWS allows 900 up to the role's maximum)."""
    credential_refresh_margin: float = 300.0
    """Seconds before expiry at which cached role credentials are renewed."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Backoff for throttled and unreachable calls (botocore's own retries are off)."""
    connect_timeout: float = 5.0
    """Seconds to open a connection to an endpoint."""
    read_timeout: float = 60.0
    """Seconds to wait for a response once a request is sent."""
    max_pool_connections: int = 32
    """HTTP connections kept per client: at least the engine's workers per account."""
    change_set_poll_interval: float = 0.5
    """Seconds between checks while CloudFormation computes a change set."""
    change_set_timeout: float = 300.0
    """Seconds to wait for a change set before giving up (it is deleted anyway)."""
    wait: WaitSchedule = field(default_factory=WaitSchedule)
    """Polling of ``Cloud.wait``."""
