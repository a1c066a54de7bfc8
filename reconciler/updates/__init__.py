"""Update pull requests: services on manual minor updates are offered the newest minor
of their major as a pull request on the platform repo (see ``pulls``)."""

from reconciler.updates.branch import Author, BranchEdited, PushRejected, UpdateBranch
from reconciler.updates.outcome import UpdateOutcome
from reconciler.updates.outdated import Outdated, outdated_services
from reconciler.updates.proposals import Proposal, propose
from reconciler.updates.pulls import UpdatePullRequests
from reconciler.updates.rewrite import RewriteRefused, VersionEdit, rewrite_versions
from reconciler.updates.settings import UpdateSettings

__all__ = [
    "Author",
    "BranchEdited",
    "Outdated",
    "Proposal",
    "PushRejected",
    "RewriteRefused",
    "UpdateBranch",
    "UpdateOutcome",
    "UpdatePullRequests",
    "UpdateSettings",
    "VersionEdit",
    "outdated_services",
    "propose",
    "rewrite_versions",
]
