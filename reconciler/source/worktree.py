"""The platform repo as it is on disk: what ``validate`` checks before a commit.

Files come from the working tree. Template versions come from git history when the
folder is in a git repository; a template folder whose content differs from the last
commit becomes a draft version labelled ``working-tree``, so an uncommitted minor bump
is checked (compatibility, rendering) exactly as a commit would be.

A ``WorkingTree`` kept by a long-running process looks again at every ``snapshot()``,
but reads only the files whose stat changed (``FileIndex``), walks history only when
HEAD moved, and derives draft versions again only when a template file changed.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from reconciler.errors import SourceError
from reconciler.source.fileindex import FileIndex, Look
from reconciler.source.git import TEMPLATES, GitSource
from reconciler.source.snapshot import WORKING_TREE, Changes, Snapshot
from reconciler.source.treehash import tree_id
from reconciler.templates.bundle import MAJOR_FOLDER
from reconciler.templates.model import TemplateKind, TemplateVersion
from reconciler.templates.versions import MajorKey, VersionIndex, with_uncommitted

if TYPE_CHECKING:
    from reconciler.source.watcher import TreeWatcher

_TEMPLATE_FILES = TEMPLATES + "/"


class WorkingTree:
    """Files on disk, with history from the enclosing git repository if there is one."""

    def __init__(self, path: Path, *, watch: bool = False) -> None:
        """``watch``: a long-running process's tree; a watcher tells each look which
        paths changed, so a look costs what changed, not a stat of every file."""
        if not path.is_dir():
            raise SourceError(f"{path} is not a folder")
        self.path = path
        self.watcher: TreeWatcher | None = None
        if watch:
            from reconciler.source.watcher import TreeWatcher

            self.watcher = TreeWatcher(path)  # before the first look: no change is missed
        try:
            self.git: GitSource | None = GitSource.open(path)
        except SourceError:
            self.git = None
        self.index = FileIndex(path)
        self._committed: VersionIndex | None = None
        # The last drafts, and what they were derived from (the committed index).
        self._drafts: tuple[VersionIndex, VersionIndex] | None = None

    def files(self) -> dict[str, bytes]:
        """Every file on disk now (only changed ones are read again)."""
        return self._look().files

    def close(self) -> None:
        """Stop the watcher, if any."""
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None

    def _look(self) -> Look:
        look = self.index.look(self.watcher.changed() if self.watcher is not None else None)
        if any(p.startswith(_TEMPLATE_FILES) for p in look.changed):
            self._drafts = None
        return look

    def committed_versions(self, cached: Mapping[str, VersionIndex] | None = None) -> VersionIndex:
        """Versions from history up to HEAD (none outside git or before a first commit),
        from the last committed index or one of ``cached`` (indexes by head)."""
        if self.git is None or not self.git.repo.head.is_valid():
            return VersionIndex()
        known: Mapping[str, VersionIndex] = cached if cached is not None else {}
        if self._committed is not None and self._committed.head is not None:
            # Only read: ChainMap's type asks for mutable maps it never changes here.
            stored = cast("MutableMapping[str, VersionIndex]", known)
            known = ChainMap({self._committed.head: self._committed}, stored)
        self._committed = self.git.versions(self.git.resolve("HEAD"), known)
        return self._committed

    def snapshot(self, committed: VersionIndex | None = None) -> Snapshot:
        """The files on disk; templates changed since HEAD become draft versions."""
        look = self._look()
        files = look.files
        index = committed if committed is not None else self.committed_versions()
        if self._drafts is not None and self._drafts[0] == index:
            drafts = self._drafts[1]
        else:
            drafts = with_uncommitted(index, _majors(files), WORKING_TREE)
            self._drafts = (index, drafts)
        changes = Changes(look.since, look.changed) if look.since is not None else None
        return Snapshot(WORKING_TREE, files, drafts, _Reader(self, files), changes)


class _Reader:
    def __init__(self, tree: WorkingTree, files: Mapping[str, bytes]) -> None:
        self.tree = tree
        self.files = files

    def files_of(self, version: TemplateVersion) -> Mapping[str, bytes]:
        if version.commit == WORKING_TREE or self.tree.git is None:
            root = f"{TEMPLATES}/{version.name}/v{version.major}/"
            return {p: d for p, d in self.files.items() if p.startswith(root)}
        return self.tree.git.files_of(version)


def _majors(files: Mapping[str, bytes]) -> dict[MajorKey, tuple[str, TemplateKind]]:
    grouped: dict[MajorKey, dict[str, bytes]] = {}
    for path, data in files.items():
        if not path.startswith(_TEMPLATE_FILES):
            continue
        parts = path.split("/", 3)
        if len(parts) < 4:
            continue
        match = MAJOR_FOLDER.match(parts[2])
        if match:
            grouped.setdefault((parts[1], int(match[1])), {})[parts[3]] = data
    return {key: (tree_id(inner), _kind(inner)) for key, inner in grouped.items()}


def _kind(files: Mapping[str, bytes]) -> TemplateKind:
    return "environment" if any(p.startswith("infrastructure/") for p in files) else "service"
