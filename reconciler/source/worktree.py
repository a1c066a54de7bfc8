"""The platform repo as it is on disk: what ``validate`` checks before a commit.

Files come from the working tree. Template versions come from git history when the
folder is in a git repository; a template folder whose content differs from the last
commit becomes a draft version labelled ``working-tree``, so an uncommitted minor bump
is checked (compatibility, rendering) exactly as a commit would be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SourceError
from reconciler.source.git import TEMPLATES, GitSource
from reconciler.source.snapshot import WORKING_TREE, Snapshot
from reconciler.source.treehash import tree_id
from reconciler.templates.bundle import MAJOR_FOLDER
from reconciler.templates.model import TemplateKind, TemplateVersion
from reconciler.templates.versions import MajorKey, VersionIndex, with_uncommitted

# Folders that are never part of a platform repo.
_SKIPPED = {".git", ".goldenpath", "__pycache__", "node_modules"}


class WorkingTree:
    """Files on disk, with history from the enclosing git repository if there is one."""

    def __init__(self, path: Path) -> None:
        if not path.is_dir():
            raise SourceError(f"{path} is not a folder")
        self.path = path
        try:
            self.git: GitSource | None = GitSource.open(path)
        except SourceError:
            self.git = None
        self._files: dict[str, bytes] | None = None

    def files(self) -> dict[str, bytes]:
        if self._files is None:
            self._files = dict(_read(self.path))
        return self._files

    def committed_versions(self, cached: VersionIndex | None = None) -> VersionIndex:
        """Versions from history up to HEAD (none outside git or before a first commit)."""
        if self.git is None or not self.git.repo.head.is_valid():
            return VersionIndex()
        return self.git.versions(self.git.resolve("HEAD"), cached)

    def snapshot(self, committed: VersionIndex | None = None) -> Snapshot:
        """The files on disk; templates changed since HEAD become draft versions."""
        files = self.files()
        index = committed if committed is not None else self.committed_versions()
        drafts = with_uncommitted(index, _majors(files), WORKING_TREE)
        return Snapshot(WORKING_TREE, files, drafts, _Reader(self, files))


class _Reader:
    def __init__(self, tree: WorkingTree, files: Mapping[str, bytes]) -> None:
        self.tree = tree
        self.files = files

    def files_of(self, version: TemplateVersion) -> Mapping[str, bytes]:
        if version.commit == WORKING_TREE or self.tree.git is None:
            root = f"{TEMPLATES}/{version.name}/v{version.major}/"
            return {p: d for p, d in self.files.items() if p.startswith(root)}
        return self.tree.git.files_of(version)


def _read(root: Path) -> dict[str, bytes]:
    # os.walk rather than Path.rglob: it prunes skipped folders instead of walking them,
    # and costs a third as much per file (the repo may hold thousands of spec files).
    out = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for name in names:
            if name in _SKIPPED:
                continue
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    out[prefix + name] = handle.read()
    return out


def _majors(files: Mapping[str, bytes]) -> dict[MajorKey, tuple[str, TemplateKind]]:
    grouped: dict[MajorKey, dict[str, bytes]] = {}
    for path, data in files.items():
        parts = path.split("/", 3)
        if len(parts) < 4 or parts[0] != TEMPLATES:
            continue
        match = MAJOR_FOLDER.match(parts[2])
        if match:
            grouped.setdefault((parts[1], int(match[1])), {})[parts[3]] = data
    return {key: (tree_id(inner), _kind(inner)) for key, inner in grouped.items()}


def _kind(files: Mapping[str, bytes]) -> TemplateKind:
    return "environment" if any(p.startswith("infrastructure/") for p in files) else "service"
