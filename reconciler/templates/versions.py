"""Template versions from git history, with Proton template-sync semantics.

A folder ``templates/<name>/v<N>/`` is major N. The first first-parent commit that holds
it makes ``N.0``; each later first-parent commit that changes its content (its git tree
id) makes the next minor. Only tree ids are compared, so deriving versions never reads a
file, and an index derived up to one commit is extended with just the commits after it:
a repo with thousands of commits is walked once, then only what is new.

An index is a fold over one first-parent chain, so it can be reused only along that
chain: extended from a commit on the requested commit's first-parent chain, or cut back
to a commit on its own chain (``cut_back``). A commit merged in through a second parent
is never a starting point: its versions are not the merge's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.templates.model import TemplateKind, TemplateVersion

MajorKey = tuple[str, int]  # (template name, major)


@dataclass(frozen=True)
class CommitTrees:
    """One first-parent commit: the tree id and kind of each template major it holds."""

    commit: str
    majors: Mapping[MajorKey, tuple[str, TemplateKind]]


@dataclass(frozen=True)
class VersionIndex:
    """Every version of every template major, as of ``head``."""

    head: str | None = None
    versions: Mapping[MajorKey, tuple[TemplateVersion, ...]] = field(default_factory=dict)
    # The tree id each major had at ``head`` (absent: the folder is gone at head).
    current: Mapping[MajorKey, str] = field(default_factory=dict)

    def of(self, name: str, major: int) -> tuple[TemplateVersion, ...]:
        return self.versions.get((name, major), ())

    def majors(self, name: str) -> list[int]:
        return sorted(m for (n, m) in self.versions if n == name)

    def names(self) -> list[str]:
        return sorted({n for (n, _m) in self.versions})

    def find(self, name: str, version: str) -> TemplateVersion | None:
        """``"1"`` → the latest 1.x; ``"1.2"`` → exactly 1.2; None when there is none."""
        major, _, minor = version.partition(".")
        found = self.of(name, int(major))
        if not found:
            return None
        if not minor:
            return found[-1]
        return next((v for v in found if v.minor == int(minor)), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "versions": [
                [v.name, v.major, v.minor, v.commit, v.tree_id, v.kind]
                for found in self.versions.values()
                for v in found
            ],
            "current": [[n, m, tree] for (n, m), tree in self.current.items()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VersionIndex:
        versions: dict[MajorKey, list[TemplateVersion]] = {}
        for name, major, minor, commit, tree, kind in data["versions"]:
            versions.setdefault((name, major), []).append(
                TemplateVersion(name, major, minor, commit, tree, kind)
            )
        return cls(
            head=data["head"],
            versions={k: tuple(v) for k, v in versions.items()},
            current={(n, m): tree for n, m, tree in data["current"]},
        )


def extend(index: VersionIndex, history: Iterable[CommitTrees]) -> VersionIndex:
    """``index`` extended by ``history``: the first-parent commits after its head, oldest first."""
    versions = {key: list(found) for key, found in index.versions.items()}
    current = dict(index.current)
    head = index.head
    for entry in history:
        for key, (tree, kind) in entry.majors.items():
            if current.get(key) == tree:
                continue
            found = versions.setdefault(key, [])
            if found and found[-1].tree_id == tree and key not in current:
                # The folder came back exactly as its last version: nothing new.
                current[key] = tree
                continue
            name, major = key
            found.append(TemplateVersion(name, major, len(found), entry.commit, tree, kind))
            current[key] = tree
        for key in [k for k in current if k not in entry.majors]:
            del current[key]
        head = entry.commit
    return VersionIndex(head, {k: tuple(v) for k, v in versions.items()}, current)


def cut_back(
    index: VersionIndex,
    head: str,
    later: Collection[str],
    majors: Mapping[MajorKey, tuple[str, TemplateKind]],
) -> VersionIndex:
    """``index`` as it was at ``head``, a commit on its head's first-parent chain.

    ``later`` are the first-parent commits after ``head`` up to the index's head, and
    ``majors`` the template majors at ``head``. Each version was made by one commit of
    the chain, so dropping those made by ``later`` leaves exactly the versions a walk up to
    ``head`` makes, with the same numbers; the trees at ``head`` are what it would hold.
    """
    dropped = set(later)
    versions: dict[MajorKey, tuple[TemplateVersion, ...]] = {}
    for key, found in index.versions.items():
        kept = tuple(v for v in found if v.commit not in dropped)
        if kept:
            versions[key] = kept
    return VersionIndex(head, versions, {key: tree for key, (tree, _kind) in majors.items()})


def with_uncommitted(
    index: VersionIndex, majors: Mapping[MajorKey, tuple[str, TemplateKind]], label: str
) -> VersionIndex:
    """Add a draft version for each major whose working-tree content differs from head."""
    extended = extend(replace(index, head=index.head), [CommitTrees(label, majors)])
    return replace(extended, head=index.head)
