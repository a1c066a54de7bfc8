"""The provisioning repository in git (GitPython): read unit folders, push one change set.

Goldenpath keeps a bare mirror of the provisioning repository in its cache folder. A
change set is one commit on top of the base branch's head, built in a temporary index
(no working tree, nothing checked out), and pushed to the provisioning branch with
force: the branch always holds exactly "base + this change set", so an open pull request
shows what is waiting now, never a pile of earlier attempts. Git's errors are translated
into ``ProvisioningUnavailable`` here, the one place that meets them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import git
import structlog
from gitdb import IStream

from reconciler.errors import ProvisioningUnavailable
from reconciler.provisioning.changes import FolderChange

log = structlog.get_logger(__name__)
ZERO = "0" * 40
FILE_MODE = "100644"


@dataclass(frozen=True)
class Author:
    """Who the change-set commits are by."""

    name: str = "Goldenpath"
    email: str = "goldenpath@localhost"


class ProvisioningRepo:
    """A bare mirror of one provisioning repository, fetched and pushed over ``url``."""

    def __init__(self, repo: git.Repo, url: str, base: str) -> None:
        self.repo = repo
        self.url = url
        self.base = base

    @classmethod
    def open(cls, url: str, base: str, cache: Path) -> ProvisioningRepo:
        """The mirror of ``url`` under ``cache`` (made on first use)."""
        path = cache / ("provisioning-" + hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
        try:
            if path.exists():
                repo = git.Repo(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                repo = git.Repo.init(path, bare=True)
                repo.create_remote("origin", url)
        except (git.GitError, OSError) as exc:
            raise ProvisioningUnavailable(f"provisioning repository mirror {path}: {exc}") from exc
        return cls(repo, url, base)

    def fetch(self) -> str:
        """Fetch the base branch; its head commit."""
        ref = f"refs/remotes/origin/{self.base}"
        try:
            self.repo.git.fetch("origin", f"+refs/heads/{self.base}:{ref}", "--prune")
            return str(self.repo.commit(ref).hexsha)
        except (git.GitCommandError, ValueError, git.BadName) as exc:
            raise ProvisioningUnavailable(
                f"cannot fetch branch {self.base!r} of the provisioning repository {self.url}: "
                f"{_first_line(exc) if isinstance(exc, git.GitCommandError) else exc}",
                delay=30.0,
            ) from exc

    def _branch_head(self, branch: str) -> str | None:
        """The provisioning branch's head on the remote; None when it does not exist."""
        ref = f"refs/remotes/origin/{branch}"
        try:
            self.repo.git.fetch("origin", f"+refs/heads/{branch}:{ref}")
            return str(self.repo.commit(ref).hexsha)
        except (git.GitCommandError, ValueError, git.BadName):
            return None

    def folders(self, commit: str, folders: Iterable[str]) -> dict[str, dict[str, bytes]]:
        """The files under each folder at ``commit``, relative to it ({} when absent)."""
        tree = self.repo.commit(commit).tree
        found: dict[str, dict[str, bytes]] = {}
        for folder in folders:
            try:
                sub = tree / folder
            except KeyError:
                found[folder] = {}
                continue
            files = {}
            for item in sub.traverse():
                if isinstance(item, git.Blob):
                    relative = str(item.path)[len(folder) + 1 :]
                    files[relative] = item.data_stream.read()
            found[folder] = files
        return found

    def push(
        self,
        base_commit: str,
        branch: str,
        changes: Iterable[FolderChange],
        message: str,
        author: Author = Author(),
    ) -> str:
        """One commit on ``base_commit`` with ``changes``, force-pushed to ``branch``."""
        lines = []
        for change in changes:
            for path, data in sorted(change.writes.items()):
                stream = self.repo.odb.store(IStream("blob", len(data), BytesIO(data)))
                lines.append(f"{FILE_MODE} {stream.hexsha.decode()}\t{path}")
            lines.extend(f"0 {ZERO}\t{path}" for path in change.removals)
        identity = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": author.name,
            "GIT_COMMITTER_EMAIL": author.email,
        }
        with tempfile.TemporaryDirectory(prefix="goldenpath-index-") as scratch:
            env = {**os.environ, **identity, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
            info = Path(scratch) / "index-info"
            info.write_bytes(_lines(lines))
            g = self.repo.git
            try:
                g.read_tree(base_commit, env=env)
                with info.open("rb") as stdin:
                    g.update_index("--index-info", istream=stdin, env=env)
                tree = g.write_tree(env=env)
                commit = g.commit_tree(tree, "-p", base_commit, "-m", message, env=env)
            except git.GitCommandError as exc:
                raise ProvisioningUnavailable(f"cannot build the change set: {exc}") from exc
        pushed = self._branch_head(branch)
        if pushed is not None:
            same = self.repo.commit(pushed)
            if same.tree.hexsha == tree and [p.hexsha for p in same.parents] == [base_commit]:
                # The branch holds this very change set already: no push, no PR update.
                log.info("provisioning.unchanged", branch=branch, commit=pushed)
                return pushed
        try:
            g.push("origin", f"+{commit}:refs/heads/{branch}")
        except git.GitCommandError as exc:
            raise ProvisioningUnavailable(
                f"cannot push branch {branch!r} to the provisioning repository {self.url}: "
                f"{_first_line(exc)}",
                delay=30.0,
            ) from exc
        log.info("provisioning.pushed", branch=branch, commit=commit, base=base_commit)
        return str(commit)


def _lines(lines: list[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode()


def _first_line(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    return text.splitlines()[-1] if text else str(exc)


def files_changed(changes: Iterable[FolderChange]) -> Mapping[str, int]:
    """How many files each folder change writes or removes, for logs and the PR body."""
    return {c.folder: len(c.writes) + len(c.removals) for c in changes}
