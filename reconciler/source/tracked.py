"""The platform repo ``serve`` tracks: a local repository, or a clone of a remote URL.

A remote is mirrored into a local bare repository under the state folder and fetched on
each poll or push: every branch, plus the forges' pull and merge request heads, so that
the head of any change request can be checked out by its commit id.

Replicas on one host that share a working directory share the mirror too (its folder is
named by the URL's hash). A lock file beside it (``flock``) makes them take turns to
prepare and fetch it; a new mirror is made in a folder of its own and renamed into place,
so none is ever seen half made, not even after a crash.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
            mirror.parent.mkdir(parents=True, exist_ok=True)
            with _shared(mirror):
                repo = _mirror_of(location, mirror)
        except (git.GitError, OSError) as exc:
            raise SourceError(f"cannot prepare a mirror of {location} in {mirror}: {exc}") from exc
        tracked = cls(GitSource(repo, ""), branch, True, threading.Lock())
        tracked.fetch()
        return tracked

    def fetch(self) -> None:
        """Bring the remote's branches and change-request heads (no-op for a local repo)."""
        if not self.remote:
            return
        # Another replica may be fetching into the same mirror: git would refuse to
        # update a ref it holds locked.
        with self._lock, _shared(Path(self.source.repo.git_dir)):
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


@contextmanager
def _shared(mirror: Path) -> Iterator[None]:
    """Hold the mirror's lock file (beside it) while preparing or fetching it: the other
    processes of this host wait their turn."""
    with open(mirror.with_name(mirror.name + ".lock"), "a") as lock:  # never truncated
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _mirror_of(location: str, mirror: Path) -> git.Repo:
    """The bare mirror of ``location`` at ``mirror``, made first if there is none.

    Called with the lock held. The new mirror is made beside its place and renamed into
    it, so a crash leaves a stray folder to ignore, never a half-made mirror.
    """
    if not mirror.exists():
        staging = Path(tempfile.mkdtemp(prefix=f"{mirror.name}.new-", dir=mirror.parent))
        try:
            git.Repo.init(staging, bare=True).create_remote("origin", location)
            os.rename(staging, mirror)
        except OSError:
            if not mirror.exists():
                raise
            # Another process made it first without taking the lock: use the winner's.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    try:
        return git.Repo(mirror)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise SourceError(
            f"{mirror} is where the mirror of {location} goes, but it is no git repository: "
            "remove it and start again"
        ) from exc
