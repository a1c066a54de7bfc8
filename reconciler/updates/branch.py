"""The branch of an update pull request: one commit on the tracked head, pushed to the
platform repo's remote, force-pushed only when its content changes.

The commit is made without a working tree (a scratch index, ``git commit-tree``), in the
repository ``serve`` already holds, and pushed with ``--force-with-lease`` on the tip it
read, so a push never overwrites what it did not see. A branch whose tip someone else
committed is left alone (Renovate's rule): the team took it over.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from io import BytesIO

import git
import structlog
from gitdb import IStream

from reconciler.errors import GoldenpathError

log = structlog.get_logger(__name__)
FILE_MODE = "100644"


class PushRejected(GoldenpathError):
    """The remote refused the branch (permissions, a protected branch, a moved tip)."""


class BranchEdited(GoldenpathError):
    """Someone else committed on the update branch: Goldenpath no longer pushes to it."""


@dataclass(frozen=True)
class Author:
    name: str
    email: str


class UpdateBranch:
    """Publishes update branches of one repository to one remote."""

    def __init__(
        self, git_dir: str, remote: str, tracked_branch: str, author: Author, timeout_s: float
    ) -> None:
        self._repo = git.Repo(git_dir)  # its own handle: used from the updates' thread
        self._remote = remote
        self._tracked = tracked_branch
        self._author = author
        self._timeout = timeout_s

    def publish(self, branch: str, base: str, path: str, content: bytes, message: str) -> bool:
        """Make ``branch`` hold ``base`` with ``path`` set to ``content``; True when pushed,
        False when it held that content already."""
        if branch in (self._tracked, f"refs/heads/{self._tracked}"):
            raise PushRejected(f"refusing to push an update to the tracked branch {branch!r}")
        tip = self._remote_tip(branch)
        if tip is not None and self._has(tip):
            commit = self._repo.commit(tip)
            if commit.committer.email != self._author.email:
                raise BranchEdited(
                    f"{branch} has a commit by {commit.committer.email} ({tip[:12]}): "
                    "Goldenpath leaves a branch someone else committed on"
                )
            if self._content(tip, path) == content:
                return False
        new = self._commit(base, path, content, message)
        try:
            self._repo.git.push(
                "--porcelain",
                f"--force-with-lease=refs/heads/{branch}:{tip or ''}",
                self._remote,
                f"{new}:refs/heads/{branch}",
                kill_after_timeout=self._timeout,
            )
        except git.GitCommandError as exc:
            raise PushRejected(f"push of {branch} refused: {_said(exc)}") from exc
        log.info("update_pr.pushed", branch=branch, commit=new, base=base)
        return True

    def _remote_tip(self, branch: str) -> str | None:
        try:
            out = str(
                self._repo.git.ls_remote(
                    self._remote, f"refs/heads/{branch}", kill_after_timeout=self._timeout
                )
            )
        except git.GitCommandError as exc:
            raise PushRejected(f"cannot read {branch} on the remote: {_said(exc)}") from exc
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def _has(self, sha: str) -> bool:
        try:
            self._repo.commit(sha)
        except (ValueError, git.BadName):
            return False
        return True

    def _content(self, commit: str, path: str) -> bytes | None:
        try:
            blob = self._repo.commit(commit).tree / path
        except KeyError:
            return None
        data: bytes = blob.data_stream.read()
        return data

    def _commit(self, base: str, path: str, content: bytes, message: str) -> str:
        stream = IStream("blob", len(content), BytesIO(content))
        blob = self._repo.odb.store(stream).hexsha.decode()
        try:
            mode = f"{(self._repo.commit(base).tree / path).mode:o}"
        except KeyError:
            mode = FILE_MODE
        with tempfile.TemporaryDirectory(prefix="goldenpath-update-") as scratch:
            index = {"GIT_INDEX_FILE": f"{scratch}/index"}
            self._repo.git.read_tree(base, env=index)
            self._repo.git.update_index("--add", "--cacheinfo", f"{mode},{blob},{path}", env=index)
            tree = self._repo.git.write_tree(env=index)
        who = {
            "GIT_AUTHOR_NAME": self._author.name,
            "GIT_AUTHOR_EMAIL": self._author.email,
            "GIT_COMMITTER_NAME": self._author.name,
            "GIT_COMMITTER_EMAIL": self._author.email,
        }
        return str(self._repo.git.commit_tree(tree, "-p", base, "-m", message, env=who))


def _said(exc: git.GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    return " ".join(text.replace("stderr:", "").split())[:300] or str(exc)
