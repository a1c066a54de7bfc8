"""How update pull requests are made, read from ``GOLDENPATH_UPDATE_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.forges import RetryPolicy, SettingsError

ON_OFF = {"on": True, "off": False}


def _bounded_retry() -> RetryPolicy:
    """Forge calls of update pull requests give up early: the next pass tries again."""
    return RetryPolicy(
        attempts=3,
        max_backoff_s=10.0,
        rate_limit_waits=1,
        max_rate_limit_wait_s=60.0,
        timeout_s=15.0,
    )


@dataclass(frozen=True)
class UpdateSettings:
    enabled: bool = True
    """GOLDENPATH_UPDATE_PRS: ``on`` (default; only with a forge configured) or ``off``."""
    branch_prefix: str = "goldenpath/update/"
    """GOLDENPATH_UPDATE_BRANCH_PREFIX: update branches are ``<prefix><service>``."""
    author_name: str = "Goldenpath"
    """Author and committer of update commits."""
    author_email: str = "goldenpath@localhost"
    """GOLDENPATH_UPDATE_AUTHOR_EMAIL: tells Goldenpath's commits on a branch from others'."""
    retry_after_s: float = 300.0
    """After a forge error or a refused push, the offers are tried again this much later
    (or when the forge says, if later)."""
    consider_budget_s: float = 0.5
    """The reconciler's loop makes proposals for at most this long at a time (then does
    its other work, and comes back)."""
    pass_budget_s: float = 120.0
    """A pass starts no new service after this long; the rest go to the next pass."""
    git_timeout_s: float = 60.0
    """The longest a push or a read of the remote's branches may take."""
    retry: RetryPolicy = field(default_factory=_bounded_retry)
    """Retries of each forge call (short: a pass must not hang on a forge)."""

    def __post_init__(self) -> None:
        prefix = self.branch_prefix
        if not prefix or prefix.startswith(("/", "-", "refs/")) or ".." in prefix or " " in prefix:
            raise SettingsError(
                f"GOLDENPATH_UPDATE_BRANCH_PREFIX: expected a branch prefix such as "
                f"goldenpath/update/, got {prefix!r}"
            )

    def branch(self, service: str) -> str:
        return f"{self.branch_prefix}{service}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> UpdateSettings:
        switch = environ.get("GOLDENPATH_UPDATE_PRS", "on").strip().lower()
        if switch not in ON_OFF:
            raise SettingsError(f"GOLDENPATH_UPDATE_PRS: expected on or off, got {switch!r}")
        return cls(
            enabled=ON_OFF[switch],
            branch_prefix=environ.get("GOLDENPATH_UPDATE_BRANCH_PREFIX", cls.branch_prefix),
            author_email=environ.get("GOLDENPATH_UPDATE_AUTHOR_EMAIL", cls.author_email),
        )
