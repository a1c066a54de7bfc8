"""The errors forge clients raise, and what the caller should do about each.

They hang off Goldenpath's one tree (``reconciler.errors``), so the reconcile loop reads
the retry policy from the class, never from a message:

    GoldenpathError
    ├── SettingsError            a GOLDENPATH_* variable is missing or malformed
    └── ForgeError               talking to GitHub or GitLab failed
        ├── ForgeRejected        the forge refused the request (bad token, no access, a
        │                        field it rejects): the same request will fail again
        └── ForgeUnavailable     network errors, 5xx or rate limits outlasted the retry
                                 budget; also a ``Waiting``: try again after ``delay``

httpx errors are translated in one place, ``reconciler.forges.transport``.
"""

from __future__ import annotations

from reconciler.errors import GoldenpathError, Waiting


class SettingsError(GoldenpathError):
    """A setting is missing or malformed; the message names the variable and the fix."""


class ForgeError(GoldenpathError):
    """A forge API call failed."""


class ForgeRejected(ForgeError):
    """The forge answered 4xx (not a rate limit): fix the request or the credentials."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{method} {path}: {status} {message}")


class ForgeUnavailable(ForgeError, Waiting):
    """The forge could not be reached or kept failing; retry after ``delay`` seconds."""
