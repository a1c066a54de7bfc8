"""The platform repo ``serve`` tracks: a local repository, or a clone of a remote URL.

A remote is mirrored into a local bare repository under the state folder and fetched on
each poll or push: every branch, plus the forges' pull and merge request heads, so that
the head of any change request can be checked out by its commit id.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import git
import structlog

from reconciler.errors import SourceError
from reconciler.source.git import GitSource

if TYPE_CHECKING:
    from reconciler.source.branch_watcher import BranchWatcher

log = structlog.get_logger(__name__)
# What a fetch brings: branches, and the refs GitHub and GitLab keep for change requests.
REFSPECS = (
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/pull/*/head:refs/remotes/origin/pull/*",
    "+refs/merge-requests/*/head:refs/remotes/origin/merge-requests/*",
)


@dataclass
class TrackedRepo:
    """The tracked branch of a platform repo, fetched on demand."""

    source: GitSource
    branch: str
    remote: bool
    _lock: threading.Lock

    @classmethod
    def open(cls, location: str, branch: str, cache: Path) -> TrackedRepo:
        path = Path(location)
        if path.exists():
            return cls(GitSource.open(path), branch, False, threading.Lock())
        mirror = cache / hashlib.sha256(location.encode()).hexdigest()[:16]
        try:
            if mirror.exists():
                repo = git.Repo(mirror)
            else:
                mirror.parent.mkdir(parents=True, exist_ok=True)
                repo = git.Repo.init(mirror, bare=True)
                repo.create_remote("origin", location)
        except git.GitError as exc:
            raise SourceError(f"cannot prepare a mirror of {location}: {exc}") from exc
        tracked = cls(GitSource(repo, ""), branch, True, threading.Lock())
        tracked.fetch()
        return tracked

    def fetch(self) -> None:
        """Bring the remote's branches and change-request heads (no-op for a local repo)."""
        if not self.remote:
            return
        with self._lock:
            try:
                self.source.repo.git.fetch("--prune", "--quiet", "origin", *REFSPECS)
            except git.GitCommandError as exc:
                raise SourceError(f"fetch failed: {exc.stderr.strip()}") from exc

    def watch(self, moved: Callable[[str], None]) -> BranchWatcher | None:
        """Call ``moved`` soon after a commit moves the tracked branch of a local repository
        (None for a remote one: the poll and the webhooks tell of its changes). Its
        refs are in git's common folder, also when the path is a linked worktree."""
        if self.remote:
            return None
        from reconciler.source.branch_watcher import BranchWatcher

        return BranchWatcher(Path(self.source.repo.common_dir), self.branch, moved)

    def head(self) -> str:
        """The commit the tracked branch points at now."""
        ref = f"refs/remotes/origin/{self.branch}" if self.remote else f"refs/heads/{self.branch}"
        return self.source.resolve(ref)

    def has(self, commit: str) -> bool:
        try:
            self.source.repo.commit(commit)
        except (ValueError, git.BadName, git.GitCommandError):
            return False
        return True

    def changed_files(self, base: str, head: str) -> list[str]:
        """Files a change request changes: from the merge base of ``base`` to ``head``."""
        repo = self.source.repo
        try:
            bases = repo.merge_base(base, head)
            since = bases[0].hexsha if bases else base
            names = repo.git.diff("--name-only", "--no-renames", since, head)
        except git.GitCommandError as exc:
            raise SourceError(
                f"cannot compare {base[:12]} and {head[:12]}: {exc.stderr.strip()}"
            ) from exc
        prefix = f"{self.source.prefix}/" if self.source.prefix else ""
        return [n[len(prefix) :] for n in names.splitlines() if n.startswith(prefix)]
