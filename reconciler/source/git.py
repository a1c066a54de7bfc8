"""The platform repo in git (GitPython): files at a revision, and template history.

The platform repo may be a whole git repository or a folder inside one (a monorepo);
paths handed to the core are always relative to the platform repo's root. GitPython's
errors are translated into ``SourceError`` here, the one place that meets them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import git
import structlog

from reconciler.errors import SourceError
from reconciler.source.snapshot import Snapshot
from reconciler.templates.model import TemplateKind, TemplateVersion
from reconciler.templates.versions import CommitTrees, MajorKey, VersionIndex, cut_back, extend

log = structlog.get_logger(__name__)
TEMPLATES = "templates"
Folder = tuple[tuple[str, bytes], ...]  # a git tree's files, by path relative to it
# Folders and files kept from earlier revisions, as a multiple of those the last used.
FOLDERS_KEPT = 3
# The template majors of this many distinct templates/ trees are kept for history walks
# (a long-lived repo has one per template change; a walk reads each once).
MAJORS_KEPT = 4096
T = TypeVar("T")
_MAJOR = re.compile(r"^v([0-9]+)$")
_COMMIT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


class GitSource:
    """A platform repo inside a git repository on disk."""

    def __init__(self, repo: git.Repo, prefix: str) -> None:
        self.repo = repo
        self.prefix = prefix  # "" or "folder/of/platform/repo"
        self._majors_by_tree: dict[str, dict[MajorKey, tuple[str, TemplateKind]]] = {}
        # The files of each folder of the last revision read, by git tree id: an unchanged
        # folder is not read again (a long-running process reads a revision per change).
        self._folders: dict[str, Folder] = {}
        self._blobs: dict[str, bytes] = {}

    @classmethod
    def open(cls, path: Path) -> GitSource:
        try:
            repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise SourceError(f"{path} is not inside a git repository") from exc
        if repo.working_tree_dir is None:
            return cls(repo, "")
        root = Path(repo.working_tree_dir).resolve()
        prefix = path.resolve().relative_to(root).as_posix()
        return cls(repo, "" if prefix == "." else prefix)

    def resolve(self, ref: str) -> str:
        try:
            return str(self.repo.commit(ref).hexsha)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise SourceError(f"no revision {ref!r} in {self.repo.git_dir}") from exc

    def files(self, commit: str) -> dict[str, bytes]:
        """Every file of the platform repo at ``commit``, by repo-relative path."""
        tree = self._tree(commit)
        if tree is None:
            return {}
        used = _Read()
        files = dict(self._folder(tree, used))
        # Kept: what this revision used, and older folders and files while they are few.
        self._folders = _kept(self._folders, used.folders)
        self._blobs = _kept(self._blobs, used.blobs)
        return files

    def _folder(self, tree: Any, used: _Read) -> Folder:
        """A tree's files, by path relative to it: kept by tree id, read only when new."""
        found = self._folders.get(tree.hexsha) or used.folders.get(tree.hexsha)
        if found is None:
            entries: list[tuple[str, bytes]] = []
            for item in tree:
                if item.type == "blob":
                    entries.append((item.name, self._blob(item, used)))
                elif item.type == "tree":
                    entries.extend((f"{item.name}/{p}", d) for p, d in self._folder(item, used))
            found = tuple(entries)
        used.folders[tree.hexsha] = found
        return found

    def _blob(self, blob: Any, used: _Read) -> bytes:
        """A file's bytes, kept by blob id: a changed folder's unchanged files are not read."""
        data = self._blobs.get(blob.hexsha) or used.blobs.get(blob.hexsha)
        if data is None:
            data = bytes(blob.data_stream.read())
        used.blobs[blob.hexsha] = data
        return data

    def trees(self, commits: Iterable[str]) -> list[CommitTrees]:
        """The template majors of each commit (the one place history reads trees)."""
        return [CommitTrees(sha, self._majors_at(sha)) for sha in commits]

    def versions(
        self, head: str, cached: Mapping[str, VersionIndex] | VersionIndex | None = None
    ) -> VersionIndex:
        """The version index at ``head``, from the nearest usable ``cached`` index.

        ``cached`` holds indexes by their head, nearest-first preferred in its order. The
        result always equals a walk from the first commit (``versions(head)``): an index is
        reused only along first-parent chains, never through a merge's second parent.
        """
        head = self.resolve(head)
        known = _by_head(cached)
        found = known.get(head)
        if found is not None and found.head == head:
            return found
        # Head's first-parent chain, back to the first commit a cached head reaches.
        walk, stop = self._walk_to_known(head, [h for h in known if h != head])
        start = VersionIndex()
        if stop is not None:
            at_stop = self._index_at(stop, known)
            if at_stop is None:  # no cached index holds ``stop``: walk from the first commit
                walk = self._first_parents(stop) + walk
            else:
                start = at_stop
        log.debug("template history walked", head=head, since=start.head, commits=len(walk))
        return extend(start, self.trees(walk))

    def _walk_to_known(self, head: str, heads: list[str]) -> tuple[list[str], str | None]:
        """Head's first-parent commits not reachable from any of ``heads`` (oldest first),
        and the commit the chain continues with (None: the walk reached the first commit).
        The stop is ``head`` itself when a cached head already reaches it."""
        lines = self._rev_list("--first-parent", "--parents", head, *_excluding(heads))
        if not lines:
            return [], head
        walk = [line.split()[0] for line in lines]
        oldest = lines[-1].split()
        return walk[::-1], (oldest[1] if len(oldest) > 1 else None)

    def _index_at(self, commit: str, known: Mapping[str, VersionIndex]) -> VersionIndex | None:
        """The index at ``commit``: cached, or cut back from a cached index whose head has
        ``commit`` on its first-parent chain; None when no cached index does."""
        found = known.get(commit)
        if found is not None and found.head == commit:
            return found
        for cached_head in known:
            if cached_head == commit:
                continue
            lines = self._rev_list("--first-parent", "--parents", cached_head, f"^{commit}")
            oldest = lines[-1].split() if lines else []
            if len(oldest) < 2 or oldest[1] != commit:
                continue  # ``commit`` is not on this head's first-parent chain
            index = known.get(cached_head)
            if index is None or index.head != cached_head:
                continue
            later = [line.split()[0] for line in lines]
            log.debug("template history cut back", head=cached_head, to=commit, commits=len(later))
            return cut_back(index, commit, later, self._majors_at(commit))
        return None

    def _first_parents(self, *spec: str) -> list[str]:
        return [line.split()[0] for line in reversed(self._rev_list("--first-parent", *spec))]

    def _rev_list(self, *args: str) -> list[str]:
        """``git rev-list`` lines, newest first; heads no longer in the repo are ignored."""
        try:
            listed: str = self.repo.git.rev_list("--ignore-missing", *args)
        except git.GitCommandError as exc:
            raise SourceError(f"cannot walk history of {args}: {exc.stderr.strip()}") from exc
        return listed.splitlines()

    def files_of(self, version: TemplateVersion) -> Mapping[str, bytes]:
        tree = git.Tree(
            self.repo, bytes.fromhex(version.tree_id), mode=git.Tree.tree_id << 12, path=""
        )
        root = f"{TEMPLATES}/{version.name}/v{version.major}"
        try:
            return dict(_read_tree(tree, root))
        except (ValueError, git.BadName, git.BadObject) as exc:
            raise SourceError(f"tree {version.tree_id} of {version.name} is missing") from exc

    def snapshot(self, ref: str, cached: VersionIndex | None = None) -> Snapshot:
        commit = self.resolve(ref)
        return Snapshot(commit, self.files(commit), self.versions(commit, cached), self)

    def _tree(self, commit: str) -> Any:
        tree = self.repo.commit(commit).tree
        if not self.prefix:
            return tree
        try:
            return tree / self.prefix
        except KeyError:
            return None

    def _majors_at(self, commit: str) -> dict[MajorKey, tuple[str, TemplateKind]]:
        tree = self._tree(commit)
        try:
            templates = tree / TEMPLATES if tree is not None else None
        except KeyError:
            templates = None
        if templates is None:
            return {}
        known = self._majors_by_tree.get(templates.hexsha)
        if known is None:
            known = dict(_majors(templates))
            if len(self._majors_by_tree) >= MAJORS_KEPT:  # the oldest read goes first
                del self._majors_by_tree[next(iter(self._majors_by_tree))]
            self._majors_by_tree[templates.hexsha] = known
        return known


def _by_head(
    cached: Mapping[str, VersionIndex] | VersionIndex | None,
) -> Mapping[str, VersionIndex]:
    if cached is None:
        return {}
    if isinstance(cached, VersionIndex):
        return {cached.head: cached} if cached.head else {}
    return cached


def _excluding(heads: Iterable[str]) -> list[str]:
    """``^head`` for each cached head that is a commit id (anything else is not ours)."""
    return [f"^{h}" for h in heads if _COMMIT_ID.match(h)]


def _majors(templates: Any) -> Iterator[tuple[MajorKey, tuple[str, TemplateKind]]]:
    for folder in templates.trees:
        for version in folder.trees:
            match = _MAJOR.match(version.name)
            if match is None:
                continue
            names = {t.name for t in version.trees}
            kind: TemplateKind = "environment" if "infrastructure" in names else "service"
            yield (folder.name, int(match[1])), (version.hexsha, kind)


@dataclass
class _Read:
    """The folders and files one revision's read used, by git object id."""

    folders: dict[str, Folder] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)


def _kept(before: dict[str, T], used: dict[str, T]) -> dict[str, T]:
    """What to keep for the next read: ``used``, and ``before`` while it is not many more."""
    if len(before) > FOLDERS_KEPT * len(used):
        return used
    return {**before, **used}


def _read_tree(tree: Any, root: str) -> Iterator[tuple[str, bytes]]:
    for item in tree.traverse():
        if item.type == "blob":
            path = (
                f"{root}/{item.path[len(tree.path) :].lstrip('/')}"
                if root
                else item.path[len(tree.path) :].lstrip("/")
            )
            yield path, item.data_stream.read()
