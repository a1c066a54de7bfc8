"""Reporting back to GitHub and GitLab: commit statuses, one PR comment, changed files,
and the update pull requests Goldenpath opens itself.

The reconciler talks to :class:`Forge` in domain words; ``github`` and ``gitlab`` hold
the vendor details behind it, ``transport`` the retry and rate-limit policy, and
``wording`` the sentences Goldenpath writes. Build a client with :func:`open_forge`.
"""

from reconciler.forges.client import ForgeClient
from reconciler.forges.errors import ForgeError, ForgeRejected, ForgeUnavailable, SettingsError
from reconciler.forges.model import (
    DESCRIPTION_LIMIT,
    ChangeRequestDraft,
    ChangeRequestInfo,
    ChangeRequestRef,
    ChangeRequests,
    ChangeRequestState,
    CommentRef,
    CommitStatus,
    Forge,
    StatusState,
)
from reconciler.forges.redaction import RedactSecrets
from reconciler.forges.settings import ForgeSettings, GitHubApp, open_forge
from reconciler.forges.transport import Clock, RetryPolicy, SystemClock

__all__ = [
    "DESCRIPTION_LIMIT",
    "ChangeRequestDraft",
    "ChangeRequestInfo",
    "ChangeRequestRef",
    "ChangeRequestState",
    "ChangeRequests",
    "Clock",
    "CommentRef",
    "CommitStatus",
    "Forge",
    "ForgeClient",
    "ForgeError",
    "ForgeRejected",
    "ForgeSettings",
    "ForgeUnavailable",
    "GitHubApp",
    "RedactSecrets",
    "RetryPolicy",
    "SettingsError",
    "StatusState",
    "SystemClock",
    "open_forge",
]
